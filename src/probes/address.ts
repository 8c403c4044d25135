/**
 * probeAddress: what a sending MTA meets at one address of one MX host — the
 * session establish sets up (TCP connect, greeting, EHLO with the HELO
 * fallback, STARTTLS when offered), then QUIT. Never throws for network
 * outcomes: each becomes the address's status, in the envelope's words.
 */
import { ProbeError } from '../errors.js';
import { errorInfo } from '../error-info.js';
import type { AddressResolver } from '../net/address-resolver.js';
import type { Connector } from '../net/connector.js';
import { ipFamily } from '../ip.js';
import type { TrustStore } from '../net/tls.js';
import type { AddressProbe } from '../schema/mx.js';
import { establish, type SessionProgress, SessionSetupError } from '../session/establish.js';
import type { Timeouts } from '../session/timeouts.js';
import { Transcript, type TranscriptEntry } from '../session/transcript.js';
import { formatEndpoint } from '../net/target.js';
import type { Deadline } from '../time/deadline.js';
import { roundMs } from '../time/duration.js';

/** AddressProbeOptions: how to probe one address. */
export interface AddressProbeOptions {
  port: number;
  /** The MX name: SNI and the name the certificate is checked against. */
  hostname: string;
  helo?: string;
  starttls: boolean;
  trust: TrustStore;
  timeouts: Timeouts;
  deadline: Deadline;
  connector?: Connector;
  resolveAddresses?: AddressResolver;
  /** With --transcript: each line as it happens, labelled with the host and address; also kept in the result. */
  onTranscript?: (entry: TranscriptEntry, label: string) => void;
  /** The certificate chain presented after STARTTLS (DER, leaf first). */
  onPeerChain?: (chainDer: Buffer[]) => void;
}

/** probeAddress: see the module comment. */
export async function probeAddress(address: string, o: AddressProbeOptions): Promise<AddressProbe> {
  const family = ipFamily(address) === 6 ? 6 : 4;
  const clock = o.deadline.clock;
  const t0 = clock.now();
  const probe: AddressProbe = { address, family, status: 'ok', ms: 0 };
  const label = `${o.hostname} ${formatEndpoint(address, o.port)}`;
  const live = o.onTranscript;
  const transcript = new Transcript(live ? (e) => live(e, label) : undefined, clock);
  try {
    const established = await establish(
      { input: address, host: address, port: o.port, family },
      {
        connector: o.connector,
        resolveAddresses: o.resolveAddresses,
        timeouts: o.timeouts,
        deadline: o.deadline,
        transcript,
        ...(o.helo === undefined ? {} : { helo: o.helo }),
        starttls: o.starttls ? 'opportunistic' : 'off',
        tlsName: o.hostname,
        trust: o.trust,
        ...(o.onPeerChain ? { onPeerChain: o.onPeerChain } : {}),
      },
    );
    record(probe, established);
    await established.session.quit();
    // A sender that finds STARTTLS refused falls back to clear text or defers: not a clean "ok".
    if (established.tls?.outcome === 'refused') probe.status = 'tls-error';
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    if (err instanceof SessionSetupError) record(probe, err.progress);
    probe.status = err.status;
    probe.error = errorInfo(err);
  }
  probe.ms = roundMs(clock.now() - t0);
  if (live) probe.transcript = transcript.entries.map((e) => ({ ...e, atMs: roundMs(e.atMs) }));
  return probe;
}

function record(probe: AddressProbe, p: SessionProgress): void {
  if (p.timings.connect !== undefined) probe.connectMs = roundMs(p.timings.connect);
  if (p.banner) probe.banner = p.banner;
  if (p.hello) {
    probe.hello = {
      verb: p.hello.verb,
      code: p.hello.reply.code,
      keywords: p.hello.capabilities?.extensions.map((e) => e.keyword) ?? [],
    };
  }
  const tls = p.tls;
  if (tls?.outcome === 'ok') {
    probe.tls = { outcome: 'ok', protocol: tls.info?.protocol ?? 'unknown' };
    if (tls.info) {
      const { trusted, nameMatch } = tls.info;
      const why = [trusted.error, nameMatch.error].filter((e): e is string => !!e).join('; ');
      probe.tls.verified = {
        trusted: trusted.ok,
        nameMatch: nameMatch.ok,
        ...(why ? { error: why } : {}),
      };
    }
  } else if (tls?.outcome === 'refused' && tls.reply) {
    probe.tls = { outcome: 'refused', error: `${tls.reply.code} ${tls.reply.lines[0] ?? ''}` };
  } else if (tls?.outcome === 'failed') {
    probe.tls = { outcome: 'failed', ...(tls.error ? { error: tls.error } : {}) };
  }
}
