/**
 * runAudit: many sites at once, a window of WINDOW_SITES targets at a time. First the window's
 * DNS: every domain's MX set walked as `mx` walks it (RFC 5321 §5.1), every host target
 * resolved, every address registered once by key however many sites lead to it (hosting
 * providers serve thousands of domains from a few hosts). Then every new address probed once,
 * `concurrency` at a time, new connections paced by `rate`, at most one session per address at a
 * time; an address an earlier window probed is not asked again while its record is remembered
 * (Records). Each address is reported the moment its probe ends, each site the moment its last
 * address is done: memory follows the window and what is in flight, not the size of the run.
 *
 * Cancelled (Ctrl-C): no new probe starts, the ones in flight end at once and are not reported,
 * so a resumed run (`done`) asks them again and nothing is lost or reported twice.
 */
import { ProbeError } from '../errors.js';
import { errorInfo } from '../error-info.js';
import { normalizeDomain } from '../dns/name.js';
import type { Resolver } from '../dns/resolver.js';
import { type DnsTransport, pooledUdpTransport } from '../dns/transport.js';
import { ipFamily } from '../ip.js';
import { type PreparedPolicy, sitePolicy } from '../mx/audit-policy.js';
import { siteExposure, siteFindings, worstFirst, worstOf } from '../mx/consistency.js';
import { type ChainDigest, digestChain } from '../net/dane-chain.js';
import { formatEndpoint, parseTarget, SMTP_PORT } from '../net/target.js';
import type { AuditAddress, AuditFinding, AuditSite, AuditSummary } from '../schema/audit.js';
import type { Lint, MxResult } from '../schema/mx.js';
import { checkHeloName } from '../session/helo-name.js';
import type { TranscriptEntry } from '../session/transcript.js';
import { RELAY_TEST_ADDRESS, relayTrials } from '../smtp/relay.js';
import { Pacer } from '../time/pacer.js';
import { AUDIT_CHECKS, type AuditCheck, IMPLIED_CHECKS } from '../vocabulary.js';
import { type AddressJob, type AuditProbeOptions, probeAuditAddress } from './audit-address.js';
import { DEFAULT_EXPN_LISTS } from './audit-lookups.js';
import { askSitePolicy } from './audit-policy.js';
import { Records } from './audit-records.js';
import { inShard, type Shard } from './audit-shard.js';
import { SummaryBuilder } from './audit-summary.js';
import { pool } from './pool.js';
import { newWalk, resolveWalk, walkResolver, walkServers } from './mx.js';
import { routedTransport } from '../dns/route.js';
import { finishRun, type ProbeOutcome, type RunOptions, startRun } from './outcome.js';

/** AUDIT_CONCURRENCY: sessions in flight by default. */
export const AUDIT_CONCURRENCY = 64;
/** WINDOW_SITES: targets resolved and probed together: memory follows this, not the size of the run. */
export const WINDOW_SITES = 1000;
export { RECORDS_REMEMBERED } from './audit-records.js';
/** DNS_PARALLEL: domains resolved at once (queries are cheap; the SMTP side is what needs care). */
export const DNS_PARALLEL = 128;

/** AuditTarget: one target as given: its text and, from --file, its line. */
export interface AuditTarget {
  text: string;
  line?: number;
}

/** AuditProgress: how far the probing is. */
export interface AuditProgress {
  done: number;
  total: number;
  failures: number;
}

/** AuditOptions: what `audit` can be told. */
export interface AuditOptions extends RunOptions {
  checks?: readonly AuditCheck[];
  expnLists?: readonly string[];
  /** SMTP port of MX hosts and of targets given without one (it names the TLSA owner too). */
  port?: number;
  /** The HTTPS port of mta-sts.<domain> for the mta-sts check (443; a lab's or a test's server elsewhere). */
  mtaStsPort?: number;
  concurrency?: number;
  /** New connections a second, overall; 0: no limit. */
  rate?: number;
  helo?: string;
  relayFrom?: string;
  relayTo?: string;
  shard?: Shard;
  resolvers?: string[];
  dnsTimeoutMs?: number;
  dnsTransport?: DnsTransport;
  /** Targets per window (default WINDOW_SITES). */
  window?: number;
  /** What an earlier run of the same audit already holds (--resume): counted, not asked again. */
  done?: { sites: ReadonlyMap<string, AuditSite>; addresses: ReadonlyMap<string, AuditAddress> };
  onAddress?: (a: AuditAddress) => void;
  onSite?: (s: AuditSite) => void;
  onProgress?: (p: AuditProgress) => void;
  /** With --transcript: every line, labelled with its address. */
  onTranscript?: (entry: TranscriptEntry, label?: string) => void;
}

/** Parsed: a target read, before DNS. */
type Parsed =
  | { target: string; kind: 'domain'; line?: number }
  | { target: string; kind: 'host'; host: string; port: number; family: 0 | 4 | 6; line?: number }
  | { target: string; kind: 'invalid'; error: string; line?: number };

interface SiteState {
  site: AuditSite;
  pending: Set<string>;
  /** The mta-sts and dane checks as far as the window's DNS decided them (null: nothing to judge). */
  asked: PreparedPolicy | null;
}

/** Window: the sites of one window and their addresses by key. */
interface Window {
  sites: Map<string, SiteState>;
  addresses: Map<string, AddressState>;
}

interface AddressState {
  job: AddressJob;
  /** Sites still waiting for this address. */
  waiting: Set<string>;
  record?: AuditAddress;
  /** The chain its STARTTLS presented, digested for DANE; dropped with the record. */
  chain?: ChainDigest;
}

/**
 * runAudit: see the module comment. A bad target given on the command line is INVALID_INPUT
 * before anything is sent; a bad line of --file becomes a site with status `invalid`.
 */
export async function runAudit(
  targets: readonly AuditTarget[],
  options: AuditOptions = {},
): Promise<ProbeOutcome<AuditSummary>> {
  const port = options.port ?? SMTP_PORT;
  const checks = withImplied(options.checks ?? AUDIT_CHECKS);
  if (options.helo !== undefined) checkHeloName(options.helo);
  // The relay addresses are checked now, before any query goes out.
  if (checks.has('relay')) {
    relayTrials({
      site: 'example.net',
      ip: '192.0.2.1',
      from: relayFrom(options),
      to: relayTo(options),
    });
  }
  const parsed = dedupe(targets.map((t) => parseAuditTarget(t, port))).filter(
    (p) => !options.shard || inShard(p.target, options.shard),
  );
  const servers = walkServers(options.resolvers);
  const run = startRun(options, false);
  const summary = new SummaryBuilder(AUDIT_CHECKS.filter((c) => checks.has(c)));
  const done = options.done;
  for (const a of done?.addresses.values() ?? []) summary.address(a);
  for (const s of done?.sites.values() ?? []) summary.site(s);
  const finishSite = (state: SiteState, { sites, addresses }: Window): void => {
    const s = state.site;
    const get = (k: string) => addresses.get(k)?.record;
    const policy = state.asked
      ? sitePolicy(s, state.asked, { get, chainOf: (k) => addresses.get(k)?.chain })
      : null;
    s.policy = policy?.policy ?? null;
    // The DNS lint joins the rest, worst first, so the first finding is the one to read.
    s.findings = worstFirst([
      ...s.findings,
      ...siteFindings(s, get, checks.has('mx-consistency')),
      ...(policy?.findings ?? []),
    ]);
    s.worst = worstOf(s.findings);
    s.exposure = siteExposure(s, (k) => addresses.get(k)?.record);
    if (s.status === 'ok' && s.hosts.length > 0 && !reachedAny(s, addresses)) {
      s.status = 'unreachable';
    }
    summary.site(s);
    options.onSite?.(s);
    sites.delete(s.target);
    for (const key of s.hosts.flatMap((h) => h.addresses)) {
      const a = addresses.get(key);
      a?.waiting.delete(s.target);
      if (a && a.waiting.size === 0) {
        delete a.record;
        delete a.chain;
      }
    }
  };
  const probe = {
    checks,
    expnLists: options.expnLists ?? DEFAULT_EXPN_LISTS,
    relayFrom: relayFrom(options),
    relayTo: relayTo(options),
    ...(options.helo === undefined ? {} : { helo: options.helo }),
    trust: run.trust,
    timeouts: run.timeouts,
    deadline: run.deadline,
    ...(run.wiring.connector ? { connector: run.wiring.connector } : {}),
    ...(options.onTranscript ? { onTranscript: options.onTranscript } : {}),
  };
  const memory = new Records(done?.addresses);
  // Thousands of queries: a few long-lived sockets, not one per query.
  const sockets = options.dnsTransport ? undefined : pooledUdpTransport();
  const routed = routedTransport(options.dnsTransport ?? sockets!, run.trust);
  const dns = { ...options, dnsTransport: routed };
  const progress: AuditProgress = { done: 0, total: 0, failures: 0 };
  const pacer = new Pacer(options.rate ?? 0);
  const ask = {
    port,
    ...(options.mtaStsPort === undefined ? {} : { mtaStsPort: options.mtaStsPort }),
    trust: run.trust,
    deadline: run.deadline,
  };
  let error: ProbeError | undefined;
  /** resolveWindow: a window's DNS: its sites, and their addresses by key (none asked yet). */
  const resolveWindow = async (slice: readonly Parsed[]): Promise<Window> => {
    const win: Window = { sites: new Map(), addresses: new Map() };
    await pool(slice, DNS_PARALLEL, async (p) => {
      if (done?.sites.has(p.target) || run.deadline.signal.aborted) return;
      // A resolver per site: its trace of every query goes with it, not into one that grows with the run.
      const site = await resolveSite(p, walkResolver(servers, dns, run.deadline), port, (w, r) =>
        askSitePolicy(w, r, checks, ask),
      );
      const state: SiteState = { site: site.site, pending: new Set(), asked: site.asked };
      win.sites.set(p.target, state);
      for (const { host, job } of site.legs) {
        const a = win.addresses.get(job.key) ?? { job, waiting: new Set<string>() };
        win.addresses.set(job.key, a);
        if (!a.job.names.includes(host)) a.job.names.push(host);
        if (p.kind === 'domain' && !a.job.domains.includes(p.target)) a.job.domains.push(p.target);
        a.waiting.add(p.target);
        state.pending.add(job.key);
      }
    });
    return win;
  };
  try {
    const size = Math.max(1, options.window ?? WINDOW_SITES);
    const windowAt = (w: number): Promise<Window> | undefined => {
      if (w >= parsed.length) return undefined;
      const p = resolveWindow(parsed.slice(w, w + size));
      // Awaited later; a failure meanwhile is not an unhandled rejection.
      p.catch(() => undefined);
      return p;
    };
    let next = windowAt(0);
    const slots = new Slots(options.concurrency ?? AUDIT_CONCURRENCY);
    const open: Promise<unknown>[] = [];
    for (let w = 0; next && !run.deadline.signal.aborted; w += size) {
      const win = await next;
      // The next window's DNS runs while this one is probed.
      next = windowAt(w + size);
      // Addresses an earlier window (or a resumed run) already knows are not asked again.
      for (const a of win.addresses.values()) {
        const kept = memory.recall(a.job.key);
        if (!kept) continue;
        a.record = kept.record;
        if (kept.chain) a.chain = kept.chain;
        for (const target of a.waiting) win.sites.get(target)?.pending.delete(a.job.key);
      }
      // Chosen before the sites already final let go of their addresses' records.
      const todo = [...win.addresses.values()].filter((a) => !a.record);
      for (const s of win.sites.values()) if (s.pending.size === 0) finishSite(s, win);
      progress.total += todo.length;
      options.onProgress?.({ ...progress });
      const probeOne = async (a: AddressState): Promise<void> => {
        await pacer.slot(run.deadline);
        const { record, chain } = await probeKeepingChain(a.job, probe, checks.has('dane'));
        // Asked again only when it was forgotten: counted and reported once.
        if (memory.first(record, chain)) {
          summary.address(record);
          options.onAddress?.(record);
        }
        a.record = record;
        if (chain) a.chain = chain;
        progress.done++;
        if (record.status !== 'ok') progress.failures++;
        options.onProgress?.({ ...progress });
        for (const target of [...a.waiting]) {
          const s = win.sites.get(target);
          if (!s) continue;
          s.pending.delete(a.job.key);
          if (s.pending.size === 0) finishSite(s, win);
        }
      };
      const tasks: Promise<void>[] = [];
      for (const a of todo) {
        await slots.acquire();
        if (run.deadline.signal.aborted) {
          slots.release();
          break;
        }
        tasks.push(probeOne(a).finally(() => slots.release()));
      }
      // Once this window's last probe has started, the next window's begin beside its stragglers
      // (a mute host holds its slot for a whole greeting timeout); at most two windows are open.
      const all = Promise.all(tasks);
      all.catch(() => undefined);
      open.push(all);
      if (open.length > 1) await open.shift();
    }
    await Promise.all(open);
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    error = err;
  } finally {
    sockets?.close();
    await routed.close();
  }
  if (!error && run.deadline.signal.aborted) error = run.deadline.cancelled('connect');
  return finishRun(run, summary.summary(), error);
}

/**
 * probeKeepingChain: probe one address; with `dane`, also the digest of the first chain it
 * presented, made at once so the DER is not kept past the handshake.
 */
async function probeKeepingChain(
  job: AddressJob,
  probe: AuditProbeOptions,
  dane: boolean,
): Promise<{ record: AuditAddress; chain?: ChainDigest }> {
  let chain: ChainDigest | undefined;
  const onPeerChain = (der: Buffer[]): void => {
    chain ??= digestChain(der);
  };
  const record = await probeAuditAddress(job, dane ? { ...probe, onPeerChain } : probe);
  return chain ? { record, chain } : { record };
}

/** withImplied: the checks asked and those they need the evidence of (IMPLIED_CHECKS). */
function withImplied(asked: readonly AuditCheck[]): Set<AuditCheck> {
  return new Set(asked.flatMap((c) => [c, ...(IMPLIED_CHECKS[c] ?? [])]));
}

const relayFrom = (o: AuditOptions): string => o.relayFrom ?? RELAY_TEST_ADDRESS;
const relayTo = (o: AuditOptions): string => o.relayTo ?? RELAY_TEST_ADDRESS;

/** parseAuditTarget: a domain (a bare name), or a host (an IP, or anything with a port). */
export function parseAuditTarget(t: AuditTarget, port: number): Parsed {
  const line = t.line === undefined ? {} : { line: t.line };
  try {
    const text = t.text.trim();
    const bracketed = text.startsWith('[');
    const withPort = bracketed ? /\]:\d+$/.test(text) : /:\d+$/.test(text) && !ipFamily(text);
    if (bracketed || withPort || ipFamily(text)) {
      const target = parseTarget(text, port);
      const shown = formatEndpoint(target.host, target.port);
      return {
        target: shown,
        kind: 'host',
        host: target.host,
        port: target.port,
        family: target.family,
        ...line,
      };
    }
    return { target: normalizeDomain(text).ascii, kind: 'domain', ...line };
  } catch (err) {
    if (!(err instanceof ProbeError) || err.code !== 'INVALID_INPUT' || t.line === undefined) {
      throw err;
    }
    return {
      target: `line ${t.line}`,
      kind: 'invalid',
      error: `line ${t.line}: ${err.message}`,
      ...line,
    };
  }
}

function dedupe(list: Parsed[]): Parsed[] {
  const seen = new Set<string>();
  return list.filter((p) => !seen.has(p.target) && seen.add(p.target));
}

/** Leg: one address of one host of a site. */
interface Leg {
  host: string;
  job: AddressJob;
}

/** Resolved: a site after its DNS: its record so far, its legs, and its policy questions answered. */
interface Resolved {
  site: AuditSite;
  legs: Leg[];
  asked: PreparedPolicy | null;
}

/**
 * resolveSite: the site's hosts and addresses from DNS, or its DNS verdict; for a domain with
 * hosts, what `askPolicy` learns with the same resolver.
 */
async function resolveSite(
  p: Parsed,
  resolver: Resolver,
  port: number,
  askPolicy: (walk: MxResult, resolver: Resolver) => Promise<PreparedPolicy | null>,
): Promise<Resolved> {
  const site: AuditSite = {
    target: p.target,
    kind: p.kind === 'domain' ? 'domain' : 'host',
    status: 'ok',
    source: p.kind === 'domain' ? 'none' : 'direct',
    hosts: [],
    error: null,
    exposure: { vrfy: null, expn: null, relay: null, starttls: null },
    findings: [],
    worst: null,
    policy: null,
  };
  if (p.kind === 'invalid') {
    site.status = 'invalid';
    site.error = p.error;
    return { site, legs: [], asked: null };
  }
  if (p.kind === 'host') {
    const names = p.family === 0 ? await hostAddresses(resolver, p.host) : [p.host];
    if (names.length === 0) {
      site.status = 'dns-error';
      site.error = `${p.host} has no A or AAAA records`;
    }
    const legs = names.map((address) => leg(p.family === 0 ? p.host : address, address, p.port));
    site.hosts = [{ name: p.host, preference: null, addresses: legs.map((l) => l.job.key) }];
    return { site, legs, asked: null };
  }
  const walk = newWalk(normalizeDomain(p.target), port, []);
  try {
    const go = await resolveWalk(resolver, walk);
    site.source = walk.source;
    site.findings = walk.lint.map(lintFinding);
    if (!go) {
      site.status = walk.verdict?.kind === 'no-mail' ? 'no-mail' : 'no-such-domain';
      site.error = walk.verdict?.text ?? null;
      return { site, legs: [], asked: null };
    }
  } catch (err) {
    if (!(err instanceof ProbeError) || err.code !== 'RESOLVE_FAILED') throw err;
    site.status = 'dns-error';
    site.error = errorInfo(err).message;
    return { site, legs: [], asked: null };
  }
  const legs: Leg[] = [];
  site.hosts = walk.hosts.map((h) => {
    const mine = h.addresses.map((a) => leg(h.name, a.address, port));
    legs.push(...mine);
    return { name: h.name, preference: h.preference, addresses: mine.map((l) => l.job.key) };
  });
  return { site, legs, asked: await askPolicy(walk, resolver) };
}

function leg(host: string, address: string, port: number): Leg {
  return {
    host,
    job: {
      key: formatEndpoint(address, port),
      address,
      port,
      family: ipFamily(address) === 6 ? 6 : 4,
      names: [host],
      domains: [],
    },
  };
}

async function hostAddresses(resolver: Resolver, host: string): Promise<string[]> {
  const [aaaa, a] = await Promise.all([resolver.lookup(host, 'AAAA'), resolver.lookup(host, 'A')]);
  return [...aaaa.records, ...a.records].flatMap((r) =>
    r.type === 'A' || r.type === 'AAAA' ? [r.address] : [],
  );
}

const LINT_SEVERITY = { error: 'medium', warning: 'low', info: 'info' } as const;

function lintFinding(l: Lint): AuditFinding & { address: null } {
  return {
    id: l.id,
    severity: LINT_SEVERITY[l.severity],
    message: `${l.subject}: ${l.message}`,
    ref: l.rfc,
    address: null,
  };
}

function reachedAny(s: AuditSite, addresses: Map<string, AddressState>): boolean {
  return s.hosts.some((h) =>
    h.addresses.some((k) => {
      const r = addresses.get(k)?.record;
      return r !== undefined && (r.status === 'ok' || r.caps !== null);
    }),
  );
}

/** Slots: at most `width` holders at once; the others wait their turn in order. */
class Slots {
  private free: number;
  private readonly queue: (() => void)[] = [];

  constructor(width: number) {
    this.free = Math.max(1, width);
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }
}
