/** ipFamily: which IP version a literal is — the one IP-literal check every layer shares. */
import { isIP } from 'node:net';

/** ipFamily: 4 or 6 for an IP literal without brackets (IPv4 dotted quad, IPv6 text form), 0 for anything else. */
export function ipFamily(text: string): 0 | 4 | 6 {
  return isIP(text) as 0 | 4 | 6;
}
