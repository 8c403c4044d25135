/**
 * The verify probe: addresses grouped by domain; for each domain the host a
 * sender would use (the MX walk's first address that greets); then RCPT TO
 * for every address there (verify-host.ts), a catch-all test once per
 * domain, greylisted addresses retried after --retry-after. Every input
 * address gets exactly one verdict, with its evidence.
 */
import { hostname } from 'node:os';
import { ProbeError, invalidInput } from '../errors.js';
import { DEFAULT_TIMEOUTS, type Timeouts } from '../session/timeouts.js';
import { SMTP_PORT } from '../net/target.js';
import { checkHeloName } from '../session/helo-name.js';
import { loadTrustStore, type TrustStore } from '../net/tls.js';
import { Transcript } from '../session/transcript.js';
import { Resolver, normalizeDomain, parseResolverAddress, systemResolvers } from '../dns/index.js';
import { parseMailbox, type Mailbox } from '../smtp/address.js';
import type { MxResult } from '../schema/mx.js';
import type { AddressVerdict, DomainReport, VerifyResult } from '../schema/verify.js';
import { resolveWalk } from './mx.js';
import { probeVrfy } from './lookup.js';
import { formatEndpoint } from '../net/target.js';
import { senderOrder } from '../mx/verdict.js';
import {
  DEFAULT_MAX_ERRORS,
  verifyOnHost,
  type HostOptions,
  type HostOutcome,
} from './verify-host.js';
import type { ProbeOutcome } from './outcome.js';

/**
 * defaultFrom: postmaster at this machine's FQDN — a domain that resolves
 * (servers with reject_unknown_sender_domain refuse made-up ones) and a
 * mailbox every site must have (RFC 5321 §4.5.1); without a FQDN, the null
 * path <>, which some servers accept for one recipient only (see README).
 */
export function defaultFrom(): string {
  const name = hostname().toLowerCase();
  return /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(name) ? `postmaster@${name}` : '';
}

/** VerifyOptions: what `verify` can be told. */
export interface VerifyOptions {
  resolvers?: string[];
  port?: number;
  from?: string;
  helo?: string;
  starttls?: boolean;
  pipelining?: boolean;
  maxErrors?: number;
  catchAll?: boolean;
  /** Sessions per MX host at once (default 1). */
  connections?: number;
  /** Methods in order: ['rcpt'] (default), ['vrfy', 'rcpt'] (VRFY first where the server answers it), or ['vrfy']. */
  methods?: ('vrfy' | 'rcpt')[];
  /** Retry greylisted addresses once after this many ms. */
  retryAfterMs?: number;
  caFiles?: string[];
  timeouts?: Partial<Timeouts>;
  dnsTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

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
  const servers = options.resolvers?.length
    ? options.resolvers.map(parseResolverAddress)
    : systemResolvers();
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const trust = loadTrustStore(options.caFiles);
  const startedAt = new Date();
  const t0 = performance.now();
  const byDomain = new Map<string, Mailbox[]>();
  for (const p of parsed)
    byDomain.set(p.box.domain, [...(byDomain.get(p.box.domain) ?? []), p.box]);
  const verdicts = new Map<Mailbox, AddressVerdict>();
  const domains: DomainReport[] = [];
  let done = 0;
  for (const [domain, boxes] of byDomain) {
    const resolver = new Resolver({
      servers,
      signal: options.signal,
      ...(options.dnsTimeoutMs ? { timeoutMs: options.dnsTimeoutMs } : {}),
    });
    const report = await verifyDomain(
      domain,
      boxes,
      { ...options, from, timeouts, trust },
      resolver,
      verdicts,
    );
    domains.push(report);
    done += boxes.length;
    options.onProgress?.(done, inputs.length);
  }
  const addresses = parsed.map((p) => verdicts.get(p.box)!);
  const counts: Record<string, number> = {};
  for (const a of addresses) counts[a.verdict] = (counts[a.verdict] ?? 0) + 1;
  return {
    status: 'ok',
    result: { from, addresses, domains, counts },
    startedAt,
    durationMs: performance.now() - t0,
    transcript: new Transcript(),
  };
}

interface Ctx extends VerifyOptions {
  from: string;
  timeouts: Timeouts;
  trust: TrustStore;
}

async function verifyDomain(
  domain: string,
  boxes: Mailbox[],
  ctx: Ctx,
  resolver: Resolver,
  verdicts: Map<Mailbox, AddressVerdict>,
): Promise<DomainReport> {
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
    maxErrorsPerSession: ctx.maxErrors ?? DEFAULT_MAX_ERRORS,
    throttled: false,
    notes: [],
  };
  const all = (
    verdict: AddressVerdict['verdict'],
    reason: AddressVerdict['reason'],
    note: string,
  ): DomainReport => {
    for (const box of boxes)
      verdicts.set(box, {
        input: box.input,
        address: box.address,
        domain,
        verdict,
        reason,
        confidence: 'high',
        evidence: [],
        note,
      });
    report.mx = note;
    return report;
  };
  const walk: MxResult = {
    domain: normalizeDomain(domain),
    port: ctx.port ?? SMTP_PORT,
    resolvers: [],
    source: 'none',
    mxLookup: null,
    hosts: [],
    lint: [],
    verdict: null,
    dns: [],
  };
  try {
    if (!(await resolveWalk(resolver, walk))) {
      return walk.verdict?.kind === 'no-mail'
        ? all('no-mail', 'null-mx', walk.verdict.text)
        : all('undeliverable', 'no-such-domain', walk.verdict?.text ?? 'no such domain');
    }
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return all('unknown', 'dns-failure', err.message);
  }
  const order = senderOrder(walk);
  let lastError = 'no MX host has an address';
  for (const candidate of order) {
    try {
      const byVrfy = ctx.methods?.includes('vrfy')
        ? await askVrfy(boxes, candidate, ctx, report)
        : new Map<Mailbox, AddressVerdict>();
      const rest = boxes.filter((b) => !byVrfy.has(b));
      const useRcpt = ctx.methods === undefined || ctx.methods.includes('rcpt');
      const outcome =
        rest.length > 0 && useRcpt
          ? await verifyOnHost(rest, {
              ...hostOptions(candidate, ctx),
              ...(ctx.catchAll === false ? {} : { catchAllDomain: domain }),
            })
          : undefined;
      Object.assign(report, {
        host: candidate.host,
        address: candidate.address.address,
        mx: `first usable MX: ${candidate.host} (${candidate.address.address})`,
      });
      if (outcome) {
        await retryGreylisted(rest, outcome, candidate, ctx);
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
      return report;
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      lastError = `${candidate.host} (${candidate.address.address}): ${err.code}`;
      report.notes.push(`skipped ${lastError}`);
    }
  }
  return all('unknown', 'no-usable-host', `no MX host could be used: ${lastError}`);
}

async function retryGreylisted(
  boxes: Mailbox[],
  outcome: HostOutcome,
  candidate: ReturnType<typeof senderOrder>[number],
  ctx: Ctx,
): Promise<void> {
  const grey = boxes.filter((b) => {
    const m = outcome.results.get(b)?.meaning;
    return m?.kind === 'verdict' && m.reason === 'greylisted';
  });
  if (grey.length === 0 || ctx.retryAfterMs === undefined) return;
  outcome.notes.push(
    `${grey.length} greylisted: retrying after ${ctx.retryAfterMs} ms from the same address with the same sender`,
  );
  await new Promise((r) => setTimeout(r, ctx.retryAfterMs));
  const again = await verifyOnHost(grey, hostOptions(candidate, ctx));
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
}

/**
 * askVrfy: VRFY each address at the chosen host first (--method vrfy,rcpt).
 * Only a clear answer counts — 250/251 deliverable, 550 undeliverable; a 252,
 * a refusal or a policy answer leaves the address to RCPT.
 */
async function askVrfy(
  boxes: Mailbox[],
  candidate: ReturnType<typeof senderOrder>[number],
  ctx: Ctx,
  report: DomainReport,
): Promise<Map<Mailbox, AddressVerdict>> {
  const found = new Map<Mailbox, AddressVerdict>();
  const target = formatEndpoint(candidate.address.address, ctx.port ?? SMTP_PORT);
  const { status, result } = await probeVrfy(
    target,
    boxes.map((b) => b.address),
    {
      helo: ctx.helo,
      starttls: ctx.starttls !== false,
      caFiles: ctx.caFiles,
      control: false,
      timeouts: ctx.timeouts,
      signal: ctx.signal,
    },
  );
  if (status !== 'ok' || result === null) {
    report.notes.push(`VRFY first: ${status}; every address went to RCPT`);
    return found;
  }
  boxes.forEach((box, i) => {
    const item = result.items[i];
    if (!item?.reply || !item.command) return;
    const evidence = [
      {
        host: candidate.host,
        address: candidate.address.address,
        method: 'vrfy' as const,
        command: item.command,
        reply: item.reply,
        session: item.session ?? 1,
      },
    ];
    const base = { input: box.input, address: box.address, domain: box.domain, evidence };
    if (item.meaning === 'exists')
      found.set(box, { ...base, verdict: 'deliverable', reason: 'accepted', confidence: 'high' });
    else if (item.meaning === 'will-forward')
      found.set(box, {
        ...base,
        verdict: 'deliverable',
        reason: 'will-forward',
        confidence: 'high',
      });
    else if (item.meaning === 'no-such-user')
      found.set(box, {
        ...base,
        verdict: 'undeliverable',
        reason: 'bad-mailbox',
        confidence: 'high',
      });
  });
  report.notes.push(
    `VRFY first: ${found.size} of ${boxes.length} answered clearly; ${boxes.length - found.size} went to RCPT`,
  );
  return found;
}

function hostOptions(candidate: ReturnType<typeof senderOrder>[number], ctx: Ctx): HostOptions {
  return {
    host: candidate.host,
    address: candidate.address.address,
    port: ctx.port ?? SMTP_PORT,
    from: ctx.from,
    helo: ctx.helo,
    starttls: ctx.starttls !== false,
    pipelining: ctx.pipelining !== false,
    // A budget the user chose is kept; the default one is probed once and raised for servers that do not punish.
    maxErrors: ctx.maxErrors ?? DEFAULT_MAX_ERRORS,
    adaptive: ctx.maxErrors === undefined,
    connections: ctx.connections ?? 1,
    trust: ctx.trust,
    timeouts: ctx.timeouts,
    signal: ctx.signal,
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

function verdictOf(box: Mailbox, o: HostOutcome): AddressVerdict {
  const base = { input: box.input, address: box.address, domain: box.domain };
  const r = o.results.get(box);
  if (!r || r.meaning.kind === 'lost')
    return {
      ...base,
      verdict: 'unknown',
      reason: 'session-lost',
      confidence: 'low',
      evidence: r?.evidence ?? [],
      note: r?.meaning.kind === 'lost' ? r.meaning.why : undefined,
    };
  if (r.meaning.kind !== 'verdict')
    return {
      ...base,
      verdict: 'unknown',
      reason: 'temporary',
      confidence: 'low',
      evidence: r.evidence,
    };
  const { verdict, reason, confidence } = r.meaning;
  // A domain that accepts made-up names accepts everything: its "yes" means nothing (RFC 5321 §3.5.1 allows it).
  if (verdict === 'deliverable' && o.catchAll === 'yes')
    return {
      ...base,
      verdict: 'risky',
      reason: 'catch-all',
      confidence: 'low',
      evidence: r.evidence,
    };
  return { ...base, verdict, reason, confidence, evidence: r.evidence };
}
