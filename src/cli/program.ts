/** The `kvtier` command tree and one run of it: parse an argument vector, run the subcommand, map errors to an exit code. */
import { Command, CommanderError } from 'commander';
import { KvtierError } from '../errors.js';
import { registerReplayCommand } from './replay-command.js';
import { registerSweepCommand } from './sweep-command.js';
import { registerTraceCommand } from './trace-command.js';

/** A fresh command tree (commander keeps parse state, so each run needs its own). */
export function buildProgram(): Command {
  const program = new Command('kvtier')
    .description('tiered KV-cache storage engine: replay traces, sweep policies, inspect traces')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  registerReplayCommand(program);
  registerSweepCommand(program);
  registerTraceCommand(program);
  return program;
}

/**
 * Runs the CLI on `args` (the arguments after the program name) and resolves with the exit code.
 * Usage errors (commander's) and kvtier errors become a message on stderr and a non-zero code;
 * any other error is a bug and is rethrown.
 */
export async function runCli(args: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...args], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof KvtierError) {
      process.stderr.write(`kvtier: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
