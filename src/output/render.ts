/**
 * renderEnvelope: the only place that decides how an envelope is printed:
 * a headline plus the command's tables (the error block on stderr), pretty
 * JSON, or one NDJSON line.
 */
import type { Envelope } from './envelope.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { formatDuration } from '../time/duration.js';
import { DEFAULT_COLUMNS, printable, type Paint } from './terminal.js';
import { wrapText } from './wrap.js';

/** FORMATS: the output formats every command offers. */
export const FORMATS = ['table', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

/** RenderContext: where and how to print. */
export interface RenderContext {
  format: Format;
  /** Results: the envelope (json, ndjson) or the headline and tables. */
  out: NodeJS.WritableStream;
  /** In table mode, the error block and its hint (a person reads it; a pipe of stdout keeps only results). */
  err: NodeJS.WritableStream;
  paint: Paint;
  /** Colours for what goes to `err` (stderr may be a terminal when stdout is not). */
  errPaint: Paint;
  color: boolean;
  /** Columns to fit tables in. */
  width: number;
}

// What a probe that ran (status ok) but exits non-zero means, in the words of the exit code table.
const OK_BUT: Record<number, string> = {
  [EXIT.DELAYED]: 'mail delivered late',
  [EXIT.UNDELIVERABLE]: 'mail not delivered',
};

/**
 * headline: "caps 127.0.0.10:2525 — ok in 12 ms". It agrees with the exit
 * code: a walk that ran but finds no host taking the mail (exit 8) reads
 * "— ok: mail not delivered (exit 8)", never a bare "ok".
 */
export function headline(
  env: Envelope<string, unknown>,
  p: Paint,
  exitCode: number = exitCodeFor(env.status, env.error?.code),
): string {
  const expected = exitCodeFor(env.status, env.error?.code);
  let status = env.status === 'ok' ? p.green(env.status) : p.red(env.status);
  if (exitCode !== expected) {
    const why = env.status === 'ok' ? OK_BUT[exitCode] : undefined;
    const text = `${env.status}${why ? `: ${why}` : ''} (exit ${exitCode})`;
    status = exitCode === EXIT.DELAYED ? p.yellow(text) : p.red(text);
  }
  return `${p.bold(`${env.command} ${printable(env.target)}`)} — ${status} in ${formatDuration(env.durationMs)}\n`;
}

/** errorBlock: the envelope's error, its cause and what to do about it, wrapped to `width`; empty when there is none. */
export function errorBlock(
  env: Envelope<string, unknown>,
  p: Paint,
  width: number = DEFAULT_COLUMNS,
): string {
  if (!env.error) return '';
  const lines = [
    wrapText(
      `${p.red('error')} ${env.error.code} at ${env.error.stage}: ${printable(env.error.message)}`,
      width,
      '  ',
    ),
  ];
  if (env.error.cause)
    lines.push(wrapText(`  cause: ${printable(env.error.cause)}`, width, '    '));
  lines.push(wrapText(`  ${p.dim('what now:')} ${env.error.hint}`, width, '    '));
  return `${lines.join('\n')}\n`;
}

/**
 * renderEnvelope: print one envelope; `tables` draws the command's result for
 * the table format. `exitCode` is the code the run exits with (default: the
 * status's own); the table headline says it when it is not the status's.
 * Under json/ndjson the envelope alone goes to `out`, error included.
 */
export function renderEnvelope<C extends string, R>(
  env: Envelope<C, R>,
  ctx: RenderContext,
  tables: (result: R) => string,
  exitCode: number = exitCodeFor(env.status, env.error?.code),
): void {
  if (ctx.format === 'json') {
    ctx.out.write(`${JSON.stringify(env, null, 2)}\n`);
  } else if (ctx.format === 'ndjson') {
    ctx.out.write(`${JSON.stringify(env)}\n`);
  } else {
    // Headline, error, blank line, tables: on a terminal the error reads right under the headline.
    ctx.out.write(headline(env, ctx.paint, exitCode));
    if (env.error) ctx.err.write(errorBlock(env, ctx.errPaint, ctx.width));
    if (env.result !== null) ctx.out.write(`\n${tables(env.result)}`);
  }
}
