/**
 * CliContext: what a command handler may touch — its output streams, the
 * environment, the Ctrl-C signal — and the one way to report an exit code.
 * Handlers never call process.exit, so the whole CLI runs in-process in tests.
 */
import { useColor, outputColumns, paint, type Paint } from '../src/output/terminal.js';
import type { Format, RenderContext } from '../src/output/render.js';

/** CliContext: see the module comment. */
export interface CliContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Where `--file -` reads from; process.stdin when absent (tests hand in their own). */
  stdin?: NodeJS.ReadableStream;
  /** Aborted on Ctrl-C: probes stop and print what they learned. */
  signal: AbortSignal;
  /** The process exit code; the last command to set it wins. */
  exitCode: number;
}

/**
 * renderContext: where and how a command prints its result: results on
 * stdout, a table-mode error block on stderr (coloured by what stderr is), the
 * width from COLUMNS, else the terminal, else 120 (outputColumns).
 */
export function renderContext(ctx: CliContext, format: Format): RenderContext {
  const color = format === 'table' && useColor(ctx.stdout, ctx.env);
  return {
    format,
    out: ctx.stdout,
    err: ctx.stderr,
    paint: paint(color),
    errPaint: paint(format === 'table' && useColor(ctx.stderr, ctx.env)),
    color,
    width: outputColumns(ctx.stdout, ctx.env),
  };
}

/** stderrPaint: colours for progress and transcripts on stderr. */
export function stderrPaint(ctx: CliContext): Paint {
  return paint(useColor(ctx.stderr, ctx.env));
}
