/**
 * The lab's PKI: a throwaway CA made at start, and a certificate for each
 * STARTTLS host signed by it. Trusting the CA (its PEM is written to a temp
 * file for `--ca`) lets a client see a chain verify end to end; not trusting
 * it shows the "unable to verify" case. Private keys stay in memory.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { hostnameOf, type Personality } from './personality.js';

/** LAB_CA_NAME: the CA's common name, as a client's chain report will show it. */
export const LAB_CA_NAME = 'smtp-probe lab CA';

/** CERT_VALIDITY_DAYS: long enough for a `lab` left running, short because every start makes a new CA anyway. */
const CERT_VALIDITY_DAYS = 30;
// Back-date by an hour so a client whose clock is a little behind does not see "not yet valid".
const BACKDATE_MS = 3_600_000;

/** LabPki: the CA for clients, and a TLS server context per STARTTLS host (by personality name). */
export interface LabPki {
  caCertPem: string;
  caCertFile: string;
  contexts: Map<string, SecureContext>;
  /** dispose: delete the temp directory holding the CA file. */
  dispose(): Promise<void>;
}

function validity(): { notBeforeDate: Date; notAfterDate: Date } {
  const now = Date.now();
  return { notBeforeDate: new Date(now - BACKDATE_MS), notAfterDate: new Date(now + CERT_VALIDITY_DAYS * 86_400_000) };
}

// selfsigned pulls in pkijs and @peculiar/x509 (~55 ms to load): load it only when a lab starts, not whenever this module is imported.
type Generate = typeof import('selfsigned').generate;

async function makeCa(generate: Generate): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: LAB_CA_NAME }, { name: 'organizationName', value: 'smtp-probe' }], {
    keyType: 'ec', algorithm: 'sha256', ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

// The leaf names the host both ways: a client that probes by IP (the usual lab case) checks the IP SAN (RFC 6125 §6.2.1).
async function makeLeaf(generate: Generate, p: Personality, ca: { key: string; cert: string }): Promise<SecureContext> {
  const name = hostnameOf(p);
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec', algorithm: 'sha256', ca, ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: name }, { type: 7, ip: p.address }] },
    ],
  });
  // Only the leaf is sent, like a real server whose root is in the client's store.
  return createSecureContext({ key: pems.private, cert: pems.cert });
}

/** createLabPki: the CA, its temp file, and contexts for the `tlsHosts` (made in parallel: EC keys take milliseconds). */
export async function createLabPki(tlsHosts: readonly Personality[]): Promise<LabPki> {
  const { generate } = await import('selfsigned');
  const ca = await makeCa(generate);
  const [dir, leaves] = await Promise.all([
    mkdtemp(join(tmpdir(), 'smtp-probe-lab-')),
    Promise.all(tlsHosts.map(async (p) => [p.name, await makeLeaf(generate, p, ca)] as const)),
  ]);
  const caCertFile = join(dir, 'lab-ca.pem');
  await writeFile(caCertFile, ca.cert, { mode: 0o644 });
  return {
    caCertPem: ca.cert,
    caCertFile,
    contexts: new Map(leaves),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
