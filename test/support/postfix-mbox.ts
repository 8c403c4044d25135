/**
 * The mbox files CI's Postfix and Exim deliver into ($SMTP_PROBE_POSTFIX_DIR/mail/alice, and
 * Exim's like it), read back as messages, and bounded waits for what delivery writes. Delivery
 * is asynchronous after the 250 to the end-of-data dot (Postfix: cleanup, qmgr, then local;
 * Exim: a delivery process forked after the reply), so a test polls until the Message-ID shows
 * up, and fails with what it saw when it does not within the bound.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** MboxMessage: one delivered message with the mbox framing taken off. */
export interface MboxMessage {
  /** separator: the "From sender date" line mbox puts before each message. */
  separator: string;
  /** header: the header block as delivered (LF line ends), without the blank line after it. */
  header: string;
  /** fields: the header fields in order, folded lines joined (RFC 5322 §2.2.3). */
  fields: [name: string, value: string][];
  /**
   * body: what follows the blank line, as latin1 text (one char per octet, so comparing it to a
   * file read as latin1 compares octets), without the blank line mbox appends to each message.
   */
  body: string;
}

/** parseMbox: the messages of an mbox file's text (read as latin1), in the order delivered. */
export function parseMbox(text: string): MboxMessage[] {
  // A message starts at a line beginning "From " (body lines that would are quoted as ">From ").
  const starts = [...text.matchAll(/^From /gm)].map((m) => m.index);
  return starts.map((start, i) => {
    const entry = text.slice(start, starts[i + 1] ?? text.length);
    const eol = entry.indexOf('\n');
    // local(8) and appendfile end each message with one empty line of their own.
    const message = entry.slice(eol + 1).replace(/\n$/, '');
    const blank = message.indexOf('\n\n');
    const header = blank < 0 ? message.replace(/\n$/, '') : message.slice(0, blank);
    return {
      separator: entry.slice(0, eol),
      header,
      fields: fieldsOf(header),
      body: blank < 0 ? '' : message.slice(blank + 2),
    };
  });
}

/** fieldsOf: `Name: value` pairs of a header block; a line starting with white space continues one. */
function fieldsOf(header: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of header.split('\n')) {
    const last = out.at(-1);
    if (/^[ \t]/.test(line) && last) last[1] += line;
    else {
      const colon = line.indexOf(':');
      out.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
  }
  return out;
}

/** fieldValues: every value of the named field (case-insensitive), in order. */
export function fieldValues(m: MboxMessage, name: string): string[] {
  return m.fields.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

/** readMbox: the messages in `file` now. */
export function readMbox(file: string): MboxMessage[] {
  return parseMbox(readFileSync(file, 'latin1'));
}

/** bareId: a Message-ID without its angle brackets, as mail logs write it. */
export const bareId = (id: string): string => id.trim().replace(/^<(.*)>$/, '$1');

/** Waited: what a wait found and how long it took. */
export interface Waited<T> {
  value: T;
  ms: number;
}

/**
 * waitFor: polls `probe` every 25 ms until it returns a value; throws after `ms` with `explain()`
 * (what the file held), so a delivery that never comes fails clearly instead of hanging.
 */
export async function waitFor<T>(
  probe: () => T | undefined,
  ms: number,
  explain: () => string,
): Promise<Waited<T>> {
  const t0 = performance.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return { value, ms: performance.now() - t0 };
    if (performance.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${explain()}`);
    await sleep(25);
  }
}

/** waitForMessage: the message with this Message-ID in the mbox `file`, once delivery wrote it. */
export function waitForMessage(
  file: string,
  messageId: string,
  ms: number,
): Promise<Waited<MboxMessage>> {
  const want = bareId(messageId);
  const find = (): MboxMessage | undefined =>
    readMbox(file).find((m) => fieldValues(m, 'Message-ID').some((v) => bareId(v) === want));
  return waitFor(find, ms, () => {
    const ids = readMbox(file).map((m) => fieldValues(m, 'Message-ID').join(' '));
    return `no Message-ID <${want}> in ${file}; it holds ${ids.length}: ${ids.join(', ')}`;
  });
}

/** waitForLogLine: the first line of the log `file` that matches `pattern`, once it is written. */
export function waitForLogLine(file: string, pattern: RegExp, ms: number): Promise<Waited<string>> {
  const find = (): string | undefined =>
    readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => pattern.test(l));
  return waitFor(find, ms, () => {
    const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
    return `no line of ${file} matches ${pattern}; its last lines:\n${tail}`;
  });
}
