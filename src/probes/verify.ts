/**
 * The verify probe: addresses grouped by domain; for each domain the host a
 * sender would use (the MX walk's first address that greets); then RCPT TO
 * for every address there (verify-host.ts), a catch-all test once per
 * domain, greylisted addresses retried after --retry-after. Every input
 * address gets exactly one verdict, with its evidence. --timeout bounds each
 * domain (its walk, its sessions and the greylist wait); Ctrl-C stops the run
 * with the verdicts so far, the rest `unknown` (interrupted).
 */
import { invalidInput, ProbeError } from '../errors.js';
import { normalizeDomain } from '../dns/name.js';
import { type SenderOrder, senderOrder } from '../mx/verdict.js';
import { SMTP_PORT } from '../net/target.js';
import type { AddressVerdict, DomainReport, Reason, VerifyResult } from '../schema/verify.js';
import { checkHeloName } from '../session/helo-name.js';
import { type Mailbox, parseMailbox } from '../smtp/address.js';
import type { Deadline } from '../time/deadline.js';
import { DEFAULT_MAX_ERRORS } from './error-budget.js';
import { newWalk, resolveWalk, walkResolver, walkServers } from './mx.js';
import { finishRun, type ProbeOutcome, startRun } from './outcome.js';
import { type HostOptions, type HostOutcome, verifyOnHost } from './verify-host.js';
import { defaultFrom, type VerifyCtx, type VerifyOptions } from './verify-options.js';
import { askVrfy } from './verify-vrfy.js';
import { verdictOf } from './verify-verdict.js';

export { defaultFrom, type VerifyOptions };

/** probeVerify: see the module comment. Every address is checked before anything is sent; bad syntax is INVALID_INPUT. */
export async function probeVerify(
  inputs: string[],
  options: VerifyOptions = {},
): Promise<ProbeOutcome<VerifyResult>> {
  if (inputs.length === 0) throw invalidInput('give at least one address to verify');
  const parsed = inputs.map((input) => ({ input, box: parseMailbox(input) }));
  const from =
    options.from === undefined
      ? defaultFrom()
      : options.from === ''
        ? ''
        : parseMailbox(options.from).address;
  if (options.helo !== undefined) checkHeloName(options.helo);
  const servers = walkServers(options.resolvers);
  const run = startRun(options, false);
  const ctx: VerifyCtx = { options, from, servers, run };
  const byDomain = new Map<string, Mailbox[]>();
  for (const p of parsed) {
    byDomain.set(p.box.domain, [...(byDomain.get(p.box.domain) ?? []), p.box]);
  }
  const verdicts = new Map<Mailbox, AddressVerdict>();
  const domains: DomainReport[] = [];
  let done = 0;
  for (const [domain, boxes] of byDomain) {
    // The domain's budget: --timeout, plus the greylist wait it is told to sit out.
    const deadline = run.deadline.child(run.timeouts.targetMs + (options.retryAfterMs ?? 0));
    try {
      domains.push(await verifyDomain(domain, boxes, ctx, deadline, verdicts));
    } finally {
      deadline.dispose();
    }
    done += boxes.length;
    options.onProgress?.(done, inputs.length);
  }
  const addresses = parsed.map((p) => verdicts.get(p.box)!);
  const counts: Record<string, number> = {};
  for (const a of addresses) counts[a.verdict] = (counts[a.verdict] ?? 0) + 1;
  // The run has no budget of its own (each domain has), so only Ctrl-C can have fired it.
  const error = run.deadline.signal.aborted ? run.deadline.cancelled('rcpt') : undefined;
  return finishRun(run, { from, addresses, domains, counts }, error);
}

async function verifyDomain(
  domain: string,
  boxes: Mailbox[],
  ctx: VerifyCtx,
  deadline: Deadline,
  verdicts: Map<Mailbox, AddressVerdict>,
): Promise<DomainReport> {
  const { options } = ctx;
  const report: DomainReport = {
    domain,
    host: null,
    address: null,
    mx: '',
    catchAll: 'not-tested',
    pipelining: false,
    tls: null,
    sessions: 0,
    transactions: 0,
    rcptBatches: 0,
    maxErrorsPerSession: options.maxErrors ?? DEFAULT_MAX_ERRORS,
    throttled: false,
    notes: [],
  };
  const all = (verdict: AddressVerdict['verdict'], reason: Reason, note: string): DomainReport => {
    for (const box of boxes) {
      verdicts.set(box, {
        input: box.input,
        address: box.address,
        domain,
        verdict,
        reason,
        confidence: reason === 'timed-out' || reason === 'interrupted' ? 'low' : 'high',
        evidence: [],
        note,
      });
    }
    report.mx = note;
    return report;
  };
  const stopped = (): DomainReport => {
    const err = deadline.cancelled('resolve');
    return all('unknown', err.code === 'TARGET_TIMEOUT' ? 'timed-out' : 'interrupted', err.message);
  };
  if (deadline.signal.aborted) return stopped();
  const walk = newWalk(normalizeDomain(domain), options.port ?? SMTP_PORT, []);
  try {
    if (!(await resolveWalk(walkResolver(ctx.servers, options, deadline), walk))) {
      return walk.verdict?.kind === 'no-mail'
        ? all('no-mail', 'null-mx', walk.verdict.text)
        : all('undeliverable', 'no-such-domain', walk.verdict?.text ?? 'no such domain');
    }
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    if (deadline.signal.aborted) return stopped();
    return all('unknown', 'dns-failure', err.message);
  }
  let lastError = 'no MX host has an address';
  for (const candidate of senderOrder(walk)) {
    if (deadline.signal.aborted) return stopped();
    try {
      await verifyAt(candidate, domain, boxes, ctx, deadline, report, verdicts);
      return report;
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      lastError = `${candidate.host} (${candidate.address.address}): ${err.code}`;
      report.notes.push(`skipped ${lastError}`);
    }
  }
  if (deadline.signal.aborted) return stopped();
  return all('unknown', 'no-usable-host', `no MX host could be used: ${lastError}`);
}

/** verifyAt: every address of the domain at one candidate host; throws when the host cannot be used at all. */
async function verifyAt(
  candidate: SenderOrder,
  domain: string,
  boxes: Mailbox[],
  ctx: VerifyCtx,
  deadline: Deadline,
  report: DomainReport,
  verdicts: Map<Mailbox, AddressVerdict>,
): Promise<void> {
  const { options } = ctx;
  const byVrfy = options.methods?.includes('vrfy')
    ? await askVrfy(boxes, candidate, ctx, deadline, report)
    : new Map<Mailbox, AddressVerdict>();
  const rest = boxes.filter((b) => !byVrfy.has(b));
  const useRcpt = options.methods === undefined || options.methods.includes('rcpt');
  const outcome =
    rest.length > 0 && useRcpt
      ? await verifyOnHost(rest, {
          ...hostOptions(candidate, ctx, deadline),
          ...(options.catchAll === false ? {} : { catchAllDomain: domain }),
        })
      : undefined;
  Object.assign(report, {
    host: candidate.host,
    address: candidate.address.address,
    mx: `first usable MX: ${candidate.host} (${candidate.address.address})`,
  });
  if (outcome) {
    await retryGreylisted(rest, outcome, candidate, ctx, deadline);
    fill(report, outcome);
  }
  for (const box of boxes) {
    verdicts.set(
      box,
      byVrfy.get(box) ??
        (outcome
          ? verdictOf(box, outcome)
          : {
              input: box.input,
              address: box.address,
              domain,
              verdict: 'unknown',
              reason: 'cannot-verify',
              confidence: 'low',
              evidence: [],
              note: 'VRFY did not tell, and --method has no rcpt',
            }),
    );
  }
}

/** retryGreylisted: greylisted addresses once more after --retry-after, from the same address and sender; no catch-all test again. */
async function retryGreylisted(
  boxes: Mailbox[],
  outcome: HostOutcome,
  candidate: SenderOrder,
  ctx: VerifyCtx,
  deadline: Deadline,
): Promise<void> {
  const retryAfterMs = ctx.options.retryAfterMs;
  const grey = boxes.filter((b) => {
    const m = outcome.results.get(b)?.meaning;
    return m?.kind === 'verdict' && m.reason === 'greylisted';
  });
  if (grey.length === 0 || retryAfterMs === undefined || outcome.stopped) return;
  outcome.notes.push(
    `${grey.length} greylisted: retrying after ${retryAfterMs} ms from the same address with the same sender`,
  );
  try {
    await deadline.sleep(retryAfterMs, 'wait');
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    outcome.notes.push(`greylist retry not made: ${err.message}`);
    return;
  }
  const again = await verifyOnHost(grey, hostOptions(candidate, ctx, deadline));
  for (const b of grey) {
    const first = outcome.results.get(b)!;
    const second = again.results.get(b)!;
    outcome.results.set(b, {
      meaning: second.meaning,
      evidence: [...first.evidence, ...second.evidence],
    });
  }
  outcome.sessions += again.sessions;
  outcome.transactions += again.transactions;
  outcome.rcptBatches += again.rcptBatches;
  outcome.notes.push(...again.notes);
}

function hostOptions(candidate: SenderOrder, ctx: VerifyCtx, deadline: Deadline): HostOptions {
  const { options, run } = ctx;
  return {
    host: candidate.host,
    address: candidate.address.address,
    port: options.port ?? SMTP_PORT,
    from: ctx.from,
    ...(options.helo === undefined ? {} : { helo: options.helo }),
    starttls: options.starttls !== false,
    pipelining: options.pipelining !== false,
    // A budget the user chose is kept; the default one is probed once and raised for servers that do not punish.
    maxErrors: options.maxErrors ?? DEFAULT_MAX_ERRORS,
    adaptive: options.maxErrors === undefined,
    connections: options.connections ?? 1,
    trust: run.trust,
    timeouts: run.timeouts,
    deadline,
    connector: run.wiring.connector,
  };
}

function fill(report: DomainReport, o: HostOutcome): void {
  Object.assign(report, {
    catchAll: o.catchAll,
    pipelining: o.pipelining,
    tls: o.tls,
    sessions: o.sessions,
    transactions: o.transactions,
    rcptBatches: o.rcptBatches,
    maxErrorsPerSession: o.maxErrors,
    throttled: o.throttled,
  });
  report.notes.push(...o.notes);
}
