/**
 * The lab's DNS zone `test.`: every record as data (LAB_ZONE), and Zone,
 * which answers one question from it the way an authoritative server that
 * also follows its own CNAMEs would (so a stub resolver pointed at the lab
 * gets what a recursive server would give it). Address records are derived
 * from the host table, never written by hand. Pure: no sockets, no timers.
 */
import { isIPv6 } from 'node:net';
import { invalidInput } from '../errors.js';
import { LAB_HOSTS, type LabHostSpec } from './hosts.js';
import { LAB_SCENARIOS, RECORD_TTL_S, type LabScenario } from './scenarios.js';
import type { Soa, SoaRecord, ZoneRecord } from './zone-record.js';

export type { Soa, SoaRecord, ZoneRecord };

type NameRecord = Extract<ZoneRecord, { type: 'CNAME' }>;

/** ZONE_APEX: the lab is authoritative for .test (RFC 6761 §6.2) and for nothing else. */
export const ZONE_APEX = 'test';
/** LAB_DNS_ADDRESS: where the lab's DNS server listens (ns.lab.test). */
export const LAB_DNS_ADDRESS = '127.0.0.1';
/** LAB_HTTPS_ADDRESS: where the lab's HTTPS server listens: every `mta-sts.<domain>` and DOH_HOST. */
export const LAB_HTTPS_ADDRESS = '127.0.0.49';
/** DOH_HOST: the name of the lab's DNS-over-HTTPS endpoint (RFC 8484). */
export const DOH_HOST = 'doh.lab.test';
/** MAX_CNAME_HOPS: CNAMEs followed per question; bounds the work a query can cause (the zone has no loops, a bug might). */
export const MAX_CNAME_HOPS = 8;

/** LAB_SOA: the zone's SOA; `minimum` 60 s keeps a resolver's negative cache short (RFC 2308 §5). */
export const LAB_SOA: SoaRecord = Object.freeze({
  name: ZONE_APEX,
  type: 'SOA',
  ttl: 3600,
  data: {
    mname: 'ns.lab.test',
    rname: 'hostmaster.lab.test',
    serial: 1,
    refresh: 3600,
    retry: 600,
    expire: 604800,
    minimum: 60,
  },
});

// An all-numeric last label is no TLD that can exist (RFC 3696 §2), so the root would say NXDOMAIN; the lab says it
// with a root SOA of its own, as a recursive server passes the root's on. This is how literal.test's MX target fails.
const ROOT_SOA: SoaRecord = Object.freeze({ ...LAB_SOA, name: '.' });
// RFC 2308 §3: a negative answer's SOA carries the lesser of its TTL and its minimum field.
const NEGATIVE_SOA: SoaRecord = Object.freeze({
  ...LAB_SOA,
  ttl: Math.min(LAB_SOA.ttl, LAB_SOA.data.minimum),
});

/** ZoneAnswer: what the zone says to one question; the server frames it. */
export interface ZoneAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'SERVFAIL';
  /** authoritative: the AA bit (set for every answer from the zone, not for REFUSED). */
  authoritative: boolean;
  answers: ZoneRecord[];
  /** authorities: the SOA for NXDOMAIN and NODATA (RFC 2308 §3), else empty. */
  authorities: ZoneRecord[];
}

/** normalizeName: lower case, no final dot ("MX1.MLFarm.Test." to "mx1.mlfarm.test"); the root stays ".". */
export function normalizeName(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === '' ? '.' : n;
}

/** inZone: whether a (normalized) name is .test or under it. */
export function inZone(name: string): boolean {
  return name === ZONE_APEX || name.endsWith(`.${ZONE_APEX}`);
}

const a = (name: string, address: string): ZoneRecord => ({
  name,
  type: 'A',
  ttl: RECORD_TTL_S,
  data: address,
});

function addressRecords(h: LabHostSpec): ZoneRecord[] {
  return [h.name, ...h.aliases].flatMap((name) =>
    h.addresses.map(
      (address): ZoneRecord => ({
        name,
        type: isIPv6(address) ? 'AAAA' : 'A',
        ttl: RECORD_TTL_S,
        data: address,
        ...(h.signed ? { signed: true } : {}),
      }),
    ),
  );
}

/** httpsNames: the names the lab's HTTPS server answers as: DOH_HOST, then `mta-sts.<domain>` of every scenario with a policy. */
export function httpsNames(scenarios: readonly LabScenario[]): string[] {
  return [DOH_HOST, ...scenarios.filter((s) => s.policy).map((s) => `mta-sts.${s.domain}`)];
}

/**
 * buildZone: the SOA, ns.lab.test, the HTTPS server's names, every host's
 * A/AAAA records (its name and aliases), then each scenario's records.
 * TLSA records need the running lab (tlsa.ts) and come on top.
 */
export function buildZone(
  hosts: readonly LabHostSpec[],
  scenarios: readonly LabScenario[],
): ZoneRecord[] {
  return [
    LAB_SOA,
    a(LAB_SOA.data.mname, LAB_DNS_ADDRESS),
    ...httpsNames(scenarios).map((name) => a(name, LAB_HTTPS_ADDRESS)),
    ...hosts.flatMap(addressRecords),
    ...scenarios.flatMap((s) => s.records),
  ];
}

/** LAB_ZONE: the default zone (from LAB_HOSTS and LAB_SCENARIOS), in the order answers list records. */
export const LAB_ZONE: readonly ZoneRecord[] = Object.freeze(buildZone(LAB_HOSTS, LAB_SCENARIOS));

/** Zone: a zone's records indexed for answering. The constructor checks the data (names in .test, CNAMEs alone, RRsets signed whole or not at all). */
export class Zone {
  private readonly byName = new Map<string, ZoneRecord[]>();
  // Every owner name and its ancestors up to the apex: an empty non-terminal exists (RFC 8020), so it gets NODATA.
  private readonly names = new Set<string>();

  constructor(records: readonly ZoneRecord[] = LAB_ZONE) {
    for (const r of records) {
      const name = normalizeName(r.name);
      if (!inZone(name)) throw invalidInput(`lab zone: ${r.name} is outside .${ZONE_APEX}`);
      const at = this.byName.get(name) ?? [];
      at.push(r);
      this.byName.set(name, at);
      for (let n = name; n !== ZONE_APEX; n = n.slice(n.indexOf('.') + 1)) this.names.add(n);
      this.names.add(ZONE_APEX);
    }
    for (const [name, rrs] of this.byName) {
      // RFC 1034 §3.6.2: a name with a CNAME has no other data.
      if (rrs.some((r) => r.type === 'CNAME') && rrs.length > 1)
        throw invalidInput(`lab zone: ${name} has a CNAME beside other records`);
      // A signature covers a whole RRset (RFC 4034 §3), so AD can only be said of all of it.
      for (const r of rrs)
        if (rrs.some((o) => o.type === r.type && (o.signed ?? false) !== (r.signed ?? false)))
          throw invalidInput(`lab zone: ${name} ${r.type} is signed in part`);
    }
  }

  /**
   * answer: the reply to `qname`/`qtype` (type mnemonic: "MX", "ANY", …).
   * Outside .test: REFUSED. A CNAME is followed inside the zone, each one
   * placed in the answer before its target's records; a chain ending in a
   * missing name is NXDOMAIN and one ending in a name without the type is
   * NODATA, both with the SOA (RFC 2308 §2.1, §2.2; RFC 6604 for the rcode).
   */
  answer(qname: string, qtype: string): ZoneAnswer {
    let name = normalizeName(qname);
    if (!inZone(name)) {
      if (/^\d+$/.test(name.slice(name.lastIndexOf('.') + 1)))
        return {
          rcode: 'NXDOMAIN',
          authoritative: false,
          answers: [],
          authorities: [{ ...ROOT_SOA, ttl: NEGATIVE_SOA.ttl }],
        };
      return { rcode: 'REFUSED', authoritative: false, answers: [], authorities: [] };
    }
    const answers: ZoneRecord[] = [];
    for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
      if (!this.names.has(name)) return this.negative('NXDOMAIN', answers);
      const rrs = this.byName.get(name) ?? [];
      const alias = rrs.find((r): r is NameRecord => r.type === 'CNAME');
      if (alias && qtype !== 'CNAME' && qtype !== 'ANY') {
        answers.push(alias);
        name = normalizeName(alias.data);
        // A target outside the zone is the client's to chase (it is not ours to answer for).
        if (!inZone(name))
          return { rcode: 'NOERROR', authoritative: true, answers, authorities: [] };
        continue;
      }
      const found = rrs.filter((r) => qtype === 'ANY' || r.type === qtype);
      if (found.length === 0) return this.negative('NOERROR', answers);
      return {
        rcode: 'NOERROR',
        authoritative: true,
        answers: [...answers, ...found],
        authorities: [],
      };
    }
    return { rcode: 'SERVFAIL', authoritative: false, answers: [], authorities: [] };
  }

  /** has: whether a name exists in the zone (with records, or as an empty non-terminal). */
  has(name: string): boolean {
    return this.names.has(normalizeName(name));
  }

  private negative(rcode: 'NOERROR' | 'NXDOMAIN', answers: ZoneRecord[]): ZoneAnswer {
    return { rcode, authoritative: true, answers, authorities: [NEGATIVE_SOA] };
  }
}
