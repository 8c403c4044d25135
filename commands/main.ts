/**
 * main: the CLI without the process — parses argv with yargs, runs one
 * command, returns the exit code. Commands are registered explicitly in one
 * list (yargs commandDir does not work under ESM).
 */
import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { ProbeError } from '../src/errors.js';
import { EXIT } from '../src/output/exit-codes.js';
import { printable } from '../src/output/terminal.js';
import type { CliContext } from './context.js';
import { capsCommand } from './caps.js';
import { mxCommand } from './mx.js';
import { failoverCommand } from './failover.js';
import { verifyCommand } from './verify.js';
import { vrfyCommand } from './vrfy.js';
import { expnCommand } from './expn.js';
import { auditCommand } from './audit.js';
import { sendCommand } from './send.js';
import { labCommand } from './lab.js';
import { demoCommand } from './demo.js';
import { schemaCommand } from './schema.js';

// scripts/bundle.mjs writes the version into the bundle, whose chunks do not sit two folders below
// package.json; the tsc output reads it from there.
declare const SMTP_PROBE_VERSION: string | undefined;

const VERSION =
  typeof SMTP_PROBE_VERSION === 'string'
    ? SMTP_PROBE_VERSION
    : (
        JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
          version: string;
        }
      ).version;

/** COMMANDS: every subcommand, in the order --help lists them. */
const COMMANDS = [
  capsCommand,
  mxCommand,
  failoverCommand,
  verifyCommand,
  vrfyCommand,
  expnCommand,
  auditCommand,
  sendCommand,
  labCommand,
  demoCommand,
  schemaCommand,
];

/** YargsInternals: the one undocumented corner of yargs that main touches (see skipHelpCache). */
interface YargsInternals {
  getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?: () => void } };
}

// Once a command's handler has started, yargs renders that command's whole help and keeps it in
// case the handler asks for it later (command.js calls usage.cacheHelpMessage). Our handlers never
// do, and the rendering (cliui measuring the width of every cell) is ~30 ms of a caps run that
// fails fast. If a yargs release moves the hook this does nothing, and runs are that much slower.
function skipHelpCache(parser: Argv): void {
  const usage = (parser as unknown as YargsInternals).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

// yargs wraps what a coerce function throws (our INVALID_INPUT) in a YError.
function isUsageError(err: unknown): err is Error {
  return err instanceof ProbeError || (err instanceof Error && err.name === 'YError');
}

/** main: run the CLI for `args` with the given streams; resolves to the exit code. */
export async function main(args: string[], io: Omit<CliContext, 'exitCode'>): Promise<number> {
  const ctx: CliContext = { ...io, exitCode: EXIT.OK };
  let usageError: string | undefined;
  const parser = yargs()
    .scriptName('smtp-probe')
    .usage(
      '$0 <command> [options]\n\nLook inside SMTP: capabilities, STARTTLS, verb census, MX walks and failover, address verification, and a simulated mail network to try it on.',
    )
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .alias('V', 'version')
    .strict()
    .demandCommand(
      1,
      'Give a command; try `smtp-probe demo` for a tour, or `smtp-probe caps <host>`.',
    )
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilogue(
      'Exit codes: 0 ok, 2 usage/invalid input, 3 connection failed, 4 a probe stage failed, 5 TLS failed, 6 rejected by server, 7 delivered late, 8 undeliverable, 9 findings (audit --fail-on),\n130 interrupted.\nDocs: README.md. Machine-readable output: --json or --format ndjson; schemas: smtp-probe schema <command>.',
    )
    .fail((msg, err) => {
      if (err && !isUsageError(err)) throw err;
      usageError ??= err ? err.message : `${msg}\nRun with --help for usage.`;
      // Throwing stops yargs here, so a command with bad flags never runs.
      throw Object.assign(new Error(usageError), { name: 'YError' });
    })
    .exitProcess(false)
    .showHelpOnFail(false);
  for (const make of COMMANDS) parser.command(make(ctx));
  skipHelpCache(parser);
  try {
    // With a callback, yargs hands --help/--version text to us instead of console.log, so it goes to io.stdout.
    await parser.parseAsync(args, {}, (_err, _argv, output) => {
      if (output && usageError === undefined) io.stdout.write(`${output}\n`);
    });
  } catch (err) {
    if (!isUsageError(err)) {
      io.stderr.write(
        `smtp-probe: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\nPlease report this with the command you ran.\n`,
      );
      return EXIT.INTERNAL;
    }
    usageError ??= err.message;
  }
  if (usageError !== undefined) {
    io.stderr.write(`smtp-probe: ${printable(usageError).replace(/\\x0a/g, '\n')}\n`);
    return EXIT.USAGE;
  }
  return ctx.exitCode;
}
