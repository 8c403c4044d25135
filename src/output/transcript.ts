/**
 * The transcript as an admin reads it, in the spirit of `sendmail -v`: one
 * line per event, time since start, who spoke (">>>" us, "<<<" the server,
 * "***" the connection itself).
 */
import type { TranscriptEntry } from '../session/transcript.js';
import { printable, type Paint } from './terminal.js';

const ARROWS = { send: '>>>', recv: '<<<', note: '***' } as const;

/** formatTranscriptEntry: one transcript line, e.g. "  +0.004s <<< 220 mx.example.com ESMTP". */
export function formatTranscriptEntry(entry: TranscriptEntry, p: Paint, label?: string): string {
  const time = `+${(entry.atMs / 1000).toFixed(3)}s`.padStart(9);
  const arrow = ARROWS[entry.dir];
  const text = printable(entry.line);
  const body =
    entry.dir === 'send'
      ? p.cyan(`${arrow} ${text}`)
      : entry.dir === 'note'
        ? p.dim(`${arrow} ${text}`)
        : `${arrow} ${text}`;
  return `${label ? `${p.dim(label)} ` : ''}${p.dim(time)} ${body}`;
}
