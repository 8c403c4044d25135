/**
 * The DATA half of SMTP, pure: a message as the octets that follow `354` (RFC 5321 §4.1.1.4) —
 * every line ended by CRLF whatever the input used, a line that starts with "." given a second
 * one (transparency, §4.5.2), and the end-of-data line "." — refused with the line number when a
 * line is longer than the 1,000 octets §4.5.3.1.6 allows (998 and CRLF) or a bare NUL is in it.
 * It also says what the body needs from the server: 8BITMIME for octets over 127 (RFC 6152).
 * Nothing here sends; only `send` may use it.
 */

/** MAX_LINE_OCTETS: a text line without its CRLF (RFC 5321 §4.5.3.1.6: 1000 with it). */
export const MAX_LINE_OCTETS = 998;

/** DataEncoding: the octets to send after 354, ending with CRLF.CRLF, and what the body needs. */
export interface DataEncoding {
  ok: true;
  bytes: Buffer;
  /** eightBit: an octet over 127 somewhere: BODY=8BITMIME is needed (RFC 6152 §3). */
  eightBit: boolean;
  /** lines: message lines sent (the end-of-data line not counted). */
  lines: number;
  /** stuffed: lines that began with "." and got another (§4.5.2). */
  stuffed: number;
  /** size: the message's size as SIZE= declares it: its octets with CRLF line ends, before stuffing (RFC 1870 §3). */
  size: number;
}

/** DataRefusal: why the message cannot go as it is, and the (1-based) line. */
export interface DataRefusal {
  ok: false;
  line: number;
  reason: string;
}

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/**
 * encodeData: see the module comment. A line end is CRLF, a lone LF, or a lone CR (all sent as
 * CRLF: a bare CR or LF in DATA is what SMTP smuggling rides on). A final line without an end
 * gets one.
 */
export function encodeData(message: Buffer | string): DataEncoding | DataRefusal {
  const input = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  const out: Buffer[] = [];
  let lines = 0;
  let stuffed = 0;
  let size = 0;
  let eightBit = false;
  let start = 0;
  while (start < input.length) {
    let end = start;
    while (end < input.length && input[end] !== CR && input[end] !== LF) end++;
    const line = input.subarray(start, end);
    lines++;
    if (line.length > MAX_LINE_OCTETS)
      return {
        ok: false,
        line: lines,
        reason: `line ${lines} is ${line.length} octets; SMTP allows ${MAX_LINE_OCTETS} before CRLF (RFC 5321 §4.5.3.1.6)`,
      };
    if (line.includes(0))
      return {
        ok: false,
        line: lines,
        reason: `line ${lines} contains a NUL octet (RFC 5322 §2.1)`,
      };
    if (!eightBit && line.some((b) => b > 0x7f)) eightBit = true;
    if (line[0] === DOT) {
      out.push(Buffer.from('.'));
      stuffed++;
    }
    out.push(line, Buffer.from('\r\n'));
    size += line.length + 2;
    // CRLF is one line end; so is a lone CR or LF.
    start = input[end] === CR && input[end + 1] === LF ? end + 2 : end + 1;
  }
  out.push(Buffer.from('.\r\n'));
  return { ok: true, bytes: Buffer.concat(out), eightBit, lines, stuffed, size };
}
