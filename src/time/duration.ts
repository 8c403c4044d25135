/**
 * Durations as people write and read them: flags ("500ms", "5s", "2m") in,
 * milliseconds out; milliseconds back to text for tables and messages.
 */
import { invalidInput } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
/** MAX_DURATION_MS: one day; setTimeout cannot hold more than ~24.8 days and nothing here needs that. */
const MAX_DURATION_MS = 86_400_000;

/** parseDuration: "500ms", "5s", "2m", "1.5s", or a bare number of seconds, to milliseconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m) throw invalidInput(`${flag} "${text}" is not a duration; write it like 500ms, 5s or 2m`);
  const ms = Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
  if (ms <= 0 || ms > MAX_DURATION_MS)
    throw invalidInput(`${flag} "${text}" must be more than 0 and at most 24h`);
  return ms;
}

/** formatDuration: milliseconds the way a person reads them (0.4 ms, 12 ms, 1.25 s, 2m05s, 1h05m, 4d, 4d6h). */
export function formatDuration(ms: number): string {
  // Each bound is where the rounding below would carry into the next unit (999.6 must not print "1000 ms").
  if (ms < 9.95) return `${ms.toFixed(1)} ms`;
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  if (ms < 59_995) return `${(ms / 1000).toFixed(2)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  // Queue lifetimes run to days: minutes and seconds stop meaning anything there.
  const m = Math.round(s / 60);
  if (m < 24 * 60) return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
  const h = Math.round(m / 60);
  return h % 24 === 0 ? `${h / 24}d` : `${Math.floor(h / 24)}d${h % 24}h`;
}

/** roundMs: milliseconds to 0.1 ms, the precision worth printing. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** formatDurationFlag: milliseconds the way a flag takes them back ("10s", "2m", "1500ms"). */
export function formatDurationFlag(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
