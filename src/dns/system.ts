/**
 * The machine's DNS servers, from /etc/resolv.conf: the servers node:dns
 * and the C library would use, made visible so the trace can name them.
 */
import { readFileSync } from 'node:fs';
import { ipFamily } from '../ip.js';
import { invalidInput } from '../errors.js';
import { DNS_PORT, type ServerAddress } from './name.js';

/** RESOLV_CONF: where the C library reads its servers (resolv.conf(5)). */
export const RESOLV_CONF = '/etc/resolv.conf';

/**
 * parseResolvConf: the `nameserver` lines of resolv.conf text, in order, on
 * port 53 (the file has no port syntax). Comments (# or ;) and lines that
 * are not an IP literal are skipped, as the C library skips them; an IPv6
 * zone id ("fe80::1%eth0") is dropped.
 */
export function parseResolvConf(text: string): ServerAddress[] {
  const servers: ServerAddress[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*nameserver\s+([^\s#;]+)/.exec(line);
    const address = m?.[1]?.replace(/%.*$/, '');
    if (address && ipFamily(address) !== 0) servers.push({ address, port: DNS_PORT });
  }
  return servers;
}

/**
 * systemResolvers: the servers of /etc/resolv.conf (or `file`). Throws
 * INVALID_INPUT naming the fix when there are none or the file cannot be
 * read: like a bad argument, the user fixes it with a flag, and nothing was
 * sent (probes promise to throw only INVALID_INPUT, before any traffic).
 */
export function systemResolvers(file = RESOLV_CONF): ServerAddress[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw invalidInput(
      `no DNS server configured: cannot read ${file} (${code}); pass --resolver IP[:port]`,
    );
  }
  const servers = parseResolvConf(text);
  if (servers.length === 0)
    throw invalidInput(`no DNS server configured in ${file}; pass --resolver IP[:port]`);
  return servers;
}
