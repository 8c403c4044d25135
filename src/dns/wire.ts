/**
 * DNS wire format via dns-packet: queries out, responses in as our record
 * values. Two checks, kept apart on purpose: `answerMismatch` decides whether
 * a packet is the answer to our query at all (RFC 5452 §9.1: id, QR and
 * question must match, the cheap defence against stray and spoofed packets),
 * and `decodeResponse` decodes one that is, throwing when our answer is
 * broken. A stranger is ignored; a broken answer is a malformed exchange.
 */
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import type { DnsExchange, DnsRecord, QueryType } from '../schema/dns.js';
import { toRecord } from './records.js';

/**
 * EDNS_UDP_SIZE: the UDP payload we offer in EDNS0 (RFC 6891 §6.2.5). 1232 is
 * DNS Flag Day 2020's value: it fits an IPv6 minimum MTU without fragments,
 * and larger answers come back truncated and go over TCP.
 */
export const EDNS_UDP_SIZE = 1232;
/** DNS_HEADER_OCTETS: the fixed header (RFC 1035 §4.1.1). */
export const DNS_HEADER_OCTETS = 12;

const QR = 0x8000;
const CLASS_IN = 1;

/** Query: an encoded query and what an answer to it must carry. */
export interface Query {
  id: number;
  name: string;
  type: QueryType;
  bytes: Buffer;
}

/**
 * encodeQuery: a recursive query (RD set) for name/type with an EDNS0 OPT
 * record offering EDNS_UDP_SIZE, under a fresh random id (RFC 5452 §9.2: a
 * predictable id is an invitation to spoof). AD is set too: RFC 6840 §5.7
 * has a validating resolver then say in its answer whether the data was
 * DNSSEC-validated, which DANE needs, without the DO bit's signatures on the
 * wire. `name` must already be in A-labels (normalizeDomain).
 */
export function encodeQuery(name: string, type: QueryType, id = randomInt(0, 0x10000)): Query {
  const opt = {
    type: 'OPT',
    name: '.',
    udpPayloadSize: EDNS_UDP_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  } as const;
  const bytes = packet.encode({
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED | packet.AUTHENTIC_DATA,
    questions: [{ type, name, class: 'IN' }],
    additionals: [opt as unknown as packet.Answer],
  });
  return { id, name, type, bytes };
}

/** Response: a decoded answer to our query, in the shape the trace shows. */
export interface Response {
  id: number;
  /** rcode: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, …, including EDNS extended codes (BADVERS). */
  rcode: string;
  flags: NonNullable<DnsExchange['flags']>;
  answers: DnsRecord[];
  authority: DnsRecord[];
}

interface QuestionKey {
  name: string;
  type: number;
  klass: number;
}

/** Codec: one of dns-packet's part decoders; `decode.bytes` is how many octets the last call consumed. */
interface Codec<T> {
  decode: ((buf: Buffer, offset: number) => T) & { bytes: number };
}
// dns-packet exports its part codecs, though @types/dns-packet does not declare them.
const codecs = packet as unknown as {
  name: Codec<string>;
  question: Codec<packet.Question>;
  answer: Codec<packet.Answer>;
};

/** readQuestion: the first question of a message (name, numeric type and class), read with dns-packet's name decoder. */
function readQuestion(buf: Buffer): QuestionKey {
  const text = codecs.name.decode(buf, DNS_HEADER_OCTETS);
  const at = DNS_HEADER_OCTETS + codecs.name.decode.bytes;
  return { name: text, type: buf.readUInt16BE(at), klass: buf.readUInt16BE(at + 2) };
}

/**
 * answerMismatch: why `response` is not the answer to `query` (both whole
 * messages), or undefined when it is. Checked: a full header, the id, the QR
 * bit, opcode QUERY, and the question (name case-insensitively, RFC 4343;
 * type; class IN). An error response without a question section is accepted,
 * since a server that could not parse the question (FORMERR) cannot echo it.
 */
export function answerMismatch(query: Buffer, response: Buffer): string | undefined {
  if (response.length < DNS_HEADER_OCTETS)
    return `${response.length} bytes, shorter than a DNS header`;
  const id = query.readUInt16BE(0);
  const gotId = response.readUInt16BE(0);
  if (gotId !== id) return `id ${gotId}, not ours (${id})`;
  const flags = response.readUInt16BE(2);
  if ((flags & QR) === 0) return 'QR bit clear: a query, not a response';
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return `opcode ${opcode}, not QUERY`;
  const count = response.readUInt16BE(4);
  if (count === 0)
    return (flags & 0xf) === 0 || (flags & 0xf) === 3 ? 'no question section' : undefined;
  if (count > 1) return `${count} questions; we asked one`;
  let asked: QuestionKey;
  let got: QuestionKey;
  try {
    asked = readQuestion(query);
    got = readQuestion(response);
  } catch (err) {
    return `question cannot be read (${(err as Error).message})`;
  }
  if (got.name.toLowerCase() !== asked.name.toLowerCase())
    return `question is for "${got.name}", not "${asked.name}"`;
  if (got.type !== asked.type) return `question is for type ${got.type}, not ${asked.type}`;
  if (got.klass !== CLASS_IN) return `question is for class ${got.klass}, not IN`;
  return undefined;
}

/**
 * decodeResponse: a whole response decoded into our records. Throws an Error
 * describing the breakage (bad name pointer, a record running past the end,
 * RDATA not the length RDLENGTH says, …); the caller calls that exchange
 * malformed. Records are walked here, by RDLENGTH, rather than by
 * dns-packet's whole-message decoder, which trusts each type's decoder to
 * stop in the right place and reads past a cut-off A record without a word.
 */
export function decodeResponse(bytes: Buffer): Response {
  try {
    return walkMessage(bytes);
  } catch (err) {
    throw new Error(`cannot decode the answer (${bytes.length} bytes): ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function walkMessage(buf: Buffer): Response {
  if (buf.length < DNS_HEADER_OCTETS) throw new Error('shorter than a DNS header');
  const flags = buf.readUInt16BE(2);
  let offset = DNS_HEADER_OCTETS;
  for (let i = 0; i < buf.readUInt16BE(4); i++) {
    codecs.question.decode(buf, offset);
    offset += codecs.question.decode.bytes;
  }
  const sections: packet.Answer[][] = [[], [], []];
  try {
    for (const [index, section] of (['answer', 'authority', 'additional'] as const).entries()) {
      for (let i = 0; i < buf.readUInt16BE(6 + 2 * index); i++) {
        const rr = readRecord(buf, offset, `${section} record ${i + 1}`);
        sections[index]!.push(rr.answer);
        offset = rr.next;
      }
    }
  } catch (err) {
    // RFC 1035 §4.2.1: a truncated (TC) message may be cut anywhere, even inside a record.
    // Keep the whole records; the resolver asks again over TCP for the rest.
    if ((flags & 0x0200) === 0) throw err;
  }
  const [answers = [], authorities = [], additionals = []] = sections;
  return {
    id: buf.readUInt16BE(0),
    rcode: rcodeOf(flags, additionals),
    flags: {
      aa: (flags & 0x0400) !== 0,
      tc: (flags & 0x0200) !== 0,
      rd: (flags & 0x0100) !== 0,
      ra: (flags & 0x0080) !== 0,
      ad: (flags & 0x0020) !== 0,
    },
    answers: records(answers),
    authority: records(authorities),
  };
}

/** readRecord: one resource record at `offset`, checked to end where its RDLENGTH says (RFC 1035 §4.1.3). */
function readRecord(
  buf: Buffer,
  offset: number,
  where: string,
): { answer: packet.Answer; next: number } {
  try {
    codecs.name.decode(buf, offset);
    const fixed = offset + codecs.name.decode.bytes;
    if (fixed + 10 > buf.length) throw new Error('the message ends inside the record header');
    const rdlength = buf.readUInt16BE(fixed + 8);
    const next = fixed + 10 + rdlength;
    if (next > buf.length) throw new Error(`RDLENGTH ${rdlength} runs past the end of the message`);
    const answer = codecs.answer.decode(buf, offset);
    const used = offset + codecs.answer.decode.bytes - (fixed + 10);
    if (used !== rdlength)
      throw new Error(`${answer.type} data takes ${used} octets but RDLENGTH says ${rdlength}`);
    return { answer, next };
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
  }
}

function records(list: packet.Answer[]): DnsRecord[] {
  return list.flatMap((a) => toRecord(a) ?? []);
}

// RFC 1035 §4.1.1 and the IANA registry; RFC 6891 §6.1.3: with EDNS the RCODE has 12 bits, the OPT record carrying the upper 8.
const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADVERS',
  17: 'BADKEY',
  18: 'BADTIME',
  19: 'BADMODE',
  20: 'BADNAME',
  21: 'BADALG',
  22: 'BADTRUNC',
  23: 'BADCOOKIE',
};

function rcodeOf(flags: number, additionals: packet.Answer[]): string {
  const low = flags & 0xf;
  const opt = additionals.find((a): a is packet.OptAnswer => a.type === 'OPT');
  const full = ((opt?.extendedRcode ?? 0) << 4) | low;
  return RCODE_NAMES[full] ?? `RCODE${full}`;
}
