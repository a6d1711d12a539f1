/** How durable tiers report a damaged block they dropped: one structured report per block, one log line by default. */
import type { BlockKey } from './tier.js';

/** One damaged block (or damaged region of a file) found by a read, a scan or a reopen. */
export interface DamageReport {
  /** Tier name, e.g. "flash". */
  readonly tier: string;
  /** The block's key, or null when the damage hides it (e.g. an unreadable header). */
  readonly key: BlockKey | null;
  /** What was wrong, e.g. "payload checksum mismatch". */
  readonly reason: string;
  /** Where, when it helps (a file and byte offset). */
  readonly location?: string;
}

/** Receives damage reports; must not throw. */
export type DamageReporter = (report: DamageReport) => void;

/** The default reporter: one console.warn line per damaged block. */
export const warnDamage: DamageReporter = (report) => {
  const where = report.location ? ` at ${report.location}` : '';
  console.warn(
    `kvtier: tier \`${report.tier}\`: dropped damaged block ${report.key ?? '(unknown key)'}${where}: ${report.reason}`,
  );
};
