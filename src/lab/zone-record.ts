/** The lab zone's record shapes, as data (no imports, so every lab module can take them from below). */

/** Soa: the fields of an SOA record (RFC 1035 §3.3.13). */
export interface Soa {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  /** minimum: the negative-caching TTL (RFC 2308 §4). */
  readonly minimum: number;
}

/** Tlsa: the fields of a TLSA record (RFC 6698 §2.1); `data` is the association data in hex. */
export interface Tlsa {
  readonly usage: number;
  readonly selector: number;
  readonly matchingType: number;
  readonly data: string;
}

/**
 * Signed: whether the record's RRset counts as DNSSEC-validated: the lab has
 * no keys or RRSIGs, it plays the validating resolver and sets AD=1 for it
 * (dns-answer.ts). Every record of one RRset says the same (Zone checks).
 */
interface Signed {
  readonly signed?: boolean;
}

/** ZoneRecord: one resource record, names in lower case without the final dot (the null MX's exchange is "."). */
export type ZoneRecord = Signed &
  (
    | {
        readonly name: string;
        readonly type: 'A' | 'AAAA';
        readonly ttl: number;
        readonly data: string;
      }
    | {
        readonly name: string;
        readonly type: 'CNAME';
        readonly ttl: number;
        readonly data: string;
      }
    | {
        readonly name: string;
        readonly type: 'MX';
        readonly ttl: number;
        readonly data: { readonly preference: number; readonly exchange: string };
      }
    | {
        readonly name: string;
        readonly type: 'TXT';
        readonly ttl: number;
        readonly data: readonly string[];
      }
    | { readonly name: string; readonly type: 'SOA'; readonly ttl: number; readonly data: Soa }
    | { readonly name: string; readonly type: 'TLSA'; readonly ttl: number; readonly data: Tlsa }
  );

/** SoaRecord: the SOA member of ZoneRecord. */
export type SoaRecord = Extract<ZoneRecord, { type: 'SOA' }>;
