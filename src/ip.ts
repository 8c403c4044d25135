/** ipFamily: which IP version a literal is — the one IP-literal check every layer shares. */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * ipFamily: 4 or 6 for an IP literal without brackets (IPv4 dotted quad, IPv6
 * text form), 0 for anything else. Text with fewer than two colons cannot be
 * IPv6, so Node's large IPv6 pattern is compiled only for text that might be
 * (it costs milliseconds of start-up, and "127.0.0.1:25" is the common case).
 */
export function ipFamily(text: string): 0 | 4 | 6 {
  const colon = text.indexOf(':');
  if (colon === -1) return isIPv4(text) ? 4 : 0;
  if (colon === text.lastIndexOf(':')) return 0;
  return isIPv6(text) ? 6 : 0;
}
