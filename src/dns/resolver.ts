/**
 * Resolver: asks DNS servers directly and keeps every exchange — the trace a
 * person needs to see why a walk went where it went (node:dns hides CNAME
 * chains, TTLs and flags). Lookups never throw for DNS or network trouble:
 * that becomes the Lookup's status, so one bad name cannot sink a walk.
 */
import { formatEndpoint } from '../core/target.js';
import type { DnsExchange, DnsRecord, Lookup, QueryType } from '../schema/dns.js';
import { normalizeDomain, type ServerAddress } from './name.js';
import { TCP_TRANSPORT, TransportError, UDP_TRANSPORT, type DnsTransport } from './transport.js';
import { decodeResponse, encodeQuery, type Query, type Response } from './wire.js';

/** DNS_TIMEOUT_MS: one try; RFC 1536 §1 warns against short retransmission timers, 2 s covers far-away servers. */
export const DNS_TIMEOUT_MS = 2_000;
/** DNS_RETRIES: further tries after the first, rotating through the servers. */
export const DNS_RETRIES = 2;
/** MAX_CNAME_HOPS: RFC 1034 §5.3.2 asks resolvers to bound chains; 8 is what stub resolvers use. */
export const MAX_CNAME_HOPS = 8;

/** ResolverOptions: where to ask and how patiently. */
export interface ResolverOptions {
  servers: ServerAddress[];
  timeoutMs?: number;
  retries?: number;
  /** The first transport (UDP by default); truncated answers are retried over TCP. */
  transport?: DnsTransport;
  signal?: AbortSignal;
  onExchange?: (e: DnsExchange) => void;
}

type Asked = { response: Response } | { failure: Lookup['status']; error: string };

/** Resolver: see the module comment. */
export class Resolver {
  readonly exchanges: DnsExchange[] = [];
  private readonly inFlight = new Map<string, Promise<Lookup>>();

  constructor(private readonly opts: ResolverOptions) {
    if (opts.servers.length === 0) throw new Error('Resolver needs at least one server');
  }

  /** lookup: records of `type` for `name`, CNAMEs followed (RFC 1034 §3.6.2). Throws only INVALID_INPUT for a bad name. */
  lookup(name: string, type: QueryType): Promise<Lookup> {
    const ascii = normalizeDomain(name).ascii;
    const key = `${ascii}|${type}`;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.follow(ascii, type);
      this.inFlight.set(key, p);
      void p.finally(() => this.inFlight.delete(key));
    }
    return p;
  }

  private async follow(name: string, type: QueryType): Promise<Lookup> {
    const chain: string[] = [];
    const seen = new Set<string>();
    let current = name;
    for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
      const asked = await this.ask(current, type);
      if ('failure' in asked) return { name, type, status: asked.failure, cnameChain: chain, records: [], error: asked.error };
      const { response } = asked;
      if (response.rcode === 'NXDOMAIN') return { name, type, status: 'nxdomain', cnameChain: chain, records: [] };
      let owner = current;
      for (;;) {
        const records = response.answers.filter((r) => r.type === type && r.name.toLowerCase() === owner);
        if (records.length > 0) return { name, type, status: 'ok', cnameChain: chain, records };
        const cname = type === 'CNAME' ? undefined : response.answers.find((r): r is Extract<DnsRecord, { type: 'CNAME' }> => r.type === 'CNAME' && r.name.toLowerCase() === owner);
        if (!cname) break;
        if (seen.has(owner)) return { name, type, status: 'error', cnameChain: chain, records: [], error: `CNAME loop at ${owner}` };
        seen.add(owner);
        if (chain.length === 0) chain.push(owner);
        owner = cname.target.toLowerCase().replace(/\.$/, '');
        chain.push(owner);
      }
      if (owner === current) return { name, type, status: 'nodata', cnameChain: chain, records: [] };
      current = owner;
    }
    return { name, type, status: 'error', cnameChain: chain, records: [], error: `CNAME chain longer than ${MAX_CNAME_HOPS}` };
  }

  /** ask: one question, with retries over the servers and a TCP retry after truncation. */
  private async ask(name: string, type: QueryType): Promise<Asked> {
    const tries = (this.opts.retries ?? DNS_RETRIES) + 1;
    let last: Asked = { failure: 'timeout', error: 'no server answered' };
    for (let attempt = 1; attempt <= tries; attempt++) {
      if (this.opts.signal?.aborted) return { failure: 'timeout', error: 'cancelled' };
      const server = this.opts.servers[(attempt - 1) % this.opts.servers.length]!;
      let r = await this.exchange(encodeQuery(name, type), server, this.opts.transport ?? UDP_TRANSPORT, attempt);
      if ('response' in r && r.response.flags.tc) r = await this.exchange(encodeQuery(name, type), server, TCP_TRANSPORT, attempt);
      last = r;
      // SERVFAIL and REFUSED speak for one server only (RFC 1035 §7.2): another may answer.
      if ('response' in r && r.response.rcode !== 'SERVFAIL' && r.response.rcode !== 'REFUSED') return r;
      if ('response' in r) last = { failure: r.response.rcode === 'SERVFAIL' ? 'servfail' : 'refused', error: `${formatEndpoint(server.address, server.port)} answered ${r.response.rcode}` };
    }
    return last;
  }

  private async exchange(q: Query, server: ServerAddress, transport: DnsTransport, attempt: number): Promise<Asked> {
    const t0 = performance.now();
    const base = { server: formatEndpoint(server.address, server.port), transport: transport.name, question: { name: q.name, type: q.type }, attempt };
    let response: Response | undefined;
    try {
      await transport.exchange(q.bytes, server, {
        timeoutMs: this.opts.timeoutMs ?? DNS_TIMEOUT_MS,
        signal: this.opts.signal,
        accept: (bytes) => {
          const decoded = decodeResponse(q, bytes);
          if (decoded === 'foreign') return false;
          response = decoded;
          return true;
        },
      });
    } catch (err) {
      const kind = err instanceof TransportError ? err.kind : 'network-error';
      const message = err instanceof Error ? err.message : String(err);
      this.record({ ...base, outcome: kind, answers: [], authority: [], rttMs: performance.now() - t0, error: message });
      return { failure: kind === 'timeout' ? 'timeout' : 'error', error: `${base.server}: ${message}` };
    }
    const r = response!;
    this.record({ ...base, outcome: r.flags.tc ? 'truncated' : 'answer', rcode: r.rcode, flags: r.flags, answers: r.answers, authority: r.authority, rttMs: performance.now() - t0 });
    return { response: r };
  }

  private record(e: DnsExchange): void {
    const rounded = { ...e, rttMs: Math.round(e.rttMs * 10) / 10 };
    this.exchanges.push(rounded);
    this.opts.onExchange?.(rounded);
  }
}
