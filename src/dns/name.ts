/**
 * Domain names as users type them and as DNS needs them: one trailing dot
 * dropped, IDN converted to A-labels (shown in both forms), lengths checked
 * (RFC 1035 §2.3.4) — all before any query is sent.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { isIP } from 'node:net';
import { invalidInput } from '../errors.js';
import { assertSafe } from '../smtp/command.js';
import type { DomainName } from '../schema/dns.js';

/** MAX_LABEL_OCTETS / MAX_NAME_OCTETS: RFC 1035 §2.3.4 (253 in text form, without the root dot). */
export const MAX_LABEL_OCTETS = 63;
export const MAX_NAME_OCTETS = 253;

// Letters, digits, hyphen (RFC 1123 §2.1); underscore appears in real owner names (SRV, DKIM).
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** normalizeDomain: a DomainName from user text, or INVALID_INPUT saying what is wrong. */
export function normalizeDomain(input: string): DomainName {
  assertSafe('domain', input);
  const text = input.trim().replace(/\.$/, '');
  if (text === '') throw invalidInput('domain is empty');
  if (isIP(text) || /^\[.*\]$/.test(text)) throw invalidInput(`"${input}" is an address, not a mail domain`);
  for (const label of text.split('.')) checkLabelLength(label, input);
  const ascii = domainToASCII(text);
  if (ascii === '') throw invalidInput(`"${input}" is not a valid domain name (IDNA conversion failed)`);
  if (ascii.length > MAX_NAME_OCTETS) throw invalidInput(`"${input}" is ${ascii.length} octets; a domain name is at most ${MAX_NAME_OCTETS} (RFC 1035 §2.3.4)`);
  for (const label of ascii.split('.')) {
    checkLabelLength(label, input);
    if (!LABEL.test(label)) throw invalidInput(`label "${label}" of "${input}" has characters DNS host names cannot carry (letters, digits, hyphens)`);
  }
  return { input, ascii, unicode: domainToUnicode(ascii) || ascii };
}

function checkLabelLength(label: string, input: string): void {
  if (label === '') throw invalidInput(`"${input}" has an empty label (two dots in a row, or a leading dot)`);
  const octets = Buffer.byteLength(label);
  if (octets > MAX_LABEL_OCTETS) {
    throw invalidInput(`label "${label.slice(0, 20)}…" of "${input.slice(0, 40)}…" is ${octets} octets; the limit is ${MAX_LABEL_OCTETS} (RFC 1035 §2.3.4)`);
  }
}

/** DNS_PORT: RFC 1035 §4.2. */
export const DNS_PORT = 53;

/** ServerAddress: a DNS server. */
export interface ServerAddress {
  address: string;
  port: number;
}

/** parseResolverAddress: `IP`, `IP:port`, `[IPv6]`, `[IPv6]:port` (addresses only: resolving the resolver would be circular). */
export function parseResolverAddress(text: string): ServerAddress {
  assertSafe('--resolver', text);
  const t = text.trim();
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t) ?? (isIP(t) === 6 ? [t, t, undefined] : /^([^:]+)(?::(\d{1,5}))?$/.exec(t));
  const address = m?.[1];
  const port = m?.[2] === undefined ? DNS_PORT : Number(m[2]);
  if (!address || isIP(address) === 0) throw invalidInput(`--resolver "${text}": give an IP address, optionally with :port (e.g. 127.0.0.1:5353 or [::1]:53)`);
  if (!(port >= 1 && port <= 65535)) throw invalidInput(`--resolver "${text}": port must be 1-65535`);
  return { address, port };
}
