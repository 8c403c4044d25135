/**
 * A site's findings: its MX hosts compared with each other (mx-consistency), each certificate
 * checked against the MX name that led to it, and its addresses' own findings — worst first.
 * Pure. Senders fail over to any MX, so the weakest host sets the site's real policy: a backup
 * that takes recipients the primary refuses makes backscatter, one without STARTTLS is where a
 * downgrade lands.
 */
import { ipFamily } from '../ip.js';
import { covers } from '../net/cert-names.js';
import type { AuditAddress, AuditSite } from '../schema/audit.js';
import { SEVERITIES, type Severity } from '../vocabulary.js';

type SiteFinding = AuditSite['findings'][number];

/** Leg: one address of one host of the site, with its record. */
interface Leg {
  host: string;
  key: string;
  a: AuditAddress;
}

/** siteFindings: see the module comment; `consistency` is whether the mx-consistency check was asked. */
export function siteFindings(
  site: Pick<AuditSite, 'target' | 'kind' | 'hosts'>,
  get: (key: string) => AuditAddress | undefined,
  consistency: boolean,
): SiteFinding[] {
  const legs: Leg[] = site.hosts.flatMap((h) =>
    h.addresses.flatMap((key) => {
      const a = get(key);
      return a ? [{ host: h.name, key, a }] : [];
    }),
  );
  const out: SiteFinding[] = [...nameFindings(legs)];
  if (consistency && site.kind === 'domain') out.push(...compare(site.target, legs));
  for (const leg of legs) for (const f of leg.a.findings) out.push({ ...f, address: leg.key });
  return worstFirst(dedupe(out));
}

/** EXPOSURE_ORDER: per check, the answers from worst to best; a site shows its worst address's. */
const EXPOSURE_ORDER = {
  vrfy: ['discloses', 'blanket-252', 'policy', 'disabled', 'unknown'],
  expn: ['discloses', 'refused', 'not-implemented', 'unknown'],
  relay: ['open', 'unknown', 'closed'],
  starttls: ['refused', 'failed', 'not-offered', 'ok'],
} as const;

type Exposure = AuditSite['exposure'];

/** siteExposure: per check, the worst answer among the site's addresses. */
export function siteExposure(
  site: Pick<AuditSite, 'hosts'>,
  get: (key: string) => AuditAddress | undefined,
): Exposure {
  const records = site.hosts.flatMap((h) => h.addresses.flatMap((k) => get(k) ?? []));
  const worst = <K extends keyof Exposure>(
    check: K,
    values: (string | null | undefined)[],
  ): Exposure[K] => {
    const order: readonly string[] = EXPOSURE_ORDER[check];
    const seen = values.filter((v): v is string => typeof v === 'string');
    return (order.find((o) => seen.includes(o)) ?? null) as Exposure[K];
  };
  return {
    vrfy: worst(
      'vrfy',
      records.map((a) => a.vrfy?.exposure),
    ),
    expn: worst(
      'expn',
      records.map((a) => a.expn?.exposure),
    ),
    relay: worst(
      'relay',
      records.map((a) => a.relay?.verdict),
    ),
    starttls: worst(
      'starttls',
      records.map((a) => a.tls?.outcome),
    ),
  };
}

/** worstOf: the most severe of `findings`, null for none. */
export function worstOf(findings: readonly { severity: Severity }[]): Severity | null {
  let worst = -1;
  for (const f of findings) worst = Math.max(worst, SEVERITIES.indexOf(f.severity));
  return worst < 0 ? null : (SEVERITIES[worst] ?? null);
}

/** worstFirst: by severity, most severe first; equal ones keep their order. */
export function worstFirst<T extends { severity: Severity }>(findings: T[]): T[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort(
      (x, y) => SEVERITIES.indexOf(y.f.severity) - SEVERITIES.indexOf(x.f.severity) || x.i - y.i,
    )
    .map(({ f }) => f);
}

/**
 * certificateCovers: whether the certificate an address showed after STARTTLS is valid for
 * `host`, the MX name that led there (one address may serve several names); null when no
 * certificate was seen.
 */
export function certificateCovers(a: AuditAddress, host: string): boolean | null {
  const cert = a.tls?.outcome === 'ok' ? a.tls.certificate : null;
  return cert ? covers(cert.names, host) : null;
}

function nameFindings(legs: Leg[]): SiteFinding[] {
  return legs.flatMap(({ host, key, a }) => {
    const cert = a.tls?.outcome === 'ok' ? a.tls.certificate : null;
    // An IP given as the target names no host to match (RFC 7672 matches the MX name, never the IP).
    if (!cert || ipFamily(host) || certificateCovers(a, host)) return [];
    return [
      {
        id: 'cert-name-mismatch',
        severity: 'medium' as const,
        message: `certificate at ${key} is not valid for ${host} (it names ${cert.names.slice(0, 3).join(', ') || 'no DNS name'})`,
        ref: 'RFC 7672 §3.2.3, RFC 8461 §4.1',
        address: key,
      },
    ];
  });
}

/** compare: mx-consistency proper, over the addresses that answered. */
function compare(domain: string, all: Leg[]): SiteFinding[] {
  const legs = all.filter((l) => l.a.status === 'ok' || l.a.caps !== null);
  if (new Set(legs.map((l) => l.host)).size < 2) return [];
  const out: SiteFinding[] = [];
  const asked = legs.flatMap((l) => {
    const r = l.a.recipients.find((p) => p.domain === domain);
    return r ? [{ ...l, r }] : [];
  });
  const takers = asked.filter((l) => l.r.accepts);
  const refusers = asked.filter((l) => l.r.reply.code >= 500);
  if (takers.length > 0 && refusers.length > 0) {
    out.push({
      id: 'mx-backscatter',
      severity: 'medium',
      message: `${hosts(takers)} accept${takers.length === 1 ? 's' : ''} a made-up recipient at ${domain} that ${hosts(refusers)} reject${refusers.length === 1 ? 's' : ''}: mail refused by one MX is accepted by another and bounced later (backscatter)`,
      ref: 'RFC 5321 §6.1, RFC 3834 §2',
      address: null,
    });
  }
  differ(out, legs, 'starttls', 'medium', (l) =>
    l.a.tls ? (l.a.tls.outcome === 'ok' ? 'STARTTLS' : `no working STARTTLS`) : undefined,
  );
  differ(out, legs, 'size', 'low', (l) =>
    l.a.caps ? (l.a.caps.size === null ? 'no SIZE' : `SIZE ${l.a.caps.size}`) : undefined,
  );
  differ(out, legs, 'vrfy', 'low', (l) => (l.a.vrfy ? `VRFY ${l.a.vrfy.exposure}` : undefined));
  differ(out, legs, 'expn', 'low', (l) => (l.a.expn ? `EXPN ${l.a.expn.exposure}` : undefined));
  differ(out, legs, 'auth', 'low', (l) =>
    l.a.caps ? `AUTH ${l.a.caps.authBeforeTls.join(' ') || 'none'} before TLS` : undefined,
  );
  differ(out, legs, 'cert-names', 'info', (l) => {
    const c = l.a.tls?.certificate;
    return c ? `certificate for ${[...c.names].sort().join(', ')}` : undefined;
  });
  return out;
}

/** differ: one finding when the hosts disagree on `what` (grouped by the value each shows). */
function differ(
  out: SiteFinding[],
  legs: Leg[],
  what: string,
  severity: Severity,
  value: (l: Leg) => string | undefined,
): void {
  const groups = new Map<string, Set<string>>();
  for (const l of legs) {
    const v = value(l);
    if (v === undefined) continue;
    const set = groups.get(v) ?? new Set<string>();
    set.add(l.host);
    groups.set(v, set);
  }
  if (groups.size < 2) return;
  const parts = [...groups].map(([v, hs]) => `${[...hs].join(', ')}: ${v}`);
  out.push({
    id: `mx-inconsistent-${what}`,
    severity,
    message: `MX hosts differ: ${parts.join('; ')}`,
    ref: 'RFC 5321 §5.1 (a sender may use any MX; the weakest sets the policy)',
    address: null,
  });
}

function hosts(legs: { host: string }[]): string {
  return [...new Set(legs.map((l) => l.host))].join(', ');
}

/** dedupe: one finding per (id, address, message): a host with two addresses repeats its own. */
function dedupe(findings: SiteFinding[]): SiteFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.id}\u0000${f.address}\u0000${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
