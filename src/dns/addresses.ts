/**
 * dnsAddressResolver: an AddressResolver over our own Resolver, so a name a probe dials (the
 * MTA-STS policy host) is found where the walk's names are (`--resolver`, the lab's zone), and
 * its queries join the walk's DNS trace. IPv6 first, then IPv4, as the MX walk orders them.
 */
import { ProbeError } from '../errors.js';
import type { AddressResolver } from '../net/address-resolver.js';
import type { Lookup } from '../schema/dns.js';
import type { Resolver } from './resolver.js';

/** dnsAddressResolver: see the module comment. Rejects with a ProbeError at stage `resolve`. */
export function dnsAddressResolver(resolver: Resolver): AddressResolver {
  return async (host) => {
    const [aaaa, a] = await Promise.all([
      resolver.lookup(host, 'AAAA'),
      resolver.lookup(host, 'A'),
    ]);
    const addresses = [aaaa, a].flatMap((l) =>
      l.records.flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [r.address] : [])),
    );
    if (addresses.length > 0) return addresses;
    const failed = [aaaa, a].find((l) => !['ok', 'nodata', 'nxdomain'].includes(l.status));
    throw new ProbeError({
      code: failed ? 'RESOLVE_FAILED' : 'RESOLVE_NOT_FOUND',
      stage: 'resolve',
      target: host,
      message: failed
        ? `cannot resolve ${host}: ${describe(failed)}`
        : `${host} has no address (A/AAAA: ${a.status})`,
    });
  };
}

function describe(l: Lookup): string {
  return `${l.type} ${l.status}${l.error ? ` (${l.error})` : ''}`;
}
