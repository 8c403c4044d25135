/** Certificates made at test time with `selfsigned` (EC P-256, SHA-256), and a temp file for --ca. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** TestCert: key and certificate in PEM, and the certificate written to a file (for caFiles). */
export interface TestCert {
  key: string;
  cert: string;
  certFile: string;
}

/** SanEntry: a DNS name (type 2) or an IP address (type 7). */
export type SanEntry = { type: 2; value: string } | { type: 7; ip: string };

/** makeCert: a fresh self-signed certificate for `commonName` with the given subjectAltNames. */
export async function makeCert(
  commonName: string,
  altNames: SanEntry[],
  dir: string,
): Promise<TestCert> {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  const certFile = join(
    dir,
    `${commonName.replace(/[^a-z0-9.]/gi, '_')}-${Math.random().toString(16).slice(2)}.pem`,
  );
  await writeFile(certFile, pems.cert);
  return { key: pems.private, cert: pems.cert, certFile };
}

/** tempDir: a private directory and its cleanup. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'smtp-probe-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
