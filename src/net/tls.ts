/**
 * TLS on an existing socket (STARTTLS, RFC 3207) or from the first byte
 * (implicit TLS, RFC 8314). Certificates are never rejected here: a probe
 * reports what it sees, and the caller decides whether a bad chain is fatal.
 */
import type { X509Certificate as X509 } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ProbeError, invalidInput, type Stage } from '../errors.js';
import type { CertificateInfo, TlsInfo } from '../schema/tls.js';
import type { PeerCertificate, SecureContext, TLSSocket } from 'node:tls';

// node:tls and node:crypto load only when TLS is first used: a run that never reaches TLS (a
// refused connect, --no-starttls, --json of a failed probe) starts ~10 ms sooner without them.
const load = createRequire(import.meta.url);
const nodeTls = (): typeof import('node:tls') => load('node:tls');
const X509Certificate = (raw: Buffer): X509 =>
  new (load('node:crypto') as typeof import('node:crypto')).X509Certificate(raw);

/**
 * TrustStore: the CA certificates a chain is checked against, and where they
 * came from. `context` is built on first use: a run that never reaches TLS
 * (a refused connect, --no-starttls) never pays for parsing ~150 roots.
 */
export interface TrustStore {
  source: string;
  readonly context: SecureContext;
}

// Parsing the system bundle (~150 roots) into a context costs ~15 ms, more
// than a loopback handshake; one context per distinct set of roots is enough.
const contexts = new Map<string, SecureContext>();

// Debian/Ubuntu, RHEL/Fedora, Alpine/macOS-ish locations of the system bundle.
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
];

/**
 * loadTrustStore: the system's CA bundle (SSL_CERT_FILE first), falling back
 * to Node's bundled Mozilla roots; `extraCaFiles` are added (e.g. a private CA).
 * Node 20 cannot read the OS store itself, hence the file lookup.
 */
export function loadTrustStore(extraCaFiles: string[] = []): TrustStore {
  const bundle = [process.env.SSL_CERT_FILE, ...SYSTEM_BUNDLES].find(
    (p): p is string => !!p && existsSync(p),
  );
  const extras = extraCaFiles.map(readCaFile);
  const source = `${bundle ?? 'node bundled roots'}${extraCaFiles.length ? ` + ${extraCaFiles.join(', ')}` : ''}`;
  const key = [bundle ?? '', ...extras].join('\0');
  return {
    source,
    get context(): SecureContext {
      let context = contexts.get(key);
      if (!context) {
        const { createSecureContext, rootCertificates } = nodeTls();
        const roots = bundle ? [readFileSync(bundle, 'utf8')] : [...rootCertificates];
        context = createSecureContext({ ca: [...roots, ...extras] });
        contexts.set(key, context);
      }
      return context;
    },
  };
}

function readCaFile(file: string): string {
  try {
    const pem = readFileSync(file, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (err) {
    throw invalidInput(
      `--ca ${file}: ${(err as Error).message}; give a PEM file of CA certificates`,
    );
  }
}

/** HandshakeOptions: the name to send as SNI and verify, trust, where (for errors), and the signal that ends the wait. */
export interface HandshakeOptions {
  servername: string;
  trust: TrustStore;
  signal: AbortSignal;
  stage: Stage;
  endpoint: string;
  /** Where a TLS session to resume is kept, and the next one is put (one server's, in one run). */
  resume?: TlsResume;
}

/**
 * TlsResume: one server's TLS session for the next connection to it. A resumed handshake skips
 * the certificate and the key exchange's signature — what an audit's second and third session
 * to an address would otherwise pay again, and what real MTAs save the same way (RFC 8446 §2.2).
 */
export interface TlsResume {
  get(): Buffer | undefined;
  set(session: Buffer): void;
}

/**
 * handshake: TLS over `stream` (a connected socket or any duplex). Resolves
 * once secure; rejects with TLS_HANDSHAKE_FAILED, or with the signal's reason
 * when it fires first (the caller's deadline turns that into its own error).
 */
export function handshake(stream: Duplex, opts: HandshakeOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    if (opts.signal.aborted) {
      reject(opts.signal.reason);
      return;
    }
    // SNI must be a host name (RFC 6066 §3), never an IP literal.
    const sni = isIP(opts.servername) ? undefined : opts.servername;
    // Node folds its own host-name check into `authorized`; skip it so `authorized` means "the chain
    // verifies" only. describeTls checks the name itself, against the name the user asked about.
    const tls = nodeTls().connect({
      socket: stream as Socket,
      servername: sni,
      secureContext: opts.trust.context,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(opts.resume?.get() ? { session: opts.resume.get() } : {}),
    });
    if (opts.resume) {
      const keep = opts.resume;
      tls.on('session', (session: Buffer) => keep.set(session));
    }
    const finish = (err?: unknown): void => {
      opts.signal.removeEventListener('abort', onAbort);
      tls.off('error', onError);
      if (err === undefined) {
        resolve(tls);
        return;
      }
      tls.on('error', () => undefined);
      tls.destroy();
      reject(err);
    };
    const onError = (err: NodeJS.ErrnoException): void =>
      finish(
        new ProbeError({
          code: 'TLS_HANDSHAKE_FAILED',
          stage: opts.stage,
          target: opts.endpoint,
          cause: err,
          message: `TLS handshake failed (address: ${opts.endpoint}): ${explainTlsError(
            err,
            opts.stage === 'starttls' ? 'starttls' : 'implicit',
          )}`,
        }),
      );
    const onAbort = (): void => finish(opts.signal.reason);
    tls.once('secureConnect', () => finish());
    tls.once('error', onError);
    opts.signal.addEventListener('abort', onAbort, { once: true });
  });
}

// OpenSSL's record-layer complaints about bytes that cannot be a TLS record: a
// plaintext line ("250 …" read as a record header gives version 0x35 0x30), a
// length past the 2^14 + 2048 limit (RFC 8446 §5.2), an unknown content type,
// an HTTP request. Each means the peer wrote something other than TLS.
const NOT_TLS_RECORDS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_ENCRYPTED_LENGTH_TOO_LONG',
  'ERR_SSL_RECORD_LENGTH_MISMATCH',
  'ERR_SSL_BAD_RECORD_TYPE',
  'ERR_SSL_UNKNOWN_PROTOCOL',
  'ERR_SSL_HTTP_REQUEST',
]);

/** TlsErrorWhen: where the error met us: the handshake after 220 to STARTTLS, the implicit TLS handshake, or an established TLS connection. */
export type TlsErrorWhen = 'starttls' | 'implicit' | 'established';

/** isOpenSslError: an error raised by OpenSSL (Node gives it `library` and an ERR_SSL_ code), not by the socket. */
export function isOpenSslError(err: unknown): boolean {
  const e = err as { code?: unknown; library?: unknown } | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    (typeof e.library === 'string' || (typeof e.code === 'string' && e.code.startsWith('ERR_SSL_')))
  );
}

// Node's certificate verification codes (not OpenSSL errors, so isOpenSslError misses them).
const VERIFY_CODE =
  /^(ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|HOSTNAME_MISMATCH$)/;

/**
 * tlsFailureReason: for an HTTPS client's error (undici's), the TLS reason in one line — OpenSSL's
 * or the certificate check's, with its code — or undefined when the failure was not TLS.
 */
export function tlsFailureReason(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { reason?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (!isOpenSslError(err) && !(code !== undefined && VERIFY_CODE.test(code))) return undefined;
  const text = e instanceof Error ? e.message.trim() : String(err);
  const reason = typeof e.reason === 'string' && e.reason !== '' ? e.reason : text;
  const explained = code && VERIFY_ERRORS[code] ? `${reason} (${VERIFY_ERRORS[code]})` : reason;
  return `${explained}${code && !reason.includes(code) ? ` (${code})` : ''}`;
}

/**
 * explainTlsError: a TLS failure in one line: OpenSSL's reason ("wrong version
 * number") and code rather than its raw text (an error-queue dump with a
 * source path), and, for a record-layer error, what it means: the server sent
 * bytes that are not TLS — plaintext after its 220 to STARTTLS, garbage
 * instead of a ServerHello, plaintext outside the TLS stream.
 */
export function explainTlsError(err: NodeJS.ErrnoException, when: TlsErrorWhen): string {
  const reason = (err as { reason?: unknown }).reason;
  const text =
    typeof reason === 'string' && reason !== ''
      ? `${reason}${err.code ? ` (${err.code})` : ''}`
      : err.message.trim();
  if (!NOT_TLS_RECORDS.has(err.code ?? '')) return text;
  const meaning = {
    starttls:
      'the server sent non-TLS bytes after 220 to STARTTLS (plaintext, or garbage instead of a ServerHello)',
    implicit:
      'the server sent non-TLS bytes instead of a ServerHello (plaintext SMTP? this port may expect STARTTLS, not --implicit-tls)',
    established:
      'the server sent non-TLS bytes on the TLS connection (plaintext outside the TLS stream)',
  }[when];
  return `${text}: ${meaning}`;
}

/** CERTIFICATES_REMEMBERED: certificates kept described by fingerprint (an audit meets one provider's certificate at many addresses). */
export const CERTIFICATES_REMEMBERED = 512;
const described = new Map<string, CertificateInfo>();

/**
 * describeOnce: a certificate as describeCertificate reads it (parsing it and checking its
 * self-signature cost more than the rest of a short session), once per fingerprint; the days
 * left are counted from `now` each time.
 */
function describeOnce(peer: PeerCertificate, now: number): CertificateInfo {
  let info = described.get(peer.fingerprint256);
  if (!info) {
    info = describeCertificate(peer, now);
    if (described.size >= CERTIFICATES_REMEMBERED) {
      described.delete(described.keys().next().value as string);
    }
    described.set(peer.fingerprint256, info);
  }
  return { ...info, daysLeft: daysLeft(info.validTo, now) };
}

/** describeTls: protocol, cipher, chain and verdicts of an established TLS socket. */
export function describeTls(
  tls: TLSSocket,
  name: string,
  trust: TrustStore,
  now = Date.now(),
): TlsInfo {
  // Not getPeerX509Certificate first: in Node 20, getPeerCertificate returns {} after it.
  const peer = tls.getPeerCertificate(true);
  const chain = walkChain(peer).map((c) => describeOnce(c, now));
  const leafRaw = peer.raw;
  // Node decides whether the name matches (RFC 6125); the words are ours: its message for a
  // certificate without the right kind of SAN ends in a dangling "cert's list: ".
  const nameError = leafRaw
    ? nodeTls().checkServerIdentity(name, peer) && nameMismatch(name, peer)
    : 'no certificate presented';
  const authError = tls.authorizationError;
  return {
    protocol: tls.getProtocol() ?? 'unknown',
    cipher: tls.getCipher()?.standardName ?? tls.getCipher()?.name ?? 'unknown',
    chain,
    nameMatch: nameError ? { name, ok: false, error: nameError } : { name, ok: true },
    trusted: tls.authorized
      ? { ok: true, store: trust.source }
      : { ok: false, store: trust.source, error: explainVerifyError(authError) },
  };
}

/**
 * nameMismatch: why `cert` does not cover `name`, in one sentence that names
 * what the certificate does cover. An IP address is matched only against IP
 * SANs; a host name against DNS SANs, or the common name when there are none.
 */
export function nameMismatch(
  name: string,
  cert: Pick<PeerCertificate, 'subjectaltname' | 'subject'>,
): string {
  const sans = (cert.subjectaltname ?? '').split(', ').filter(Boolean);
  const dns = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  const ips = sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11));
  const cn = cert.subject?.CN;
  const hosts = dns.length ? dns : cn ? [cn] : [];
  if (isIP(name))
    return ips.length
      ? `${name} is not among the certificate's IP addresses (${ips.join(', ')})`
      : `the certificate lists no IP address, so it cannot match ${name}${hosts.length ? `; it is for ${hosts.join(', ')}` : ''}`;
  if (dns.length) return `${name} is not among the certificate's names (${dns.join(', ')})`;
  if (cn)
    return `${name} does not match the certificate's common name ${cn} (it has no DNS name in subjectAltName)`;
  return `the certificate names no host (no DNS name in subjectAltName, no common name), so it cannot match ${name}`;
}

// OpenSSL's verify codes, in words an admin can act on.
const VERIFY_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in a self-signed root that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'the issuer is not trusted and the server did not send it (missing intermediate or private CA)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuing CA is not in the trust store',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuing CA is not in the trust store',
  CERT_HAS_EXPIRED: 'a certificate in the chain has expired',
  CERT_NOT_YET_VALID: 'a certificate in the chain is not valid yet',
};

function explainVerifyError(err: Error | string | null | undefined): string {
  if (!err) return 'not authorized';
  const code = String(err);
  return VERIFY_ERRORS[code] ? `${code}: ${VERIFY_ERRORS[code]}` : code;
}

/** peerChainDer: the certificates the server presented, DER, leaf first (what DANE records are matched against). */
export function peerChainDer(tls: TLSSocket): Buffer[] {
  return walkChain(tls.getPeerCertificate(true)).map((c) => c.raw);
}

function walkChain(
  leaf: PeerCertificate & { issuerCertificate?: PeerCertificate },
): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  const seen = new Set<string>();
  let cert: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = leaf;
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(cert);
    cert = cert.issuerCertificate as typeof cert;
  }
  return chain;
}

function daysLeft(validTo: string, now: number): number {
  return Math.floor((Date.parse(validTo) - now) / 86_400_000);
}

function describeCertificate(peer: PeerCertificate, now: number): CertificateInfo {
  const x = X509Certificate(peer.raw);
  const validTo = new Date(x.validTo);
  const key = x.publicKey;
  const details = key.asymmetricKeyDetails;
  const keyText =
    key.asymmetricKeyType === 'ec'
      ? `EC ${details?.namedCurve ?? ''}`.trim()
      : `${(key.asymmetricKeyType ?? 'unknown').toUpperCase()} ${details?.modulusLength ?? ''}`.trim();
  return {
    subject: oneLineDn(x.subject),
    subjectAltNames: x.subjectAltName ? x.subjectAltName.split(/,\s*/) : [],
    issuer: oneLineDn(x.issuer),
    serialNumber: x.serialNumber,
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: daysLeft(validTo.toISOString(), now),
    selfSigned: x.subject === x.issuer && x.checkIssued(x) && x.verify(key),
    fingerprintSha256: x.fingerprint256,
    publicKey: keyText,
  };
}

// X509Certificate gives "CN=a\nO=b"; one line reads better in tables and JSON.
function oneLineDn(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}
