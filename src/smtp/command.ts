/**
 * Command formatting, pure. Every builder refuses control bytes (the check Go's
 * textproto and Python's smtplib make), because CR/LF in an argument is
 * command injection; the guard itself is errors.ts's assertSafe.
 */
import { assertSafe } from '../errors.js';

/** command: a command line from a verb and optional argument, checked for control bytes. */
export function command(verb: string, arg?: string): string {
  assertSafe(`${verb} command`, verb);
  if (arg === undefined || arg === '') return verb;
  assertSafe(`${verb} argument`, arg);
  return `${verb} ${arg}`;
}

/** ehlo / helo / mailFrom / rcptTo / vrfy / expn: one builder per SMTP verb (RFC 5321 §4.1.1). */
export const ehlo = (name: string): string => command('EHLO', name);
export const helo = (name: string): string => command('HELO', name);
export const mailFrom = (path: string, params = ''): string =>
  command('MAIL', `FROM:<${path}>${params ? ` ${params}` : ''}`);
export const rcptTo = (path: string, params = ''): string =>
  command('RCPT', `TO:<${path}>${params ? ` ${params}` : ''}`);
export const vrfy = (what: string): string => command('VRFY', what);
export const expn = (what: string): string => command('EXPN', what);

/** isAuthCommand: whether a client line starts an AUTH exchange (its payload must be redacted). */
export function isAuthCommand(line: string): boolean {
  return /^AUTH\s/i.test(line);
}
