/**
 * DNS over HTTPS (RFC 8484) as a DnsTransport: each query is POSTed as an
 * application/dns-message body and the answer is the response body. HTTP is
 * undici's (HTTP/1.1 with keep-alive: one connection carries the queries
 * that follow; RFC 8484 §5.2 recommends HTTP/2, which undici 7 still calls
 * experimental). Like the UDP/TCP transport, it resolves only with the answer
 * to the query it was given and rejects only with a TransportError.
 */
import type { Agent, Dispatcher } from 'undici';
import { header, noResponseText } from '../net/https-response.js';
import { loadTrustStore, tlsFailureReason, type TrustStore } from '../net/tls.js';
import { systemClock } from '../time/clock.js';
import { withDeadline } from '../time/deadline.js';
import { parseDohUrl, type ServerAddress } from './name.js';
import {
  type DnsTransport,
  type ExchangeOptions,
  MAX_TCP_MESSAGE_OCTETS,
  TransportError,
} from './transport.js';
import { answerMismatch } from './wire.js';

/** DOH_MEDIA_TYPE: the body type of a DoH query and of its answer (RFC 8484 §6). */
export const DOH_MEDIA_TYPE = 'application/dns-message';

/**
 * MAX_DOH_MESSAGE_OCTETS: the largest answer accepted. A DNS message is at
 * most 65535 octets (RFC 8484 §6 keeps that limit; RFC 1035 §4.2.2's length
 * prefix is why), so a bigger body is not a DNS message; reading stops there.
 */
export const MAX_DOH_MESSAGE_OCTETS = MAX_TCP_MESSAGE_OCTETS;

/** DohOptions: `trust`: the CA certificates the server's chain must lead to (default: the system's store). */
export interface DohOptions {
  trust?: TrustStore;
}

/** DohTransport: a DnsTransport over one DoH URL; close() ends its kept-alive connections. */
export interface DohTransport extends DnsTransport {
  /** url: the DoH endpoint, as parsed. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * dohTransport: DNS over HTTPS to `url` (an https: URL, usually ending in
 * /dns-query). The URL is the server: `exchange` ignores the address and port
 * of the ServerAddress it is handed. The Resolver still needs one per server
 * (its trace and rotation key), so callers pass the URL's host and port there;
 * dialing that address instead of the URL's host would mean checking the
 * certificate against a name we did not connect by, or a second source of
 * truth for where queries go. The URL's host name is resolved by the system
 * (getaddrinfo), not by this resolver. Redirects are not followed (a 3xx is a
 * network-error): a DNS answer must come from the server the user named.
 * Caveat: without `trust`, the system's CA bundle is trusted (see loadTrustStore).
 */
export function dohTransport(url: string, options: DohOptions = {}): DohTransport {
  const target = new URL(parseDohUrl(url).url);
  let agent: Promise<Agent> | undefined;
  // Made on the first exchange: a transport built but never used costs no trust-store parse, and
  // no undici load (a sixth of a run's start-up, for the many runs that never use DoH).
  const dispatcher = (): Promise<Agent> => {
    agent ??= import('undici').then(
      ({ Agent }) =>
        new Agent({
          connect: { secureContext: (options.trust ?? loadTrustStore()).context },
          connections: 8,
        }),
    );
    return agent;
  };
  return {
    url: target.href,
    protocol: () => 'https',
    exchange: async (query: Buffer, _server: ServerAddress, opts: ExchangeOptions) =>
      exchangeHttps(query, target, await dispatcher(), opts),
    async close() {
      const closing = agent;
      agent = undefined;
      await (await closing)?.close();
    },
  };
}

/**
 * exchangeHttps: one POST (RFC 8484 §4.1) under the try's deadline and the
 * caller's signal. The query keeps its random ID (§4.1 allows 0, for HTTP
 * caches, which rarely keep POST answers; our ID lets answerMismatch catch
 * a server answering something else).
 */
function exchangeHttps(
  query: Buffer,
  url: URL,
  dispatcher: Dispatcher,
  opts: ExchangeOptions,
): Promise<Buffer> {
  const what = `${url.href} (https)`;
  let progress = '';
  return withDeadline(
    {
      clock: opts.clock ?? systemClock,
      ms: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onTimeout: () =>
        new TransportError(
          'timeout',
          `no answer from ${what} within ${opts.timeoutMs}ms${progress}`,
        ),
      onAbort: () => new TransportError('aborted', `cancelled while waiting for ${what}`),
    },
    async (signal) => {
      const { request } = await import('undici');
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: 'POST',
          dispatcher,
          signal,
          headers: { 'content-type': DOH_MEDIA_TYPE, accept: DOH_MEDIA_TYPE },
          body: query,
        });
      } catch (err) {
        throw requestFailure(err, url, what);
      }
      progress = `; HTTP ${res.statusCode} received, the body did not finish`;
      try {
        const answer = await readAnswer(res, what);
        const why = answerMismatch(query, answer);
        // Our own request on our own connection: a mismatch is a broken server, not a stray packet.
        if (why !== undefined)
          throw new TransportError('malformed', `${what} answered something else: ${why}`);
        return answer;
      } finally {
        // After a failure, drop the rest of the body (and that connection); undici then emits
        // an AbortError nobody needs.
        if (!res.body.readableEnded) res.body.on('error', () => {}).destroy();
      }
    },
  );
}

/** readAnswer: the body of a 200 application/dns-message response, at most MAX_DOH_MESSAGE_OCTETS. */
async function readAnswer(res: Dispatcher.ResponseData, what: string): Promise<Buffer> {
  if (res.statusCode !== 200) {
    const location = header(res, 'location');
    const redirect = location !== undefined ? ` (a redirect to ${location}, not followed)` : '';
    throw new TransportError('network-error', `${what} answered HTTP ${res.statusCode}${redirect}`);
  }
  const type = header(res, 'content-type');
  const media = type?.split(';')[0]?.trim().toLowerCase();
  if (media !== DOH_MEDIA_TYPE)
    throw new TransportError(
      'malformed',
      `${what} answered with content-type ${type === undefined ? '(none)' : `"${type}"`}, not ${DOH_MEDIA_TYPE} (RFC 8484 §4.2.1)`,
    );
  const tooBig = (excess: string): TransportError =>
    new TransportError(
      'malformed',
      `${what} ${excess}; a DNS message is at most ${MAX_DOH_MESSAGE_OCTETS} bytes (RFC 8484 §6)`,
    );
  const declared = Number(header(res, 'content-length') ?? Number.NaN);
  if (declared > MAX_DOH_MESSAGE_OCTETS) throw tooBig(`declared a ${declared}-byte body`);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    length += chunk.length;
    // Counted as it arrives: a chunked body declares no length, and we stop reading at the cap.
    if (length > MAX_DOH_MESSAGE_OCTETS)
      throw tooBig(`sent more than ${MAX_DOH_MESSAGE_OCTETS} bytes`);
    chunks.push(chunk);
  }
  if (length === 0) throw new TransportError('malformed', `${what} sent an empty body`);
  return Buffer.concat(chunks, length);
}

/** requestFailure: why no response came, as a network-error; a TLS failure says so and names the host. */
function requestFailure(err: unknown, url: URL, what: string): TransportError {
  if (err instanceof TransportError) return err;
  const tls = tlsFailureReason(err);
  if (tls !== undefined)
    return new TransportError('network-error', `TLS with ${url.host} failed: ${tls} at ${what}`, {
      cause: err,
    });
  return new TransportError('network-error', noResponseText(err, what), {
    cause: err,
  });
}
