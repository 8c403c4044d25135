/**
 * runProbeCommand: the path every single-target probe command shares — run
 * the probe, stream the transcript to stderr if asked, print the envelope,
 * set the exit code. Invalid input becomes an envelope too, so a script
 * reading --json always gets JSON.
 */
import { ProbeError } from '../src/errors.js';
import { toEnvelope } from '../src/output/envelope.js';
import { exitCodeFor } from '../src/output/exit-codes.js';
import { renderEnvelope, type Format } from '../src/output/render.js';
import { formatTranscriptEntry } from '../src/output/transcript.js';
import type { TranscriptEntry } from '../src/session/transcript.js';
import type { ProbeOutcome } from '../src/probes/outcome.js';
import { Transcript } from '../src/session/transcript.js';
import { renderContext, stderrPaint, type CliContext } from './context.js';

/** ProbeRun: what a command hands to runProbeCommand. */
export interface ProbeRun<R> {
  command: string;
  target: string;
  format: Format;
  transcript: boolean;
  probe: (onTranscript?: (e: TranscriptEntry) => void) => Promise<ProbeOutcome<R>>;
  /** tables: loads the table renderer (only for --format table: JSON never pays for cli-table3). */
  tables: () => Promise<(result: R, ctx: ReturnType<typeof renderContext>) => string>;
  /** exitCode: for a probe that ran (status ok), the exit code its result calls for; default 0. */
  exitCode?: (result: R) => number;
}

/** runProbeCommand: see the module comment. */
export async function runProbeCommand<R>(ctx: CliContext, run: ProbeRun<R>): Promise<void> {
  const p = stderrPaint(ctx);
  const onTranscript = run.transcript
    ? (e: TranscriptEntry) => ctx.stderr.write(`${formatTranscriptEntry(e, p)}\n`)
    : undefined;
  const startedAt = new Date();
  let outcome: ProbeOutcome<R | null>;
  try {
    outcome = await run.probe(onTranscript);
  } catch (err) {
    if (!(err instanceof ProbeError) || err.status !== 'invalid-input') throw err;
    outcome = {
      status: err.status,
      result: null,
      error: err,
      startedAt,
      durationMs: 0,
      transcript: new Transcript(),
    };
  }
  const rc = renderContext(ctx, run.format);
  const tables = run.format === 'table' ? await run.tables() : undefined;
  renderEnvelope(toEnvelope(run.command, run.target, outcome, run.transcript), rc, (r) =>
    tables ? tables(r as R, rc) : '',
  );
  ctx.exitCode =
    outcome.status === 'ok' && outcome.result !== null && run.exitCode
      ? run.exitCode(outcome.result)
      : exitCodeFor(outcome.status);
}
