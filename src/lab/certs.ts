/**
 * The lab's PKI: a throwaway CA made at start, and a certificate for each
 * STARTTLS host signed by it (hosts with a `certificateName`, the audit
 * sites, share one per name: made once, however many thousand hosts). Trusting the CA (its PEM is written to a temp
 * file for `--ca`) lets a client see a chain verify end to end; not trusting
 * it shows the "unable to verify" case. Private keys stay in memory.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { LabHostSpec } from './hosts.js';
import type { Personality } from './personality.js';

/** LAB_CA_NAME: the CA's common name, as a client's chain report will show it. */
export const LAB_CA_NAME = 'smtp-probe lab CA';

/** CERT_VALIDITY_DAYS: long enough for a `lab` left running, short because every start makes a new CA anyway. */
const CERT_VALIDITY_DAYS = 30;
// Back-date by an hour so a client whose clock is a little behind does not see "not yet valid".
const BACKDATE_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** LabLeaf: a host's certificate (PEM, for TLSA digests) and key, and the TLS server context made of them. */
export interface LabLeaf {
  certPem: string;
  keyPem: string;
  context: SecureContext;
}

/**
 * LabPki: the CA for clients, and a leaf per TLS host. Leaves for the hosts
 * named at creation are made at once; any other host's on its first STARTTLS
 * (EC keys take a few ms each, and a lab has a dozen scenario hosts most runs
 * never upgrade), then kept.
 */
export interface LabPki {
  caCertPem: string;
  caCertFile: string;
  /** leaf: the host's leaf, made on first call (one per host name, or per shared name and expiry, however many callers). */
  leaf(host: TlsHost): Promise<LabLeaf>;
  /** dispose: delete the temp directory holding the CA file. */
  dispose(): Promise<void>;
}

// An expired leaf was valid for the 30 days that ended yesterday: a certificate nobody renewed.
function validity(expired = false): { notBeforeDate: Date; notAfterDate: Date } {
  const now = Date.now();
  if (expired)
    return {
      notBeforeDate: new Date(now - (CERT_VALIDITY_DAYS + 1) * DAY_MS),
      notAfterDate: new Date(now - DAY_MS),
    };
  return {
    notBeforeDate: new Date(now - BACKDATE_MS),
    notAfterDate: new Date(now + CERT_VALIDITY_DAYS * DAY_MS),
  };
}

// selfsigned pulls in pkijs and @peculiar/x509 (~55 ms to load): load it only when a lab starts, not whenever this module is imported.
type Generate = typeof import('selfsigned').generate;

async function makeCa(generate: Generate): Promise<{ key: string; cert: string }> {
  const pems = await generate(
    [
      { name: 'commonName', value: LAB_CA_NAME },
      { name: 'organizationName', value: 'smtp-probe' },
    ],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      ...validity(),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    },
  );
  return { key: pems.private, cert: pems.cert };
}

/**
 * TlsHost: what a leaf certificate names: the host's name, its aliases and
 * its addresses, or only its `certificateName` when it has one; and
 * whether its personality wants it expired.
 */
export type TlsHost = Pick<LabHostSpec, 'name' | 'aliases' | 'addresses' | 'certificateName'> & {
  personality?: Pick<Personality, 'expiredCertificate'>;
};

// The leaf names the host every way: a client that probes by IP (the usual lab case) checks the IP SAN (RFC 6125 §6.2.1),
// an MX walk checks the MX name, which may be an alias (samehost.test). A shared leaf names only its wildcard: thousands
// of IP SANs would make every handshake carry them.
async function makeLeaf(
  generate: Generate,
  h: TlsHost,
  ca: { key: string; cert: string },
): Promise<LabLeaf> {
  const name = h.certificateName ?? h.name;
  const altNames = h.certificateName
    ? [{ type: 2 as const, value: h.certificateName }]
    : [
        ...[name, ...h.aliases].map((value) => ({ type: 2 as const, value })),
        ...h.addresses.map((ip) => ({ type: 7 as const, ip })),
      ];
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca,
    ...validity(h.personality?.expiredCertificate === true),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  // Only the leaf is sent, like a real server whose root is in the client's store.
  return {
    certPem: pems.cert,
    keyPem: pems.private,
    context: createSecureContext({ key: pems.private, cert: pems.cert }),
  };
}

/** createLabPki: the CA, its temp file, and the leaves of the `eager` hosts (made in parallel). */
export async function createLabPki(eager: readonly TlsHost[]): Promise<LabPki> {
  const { generate } = await import('selfsigned');
  const ca = await makeCa(generate);
  const leaves = new Map<string, Promise<LabLeaf>>();
  const leaf = (h: TlsHost): Promise<LabLeaf> => {
    const key = `${h.certificateName ? `shared ${h.certificateName}` : `host ${h.name}`}${h.personality?.expiredCertificate ? ' expired' : ''}`;
    let made = leaves.get(key);
    if (!made) {
      made = makeLeaf(generate, h, ca);
      leaves.set(key, made);
    }
    return made;
  };
  const [dir] = await Promise.all([mkdtemp(join(tmpdir(), 'smtp-probe-lab-')), ...eager.map(leaf)]);
  const caCertFile = join(dir, 'lab-ca.pem');
  await writeFile(caCertFile, ca.cert, { mode: 0o644 });
  return {
    caCertPem: ca.cert,
    caCertFile,
    leaf,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
