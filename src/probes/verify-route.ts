/**
 * Where `verify` asks when no --server is given: each domain's MX walk, its hosts in the order a
 * sender tries them (RFC 5321 §5.1). A module of its own, loaded only when some domain needs a
 * walk, so a verify with --server or address literals starts without the DNS and walk code.
 */
import { normalizeDomain } from '../dns/name.js';
import { routedTransport } from '../dns/route.js';
import { UDP_TCP_TRANSPORT } from '../dns/transport.js';
import { senderOrder } from '../mx/verdict.js';
import type { TrustStore } from '../net/tls.js';
import type { Deadline } from '../time/deadline.js';
import { newWalk, resolveWalk, walkResolver, walkServers } from './mx.js';
import type { Found, MxRoute, VerifyOptions } from './verify-options.js';

/** mxRoute: the resolvers are read here (a bad --resolver is an error before anything is sent); close() ends their transport. */
export function mxRoute(options: VerifyOptions, trust: TrustStore): MxRoute {
  const servers = walkServers(options.resolvers);
  const dns = routedTransport(options.dnsTransport ?? UDP_TCP_TRANSPORT, trust);
  return {
    find: (domain, port, deadline) => find(domain, port, deadline, servers, options, dns),
    close: () => dns.close(),
  };
}

/** find: the walk's hosts in sender order; a null MX or a domain that does not exist is the final answer. */
async function find(
  domain: string,
  port: number,
  deadline: Deadline,
  servers: ReturnType<typeof walkServers>,
  options: VerifyOptions,
  dns: ReturnType<typeof routedTransport>,
): Promise<Found> {
  const walk = newWalk(normalizeDomain(domain), port, []);
  if (
    !(await resolveWalk(walkResolver(servers, { ...options, dnsTransport: dns }, deadline), walk))
  ) {
    return walk.verdict?.kind === 'no-mail'
      ? { final: { verdict: 'no-mail', reason: 'null-mx', note: walk.verdict.text } }
      : {
          final: {
            verdict: 'undeliverable',
            reason: 'no-such-domain',
            note: walk.verdict?.text ?? 'no such domain',
          },
        };
  }
  return {
    candidates: senderOrder(walk).map((o) => ({ host: o.host, address: o.address.address, port })),
  };
}
