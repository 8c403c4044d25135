/**
 * DNS wire format via dns-packet: queries out, responses in as our record
 * values. A response only counts as ours when its id, QR bit and question
 * match (RFC 5452 §4.3: the cheap defence against spoofed or stray packets).
 */
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import type { DnsRecord, QueryType } from '../schema/dns.js';

/** EDNS_UDP_SIZE: the payload we offer (RFC 6891), the DNS Flag Day 2020 value that avoids fragmentation. */
export const EDNS_UDP_SIZE = 1232;

/** Query: an encoded query and what an answer must match. */
export interface Query {
  id: number;
  name: string;
  type: QueryType;
  bytes: Buffer;
}

/** encodeQuery: a recursive query for name/type with EDNS0, and a fresh random id. */
export function encodeQuery(name: string, type: QueryType): Query {
  const id = randomInt(0, 65536);
  const bytes = packet.encode({
    type: 'query', id, flags: packet.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, flags: 0, options: [] } as never],
  });
  return { id, name, type, bytes };
}

/** Response: a decoded answer to our query. */
export interface Response {
  rcode: string;
  flags: { aa: boolean; tc: boolean; rd: boolean; ra: boolean; ad: boolean };
  answers: DnsRecord[];
  authority: DnsRecord[];
}

/** decodeResponse: the response if `bytes` is a well-formed answer to `q`; 'foreign' if it answers something else; throws on garbage. */
export function decodeResponse(q: Query, bytes: Buffer): Response | 'foreign' {
  const p = packet.decode(bytes);
  const question = p.questions?.[0];
  if (p.id !== q.id || !p.flag_qr) return 'foreign';
  if (!question || question.name.toLowerCase() !== q.name.toLowerCase() || question.type !== q.type) return 'foreign';
  return {
    rcode: String((p as unknown as { rcode?: string }).rcode ?? 'NOERROR'),
    flags: { aa: p.flag_aa, tc: p.flag_tc, rd: p.flag_rd, ra: p.flag_ra, ad: p.flag_ad },
    answers: (p.answers ?? []).flatMap(toRecord),
    authority: (p.authorities ?? []).flatMap(toRecord),
  };
}

function toRecord(a: packet.Answer): DnsRecord[] {
  const ttl = 'ttl' in a && typeof a.ttl === 'number' ? a.ttl : 0;
  const name = a.name;
  switch (a.type) {
    case 'A': return [{ type: 'A', name, ttl, address: a.data }];
    case 'AAAA': return [{ type: 'AAAA', name, ttl, address: a.data }];
    case 'CNAME': return [{ type: 'CNAME', name, ttl, target: a.data }];
    case 'MX': return [{ type: 'MX', name, ttl, preference: a.data.preference ?? 0, exchange: a.data.exchange === '' ? '.' : a.data.exchange }];
    case 'OPT': return [];
    default: return [{ type: 'OTHER', name, ttl, rrtype: a.type, data: describeData(a) }];
  }
}

function describeData(a: packet.Answer): string {
  const data = (a as { data?: unknown }).data;
  if (a.type === 'TXT') {
    const parts = Array.isArray(data) ? data : [data];
    return parts.map((d) => (Buffer.isBuffer(d) ? d.toString('utf8') : String(d))).join('');
  }
  if (a.type === 'SOA' && data && typeof data === 'object') {
    const s = data as { mname: string; rname: string; serial: number; minimum: number };
    return `${s.mname} ${s.rname} ${s.serial} (negative TTL ${s.minimum})`;
  }
  if (Buffer.isBuffer(data)) return data.toString('hex');
  return typeof data === 'object' ? JSON.stringify(data) : String(data);
}
