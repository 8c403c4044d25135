/**
 * The MX walk (RFC 5321 §5.1, RFC 974): the MX RRset by preference, null MX
 * (RFC 7505) and implicit MX, every host resolved to all its addresses, every
 * address probed in parallel under a bound, then shown in the order a
 * sender would try them, with lint findings and one verdict.
 */
import { ProbeError, type Stage } from '../errors.js';
import { normalizeDomain, parseResolverAddress, Resolver, systemResolvers } from '../dns/index.js';
import { serverLabel } from '../dns/name.js';
import { routedTransport } from '../dns/route.js';
import { type DnsTransport, UDP_TCP_TRANSPORT } from '../dns/transport.js';
import { looksLikeIpLiteral, mxAddressLint, mxLint } from '../mx/lint.js';
import { mxVerdict } from '../mx/verdict.js';
import { SMTP_PORT } from '../net/target.js';
import type { DnsRecord, DomainName, Lookup } from '../schema/dns.js';
import type { AddressProbe, MxHost, MxResult } from '../schema/mx.js';
import { checkHeloName } from '../session/helo-name.js';
import type { TranscriptEntry } from '../session/transcript.js';
import type { Deadline } from '../time/deadline.js';
import { probeAddress } from './address.js';
import { askPolicy, judgePolicy } from './policy.js';
import { enforcedVerdictText, type PeerChain } from '../mx/policy.js';
import { checkConsistency } from './mx-consistency.js';
import { pool } from './pool.js';
import {
  asProbeError,
  elapsed,
  finishRun,
  type ProbeOutcome,
  type Run,
  type RunOptions,
  startRun,
} from './outcome.js';

/** MX_PARALLEL: addresses probed at once; enough that one dead host costs one timeout, few enough to be polite. */
export const MX_PARALLEL = 8;

/** MxOptions: what `mx` can be told. */
export interface MxOptions extends RunOptions {
  /** DNS servers as IP[:port]; default: /etc/resolv.conf. */
  resolvers?: string[];
  port?: number;
  helo?: string;
  starttls?: boolean;
  parallel?: number;
  dnsTimeoutMs?: number;
  /** How DNS queries travel (default UDP, TCP after truncation); tests plug in an in-memory zone. */
  dnsTransport?: DnsTransport;
  /** Compare the MX hosts with each other (see mx-consistency.ts). */
  consistency?: boolean;
  /** Ask for MTA-STS, TLS-RPT and DANE and judge the hosts by them (default true; see policy.ts). */
  policy?: boolean;
  /** The HTTPS port of mta-sts.<domain> (443; a lab's or a test's server elsewhere). */
  mtaStsPort?: number;
  /** Each address as soon as its probe ends (for NDJSON streams), with its host. */
  onAddress?: (host: MxHost, probe: AddressProbe) => void;
  /** With --transcript: every session's lines as they happen, labelled "host address". */
  onTranscript?: (entry: TranscriptEntry, label?: string) => void;
}

interface Planned {
  name: string;
  preference: number;
  implicit: boolean;
}

/** probeMx: see the module comment. Input is checked before any query is sent. */
export async function probeMx(
  input: string,
  options: MxOptions = {},
): Promise<ProbeOutcome<MxResult>> {
  const domain = normalizeDomain(input);
  const servers = walkServers(options.resolvers);
  if (options.helo !== undefined) checkHeloName(options.helo);
  const run = startRun(options);
  const transport = routedTransport(options.dnsTransport ?? UDP_TCP_TRANSPORT, run.trust);
  const resolver = walkResolver(servers, { ...options, dnsTransport: transport }, run.deadline);
  const result = newWalk(domain, options.port ?? SMTP_PORT, servers.map(serverLabel));
  let error: ProbeError | undefined;
  try {
    if (await resolveWalk(resolver, result)) {
      const chains = new Map<string, PeerChain>();
      const asked =
        options.policy === false
          ? undefined
          : askPolicy(result, resolver, {
              port: result.port,
              ...(options.mtaStsPort === undefined ? {} : { mtaStsPort: options.mtaStsPort }),
              trust: run.trust,
              deadline: run.deadline,
            });
      // Awaited below; a cancellation during the probes must not surface first as unhandled.
      asked?.catch(() => {});
      await probeAll(result.hosts, options, run, chains);
      // What the connections showed (STARTTLS) joins what DNS showed.
      result.lint.push(...mxAddressLint(result.hosts));
      // Cut by --timeout or Ctrl-C: the walk is incomplete, and a verdict would blame the hosts for our budget.
      if (run.deadline.signal.aborted) throw run.deadline.cancelled(cancelledStage(result.hosts));
      result.verdict = mxVerdict(result);
      if (asked) {
        result.policy = judgePolicy(await asked, result, chains);
        result.verdict.text = enforcedVerdictText(
          result.verdict.text,
          result.verdict.host,
          result.policy,
        );
      }
      if (options.consistency) {
        result.consistency = await checkConsistency(result, run, {
          ...(options.helo === undefined ? {} : { helo: options.helo }),
          parallel: options.parallel ?? MX_PARALLEL,
        });
      }
    }
  } catch (err) {
    error = asProbeError(err, elapsed(run));
  } finally {
    await transport.close();
  }
  result.dns = resolver.exchanges;
  return finishRun(run, result, error);
}

/** newWalk: a walk of `domain` before any query: no hosts, no verdict. */
export function newWalk(domain: DomainName, port: number, resolvers: string[]): MxResult {
  return {
    domain,
    port,
    resolvers,
    source: 'none',
    mxLookup: null,
    hosts: [],
    lint: [],
    verdict: null,
    dns: [],
  };
}

/** cancelledStage: where the cancellation met the walk (the stage of the first address it cut short). */
function cancelledStage(hosts: MxHost[]): Stage {
  const cut = hosts
    .flatMap((h) => h.addresses)
    .find((a) => a.error?.code === 'ABORTED' || a.error?.code === 'TARGET_TIMEOUT');
  return cut?.error?.stage ?? 'connect';
}

/** walkResolver: the DNS resolver of a walk, under the run's deadline and clock. */
export function walkResolver(
  servers: ReturnType<typeof systemResolvers>,
  options: Pick<MxOptions, 'dnsTimeoutMs' | 'dnsTransport'>,
  deadline: Deadline,
): Resolver {
  return new Resolver({
    servers,
    signal: deadline.signal,
    clock: deadline.clock,
    ...(options.dnsTimeoutMs ? { timeoutMs: options.dnsTimeoutMs } : {}),
    ...(options.dnsTransport ? { transport: options.dnsTransport } : {}),
  });
}

/** walkServers: the DNS servers a walk asks: --resolver, else /etc/resolv.conf. */
export function walkServers(resolvers: string[] | undefined): ReturnType<typeof systemResolvers> {
  return resolvers?.length ? resolvers.map(parseResolverAddress) : systemResolvers();
}

/**
 * resolveWalk: the DNS half of a walk — MX lookup, null/implicit MX, every
 * host's addresses, lint — filling `result`. False when DNS already decided
 * (null MX, NXDOMAIN: result.verdict says which). Throws RESOLVE_FAILED when
 * the MX lookup itself fails. Shared by `mx` and `verify`.
 */
export async function resolveWalk(resolver: Resolver, result: MxResult): Promise<boolean> {
  const mx = await resolver.lookup(result.domain.ascii, 'MX');
  result.mxLookup = mx;
  const planned = plan(result, mx);
  if (planned === null) return false;
  result.hosts = await Promise.all(planned.map((p) => resolveHost(resolver, p)));
  groupByPreference(result.hosts);
  result.lint = mxLint(result.domain.ascii, mx, result.hosts);
  return true;
}

/** plan: the hosts to walk, or null when the answer is already final (null MX, NXDOMAIN). */
function plan(result: MxResult, mx: Lookup): Planned[] | null {
  const domain = result.domain.ascii;
  if (mx.status === 'nxdomain') {
    result.verdict = {
      kind: 'no-such-domain',
      failedBefore: [],
      text: `${domain} does not exist (NXDOMAIN): mail to it bounces at once`,
    };
    return null;
  }
  if (mx.status !== 'ok' && mx.status !== 'nodata') {
    throw new ProbeError({
      code: 'RESOLVE_FAILED',
      stage: 'resolve',
      target: domain,
      message: `MX lookup for ${domain} failed: ${mx.status}${mx.error ? ` (${mx.error})` : ''}; senders defer and retry`,
    });
  }
  const records = mx.records.filter(
    (r): r is Extract<DnsRecord, { type: 'MX' }> => r.type === 'MX',
  );
  const real = records.filter((r) => r.exchange !== '.' && r.exchange !== '');
  if (records.length > 0 && real.length === 0) {
    result.source = 'null-mx';
    result.lint = mxLint(domain, mx, []);
    result.verdict = {
      kind: 'no-mail',
      failedBefore: [],
      text: `${domain} publishes a null MX (RFC 7505): it accepts no mail`,
    };
    return null;
  }
  if (real.length === 0) {
    // RFC 5321 §5.1: no MX records → the domain itself is the implicit MX, preference 0.
    result.source = 'implicit';
    return [{ name: mx.cnameChain.at(-1) ?? domain, preference: 0, implicit: true }];
  }
  result.source = 'mx';
  return real
    .map((r) => ({
      name: r.exchange.replace(/\.$/, '').toLowerCase(),
      preference: r.preference,
      implicit: false,
    }))
    .sort((a, b) => a.preference - b.preference);
}

async function resolveHost(resolver: Resolver, p: Planned): Promise<MxHost> {
  const [aaaa, a] = await Promise.all([
    lookupTarget(resolver, p.name, 'AAAA'),
    lookupTarget(resolver, p.name, 'A'),
  ]);
  const addresses = (l: Lookup, family: 4 | 6): AddressProbe[] =>
    l.records.flatMap((r) =>
      r.type === 'A' || r.type === 'AAAA'
        ? [{ address: r.address, family, status: 'aborted' as const, ms: 0 }]
        : [],
    );
  return {
    name: p.name,
    preference: p.preference,
    group: 0,
    groupSize: 1,
    implicit: p.implicit,
    cnameChain: a.cnameChain.length ? a.cnameChain : aaaa.cnameChain,
    lookups: { a, aaaa },
    // IPv6 first, then IPv4: RFC 6724's default policy, and what dual-stack MTAs do.
    addresses: [...addresses(aaaa, 6), ...addresses(a, 4)],
  };
}

/**
 * lookupTarget: the addresses of an MX target. A target DNS cannot be asked
 * about — an IP address written as a name (RFC 5321 §5.1; Postfix and Exim
 * skip such a record), or bytes no host name has — is a failed lookup of that
 * one host, not INVALID_INPUT for the whole walk: it came from DNS, not from
 * the user, and one bad record must not sink the walk.
 */
async function lookupTarget(resolver: Resolver, name: string, type: 'A' | 'AAAA'): Promise<Lookup> {
  try {
    return await resolver.lookup(name, type);
  } catch (err) {
    if (!(err instanceof ProbeError) || err.code !== 'INVALID_INPUT') throw err;
    const why = looksLikeIpLiteral(name) ? 'an IP address is not a host name' : err.message;
    return {
      name,
      type,
      status: 'error',
      cnameChain: [],
      records: [],
      error: `not looked up: ${why}`,
    };
  }
}

function groupByPreference(hosts: MxHost[]): void {
  let group = -1;
  let last: number | undefined;
  for (const h of hosts) {
    if (h.preference !== last) group++;
    h.group = group;
    last = h.preference;
  }
  for (const h of hosts) h.groupSize = hosts.filter((o) => o.group === h.group).length;
}

function order(h: MxHost, address: string): number {
  return h.addresses.findIndex((a) => a.address === address);
}

/** probeAll: every address at once under a bound, each result written back in place (the sender's order stays). */
async function probeAll(
  hosts: MxHost[],
  options: MxOptions,
  run: Run,
  chains: Map<string, PeerChain>,
): Promise<void> {
  const jobs = hosts.flatMap((h) => h.addresses.map((a, i) => ({ h, i, address: a.address })));
  await pool(jobs, options.parallel ?? MX_PARALLEL, async (job) => {
    job.h.addresses[job.i] = await probeAddress(job.address, {
      port: options.port ?? SMTP_PORT,
      hostname: job.h.name,
      ...(options.helo === undefined ? {} : { helo: options.helo }),
      starttls: options.starttls !== false,
      trust: run.trust,
      timeouts: run.timeouts,
      deadline: run.deadline,
      connector: run.wiring.connector,
      ...(options.onTranscript ? { onTranscript: options.onTranscript } : {}),
      // The host's first address in the sender's order that shows a chain is the one DANE is judged by.
      onPeerChain: (der) => {
        const kept = chains.get(job.h.name);
        if (!kept || order(job.h, kept.address) > job.i)
          chains.set(job.h.name, { address: job.address, der });
      },
    });
    options.onAddress?.(job.h, job.h.addresses[job.i]!);
  });
}
