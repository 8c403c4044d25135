/**
 * The send probe: the one path in smtp-probe that sends DATA. The request is checked and the
 * message encoded before anything is sent (send-plan.ts); the server is --server, or the
 * recipient domain's MX in the order a sender tries it (a host that cannot be reached, or will
 * not greet, passes the turn to the next, RFC 5321 §5.1); the session is set up by establish
 * (STARTTLS by policy, or implicit TLS) or stopped early at --quit-after connect, banner or ehlo;
 * then the transaction (send-transaction.ts). Every stage is timed, and a failure keeps what was
 * learned before it.
 */
import type { ProbeError } from '../errors.js';
import { formatEndpoint, parseTarget, SMTP_PORT, SUBMISSIONS_PORT } from '../net/target.js';
import type { SendHost, SendResult } from '../schema/send.js';
import {
  type EarlyStop,
  type EstablishOptions,
  establish,
  openUntil,
  type Opened,
  type SessionProgress,
  SessionSetupError,
} from '../session/establish.js';
import { roundMs } from '../time/duration.js';
import {
  asProbeError,
  elapsed,
  finishRun,
  type ProbeOutcome,
  type Run,
  startRun,
} from './outcome.js';
import { planSend, type SendOptions, type SendPlan } from './send-plan.js';
import type { Candidate } from './send-route.js';
import { transact } from './send-transaction.js';

export type { MessageSource, SendOptions } from './send-plan.js';

// Refusals the server made on purpose; anything else that ends a send is a failure of the session.
const REFUSALS = new Set([
  'AUTH_FAILED',
  'AUTH_UNAVAILABLE',
  'SENDER_REFUSED',
  'RECIPIENT_REFUSED',
  'MESSAGE_REFUSED',
  'MESSAGE_UNSUITABLE',
]);

/** probeSend: see the module comment. Bad input is INVALID_INPUT before anything is sent. */
export async function probeSend(options: SendOptions): Promise<ProbeOutcome<SendResult>> {
  const plan = planSend(options);
  const port = options.port ?? (options.implicitTls ? SUBMISSIONS_PORT : SMTP_PORT);
  // The MX walk's code (DNS, the walk) is loaded only for a send that walks: --server needs none.
  const route = plan.mxDomain === null ? undefined : await import('./send-route.js');
  const servers = route?.walkServers(options.resolvers) ?? [];
  const run = startRun(options);
  const result = emptyResult(plan, options);
  let error: ProbeError | undefined;
  try {
    const candidates = options.server
      ? [{ ...options.server, preference: null }]
      : await route!.mxCandidates(plan.mxDomain!, port, servers, options, run, result);
    await sendVia(candidates, plan, options, run, result);
  } catch (err) {
    error = asProbeError(err, elapsed(run));
  }
  result.outcome = outcomeOf(result, error);
  result.timings = Object.fromEntries(
    Object.entries({ ...result.timings, total: elapsed(run) }).map(([k, v]) => [k, roundMs(v)]),
  );
  return finishRun(run, result, error);
}

function emptyResult(plan: SendPlan, options: SendOptions): SendResult {
  return {
    from: plan.from,
    to: plan.to.map((b) => b.address),
    route: plan.route,
    hosts: [],
    host: null,
    port: null,
    address: null,
    helo: plan.helo ?? '',
    banner: null,
    capabilities: null,
    tls: null,
    capabilitiesAfterTls: null,
    auth: null,
    message: plan.report,
    parameters: null,
    mail: null,
    recipients: [],
    data: null,
    final: null,
    queueId: null,
    quitAfter: options.quitAfter ?? null,
    outcome: 'failed',
    pipelined: false,
    timings: {},
  };
}

/**
 * sendVia: each candidate in turn until one sets up a session; the transaction runs on that one
 * and its outcome is final (a refusal is the answer, not a reason to try the next MX).
 */
async function sendVia(
  candidates: Candidate[],
  plan: SendPlan,
  options: SendOptions,
  run: Run,
  result: SendResult,
): Promise<void> {
  for (const [i, c] of candidates.entries()) {
    const host: SendHost = {
      host: c.host,
      port: c.port,
      preference: c.preference,
      attempts: [],
      status: 'ok',
    };
    result.hosts.push(host);
    let opened: Opened;
    try {
      opened = await open(c, plan, options, run);
    } catch (err) {
      if (!(err instanceof SessionSetupError)) throw err;
      record(result, err.progress, c.addresses !== undefined);
      host.attempts = err.progress.attempts.map((a) => ({ ...a, ms: roundMs(a.ms) }));
      host.status = err.status;
      host.error = err.message;
      const last = i === candidates.length - 1;
      if (last || err.code === 'ABORTED' || err.code === 'TARGET_TIMEOUT') throw err;
      run.transcript.note(`${c.host}: ${err.message}; trying the next MX`);
      continue;
    }
    record(result, opened, c.addresses !== undefined);
    host.attempts = opened.attempts.map((a) => ({ ...a, ms: roundMs(a.ms) }));
    Object.assign(result, { host: c.host, port: c.port });
    const endpoint = formatEndpoint(opened.address, c.port);
    const stop = earlyStop(options);
    if (stop !== undefined) {
      // Right after the connect nothing has been said: a QUIT before the banner is pre-greeting traffic.
      if (stop === 'connect') opened.session.close();
      else await opened.session.quit().catch(() => opened.session.close());
      return;
    }
    const tlsUp = result.tls?.outcome === 'ok';
    await transact({
      session: opened.session,
      plan,
      options,
      result,
      run,
      caps: (tlsUp ? result.capabilitiesAfterTls : result.capabilities) ?? null,
      tlsUp,
      endpoint,
    }).catch((err: unknown) => {
      opened.session.close();
      throw err;
    });
    return;
  }
}

function earlyStop(options: SendOptions): EarlyStop | undefined {
  const q = options.quitAfter;
  return q === 'connect' || q === 'banner' || q === 'ehlo' ? q : undefined;
}

function open(c: Candidate, plan: SendPlan, options: SendOptions, run: Run): Promise<Opened> {
  const setup: EstablishOptions = {
    connector: run.wiring.connector,
    resolveAddresses: c.addresses ? async () => c.addresses! : run.wiring.resolveAddresses,
    timeouts: run.timeouts,
    deadline: run.deadline,
    transcript: run.transcript,
    ...(plan.helo === undefined ? {} : { helo: plan.helo }),
    starttls: options.implicitTls ? 'off' : (options.starttls ?? 'opportunistic'),
    implicitTls: options.implicitTls === true,
    tlsName: options.server ? (options.tlsName ?? c.host) : c.host,
    trust: run.trust,
    tlsVerify: options.tlsVerify === true,
  };
  // An MX host's name is resolved already: dial it by name so SNI and the checks use it.
  const target = parseTarget(formatEndpoint(c.host, c.port));
  const stop = earlyStop(options);
  return stop === undefined ? establish(target, setup) : openUntil(target, setup, stop);
}

/**
 * record: what establish learned, in the result's shape (also from a SessionSetupError's
 * progress). An MX host's addresses came from the walk, whose time `resolve` already holds.
 */
function record(result: SendResult, p: SessionProgress, walked: boolean): void {
  result.address = p.address;
  if (p.helo !== undefined) result.helo = p.helo;
  if (p.banner) result.banner = p.banner;
  if (p.hello) result.capabilities = p.hello.capabilities ?? null;
  if (p.tls) result.tls = p.tls;
  if (p.capabilitiesAfterTls !== undefined) result.capabilitiesAfterTls = p.capabilitiesAfterTls;
  const timings = { ...p.timings };
  if (walked) delete timings.resolve;
  Object.assign(result.timings, timings);
}

/** outcomeOf: what became of the message; once the server took it, nothing after (a Ctrl-C during QUIT) undoes that. */
function outcomeOf(result: SendResult, error: ProbeError | undefined): SendResult['outcome'] {
  if (result.final && result.final.code < 300)
    return result.recipients.some((r) => !r.accepted) ? 'partial' : 'accepted';
  // Without an error, only a stop point ends a session before the message.
  if (!error) return 'stopped';
  if (error.code === 'ABORTED' || error.code === 'TARGET_TIMEOUT') return 'interrupted';
  return REFUSALS.has(error.code) ? 'refused' : 'failed';
}
