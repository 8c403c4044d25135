/**
 * CNAME chains inside one answer section, pure. RFC 1034 §3.6.2: a resolver
 * asking for a type the name does not hold but an alias does gets the CNAME,
 * then (a recursive server having followed it) the target's records; RFC
 * 2181 §10.1: an alias owns no other data, so a CNAME at a name settles
 * where its records live.
 */
import type { DnsRecord, QueryType } from '../schema/dns.js';

/** ChainStep: how far one answer section takes a question. */
export interface ChainStep {
  /** targets: the CNAME targets followed from the start name, in order (lower case, no root dot). */
  targets: string[];
  /** records: records of the asked type at the last name reached (empty when the answer stops short). */
  records: DnsRecord[];
}

/** canonicalName: a name as compared: lower case, no root dot (DNS names compare case-insensitively, RFC 4343 §3). */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** isOfType: whether a record is of a queried type; types we keep as text (TXT) are OTHER with that rrtype. */
export function isOfType(record: DnsRecord, type: QueryType): boolean {
  return record.type === type || (record.type === 'OTHER' && record.rrtype === type);
}

/**
 * followChain: starting at `start`, take records of `type` there if any,
 * else follow the CNAME there to its target and look again. Asking for CNAME
 * itself stops at the start name. Stops after `maxTargets` targets or at the
 * first name seen twice (the repeated name is the last target, so the caller
 * can report the loop); records are only taken at a name reached once.
 */
export function followChain(
  answers: DnsRecord[],
  start: string,
  type: QueryType,
  maxTargets: number,
): ChainStep {
  const targets: string[] = [];
  const visited = new Set([canonicalName(start)]);
  let owner = canonicalName(start);
  for (;;) {
    const records = answers.filter((r) => isOfType(r, type) && canonicalName(r.name) === owner);
    if (records.length > 0 || type === 'CNAME') return { targets, records };
    const alias = answers.find(
      (r): r is Extract<DnsRecord, { type: 'CNAME' }> =>
        r.type === 'CNAME' && canonicalName(r.name) === owner,
    );
    if (!alias) return { targets, records: [] };
    owner = canonicalName(alias.target);
    targets.push(owner);
    if (visited.has(owner) || targets.length > maxTargets) return { targets, records: [] };
    visited.add(owner);
  }
}
