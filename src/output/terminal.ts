/**
 * What output may do to a terminal: colour only on a TTY and never when
 * NO_COLOR is set (no-color.org), and never let a server's bytes reach the
 * terminal raw — an escape sequence in a banner could rewrite the screen.
 */
import { CONTROL_BYTES } from '../guard.js';

/** useColor: whether to colour output written to `stream`. FORCE_COLOR wins, then NO_COLOR, then TTY-ness. */
export function useColor(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
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
