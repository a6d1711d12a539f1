#!/usr/bin/env node
/** Benchmark runner: `npm run bench -- NAME [--json] [--runs N] [--quick]`; NAME is a file in bench/. */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './support.js';

/** Every scenario module exports `run(args)`. */
export interface Scenario {
  run(args: ReturnType<typeof parseBenchArgs>): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const scenarios = readdirSync(here)
  .filter((f) => f.endsWith('.js') && !['main.js', 'support.js'].includes(f))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (!name || !scenarios.includes(name)) {
  console.error(`usage: npm run bench -- <${scenarios.join('|')}> [--json] [--runs N] [--quick]`);
  process.exit(name ? 2 : 0);
}
const scenario = (await import(`./${name}.js`)) as Scenario;
await scenario.run(parseBenchArgs(rest));
