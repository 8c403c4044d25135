/**
 * Step: the unit the lab's engine answers with, and the wire form of its
 * replies and commands. Pure: no sockets, no timers.
 */
import type { ReplySpec } from './personality.js';

/** Step: what the connection does for one command. */
export interface Step {
  /** lines: the framed reply ("250-…", "250 …"), without CRLF. */
  lines: string[];
  /** delayMs: wait this long before replying (a tarpit, throttling). */
  delayMs?: number;
  /** after: once the reply is written, close the connection or start TLS (RFC 3207 §4). */
  after?: 'close' | 'starttls';
  /** followedBy: a reply the host sends next without waiting for a command (Postfix's 421 once the error limit is reached). */
  followedBy?: Step;
}

/**
 * frame: reply lines in wire form: every line but the last has a hyphen after
 * the code (RFC 5321 §4.2.1). Control bytes become "?": replies echo client
 * text ({arg}, addresses), and a stray CR must not split a reply line.
 */
export function frame(code: number, lines: readonly string[]): string[] {
  const body = lines.length > 0 ? lines : [''];
  return body.map(
    (l, i) => `${code}${i === body.length - 1 ? ' ' : '-'}${l.replace(/[\x00-\x1f\x7f]/g, '?')}`,
  );
}

/** reply: a Step that is one reply, `code` and its text lines framed. */
export function reply(code: number, ...lines: string[]): Step {
  return { lines: frame(code, lines) };
}

/** fill: a ReplySpec made a Step: `{host}`, `{arg}` and `{domain}` filled in. */
export function fill(s: ReplySpec, host: string, arg: string, domain = ''): Step {
  const lines = typeof s.text === 'string' ? [s.text] : s.text;
  return reply(
    s.code,
    ...lines.map((l) =>
      l.replaceAll('{host}', host).replaceAll('{arg}', arg).replaceAll('{domain}', domain),
    ),
  );
}

/** codeOf: a Step's reply code (from its last line). */
export function codeOf(step: Step): number {
  return Number(step.lines.at(-1)?.slice(0, 3));
}

/** splitCommand: "mail FROM:<a>" to verb "MAIL" and argument "FROM:<a>" (verbs are case-insensitive, RFC 5321 §2.4). */
export function splitCommand(line: string): { verb: string; arg: string } {
  const text = line.trim();
  const space = text.search(/\s/);
  if (space === -1) return { verb: text.toUpperCase(), arg: '' };
  return { verb: text.slice(0, space).toUpperCase(), arg: text.slice(space + 1).trim() };
}
