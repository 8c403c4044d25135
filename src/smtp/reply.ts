/**
 * SMTP replies as data (RFC 5321 §4.2), with the RFC 3463 enhanced status
 * code parsed once. A 4xx/5xx reply is a result, never an exception: only a
 * reply that breaks the syntax is an error.
 */

import type { Reply } from '../schema/smtp.js';

/** Reply: one complete server reply (schema in schema/smtp.ts). `lines` keep the enhanced code as sent. */
export type { Reply };

/** MAX_REPLY_LINES: lines per reply. A continuation that never ends hits this (or the octet cap) and fails. */
export const MAX_REPLY_LINES = 512;
/** MAX_REPLY_OCTETS: octets per reply (64 KiB), so a hostile server cannot exhaust memory. */
export const MAX_REPLY_OCTETS = 64 * 1024;

/** ReplySyntaxError: a reply line that is not SMTP; `kind` tells which rule it broke, `line` quotes it. */
export class ReplySyntaxError extends Error {
  constructor(
    readonly kind:
      | 'short-line'
      | 'bad-code'
      | 'bad-separator'
      | 'code-mismatch'
      | 'too-many-lines'
      | 'too-large',
    readonly line: string,
    detail: string,
  ) {
    super(`${detail}: "${line.length > 80 ? `${line.slice(0, 80)}…` : line}"`);
  }
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/;

/** parseEnhanced: the RFC 3463 code at the start of a reply text, if it agrees with the reply's class. */
export function parseEnhanced(code: number, text: string): string | undefined {
  const m = ENHANCED.exec(text);
  if (!m || Number(m[1]) !== Math.floor(code / 100)) return undefined;
  return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
}

/** replyText: the reply's lines joined, enhanced codes stripped, for a human. */
export function replyText(reply: Reply): string {
  return reply.lines
    .map((l) => (reply.enhanced ? l.replace(ENHANCED, '').trimStart() : l))
    .join(' / ');
}

/** replyClass: 2, 3, 4 or 5 (RFC 5321 §4.2.1 first digit). */
export function replyClass(reply: Reply): 2 | 3 | 4 | 5 {
  return Math.floor(reply.code / 100) as 2 | 3 | 4 | 5;
}

/** formatReply: the reply as it appeared on the wire (one string per line). */
export function formatReply(reply: Reply): string[] {
  return reply.lines.map((l, i) => `${reply.code}${i === reply.lines.length - 1 ? ' ' : '-'}${l}`);
}

interface ParsedLine {
  code: number;
  last: boolean;
  text: string;
}

/** parseReplyLine: one line of a reply. Throws ReplySyntaxError. */
export function parseReplyLine(line: string): ParsedLine {
  if (line.length < 3) throw new ReplySyntaxError('short-line', line, 'short reply line');
  // RFC 5321 §4.2: first digit 2-5, second 0-5, third 0-9.
  if (!/^[2-5][0-5][0-9]/.test(line))
    throw new ReplySyntaxError('bad-code', line, 'reply line without a valid code');
  const sep = line.charAt(3);
  if (sep !== '' && sep !== ' ' && sep !== '-') {
    throw new ReplySyntaxError('bad-separator', line, 'reply code not followed by space or hyphen');
  }
  return { code: Number(line.slice(0, 3)), last: sep !== '-', text: line.slice(4) };
}

/**
 * ReplyAssembler: feeds lines, yields complete replies. Lines without a code
 * inside a multi-line reply are kept as text (seen in the wild after long
 * 250- lines); mismatched codes and unbounded continuations are errors.
 */
export class ReplyAssembler {
  private code = 0;
  private lines: string[] = [];
  private octets = 0;

  /** inProgress: whether a multi-line reply has started and not ended. */
  get inProgress(): boolean {
    return this.lines.length > 0;
  }

  /** push: one line; returns the reply it completed, if any. Throws ReplySyntaxError. */
  push(line: string): Reply | undefined {
    this.octets += line.length + 2;
    if (this.octets > MAX_REPLY_OCTETS) {
      this.reset();
      throw new ReplySyntaxError('too-large', line, `reply larger than ${MAX_REPLY_OCTETS} octets`);
    }
    if (this.inProgress && !/^\d{3}(?:[ -]|$)/.test(line)) {
      return this.add(line, false);
    }
    const parsed = parseReplyLine(line);
    if (this.inProgress && parsed.code !== this.code) {
      const expected = this.code;
      this.reset();
      throw new ReplySyntaxError(
        'code-mismatch',
        line,
        `multi-line reply changed code from ${expected} to ${parsed.code}`,
      );
    }
    this.code = parsed.code;
    return this.add(parsed.text, parsed.last);
  }

  /** reset: drop a partial reply (after an error, or RFC 3207 §6 after STARTTLS). */
  reset(): void {
    this.code = 0;
    this.lines = [];
    this.octets = 0;
  }

  private add(text: string, last: boolean): Reply | undefined {
    this.lines.push(text);
    if (this.lines.length > MAX_REPLY_LINES) {
      this.reset();
      throw new ReplySyntaxError(
        'too-many-lines',
        text,
        `reply longer than ${MAX_REPLY_LINES} lines`,
      );
    }
    if (!last) return undefined;
    const enhanced = parseEnhanced(this.code, this.lines[0] ?? '');
    const reply: Reply = enhanced
      ? { code: this.code, enhanced, lines: this.lines }
      : { code: this.code, lines: this.lines };
    this.reset();
    return reply;
  }
}
