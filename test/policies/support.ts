/** Test plumbing for the policy suites: a controllable PolicyContext and a tiny cache simulator. */
import type { EvictionPolicy, PolicyContext } from '../../src/policies/policy.js';

/** A PolicyContext whose pins, parents, clock and future the test sets directly. */
export class TestContext implements PolicyContext {
  readonly pinned = new Set<number>();
  readonly parents = new Map<number, number>();
  timeMs = 0;
  readonly seed: number;
  readonly capacityBlocks: number;
  nextUse?: (id: number) => number;

  constructor(capacityBlocks = 8, options: { seed?: number; nextUse?: (id: number) => number } = {}) {
    this.capacityBlocks = capacityBlocks;
    this.seed = options.seed ?? 1;
    if (options.nextUse) this.nextUse = options.nextUse;
  }

  canEvict(id: number): boolean {
    return !this.pinned.has(id);
  }

  parentOf(id: number): number {
    return this.parents.get(id) ?? -1;
  }

  now(): number {
    return this.timeMs;
  }
}

/** An arbitrary but fixed future, so OPT can run in suites that do not care about the future. */
export function scrambledFuture(id: number): number {
  return (id * 7919) % 1009;
}

/** Outcome of replaying a reference string through a policy. */
export interface Simulation {
  victims: number[];
  hits: number;
}

/**
 * Replays `refs` like the engine does at capacity `capacity`: a tracked id is touched (a hit),
 * a missing one is announced with `miss`, room is made with `evict`, then it is inserted.
 * `beforeRef` runs before each reference (e.g. to advance OPT's notion of "now").
 */
export function simulate(
  policy: EvictionPolicy,
  capacity: number,
  refs: readonly number[],
  beforeRef?: (position: number) => void,
): Simulation {
  const victims: number[] = [];
  let hits = 0;
  refs.forEach((id, position) => {
    beforeRef?.(position);
    if (policy.has(id)) {
      policy.touch(id);
      hits++;
      return;
    }
    policy.miss?.(id);
    while (policy.size >= capacity) {
      const victim = policy.evict();
      if (victim === -1) throw new Error(`nothing evictable at reference ${position}`);
      victims.push(victim);
    }
    policy.insert(id);
  });
  return { victims, hits };
}

/** Letters as ids, so hand-worked sequences read like the textbook ones. */
export function ids(letters: string): number[] {
  return [...letters.replace(/\s+/g, '')].map((c) => c.charCodeAt(0) - 65);
}

/** Ids back to letters, for readable assertions. */
export function letters(values: readonly number[]): string {
  return values.map((v) => (v < 0 ? '-' : String.fromCharCode(65 + v))).join('');
}

/** For OPT: a context whose nextUse follows `refs`, with `at(position)` moving "now". */
export function futureOf(refs: readonly number[], capacityBlocks: number): { context: TestContext; at: (position: number) => void } {
  const next = new Array<number>(refs.length).fill(Infinity);
  const seen = new Map<number, number>();
  for (let i = refs.length - 1; i >= 0; i--) {
    next[i] = seen.get(refs[i]!) ?? Infinity;
    seen.set(refs[i]!, i);
  }
  let position = 0;
  const nextUse = (id: number): number => {
    if (refs[position] === id) return next[position]!;
    // A block other than the current reference: its first reference after now.
    for (let i = position + 1; i < refs.length; i++) if (refs[i] === id) return i;
    return Infinity;
  };
  const context = new TestContext(capacityBlocks, { nextUse });
  return { context, at: (p) => (position = p) };
}
