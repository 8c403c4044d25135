/**
 * The caps probe: connect, greet, EHLO (HELO fallback), STARTTLS and its
 * certificate, EHLO again, the verb census, QUIT — each stage timed, and a
 * failure at any stage still returns everything learned before it.
 */
import { ProbeError } from '../errors.js';
import {
  parseTarget,
  SMTP_PORT,
  SUBMISSIONS_PORT,
  formatEndpoint,
  type Target,
} from '../net/target.js';
import type { Timeouts } from '../session/timeouts.js';
import { roundMs } from '../time/duration.js';
import { checkHeloName, defaultHeloName } from '../session/helo-name.js';
import type { SmtpSession } from '../session/session.js';
import { describeTls, type TrustStore } from '../net/tls.js';
import type { Transcript, TranscriptEntry } from '../session/transcript.js';
import { diffCapabilities } from '../smtp/capabilities.js';
import { formatReply, replyText, type Reply } from '../smtp/reply.js';
import type { CapsResult } from '../schema/caps.js';
import { openSession, upgradeSession, type OpenProgress } from './open.js';
import { runCensus } from './census.js';
import { capsFindings } from './findings.js';
import { asProbeError, startRun, type ProbeOutcome } from './outcome.js';

/** CapsOptions: everything `caps` can be told. */
export interface CapsOptions {
  helo?: string;
  implicitTls?: boolean;
  starttls?: boolean;
  tlsVerify?: boolean;
  /** The name the certificate must match and SNI carries; default the target host (an MX name when probing an IP). */
  tlsName?: string;
  census?: boolean;
  caFiles?: string[];
  timeouts?: Partial<Timeouts>;
  signal?: AbortSignal;
  onTranscript?: (entry: TranscriptEntry) => void;
}

/** bannerHostname: the domain a 220 greeting claims (RFC 5321 §4.3.1: "220 domain text"), if it looks like one. */
export function bannerHostname(banner: Reply): string | null {
  // "554 5.7.1 mx.example.com …": an RFC 3463 code, when there is one, comes before the domain.
  const word = banner.lines[0]?.trim().split(/\s+/)[banner.enhanced ? 1 : 0] ?? '';
  return /^(?:[a-z0-9_-]+\.)+[a-z0-9_-]+\.?$/i.test(word) || /^\[[^\]]+\]$/.test(word)
    ? word
    : null;
}

/** probeCaps: see the module comment. Input is checked before any socket opens. */
export async function probeCaps(
  input: string,
  options: CapsOptions = {},
): Promise<ProbeOutcome<CapsResult>> {
  const target = parseTarget(input, options.implicitTls ? SUBMISSIONS_PORT : SMTP_PORT);
  const heloGiven = options.helo === undefined ? undefined : checkHeloName(options.helo);
  const tlsName = options.tlsName === undefined ? target.host : parseTarget(options.tlsName).host;
  const { timeouts, trust, signal, transcript, startedAt, t0 } = startRun(options);
  const progress: OpenProgress = { addresses: [], attempts: [], address: null, timings: {} };
  const result: CapsResult = {
    host: target.host,
    port: target.port,
    helo: heloGiven ?? '',
    addresses: [],
    attempts: [],
    address: null,
    banner: null,
    hello: null,
    capabilities: null,
    tls: null,
    capabilitiesAfterTls: null,
    capabilityChanges: null,
    census: null,
    findings: [],
    timings: {},
  };
  let error: ProbeError | undefined;
  try {
    await converse(
      target,
      { ...options, trust, timeouts, signal, transcript, heloGiven, tlsName },
      progress,
      result,
    );
  } catch (err) {
    error = asProbeError(err, performance.now() - t0);
    progress.session?.close();
  }
  const attempts = progress.attempts.map((a) => ({ ...a, ms: roundMs(a.ms) }));
  Object.assign(result, { addresses: progress.addresses, attempts, address: progress.address });
  const timings = { ...progress.timings, ...result.timings, total: performance.now() - t0 };
  result.timings = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, roundMs(v)]));
  result.findings = capsFindings(result);
  return {
    status: error?.status ?? 'ok',
    result,
    error,
    startedAt,
    durationMs: performance.now() - t0,
    transcript,
  };
}

interface Ctx extends CapsOptions {
  trust: TrustStore;
  timeouts: Timeouts;
  signal: AbortSignal;
  transcript: Transcript;
  heloGiven?: string;
  tlsName: string;
}

async function converse(
  target: Target,
  ctx: Ctx,
  progress: OpenProgress,
  result: CapsResult,
): Promise<void> {
  const { session, banner } = await openSession(
    target,
    { ...ctx, implicitTls: !!ctx.implicitTls },
    progress,
  );
  result.banner = { reply: banner, hostname: bannerHostname(banner) };
  if (progress.tlsSocket)
    result.tls = {
      mode: 'implicit',
      outcome: 'ok',
      info: describeTls(progress.tlsSocket, ctx.tlsName, ctx.trust),
    };
  const endpoint = formatEndpoint(progress.address!, target.port);
  if (banner.code !== 220) {
    await politeQuit(session);
    throw new ProbeError({
      code: 'GREETING_REJECTED',
      stage: 'greeting',
      target: endpoint,
      message: `server greeted with ${formatReply(banner).join(' / ')}`,
    });
  }
  checkTlsVerify(result, ctx, endpoint, 'tls');
  result.helo = ctx.heloGiven ?? defaultHeloName(progress.localAddress);
  await timed(result, 'ehlo', async () => {
    const hello = await session.hello(result.helo);
    result.hello = hello.ehloReply
      ? { verb: hello.verb, reply: hello.reply, ehloReply: hello.ehloReply }
      : { verb: hello.verb, reply: hello.reply };
    result.capabilities = hello.capabilities ?? null;
  });
  if (result.hello!.reply.code !== 250) {
    await politeQuit(session);
    throw new ProbeError({
      code: 'HELLO_REJECTED',
      stage: result.hello!.verb === 'EHLO' ? 'ehlo' : 'helo',
      target: endpoint,
      message: `${result.hello!.verb} refused: ${result.hello!.reply.code} ${replyText(result.hello!.reply)}`,
    });
  }
  // A refused STARTTLS fails the probe, but the session is still good in clear: finish the census first.
  const refused =
    result.capabilities?.starttls && ctx.starttls !== false && !ctx.implicitTls
      ? await startTls(session, ctx, result, endpoint)
      : undefined;
  if (ctx.census !== false) {
    const entries: NonNullable<CapsResult['census']> = [];
    result.census = entries;
    const usable = await timed(result, 'census', () => runCensus(session, (e) => entries.push(e)));
    if (!usable.sessionUsable) session.close();
  }
  if (!session.closed) await timed(result, 'quit', () => session.quit());
  if (refused) throw refused;
}

/** startTls: upgrade and EHLO again; returns the STARTTLS_REFUSED error for a non-220 (the session stays usable in clear). */
async function startTls(
  session: SmtpSession,
  ctx: Ctx,
  result: CapsResult,
  endpoint: string,
): Promise<ProbeError | undefined> {
  const { reply, tls: tlsSocket } = await timed(result, 'starttls', () =>
    upgradeSession(session, {
      servername: ctx.tlsName,
      trust: ctx.trust,
      timeouts: ctx.timeouts,
      signal: ctx.signal,
      endpoint,
    }).catch((err: unknown) => {
      result.tls = {
        mode: 'starttls',
        outcome: 'failed',
        error: err instanceof Error ? err.message : String(err),
      };
      throw err;
    }),
  );
  if (reply.code !== 220) {
    result.tls = { mode: 'starttls', outcome: 'refused', reply };
    return new ProbeError({
      code: 'STARTTLS_REFUSED',
      stage: 'starttls',
      target: endpoint,
      message: `STARTTLS refused: ${reply.code} ${replyText(reply)}`,
    });
  }
  result.tls = {
    mode: 'starttls',
    outcome: 'ok',
    reply,
    info: describeTls(tlsSocket!, ctx.tlsName, ctx.trust),
  };
  checkTlsVerify(result, ctx, endpoint, 'starttls');
  // RFC 3207 §4.2: capabilities from before TLS are void; ask again.
  await timed(result, 'ehloAfterTls', async () => {
    const hello = await session.hello(result.helo, 'ehlo');
    result.capabilitiesAfterTls = hello.capabilities ?? null;
  });
  if (result.capabilities && result.capabilitiesAfterTls)
    result.capabilityChanges = diffCapabilities(result.capabilities, result.capabilitiesAfterTls);
  return undefined;
}

function checkTlsVerify(
  result: CapsResult,
  ctx: Ctx,
  endpoint: string,
  stage: 'tls' | 'starttls',
): void {
  const info = result.tls?.info;
  if (!ctx.tlsVerify || !info || (info.nameMatch.ok && info.trusted.ok)) return;
  const why = [
    info.nameMatch.ok ? '' : info.nameMatch.error,
    info.trusted.ok ? '' : info.trusted.error,
  ]
    .filter(Boolean)
    .join('; ');
  result.tls!.outcome = 'rejected';
  throw new ProbeError({
    code: 'TLS_CERT_INVALID',
    stage,
    target: endpoint,
    message: `certificate rejected (--tls-verify): ${why}`,
  });
}

async function politeQuit(session: SmtpSession): Promise<void> {
  await session.quit().catch(() => undefined);
}

async function timed<T>(
  result: CapsResult,
  stage: keyof CapsResult['timings'],
  fn: () => Promise<T>,
): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    result.timings[stage] = performance.now() - t;
  }
}
