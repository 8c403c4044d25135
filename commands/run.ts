/**
 * runProbeCommand: the path every probe command shares — read the output
 * flags, validate every other flag through the command's one schema (nothing
 * is resolved or dialled before that), run the probe, stream the transcript
 * and NDJSON lines when asked, print the envelope, set the exit code. Invalid
 * input becomes an envelope too, so a script reading --json always gets JSON.
 */
import { ProbeError } from '../src/errors.js';
import { toEnvelope } from '../src/output/envelope.js';
import { exitCodeFor } from '../src/output/exit-codes.js';
import { type RenderContext, renderEnvelope } from '../src/output/render.js';
import { printable } from '../src/output/terminal.js';
import { formatTranscriptEntry } from '../src/output/transcript.js';
import type { ProbeOutcome } from '../src/probes/outcome.js';
import { Transcript, type TranscriptEntry } from '../src/session/transcript.js';
import { type CliContext, renderContext, stderrPaint } from './context.js';
import type { Argv, CommandModule } from 'yargs';
import { declare, type FlagSet, type Parsed, parseFlags } from './flags.js';
import { OUTPUT_FLAGS, outputFormat } from './options.js';
import type { ProbeIo } from './probe-io.js';

export type { ProbeIo };

/** ProbeCommand: what a command hands to runProbeCommand. */
export interface ProbeCommand<F extends FlagSet, R> {
  command: string;
  flags: F;
  /** target: what the envelope names (read before validation, so invalid input still names it). */
  target: (argv: Record<string, unknown>) => string;
  probe: (args: Parsed<F>, io: ProbeIo) => Promise<ProbeOutcome<R>>;
  /** tables: loads the table renderer (only for --format table: JSON never pays for cli-table3). */
  tables: (args: Parsed<F>) => Promise<(result: R, ctx: RenderContext) => string>;
  /** exitCode: for a probe that ran (status ok), the exit code its result calls for; default 0. */
  exitCode?: (result: R) => number;
}

/** runProbeCommand: see the module comment. */
export async function runProbeCommand<F extends FlagSet, R>(
  ctx: CliContext,
  argv: Record<string, unknown>,
  spec: ProbeCommand<F, R>,
): Promise<void> {
  // A bad --format cannot be answered in the format asked for: it is a plain usage error.
  const out = parseFlags(OUTPUT_FLAGS, argv);
  const format = outputFormat(out);
  const p = stderrPaint(ctx);
  const onTranscript = out.transcript
    ? (e: TranscriptEntry, label?: string) =>
        ctx.stderr.write(`${formatTranscriptEntry(e, p, label)}\n`)
    : undefined;
  const emit =
    format === 'ndjson'
      ? (record: object) => ctx.stdout.write(`${JSON.stringify(record)}\n`)
      : undefined;
  const startedAt = new Date();
  let outcome: ProbeOutcome<R | null>;
  let args: Parsed<F> | undefined;
  try {
    args = parseFlags(spec.flags, argv);
    outcome = await spec.probe(args, {
      signal: ctx.signal,
      ...(onTranscript ? { onTranscript } : {}),
      ...(emit ? { emit } : {}),
    });
  } catch (err) {
    // Bad input, or Ctrl-C before the probe began (at a password prompt): nothing was sent.
    if (
      !(err instanceof ProbeError) ||
      (err.status !== 'invalid-input' && err.status !== 'aborted')
    )
      throw err;
    outcome = {
      status: err.status,
      result: null,
      error: err,
      startedAt,
      durationMs: 0,
      transcript: new Transcript(),
    };
  }
  ctx.exitCode =
    outcome.status === 'ok' && outcome.result !== null && spec.exitCode
      ? spec.exitCode(outcome.result)
      : exitCodeFor(outcome.status, outcome.error?.code);
  if (outcome.status === 'invalid-input' && format === 'table') {
    // A usage problem: one line on stderr, as for every other usage error (no result to show).
    ctx.stderr.write(`smtp-probe: ${printable(outcome.error?.message ?? 'invalid input')}\n`);
    return;
  }
  const rc = renderContext(ctx, format);
  // Without valid flags there is no result to tabulate, only the error.
  const tables = format === 'table' && args ? await spec.tables(args) : undefined;
  const env = toEnvelope(spec.command, spec.target(argv), outcome, out.transcript);
  renderEnvelope(env, rc, (r) => (tables ? tables(r as R, rc) : ''), ctx.exitCode);
}

/** ProbeCommandModule: a probe command's yargs module, from its flags, words and examples. */
export interface ProbeCommandDef<F extends FlagSet, R> extends ProbeCommand<F, R> {
  /** The yargs command string; positionals are optional there, and their schema says what is missing. */
  yargsCommand: string;
  /** The usage line --help shows ("caps <target> [options]"). */
  usage: string;
  describe: string;
  examples: [string, string][];
}

/** probeCommand: the yargs module of a probe command: every flag declared once, one handler path. */
export function probeCommand<F extends FlagSet, R>(
  ctx: CliContext,
  def: ProbeCommandDef<F, R>,
): CommandModule {
  return {
    command: def.yargsCommand,
    describe: def.describe,
    builder: (y: Argv) =>
      def.examples.reduce(
        (built, [cmd, what]) => built.example(cmd, what),
        declare(y.usage(`$0 ${def.usage}`), { ...def.flags, ...OUTPUT_FLAGS }),
      ),
    handler: (argv) => runProbeCommand(ctx, argv, def),
  };
}
