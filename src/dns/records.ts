/**
 * Resource records from dns-packet's decoded form to ours (RecordSchema):
 * the types a mail walk reasons about (A, AAAA, CNAME, MX) as fields, every
 * other type kept as its presentation text, so the trace shows what the
 * server said even for types we do not interpret.
 *
 * The decoded shapes are declared here rather than imported from
 * @types/dns-packet: that package is a devDependency, and a type from it in
 * an exported signature makes the published declarations unusable for a
 * strict consumer (TS7016). Only the fields read below are declared.
 */
import type { DnsRecord } from '../schema/dns.js';

/**
 * DecodedAnswer: one resource record as dns-packet decodes it — `type` is
 * the mnemonic ("MX", "UNKNOWN_65280"), `data` depends on it. The few
 * shapes toRecord reads are in KnownAnswer; every other type is kept whole.
 */
export interface DecodedAnswer {
  type: string;
  name: string;
  ttl?: number | undefined;
  data?: unknown;
}

type Text = string | Buffer;

/** KnownAnswer: the decoded types whose `data` toRecord reads field by field (dns-packet's shapes). */
type KnownAnswer = { name: string; ttl?: number | undefined } & (
  | { type: 'A' | 'AAAA' | 'CNAME'; data: string }
  | { type: 'MX'; data: { preference?: number | undefined; exchange: string } }
  | { type: 'TXT'; data: Text | Text[] }
  | {
      type: 'SOA';
      data: {
        mname: string;
        rname: string;
        serial?: number | undefined;
        refresh?: number | undefined;
        retry?: number | undefined;
        expire?: number | undefined;
        minimum?: number | undefined;
      };
    }
  | {
      type: 'SRV';
      data: {
        priority?: number | undefined;
        weight?: number | undefined;
        port: number;
        target: string;
      };
    }
  | { type: 'CAA'; data: { flags?: number | undefined; tag: string; value: Text } }
  | { type: 'HINFO'; data: { cpu: Text; os: Text } }
  | {
      type: 'TLSA';
      data: { usage: number; selector: number; matchingType: number; certificate: Buffer };
    }
);

const KNOWN_TYPES: ReadonlySet<string> = new Set<KnownAnswer['type']>([
  'A',
  'AAAA',
  'CNAME',
  'MX',
  'TXT',
  'SOA',
  'SRV',
  'CAA',
  'HINFO',
  'TLSA',
]);

// The decoder gives each of these types the data shape KnownAnswer declares for it.
function isKnown(answer: DecodedAnswer): answer is KnownAnswer {
  return KNOWN_TYPES.has(answer.type);
}

/**
 * toRecord: our record for one decoded answer, or undefined for the OPT
 * pseudo-record (RFC 6891 §6.1.1: it describes the message, not a name).
 */
export function toRecord(answer: DecodedAnswer): DnsRecord | undefined {
  if (answer.type === 'OPT') return undefined;
  const name = answer.name;
  const ttl = answer.ttl ?? 0;
  if (!isKnown(answer))
    return {
      type: 'OTHER',
      name,
      ttl,
      rrtype: rrtypeName(answer.type),
      data: genericText(answer.data),
    };
  switch (answer.type) {
    case 'A':
    case 'AAAA':
      return { type: answer.type, name, ttl, address: answer.data };
    case 'CNAME':
      return { type: 'CNAME', name, ttl, target: answer.data };
    case 'MX':
      // dns-packet decodes the root name as "."; an empty exchange is the same null MX (RFC 7505 §3).
      return {
        type: 'MX',
        name,
        ttl,
        preference: answer.data.preference ?? 0,
        exchange: answer.data.exchange || '.',
      };
    default:
      return { type: 'OTHER', name, ttl, rrtype: answer.type, data: rdataText(answer) };
  }
}

/** rrtypeName: the mnemonic, with RFC 3597 §5's TYPEnnn for types dns-packet does not know ("UNKNOWN_65280"). */
export function rrtypeName(type: string): string {
  const unknown = /^UNKNOWN_(\d+)$/.exec(type);
  return unknown ? `TYPE${unknown[1]}` : type;
}

/**
 * characterString: one <character-string> in zone-file form (RFC 1035 §5.1):
 * quoted, `"` and `\` escaped, bytes outside printable ASCII as \DDD, so a
 * hostile TXT record cannot smuggle control bytes into a terminal or a log.
 */
export function characterString(bytes: Buffer | string): string {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  let out = '';
  for (const b of buf) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${String(b).padStart(3, '0')}`;
  }
  return `"${out}"`;
}

/** unknownRdata: RFC 3597 §5's generic form, `\# <length> <hex>`. */
function unknownRdata(data: Buffer): string {
  return data.length === 0 ? '\\# 0' : `\\# ${data.length} ${data.toString('hex')}`;
}

/** rdataText: the record data as a zone file would present it, for types we keep as OTHER. */
function rdataText(
  answer: Extract<KnownAnswer, { type: 'TXT' | 'SOA' | 'SRV' | 'CAA' | 'HINFO' | 'TLSA' }>,
): string {
  switch (answer.type) {
    case 'TXT': {
      const parts = Array.isArray(answer.data) ? answer.data : [answer.data];
      return parts.map(characterString).join(' ');
    }
    case 'SOA': {
      const d = answer.data;
      return `${d.mname} ${d.rname} ${d.serial ?? 0} ${d.refresh ?? 0} ${d.retry ?? 0} ${d.expire ?? 0} ${d.minimum ?? 0}`;
    }
    case 'SRV': {
      const d = answer.data;
      return `${d.priority ?? 0} ${d.weight ?? 0} ${d.port} ${d.target}`;
    }
    case 'CAA': {
      const d = answer.data;
      return `${d.flags ?? 0} ${d.tag} ${characterString(d.value)}`;
    }
    case 'HINFO':
      return `${characterString(answer.data.cpu)} ${characterString(answer.data.os)}`;
    case 'TLSA': {
      // RFC 6698 §2.2: the three fields as numbers, the data in hex.
      const d = answer.data;
      return `${d.usage} ${d.selector} ${d.matchingType} ${d.certificate.toString('hex')}`;
    }
  }
}

/** genericText: names as they are, raw data per RFC 3597, structured data as JSON with binary in hex. */
function genericText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return unknownRdata(data);
  return JSON.stringify(data, (_key, value: unknown) => {
    // JSON.stringify has already turned a Buffer into { type: 'Buffer', data: [...] } by the time we see it.
    const v = value as { type?: unknown; data?: unknown };
    return v && v.type === 'Buffer' && Array.isArray(v.data)
      ? Buffer.from(v.data as number[]).toString('hex')
      : value;
  });
}

/**
 * txtStrings: the <character-string>s of a TXT record's presentation text (characterString's
 * output, space-separated) back as strings: what a TXT-based policy (MTA-STS, TLS-RPT) parses.
 * \DDD escapes become their bytes, read as Latin-1 so that a stray byte stays one character.
 */
export function txtStrings(text: string): string[] {
  const strings: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    strings.push(
      m[1]!.replace(/\\(\d{3}|.)/g, (_all, e: string) =>
        e.length === 3 ? String.fromCharCode(Number(e)) : e,
      ),
    );
  }
  return strings;
}
