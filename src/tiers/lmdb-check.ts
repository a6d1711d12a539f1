/**
 * An integrity check of an existing LMDB environment, run in a child process before the flash
 * tier opens it. LMDB does not checksum its own pages: damage to its page structure (as opposed
 * to the values, which the tier checksums) can make LMDB read past the mapped file (SIGBUS) or
 * follow a wild pointer (SIGSEGV), which no JavaScript error handling can survive. The child opens
 * the environment with the tier's own options and does what the tier will do with it: walks the
 * `records` database with its values (recovery's scan), fetches every key from both databases
 * (reads), commits and removes a probe entry (writes, which reuse free pages), and deletes every
 * entry in a transaction it then aborts (the tier deletes the entries it finds damaged). If that
 * kills the child, or LMDB calls the environment corrupt, the caller sets the file aside and starts the
 * tier empty instead of crashing the engine. Per-entry errors are left to the tier, which treats
 * them as damaged blocks. The check reads the whole environment, so it costs about as much as
 * reading every block once (see `LmdbTierOptions.verifyOnOpen`).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The options the tier opens its environment with; the check must use the very same (the map size changes how LMDB fails). */
export type EnvironmentOptions = Record<string, string | number | boolean>;

/** The outcome of a check. */
export type CheckVerdict =
  | { readonly kind: 'ok' }
  /** The environment is damaged beyond what the tier can handle block by block: set it aside. */
  | { readonly kind: 'damaged'; readonly reason: string }
  /** The check could not tell (the environment cannot be opened for another reason, or it took too long). */
  | { readonly kind: 'unknown'; readonly reason: string };

/** LMDB's error codes that mean the file itself is not a sound environment. */
const CORRUPTION_CODES = new Set([
  -30796, // MDB_CORRUPTED
  -30797, // MDB_PAGE_NOTFOUND
  -30793, // MDB_INVALID
  -30794, // MDB_VERSION_MISMATCH
  -30795, // MDB_PANIC
  -30784, // MDB_INCOMPATIBLE
  -30782, // MDB_BAD_TXN
]);

const CHILD = `
const [lmdbUrl, optionsJson] = process.argv.slice(1);
const lmdb = await import(lmdbUrl);
const open = lmdb.open ?? lmdb.default.open;
const report = (result) => process.stdout.write(JSON.stringify(result));
let env;
try {
  env = open(JSON.parse(optionsJson));
} catch (error) {
  report({ stage: 'open', code: error?.code ?? null, message: String(error?.message ?? error) });
  process.exit(0);
}
let errors = 0;
const records = env.openDB({ name: 'records', encoding: 'binary' });
const blocks = env.openDB({ name: 'blocks', encoding: 'binary' });
const keys = new Set();
try { for (const { key } of records.getRange({})) keys.add(key); } catch { errors++; }
try { for (const key of blocks.getKeys({})) keys.add(key); } catch { errors++; }
for (const key of keys) {
  for (const db of [records, blocks]) {
    try { db.getBinaryFast(key); } catch { errors++; }
  }
}
const probe = '~kvtier-integrity-probe';
try {
  await blocks.batch(() => { records.put(probe, Buffer.alloc(256)); blocks.put(probe, Buffer.alloc(4096)); });
  await blocks.batch(() => { records.remove(probe); blocks.remove(probe); });
} catch { errors++; }
// The tier deletes the entries it finds damaged: delete every entry in a transaction, then abort it.
const ABORT = new Error('abort');
try {
  env.transactionSync(() => {
    for (const key of keys) { records.removeSync(key); blocks.removeSync(key); }
    throw ABORT;
  });
} catch (error) { if (error !== ABORT) errors++; }
await env.close();
report({ stage: 'done', keys: keys.size, errors });
`;

/** Bytes per second the check is expected to read at least; its time limit grows with the file. */
const MIN_CHECK_BYTES_PER_SEC = 100 * 2 ** 20;
const BASE_TIMEOUT_MS = 30_000;

/** Runs the check on the environment at `options.path` (whose data.mdb has `dataBytes` bytes). */
export function checkEnvironment(options: EnvironmentOptions, dataBytes: number): Promise<CheckVerdict> {
  const lmdbUrl = pathToFileURL(createRequire(import.meta.url).resolve('lmdb')).href;
  const timeoutMs = BASE_TIMEOUT_MS + Math.ceil((dataBytes / MIN_CHECK_BYTES_PER_SEC) * 1000);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, lmdbUrl, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => resolve({ kind: 'unknown', reason: `integrity check did not run: ${error.message}` }));
    child.on('close', (status, signal) => resolve(verdictOf(status, signal, stdout, stderr, timeoutMs)));
  });
}

function verdictOf(status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, timeoutMs: number): CheckVerdict {
  if (signal === 'SIGTERM') return { kind: 'unknown', reason: `integrity check timed out after ${timeoutMs} ms` };
  if (signal !== null) return { kind: 'damaged', reason: `LMDB crashed (${signal}) reading the environment: its page structure is damaged` };
  let result: { stage?: string; code?: unknown; message?: string };
  try {
    result = JSON.parse(stdout) as typeof result;
  } catch {
    // LMDB aborts (and some of its errors end the process) when it trips over bad pages.
    const detail = stderr.trim().split('\n').pop() ?? '';
    return status === 0
      ? { kind: 'unknown', reason: 'integrity check gave no result' }
      : { kind: 'damaged', reason: `LMDB failed reading the environment (exit ${status}${detail ? `: ${detail}` : ''})` };
  }
  if (result.stage === 'open') {
    return typeof result.code === 'number' && CORRUPTION_CODES.has(result.code)
      ? { kind: 'damaged', reason: `LMDB cannot open the environment: ${result.message}` }
      : { kind: 'unknown', reason: `cannot open the environment: ${result.message}` };
  }
  return { kind: 'ok' };
}
