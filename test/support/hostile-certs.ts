/**
 * hostileCerts: the certificates the hostile server presents after STARTTLS,
 * one per kind, and the CA files a probe is given. Those trust good, expired
 * and wrong-name, so expired and wrong-name are refused for their date and
 * their name rather than their issuer; self-signed stays untrusted.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MX_NAME } from './hostile-plain-mta.js';

/** CertKind: which certificate STARTTLS presents (CA files given to probes trust good, expired and wrong-name). */
export type CertKind = 'good' | 'expired' | 'self-signed' | 'wrong-name';

/** HostileCerts: one key pair and certificate per kind, and the CA files a probe is given. */
export type HostileCerts = Record<CertKind, { key: string; cert: string }> & { caFiles: string[] };

/** hostileCerts: the four certificates for `mx.example.test` (wrong-name: for another host), made once. */
export async function hostileCerts(dir: string): Promise<HostileCerts> {
  const { generate } = await import('selfsigned');
  const day = 86_400_000;
  const make = async (name: string, from?: Date, to?: Date) => {
    const pems = await generate([{ name: 'commonName', value: name }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: name }] }],
      ...(from ? { notBeforeDate: from } : {}),
      ...(to ? { notAfterDate: to } : {}),
    });
    return { key: pems.private, cert: pems.cert };
  };
  const now = Date.now();
  const good = await make(MX_NAME);
  const expired = await make(MX_NAME, new Date(now - 400 * day), new Date(now - 35 * day));
  const selfSigned = await make(MX_NAME);
  const wrongName = await make('other.example.net');
  const caFiles: string[] = [];
  for (const [kind, c] of Object.entries({ good, expired, wrongName })) {
    const file = join(dir, `${kind}.pem`);
    await writeFile(file, c.cert);
    caFiles.push(file);
  }
  return { good, expired, 'self-signed': selfSigned, 'wrong-name': wrongName, caFiles };
}
