/**
 * The lab's TLSA records (RFC 6698), for DANE (RFC 7672). They cannot be
 * data like the rest of the zone: the owner name carries the SMTP port
 * (`_2525._tcp.mx.sts-enforce.test`, a free one with port 0) and a matching
 * record is a digest of a certificate made at start. So startLab makes them
 * once both exist, before the DNS server starts.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import type { LabPki } from './certs.js';
import type { LabHostSpec } from './hosts.js';
import { RECORD_TTL_S } from './scenario-parts.js';
import type { ZoneRecord } from './zone-record.js';

// RFC 7672 §3.1.1: DANE-EE (3), the SubjectPublicKeyInfo (1), its SHA-256 (1): the record SMTP servers are told to publish.
const DANE_EE = 3;
const SPKI = 1;
const SHA256 = 1;

/** tlsaOwner: where a host's TLSA records live for TCP `port` (RFC 6698 §3, RFC 7672 §2.2.3). */
export function tlsaOwner(port: number, host: string): string {
  return `_${port}._tcp.${host}`;
}

/** spkiSha256: the SHA-256 of a certificate's SubjectPublicKeyInfo (DER), in hex: what a `3 1 1` record holds. */
export function spkiSha256(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/**
 * tlsaRecords: one `3 1 1` record per host with a `tlsa`: the digest of its
 * leaf (`leaf`, made now if not yet) or 32 random octets (`other`: no
 * certificate matches them); signed when the host is.
 */
export async function tlsaRecords(
  hosts: readonly LabHostSpec[],
  port: number,
  pki: Pick<LabPki, 'leaf'>,
): Promise<ZoneRecord[]> {
  return Promise.all(
    hosts
      .filter((h) => h.tlsa)
      .map(async (h): Promise<ZoneRecord> => {
        const data =
          h.tlsa === 'leaf'
            ? spkiSha256((await pki.leaf(h)).certPem)
            : randomBytes(32).toString('hex');
        return {
          name: tlsaOwner(port, h.name),
          type: 'TLSA',
          ttl: RECORD_TTL_S,
          data: { usage: DANE_EE, selector: SPKI, matchingType: SHA256, data },
          ...(h.signed ? { signed: true } : {}),
        };
      }),
  );
}
