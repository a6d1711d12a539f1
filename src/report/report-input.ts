/** What the HTML report renders: one replay, or the labelled runs of a sweep. */
import type { ReplayResult } from '../replay/result.js';

/** One run of a sweep: its label, the grid parameters that made it, and its result. */
export interface SweepRun {
  /** Short name shown on charts and in tables, e.g. "lru, 4096 blocks". */
  readonly label: string;
  /** The grid values of this run (policy, capacities, hardware...), one table column each. */
  readonly params: Readonly<Record<string, string | number>>;
  readonly result: ReplayResult;
}

/** One replay result, or a sweep's runs (in the order they should appear). */
export type ReportInput = ReplayResult | readonly SweepRun[];

/** The input as the chart builders see it: always a list of runs, and whether it was a single replay. */
export interface ReportRuns {
  readonly single: boolean;
  readonly runs: readonly SweepRun[];
}

/** Turns either input shape into a list of runs; a single replay gets its trace as label. */
export function toReportRuns(input: ReportInput): ReportRuns {
  if (Array.isArray(input)) return { single: false, runs: input as readonly SweepRun[] };
  const result = input as ReplayResult;
  return { single: true, runs: [{ label: result.config.trace, params: {}, result }] };
}

/** Total capacity of a result's tiers, blocks: the x axis of hit-ratio charts. */
export function totalCapacityBlocks(result: ReplayResult): number {
  return result.config.tiers.reduce((sum, tier) => sum + tier.capacityBlocks, 0);
}

/** The policy (or policies, top tier first) a run used, as one label. */
export function policyLabel(result: ReplayResult): string {
  const policies = result.config.tiers.map((tier) => tier.policy);
  return policies.every((p) => p === policies[0]) ? (policies[0] ?? 'none') : policies.join(' / ');
}
