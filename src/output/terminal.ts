/**
 * What output may do to a terminal: colour only on a TTY and never when
 * NO_COLOR is set (no-color.org), how wide to draw, and never let a server's bytes reach the
 * terminal raw — an escape sequence in a banner could rewrite the screen.
 */
import { CONTROL_BYTES } from '../guard.js';

/**
 * useColor: whether to colour output written to `stream`. NO_COLOR wins (a
 * user who asked for no colour gets none, whatever a wrapper exports), then
 * FORCE_COLOR (`0`/`false` off, anything else on), then TTY-ness and TERM.
 */
export function useColor(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** DEFAULT_COLUMNS: the width tables fit when neither COLUMNS nor a terminal says otherwise. */
export const DEFAULT_COLUMNS = 120;
/** MAX_COLUMNS: tables never grow wider than this, however wide the terminal (long rows are hard to read). */
export const MAX_COLUMNS = 140;

/**
 * outputColumns: the columns to fit output in — COLUMNS when it is a positive
 * whole number (piped or not: `COLUMNS=80 smtp-probe … | less`), else the
 * terminal's width when `stream` is one, else DEFAULT_COLUMNS; at most MAX_COLUMNS.
 */
export function outputColumns(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  env: NodeJS.ProcessEnv = process.env,
): number {
  const fromEnv = /^\d+$/.test(env.COLUMNS?.trim() ?? '') ? Number(env.COLUMNS) : 0;
  const fromTty = stream.isTTY === true && (stream.columns ?? 0) > 0 ? stream.columns! : 0;
  return Math.min(MAX_COLUMNS, fromEnv || fromTty || DEFAULT_COLUMNS);
}

const CONTROL_ALL = new RegExp(CONTROL_BYTES.source, 'g');

/** printable: `text` with every control byte shown as \xNN, safe to print. */
export function printable(text: string): string {
  return text.replace(CONTROL_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Paint: colour functions that are identity when colour is off. */
export interface Paint {
  bold: (s: string) => string;
  dim: (s: string) => string;
  red: (s: string) => string;
  green: (s: string) => string;
  yellow: (s: string) => string;
  cyan: (s: string) => string;
}

const sgr =
  (open: number, close: number) =>
  (s: string): string =>
    `\u001b[${open}m${s}\u001b[${close}m`;

/** paint: a Paint for the chosen colour mode. */
export function paint(color: boolean): Paint {
  const id = (s: string): string => s;
  return color
    ? {
        bold: sgr(1, 22),
        dim: sgr(2, 22),
        red: sgr(31, 39),
        green: sgr(32, 39),
        yellow: sgr(33, 39),
        cyan: sgr(36, 39),
      }
    : { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };
}
