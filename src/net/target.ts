/**
 * Target parsing: host, host:port, IPv4, [IPv6], [IPv6]:port (and a bare
 * IPv6 literal, which cannot be mistaken for host:port). Refuses anything a
 * socket or DNS should never see, before either is touched.
 */
import { ipFamily } from '../ip.js';
import { assertSafe, invalidInput } from '../errors.js';

/** SMTP_PORT / SUBMISSIONS_PORT: RFC 5321 §4.5.4 relay port and RFC 8314 implicit-TLS port. */
export const SMTP_PORT = 25;
export const SUBMISSIONS_PORT = 465;

/** Target: where to connect. `host` is a name or an IP literal without brackets. */
export interface Target {
  input: string;
  host: string;
  port: number;
  /** 0 for a name, 4 or 6 for an IP literal. */
  family: 0 | 4 | 6;
}

// RFC 1123 §2.1 host names (LDH labels); underscores are tolerated since real MX names carry them.
// The 253-octet limit excludes the optional root dot ("mx.example.com." is the same name).
const HOSTNAME =
  /^(?=.{1,253}\.?$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;

/**
 * refuseAmbiguous: "::1:25" is both an IPv6 address and, to a reader, ::1 on
 * port 25. Dialling the address the reader did not mean sends packets to a
 * stranger, so a bare IPv6 literal whose last group could be a port and whose
 * rest is an address itself must be written in brackets.
 */
function refuseAmbiguous(input: string, text: string): void {
  const colon = text.lastIndexOf(':');
  const tail = text.slice(colon + 1);
  const head = text.slice(0, colon);
  if (!/^\d{1,5}$/.test(tail) || Number(tail) < 1 || Number(tail) > 65535) return;
  if (ipFamily(head) !== 6) return;
  throw invalidInput(
    `target "${input}" is ambiguous: did you mean [${head}]:${tail}? (for the address itself, write [${text}])`,
  );
}

/** parseTarget: a Target from user text. Throws INVALID_INPUT with what is wrong. */
export function parseTarget(input: string, defaultPort = SMTP_PORT): Target {
  assertSafe('target', input);
  const text = input.trim();
  if (text === '')
    throw invalidInput('target is empty; give a host, host:port, IPv4 or [IPv6]:port');
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (ipFamily(host) !== 6)
      throw invalidInput(`target "${input}": [${host}] is not an IPv6 address`);
  } else if (ipFamily(text) === 6) {
    refuseAmbiguous(input, text);
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
    if (host.includes(':'))
      throw invalidInput(`target "${input}": write an IPv6 address with a port as [addr]:port`);
  }
  const family = ipFamily(host);
  if (family === 0 && !HOSTNAME.test(host)) {
    throw invalidInput(
      `target "${input}": "${host}" is not a valid host name (letters, digits, hyphens; labels up to 63, names up to 253)`,
    );
  }
  return {
    input,
    host: family === 0 ? host.replace(/\.$/, '').toLowerCase() : host,
    port: parsePort(portText, defaultPort, input),
    family,
  };
}

function parsePort(text: string | undefined, fallback: number, input: string): number {
  if (text === undefined) return fallback;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw invalidInput(`target "${input}": port "${text}" is not a number from 1 to 65535`);
  return port;
}

/** formatEndpoint: address and port as written in a URL ("[::1]:25", "127.0.0.1:25"). */
export function formatEndpoint(address: string, port: number): string {
  return ipFamily(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
