/**
 * Fetching an MTA-STS policy file (RFC 8461 §3.3) the way a compliant sender must: HTTPS to
 * `mta-sts.<domain>` with a certificate valid for that name under the trust store, no redirects,
 * a `text/plain` body of bounded size, all under one timeout. HTTP is undici's. The host's
 * address comes from the caller's resolver (a walk's `--resolver`, the lab's zone), and every
 * way the fetch can fail has its own outcome word, so "the policy host does not exist" and "its
 * certificate expired" never read alike.
 */
import type { Dispatcher } from 'undici';
import { ProbeError } from '../errors.js';
import type { StsFetch } from '../schema/policy.js';
import { type Clock, systemClock } from '../time/clock.js';
import { withDeadline } from '../time/deadline.js';
import { roundMs } from '../time/duration.js';
import type { AddressResolver } from './address-resolver.js';
import { header, noResponseText } from './https-response.js';
import { formatEndpoint } from './target.js';
import { tlsFailureReason, type TrustStore } from './tls.js';

/** STS_POLICY_MAX_OCTETS: the largest policy body read. RFC 8461 §3.3 lets senders cap it and suggests 64 KiB. */
export const STS_POLICY_MAX_OCTETS = 64 * 1024;
/** STS_FETCH_TIMEOUT_MS: the whole fetch, DNS to last byte. RFC 8461 §3.3 suggests "a reasonable timeout (e.g., one minute)"; a probe wants less. */
export const STS_FETCH_TIMEOUT_MS = 10_000;
/** HTTPS_PORT: where a policy host listens (RFC 8461 §3.3: an https URI with no port). */
export const HTTPS_PORT = 443;
const MEDIA_TYPE = 'text/plain';

/** StsFetchOptions: where names resolve, what the certificate must chain to, and the budget. */
export interface StsFetchOptions {
  resolveAddresses: AddressResolver;
  trust: TrustStore;
  /** port: HTTPS_PORT unless a lab or test serves the policy elsewhere. */
  port?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  clock?: Clock;
}

/** StsFetched: the fetch as reported, and the body when it is one a sender would parse. */
export interface StsFetched {
  fetch: StsFetch;
  body?: string;
}

type Failure = Pick<StsFetch, 'outcome' | 'error'> & Partial<StsFetch>;
class FetchFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.error);
  }
}

/** stsPolicyUrl: where `domain`'s policy lives (RFC 8461 §3.3). */
export function stsPolicyUrl(domain: string, port = HTTPS_PORT): string {
  const host = `mta-sts.${domain.replace(/\.$/, '')}`;
  return `https://${port === HTTPS_PORT ? host : `${host}:${port}`}/.well-known/mta-sts.txt`;
}

/**
 * fetchStsPolicy: GET the policy of `domain`. Never throws for what the network or the server
 * does: that is the outcome. Rejects only when `signal` fires (with its reason).
 */
export async function fetchStsPolicy(domain: string, o: StsFetchOptions): Promise<StsFetched> {
  const clock = o.clock ?? systemClock;
  const port = o.port ?? HTTPS_PORT;
  const url = stsPolicyUrl(domain, port);
  const host = new URL(url).hostname;
  const timeoutMs = o.timeoutMs ?? STS_FETCH_TIMEOUT_MS;
  const t0 = clock.now();
  const report = (f: Omit<StsFetch, 'url' | 'ms'>): StsFetch => ({
    url,
    ...f,
    ms: roundMs(clock.now() - t0),
  });
  let address: string | undefined;
  try {
    const fetched = await withDeadline(
      {
        clock,
        ms: timeoutMs,
        ...(o.signal ? { signal: o.signal } : {}),
        onTimeout: () =>
          new FetchFailure({
            outcome: 'timeout',
            error: `no complete answer from ${url} within ${timeoutMs}ms`,
          }),
        onAbort: (reason) => (reason instanceof Error ? reason : new Error(String(reason))),
      },
      async (signal) => {
        address = await resolve(host, o.resolveAddresses, signal);
        return get(url, address, o.trust, signal);
      },
    );
    return {
      fetch: report({ outcome: 'ok', address: address!, ...fetched.meta }),
      body: fetched.body,
    };
  } catch (err) {
    if (!(err instanceof FetchFailure)) throw err;
    return { fetch: report({ ...(address ? { address } : {}), ...err.failure }) };
  }
}

/** resolve: the first address of the policy host; a DNS failure is the `dns` outcome. */
async function resolve(
  host: string,
  resolver: AddressResolver,
  signal: AbortSignal,
): Promise<string> {
  try {
    const found = await resolver(host, signal);
    if (found.length === 0) throw new Error(`${host} has no address (A/AAAA)`);
    return found[0]!;
  } catch (err) {
    if (signal.aborted) throw err;
    const why = err instanceof ProbeError || err instanceof Error ? err.message : String(err);
    throw new FetchFailure({
      outcome: 'dns',
      error: `${why}: without the policy host, senders apply no MTA-STS policy (RFC 8461 §3.3)`,
    });
  }
}

/** get: one GET over a connection to `address`, the certificate checked against the URL's host. */
async function get(
  url: string,
  address: string,
  trust: TrustStore,
  signal: AbortSignal,
): Promise<{ body: string; meta: Partial<StsFetch> }> {
  // Loaded here, not at start-up: only a walk with a policy to fetch needs HTTP.
  const { Agent, request } = await import('undici');
  const family = address.includes(':') ? 6 : 4;
  // The address is the one our resolver found; SNI and the name check still use the URL's host.
  const agent = new Agent({
    connect: {
      secureContext: trust.context,
      lookup: (_host, opts, done) =>
        (opts as { all?: boolean }).all
          ? (done as (e: null, a: { address: string; family: number }[]) => void)(null, [
              { address, family },
            ])
          : done(null, address, family),
    },
  });
  const where = `${url} (${formatEndpoint(address, Number(new URL(url).port) || HTTPS_PORT)})`;
  try {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'GET',
        dispatcher: agent,
        signal,
        headers: { accept: MEDIA_TYPE },
      });
    } catch (err) {
      throw new FetchFailure(connectFailure(err, where));
    }
    try {
      return await readPolicy(res, where);
    } finally {
      if (!res.body.readableEnded) res.body.on('error', () => {}).destroy();
    }
  } finally {
    await agent.destroy().catch(() => {});
  }
}

/** readPolicy: a 200 text/plain body of at most STS_POLICY_MAX_OCTETS, or the failure it is. */
async function readPolicy(
  res: Dispatcher.ResponseData,
  where: string,
): Promise<{ body: string; meta: Partial<StsFetch> }> {
  const status = res.statusCode;
  const contentType = header(res, 'content-type');
  const meta = { status, ...(contentType === undefined ? {} : { contentType }) };
  if (status >= 300 && status < 400) {
    const location = header(res, 'location');
    throw new FetchFailure({
      ...meta,
      outcome: 'redirect',
      ...(location === undefined ? {} : { location }),
      error: `${where} answered HTTP ${status}${location ? ` to ${location}` : ''}: senders must not follow redirects (RFC 8461 §3.3)`,
    });
  }
  if (status !== 200)
    throw new FetchFailure({
      ...meta,
      outcome: 'http-status',
      error: `${where} answered HTTP ${status}, not 200: senders apply no policy (RFC 8461 §3.3)`,
    });
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  if (media !== MEDIA_TYPE)
    throw new FetchFailure({
      ...meta,
      outcome: 'bad-type',
      error: `${where} served the policy as ${contentType === undefined ? 'no content-type' : `"${contentType}"`}, not ${MEDIA_TYPE} (RFC 8461 §3.2)`,
    });
  const tooLarge = (bytes: number, how: string): FetchFailure =>
    new FetchFailure({
      ...meta,
      outcome: 'too-large',
      bytes,
      error: `${where} ${how}; a policy is read up to ${STS_POLICY_MAX_OCTETS} bytes (RFC 8461 §3.3)`,
    });
  const declared = Number(header(res, 'content-length') ?? Number.NaN);
  if (declared > STS_POLICY_MAX_OCTETS) throw tooLarge(0, `declared a ${declared}-byte body`);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    // Counted as it arrives: a chunked body declares no length, and reading stops at the cap.
    if (bytes > STS_POLICY_MAX_OCTETS)
      throw tooLarge(bytes, `sent more than ${STS_POLICY_MAX_OCTETS} bytes`);
    chunks.push(chunk);
  }
  return { body: Buffer.concat(chunks, bytes).toString('utf8'), meta: { ...meta, bytes } };
}

/** connectFailure: why no response came: TLS (with the reason), refused or unreachable (connect). */
function connectFailure(err: unknown, where: string): Failure {
  const tls = tlsFailureReason(err);
  if (tls !== undefined)
    return {
      outcome: 'tls',
      error: `TLS with ${where} failed: ${tls}; senders must not use a policy from a host whose certificate does not verify (RFC 8461 §3.3)`,
    };
  return { outcome: 'connect', error: noResponseText(err, where) };
}
