/**
 * answerQuery: one DNS query in wire form to the lab's response in wire
 * form, or null to stay silent. Pure (dns-server.ts owns the sockets), and
 * total: any input, however broken, ends in a response or in silence, never
 * in a throw. The question is echoed byte for byte (so a client that mixes
 * the case of its names, draft-vixie-dnsext-dns0x20, sees its own bytes).
 *
 * DNSSEC is simulated: the lab has no keys and sends no RRSIGs, but answers
 * as a validating resolver would for the record sets the zone marks signed,
 * with AD=1 when the query asked for it (see adBit).
 */
import dnsPacket from 'dns-packet';
import type { Zone, ZoneAnswer, ZoneRecord } from './zone.js';

/** MAX_UDP_PAYLOAD: the most the lab sends over UDP, whatever EDNS asks for (DNS Flag Day 2020: no IP fragments). */
export const MAX_UDP_PAYLOAD = 1232;
/** CLASSIC_UDP_PAYLOAD: the limit without EDNS (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_PAYLOAD = 512;
// No honest query comes near this; a bigger one gets FORMERR without being parsed.
const MAX_QUERY_OCTETS = 4096;
const HEADER_OCTETS = 12;

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const AD = 0x0020;
const CD = 0x0010;
// The DO bit, the top bit of the OPT record's flags (RFC 3225 §3).
const DO = 0x8000;
const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Rcode: the response codes the lab sends (BADVERS is the extended code 16, RFC 6891 §6.1.3). */
export type Rcode = keyof typeof RCODES | 'BADVERS';

// The types the zone holds, plus ANY; any other type is looked up as "TYPE<n>" and finds nothing (NODATA).
const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A',
  5: 'CNAME',
  6: 'SOA',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  52: 'TLSA',
  255: 'ANY',
};
const ZONE_TRANSFERS = new Set([251, 252]); // IXFR, AXFR
const CLASS_IN = 1;

/** DnsReply: the response (null: say nothing) and what it was about, for the lab's DNS log. */
export interface DnsReply {
  response: Buffer | null;
  /** question: the name (lower case) and type mnemonic asked, when the question could be read. */
  question?: { name: string; type: string };
  rcode?: Rcode;
  truncated: boolean;
}

interface RawQuestion {
  name: string;
  type: number;
  klass: number;
  /** bytes: the question section as received. */
  bytes: Buffer;
}

/**
 * readQuestion: the first question straight from the bytes. A label holding
 * a "." keeps it escaped, so "mx1.mlfarm" + "test" can never pass for
 * mx1.mlfarm.test. The first name cannot use compression: nothing precedes it
 * to point at (RFC 1035 §4.1.4).
 */
function readQuestion(msg: Buffer): RawQuestion | null {
  const labels: string[] = [];
  let at = HEADER_OCTETS;
  for (let len = msg[at]; len !== 0; len = msg[at]) {
    if (len === undefined || len > 63 || at + 1 + len > msg.length) return null;
    labels.push(
      msg
        .toString('latin1', at + 1, at + 1 + len)
        .toLowerCase()
        .replaceAll('.', '\\.'),
    );
    at += 1 + len;
  }
  const end = at + 1 + 4;
  if (end > msg.length) return null;
  return {
    name: labels.length === 0 ? '.' : labels.join('.'),
    type: msg.readUInt16BE(at + 1),
    klass: msg.readUInt16BE(at + 3),
    bytes: msg.subarray(HEADER_OCTETS, end),
  };
}

/** headerOnly: a bare response (no question) with `rcode`: for a query too broken to echo. */
function headerOnly(query: Buffer, rcode: Rcode): DnsReply {
  const response = Buffer.alloc(HEADER_OCTETS);
  query.copy(response, 0, 0, 2);
  response.writeUInt16BE(
    QR | (query.readUInt16BE(2) & (0x7800 | RD)) | RCODES[rcode as keyof typeof RCODES],
    2,
  );
  return { response, rcode, truncated: false };
}

function toAnswer(r: ZoneRecord): dnsPacket.Answer {
  const base = { name: r.name, ttl: r.ttl, class: 'IN' as const };
  switch (r.type) {
    case 'TXT':
      return { ...base, type: 'TXT', data: r.data.map((s) => Buffer.from(s)) };
    case 'MX':
      return { ...base, type: 'MX', data: { ...r.data } };
    case 'SOA':
      return { ...base, type: 'SOA', data: { ...r.data } };
    case 'TLSA': {
      const { usage, selector, matchingType, data } = r.data;
      const certificate = Buffer.from(data, 'hex');
      return { ...base, type: 'TLSA', data: { usage, selector, matchingType, certificate } };
    }
    default:
      return { ...base, type: r.type, data: r.data };
  }
}

function optRecord(extendedRcode: number, flags: number): dnsPacket.Answer {
  return {
    name: '.',
    type: 'OPT',
    udpPayloadSize: MAX_UDP_PAYLOAD,
    extendedRcode,
    ednsVersion: 0,
    flags,
    options: [],
  } as unknown as dnsPacket.Answer;
}

/** build: encode with no question, then splice the received question in (dns-packet writes no compression pointers to move). */
function build(
  id: number,
  flags: number,
  q: RawQuestion,
  sections: { answers?: ZoneRecord[]; authorities?: ZoneRecord[]; opt?: dnsPacket.Answer },
): Buffer {
  const body = dnsPacket.encode({
    type: 'response',
    id,
    flags,
    questions: [],
    answers: (sections.answers ?? []).map(toAnswer),
    authorities: (sections.authorities ?? []).map(toAnswer),
    additionals: sections.opt ? [sections.opt] : [],
  });
  body.writeUInt16BE(1, 4);
  return Buffer.concat([body.subarray(0, HEADER_OCTETS), q.bytes, body.subarray(HEADER_OCTETS)]);
}

/**
 * adBit: AD for an answer, as a validating resolver sets it (RFC 6840 §5.7,
 * §5.8): only when the query set AD or DO, and only when there are answers
 * and every RRset among them (a CNAME chain's included) is signed. A
 * negative answer never gets it: the lab has no NSEC records to prove one.
 */
function adBit(asked: boolean, answer: ZoneAnswer | undefined): number {
  const answers = answer?.answers ?? [];
  return asked && answers.length > 0 && answers.every((r) => r.signed === true) ? AD : 0;
}

/**
 * answerQuery: see the module comment. Silence for anything that is not a
 * query (a response, a runt): answering those could start a loop. FORMERR
 * for what cannot be parsed, NOTIMP for opcodes other than QUERY, REFUSED
 * for other classes, zone transfers and names outside .test. Over UDP an
 * answer larger than 512 octets (no EDNS) or than the client's EDNS size
 * (at most MAX_UDP_PAYLOAD) is replaced by an empty one with TC=1
 * (RFC 1035 §4.2.1, RFC 6891 §7), and the client retries over TCP. TCP
 * and HTTPS (RFC 8484 §6: a DoH answer is never truncated) send it whole.
 */
export function answerQuery(
  zone: Zone,
  query: Buffer,
  transport: 'udp' | 'tcp' | 'https',
): DnsReply {
  if (query.length < HEADER_OCTETS || (query.readUInt16BE(2) & QR) !== 0)
    return { response: null, truncated: false };
  if (query.length > MAX_QUERY_OCTETS) return headerOnly(query, 'FORMERR');
  let decoded: dnsPacket.DecodedPacket;
  try {
    decoded = dnsPacket.decode(query);
  } catch {
    return headerOnly(query, 'FORMERR');
  }
  const q = readQuestion(query);
  if (!q || decoded.questions?.length !== 1) return headerOnly(query, 'FORMERR');
  const id = query.readUInt16BE(0);
  const inFlags = query.readUInt16BE(2);
  const opcode = (inFlags >> 11) & 0xf;
  const question = { name: q.name, type: TYPE_NAMES[q.type] ?? `TYPE${q.type}` };
  const echo = inFlags & (0x7800 | RD | CD);
  const opts = (decoded.additionals ?? []).filter((a) => a.type === 'OPT') as unknown as {
    udpPayloadSize: number;
    ednsVersion: number;
    flags?: number;
  }[];
  // RFC 6891 §6.1.1: more than one OPT is a format error.
  if (opts.length > 1) return { ...headerOnly(query, 'FORMERR'), question };
  const edns = opts[0];
  const dnssecOk = (edns?.flags ?? 0) & DO;
  const asksAd = (inFlags & AD) !== 0 || dnssecOk !== 0;
  const reply = (rcode: Rcode, answer?: ZoneAnswer): DnsReply => {
    const code = rcode === 'BADVERS' ? 0 : RCODES[rcode];
    const flags = echo | code | (answer?.authoritative ? AA : 0) | adBit(asksAd, answer);
    // RFC 3225 §3: the DO bit is copied into the response.
    const opt = edns ? optRecord(rcode === 'BADVERS' ? 1 : 0, dnssecOk) : undefined;
    const full = build(id, flags, q, {
      answers: answer?.answers,
      authorities: answer?.authorities,
      opt,
    });
    const limit = edns
      ? Math.min(Math.max(edns.udpPayloadSize, CLASSIC_UDP_PAYLOAD), MAX_UDP_PAYLOAD)
      : CLASSIC_UDP_PAYLOAD;
    if (transport !== 'udp' || full.length <= limit)
      return { response: full, question, rcode, truncated: false };
    return { response: build(id, flags | TC, q, { opt }), question, rcode, truncated: true };
  };
  if (opcode !== 0) return reply('NOTIMP');
  // RFC 6891 §6.1.3: we speak EDNS version 0 only.
  if (edns && edns.ednsVersion > 0) return reply('BADVERS');
  if (q.klass !== CLASS_IN || ZONE_TRANSFERS.has(q.type)) return reply('REFUSED');
  const answer = zone.answer(q.name, question.type);
  return reply(answer.rcode, answer);
}
