#!/usr/bin/env node
/** The `kvtier` executable: runs the command line (program.ts) and sets the exit code. */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2));
