/**
 * The sender's timeline, pure: from a measured MX walk and a sender profile
 * to the attempts a real MTA makes (RFC 5321 §5.1 order), what each costs,
 * where the mail lands and after how long — or the queue it sits in.
 */
import type { Status } from '../errors.js';
import type { AddressProbe, MxResult } from '../schema/mx.js';
import type {
  Assumption,
  Delivery,
  FailoverResult,
  Queue,
  TimelineAttempt,
} from '../schema/failover.js';
import type { StsVerdict } from '../schema/policy.js';
import { formatDuration } from '../time/duration.js';
import { senderOrder } from './verdict.js';
import type { SenderProfile } from './profiles.js';

/** AssumeDown: an --assume-down: a host name or address, failing as refused (RST) or blackholed (no SYN-ACK). */
export interface AssumeDown {
  target: string;
  mode: 'refused' | 'blackhole';
}

// Statuses where the server greeted us: they use up one of the sender's sessions (Postfix smtp_mx_session_limit).
const SESSION_STATUSES = new Set<Status>(['ok', 'rejected', 'tls-error', 'io-timeout']);
// A refused connect costs about one round trip; without a measurement we assume 1 ms (loopback-like).
const REFUSED_FALLBACK_MS = 1;

/**
 * buildTimeline: see the module comment. `maxDelayMs` splits delivered from delayed. With
 * `mtaSts`, the sender enforces the walk's MTA-STS policy (RFC 8461 §5) when its mode is enforce:
 * an MX host the policy does not cover is never dialled (§4.1), and one whose STARTTLS or
 * certificate fails is left after its session (§4.2), so the mail goes to the next or queues.
 */
export function buildTimeline(
  walk: MxResult,
  profile: SenderProfile,
  assume: AssumeDown[],
  maxDelayMs: number,
  mtaSts = false,
): Omit<FailoverResult, 'walk' | 'profile'> {
  const assumptions: Assumption[] = assume.map((a) => ({
    target: a.target,
    mode: a.mode,
    matched: [],
  }));
  const notes: string[] = [];
  if (walk.hosts.some((h) => h.groupSize > 1))
    notes.push(
      'hosts of equal preference are tried in random order by real senders; this timeline uses DNS order',
    );
  const sts = mtaSts ? enforced(walk, notes) : new Map<string, StsVerdict>();
  const early = finalWithoutAttempts(walk, maxDelayMs);
  if (early)
    return { assumptions, attempts: [], notTried: [], delivery: early, queue: null, mtaSts, notes };

  const attempts: TimelineAttempt[] = [];
  const notTried: FailoverResult['notTried'] = [];
  let clock = 0;
  let sessions = 0;
  let delivered: TimelineAttempt | undefined;
  for (const o of senderOrder(walk)) {
    const limit =
      profile.maxAddresses !== null && attempts.length >= profile.maxAddresses
        ? `address limit (${profile.maxAddresses}) reached`
        : profile.maxSessions !== null && sessions >= profile.maxSessions
          ? `session limit (${profile.maxSessions}) reached`
          : undefined;
    if (delivered || limit) {
      notTried.push({
        host: o.host,
        address: o.address.address,
        reason: delivered ? 'mail already delivered' : limit!,
      });
      continue;
    }
    const verdict = sts.get(o.host);
    if (verdict?.outcome === 'skip' && verdict.pattern === null) {
      notTried.push({ host: o.host, address: o.address.address, reason: verdict.reason });
      continue;
    }
    const assumed = matchAssumption(assumptions, o.host, o.address.address);
    const measured: Status = assumed
      ? assumed.mode === 'refused'
        ? 'connection-refused'
        : 'connection-timeout'
      : o.address.status;
    // The session works, but the policy's TLS check fails: the sender quits and moves on.
    const refusedByPolicy = verdict?.outcome === 'skip' && measured === 'ok';
    const status: Status = refusedByPolicy ? 'tls-error' : measured;
    const { costMs, basis } = cost(measured, o.address, profile);
    const attempt = {
      host: o.host,
      preference: o.preference,
      address: o.address.address,
      status,
      assumed: !!assumed,
      startMs: clock,
      costMs,
      basis,
      ...(refusedByPolicy ? { policy: verdict.reason } : {}),
    };
    attempts.push(attempt);
    clock += costMs;
    if (SESSION_STATUSES.has(status)) sessions++;
    if (status === 'ok') delivered = attempt;
  }
  for (const a of assumptions)
    if (a.matched.length === 0)
      notes.push(`--assume-down ${a.target} matched no MX host or address`);
  const delivery = deliveryOf(walk, profile, attempts, delivered, maxDelayMs);
  if (delivery.kind === 'deferred' && sts.size > 0)
    delivery.text += '; MTA-STS enforce (RFC 8461 §5) keeps it from any MX that fails the policy';
  const queue = delivery.kind === 'deferred' ? queueOf(profile, clock) : null;
  return { assumptions, attempts, notTried, delivery, queue, mtaSts, notes };
}

/**
 * enforced: the MTA-STS verdicts an enforcing sender acts on, by MX host: those of a policy in
 * enforce mode, none otherwise, with a note saying which.
 */
function enforced(walk: MxResult, notes: string[]): Map<string, StsVerdict> {
  const sts = walk.policy?.mtaSts;
  if (!sts) {
    notes.push('--mta-sts: the policy was not asked for, so nothing is enforced');
    return new Map();
  }
  if (sts.state !== 'enforce') {
    const what =
      sts.state === 'testing'
        ? 'mode testing: the sender delivers as without it and reports failures (RFC 8461 §5)'
        : sts.state === 'none'
          ? 'mode none: nothing is applied'
          : `no usable policy (${sts.state}): the sender delivers as without MTA-STS`;
    notes.push(`--mta-sts: ${what}`);
    return new Map();
  }
  const skipped = sts.verdicts.filter((v) => v.outcome === 'skip');
  notes.push(
    `--mta-sts: the policy is enforced (id ${sts.txt.record?.id ?? '?'}); ${
      skipped.length === 0
        ? 'every MX host passes it'
        : `${skipped.map((v) => v.mx).join(', ')} ${skipped.length === 1 ? 'fails' : 'fail'} it`
    }`,
  );
  return new Map(sts.verdicts.map((v) => [v.mx, v]));
}

function finalWithoutAttempts(walk: MxResult, maxDelayMs: number): Delivery | undefined {
  const domain = walk.domain.unicode;
  if (walk.verdict?.kind === 'no-mail')
    return {
      kind: 'no-mail',
      maxDelayMs,
      text: `${domain} publishes a null MX: every sender bounces mail to it at once`,
    };
  if (walk.verdict?.kind === 'no-such-domain')
    return {
      kind: 'no-such-domain',
      maxDelayMs,
      text: `${domain} does not exist: every sender bounces mail to it at once`,
    };
  return undefined;
}

function matchAssumption(
  assumptions: Assumption[],
  host: string,
  address: string,
): Assumption | undefined {
  const hit = assumptions.find(
    (a) => a.target.toLowerCase().replace(/\.$/, '') === host || a.target === address,
  );
  if (hit && !hit.matched.includes(address)) hit.matched.push(address);
  return hit;
}

function cost(
  status: Status,
  measured: AddressProbe,
  p: SenderProfile,
): Pick<TimelineAttempt, 'costMs' | 'basis'> {
  const { ms: measuredMs, connectMs } = measured;
  switch (status) {
    case 'connection-timeout':
      return { costMs: p.connectTimeoutMs, basis: 'sender-connect-timeout' };
    case 'greeting-timeout':
    case 'io-timeout':
      return { costMs: (connectMs ?? 0) + p.greetingTimeoutMs, basis: 'sender-greeting-timeout' };
    case 'connection-refused':
      // A RST costs one round trip. An assumed refusal of an address that really answered costs its SYN-ACK time,
      // not its whole session (or, for a blackholed one, our connect timeout).
      if (measured.status !== 'connection-refused')
        return { costMs: connectMs ?? REFUSED_FALLBACK_MS, basis: 'measured' };
      return {
        costMs: Math.max(measuredMs, connectMs ?? 0) || REFUSED_FALLBACK_MS,
        basis: 'measured',
      };
    default:
      return { costMs: measuredMs, basis: 'measured' };
  }
}

function deliveryOf(
  walk: MxResult,
  p: SenderProfile,
  attempts: TimelineAttempt[],
  delivered: TimelineAttempt | undefined,
  maxDelayMs: number,
): Delivery {
  const domain = walk.domain.unicode;
  if (!delivered) {
    const tried =
      attempts.length === 0
        ? 'no address to try'
        : `${attempts.length === 1 ? '1 attempt fails' : `${attempts.length} attempts fail`} (${attempts.map((a) => a.status).join(', ')})`;
    return {
      kind: 'deferred',
      maxDelayMs,
      text: `${p.name} cannot deliver mail for ${domain} now — ${tried}; it queues the message and bounces it after ${formatDuration(p.retry.giveUpMs)} if nothing changes`,
    };
  }
  const afterMs = delivered.startMs + delivered.costMs;
  const late = afterMs > maxDelayMs;
  // "… 2m07s after it starts, at attempt 3: the first 2 fail (…)"; "… at its first attempt, 25 ms after it starts".
  const failed = attempts.slice(0, -1);
  const when =
    failed.length === 0
      ? `at its first attempt, ${formatDuration(afterMs)} after it starts`
      : `${formatDuration(afterMs)} after it starts, at attempt ${attempts.length}: ${
          failed.length === 1 ? 'the first fails' : `the first ${failed.length} fail`
        } (${failed.map((a) => `${a.status} ${formatDuration(a.costMs)}`).join(', ')})`;
  return {
    kind: late ? 'delayed' : 'delivered',
    host: delivered.host,
    address: delivered.address,
    afterMs,
    maxDelayMs,
    text: `${p.name} delivers mail for ${domain} to ${delivered.host} (${delivered.address}) ${when}${late ? ` — later than --max-delay ${formatDuration(maxDelayMs)}` : ''}`,
  };
}

/** QUEUE_RETRIES_SHOWN: retries listed before the bounce; a 5-day Postfix queue has ~110 of them. */
const QUEUE_RETRIES_SHOWN = 200;

function queueOf(p: SenderProfile, attemptMs: number): Queue {
  const retriesAtMs: number[] = [];
  let delay = p.retry.firstRetryMs;
  let at = attemptMs + delay;
  while (at < p.retry.giveUpMs && retriesAtMs.length < QUEUE_RETRIES_SHOWN) {
    retriesAtMs.push(at);
    delay = Math.min(delay * p.retry.factor, p.retry.maxBackoffMs);
    at += delay;
  }
  return { retriesAtMs, bounceAtMs: p.retry.giveUpMs };
}
