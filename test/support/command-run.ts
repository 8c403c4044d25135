/**
 * runCommand: one command module in a yargs instance of its own, with
 * collecting streams and an injectable stdin — for commands not (yet) in
 * main's list, and for `--file -`. Usage errors exit 2 as in main().
 */
import yargs from 'yargs';
import type { CommandModule } from 'yargs';
import { Readable } from 'node:stream';
import type { CliContext } from '../../commands/context.js';
import type { CliRun } from './cli-run.js';
import { Sink } from './sink.js';

/** CommandRunOptions: stdin text (for --file -) and the environment. */
export interface CommandRunOptions {
  stdin?: string;
  env?: NodeJS.ProcessEnv;
}

/** runCommand: see the module comment. */
export async function runCommand(
  make: (ctx: CliContext) => CommandModule,
  args: string[],
  opts: CommandRunOptions = {},
): Promise<CliRun> {
  const stdout = new Sink({ isTTY: false, columns: 120 });
  const stderr = new Sink({ isTTY: false });
  const ctx: CliContext = {
    stdout,
    stderr,
    env: opts.env ?? {},
    signal: new AbortController().signal,
    exitCode: 0,
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
  };
  let usage: string | undefined;
  try {
    await yargs()
      .strict()
      .exitProcess(false)
      .showHelpOnFail(false)
      .fail((msg, err) => {
        usage = err?.message ?? msg;
        throw new Error(usage);
      })
      .command(make(ctx))
      .parseAsync(args);
  } catch (err) {
    if (usage === undefined) throw err;
  }
  return usage === undefined
    ? { code: ctx.exitCode, stdout: stdout.text, stderr: stderr.text }
    : { code: 2, stdout: stdout.text, stderr: usage };
}
