/** Runs the built `kvtier` CLI (dist/, built by `npm test`'s pretest step) and captures its output. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXAMPLE_TRACE = join(ROOT, 'examples', 'mooncake_synthetic_trace.jsonl');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function kvtier(...args: string[]): CliRun {
  const run = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
