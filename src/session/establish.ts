/**
 * establish: the one way into an SMTP session. Resolve the target, connect
 * through the connector (each address in turn, as a sender does, RFC 5321
 * §5.1), implicit TLS when asked, the greeting, EHLO with the HELO fallback,
 * STARTTLS by policy and EHLO again (RFC 3207 §4.2) — every step under its
 * phase timeout and the run's deadline, every line in the transcript. It
 * returns a ready session with what it learned, or throws a SessionSetupError:
 * the ProbeError that stopped it, carrying everything learned before it (a
 * failed STARTTLS still reports the banner and the capabilities).
 */
import { ProbeError } from '../errors.js';
import type { AddressResolver } from '../net/address-resolver.js';
import { systemAddressResolver } from '../net/address-resolver.js';
import { type Connector, localAddressOf, tcpConnector } from '../net/connector.js';
import { formatEndpoint, SUBMISSIONS_PORT, type Target } from '../net/target.js';
import {
  describeTls,
  handshake,
  peerChainDer,
  type TlsResume,
  type TrustStore,
} from '../net/tls.js';
import type { Attempt } from '../schema/connection.js';
import type { TlsReport } from '../schema/tls.js';
import type { Capabilities } from '../smtp/capabilities.js';
import { formatReply, replyText, type Reply } from '../smtp/reply.js';
import { timeInto } from '../time/clock.js';
import type { Deadline } from '../time/deadline.js';
import { defaultHeloName } from './helo-name.js';
import { IMPLICIT_TLS_HINT } from './reader.js';
import { type Hello, SmtpSession } from './session.js';
import type { Timeouts } from './timeouts.js';
import type { Transcript } from './transcript.js';

/** StartTlsPolicy: never; when the server offers it (a refusal leaves the session in clear); or fail without it. */
export type StartTlsPolicy = 'off' | 'opportunistic' | 'required';

/** EstablishOptions: how to reach the server and how far to take the session. */
export interface EstablishOptions {
  /** How to dial an address (default: TCP). */
  connector?: Connector;
  /** How to find a host name's addresses (default: the system's resolver). */
  resolveAddresses?: AddressResolver;
  timeouts: Timeouts;
  deadline: Deadline;
  transcript: Transcript;
  /** The EHLO/HELO name (checked by the caller); default this machine's FQDN, else our address literal. */
  helo?: string;
  starttls: StartTlsPolicy;
  /** TLS from the first byte (RFC 8314) instead of STARTTLS. */
  implicitTls?: boolean;
  /** The name SNI carries and the certificate is checked against (an MX name when dialling its address). */
  tlsName: string;
  trust: TrustStore;
  /** Fail with TLS_CERT_INVALID when the certificate does not match tlsName or chain to the trust store. */
  tlsVerify?: boolean;
  /** Resume the TLS session of an earlier connection to the same server (and keep this one's). */
  tlsResume?: TlsResume;
  /** The certificate chain the server presented (DER, leaf first), for who matches it against DNS (DANE). */
  onPeerChain?: (chainDer: Buffer[]) => void;
}

/** StageTimings: milliseconds per setup stage; absent when the stage did not run. */
export interface StageTimings {
  resolve?: number;
  connect?: number;
  tls?: number;
  greeting?: number;
  ehlo?: number;
  starttls?: number;
  ehloAfterTls?: number;
}

/** SessionProgress: what establish learned so far; complete in Established, partial in a SessionSetupError. */
export interface SessionProgress {
  /** The target's addresses, in the order tried (an IP literal is its own). */
  addresses: string[];
  attempts: Attempt[];
  /** The address that answered the connect, once one did. */
  address: string | null;
  localAddress?: string;
  /** The name sent with EHLO/HELO. */
  helo?: string;
  banner?: Reply;
  hello?: Hello;
  tls?: TlsReport | null;
  capabilitiesAfterTls?: Capabilities | null;
  timings: StageTimings;
}

/** Established: a greeted, hello'd session (over TLS when the policy and the server allowed) and what it took. */
export interface Established extends SessionProgress {
  session: SmtpSession;
  address: string;
  helo: string;
  banner: Reply;
  hello: Hello;
  /** null: TLS not attempted (off, or STARTTLS not offered under opportunistic). */
  tls: TlsReport | null;
  /** The EHLO capabilities after STARTTLS; null without it. */
  capabilitiesAfterTls: Capabilities | null;
}

/** SessionSetupError: the ProbeError that stopped establish, with the progress made before it. */
export class SessionSetupError extends ProbeError {
  constructor(
    cause: ProbeError,
    readonly progress: SessionProgress,
  ) {
    super({
      code: cause.code,
      stage: cause.stage,
      message: cause.message,
      ...(cause.target === undefined ? {} : { target: cause.target }),
      ...(cause.elapsedMs === undefined ? {} : { elapsedMs: cause.elapsedMs }),
      ...(cause.cause === undefined ? {} : { cause: cause.cause }),
    });
  }
}

// Failures after which a sender moves on to the host's next address (RFC 5321 §5.1).
const NEXT_ADDRESS = new Set(['CONNECTION_REFUSED', 'CONNECT_TIMEOUT', 'HOST_UNREACHABLE']);

/** EarlyStop: where openUntil hands the session over: after the connect (and implicit TLS), the banner, or the first EHLO. */
export type EarlyStop = 'connect' | 'banner' | 'ehlo';

/** Opened: a session handed over before it was fully set up (see openUntil), with what it learned. */
export interface Opened extends SessionProgress {
  session: SmtpSession;
  address: string;
}

/** establish: see the module comment. Input (target, HELO name) must already be checked. */
export function establish(target: Target, o: EstablishOptions): Promise<Established> {
  return setUp(target, o) as Promise<Established>;
}

/**
 * openUntil: establish, stopped early: right after the connect (nothing read or sent), after the
 * banner was read (a 220), or after the first EHLO was answered (250; no STARTTLS yet) — the
 * stop points a person tests a route with.
 */
export function openUntil(target: Target, o: EstablishOptions, stop: EarlyStop): Promise<Opened> {
  return setUp(target, o, stop);
}

async function setUp(target: Target, o: EstablishOptions, stop?: EarlyStop): Promise<Opened> {
  const progress: SessionProgress = { addresses: [], attempts: [], address: null, timings: {} };
  let session: SmtpSession | undefined;
  try {
    progress.addresses = await resolve(target, o, progress);
    const opened = await connectFirst(target, o, progress);
    session = opened.session;
    if (stop === 'connect') return { ...progress, session, address: progress.address! };
    return await converse(session, opened.endpoint, o, progress, stop).catch((err: unknown) => {
      throw withImplicitTlsHint(err, target.port, o);
    });
  } catch (err) {
    session?.close();
    if (!(err instanceof ProbeError)) throw err;
    // A TLS record error after a completed handshake (plaintext outside the TLS stream): TLS failed after all.
    if (err.code === 'TLS_HANDSHAKE_FAILED' && progress.tls?.outcome === 'ok')
      progress.tls = { ...progress.tls, outcome: 'failed', error: err.message };
    throw err instanceof SessionSetupError ? err : new SessionSetupError(err, progress);
  }
}

/**
 * withImplicitTlsHint: no greeting in clear on port 465 (RFC 8314's submissions
 * port, TLS from the first byte): the server is most likely waiting for our
 * ClientHello, so say so. The reader gives the same hint sooner when the first
 * bytes it gets are a TLS record.
 */
function withImplicitTlsHint(err: unknown, port: number, o: EstablishOptions): unknown {
  if (!(err instanceof ProbeError) || err.code !== 'GREETING_TIMEOUT') return err;
  if (o.implicitTls || port !== SUBMISSIONS_PORT) return err;
  return new ProbeError({
    code: err.code,
    stage: err.stage,
    message: `${err.message}: port ${port} is for implicit TLS (RFC 8314); ${IMPLICIT_TLS_HINT}`,
    ...(err.target === undefined ? {} : { target: err.target }),
    ...(err.elapsedMs === undefined ? {} : { elapsedMs: err.elapsedMs }),
  });
}

async function resolve(target: Target, o: EstablishOptions, p: SessionProgress): Promise<string[]> {
  if (target.family !== 0) return [target.host];
  const lookup = o.resolveAddresses ?? systemAddressResolver;
  const addresses = await timeInto(o.deadline.clock, p.timings, 'resolve', () =>
    o.deadline.phase(
      'resolve',
      o.timeouts.resolveMs,
      () =>
        new ProbeError({
          code: 'RESOLVE_FAILED',
          stage: 'resolve',
          target: target.host,
          message: `resolving ${target.host} took longer than ${o.timeouts.resolveMs}ms`,
        }),
      (signal) => lookup(target.host, signal),
      target.host,
    ),
  );
  if (addresses.length === 0) {
    throw new ProbeError({
      code: 'RESOLVE_NOT_FOUND',
      stage: 'resolve',
      target: target.host,
      message: `${target.host} has no address`,
    });
  }
  return addresses;
}

/** connectFirst: each address in turn until one connects (and, for implicit TLS, completes the handshake). */
async function connectFirst(
  target: Target,
  o: EstablishOptions,
  p: SessionProgress,
): Promise<{ session: SmtpSession; endpoint: string }> {
  const connector = o.connector ?? tcpConnector;
  let lastError: ProbeError | undefined;
  for (const address of p.addresses) {
    const endpoint = formatEndpoint(address, target.port);
    const t0 = o.deadline.clock.now();
    try {
      const stream = await o.deadline.phase(
        'connect',
        o.timeouts.connectMs,
        () =>
          new ProbeError({
            code: 'CONNECT_TIMEOUT',
            stage: 'connect',
            target: endpoint,
            message: `connect timeout (address: ${endpoint}, timeout: ${o.timeouts.connectMs}ms): no SYN-ACK, host down or packets dropped`,
          }),
        (signal) => connector({ address, port: target.port }, signal),
        endpoint,
      );
      const ms = o.deadline.clock.now() - t0;
      p.timings.connect = ms;
      p.attempts.push({ address, status: 'ok', ms });
      p.address = address;
      const local = localAddressOf(stream);
      if (local !== undefined) p.localAddress = local;
      o.transcript.note(`connected to ${endpoint} in ${ms.toFixed(1)} ms`);
      const session = new SmtpSession(stream, {
        transcript: o.transcript,
        timeouts: o.timeouts,
        deadline: o.deadline,
        endpoint,
      });
      if (!o.implicitTls && o.starttls !== 'off') warmTrust(o.trust);
      if (o.implicitTls) {
        await implicitTls(session, endpoint, o, p).catch((err: unknown) => {
          session.close();
          throw err;
        });
      }
      return { session, endpoint };
    } catch (err) {
      if (!(err instanceof ProbeError) || p.address !== null || !NEXT_ADDRESS.has(err.code)) {
        throw err;
      }
      p.attempts.push({ address, status: err.status, ms: o.deadline.clock.now() - t0 });
      o.transcript.note(`${endpoint}: ${err.message}`);
      lastError = err;
    }
  }
  // Only reached when every address failed with a next-address error, so there was one.
  throw lastError!;
}

/**
 * warmTrust: parse the trust store (the system bundle: some 25 ms of CPU, once per process) while
 * the greeting is on its way, instead of between STARTTLS's 220 and our ClientHello. A bad file
 * is left for the handshake to report.
 */
function warmTrust(trust: TrustStore): void {
  setImmediate(() => {
    try {
      void trust.context;
    } catch {}
  });
}

/** upgrade: a TLS handshake under the TLS timeout, at `stage`. */
function upgradeWith(o: EstablishOptions, stage: 'tls' | 'starttls', endpoint: string) {
  return (raw: Parameters<typeof handshake>[0]) =>
    o.deadline.phase(
      stage,
      o.timeouts.tlsMs,
      () =>
        new ProbeError({
          code: 'TLS_HANDSHAKE_FAILED',
          stage,
          target: endpoint,
          message: `TLS handshake timed out after ${o.timeouts.tlsMs}ms (address: ${endpoint})`,
        }),
      (signal) =>
        handshake(raw, {
          servername: o.tlsName,
          trust: o.trust,
          signal,
          stage,
          endpoint,
          ...(o.tlsResume ? { resume: o.tlsResume } : {}),
        }),
      endpoint,
    );
}

async function implicitTls(
  session: SmtpSession,
  endpoint: string,
  o: EstablishOptions,
  p: SessionProgress,
): Promise<void> {
  const t0 = o.deadline.clock.now();
  try {
    const tls = await session.upgradeNow(upgradeWith(o, 'tls', endpoint));
    p.tls = { mode: 'implicit', outcome: 'ok', info: describeTls(tls, o.tlsName, o.trust) };
    o.onPeerChain?.(peerChainDer(tls));
    o.transcript.note(`TLS established (${tls.getProtocol() ?? 'unknown'})`);
  } catch (err) {
    p.tls = { mode: 'implicit', outcome: 'failed', error: (err as Error).message };
    throw err;
  } finally {
    p.timings.tls = o.deadline.clock.now() - t0;
  }
  checkCertificate(p.tls, o, endpoint, 'tls');
}

async function converse(
  session: SmtpSession,
  endpoint: string,
  o: EstablishOptions,
  p: SessionProgress,
  stop?: 'banner' | 'ehlo',
): Promise<Opened> {
  const banner = await timeInto(o.deadline.clock, p.timings, 'greeting', () => session.greeting());
  p.banner = banner;
  if (banner.code !== 220) {
    await quietQuit(session);
    throw new ProbeError({
      code: 'GREETING_REJECTED',
      stage: 'greeting',
      target: endpoint,
      message: `server greeted with ${formatReply(banner).join(' / ')}`,
    });
  }
  if (stop === 'banner') return { ...p, session, address: p.address! };
  const helo = o.helo ?? defaultHeloName(p.localAddress);
  p.helo = helo;
  const hello = await timeInto(o.deadline.clock, p.timings, 'ehlo', () => session.hello(helo));
  p.hello = hello;
  if (hello.reply.code !== 250) {
    await quietQuit(session);
    throw new ProbeError({
      code: 'HELLO_REJECTED',
      stage: hello.verb === 'EHLO' ? 'ehlo' : 'helo',
      target: endpoint,
      message: `${hello.verb} refused: ${hello.reply.code} ${replyText(hello.reply)}`,
    });
  }
  if (stop === 'ehlo') return { ...p, session, address: p.address! };
  if (!o.implicitTls && o.starttls !== 'off') await startTls(session, endpoint, o, p);
  return {
    ...p,
    session,
    address: p.address!,
    helo,
    banner,
    hello,
    tls: p.tls ?? null,
    capabilitiesAfterTls: p.capabilitiesAfterTls ?? null,
  };
}

/**
 * startTls: STARTTLS when offered (RFC 3207). A refusal leaves the session in
 * clear under `opportunistic` (the caller decides what it means) and fails
 * under `required`, as does a server that does not offer it.
 */
async function startTls(
  session: SmtpSession,
  endpoint: string,
  o: EstablishOptions,
  p: SessionProgress,
): Promise<void> {
  const offered = p.hello?.capabilities?.starttls === true;
  if (!offered) {
    if (o.starttls === 'required') {
      await quietQuit(session);
      throw new ProbeError({
        code: 'STARTTLS_REFUSED',
        stage: 'starttls',
        target: endpoint,
        message: 'STARTTLS is required, but the server does not offer it',
      });
    }
    return;
  }
  let tlsSocket: Awaited<ReturnType<typeof handshake>> | undefined;
  const upgrade = upgradeWith(o, 'starttls', endpoint);
  const reply = await timeInto(o.deadline.clock, p.timings, 'starttls', () =>
    session
      .starttls(async (raw) => {
        tlsSocket = await upgrade(raw);
        return tlsSocket;
      })
      .catch((err: unknown) => {
        p.tls = { mode: 'starttls', outcome: 'failed', error: (err as Error).message };
        throw err;
      }),
  );
  if (reply.code !== 220 || !tlsSocket) {
    p.tls = { mode: 'starttls', outcome: 'refused', reply };
    if (o.starttls !== 'required') return;
    await quietQuit(session);
    throw new ProbeError({
      code: 'STARTTLS_REFUSED',
      stage: 'starttls',
      target: endpoint,
      message: `STARTTLS refused: ${reply.code} ${replyText(reply)}`,
    });
  }
  p.tls = {
    mode: 'starttls',
    outcome: 'ok',
    reply,
    info: describeTls(tlsSocket, o.tlsName, o.trust),
  };
  o.onPeerChain?.(peerChainDer(tlsSocket));
  checkCertificate(p.tls, o, endpoint, 'starttls');
  // RFC 3207 §4.2: what EHLO said before TLS is void; ask again.
  const again = await timeInto(o.deadline.clock, p.timings, 'ehloAfterTls', () =>
    session.hello(p.helo!),
  );
  p.capabilitiesAfterTls = again.capabilities ?? null;
  if (again.reply.code !== 250) {
    await quietQuit(session);
    throw new ProbeError({
      code: 'HELLO_REJECTED',
      stage: 'ehlo',
      target: endpoint,
      message: `EHLO after STARTTLS refused: ${again.reply.code} ${replyText(again.reply)}`,
    });
  }
}

/** checkCertificate: under tlsVerify, a certificate that does not match the name or chain to the store ends the session. */
function checkCertificate(
  report: TlsReport,
  o: EstablishOptions,
  endpoint: string,
  stage: 'tls' | 'starttls',
): void {
  const info = report.info;
  if (!o.tlsVerify || !info || (info.nameMatch.ok && info.trusted.ok)) return;
  const why = [
    info.nameMatch.ok ? '' : info.nameMatch.error,
    info.trusted.ok ? '' : info.trusted.error,
  ]
    .filter(Boolean)
    .join('; ');
  report.outcome = 'rejected';
  throw new ProbeError({
    code: 'TLS_CERT_INVALID',
    stage,
    target: endpoint,
    message: `certificate rejected (--tls-verify): ${why}`,
  });
}

/** quietQuit: QUIT before giving up on a session; the server may already be gone, which is fine. */
async function quietQuit(session: SmtpSession): Promise<void> {
  await session.quit().catch(() => undefined);
}
