/**
 * MemoryNetwork: an in-memory network for the session layer's Connector.
 * Servers listen on "address:port" endpoints; a connect to one gets a pair of
 * linked duplex streams (the client's and the server's ends); an endpoint
 * nobody listens on refuses at once (like an RST); a blackholed one never
 * answers, so only the caller's deadline ends the wait. Every chunk touches the
 * virtual clock, so time moves only once the conversation has gone quiet, and
 * arrives one event-loop turn after it was written (as over a wire: the writer
 * finishes what it does next before the reader sees the bytes).
 * TLS works over these streams as over sockets (node:tls wraps any duplex).
 */
import { Duplex } from 'node:stream';
import { ProbeError } from '../../src/errors.js';
import type { Connector, Endpoint } from '../../src/net/connector.js';
import { formatEndpoint } from '../../src/net/target.js';
import type { VirtualClock } from './virtual-clock.js';

/** MemoryStream: one end of an in-memory connection. */
export class MemoryStream extends Duplex {
  peer?: MemoryStream;

  constructor(
    readonly localAddress: string,
    readonly remoteAddress: string,
    private readonly clock?: VirtualClock,
    /** One way's delay in virtual time (half the network's round trip); 0: the next turn. */
    private readonly delayMs = 0,
    /** The server's end is half-open, as an MTA's socket: a client's FIN does not end it; the server hangs up itself. */
    halfOpen = false,
  ) {
    // Otherwise like Node's TCP socket: the other side's FIN ends this side too.
    super({ allowHalfOpen: halfOpen });
  }

  /** carry: deliver to the peer after the one-way delay, in the order written (a FIN after the data before it). */
  private carry(deliver: () => void): void {
    if (this.clock && this.delayMs > 0) this.clock.setTimer(this.delayMs, deliver);
    else setImmediate(deliver);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.clock?.touch();
    const peer = this.peer;
    this.carry(() => {
      if (peer && !peer.destroyed && !peer.readableEnded) peer.push(chunk);
    });
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.clock?.touch();
    const peer = this.peer;
    this.carry(() => {
      if (peer && !peer.destroyed) peer.push(null);
    });
    done();
  }

  override _read(): void {}

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.clock?.touch();
    const peer = this.peer;
    // A close travels like the bytes before it: they arrive first, as over TCP.
    this.carry(() => {
      if (peer && !peer.destroyed) {
        peer.push(null);
        peer.destroy();
      }
    });
    done(err);
  }
}

/** Listener: what a server does with each connection's server end. */
export type Listener = (server: MemoryStream) => void;

/** MemoryNetwork: see the module comment. */
export class MemoryNetwork {
  private readonly listeners = new Map<string, Listener>();
  private readonly blackholes = new Set<string>();
  /** Every connect attempt, in order ("address:port"). */
  readonly dialled: string[] = [];

  /** `rttMs`: the round trip every connection's bytes take, in virtual time (needs the clock). */
  constructor(
    private readonly clock?: VirtualClock,
    private readonly rttMs = 0,
  ) {}

  /** listen: serve connections to `endpoint` ("127.0.0.1:25", "[::1]:25"). */
  listen(endpoint: string, listener: Listener): void {
    this.listeners.set(endpoint, listener);
  }

  /** blackhole: connects to `endpoint` get no answer at all (a dead host, a firewall dropping SYNs). */
  blackhole(endpoint: string): void {
    this.blackholes.add(endpoint);
  }

  /** connector: the Connector a probe is given. */
  readonly connector: Connector = (endpoint: Endpoint, signal: AbortSignal) => {
    const where = formatEndpoint(endpoint.address, endpoint.port);
    this.dialled.push(where);
    this.clock?.touch();
    if (this.blackholes.has(where)) {
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    const listener = this.listeners.get(where);
    if (!listener) {
      return Promise.reject(
        new ProbeError({
          code: 'CONNECTION_REFUSED',
          stage: 'connect',
          target: where,
          message: `connection refused (RST) (address: ${where})`,
        }),
      );
    }
    const local = endpoint.address.includes(':') ? '::1' : '127.0.0.1';
    const client = new MemoryStream(local, endpoint.address, this.clock, this.rttMs / 2);
    const server = new MemoryStream(endpoint.address, local, this.clock, this.rttMs / 2, true);
    client.peer = server;
    server.peer = client;
    listener(server);
    return Promise.resolve(client);
  };
}
