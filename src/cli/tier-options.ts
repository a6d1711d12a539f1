/** Parses the CLI's tier and policy flags: `--tier hbm=32GiB`, `--tier flash=1TiB:/data/f`, `--policy ddr=s3fifo`. */
import { ErrorCode, KvtierError } from '../errors.js';

/** A tier as given on the command line. */
export interface CliTier {
  name: string;
  capacity: string;
  dir?: string;
  policy?: string;
}

/** Default layout: a few percent of the example trace's working set in HBM, more in each tier below. */
export const DEFAULT_TIERS: readonly string[] = Object.freeze(['hbm=32GiB', 'ddr=256GiB', 'flash=1TiB', 'disk=4TiB']);

const TIER_PATTERN = /^([a-z][a-z0-9-]*)=([^:]+)(?::(.+))?$/i;

/** `name=SIZE[:DIR]` → a tier. */
export function parseTierFlag(flag: string): CliTier {
  const match = TIER_PATTERN.exec(flag.trim());
  if (!match) {
    throw new KvtierError(
      ErrorCode.CONFIG,
      `expected --tier NAME=SIZE[:DIR] (e.g. hbm=32GiB, ddr=4000blocks, flash=1TiB:/data/flash), got "${flag}"`,
    );
  }
  return { name: match[1]!.toLowerCase(), capacity: match[2]!, ...(match[3] ? { dir: match[3] } : {}) };
}

/**
 * Applies `--policy` flags: a bare `NAME` sets every tier's policy, `TIER=NAME` one tier's.
 * Later flags win over earlier ones.
 */
export function applyPolicyFlags(tiers: CliTier[], flags: readonly string[]): CliTier[] {
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq < 0) {
      for (const tier of tiers) tier.policy = flag;
      continue;
    }
    const name = flag.slice(0, eq).toLowerCase();
    const tier = tiers.find((t) => t.name === name);
    if (!tier) {
      throw new KvtierError(
        ErrorCode.CONFIG,
        `--policy ${flag} names tier "${name}", but the tiers are: ${tiers.map((t) => t.name).join(', ')}`,
      );
    }
    tier.policy = flag.slice(eq + 1);
  }
  return tiers;
}

/** Commander collector for repeatable flags. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
