/**
 * Resolver: a stub resolver that shows what it saw. It asks the given
 * servers directly and keeps every exchange (server, transport, flags, rcode,
 * records with TTLs, round trip, outcome) — the trace node:dns hides. A
 * lookup never throws for DNS or network trouble: that becomes the Lookup's
 * status, so one bad name cannot sink a walk. It throws INVALID_INPUT for a
 * name DNS cannot carry (before anything is sent), and ABORTED or
 * TARGET_TIMEOUT when its signal fires. No cache: every lookup asks, but
 * identical lookups running at the same time share one.
 */
import { invalidInput } from '../errors.js';
import { roundMs } from '../time/duration.js';
import type { DnsExchange, Lookup } from '../schema/dns.js';
import { type Clock, systemClock } from '../time/clock.js';
import { cancelledError } from '../time/deadline.js';
import { QUERY_TYPES, type QueryType } from '../vocabulary.js';
import { followChain } from './chain.js';
import { normalizeDomain, serverLabel, type ServerAddress } from './name.js';
import { TransportError, UDP_TCP_TRANSPORT, type DnsTransport } from './transport.js';
import { decodeResponse, encodeQuery, type Response } from './wire.js';

/**
 * DNS_TIMEOUT_MS: one try. RFC 1536 §1 warns against short retransmission
 * timers; 2 s covers a distant server that must recurse, and the retries
 * rotate, so one dead server costs one timeout.
 */
export const DNS_TIMEOUT_MS = 2_000;
/** DNS_RETRIES: tries after the first, rotating through the servers (glibc's default is 2 as well). */
export const DNS_RETRIES = 2;
/** MAX_CNAME_HOPS: CNAMEs followed per lookup. RFC 1034 §3.6.2 asks resolvers to bound chains; 8 is what stub resolvers allow. */
export const MAX_CNAME_HOPS = 8;

/** ResolverOptions: where to ask, how patiently, and who wants each exchange as it happens. */
export interface ResolverOptions {
  /** servers: tried in order, the next one on each retry. */
  servers: ServerAddress[];
  /** timeoutMs: per try (DNS_TIMEOUT_MS). */
  timeoutMs?: number;
  /** retries: tries after the first (DNS_RETRIES). */
  retries?: number;
  /** transport: UDP with TCP after truncation by default. */
  transport?: DnsTransport;
  /** signal: cancels every lookup; they reject with ABORTED (or TARGET_TIMEOUT for an AbortSignal.timeout). */
  signal?: AbortSignal;
  /** clock: what timeouts and round trips are measured on (default: the system's). */
  clock?: Clock;
  /** onExchange: each exchange as it is recorded (for a live transcript). */
  onExchange?: (e: DnsExchange) => void;
}

type Failure = Exclude<Lookup['status'], 'ok' | 'nodata' | 'nxdomain'>;
/** Asked: a question's final answer (NOERROR or NXDOMAIN), or why there is none. */
type Asked = { response: Response } | { failure: Failure; error: string };
/** Tried: one exchange's result: a decoded response, or a transport-level failure. */
type Tried =
  | { response: Response }
  | { failed: 'timeout' | 'network-error' | 'malformed'; error: string };

/** Resolver: see the module comment. */
export class Resolver {
  /** exchanges: every query sent and what came back, in the order they finished. */
  readonly exchanges: DnsExchange[] = [];
  private readonly inFlight = new Map<string, Promise<Lookup>>();
  private readonly transport: DnsTransport;
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly clock: Clock;

  constructor(private readonly opts: ResolverOptions) {
    if (opts.servers.length === 0)
      throw invalidInput('no DNS server to ask; pass --resolver IP[:port]');
    this.transport = opts.transport ?? UDP_TCP_TRANSPORT;
    this.timeoutMs = opts.timeoutMs ?? DNS_TIMEOUT_MS;
    this.clock = opts.clock ?? systemClock;
    this.tries = Math.max(0, Math.floor(opts.retries ?? DNS_RETRIES)) + 1;
  }

  /**
   * lookup: the records of `type` for `name`, CNAMEs followed (RFC 1034
   * §3.6.2). Resolves with a Lookup for every DNS or network outcome;
   * rejects with INVALID_INPUT for a bad name or type (nothing sent) and with
   * ABORTED / TARGET_TIMEOUT when the signal fires.
   */
  lookup(name: string, type: QueryType): Promise<Lookup> {
    let ascii: string;
    try {
      if (!(QUERY_TYPES as readonly string[]).includes(type))
        throw invalidInput(`query type "${String(type)}" is not one of ${QUERY_TYPES.join(', ')}`);
      ascii = normalizeDomain(name).ascii;
    } catch (err) {
      return Promise.reject(err);
    }
    const key = `${ascii}|${type}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.resolve(ascii, type).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** resolve: one question and, when the answer stops at an alias, its target, until records, a negative answer or a failure. */
  private async resolve(name: string, type: QueryType): Promise<Lookup> {
    const chain: string[] = [];
    const seen = new Set([name]);
    // AD=1 on every answer of the chain: one unvalidated link leaves the whole lookup unvalidated.
    let authentic = true;
    const result = (
      status: Lookup['status'],
      error?: string,
      records: Lookup['records'] = [],
    ): Lookup => ({
      name,
      type,
      status,
      cnameChain: chain,
      records,
      ...(authentic && error === undefined ? { authenticated: true } : {}),
      ...(error === undefined ? {} : { error }),
    });
    let current = name;
    for (;;) {
      const asked = await this.ask(current, type);
      if ('failure' in asked) return result(asked.failure, asked.error);
      authentic &&= asked.response.flags.ad;
      const step = followChain(asked.response.answers, current, type, MAX_CNAME_HOPS);
      for (const target of step.targets) {
        if (chain.length === 0) chain.push(current);
        chain.push(target);
        if (seen.has(target)) return result('error', `CNAME loop: ${chain.join(' → ')}`);
        if (chain.length - 1 > MAX_CNAME_HOPS)
          return result(
            'error',
            `more than ${MAX_CNAME_HOPS} CNAMEs from ${name} (RFC 1034 §3.6.2 bounds chains)`,
          );
        seen.add(target);
      }
      // RFC 6604 §3: with CNAMEs in the answer, NXDOMAIN speaks of the last name in the chain.
      if (asked.response.rcode === 'NXDOMAIN') return result('nxdomain');
      if (step.records.length > 0) return result('ok', undefined, step.records);
      // The answer ended at an alias without its target's records (an authoritative server
      // outside the target's zone stops there): ask for the target itself.
      if (step.targets.length > 0) {
        current = step.targets.at(-1)!;
        continue;
      }
      // RFC 2308 §2.2: NOERROR with nothing of the type is NODATA: the name exists.
      return result('nodata');
    }
  }

  /**
   * ask: one question until a server gives a final answer (NOERROR or
   * NXDOMAIN), trying the servers in rotation. A timeout, network error or
   * malformed answer costs a try; SERVFAIL, REFUSED and other error rcodes
   * speak for that server only (RFC 1035 §7.2), so it is not asked again and
   * the next one is.
   */
  private async ask(name: string, type: QueryType): Promise<Asked> {
    const servers = this.opts.servers;
    const declined = new Map<string, string>(); // server → the rcode it answered
    const failures: { failed: string; error: string }[] = [];
    const distinct = new Set(servers.map(serverLabel)).size;
    for (let i = 0, attempt = 0; attempt < this.tries && declined.size < distinct; i++) {
      const server = servers[i % servers.length]!;
      const endpoint = serverLabel(server);
      if (declined.has(endpoint)) continue;
      attempt++;
      const tried = await this.attempt(name, type, server, attempt);
      if ('failed' in tried) {
        failures.push(tried);
        continue;
      }
      const rcode = tried.response.rcode;
      if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') return tried;
      declined.set(endpoint, rcode);
    }
    if (declined.size > 0) {
      // An rcode is what a server actually said; it beats the silence of others.
      const [endpoint, rcode] = [...declined].at(-1)!;
      const failure: Failure =
        rcode === 'SERVFAIL' ? 'servfail' : rcode === 'REFUSED' ? 'refused' : 'error';
      return {
        failure,
        error: `${endpoint} answered ${rcode}${failures.length ? `; ${failures.map((f) => f.error).join('; ')}` : ''}`,
      };
    }
    const allTimeouts = failures.every((f) => f.failed === 'timeout');
    return {
      failure: allTimeouts ? 'timeout' : 'error',
      error: `no answer in ${failures.length} ${failures.length === 1 ? 'try' : 'tries'}: ${failures.map((f) => f.error).join('; ')}`,
    };
  }

  /** attempt: one try at one server: UDP, and TCP to the same server when the answer comes back truncated (RFC 7766 §5). */
  private async attempt(
    name: string,
    type: QueryType,
    server: ServerAddress,
    attempt: number,
  ): Promise<Tried> {
    const first = await this.exchange(name, type, server, attempt, false);
    if ('response' in first && first.response.flags.tc)
      return this.exchange(name, type, server, attempt, true);
    return first;
  }

  /** exchange: one query, one answer (or failure), recorded in the trace. A fresh id per query (RFC 5452 §9.2). */
  private async exchange(
    name: string,
    type: QueryType,
    server: ServerAddress,
    attempt: number,
    tcp: boolean,
  ): Promise<Tried> {
    const query = encodeQuery(name, type);
    const base = {
      server: serverLabel(server),
      transport: this.transport.protocol(tcp, server),
      question: { name, type },
      attempt,
    };
    const t0 = this.clock.now();
    let bytes: Buffer;
    try {
      bytes = await this.transport.exchange(query.bytes, server, {
        timeoutMs: this.timeoutMs,
        clock: this.clock,
        signal: this.opts.signal,
        tcp,
      });
    } catch (err) {
      if (this.opts.signal?.aborted)
        throw cancelledError(this.opts.signal.reason, 'resolve', `${name} ${type}`);
      const failed =
        err instanceof TransportError && err.kind !== 'aborted' ? err.kind : 'network-error';
      const error = err instanceof Error ? err.message : String(err);
      this.record({
        ...base,
        outcome: failed,
        answers: [],
        authority: [],
        rttMs: this.clock.now() - t0,
        error,
      });
      return { failed, error };
    }
    const rttMs = this.clock.now() - t0;
    let response: Response;
    try {
      response = decodeResponse(bytes);
    } catch (err) {
      const error = `${base.server} (${base.transport}): ${(err as Error).message}`;
      this.record({ ...base, outcome: 'malformed', answers: [], authority: [], rttMs, error });
      return { failed: 'malformed', error };
    }
    // Over TCP there is nothing bigger to retry with, so a TC bit there is just reported in the flags.
    const outcome = response.flags.tc && !tcp ? 'truncated' : 'answer';
    this.record({
      ...base,
      outcome,
      rcode: response.rcode,
      flags: response.flags,
      answers: response.answers,
      authority: response.authority,
      rttMs,
    });
    return { response };
  }

  private record(e: DnsExchange): void {
    const exchange = { ...e, rttMs: roundMs(e.rttMs) };
    this.exchanges.push(exchange);
    this.opts.onExchange?.(exchange);
  }
}
