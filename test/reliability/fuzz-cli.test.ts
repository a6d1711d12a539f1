/**
 * Bad command lines: 10,000 random argument vectors through the real command parser and commands,
 * in process (runCli), plus a few spawns of the built `kvtier` binary. Every run must end in
 * an exit code with a message (commander's usage errors, kvtier's "kvtier: ..." errors) or a
 * success; never an uncaught exception, a hang, or a native crash.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { ROOT } from './fixtures/crash-harness.mjs';
import { removeDir, tempDir, testSeed } from './support.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'traces');

/** Files the arguments may name, relative to the temp dir every run starts in. */
const files = {
  mooncake: 'mooncake.jsonl',
  bailian: 'bailian.jsonl',
  conversation: 'conversation.jsonl',
  garbage: 'garbage.jsonl',
  blank: 'blank.jsonl',
  badGrid: 'grid.yaml',
  badJsonGrid: 'grid.json',
  missing: 'missing.jsonl',
  directory: 'a-directory',
  out: 'out.jsonl',
  outCsv: 'out.csv',
  outJson: 'out.json',
  outInMissingDir: join('no', 'such', 'dir', 'out.jsonl'),
};

let dir: string;
let cwd: string;

beforeAll(async () => {
  dir = await tempDir('kvtier-fuzz-cli-');
  // Random arguments may name output files: keep them in the temp dir (test files run in their own process).
  cwd = process.cwd();
  process.chdir(dir);
  await copyFile(join(FIXTURES, 'mooncake-small.jsonl'), files.mooncake);
  await copyFile(join(FIXTURES, 'bailian-small.jsonl'), files.bailian);
  await copyFile(join(FIXTURES, 'conversation-small.jsonl'), files.conversation);
  await writeFile(files.garbage, Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 256)));
  await writeFile(files.blank, '\n \n');
  await writeFile(files.badGrid, 'policy: [lru, nope]\nlayout: {a: [hbm=1blocks]}\n');
  await writeFile(files.badJsonGrid, '{"capacityScale": [1e309], "layout": [["hbm=4blocks"]]');
  await mkdir(files.directory);
});

afterAll(async () => {
  process.chdir(cwd);
  await removeDir(dir);
});

const word = (...values: string[]) => fc.constantFrom(...values);

/** Short junk: random text, random code points, numbers and flag-looking strings. */
const junk = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.double().map(String),
  fc.integer().map(String),
  word('', ' ', '-', '--', '--x', '=', 'NaN', 'Infinity', '-Infinity', '1e308', '-0', '0x10', '1_000'),
);

/** A value from a flag's domain (valid and near-valid spellings), or junk. */
const value = (...domain: string[]) => fc.oneof({ weight: 4, arbitrary: word(...domain) }, { weight: 1, arbitrary: junk });

const TIERS = ['hbm=4blocks', 'hbm=2blocks', 'ddr=8blocks', 'ddr=1MiB', 'cxl=3blocks', 'flash=8blocks', 'disk=16blocks',
  'flash=8blocks:flash-dir', 'hbm=0', 'hbm=-1', 'hbm=1e309blocks', 'hbm=NaNblocks', 'hbm=', '=4blocks', 'nvme=4blocks',
  'hbm=4blocks:', 'hbm=99999999999999999999blocks', 'HBM=4blocks', 'hbm=1.5blocks', 'hbm=64GiB', 'disk=9999999TiB'];
const POLICIES = ['lru', 's3fifo', 'arc', 'fifo', 'lfu', 'ttl', 'prefix-lru', 'opt', 'nope', 'hbm=lru', 'ddr=arc', 'zzz=lru', '=lru', 'hbm='];
const FLAG_VALUES: Record<string, fc.Arbitrary<string>> = {
  '--tier': value(...TIERS),
  '--policy': value(...POLICIES),
  '--write-policy': value('write-back', 'write-through', 'write-around'),
  '--promotion': value('exclusive', 'inclusive', 'both'),
  '--payload': value('none', 'bytes=64', 'bytes=16', 'bytes=15', 'bytes=0', 'bytes=-5', 'bytes=99999999999', 'bytes=1.5', 'bytes='),
  '--format': value('json', 'table', 'xml'),
  '--curve': value('4,8', '1', '0', '-3', '4,x', '2blocks,6blocks', '1e9', ''),
  '--seed': value('1', '0', '-7', '1.5', '9007199254740993'),
  '--utilisation': value('0.5', '1', '0', '-1', '2', '1e-300'),
  '--trace-format': value('mooncake', 'qwen-bailian', 'conversation', 'auto', 'MOONCAKE', 'csv'),
  '--from': value('mooncake', 'qwen-bailian', 'conversation', 'auto', 'csv'),
  '--model': value('llama-3.1-8b', 'llama-3.1-70b', 'qwen2.5-72b', 'deepseek-v3', 'no-such-model'),
  '--gpu': value('h100', 'h200', 'b200', 'no-such-gpu'),
  '--workers': value('1', '2', '0', '-1', '1.5', '999999'),
  '--block-tokens': value('16', '512', '1', '0', '-16', '1.5', '99999999999999'),
  '--object-bytes': value('1', '4096', '0', '-1', '1.5'),
};
const SWITCHES = ['--no-opt', '--decode-pins', '--allow-unsorted-timestamps', '--quiet', '--overwrite', '--help', '--version', '--bogus', '-x'];

/** Flags: a flag with a value from its domain, a switch, a flag missing its value, or junk. */
const flags = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...Object.keys(FLAG_VALUES)).chain((flag) => FLAG_VALUES[flag]!.map((v) => [flag, v])) },
    { weight: 2, arbitrary: word(...SWITCHES).map((flag) => [flag]) },
    { weight: 1, arbitrary: word(...Object.keys(FLAG_VALUES)).map((flag) => [flag]) },
    { weight: 1, arbitrary: junk.map((j) => [j]) },
  ),
  { maxLength: 6 },
).map((pairs) => pairs.flat());

/** Input files: mostly real traces, so commands run to the end; sometimes missing, garbage or a directory. */
const input = fc.oneof(
  { weight: 6, arbitrary: word(files.mooncake, files.bailian, files.conversation) },
  { weight: 2, arbitrary: word(files.garbage, files.blank, files.missing, files.directory, files.badGrid) },
  { weight: 1, arbitrary: junk },
);
const output = fc.oneof(
  { weight: 4, arbitrary: word(files.out, files.outCsv, files.outJson, files.outInMissingDir, files.directory, files.mooncake) },
  { weight: 1, arbitrary: junk },
);
const grid = fc.oneof({ weight: 4, arbitrary: word(files.badGrid, files.badJsonGrid, files.missing, files.garbage) }, { weight: 1, arbitrary: junk });

/** Argument vectors: structured commands (most), and any tokens in any order. */
const argv: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(input, flags).map(([trace, f]) => ['replay', trace, ...f]) },
  { weight: 1, arbitrary: fc.tuple(input, grid, flags).map(([trace, g, f]) => ['sweep', trace, '--grid', g, ...f]) },
  { weight: 2, arbitrary: fc.tuple(input, flags).map(([trace, f]) => ['trace', 'stats', trace, ...f]) },
  { weight: 2, arbitrary: fc.tuple(input, output, flags).map(([trace, out, f]) => ['trace', 'convert', trace, out, ...f]) },
  { weight: 1, arbitrary: fc.tuple(input, output, flags).map(([trace, out, f]) => ['trace', 'export-libcachesim', trace, out, ...f]) },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(word('replay', 'sweep', 'trace', 'stats', 'convert', 'help'), input, junk, word(...SWITCHES, ...Object.keys(FLAG_VALUES))), {
      maxLength: 7,
    }),
  },
);

/**
 * Spawns of the built binary: each costs a node start-up (~0.5 s of CPU), so a handful check the
 * wiring (exit codes, messages on stderr) while the 10,000 in-process runs do the fuzzing.
 */
const SPAWNS = 6;

/** Fails the property when a run takes longer than this: a hang, not a slow case. */
const HANG_MS = 20_000;

describe('the command line under random arguments', () => {
  it('ends every one of 10,000 in-process runs with an exit code, never an uncaught exception', async () => {
    // Commands print to stdout/stderr; swallow it (a failure shows the argv instead).
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const messages: string[] = [];
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      messages.push(String(chunk));
      return true;
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const codes = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(argv, async (args) => {
          let timer: NodeJS.Timeout | undefined;
          const hang = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`hung for ${HANG_MS} ms`)), HANG_MS);
          });
          try {
            const before = messages.length;
            const code = await Promise.race([runCli(args), hang]);
            expect(Number.isInteger(code)).toBe(true);
            // A failure always says why on stderr (commander's usage error or "kvtier: ...").
            if (code !== 0) expect(messages.slice(before).join('').trim().length).toBeGreaterThan(0);
            codes.set(code, (codes.get(code) ?? 0) + 1);
          } finally {
            clearTimeout(timer);
          }
        }),
        { numRuns: 10_000 },
      );
    } finally {
      out.mockRestore();
      err.mockRestore();
      warn.mockRestore();
    }
    // The fuzz reached both outcomes: successful commands and rejected ones.
    expect(codes.get(0) ?? 0).toBeGreaterThan(0);
    expect([...codes.keys()].some((code) => code !== 0)).toBe(true);
  });

  it(`prints a clean one-line error, not a stack, for bad input to the built binary (${SPAWNS} spawns)`, async () => {
    const samples = fc.sample(argv, { numRuns: SPAWNS, seed: testSeed() });
    // Spawned a few at a time: each is a real node process running dist/src/cli/main.js.
    const results: { args: string[]; code: number | null; signal: string | null; stderr: string }[] = [];
    for (let i = 0; i < samples.length; i += 4) {
      results.push(...(await Promise.all(samples.slice(i, i + 4).map(spawnCli))));
    }
    for (const run of results) {
      const context = `kvtier ${JSON.stringify(run.args)}: ${run.stderr}`;
      expect(run.signal, context).toBe(null);
      expect(run.code, context).not.toBe(null);
      // An uncaught exception prints a stack ("    at ..."); a handled error never does.
      expect(run.stderr, context).not.toMatch(/^\s+at .*(\(|file:|node:)/m);
      if (run.code !== 0) expect(run.stderr.trim().length, context).toBeGreaterThan(0);
    }
  });
});

function spawnCli(args: string[]): Promise<{ args: string[]; code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...args], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: HANG_MS,
      killSignal: 'SIGKILL',
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code, signal) => resolve({ args, code, signal, stderr: stderr.slice(0, 2000) }));
  });
}
