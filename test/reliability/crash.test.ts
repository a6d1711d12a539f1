/** Crash consistency: SIGKILL an engine on synced durable tiers at random moments, reopen, check what survived. */
import { describe, expect, it } from 'vitest';
import { runCrashCampaign, type CrashRound } from './fixtures/crash-harness.mjs';
import { removeDir, tempDir, testSeed } from './support.js';

/** Kills per `npm test`; scripts/crash-soak.mjs runs the long campaign. */
const KILLS = 20;

describe('crash consistency (SIGKILL under load, durability "synced")', () => {
  it(`keeps every durable acknowledged block byte-exact across ${KILLS} kills`, async () => {
    const root = await tempDir('kvtier-crash-');
    const seed = testSeed();
    const rounds: CrashRound[] = [];
    try {
      const summary = await runCrashCampaign({ kills: KILLS, root, seed, onRound: (round) => rounds.push(round) });
      // The violations name the round, the seed (KVTIER_TEST_SEED replays the plan) and the block.
      expect(summary.violations, `seed ${seed}`).toEqual([]);
      expect(summary.kills).toBe(KILLS);
      // The campaign did real work in both modes: blocks were acknowledged, some reached the
      // durable tiers by demotion, and the reopened engines served blocks.
      expect(summary.acknowledgedPuts).toBeGreaterThan(0);
      expect(summary.mustSurvive.through).toBeGreaterThan(0);
      expect(summary.mustSurvive.cascade).toBeGreaterThan(0);
      expect(summary.blocksVerified).toBeGreaterThanOrEqual(summary.mustSurvive.through);
      expect(rounds).toHaveLength(KILLS);
    } finally {
      await removeDir(root);
    }
  });
});
