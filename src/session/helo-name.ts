/** The default EHLO/HELO name (RFC 5321 §4.1.1.1: a FQDN, else an address literal). */
import { hostname } from 'node:os';
import { ipFamily } from '../ip.js';
import { assertSafe, invalidInput } from '../errors.js';

const FQDN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * defaultHeloName: the machine's name when it is fully qualified; otherwise
 * the address literal of our side of the connection, which RFC 5321 §4.1.4
 * accepts when no name is available and which never lies about who we are.
 */
export function defaultHeloName(localAddress: string | undefined): string {
  const name = hostname();
  if (FQDN.test(name)) return name.toLowerCase();
  if (localAddress && ipFamily(localAddress) === 6) return `[IPv6:${localAddress}]`;
  return `[${localAddress ?? '127.0.0.1'}]`;
}

/** checkHeloName: a user-given name must be a domain or an address literal, with no control bytes. */
export function checkHeloName(name: string): string {
  assertSafe('HELO name', name);
  // RFC 5321 §4.1.3: [192.0.2.1] for IPv4, [IPv6:2001:db8::1] for IPv6, nothing else.
  const literal = /^\[(IPv6:)?([^\]]+)\]$/i.exec(name);
  const literalOk = literal && ipFamily(literal[2]!) === (literal[1] ? 6 : 4);
  if (literal ? !literalOk : !/^[a-z0-9_.-]{1,253}$/i.test(name)) {
    throw invalidInput(
      `HELO name "${name}" is neither a domain nor an address literal like [192.0.2.1]`,
    );
  }
  return name;
}
