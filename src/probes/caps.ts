/**
 * The caps probe: the session set up by establish (connect, greeting,
 * EHLO/HELO, STARTTLS and its certificate, EHLO again), then the verb census
 * and QUIT — each stage timed, and a failure at any stage still returns
 * everything learned before it. The census may go on in new sessions, set up
 * the same way, so that no server sees enough unrecognised commands to hang
 * up (see runCensus); what the result says about the server is the first's.
 */
import { ProbeError } from '../errors.js';
import { formatEndpoint, parseTarget, SMTP_PORT, SUBMISSIONS_PORT } from '../net/target.js';
import type { CapsResult, CensusEntry } from '../schema/caps.js';
import {
  establish,
  type Established,
  type EstablishOptions,
  type SessionProgress,
  SessionSetupError,
} from '../session/establish.js';
import type { SmtpSession } from '../session/session.js';
import { checkHeloName } from '../session/helo-name.js';
import { diffCapabilities } from '../smtp/capabilities.js';
import { bannerHostname } from '../smtp/greeting.js';
import { implausible } from '../smtp/pairing.js';
import { replyText } from '../smtp/reply.js';
import { timeInto } from '../time/clock.js';
import { roundMs } from '../time/duration.js';
import { runCensus, unpair } from './census.js';
import { capsFindings } from './findings.js';
import {
  asProbeError,
  elapsed,
  finishRun,
  type ProbeOutcome,
  type Run,
  type RunOptions,
  startRun,
} from './outcome.js';

/** CapsOptions: everything `caps` can be told. */
export interface CapsOptions extends RunOptions {
  helo?: string;
  implicitTls?: boolean;
  starttls?: boolean;
  tlsVerify?: boolean;
  /** The name the certificate must match and SNI carries; default the target host (an MX name when probing an IP). */
  tlsName?: string;
  census?: boolean;
}

/** probeCaps: see the module comment. Input is checked before any socket opens. */
export async function probeCaps(
  input: string,
  options: CapsOptions = {},
): Promise<ProbeOutcome<CapsResult>> {
  const target = parseTarget(input, options.implicitTls ? SUBMISSIONS_PORT : SMTP_PORT);
  const helo = options.helo === undefined ? undefined : checkHeloName(options.helo);
  const tlsName = options.tlsName === undefined ? target.host : parseTarget(options.tlsName).host;
  const run = startRun(options);
  const result: CapsResult = {
    host: target.host,
    port: target.port,
    helo: helo ?? '',
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
  const setup: EstablishOptions = {
    connector: run.wiring.connector,
    resolveAddresses: run.wiring.resolveAddresses,
    timeouts: run.timeouts,
    deadline: run.deadline,
    transcript: run.transcript,
    ...(helo === undefined ? {} : { helo }),
    starttls: options.starttls === false || options.implicitTls ? 'off' : 'opportunistic',
    implicitTls: options.implicitTls === true,
    tlsName,
    trust: run.trust,
    tlsVerify: options.tlsVerify === true,
  };
  try {
    const established = await establish(target, setup);
    record(result, established);
    await afterHello(
      established,
      options,
      result,
      run,
      reopener(established.address, target.port, setup, run),
    );
  } catch (err) {
    error = asProbeError(err, elapsed(run));
    if (err instanceof SessionSetupError) record(result, err.progress);
  }
  result.timings = Object.fromEntries(
    Object.entries({ ...result.timings, total: elapsed(run) }).map(([k, v]) => [k, roundMs(v)]),
  );
  result.findings = capsFindings(result);
  return finishRun(run, result, error);
}

/** record: what establish learned, in the result's shape (also from a SessionSetupError's progress). */
function record(result: CapsResult, p: SessionProgress): void {
  result.addresses = p.addresses;
  result.attempts = p.attempts.map((a) => ({ ...a, ms: roundMs(a.ms) }));
  result.address = p.address;
  if (p.helo !== undefined) result.helo = p.helo;
  if (p.banner) result.banner = { reply: p.banner, hostname: bannerHostname(p.banner) };
  if (p.hello) {
    const { verb, reply, ehloReply, capabilities } = p.hello;
    result.hello = ehloReply ? { verb, reply, ehloReply } : { verb, reply };
    result.capabilities = capabilities ?? null;
  }
  if (p.tls) result.tls = p.tls;
  if (p.capabilitiesAfterTls !== undefined) result.capabilitiesAfterTls = p.capabilitiesAfterTls;
  if (result.capabilities && result.capabilitiesAfterTls) {
    result.capabilityChanges = diffCapabilities(result.capabilities, result.capabilitiesAfterTls);
  }
  Object.assign(result.timings, p.timings);
}

/**
 * afterHello: the census and QUIT. A refused STARTTLS fails the probe, but the
 * session is still good in clear: the census runs first.
 */
async function afterHello(
  established: Established,
  options: CapsOptions,
  result: CapsResult,
  run: Run,
  reopen: () => Promise<SmtpSession | undefined>,
): Promise<void> {
  let { session } = established;
  let lastSession: CensusEntry[] = [];
  try {
    if (options.census !== false) {
      const entries: NonNullable<CapsResult['census']> = [];
      result.census = entries;
      const census = await timeInto(run.deadline.clock, result.timings, 'census', () =>
        runCensus(session, (e) => entries.push(e), {
          reopen,
          note: (text) => run.transcript.note(text),
        }),
      );
      // The census may have moved on to a new session (see runCensus): QUIT that one.
      session = census.session;
      lastSession = census.lastSession;
      if (!census.sessionUsable) session.close();
    }
    if (!session.closed) {
      const quit = await timeInto(run.deadline.clock, result.timings, 'quit', () => session.quit());
      // Any answer but 221 is an earlier command's: the census's last answers were shifted.
      const why = quit && implausible('QUIT', quit);
      if (why) {
        unpair(lastSession);
        throw session.unpaired('quit', why);
      }
    }
  } catch (err) {
    session.close();
    throw err;
  }
  const tls = established.tls;
  if (tls?.outcome === 'refused' && tls.reply) {
    throw new ProbeError({
      code: 'STARTTLS_REFUSED',
      stage: 'starttls',
      target: formatEndpoint(established.address, result.port),
      message: `STARTTLS refused: ${tls.reply.code} ${replyText(tls.reply)}`,
    });
  }
}

/**
 * reopener: how the census opens another session — to the address the first one reached, set up
 * the same way (STARTTLS, certificate checks). A session that cannot be had is noted and left out;
 * only the run's end (Ctrl-C, --timeout) is thrown.
 */
function reopener(
  address: string,
  port: number,
  setup: EstablishOptions,
  run: Run,
): () => Promise<SmtpSession | undefined> {
  return async () => {
    try {
      return (await establish(parseTarget(formatEndpoint(address, port)), setup)).session;
    } catch (err) {
      if (run.deadline.signal.aborted) throw err;
      const why = err instanceof Error ? err.message : String(err);
      run.transcript.note(
        `census: a new session to ${formatEndpoint(address, port)} failed: ${why}`,
      );
      return undefined;
    }
  };
}
