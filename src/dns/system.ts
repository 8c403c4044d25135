/** systemResolvers: the machine's DNS servers, from /etc/resolv.conf (what node:dns would use, made visible). */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { invalidInput } from '../errors.js';
import { DNS_PORT, type ServerAddress } from './name.js';

/** systemResolvers: `nameserver` lines of resolv.conf; INVALID_INPUT naming the fix when there are none. */
export function systemResolvers(file = '/etc/resolv.conf'): ServerAddress[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // Handled below: no file means no servers.
  }
  const servers = text.split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]?.replace(/%.*$/, ''))
    .filter((a): a is string => !!a && isIP(a) !== 0)
    .map((address) => ({ address, port: DNS_PORT }));
  if (servers.length === 0) throw invalidInput(`no DNS server configured in ${file}; pass --resolver IP[:port]`);
  return servers;
}
