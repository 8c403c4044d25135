/**
 * renderEnvelope: the only place that decides how an envelope is printed:
 * a headline plus the command's tables, pretty JSON, or one NDJSON line.
 */
import type { Envelope } from './envelope.js';
import { formatDuration } from '../time/duration.js';
import { printable, type Paint } from './terminal.js';

/** FORMATS: the output formats every command offers. */
export const FORMATS = ['table', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

/** RenderContext: where and how to print. */
export interface RenderContext {
  format: Format;
  out: NodeJS.WritableStream;
  paint: Paint;
  color: boolean;
  /** Columns to fit tables in. */
  width: number;
}

/** headline: "caps 127.0.0.10:2525 — ok in 12 ms", then the error and what to do about it. */
export function headline(env: Envelope<string, unknown>, p: Paint): string {
  const status = env.status === 'ok' ? p.green(env.status) : p.red(env.status);
  const lines = [
    `${p.bold(`${env.command} ${printable(env.target)}`)} — ${status} in ${formatDuration(env.durationMs)}`,
  ];
  if (env.error) {
    lines.push(
      `${p.red('error')} ${env.error.code} at ${env.error.stage}: ${printable(env.error.message)}`,
    );
    if (env.error.cause) lines.push(`  cause: ${printable(env.error.cause)}`);
    lines.push(`  ${p.dim('what now:')} ${env.error.hint}`);
  }
  return `${lines.join('\n')}\n`;
}

/** renderEnvelope: print one envelope; `tables` draws the command's result for the table format. */
export function renderEnvelope<C extends string, R>(
  env: Envelope<C, R>,
  ctx: RenderContext,
  tables: (result: R) => string,
): void {
  if (ctx.format === 'json') {
    ctx.out.write(`${JSON.stringify(env, null, 2)}\n`);
  } else if (ctx.format === 'ndjson') {
    ctx.out.write(`${JSON.stringify(env)}\n`);
  } else {
    ctx.out.write(`${headline(env, ctx.paint)}\n`);
    if (env.result !== null) ctx.out.write(tables(env.result));
  }
}
