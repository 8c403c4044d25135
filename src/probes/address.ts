/**
 * probeAddress: what a sending MTA meets at one address of one MX host —
 * TCP connect, greeting, EHLO (HELO fallback), STARTTLS when offered — then
 * QUIT. Never throws for network outcomes: each becomes an AddressOutcome.
 */
import { isIP } from 'node:net';
import { ProbeError, type ErrorCode } from '../errors.js';
import type { Timeouts } from '../session/timeouts.js';
import { roundMs } from '../time/duration.js';
import { defaultHeloName } from '../session/helo-name.js';
import { formatEndpoint } from '../net/target.js';
import type { SmtpSession } from '../session/session.js';
import type { TrustStore } from '../net/tls.js';
import { Transcript } from '../session/transcript.js';
import { errorInfo } from '../schema/envelope.js';
import type { AddressOutcome, AddressProbe } from '../schema/mx.js';
import { openSession, upgradeSession, type OpenProgress } from './open.js';

/** AddressProbeOptions: how to probe one address. */
export interface AddressProbeOptions {
  port: number;
  /** The MX name: SNI and the name the certificate is checked against. */
  hostname: string;
  helo?: string;
  starttls: boolean;
  trust: TrustStore;
  timeouts: Timeouts;
  signal?: AbortSignal;
  transcript?: Transcript;
}

const OUTCOME_BY_CODE: Partial<Record<ErrorCode, AddressOutcome>> = {
  CONNECTION_REFUSED: 'refused',
  CONNECT_TIMEOUT: 'connect-timeout',
  HOST_UNREACHABLE: 'unreachable',
  GREETING_TIMEOUT: 'greeting-timeout',
  CONNECTION_CLOSED: 'closed',
  COMMAND_TIMEOUT: 'io-timeout',
  TARGET_TIMEOUT: 'io-timeout',
  TLS_HANDSHAKE_FAILED: 'tls-failure',
  STARTTLS_REFUSED: 'tls-failure',
  PROTOCOL_ERROR: 'protocol-error',
  REPLY_TOO_LARGE: 'protocol-error',
  ABORTED: 'aborted',
};

/** outcomeOf: the AddressOutcome a ProbeError stands for. */
export function outcomeOf(err: ProbeError): AddressOutcome {
  return OUTCOME_BY_CODE[err.code] ?? 'protocol-error';
}

/** probeAddress: see the module comment. */
export async function probeAddress(
  address: string,
  opts: AddressProbeOptions,
): Promise<AddressProbe> {
  const family = isIP(address) === 6 ? 6 : 4;
  const t0 = performance.now();
  const transcript = opts.transcript ?? new Transcript();
  const progress: OpenProgress = { addresses: [], attempts: [], address: null, timings: {} };
  const probe: AddressProbe = { address, family, outcome: 'ok', ms: 0 };
  try {
    const target = { input: address, host: address, port: opts.port, family } as const;
    const { session, banner } = await openSession(
      target,
      {
        timeouts: opts.timeouts,
        signal: opts.signal,
        transcript,
        implicitTls: false,
        trust: opts.trust,
        tlsName: opts.hostname,
      },
      progress,
    );
    probe.banner = banner;
    probe.outcome = await converse(session, address, opts, probe, progress.localAddress);
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    progress.session?.close();
    probe.outcome = probe.tls?.outcome === 'failed' ? 'tls-failure' : outcomeOf(err);
    probe.error = errorInfo(err);
  }
  if (progress.timings.connect !== undefined) probe.connectMs = roundMs(progress.timings.connect);
  probe.ms = roundMs(performance.now() - t0);
  return probe;
}

async function converse(
  session: SmtpSession,
  address: string,
  opts: AddressProbeOptions,
  probe: AddressProbe,
  local?: string,
): Promise<AddressOutcome> {
  const banner = probe.banner!;
  if (banner.code !== 220) {
    await session.quit().catch(() => undefined);
    return banner.code < 500 ? 'greeting-4xx' : 'greeting-5xx';
  }
  const hello = await session.hello(opts.helo ?? defaultHeloName(local));
  probe.hello = {
    verb: hello.verb,
    code: hello.reply.code,
    keywords: hello.capabilities?.extensions.map((e) => e.keyword) ?? [],
  };
  if (hello.reply.code !== 250) {
    await session.quit().catch(() => undefined);
    return 'rejected';
  }
  if (opts.starttls && hello.capabilities?.starttls) {
    const endpoint = formatEndpoint(address, opts.port);
    const { reply, tls } = await upgradeSession(session, {
      servername: opts.hostname,
      trust: opts.trust,
      timeouts: opts.timeouts,
      signal: opts.signal,
      endpoint,
    }).catch((err: unknown) => {
      probe.tls = { outcome: 'failed', error: err instanceof Error ? err.message : String(err) };
      throw err;
    });
    if (!tls) probe.tls = { outcome: 'refused', error: `${reply.code} ${reply.lines[0] ?? ''}` };
    else {
      probe.tls = { outcome: 'ok', protocol: tls.getProtocol() ?? 'unknown' };
      await session.hello(opts.helo ?? defaultHeloName(local));
    }
  }
  await session.quit();
  return probe.tls && probe.tls.outcome !== 'ok' ? 'tls-failure' : 'ok';
}
