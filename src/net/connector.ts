/**
 * Connector: how a session reaches a server — `(endpoint, signal) => a
 * connected duplex stream`. The default dials TCP; tests plug in an in-memory
 * network, and anything else (a SOCKS hop, a recorded session) fits the same
 * shape. A connector only connects: deadlines are the caller's (the signal
 * fires when the connect phase is out of time or the run is cancelled), and
 * implicit TLS and STARTTLS are layered on the stream it returns.
 */
import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { classifySocketError } from './socket-error.js';
import { formatEndpoint } from './target.js';

/** Endpoint: an IP address (no brackets) and a port. */
export interface Endpoint {
  address: string;
  port: number;
}

/** Connector: see the module comment. Rejects with a ProbeError at stage `connect` (refused, unreachable, …). */
export type Connector = (endpoint: Endpoint, signal: AbortSignal) => Promise<Duplex>;

/** localAddressOf: our side's address on a stream from a connector, when it has one (a socket does). */
export function localAddressOf(stream: Duplex): string | undefined {
  const local = (stream as Duplex & { localAddress?: unknown }).localAddress;
  return typeof local === 'string' ? local : undefined;
}

/**
 * tcpConnector: a TCP connection with Nagle off (SMTP is small request/reply
 * lines). The distinction a mail admin cares about is made here: RST
 * (refused, one round trip) and ICMP unreachable are errors at once; silence
 * (a dead host, a firewall dropping SYNs) lasts until the caller's signal fires.
 */
export const tcpConnector: Connector = (endpoint, signal) =>
  new Promise((resolve, reject) => {
    const where = formatEndpoint(endpoint.address, endpoint.port);
    const socket = tcpConnect({ host: endpoint.address, port: endpoint.port, noDelay: true });
    const onError = (err: NodeJS.ErrnoException): void => {
      signal.removeEventListener('abort', onAbort);
      reject(classifySocketError(err, 'connect', where));
    };
    const onAbort = (): void => {
      socket.off('error', onError);
      // A reset can still arrive after we stop listening; unhandled, it would crash the process.
      socket.on('error', () => undefined);
      socket.destroy();
      reject(signal.reason);
    };
    socket.once('connect', () => {
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      resolve(socket);
    });
    socket.once('error', onError);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
