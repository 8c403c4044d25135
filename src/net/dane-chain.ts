/**
 * A presented certificate chain reduced to what TLSA matching needs (RFC 6698 §2.1.2–§2.1.3,
 * RFC 7672 §3.1): per certificate the SHA-256 and SHA-512 of the whole certificate and of its
 * SubjectPublicKeyInfo, whether each link of the chain holds, and the leaf's names. A few hundred
 * bytes instead of the DER, so a caller that remembers thousands of addresses (the audit) can
 * still match TLSA records it learns of later. A full-data record (matching type 0) is compared
 * by its SHA-512, which stands for the bytes themselves.
 */
import type { X509Certificate as X509 } from 'node:crypto';
import { createRequire } from 'node:module';
import { covers, dnsNames } from './cert-names.js';

// node:crypto loads on first use, as in tls.ts: importing this module costs nothing at startup.
const load = createRequire(import.meta.url);
const nodeCrypto = (): typeof import('node:crypto') => load('node:crypto');

/** CHAIN_DIGEST_DEPTH: certificates digested from the top of a chain; no real chain is longer, and a hostile one stays small. */
export const CHAIN_DIGEST_DEPTH = 8;

// Per certificate, in one buffer: SHA-256 of the certificate and of its SPKI, then SHA-512 of each.
const SHA256_OCTETS = 32;
const SHA512_OCTETS = 64;
const CERT_OCTETS = 2 * SHA256_OCTETS + 2 * SHA512_OCTETS;

/** ChainDigest: see the module comment. `reasons` says why it is shorter than presented (or empty). */
export interface ChainDigest {
  /** How many certificates are digested: leaf first, up to the first that does not parse. */
  certs: number;
  /** Their digests, CERT_OCTETS each (one buffer: the audit keeps thousands). */
  digests: Buffer;
  /** Whether the leaf issued itself (only then may it be a DANE-TA anchor, RFC 7672 §3.1.2). */
  selfIssuedLeaf: boolean;
  /** links[d]: why certificate d is not issued and signed by d+1 or not within its dates; undefined when it holds. */
  links: (string | undefined)[];
  /** The DNS names the leaf is valid for (subjectAltName, else CN). */
  leafNames: string[];
  reasons: string[];
}

/** NO_CHAIN: what matching sees when no certificate was presented. */
export const NO_CHAIN: ChainDigest = Object.freeze({
  certs: 0,
  digests: Buffer.alloc(0),
  selfIssuedLeaf: false,
  links: [],
  leafNames: [],
  reasons: ['the server presented no certificate'],
});

/** digestChain: the digest of a chain (DER, leaf first, as presented), its links judged at `now`. */
export function digestChain(chainDer: readonly Buffer[], now: Date = new Date()): ChainDigest {
  if (chainDer.length === 0) return NO_CHAIN;
  const { X509Certificate } = nodeCrypto();
  const chain: X509[] = [];
  const reasons: string[] = [];
  for (const [depth, der] of chainDer.slice(0, CHAIN_DIGEST_DEPTH).entries()) {
    try {
      chain.push(new X509Certificate(der));
    } catch (err) {
      reasons.push(`the certificate at depth ${depth} does not parse: ${(err as Error).message}`);
      // Only the certificates below a broken one can still be chained.
      break;
    }
  }
  if (chainDer.length > CHAIN_DIGEST_DEPTH)
    reasons.push(
      `only the first ${CHAIN_DIGEST_DEPTH} of the ${chainDer.length} certificates presented are matched`,
    );
  const leaf = chain[0];
  return {
    certs: chain.length,
    digests: Buffer.concat(chain.map(certDigest)),
    selfIssuedLeaf: leaf?.checkIssued(leaf) ?? false,
    links: chain.slice(0, -1).map((cert, d) => brokenLink(cert, chain[d + 1]!, d, now)),
    leafNames: leaf ? dnsNames(leaf.subjectAltName?.split(/,\s*/) ?? [], leaf.subject) : [],
    reasons,
  };
}

/**
 * associationMatches: whether `data` is what a record of this selector and matching type holds
 * for the certificate at `depth` (RFC 6698 §2.1.2, §2.1.3).
 */
export function associationMatches(
  chain: ChainDigest,
  depth: number,
  selector: number,
  matchingType: number,
  data: Buffer,
): boolean {
  if (depth >= chain.certs) return false;
  const at = depth * CERT_OCTETS + (selector === 0 ? 0 : 1) * SHA256_OCTETS;
  const sha256 = chain.digests.subarray(at, at + SHA256_OCTETS);
  const at512 = depth * CERT_OCTETS + 2 * SHA256_OCTETS + (selector === 0 ? 0 : 1) * SHA512_OCTETS;
  const sha512 = chain.digests.subarray(at512, at512 + SHA512_OCTETS);
  if (matchingType === 1) return sha256.equals(data);
  if (matchingType === 2) return sha512.equals(data);
  return matchingType === 0 && sha512.equals(hash('sha512', data));
}

/** leafCarries: whether the leaf is valid for `name` (RFC 7672 §3.2.3: a DNS-ID, else the CN). */
export function leafCarries(chain: ChainDigest, name: string): boolean {
  return covers(chain.leafNames, name);
}

function certDigest(cert: X509): Buffer {
  // Read from the certificate's own bytes (cheaper than exporting the key, and what RFC 6698
  // §2.1.2 names); re-encoded from the key only if the DER is laid out otherwise.
  const spki = spkiOf(cert.raw) ?? cert.publicKey.export({ type: 'spki', format: 'der' });
  return Buffer.concat([
    hash('sha256', cert.raw),
    hash('sha256', spki),
    hash('sha512', cert.raw),
    hash('sha512', spki),
  ]);
}

function hash(algorithm: string, data: Buffer): Buffer {
  return nodeCrypto().createHash(algorithm).update(data).digest();
}

/** brokenLink: why `cert` (at depth `d`) is not issued and signed by `issuer` or not valid at `now`. */
function brokenLink(cert: X509, issuer: X509, d: number, now: Date): string | undefined {
  if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey))
    return `the certificate at depth ${d} is not issued and signed by the one at depth ${d + 1}`;
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from || now > to)
    return `the certificate at depth ${d} is not valid at ${now.toISOString()} (valid ${from.toISOString()} to ${to.toISOString()})`;
  return undefined;
}

/**
 * spkiOf: the SubjectPublicKeyInfo as it stands in a DER certificate (RFC 5280 §4.1: the
 * seventh element of tbsCertificate, after the optional [0] version, serialNumber, signature,
 * issuer, validity and subject); undefined when the bytes are not laid out that way.
 */
export function spkiOf(der: Buffer): Buffer | undefined {
  const cert = tlv(der, 0, 0x30);
  const tbs = cert && tlv(der, cert.content, 0x30);
  if (!tbs) return undefined;
  let at = tbs.content;
  if (der[at] === 0xa0) at = tlv(der, at, 0xa0)?.end ?? -1;
  for (let field = 0; field < 5 && at >= 0; field++) at = tlv(der, at)?.end ?? -1;
  const spki = at >= 0 ? tlv(der, at, 0x30) : undefined;
  return spki && spki.end <= tbs.end ? der.subarray(at, spki.end) : undefined;
}

/** tlv: the DER element at `at` (of tag `tag` when given): where its content starts and where it ends. */
function tlv(der: Buffer, at: number, tag?: number): { content: number; end: number } | undefined {
  if (at + 2 > der.length || (tag !== undefined && der[at] !== tag)) return undefined;
  const first = der[at + 1]!;
  let length = first;
  let content = at + 2;
  if (first & 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 3 || content + octets > der.length) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[content + i]!;
    content += octets;
  }
  const end = content + length;
  return end <= der.length ? { content, end } : undefined;
}
