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

/** buildTimeline: see the module comment. `maxDelayMs` splits delivered from delayed. */
export function buildTimeline(
  walk: MxResult,
  profile: SenderProfile,
  assume: AssumeDown[],
  maxDelayMs: number,
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
  const early = finalWithoutAttempts(walk, maxDelayMs);
  if (early)
    return { assumptions, attempts: [], notTried: [], delivery: early, queue: null, notes };

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
    const assumed = matchAssumption(assumptions, o.host, o.address.address);
    const status: Status = assumed
      ? assumed.mode === 'refused'
        ? 'connection-refused'
        : 'connection-timeout'
      : o.address.status;
    const { costMs, basis } = cost(status, o.address, profile);
    const attempt = {
      host: o.host,
      preference: o.preference,
      address: o.address.address,
      status,
      assumed: !!assumed,
      startMs: clock,
      costMs,
      basis,
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
  const queue = delivery.kind === 'deferred' ? queueOf(profile, clock) : null;
  return { assumptions, attempts, notTried, delivery, queue, notes };
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
