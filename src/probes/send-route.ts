/**
 * Where `send` goes without --server: the recipient domain's MX hosts in the order a sender tries
 * them (RFC 5321 §5.1), each with the addresses DNS gave. A module of its own so that a send with
 * --server never loads the DNS and walk code.
 */
import { ProbeError } from '../errors.js';
import { normalizeDomain } from '../dns/name.js';
import { routedTransport } from '../dns/route.js';
import { UDP_TCP_TRANSPORT } from '../dns/transport.js';
import { senderOrder } from '../mx/verdict.js';
import type { SendResult } from '../schema/send.js';
import { newWalk, resolveWalk, walkResolver, walkServers } from './mx.js';
import type { Run } from './outcome.js';
import type { SendOptions } from './send-plan.js';

export { walkServers };

/** Candidate: one server to try: its name, where it listens, and its addresses when DNS already gave them. */
export interface Candidate {
  host: string;
  port: number;
  preference: number | null;
  addresses?: string[];
}

/**
 * mxCandidates: the recipient domain's MX hosts in sender order, each with its addresses. A
 * null MX or a domain that does not exist ends the send here, as it ends a sender's.
 */
export async function mxCandidates(
  domain: string,
  port: number,
  servers: ReturnType<typeof walkServers>,
  options: SendOptions,
  run: Run,
  result: SendResult,
): Promise<Candidate[]> {
  const dns = routedTransport(options.dnsTransport ?? UDP_TCP_TRANSPORT, run.trust);
  try {
    const walk = newWalk(normalizeDomain(domain), port, []);
    const resolver = walkResolver(servers, { ...options, dnsTransport: dns }, run.deadline);
    const t0 = run.deadline.clock.now();
    const found = await resolveWalk(resolver, walk);
    result.timings.resolve = run.deadline.clock.now() - t0;
    const hosts =
      walk.source === 'implicit'
        ? `no MX records; the domain itself (implicit MX, RFC 5321 §5.1)`
        : walk.hosts.map((h) => `${h.preference} ${h.name}`).join(', ');
    run.transcript.note(
      `MX of ${domain}: ${found ? hosts : (walk.verdict?.text ?? 'none')} (${(run.deadline.clock.now() - t0).toFixed(1)} ms)`,
    );
    if (!found)
      throw new ProbeError({
        code: 'RESOLVE_NOT_FOUND',
        stage: 'resolve',
        target: domain,
        message: walk.verdict?.text ?? `${domain} has no MX and no address`,
      });
    const out: Candidate[] = [];
    for (const o of senderOrder(walk)) {
      const last = out.at(-1);
      if (last?.host === o.host) last.addresses!.push(o.address.address);
      else
        out.push({
          host: o.host,
          port,
          // An implicit MX has no preference of its own (RFC 5321 §5.1 treats it as 0).
          preference: walk.source === 'implicit' ? null : o.preference,
          addresses: [o.address.address],
        });
    }
    if (out.length === 0)
      throw new ProbeError({
        code: 'RESOLVE_NOT_FOUND',
        stage: 'resolve',
        target: domain,
        message: `no MX host of ${domain} has an address`,
      });
    return out;
  } finally {
    await dns.close();
  }
}
