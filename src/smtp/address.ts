/**
 * Mailbox syntax (RFC 5321 §4.1.2): local-part "@" domain, the local part a
 * dot-string or a quoted string, the domain a name (IDN → A-labels) or an
 * address literal. Anything else is refused before a connection opens.
 */
import { domainToASCII } from 'node:url';
import { ipFamily } from '../ip.js';
import { assertSafe, invalidInput } from '../errors.js';

/** MAX_LOCAL_PART_OCTETS / MAX_PATH_OCTETS: RFC 5321 §4.5.3.1.1 and §4.5.3.1.3. */
export const MAX_LOCAL_PART_OCTETS = 64;
export const MAX_PATH_OCTETS = 256;

/** Mailbox: a checked address; `smtputf8` when the local part is not ASCII (RFC 6531: needs the SMTPUTF8 extension). */
export interface Mailbox {
  input: string;
  localPart: string;
  /** The domain in A-labels, or an address literal in brackets. */
  domain: string;
  /** What goes between < and > on the wire. */
  address: string;
  smtputf8: boolean;
}

// RFC 5321 §4.1.2 atext: letters, digits and these; dots separate atoms.
const DOT_STRING =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+)*$/u;
// RFC 5321 §4.1.2 quoted-string: printable ASCII except " and \, or a backslash pair.
const QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\uffff]|\\[\x20-\x7e])*"$/u;

/** parseMailbox: a Mailbox from user text ("user@example.com", "\"john doe\"@example.com"), or INVALID_INPUT. */
export function parseMailbox(input: string): Mailbox {
  assertSafe('address', input);
  const text = input.trim().replace(/^<(.*)>$/, '$1');
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1)
    throw invalidInput(`"${input}" is not an address: write local-part@domain`);
  const localPart = text.slice(0, at);
  const domainText = text.slice(at + 1);
  if (!DOT_STRING.test(localPart) && !QUOTED.test(localPart)) {
    throw invalidInput(
      `"${input}": the local part "${localPart}" is neither a dot-string nor a quoted string (RFC 5321 §4.1.2); quote it, e.g. "\\"${localPart.replace(/"/g, '')}\\"@${domainText}"`,
    );
  }
  if (Buffer.byteLength(localPart) > MAX_LOCAL_PART_OCTETS)
    throw invalidInput(
      `"${input}": the local part is longer than ${MAX_LOCAL_PART_OCTETS} octets (RFC 5321 §4.5.3.1.1)`,
    );
  const domain = parseDomainPart(domainText, input);
  const address = `${localPart}@${domain}`;
  if (Buffer.byteLength(address) + 2 > MAX_PATH_OCTETS)
    throw invalidInput(
      `"${input}" is longer than a path may be (${MAX_PATH_OCTETS} octets, RFC 5321 §4.5.3.1.3)`,
    );
  return { input, localPart, domain, address, smtputf8: /[^\x00-\x7f]/.test(localPart) };
}

function parseDomainPart(text: string, input: string): string {
  const literal = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(text);
  if (literal) {
    const family = /^\[IPv6:/i.test(text) ? 6 : 4;
    if (ipFamily(literal[1]!) !== family)
      throw invalidInput(
        `"${input}": ${text} is not an address literal like [192.0.2.1] or [IPv6:2001:db8::1]`,
      );
    return text;
  }
  const ascii = domainToASCII(text.replace(/\.$/, ''));
  const labels = ascii.split('.');
  if (
    !ascii ||
    ascii.length > 253 ||
    labels.some(
      (l) => l.length === 0 || l.length > 63 || !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(l),
    )
  ) {
    throw invalidInput(`"${input}": "${text}" is not a valid domain`);
  }
  return ascii;
}

/** parseUserOrMailbox: VRFY/EXPN take either a bare user name ("postmaster") or a mailbox. */
export function parseUserOrMailbox(input: string): string {
  assertSafe('user', input);
  const text = input.trim();
  if (text.includes('@')) return parseMailbox(text).address;
  if (!DOT_STRING.test(text) && !QUOTED.test(text))
    throw invalidInput(`"${input}" is not a user name or an address`);
  return text;
}

/**
 * madeUpLocalPart: a local part no site has (random hex), to tell a blanket
 * answer from a real lookup: the census's and vrfy's control name, verify's
 * catch-all test. Fresh each call, so a server cannot learn and whitelist it.
 */
export function madeUpLocalPart(): string {
  // Web Crypto (a global in Node 20): node:crypto is not loaded for a run that never needs it.
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return `smtp-probe-${Buffer.from(bytes).toString('hex')}`;
}
