/**
 * memoryWorld: a virtual clock, an in-memory network on it, an in-memory DNS
 * zone and the wiring a probe takes — the transcript tier's world, where a
 * 30 s timeout costs no wall time and no test sleeps.
 */
import { ProbeError } from '../../src/errors.js';
import { type DnsTransport, TransportError } from '../../src/dns/transport.js';
import { answerQuery, Zone, type ZoneRecord } from '../../src/lab/index.js';
import type { Wiring } from '../../src/probes/outcome.js';
import { withDeadline } from '../../src/time/deadline.js';
import { MemoryNetwork } from './memory-net.js';
import { type ScriptedServer, scriptedMemory, type Step } from './scripted-server.js';
import { VirtualClock } from './virtual-clock.js';

/** WATCHDOG_MS: a scripted server's patience in virtual time, longer than any client timeout. */
export const WATCHDOG_MS = 24 * 3_600_000;

/** MemoryWorld: see the module comment. */
export interface MemoryWorld {
  clock: VirtualClock;
  net: MemoryNetwork;
  /** What a probe is given: the in-memory connector, a resolver over `hosts`, the virtual clock. */
  wiring: Required<Pick<Wiring, 'connector' | 'resolveAddresses' | 'clock'>>;
  /** Host names the address resolver knows (others: RESOLVE_NOT_FOUND). */
  hosts: Map<string, string[]>;
  /** serve: scripted sessions at `endpoint`, one script per connection, on the virtual clock. */
  serve(endpoint: string, ...scripts: Step[][]): ScriptedServer;
  /** dns: a DNS transport answering from `records` (names under .test), as the lab's server would. */
  dns(records: ZoneRecord[]): DnsTransport;
}

/** memoryWorld: see the module comment; `rttMs` gives every connection that round trip (virtual time). */
export function memoryWorld(opts: { rttMs?: number } = {}): MemoryWorld {
  const clock = new VirtualClock();
  const net = new MemoryNetwork(clock, opts.rttMs ?? 0);
  const hosts = new Map<string, string[]>();
  return {
    clock,
    net,
    hosts,
    wiring: {
      connector: net.connector,
      clock,
      resolveAddresses: async (host) => {
        const found = hosts.get(host);
        if (found) return found;
        throw new ProbeError({
          code: 'RESOLVE_NOT_FOUND',
          stage: 'resolve',
          target: host,
          message: `${host} has no address (A/AAAA)`,
        });
      },
    },
    serve: (endpoint, ...scripts) =>
      scriptedMemory(net, endpoint, scripts, { clock, watchdogMs: WATCHDOG_MS }),
    dns: (records) => memoryDns(new Zone(records), clock),
  };
}

/** memoryDns: answers from `zone` with the lab's answerQuery; a query it will not answer times out like a real one. */
function memoryDns(zone: Zone, clock: VirtualClock): DnsTransport {
  return {
    protocol: (tcp) => (tcp ? 'tcp' : 'udp'),
    exchange: (query, _server, opts) =>
      withDeadline(
        {
          clock,
          ms: opts.timeoutMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onTimeout: () => new TransportError('timeout', `no answer within ${opts.timeoutMs}ms`),
          onAbort: () => new TransportError('aborted', 'cancelled'),
        },
        () => {
          clock.touch();
          const reply = answerQuery(zone, query, opts.tcp ? 'tcp' : 'udp');
          return reply.response ? Promise.resolve(reply.response) : new Promise<Buffer>(() => {});
        },
      ),
  };
}
