#!/usr/bin/env node
// The long soak: one engine (hbm + ddr + flash + disk, 256-byte blocks) under 32 concurrent callers for
// a million mixed operations or more, checking capacity, pins and every byte served, and sampling heap
// and RSS after a forced GC (see RELIABILITY.md, "Load and leaks"). `npm test` runs 100k operations.
//
// Usage: npm run build && node scripts/soak.mjs [--ops 1000000] [--seed N] [--callers 32]
// Prints the figures as JSON; exit status 1 when an invariant was violated (each violation is printed).
import { parseArgs } from 'node:util';
import { runSoak } from '../test/reliability/fixtures/soak.mjs';

const { values } = parseArgs({
  options: { ops: { type: 'string', default: '1000000' }, seed: { type: 'string' }, callers: { type: 'string', default: '32' } },
});
const ops = Number(values.ops);
const callers = Number(values.callers);
const seed = values.seed === undefined ? 1 + Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
for (const [flag, value] of [['--ops', ops], ['--callers', callers], ['--seed', seed]]) {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`expected a positive whole number for ${flag}`);
}

console.log(`soak: ${ops} operations, ${callers} callers, seed ${seed}`);
const report = await runSoak({ ops, seed, callers });
const mib = (n) => `${n.toFixed(1)} MiB`;
for (const s of report.samples) {
  console.log(
    `  at ${String(s.at * 100).padStart(3)}% (${s.ops} ops, ${s.seconds.toFixed(1)} s): RSS ${mib(s.rssMiB)}, heap ${mib(s.heapUsedMiB)}, ` +
      `array buffers ${mib(s.arrayBuffersMiB)}, external ${mib(s.externalMiB)}`,
  );
}
console.log(JSON.stringify({ ...report, seed, node: process.version, date: new Date().toISOString() }, null, 2));
if (report.violations.length > 0) {
  for (const violation of report.violations) console.error(`VIOLATION ${violation}`);
  process.exitCode = 1;
}
