/**
 * Command formatting, pure. Safety lives here once: no argument containing a
 * control byte ever reaches a socket (the check Go's textproto and Python's
 * smtplib make), because CR/LF in an argument is command injection.
 */
import { invalidInput } from '../errors.js';

// C0 controls, DEL and the C1 range: any of them in a command line is either
// injection (CR, LF) or a byte a server may mangle; none belongs in SMTP text.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** describeControl: the first control byte in a string, as a user reads it ("CR at offset 5"). */
function describeControl(value: string): string | undefined {
  const m = CONTROL.exec(value);
  if (!m) return undefined;
  const names: Record<string, string> = {
    '\r': 'CR',
    '\n': 'LF',
    '\u0000': 'NUL',
    '\t': 'TAB',
    '\u007f': 'DEL',
  };
  const code = m[0].charCodeAt(0);
  const name = names[m[0]] ?? `control byte 0x${code.toString(16).padStart(2, '0')}`;
  return `${name} at offset ${m.index}`;
}

/**
 * assertSafe: throws INVALID_INPUT (stage input) when `value` holds a control
 * byte. `what` names the argument in the message ("HELO name", "address").
 */
export function assertSafe(what: string, value: string): void {
  const found = describeControl(value);
  if (found) {
    throw invalidInput(
      `${what} contains ${found} (${JSON.stringify(value)}); control bytes are refused so nothing can be injected into the SMTP stream`,
    );
  }
}

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
export const rcptTo = (path: string): string => command('RCPT', `TO:<${path}>`);
export const vrfy = (what: string): string => command('VRFY', what);
export const expn = (what: string): string => command('EXPN', what);

/** isAuthCommand: whether a client line starts an AUTH exchange (its payload must be redacted). */
export function isAuthCommand(line: string): boolean {
  return /^AUTH\s/i.test(line);
}
