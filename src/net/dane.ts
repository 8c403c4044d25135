/**
 * DANE for SMTP (RFC 7672) over TLSA records (RFC 6698, updated by RFC 7671): parse a record's
 * RDATA, match records against the certificate chain a server presented, and turn the TLSA
 * lookup plus that match into one word per MX host. No DNS and no sockets here: the caller
 * brings the records, the AD bit and the chain (DER, leaf first, as presented, or its digest:
 * dane-chain.ts).
 */
import {
  associationMatches,
  type ChainDigest,
  digestChain,
  leafCarries,
  NO_CHAIN,
} from './dane-chain.js';

/**
 * TlsaRecord: one TLSA record (RFC 6698 §2.1). `data` is the certificate association data as
 * raw bytes (not hex): the form it has on the wire and the form a digest is compared in.
 */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

/** TlsaParseCode: why RDATA is not a TLSA record. */
export type TlsaParseCode = 'TLSA_TOO_SHORT' | 'TLSA_EMPTY_DATA' | 'TLSA_DIGEST_LENGTH';

/** TlsaParse: a parsed record, or why the RDATA is not one (a value, never a throw). */
export type TlsaParse =
  | { ok: true; record: TlsaRecord }
  | { ok: false; code: TlsaParseCode; error: string };

// RFC 6698 §2.1.3: matching type 1 is SHA-256 (32 bytes), 2 is SHA-512 (64 bytes).
const DIGESTS: Record<number, { algorithm: string; length: number }> = {
  1: { algorithm: 'sha256', length: 32 },
  2: { algorithm: 'sha512', length: 64 },
};

/**
 * parseTlsaRdata: RFC 6698 §2.1 wire format: usage, selector and matching type (one byte each),
 * then the association data. Fewer than 3 bytes, no data, or a digest of the wrong length for
 * its matching type is an error value. Unknown usages, selectors and matching types parse:
 * RFC 7671 §4 makes them "unusable", which matchTlsa reports.
 */
export function parseTlsaRdata(rdata: Buffer): TlsaParse {
  if (rdata.length < 3)
    return {
      ok: false,
      code: 'TLSA_TOO_SHORT',
      error: `TLSA RDATA of ${rdata.length} byte(s): it needs 3 bytes of parameters and the association data (RFC 6698 §2.1)`,
    };
  const record: TlsaRecord = {
    usage: rdata[0]!,
    selector: rdata[1]!,
    matchingType: rdata[2]!,
    data: Buffer.from(rdata.subarray(3)),
  };
  const malformed = malformedData(record);
  if (malformed) return { ok: false, ...malformed };
  return { ok: true, record };
}

function malformedData(r: TlsaRecord): { code: TlsaParseCode; error: string } | undefined {
  if (r.data.length === 0)
    return {
      code: 'TLSA_EMPTY_DATA',
      error: `TLSA ${r.usage} ${r.selector} ${r.matchingType} has no association data`,
    };
  const digest = DIGESTS[r.matchingType];
  if (digest && r.data.length !== digest.length)
    return {
      code: 'TLSA_DIGEST_LENGTH',
      error: `TLSA ${r.usage} ${r.selector} ${r.matchingType} carries ${r.data.length} bytes, but a ${digest.algorithm.toUpperCase()} digest is ${digest.length} (RFC 6698 §2.1.3)`,
    };
  return undefined;
}

/** tlsaText: a record in presentation form ("3 1 1 ab12…"), the data cut to 16 hex digits. */
export function tlsaText(r: TlsaRecord): string {
  const hex = r.data.toString('hex');
  return `${r.usage} ${r.selector} ${r.matchingType} ${hex.length > 16 ? `${hex.slice(0, 16)}…` : hex}`;
}

/** TlsaVerdict: what matchTlsa found: which record matched which certificate (depth 0 = leaf), and why the others did not. */
export interface TlsaVerdict {
  state: 'dane-valid' | 'dane-mismatch' | 'no-usable-tlsa';
  matched?: { record: number; depth: number };
  reasons: string[];
}

/**
 * unusableWhy: why a record cannot be used for SMTP, or undefined when it can. RFC 7672 §3.1.3:
 * PKIX-TA(0) and PKIX-EE(1) are not used by SMTP clients; RFC 7671 §4: an unknown selector or
 * matching type, or malformed data, makes the record unusable (ignored, not a failure).
 */
function unusableWhy(r: TlsaRecord): string | undefined {
  if (r.usage === 0 || r.usage === 1)
    return `usage ${r.usage} (PKIX-${r.usage === 0 ? 'TA' : 'EE'}) is not used for SMTP (RFC 7672 §3.1.3)`;
  if (r.usage !== 2 && r.usage !== 3) return `unknown usage ${r.usage}`;
  if (r.selector !== 0 && r.selector !== 1) return `unknown selector ${r.selector}`;
  if (r.matchingType !== 0 && !DIGESTS[r.matchingType])
    return `unknown matching type ${r.matchingType}`;
  return malformedData(r)?.error;
}

/**
 * matchTlsa: RFC 7672 §3.1 over a presented chain (DER, leaf first). DANE-EE(3) matches the
 * leaf only, and neither its names nor its dates are checked (§3.1.1). DANE-TA(2) matches a
 * presented certificate above the leaf (or the leaf itself when self-issued) as trust anchor;
 * each certificate below it must be issued and signed by the next, be within its dates at
 * `now`, and the leaf must carry `mxName` (§3.2.2, names as §3.2.3 reads them). Caveats of this
 * slice: a TA the server did not send (a "2 0 0" full certificate published only in DNS) is not
 * used, the chain must be presented in order, and the anchor's own dates are not checked (it is
 * a key, not a chain link).
 */
export function matchTlsa(
  records: readonly TlsaRecord[],
  chainDer: readonly Buffer[],
  mxName: string,
  now: Date = new Date(),
): TlsaVerdict {
  return matchChain(records, digestChain(chainDer, now), mxName);
}

/** matchChain: matchTlsa over a chain already digested (digestChain, its links judged when it was made). */
export function matchChain(
  records: readonly TlsaRecord[],
  chain: ChainDigest,
  mxName: string,
): TlsaVerdict {
  const reasons: string[] = [];
  const usable = records.flatMap((r, index) => {
    const why = unusableWhy(r);
    if (why) reasons.push(`record ${index} (${tlsaText(r)}) is unusable: ${why}`);
    return why ? [] : [index];
  });
  if (usable.length === 0) return { state: 'no-usable-tlsa', reasons };
  reasons.push(...chain.reasons);
  if (chain.certs === 0) return { state: 'dane-mismatch', reasons };
  for (const index of usable) {
    const r = records[index]!;
    const depth =
      r.usage === 3
        ? matchEndEntity(r, chain, reasons, index)
        : matchTrustAnchor(r, chain, reasons, index, mxName);
    if (depth !== undefined)
      return { state: 'dane-valid', matched: { record: index, depth }, reasons };
  }
  return { state: 'dane-mismatch', reasons };
}

const matches = (chain: ChainDigest, depth: number, r: TlsaRecord): boolean =>
  associationMatches(chain, depth, r.selector, r.matchingType, r.data);

function matchEndEntity(
  r: TlsaRecord,
  chain: ChainDigest,
  reasons: string[],
  index: number,
): number | undefined {
  if (matches(chain, 0, r)) return 0;
  reasons.push(`record ${index} (${tlsaText(r)}) does not match the leaf certificate`);
  return undefined;
}

/** anchorDepth: the first presented certificate `r` matches as an anchor: above the leaf, or the leaf when self-issued; -1 for none. */
function anchorDepth(chain: ChainDigest, r: TlsaRecord): number {
  for (let d = chain.selfIssuedLeaf ? 0 : 1; d < chain.certs; d++)
    if (matches(chain, d, r)) return d;
  return -1;
}

function matchTrustAnchor(
  r: TlsaRecord,
  chain: ChainDigest,
  reasons: string[],
  index: number,
  mxName: string,
): number | undefined {
  const depth = anchorDepth(chain, r);
  if (depth < 0) {
    reasons.push(`record ${index} (${tlsaText(r)}) matches no presented issuer certificate`);
    return undefined;
  }
  const broken = chain.links.slice(0, depth).find((why) => why !== undefined);
  const name = mxName.replace(/\.$/, '');
  const problem =
    broken ??
    (leafCarries(chain, name)
      ? undefined
      : `the leaf does not carry the MX name ${name} (RFC 7672 §3.2.2)`);
  if (!problem) return depth;
  reasons.push(
    `record ${index} (${tlsaText(r)}) matches the certificate at depth ${depth}, but ${problem}`,
  );
  return undefined;
}

/**
 * DANE_STATES: the per-MX words. The issue's four (dane-valid, dane-mismatch, no-tlsa,
 * tlsa-without-dnssec), and three it leaves open: records none of which SMTP can use, TLS not
 * reached while usable records demand it, and a TLSA lookup that failed.
 */
export const DANE_STATES = [
  'dane-valid',
  'dane-mismatch',
  'dane-no-tls',
  'no-tlsa',
  'no-usable-tlsa',
  'tlsa-without-dnssec',
  'tlsa-lookup-failed',
] as const;
/** DaneWord: one of DANE_STATES. */
export type DaneWord = (typeof DANE_STATES)[number];

/**
 * DaneStateInput: the TLSA lookup's outcome and AD bit, its records, the presented chain (as
 * DER in `chainDer`, or already digested in `chain`; null or absent: TLS not reached) and the
 * MX name.
 */
export interface DaneStateInput {
  tlsaLookupStatus: 'ok' | 'nodata' | 'nxdomain' | 'error';
  /** authenticated: the AD bit of the TLSA answer. */
  authenticated: boolean;
  records: readonly TlsaRecord[];
  chainDer?: readonly Buffer[] | null;
  chain?: ChainDigest | null;
  mxName: string;
  /** owner: the TLSA name asked (default `_25._tcp.<mxName>`; another port or a CNAME-expanded base, RFC 7672 §2.2.2). */
  owner?: string;
  now?: Date;
}

/** DaneState: the word, a finding citing the RFC, the AD caveat, and the match when one was tried. */
export interface DaneState {
  state: DaneWord;
  finding: string;
  note: string;
  match?: TlsaVerdict;
}

/** AD_BIT_NOTE: what every DANE verdict rests on. */
export const AD_BIT_NOTE =
  'the AD bit is only as trustworthy as the resolver that set it and the path to it: DANE needs a validating resolver on the host or reached over a secure channel (RFC 7672 §2.1.1, RFC 6698 §4.1)';

/**
 * daneState: one word per MX host. Records without AD=1 are not usable at all (RFC 7672 §2.2),
 * so they decide nothing however well they match; a failed lookup is not "no TLSA" (§2.2.1: a
 * sender defers rather than downgrade).
 */
export function daneState(opts: DaneStateInput): DaneState {
  const at = opts.owner ?? `_25._tcp.${opts.mxName.replace(/\.$/, '')}`;
  const word = (state: DaneWord, finding: string, match?: TlsaVerdict): DaneState => ({
    state,
    finding,
    note: AD_BIT_NOTE,
    ...(match ? { match } : {}),
  });
  if (opts.tlsaLookupStatus === 'error')
    return word(
      'tlsa-lookup-failed',
      `the TLSA lookup of ${at} failed: a DANE sender defers delivery to this MX rather than downgrade (RFC 7672 §2.2.1)`,
    );
  if (opts.tlsaLookupStatus !== 'ok' || opts.records.length === 0)
    return word(
      'no-tlsa',
      `${at} has no TLSA records: senders use opportunistic TLS without DANE (RFC 7672 §2.2)`,
    );
  if (!opts.authenticated)
    return word(
      'tlsa-without-dnssec',
      `${at} has TLSA records, but the answer was not DNSSEC-validated (AD=0): they are not usable (RFC 7672 §2.2)`,
    );
  const chain =
    opts.chain !== undefined
      ? opts.chain
      : opts.chainDer
        ? digestChain(opts.chainDer, opts.now)
        : null;
  const match = matchChain(opts.records, chain ?? NO_CHAIN, opts.mxName);
  if (match.state === 'no-usable-tlsa')
    return word(
      'no-usable-tlsa',
      `none of the TLSA records at ${at} is usable for SMTP: senders must still use TLS, without authentication (RFC 7672 §2.2, §3.1.3)`,
      match,
    );
  if (chain === null)
    return word(
      'dane-no-tls',
      `${at} has usable TLSA records, but no TLS session was reached: a DANE sender does not deliver in clear (RFC 7672 §2.2)`,
      match,
    );
  if (match.state === 'dane-valid')
    return word(
      'dane-valid',
      `record ${match.matched!.record} at ${at} authenticates the certificate at depth ${match.matched!.depth} (RFC 7672 §3.1)`,
      match,
    );
  return word(
    'dane-mismatch',
    `no TLSA record at ${at} matches the presented chain: DANE senders will not deliver here (RFC 7672 §3.1, §2.2)`,
    match,
  );
}
