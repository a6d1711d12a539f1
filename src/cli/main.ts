#!/usr/bin/env node
/** The `kvtier` command: parses arguments, runs a subcommand, turns kvtier errors into clean messages. */
import { Command, CommanderError } from 'commander';
import { KvtierError } from '../errors.js';
import { registerReplayCommand } from './replay-command.js';
import { registerSweepCommand } from './sweep-command.js';
import { registerTraceCommand } from './trace-command.js';

const program = new Command('kvtier')
  .description('tiered KV-cache storage engine: replay traces, sweep policies, inspect traces')
  .version('0.1.0')
  .exitOverride()
  .showHelpAfterError();
registerReplayCommand(program);
registerSweepCommand(program);
registerTraceCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else if (error instanceof KvtierError) {
    process.stderr.write(`kvtier: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
