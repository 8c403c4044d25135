/**
 * CliContext: what a command handler may touch — its output streams, the
 * environment, the Ctrl-C signal — and the one way to report an exit code.
 * Handlers never call process.exit, so the whole CLI runs in-process in tests.
 */
import { useColor, paint, type Paint } from '../src/output/terminal.js';
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

/** renderContext: where and how a command prints its result. */
export function renderContext(ctx: CliContext, format: Format): RenderContext {
  const color = format === 'table' && useColor(ctx.stdout, ctx.env);
  const columns = (ctx.stdout as { columns?: number }).columns;
  return {
    format,
    out: ctx.stdout,
    paint: paint(color),
    color,
    width: Math.min(columns ?? 120, 140),
  };
}

/** stderrPaint: colours for progress and transcripts on stderr. */
export function stderrPaint(ctx: CliContext): Paint {
  return paint(useColor(ctx.stderr, ctx.env));
}
