/**
 * A test message (RFC 5322), pure: the header fields a recognisable test needs — Date,
 * Message-ID with our host name, From and To from the envelope, Subject — then the user's
 * `Name: value` fields (one of the same name replaces a default), a blank line and the body.
 * Header names and values are checked before anything is sent: a name is printable ASCII
 * without ":" (§2.2), a value has no control byte but tab, and a field longer than 998 octets is
 * folded at a space (§2.2.3) or refused. An 8-bit body gets MIME headers saying so (RFC 2045).
 */
import { isUtf8 } from 'node:buffer';

/** MessageInput: the envelope, the user's fields, the body, and what makes the message unique. */
export interface MessageInput {
  from: string;
  to: readonly string[];
  subject?: string;
  /** headers: `Name: value` as the user wrote them. */
  headers?: readonly string[];
  /** body: text, or a file's octets as they are (which need not be UTF-8). */
  body: string | Buffer;
  /** hostname: the right side of the Message-ID (our FQDN, else a literal). */
  hostname: string;
  now: Date;
  /** unique: random text for the Message-ID's left side. */
  unique: string;
}

/** BuiltMessage: the message's octets (LF line ends in the fields; encodeData makes every end CRLF), or why not. */
export type BuiltMessage = { ok: true; bytes: Buffer } | { ok: false; reason: string };

/** MAX_FIELD_LINE: a header line's octets before CRLF (RFC 5322 §2.1.1, as SMTP's line limit). */
const MAX_FIELD_LINE = 998;
// A field name: printable ASCII but ":" (RFC 5322 §2.2, ftext).
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
// What a value may not hold: control bytes other than tab, and DEL.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** buildMessage: see the module comment. */
export function buildMessage(m: MessageInput): BuiltMessage {
  const fields: [string, string][] = [
    ['Date', rfc5322Date(m.now)],
    ['Message-ID', `<${m.now.getTime().toString(36)}.${m.unique}@${m.hostname}>`],
    ['From', `<${m.from}>`],
    ['To', m.to.map((t) => `<${t}>`).join(', ')],
    ['Subject', m.subject ?? 'smtp-probe test message'],
  ];
  const body = typeof m.body === 'string' ? Buffer.from(m.body) : m.body;
  if (body.some((octet) => octet > 0x7f))
    fields.push(
      ['MIME-Version', '1.0'],
      // RFC 1428's unknown-8bit: octets that are not UTF-8 must not be labelled as UTF-8.
      ['Content-Type', `text/plain; charset=${isUtf8(body) ? 'utf-8' : 'unknown-8bit'}`],
      ['Content-Transfer-Encoding', '8bit'],
    );
  for (const raw of m.headers ?? []) {
    const colon = raw.indexOf(':');
    const name = colon > 0 ? raw.slice(0, colon).trim() : '';
    if (!FIELD_NAME.test(name))
      return {
        ok: false,
        reason: `--header "${raw}": write Name: value (a name of printable ASCII without ":")`,
      };
    const value = raw.slice(colon + 1).trim();
    const i = fields.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    if (i >= 0) fields[i] = [name, value];
    else fields.push([name, value]);
  }
  const lines: string[] = [];
  for (const [name, value] of fields) {
    if (CONTROL.test(value))
      return {
        ok: false,
        reason: `header ${name}: its value holds a control byte (CR, LF and NUL included); nothing was sent`,
      };
    const folded = fold(`${name}: ${value}`);
    if (folded === null)
      return {
        ok: false,
        reason: `header ${name}: longer than ${MAX_FIELD_LINE} octets with no space to fold it at (RFC 5322 §2.2.3)`,
      };
    lines.push(folded);
  }
  return { ok: true, bytes: Buffer.concat([Buffer.from(`${lines.join('\n')}\n\n`), body]) };
}

/** fold: a field as lines of at most MAX_FIELD_LINE octets, broken before a space (§2.2.3); null when it cannot be. */
function fold(field: string): string | null {
  const out: Buffer[] = [];
  // Octets, not characters: the limit is in octets, and a space is one octet in UTF-8.
  let rest = Buffer.from(field);
  const nameEnd = rest.indexOf(':') + 1;
  while (rest.length > MAX_FIELD_LINE) {
    const at = rest.lastIndexOf(0x20, MAX_FIELD_LINE);
    // A break must leave something on the line and must not split the "Name:" from its value.
    if (at <= (out.length === 0 ? nameEnd : 0)) return null;
    out.push(rest.subarray(0, at));
    rest = rest.subarray(at);
  }
  out.push(rest);
  return out.map((b) => b.toString()).join('\n');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** rfc5322Date: `Wed, 02 Dec 2026 04:46:00 +0000` (RFC 5322 §3.3), in UTC. */
export function rfc5322Date(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** BodyFacts: what the default body says, so the message is recognisable in a mailbox. */
export interface BodyFacts {
  from: string;
  to: readonly string[];
  /** route: how the server was chosen ("--server mx.example.com:25", "MX of example.com"). */
  route: string;
  /** hostname: the machine it was sent from. */
  hostname: string;
  now: Date;
}

/** defaultBody: a body naming the tool, the time and the route, for a send without --body. */
export function defaultBody(f: BodyFacts): string {
  return [
    'This is a test message sent by smtp-probe to check a mail route.',
    '',
    `Sent:  ${rfc5322Date(f.now)} from ${f.hostname}`,
    `From:  <${f.from}>`,
    `To:    ${f.to.map((t) => `<${t}>`).join(', ')}`,
    `Route: ${f.route}`,
    '',
    'It needs no answer.',
    '',
  ].join('\n');
}
