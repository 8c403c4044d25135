/**
 * startLatencyProxy: a TCP proxy on loopback that turns the lab's instant
 * links into slow ones, for benchmarks (what does pipelining save when a
 * round trip costs 50 ms?). No root, no qdisc: it simply holds bytes.
 *
 * `delayMs` is the round-trip time the proxy adds: every chunk, each way,
 * is held delayMs / 2 before it is passed on, so a command and its reply
 * gain delayMs together. The TCP handshake with the proxy cannot be slowed
 * (the kernel completes it), so a connect looks instant; instead the early
 * bytes wait as they would behind a real handshake: the server's first bytes
 * reach the client no sooner than 2 × delayMs after the accept (SYN, SYN-ACK,
 * ACK, then the greeting: two round trips from SYN to 220), the client's
 * first bytes reach the server no sooner than 1.5 × delayMs after it. A whole
 * session so takes as long as over a real link of that RTT; only the split
 * between "connect" and "greeting" differs.
 *
 * Order is kept (one FIFO per direction), a FIN travels like data (after the
 * bytes sent before it), a reset or error on either side resets the other,
 * and a side that reads slowly makes the proxy stop reading from the other
 * (bounded buffering, so TCP flow control reaches the sender).
 */
import { createServer, Socket, type Server } from 'node:net';
import { invalidInput } from '../errors.js';
import { isLoopback } from './personality.js';

/** Endpoint: an address and a port. */
export interface Endpoint {
  address: string;
  port: number;
}

/** LatencyProxyOptions: where to forward to, where to listen (loopback only; port 0 for a free one), and the round trip to add. */
export interface LatencyProxyOptions {
  target: Endpoint;
  /** listen: default 127.0.0.1, port 0. */
  listen?: { address?: string; port?: number };
  /** delayMs: the round-trip time added (half each way); 0 passes bytes straight through. */
  delayMs: number;
}

/** LatencyProxy: a running proxy. close() drops every connection and stops listening; safe to call twice. */
export interface LatencyProxy {
  address: string;
  port: number;
  /** connections: proxied connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

// Bytes held per direction (waiting out the delay, or unsent to a slow reader) before the proxy stops reading the sender.
const HIGH_WATER_OCTETS = 1024 * 1024;
const LOW_WATER_OCTETS = 256 * 1024;

/** DelayLine: one direction of one connection: a FIFO of chunks (null is the FIN), each released at its due time. */
class DelayLine {
  private readonly queue: { due: number; chunk: Buffer | null }[] = [];
  private held = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly oneWayMs: number,
    private readonly notBefore: number,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.once('end', () => this.push(null));
    to.on('drain', () => this.maybeResume());
  }

  /** stop: forget what is held (the connection is being torn down). */
  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private push(chunk: Buffer | null): void {
    // Every chunk waits the same time, so due times never decrease and FIFO order is arrival order.
    this.queue.push({ due: Math.max(performance.now() + this.oneWayMs, this.notBefore), chunk });
    if (chunk) this.held += chunk.length;
    if (this.held + this.to.writableLength > HIGH_WATER_OCTETS) this.from.pause();
    this.schedule();
  }

  private schedule(): void {
    const head = this.queue[0];
    if (this.timer || !head) return;
    // Timers fire in whole milliseconds and may round down; flush() re-arms if one fires a little early.
    this.timer = setTimeout(
      () => this.flush(),
      Math.max(0, Math.ceil(head.due - performance.now())),
    );
  }

  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      const { chunk } = this.queue.shift()!;
      if (this.to.destroyed) {
        this.stop();
        return;
      }
      if (chunk === null) {
        this.to.end();
        continue;
      }
      this.held -= chunk.length;
      this.to.write(chunk);
    }
    this.maybeResume();
    this.schedule();
  }

  private maybeResume(): void {
    if (this.from.isPaused() && this.held + this.to.writableLength < LOW_WATER_OCTETS)
      this.from.resume();
  }
}

/** pair: proxy one accepted client to the target, both directions through a DelayLine; `live` holds its teardown until both sides are gone. */
function pair(client: Socket, opts: LatencyProxyOptions, live: Set<() => void>): void {
  const accepted = performance.now();
  const oneWay = opts.delayMs / 2;
  const upstream = new Socket({ allowHalfOpen: true });
  const lines = [
    new DelayLine(client, upstream, oneWay, accepted + 3 * oneWay),
    new DelayLine(upstream, client, oneWay, accepted + 4 * oneWay),
  ];
  const teardown = (): void => drop(false);
  const drop = (reset: boolean): void => {
    live.delete(teardown);
    for (const l of lines) l.stop();
    for (const s of [client, upstream]) {
      if (s.destroyed) continue;
      if (reset && !s.connecting && typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
      else s.destroy();
    }
  };
  live.add(teardown);
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  // A reset or error on one side resets the other; a clean close of both ends the pair.
  client.on('error', () => drop(true));
  upstream.on('error', () => drop(true));
  let closed = 0;
  const onClose = (): void => {
    if (++closed === 2) drop(false);
  };
  client.once('close', onClose);
  upstream.once('close', onClose);
  upstream.connect(opts.target.port, opts.target.address);
}

function checkOptions(opts: LatencyProxyOptions): { address: string; port: number } {
  const address = opts.listen?.address ?? '127.0.0.1';
  const port = opts.listen?.port ?? 0;
  if (!isLoopback(address))
    throw invalidInput(
      `latency proxy: listen address ${address} is not loopback (127.0.0.0/8 or ::1)`,
    );
  // Benchmarks send traffic to 127.0.0.0/8 and ::1 only.
  if (!isLoopback(opts.target.address))
    throw invalidInput(
      `latency proxy: target ${opts.target.address} is not loopback (127.0.0.0/8 or ::1)`,
    );
  if (!Number.isFinite(opts.delayMs) || opts.delayMs < 0)
    throw invalidInput(`latency proxy: delayMs ${opts.delayMs} is not 0 or more`);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalidInput(`latency proxy: port ${port} is not a whole number from 0 to 65535`);
  return { address, port };
}

/** startLatencyProxy: see the module comment. Rejects if it cannot listen; throws INVALID_INPUT for a non-loopback address or a negative delay. */
export async function startLatencyProxy(opts: LatencyProxyOptions): Promise<LatencyProxy> {
  const at = checkOptions(opts);
  const live = new Set<() => void>();
  let accepted = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    accepted++;
    pair(client, opts, live);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: at.address, port: at.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as { address: string; port: number };
  let closing: Promise<void> | undefined;
  return {
    address: bound.address,
    port: bound.port,
    get connections() {
      return accepted;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const drop of [...live]) drop();
      })),
  };
}
