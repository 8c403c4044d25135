/**
 * The verify probe: addresses grouped by domain, domains verified side by
 * side (a bounded number at once, one session at a time per host address);
 * for each domain the hosts to ask — the MX walk in sender order, the address
 * of an address literal, or --server — and RCPT TO for every address at the
 * first usable one (verify-host.ts), a catch-all test once per domain,
 * greylisted addresses retried after --retry-after. A host that failed once in
 * the run is not dialled again for the next domain. Every input gets exactly
 * one verdict, with its evidence: a --file line that is no address gets
 * `invalid`; Ctrl-C leaves the addresses not reached `not-asked`. --timeout
 * bounds each domain (its walk, its sessions and the greylist wait).
 */
import { invalidInput, ProbeError } from '../errors.js';
import { ipFamily } from '../ip.js';
import { systemAddressResolver } from '../net/address-resolver.js';
import { formatEndpoint, SMTP_PORT } from '../net/target.js';
import type { AddressVerdict, DomainReport, Reason, VerifyResult } from '../schema/verify.js';
import { checkHeloName } from '../session/helo-name.js';
import { type Mailbox, parseMailbox } from '../smtp/address.js';
import type { Deadline } from '../time/deadline.js';
import { DEFAULT_MAX_ERRORS } from './error-budget.js';
import { finishRun, type ProbeOutcome, startRun } from './outcome.js';
import {
  type Candidate,
  defaultFrom,
  type Found,
  type VerifyCtx,
  type VerifyInput,
  type VerifyOptions,
} from './verify-options.js';
import { type HostOptions, type HostOutcome, verifyOnHost } from './verify-host.js';
import { verdictOf } from './verify-verdict.js';
import { askVrfy } from './verify-vrfy.js';
import { pool } from './pool.js';

export { defaultFrom, type VerifyInput, type VerifyOptions };

/** DOMAINS_AT_ONCE: domains verified side by side; each still keeps one session per host address. */
export const DOMAINS_AT_ONCE = 8;

interface Parsed {
  input: string;
  line?: number;
  box?: Mailbox;
  error?: string;
}

/** probeVerify: see the module comment. Bad positional input is INVALID_INPUT before anything is sent. */
export async function probeVerify(
  inputs: VerifyInput[],
  options: VerifyOptions = {},
): Promise<ProbeOutcome<VerifyResult>> {
  const parsed = inputs.map(parseInput);
  if (parsed.length === 0) throw invalidInput('give at least one address to verify');
  const bad = parsed.find((p) => p.error !== undefined && p.line === undefined);
  if (bad) throw invalidInput(bad.error!);
  if (parsed.every((p) => p.box === undefined)) {
    throw invalidInput(
      `no address to verify: every line is invalid (line ${parsed[0]!.line}: ${parsed[0]!.error})`,
    );
  }
  const fromBox =
    options.from === undefined || options.from === '' ? undefined : parseMailbox(options.from);
  const from = options.from === undefined ? defaultFrom() : (fromBox?.address ?? '');
  if (options.helo !== undefined) checkHeloName(options.helo);
  const run = startRun(options, false);
  // The walk's code loads only when some domain needs its MX walked.
  const walks = parsed.some((p) => p.box && !isLiteral(p.box.domain)) && !options.servers?.length;
  const ctx: VerifyCtx = {
    options,
    from,
    fromUtf8: fromBox?.smtputf8 === true,
    ...(walks ? { route: (await import('./verify-route.js')).mxRoute(options, run.trust) } : {}),
    run,
    failedHosts: new Map(),
    hostLocks: new Map(),
  };
  const verdicts = new Map<Parsed, AddressVerdict>();
  const emit = (p: Parsed, v: AddressVerdict): void => {
    const verdict = p.line === undefined ? v : { ...v, line: p.line };
    verdicts.set(p, verdict);
    options.onVerdict?.(verdict);
  };
  for (const p of parsed) if (p.error !== undefined) emit(p, invalidVerdict(p));
  const byDomain = new Map<string, Parsed[]>();
  for (const p of parsed.filter((x) => x.box)) {
    byDomain.set(p.box!.domain, [...(byDomain.get(p.box!.domain) ?? []), p]);
  }
  const reports = new Map<string, DomainReport>();
  let done = 0;
  const total = parsed.length;
  try {
    await pool([...byDomain], DOMAINS_AT_ONCE, async ([domain, group]) => {
      const boxes = group.map((p) => p.box!);
      const found = new Map<Mailbox, AddressVerdict>();
      // The domain's budget: --timeout, plus the greylist wait it is told to sit out.
      const deadline = run.deadline.child(run.timeouts.targetMs + (options.retryAfterMs ?? 0));
      try {
        reports.set(domain, await verifyDomain(domain, boxes, ctx, deadline, found));
      } finally {
        deadline.dispose();
      }
      for (const p of group) emit(p, found.get(p.box!)!);
      done += group.length;
      options.onProgress?.(done + parsed.filter((x) => x.error).length, total);
    });
  } finally {
    await ctx.route?.close();
  }
  const addresses = parsed.map((p) => verdicts.get(p)!);
  const counts: Record<string, number> = {};
  for (const a of addresses) counts[a.verdict] = (counts[a.verdict] ?? 0) + 1;
  const domains = [...byDomain.keys()].map((d) => reports.get(d)!);
  // The run has no budget of its own (each domain has), so only Ctrl-C can have fired it.
  const error = run.deadline.signal.aborted ? run.deadline.cancelled('rcpt') : undefined;
  return finishRun(run, { from, addresses, domains, counts }, error);
}

function parseInput(input: VerifyInput): Parsed {
  const { text, line } = typeof input === 'string' ? { text: input, line: undefined } : input;
  try {
    return { input: text, ...(line === undefined ? {} : { line }), box: parseMailbox(text) };
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return { input: text, ...(line === undefined ? {} : { line }), error: err.message };
  }
}

function invalidVerdict(p: Parsed): AddressVerdict {
  return {
    input: p.input,
    address: null,
    domain: null,
    verdict: 'invalid',
    reason: 'invalid-address',
    confidence: 'high',
    evidence: [],
    note: `line ${p.line}: ${p.error}; nothing was sent for it`,
  };
}

/** isLiteral: an address-literal domain ("[192.0.2.1]", "[IPv6:2001:db8::1]"). */
function isLiteral(domain: string): boolean {
  return domain.startsWith('[');
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
    return err.code === 'TARGET_TIMEOUT'
      ? all('unknown', 'timed-out', err.message)
      : all('not-asked', 'interrupted', err.message);
  };
  if (deadline.signal.aborted) return stopped();
  let candidates: Candidate[];
  try {
    const found = await candidatesFor(domain, ctx, deadline, report);
    if ('final' in found) return all(found.final.verdict, found.final.reason, found.final.note);
    candidates = found.candidates;
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    if (deadline.signal.aborted) return stopped();
    return all('unknown', 'dns-failure', err.message);
  }
  let lastError = 'no MX host has an address';
  for (const candidate of candidates) {
    if (deadline.signal.aborted) return stopped();
    const endpoint = formatEndpoint(candidate.address, candidate.port);
    let earlier = false;
    try {
      await oneAtATime(ctx, endpoint, () => {
        // Checked once it is this domain's turn: the domain before may just have found it dead.
        const failed = ctx.failedHosts.get(endpoint);
        earlier = failed !== undefined;
        if (failed) throw failed;
        return verifyAt(candidate, domain, boxes, ctx, deadline, report, verdicts);
      });
      return report;
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      if (err.code !== 'ABORTED' && err.code !== 'TARGET_TIMEOUT')
        ctx.failedHosts.set(endpoint, err);
      lastError = `${candidate.host} (${candidate.address}): ${err.code}`;
      report.notes.push(
        `skipped ${lastError}${earlier ? ', as earlier in this run (not dialled again)' : ''}`,
      );
    }
  }
  if (deadline.signal.aborted) return stopped();
  return all('unknown', 'no-usable-host', `no MX host could be used: ${lastError}`);
}

/**
 * candidatesFor: the hosts to ask, in order: --server as given; an address
 * literal's own address (RFC 5321 §4.1.3: no MX lookup); else the MX walk in
 * the order a sender tries it. Null MX and NXDOMAIN are final answers.
 */
async function candidatesFor(
  domain: string,
  ctx: VerifyCtx,
  deadline: Deadline,
  report: DomainReport,
): Promise<Found> {
  const { options } = ctx;
  const port = options.port ?? SMTP_PORT;
  if (options.servers?.length) return { candidates: await serverCandidates(ctx, deadline, report) };
  if (isLiteral(domain)) {
    const address = domain.replace(/^\[(IPv6:)?/i, '').replace(/\]$/, '');
    return { candidates: [{ host: domain, address, port }] };
  }
  return ctx.route!.find(domain, port, deadline);
}

/** serverCandidates: --server HOST[:PORT], each host's addresses in order. */
async function serverCandidates(
  ctx: VerifyCtx,
  deadline: Deadline,
  report: DomainReport,
): Promise<Candidate[]> {
  const resolve = ctx.run.wiring.resolveAddresses ?? systemAddressResolver;
  const out: Candidate[] = [];
  for (const server of ctx.options.servers ?? []) {
    if (ipFamily(server.host) !== 0) {
      out.push({ host: server.host, address: server.host, port: server.port });
      continue;
    }
    try {
      const addresses = await deadline.phase(
        'resolve',
        ctx.run.timeouts.resolveMs,
        () =>
          invalidInput(`resolving ${server.host} took longer than ${ctx.run.timeouts.resolveMs}ms`),
        (signal) => resolve(server.host, signal),
        server.host,
      );
      for (const address of addresses) out.push({ host: server.host, address, port: server.port });
    } catch (err) {
      if (!(err instanceof ProbeError) || deadline.signal.aborted) throw err;
      report.notes.push(`--server ${server.host}: ${err.message}`);
    }
  }
  return out;
}

/** oneAtATime: the work at one host address waits for other domains' work there (one session per host at a time). */
async function oneAtATime<T>(ctx: VerifyCtx, endpoint: string, work: () => Promise<T>): Promise<T> {
  const before = ctx.hostLocks.get(endpoint) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const chained = before.then(() => mine);
  ctx.hostLocks.set(endpoint, chained);
  await before;
  try {
    return await work();
  } finally {
    release();
    if (ctx.hostLocks.get(endpoint) === chained) ctx.hostLocks.delete(endpoint);
  }
}

/** verifyAt: every address of the domain at one candidate host; throws when the host cannot be used at all. */
async function verifyAt(
  candidate: Candidate,
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
    address: candidate.address,
    mx: `${options.servers?.length ? 'server' : 'first usable MX'}: ${candidate.host} (${candidate.address})`,
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
  candidate: Candidate,
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
  outcome.transcripts.push(...again.transcripts);
}

function hostOptions(candidate: Candidate, ctx: VerifyCtx, deadline: Deadline): HostOptions {
  const { options, run } = ctx;
  return {
    host: candidate.host,
    address: candidate.address,
    port: candidate.port,
    from: ctx.from,
    fromUtf8: ctx.fromUtf8,
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
    ...(options.onTranscript ? { onTranscript: options.onTranscript } : {}),
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
  if (o.transcripts.length > 0) {
    report.transcripts = [
      ...(report.transcripts ?? []),
      ...o.transcripts.map((t) => ({
        ...t,
        entries: t.entries.map((e) => ({ ...e, atMs: Math.round(e.atMs * 10) / 10 })),
      })),
    ];
  }
}
