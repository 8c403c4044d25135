/**
 * mxLint: DNS configuration problems in an MX walk, and what the probed
 * addresses said about TLS, each with the RFC that makes it one. Pure: it
 * reads the walk's lookups and address probes and says nothing it cannot
 * point at.
 */
import { ipFamily } from '../ip.js';
import type { DnsRecord, Lookup } from '../schema/dns.js';
import type { Lint, MxHost } from '../schema/mx.js';

// RFC 1918, RFC 6598, RFC 4193, loopback and link-local: not reachable from the Internet.
const NON_PUBLIC_V4 = [
  /^10\./,
  /^127\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
  /^169\.254\./,
  /^0\./,
];
const NON_PUBLIC_V6 = [/^::1$/, /^f[cd]/i, /^fe[89ab]/i, /^::$/];

/** isNonPublic: loopback, private, shared or link-local space. */
export function isNonPublic(address: string): boolean {
  return (ipFamily(address) === 6 ? NON_PUBLIC_V6 : NON_PUBLIC_V4).some((re) => re.test(address));
}

/** looksLikeIpLiteral: an MX exchange written as an address ("192.0.2.1", "[192.0.2.1]", "2001:db8::1"). */
export function looksLikeIpLiteral(name: string): boolean {
  const bare = name.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return ipFamily(bare) !== 0;
}

const addressesOf = (l: Lookup): string[] =>
  l.records.flatMap((r: DnsRecord) => ('address' in r ? [r.address] : []));

/** mxLint: findings for the MX RRset and its hosts. `mx` is the MX lookup (null for none). */
export function mxLint(domain: string, mx: Lookup | null, hosts: MxHost[]): Lint[] {
  const out: Lint[] = [];
  const records = (mx?.records ?? []).filter((r) => r.type === 'MX');
  const hasNull = records.some((r) => r.type === 'MX' && r.exchange === '.');
  if (hasNull && records.length > 1) {
    out.push({
      id: 'null-mx-mixed',
      severity: 'error',
      rfc: 'RFC 7505 §3',
      subject: domain,
      message: 'a null MX ("0 .") must be the only MX record; senders may ignore it or the others',
    });
  }
  if (hasNull && records.some((r) => r.type === 'MX' && r.exchange === '.' && r.preference !== 0)) {
    out.push({
      id: 'null-mx-preference',
      severity: 'warning',
      rfc: 'RFC 7505 §3',
      subject: domain,
      message: 'a null MX must have preference 0',
    });
  }
  if (mx && mx.cnameChain.length > 0) {
    out.push({
      id: 'domain-is-cname',
      severity: 'info',
      rfc: 'RFC 5321 §5.1',
      subject: domain,
      message: `${domain} is an alias (${mx.cnameChain.join(' → ')}); senders use the MX of the canonical name`,
    });
  }
  for (const h of hosts) out.push(...hostLint(h));
  out.push(...nonPublicLint(hosts));
  out.push(...sharedAddressLint(hosts));
  out.push(...familyLint(hosts));
  return out;
}

function hostLint(h: MxHost): Lint[] {
  const out: Lint[] = [];
  if (h.implicit) return out;
  if (looksLikeIpLiteral(h.name)) {
    // Never looked up (mx.ts), so the lookup findings below would only repeat this one.
    out.push({
      id: 'mx-ip-literal',
      severity: 'error',
      rfc: 'RFC 5321 §5.1',
      subject: h.name,
      message: 'MX target is an IP address; it must be a host name with A/AAAA records',
    });
    return out;
  }
  const chain = h.lookups.a.cnameChain.length ? h.lookups.a.cnameChain : h.lookups.aaaa.cnameChain;
  if (chain.length > 0) {
    out.push({
      id: 'mx-is-cname',
      severity: 'warning',
      rfc: 'RFC 2181 §10.3',
      subject: h.name,
      message: `MX target is an alias (${chain.join(' → ')}); it must be the canonical name`,
    });
  }
  const statuses = [h.lookups.a.status, h.lookups.aaaa.status];
  if (h.addresses.length === 0 && statuses.every((s) => s === 'nxdomain' || s === 'nodata')) {
    const why = statuses.includes('nxdomain')
      ? 'does not exist (NXDOMAIN)'
      : 'has no A or AAAA record (NODATA)';
    out.push({
      id: 'mx-dangling',
      severity: 'error',
      rfc: 'RFC 5321 §5.1',
      subject: h.name,
      message: `MX target ${why}; senders skip it`,
    });
  } else if (statuses.some((s) => s !== 'ok' && s !== 'nodata' && s !== 'nxdomain')) {
    out.push({
      id: 'mx-lookup-failed',
      severity: 'warning',
      rfc: 'RFC 1035 §7',
      subject: h.name,
      message: `address lookup failed (A: ${statuses[0]}, AAAA: ${statuses[1]}); senders will retry later`,
    });
  }
  return out;
}

function nonPublicLint(hosts: MxHost[]): Lint[] {
  const hits = hosts.flatMap((h) =>
    [...addressesOf(h.lookups.a), ...addressesOf(h.lookups.aaaa)]
      .filter(isNonPublic)
      .map((a) => `${h.name} ${a}`),
  );
  if (hits.length === 0) return [];
  return [
    {
      id: 'mx-non-public',
      severity: 'warning',
      rfc: 'RFC 6890',
      subject: hits.join(', '),
      message: 'loopback or private address space: unreachable from the Internet',
    },
  ];
}

function sharedAddressLint(hosts: MxHost[]): Lint[] {
  const names = new Map<string, Set<string>>();
  for (const h of hosts)
    for (const a of h.addresses)
      names.set(a.address, (names.get(a.address) ?? new Set()).add(h.name));
  return [...names]
    .filter(([, n]) => n.size > 1)
    .map(([address, n]) => ({
      id: 'mx-shared-address',
      severity: 'info' as const,
      rfc: 'RFC 5321 §5.1',
      subject: address,
      message: `one address behind ${n.size} MX names (${[...n].join(', ')}): the backup is not independent of the primary`,
    }));
}

function familyLint(hosts: MxHost[]): Lint[] {
  const families = new Set(hosts.flatMap((h) => h.addresses.map((a) => a.family)));
  if (families.size !== 1) return [];
  const only = families.has(4) ? 'IPv4' : 'IPv6';
  const one = hosts.length === 1;
  return [
    {
      id: 'single-address-family',
      severity: 'info',
      rfc: 'RFC 3974 §3',
      subject: one ? 'the one MX host' : `all ${hosts.length} MX hosts`,
      message: `${one ? 'it is' : 'every MX host is'} ${only}-only, so senders on the other family cannot deliver`,
    },
  ];
}

/** hostAddresses: "mx1.example.com 192.0.2.1, mx2.example.com 192.0.2.2", the subject of a per-address finding. */
const hostAddresses = (hits: { host: string; address: string }[]): string =>
  hits.map((h) => `${h.host} ${h.address}`).join(', ');

/**
 * mxAddressLint: findings from the probed addresses, for after the walk has
 * probed them (mxLint runs on the DNS answers, before any connection):
 * addresses that answered EHLO (or only HELO) without offering STARTTLS, and
 * addresses where STARTTLS was offered but refused or failed. Mail to them
 * travels in clear (RFC 3207: TLS is the server's offer), and a domain that
 * publishes an MTA-STS policy in enforce mode cannot keep such a host: senders
 * must not deliver to it (RFC 8461 §5). Addresses that never got as far as
 * EHLO/HELO say nothing either way.
 */
export function mxAddressLint(hosts: MxHost[]): Lint[] {
  const greeted = hosts.flatMap((h) =>
    h.addresses.filter((a) => a.hello).map((a) => ({ host: h.name, address: a.address, a })),
  );
  const clear = greeted.filter(({ a }) => !a.hello!.keywords.includes('STARTTLS'));
  const broken = greeted.filter(
    ({ a }) =>
      a.hello!.keywords.includes('STARTTLS') &&
      (a.tls?.outcome === 'refused' || a.tls?.outcome === 'failed'),
  );
  const out: Lint[] = [];
  if (clear.length > 0)
    out.push({
      id: 'mx-no-starttls',
      severity: 'warning',
      rfc: 'RFC 3207',
      subject: hostAddresses(clear),
      message:
        'STARTTLS not offered: mail to it travels in clear, and senders enforcing an MTA-STS policy will not deliver to it (RFC 8461 §5)',
    });
  if (broken.length > 0)
    out.push({
      id: 'mx-starttls-broken',
      severity: 'warning',
      rfc: 'RFC 3207',
      subject: hostAddresses(broken),
      message: `STARTTLS offered but ${[...new Set(broken.map(({ a }) => a.tls!.outcome))].join(' or ')}: senders retry in clear or defer, and senders enforcing MTA-STS will not deliver to it (RFC 8461 §5)`,
    });
  return out;
}
