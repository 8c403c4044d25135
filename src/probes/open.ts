/**
 * openSession: from a Target to a greeted SMTP session — resolve, try each
 * address in order (as a sender would), implicit TLS when asked, read the
 * greeting. Shared by every probe that talks to one host.
 */
import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ProbeError, type Status } from '../errors.js';
import { formatEndpoint, type Target } from '../net/target.js';
import { SmtpSession } from '../session/session.js';
import type { Timeouts } from '../session/timeouts.js';
import { openTcp } from '../net/connect.js';
import { handshake, type TrustStore } from '../net/tls.js';
import type { Transcript } from '../session/transcript.js';
import type { Reply } from '../smtp/reply.js';

/** OpenOptions: how to reach the target. */
export interface OpenOptions {
  timeouts: Timeouts;
  signal?: AbortSignal;
  transcript: Transcript;
  implicitTls: boolean;
  trust: TrustStore;
  tlsName: string;
}

/** Progress: what openSession learned, kept even when it throws (see OpenError). */
export interface OpenProgress {
  addresses: string[];
  attempts: { address: string; outcome: Status; ms: number }[];
  address: string | null;
  timings: { resolve?: number; connect?: number; tls?: number; greeting?: number };
  tlsSocket?: TLSSocket;
  banner?: Reply;
  session?: SmtpSession;
  localAddress?: string;
}

// Failures after which a sender moves on to the host's next address (RFC 5321 §5.1).
const NEXT_ADDRESS = new Set(['CONNECTION_REFUSED', 'CONNECT_TIMEOUT', 'HOST_UNREACHABLE']);

/** resolveTarget: the target's addresses (an IP literal is its own), IPv6 and IPv4 in resolver order. */
export async function resolveTarget(target: Target, timeoutMs: number): Promise<string[]> {
  if (target.family !== 0) return [target.host];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ProbeError({
            code: 'RESOLVE_FAILED',
            stage: 'resolve',
            target: target.host,
            message: `resolving ${target.host} took longer than ${timeoutMs}ms`,
          }),
        ),
      timeoutMs,
    );
  });
  try {
    const found = await Promise.race([
      lookup(target.host, { all: true, verbatim: true }),
      deadline,
    ]);
    return found.map((a) => a.address);
  } catch (err) {
    if (err instanceof ProbeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const notFound = code === 'ENOTFOUND' || code === 'ENODATA';
    throw new ProbeError({
      code: notFound ? 'RESOLVE_NOT_FOUND' : 'RESOLVE_FAILED',
      stage: 'resolve',
      target: target.host,
      cause: err,
      message: notFound
        ? `${target.host} has no address (A/AAAA)`
        : `cannot resolve ${target.host}: ${code ?? String(err)}`,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Opened: a greeted session and its banner (which may be a 554: deciding is the caller's job). */
export interface Opened {
  session: SmtpSession;
  banner: Reply;
}

/** openSession: fills `progress` as it goes, so a caller still has it when this throws a ProbeError. */
export async function openSession(
  target: Target,
  opts: OpenOptions,
  progress: OpenProgress,
): Promise<Opened> {
  let t = performance.now();
  progress.addresses = await resolveTarget(target, opts.timeouts.connectMs);
  if (target.family === 0) progress.timings.resolve = performance.now() - t;

  let lastError: ProbeError | undefined;
  for (const address of progress.addresses) {
    t = performance.now();
    try {
      const socket = await openTcp({
        address,
        port: target.port,
        timeoutMs: opts.timeouts.connectMs,
        signal: opts.signal,
      });
      progress.timings.connect = performance.now() - t;
      progress.attempts.push({ address, outcome: 'ok', ms: progress.timings.connect });
      progress.address = address;
      progress.localAddress = socket.localAddress;
      opts.transcript.note(
        `connected to ${formatEndpoint(address, target.port)} in ${progress.timings.connect.toFixed(1)} ms`,
      );
      return await greet(target, opts, progress, socket);
    } catch (err) {
      if (!(err instanceof ProbeError) || progress.address !== null || !NEXT_ADDRESS.has(err.code))
        throw err;
      progress.attempts.push({ address, outcome: err.status, ms: performance.now() - t });
      opts.transcript.note(`${formatEndpoint(address, target.port)}: ${err.message}`);
      lastError = err;
    }
  }
  throw (
    lastError ??
    new ProbeError({
      code: 'RESOLVE_NOT_FOUND',
      stage: 'resolve',
      target: target.host,
      message: `${target.host} has no address`,
    })
  );
}

async function greet(
  target: Target,
  opts: OpenOptions,
  progress: OpenProgress,
  socket: Socket,
): Promise<Opened> {
  const endpoint = formatEndpoint(progress.address!, target.port);
  let stream: Duplex = socket;
  if (opts.implicitTls) {
    const t = performance.now();
    progress.tlsSocket = await handshake(socket, {
      servername: opts.tlsName,
      trust: opts.trust,
      timeoutMs: opts.timeouts.commandMs,
      signal: opts.signal,
      stage: 'tls',
      endpoint,
    });
    progress.timings.tls = performance.now() - t;
    opts.transcript.note(`TLS established (${progress.tlsSocket.getProtocol()})`);
    stream = progress.tlsSocket;
  }
  const session = new SmtpSession(stream, {
    transcript: opts.transcript,
    timeouts: opts.timeouts,
    signal: opts.signal,
    endpoint,
  });
  progress.session = session;
  const t = performance.now();
  const banner = await session.greeting();
  progress.timings.greeting = performance.now() - t;
  progress.banner = banner;
  return { session, banner };
}

/** UpgradeOptions: the name for SNI and the certificate check, trust, budget, and the endpoint errors quote. */
export interface UpgradeOptions {
  servername: string;
  trust: TrustStore;
  timeouts: Timeouts;
  signal?: AbortSignal;
  endpoint: string;
}

/**
 * upgradeSession: STARTTLS on a greeted session (RFC 3207). Returns the reply
 * and, on 220, the TLS socket the session now runs over; a failed handshake
 * throws TLS_HANDSHAKE_FAILED at stage starttls. EHLO again is the caller's.
 */
export async function upgradeSession(
  session: SmtpSession,
  o: UpgradeOptions,
): Promise<{ reply: Reply; tls?: TLSSocket }> {
  let tls: TLSSocket | undefined;
  const reply = await session.starttls(async (raw) => {
    tls = await handshake(raw, {
      servername: o.servername,
      trust: o.trust,
      timeoutMs: o.timeouts.commandMs,
      signal: o.signal,
      stage: 'starttls',
      endpoint: o.endpoint,
    });
    return tls;
  });
  return tls ? { reply, tls } : { reply };
}
