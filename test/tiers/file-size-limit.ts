/**
 * Real write failures for tests, without root: lowers this process's RLIMIT_FSIZE with util-linux
 * `prlimit`, so writes that would grow a file past the limit fail with EFBIG (Node ignores SIGXFSZ).
 */
import { execFileSync } from 'node:child_process';

function prlimit(...args: string[]): string {
  return execFileSync('prlimit', ['--pid', String(process.pid), ...args], { encoding: 'utf8' });
}

/** Whether `prlimit` is available to run the failure tests. */
export const canLimitFileSize: boolean = (() => {
  try {
    prlimit('--fsize', '--output=SOFT', '--noheadings');
    return true;
  } catch {
    return false;
  }
})();

/** Runs `fn` with files capped at `bytes`, then restores the previous soft limit (even on failure). */
export async function withFileSizeLimit<T>(bytes: number, fn: () => Promise<T>): Promise<T> {
  const previous = prlimit('--fsize', '--output=SOFT', '--noheadings').trim();
  prlimit(`--fsize=${bytes}:`);
  try {
    return await fn();
  } finally {
    prlimit(`--fsize=${previous}:`);
  }
}
