/**
 * Domain names and resolver addresses from user text, checked before any
 * packet is built: a name DNS cannot carry is refused with what exactly is
 * wrong, so "nothing was sent" holds for DNS as it does for SMTP.
 */
import { ipFamily } from '../ip.js';
import { domainToASCII, domainToUnicode } from 'node:url';
import { assertSafe, invalidInput } from '../errors.js';
import { formatEndpoint } from '../net/target.js';
import type { DomainName } from '../schema/dns.js';

/** MAX_LABEL_OCTETS: RFC 1035 §2.3.4, a label is at most 63 octets. */
export const MAX_LABEL_OCTETS = 63;
/**
 * MAX_NAME_OCTETS: RFC 1035 §2.3.4 allows 255 octets on the wire; that is
 * 253 in text once the length octets and the root label are counted.
 */
export const MAX_NAME_OCTETS = 253;
/** DNS_PORT: RFC 1035 §4.2, the port DNS servers listen on. */
export const DNS_PORT = 53;

/**
 * ServerAddress: a DNS server, as an IP literal (no brackets) and a port; for DNS over HTTPS
 * (RFC 8484) also its URL, which is then where queries go (`address` is the URL's host, which
 * may be a name, and `port` its port).
 */
export interface ServerAddress {
  address: string;
  port: number;
  url?: string;
}

/** DOH_PORT: the port of an https: resolver URL that names none. */
export const DOH_PORT = 443;

/** serverLabel: how a server is named in the trace and in results: its DoH URL, else address:port. */
export function serverLabel(server: ServerAddress): string {
  return server.url ?? formatEndpoint(server.address, server.port);
}

// Full stops IDNA treats as label separators (UTS #46 §2.3): ASCII, ideographic, fullwidth, halfwidth.
const SEPARATORS = /[.\u3002\uff0e\uff61]/;
// LDH (RFC 1035 §2.3.1, RFC 1123 §2.1) plus underscore, which real names carry (_dmarc, _mta-sts, SRV owners).
const LDH_CHAR = /[^a-z0-9_-]/;

/** short: a label or name as quoted in a message, cut so a 300-octet mistake stays readable. */
function short(text: string): string {
  return text.length > 24 ? `${text.slice(0, 20)}…` : text;
}

/** toALabel: one label in A-label form (lower-case ASCII), or INVALID_INPUT saying why it cannot be one. */
function toALabel(label: string, input: string): string {
  if (/^[\u0000-\u007f]*$/.test(label)) {
    const lower = label.toLowerCase();
    // A label that claims to be punycode must decode (RFC 5890 §2.3.2.1: otherwise it is a "fake A-label").
    if (lower.startsWith('xn--') && domainToUnicode(lower) === '') {
      throw invalidInput(
        `domain "${short(input)}": label "${short(label)}" starts with xn-- but is not valid punycode (RFC 5891 §5.4)`,
      );
    }
    return lower;
  }
  // Per label, never the whole name: the WHATWG host parser behind domainToASCII would
  // otherwise read a numeric last label as IPv4 ("1.2.3" → "1.2.0.3").
  const ascii = domainToASCII(label);
  if (ascii === '' || ascii.includes('.')) {
    throw invalidInput(
      `domain "${short(input)}": label "${short(label)}" is not a valid internationalized label (IDNA, UTS #46 refuses it)`,
    );
  }
  return ascii;
}

/** checkLabel: the LDH and length rules for one A-label; throws INVALID_INPUT naming the rule broken. */
function checkLabel(label: string, input: string): void {
  const octets = Buffer.byteLength(label);
  if (octets > MAX_LABEL_OCTETS) {
    throw invalidInput(
      `domain "${short(input)}": label "${short(label)}" is ${octets} octets; the limit is ${MAX_LABEL_OCTETS} (RFC 1035 §2.3.4)`,
    );
  }
  const bad = LDH_CHAR.exec(label);
  if (bad) {
    const hex = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw invalidInput(
      `domain "${short(input)}": label "${short(label)}" contains "${bad[0]}" (0x${hex}) at offset ${bad.index}; labels are letters, digits, hyphens and underscores (RFC 1035 §2.3.1)`,
    );
  }
  if (label.startsWith('-') || label.endsWith('-')) {
    throw invalidInput(
      `domain "${short(input)}": label "${short(label)}" starts or ends with a hyphen; host names may not (RFC 1123 §2.1)`,
    );
  }
}

/**
 * normalizeDomain: a domain name from user text, in A-labels (what DNS sees)
 * and U-labels (what a person reads). Trims, drops one trailing root dot,
 * lower-cases, converts IDN labels (IDNA via node:url), and refuses control
 * bytes, IP literals, empty labels, labels over 63 octets, names over 253
 * octets and characters outside LDH + underscore, with INVALID_INPUT saying
 * exactly which rule broke. Caveat: it checks syntax only; whether the name
 * exists is for DNS to say.
 */
export function normalizeDomain(input: string): DomainName {
  assertSafe('domain name', input);
  const trimmed = input.trim();
  const text = trimmed.replace(/[.\u3002\uff0e\uff61]$/, '');
  if (text === '') {
    throw invalidInput(
      trimmed === ''
        ? 'domain name is empty'
        : `domain "${input}" is only the root; give a name such as example.com`,
    );
  }
  if (ipFamily(text) !== 0 || ipFamily(text.replace(/^\[(.*)\]$/, '$1')) !== 0) {
    throw invalidInput(
      `"${text}" is an IP address, not a domain name; DNS lookups here take names`,
    );
  }
  const labels = text.split(SEPARATORS);
  const empty = labels.indexOf('');
  if (empty !== -1) {
    const where = empty === 0 ? 'a leading dot' : 'two dots in a row';
    throw invalidInput(
      `domain "${short(input)}": label ${empty + 1} is empty (${where}); every label needs 1 to 63 octets (RFC 1035 §2.3.4)`,
    );
  }
  const ascii = labels.map((label) => toALabel(label, input));
  for (const label of ascii) checkLabel(label, input);
  const name = ascii.join('.');
  // IDNA's other full stops can spell an address the check above did not see ("127。0。0。1").
  if (ipFamily(name) !== 0)
    throw invalidInput(
      `"${text}" is an IP address, not a domain name; DNS lookups here take names`,
    );
  if (name.length > MAX_NAME_OCTETS) {
    throw invalidInput(
      `domain "${short(input)}" is ${name.length} octets; the limit is ${MAX_NAME_OCTETS} (255 on the wire, RFC 1035 §2.3.4)`,
    );
  }
  const unicode = ascii
    .map((label) => (label.startsWith('xn--') ? domainToUnicode(label) : label))
    .join('.');
  return { input, ascii: name, unicode };
}

/**
 * parseResolverAddress: a DNS server from `IP`, `IP:port`, `[IPv6]` or
 * `[IPv6]:port` (a bare IPv6 literal is always an address; port 53 by
 * default), or a DNS-over-HTTPS URL `https://host[:port]/path`. Plain servers
 * are IP literals only: a resolver given by name would need a resolver to
 * find it (a DoH URL's host is found by the system, as a browser does).
 * Throws INVALID_INPUT.
 */
export function parseResolverAddress(text: string): ServerAddress {
  assertSafe('resolver address', text);
  const value = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return parseDohUrl(value);
  const usage = 'give IP, IP:port, [IPv6]:port or https://host/dns-query';
  if (value === '') throw invalidInput(`resolver address is empty; ${usage}`);
  let address = value;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    address = bracketed[1]!;
    portText = bracketed[2];
    if (ipFamily(address) !== 6)
      throw invalidInput(`resolver "${text}": [${address}] is not an IPv6 address`);
  } else if (ipFamily(value) === 0 && value.includes(':')) {
    const colon = value.lastIndexOf(':');
    address = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (address.includes(':'))
      throw invalidInput(`resolver "${text}": write an IPv6 address with a port as [addr]:port`);
  }
  if (ipFamily(address) === 0) {
    throw invalidInput(
      `resolver "${text}": "${address}" is not an IP address; ${usage} (a name would need a resolver to find the resolver)`,
    );
  }
  if (portText === undefined) return { address, port: DNS_PORT };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw invalidInput(`resolver "${text}": port "${portText}" is not a number from 1 to 65535`);
  return { address, port };
}

/**
 * parseDohUrl: a DoH server from its URL; INVALID_INPUT unless it is https (RFC 8484 §5.1: "The
 * URI scheme MUST be https") with a host. The URL is kept as given, normalised by WHATWG URL.
 */
export function parseDohUrl(text: string): ServerAddress & { url: string } {
  const usage = 'give https://host[:port]/dns-query';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput(`resolver "${text}" is not a URL; ${usage}`);
  }
  if (url.protocol !== 'https:')
    throw invalidInput(`resolver ${url.href} is not https (RFC 8484 §5.1); ${usage}`);
  if (url.username || url.password)
    throw invalidInput(
      `resolver ${url.href}: a user name or password in the URL is not supported; ${usage}`,
    );
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { address: host, port: url.port ? Number(url.port) : DOH_PORT, url: url.href };
}
