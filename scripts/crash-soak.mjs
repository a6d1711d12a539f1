#!/usr/bin/env node
// The long crash campaign: SIGKILLs an engine on synced flash + disk tiers many times under load, reopening
// and verifying after each kill (see RELIABILITY.md, "Crash consistency"). `npm test` runs 20 kills; this
// runs as many as asked and prints the figures RELIABILITY.md quotes.
//
// Usage: npm run build && node scripts/crash-soak.mjs [--kills 200] [--seed N] [--keep]
//   --kills N   kills to run (default 200), alternating the `cascade` and `through` layouts
//   --seed N    seed of the kill plan and the load (default: random; printed, so a failure can be replayed)
//   --keep      keep the temp directory for inspection
// Exit status 1 when any guarantee was violated (each violation is printed).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCrashCampaign } from '../test/reliability/fixtures/crash-harness.mjs';

const { values } = parseArgs({
  options: { kills: { type: 'string', default: '200' }, seed: { type: 'string' }, keep: { type: 'boolean', default: false } },
});
const kills = Number(values.kills);
const seed = values.seed === undefined ? 1 + Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(kills) || kills < 1) throw new Error(`expected a positive whole number for --kills, got ${values.kills}`);
if (!Number.isSafeInteger(seed) || seed < 1) throw new Error(`expected a positive whole number for --seed, got ${values.seed}`);

const root = await mkdtemp(join(tmpdir(), 'kvtier-crash-soak-'));
const started = performance.now();
console.log(`crash soak: ${kills} kills, seed ${seed}, directories in ${root}`);
try {
  const summary = await runCrashCampaign({
    kills,
    root,
    seed,
    onRound: (r) => {
      // One line per mode every ten rounds, and every round that found a violation.
      if (Math.floor(r.round / 2) % 5 === 4 || r.violations.length > 0) {
        const at = r.killPlan.duringStartup ? `${r.killPlan.delayMs} ms after spawn` : `${r.killPlan.delayMs} ms after READY`;
        console.log(
          `  kill ${r.round + 1}/${kills} (${r.mode}, ${at}): ${r.present} blocks present and verified, ` +
            `${r.detectedOnOpen} damage reports on open, ${r.violations.length} violations`,
        );
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ ...summary, seconds: Number(seconds.toFixed(1)), node: process.version, date: new Date().toISOString() }, null, 2));
  if (summary.violations.length > 0) {
    for (const violation of summary.violations) console.error(`VIOLATION ${violation}`);
    process.exitCode = 1;
  }
} finally {
  if (!values.keep) await rm(root, { recursive: true, force: true });
}
