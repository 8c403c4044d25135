/**
 * How a query reaches a server and its answer comes back. Pluggable (DNS
 * over HTTPS is the next transport); the default speaks UDP and TCP. A
 * transport resolves only with the answer to the query it was given, so each
 * one applies its medium's matching rule: over UDP a packet that is not our
 * answer is ignored (it may be stray or spoofed; the real one may follow),
 * over a TCP connection of our own it can only be a broken server.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import type { DnsExchange } from '../schema/dns.js';
import { formatEndpoint } from '../net/target.js';
import type { ServerAddress } from './name.js';
import { answerMismatch } from './wire.js';
import { type Clock, systemClock } from '../time/clock.js';
import { withDeadline } from '../time/deadline.js';

/** TransportFailure: why an exchange produced no answer; the first three are ExchangeSchema outcomes. */
export type TransportFailure = 'timeout' | 'network-error' | 'malformed' | 'aborted';

/** TransportError: the one error a transport rejects with; `kind` classifies it, the message says what happened. */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

/** ExchangeOptions: the deadline for this one try, cancellation, and whether to use TCP (after a truncated UDP answer). */
export interface ExchangeOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  tcp: boolean;
  /** The clock the timeout runs on (default: the system's). */
  clock?: Clock;
}

/**
 * DnsTransport: one query, one answer. `exchange` resolves with the whole
 * response message, already checked to answer `query` (answerMismatch or the
 * transport's equivalent), or rejects with a TransportError. `protocol` is
 * what the trace calls an exchange with `server` made with the given `tcp` option.
 */
export interface DnsTransport {
  protocol(tcp: boolean, server: ServerAddress): DnsExchange['transport'];
  exchange(query: Buffer, server: ServerAddress, opts: ExchangeOptions): Promise<Buffer>;
}

/** MAX_TCP_MESSAGE_OCTETS: the two-byte length prefix caps a message at 65535 octets (RFC 1035 §4.2.2). */
export const MAX_TCP_MESSAGE_OCTETS = 65_535;

type Finish = (err?: TransportError, answer?: Buffer) => void;
interface Running {
  release(): void;
  /** timeoutDetail: what to add to the timeout message (packets ignored, bytes received). */
  timeoutDetail(): string;
}

/**
 * settle: runs one exchange under its deadline and the caller's signal;
 * whichever of answer, failure, timeout or abort comes first wins, and the
 * socket is released exactly once.
 */
function settle(
  opts: ExchangeOptions,
  what: string,
  start: (finish: Finish) => Running,
): Promise<Buffer> {
  let running: Running | undefined;
  return withDeadline(
    {
      clock: opts.clock ?? systemClock,
      ms: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onTimeout: () =>
        new TransportError(
          'timeout',
          `no answer from ${what} within ${opts.timeoutMs}ms${running?.timeoutDetail() ?? ''}`,
        ),
      onAbort: () => new TransportError('aborted', `cancelled while waiting for ${what}`),
    },
    (signal) =>
      new Promise<Buffer>((resolve, reject) => {
        let settled = false;
        const finish: Finish = (err, answer) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          running?.release();
          if (err) reject(err);
          else resolve(answer!);
        };
        const onAbort = (): void => finish(new TransportError('aborted', `gave up on ${what}`));
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          running = start(finish);
        } catch (err) {
          // Node throws synchronously for arguments no socket can take (a port out of range).
          finish(
            new TransportError('network-error', `cannot query ${what}: ${(err as Error).message}`, {
              cause: err,
            }),
          );
          return;
        }
        if (settled) running.release(); // finished before `running` was set
      }),
  );
}

/** socketFailure: a network-error naming what the errno means here (ECONNREFUSED over UDP is an ICMP port unreachable). */
function socketFailure(err: NodeJS.ErrnoException, what: string, tcp: boolean): TransportError {
  const code = err.code ?? 'socket error';
  const meaning =
    code !== 'ECONNREFUSED'
      ? code
      : tcp
        ? 'connection refused (RST)'
        : 'port unreachable (ICMP), nothing listens';
  return new TransportError('network-error', `${meaning} at ${what}`, { cause: err });
}

/**
 * exchangeUdp: a datagram socket per query, connect()ed to the server, so the
 * kernel drops packets from any other source and an ICMP port unreachable
 * comes back as ECONNREFUSED instead of a silent timeout.
 */
function exchangeUdp(query: Buffer, server: ServerAddress, opts: ExchangeOptions): Promise<Buffer> {
  const what = `${formatEndpoint(server.address, server.port)} (udp)`;
  return settle(opts, what, (finish) => {
    const socket = createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4');
    const ignored: string[] = [];
    socket.on('error', (err) => finish(socketFailure(err, what, false)));
    socket.on('message', (msg) => {
      const why = answerMismatch(query, msg);
      if (why === undefined) finish(undefined, msg);
      else ignored.push(why); // RFC 5452 §9.1: not our answer; keep listening for the real one
    });
    socket.connect(server.port, server.address, () => {
      socket.send(query, (err) => {
        if (err) finish(socketFailure(err, what, false));
      });
    });
    return {
      release: () => {
        try {
          socket.close();
        } catch {
          /* already closed after an error */
        }
      },
      timeoutDetail: () =>
        ignored.length === 0
          ? ''
          : `; ignored ${ignored.length} packet(s) that did not answer our query (${ignored[0]})`,
    };
  });
}

/**
 * exchangeTcp: one connection per query, the message and its two-byte length
 * prefix in one write (RFC 7766 §8), the answer read up to its declared
 * length and never beyond MAX_TCP_MESSAGE_OCTETS.
 */
function exchangeTcp(query: Buffer, server: ServerAddress, opts: ExchangeOptions): Promise<Buffer> {
  const what = `${formatEndpoint(server.address, server.port)} (tcp)`;
  return settle(opts, what, (finish) => {
    const socket = connect({ host: server.address, port: server.port, noDelay: true });
    let buf = Buffer.alloc(0);
    const need = (): number => (buf.length >= 2 ? buf.readUInt16BE(0) : NaN);
    socket.on('connect', () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(query.length);
      socket.write(Buffer.concat([prefix, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      if (need() === 0)
        return finish(new TransportError('malformed', `${what} sent a zero-length message`));
      if (buf.length < 2 + need()) return;
      const answer = buf.subarray(2, 2 + need());
      const why = answerMismatch(query, answer);
      // On our own connection nobody else can answer: a mismatch is a broken server (RFC 7766 §7).
      finish(
        why === undefined
          ? undefined
          : new TransportError('malformed', `${what} answered something else: ${why}`),
        answer,
      );
    });
    socket.on('end', () =>
      finish(
        buf.length === 0
          ? new TransportError('network-error', `${what} closed the connection without answering`)
          : new TransportError(
              'malformed',
              `${what} closed the connection mid-answer (${Math.max(0, buf.length - 2)} of ${need() || '?'} bytes)`,
            ),
      ),
    );
    socket.on('error', (err) => finish(socketFailure(err, what, true)));
    return {
      release: () => socket.destroy(),
      timeoutDetail: () =>
        buf.length === 0
          ? ''
          : `; ${Math.max(0, buf.length - 2)} of ${need() || '?'} bytes received`,
    };
  });
}

/**
 * UDP_TCP_TRANSPORT: classic DNS (RFC 1035 §4.2): UDP, or TCP when asked
 * (after a truncated answer, RFC 7766 §5). Stateless, so one instance serves
 * every resolver.
 */
export const UDP_TCP_TRANSPORT: DnsTransport = {
  protocol: (tcp) => (tcp ? 'tcp' : 'udp'),
  exchange: (query, server, opts) => (opts.tcp ? exchangeTcp : exchangeUdp)(query, server, opts),
};

/** PooledTransport: a DnsTransport with sockets to close when the run is over. */
export interface PooledTransport extends DnsTransport {
  close(): void;
}

/**
 * pooledUdpTransport: UDP over one long-lived socket per server, for a run that sends thousands
 * of queries (an audit: three or more per domain), where a socket per query costs more than the
 * query. Still connect()ed to its server, so the kernel drops packets from anyone else; answers
 * are matched to queries by ID and question (RFC 5452 §9.1), and several queries may share an
 * ID. The source port stays for the run (the query IDs are still random); TCP, after a
 * truncated answer, is a connection per query as before.
 */
export function pooledUdpTransport(): PooledTransport {
  const pools = new Map<string, PooledSocket[]>();
  return {
    protocol: UDP_TCP_TRANSPORT.protocol,
    exchange(query, server, opts) {
      if (opts.tcp) return exchangeTcp(query, server, opts);
      const key = formatEndpoint(server.address, server.port);
      const pool = (pools.get(key) ?? []).filter((s) => !s.broken);
      pools.set(key, pool);
      let pooled = pool.find((s) => s.pending < QUERIES_PER_SOCKET);
      if (!pooled) {
        pooled = new PooledSocket(server);
        pool.push(pooled);
      }
      return pooled.exchange(query, opts);
    },
    close() {
      for (const pool of pools.values()) for (const s of pool) s.close();
      pools.clear();
    },
  };
}

/**
 * QUERIES_PER_SOCKET: answers one socket may wait for at once. A burst of answers to one socket
 * can overflow its receive buffer (about 200 KB by default, each datagram counted at ~1 KB), and a
 * dropped answer costs a whole DNS timeout; more sockets share the load instead.
 */
export const QUERIES_PER_SOCKET = 32;

interface Waiter {
  query: Buffer;
  finish: Finish;
  ignored: string[];
}

/** PooledSocket: one connected UDP socket and the queries waiting on it, by ID. */
class PooledSocket {
  broken = false;
  private readonly socket: DgramSocket;
  private readonly waiting = new Map<number, Set<Waiter>>();
  private readonly ready: Promise<void>;
  private readonly what: string;

  /** pending: queries waiting for their answer. */
  get pending(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  constructor(server: ServerAddress) {
    this.what = `${formatEndpoint(server.address, server.port)} (udp)`;
    this.socket = createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4');
    this.socket.unref();
    this.socket.on('error', (err) => {
      // An ICMP error or a socket failure concerns every query on it; the next ones get a new socket.
      this.broken = true;
      for (const set of this.waiting.values())
        for (const w of set) w.finish(socketFailure(err, this.what, false));
      this.close();
    });
    this.socket.on('message', (msg: Buffer) => {
      const set = msg.length >= 2 ? this.waiting.get(msg.readUInt16BE(0)) : undefined;
      for (const w of set ?? []) {
        const why = answerMismatch(w.query, msg);
        if (why === undefined) return w.finish(undefined, msg);
        w.ignored.push(why);
      }
    });
    this.ready = new Promise((resolve) =>
      this.socket.connect(server.port, server.address, resolve),
    );
  }

  exchange(query: Buffer, opts: ExchangeOptions): Promise<Buffer> {
    return settle(opts, this.what, (finish) => {
      const id = query.readUInt16BE(0);
      const waiter: Waiter = { query, finish, ignored: [] };
      const set = this.waiting.get(id) ?? new Set<Waiter>();
      set.add(waiter);
      this.waiting.set(id, set);
      void this.ready.then(() => {
        if (this.broken) return;
        this.socket.send(query, (err) => {
          if (err) finish(socketFailure(err, this.what, false));
        });
      });
      return {
        release: () => {
          set.delete(waiter);
          if (set.size === 0 && this.waiting.get(id) === set) this.waiting.delete(id);
        },
        timeoutDetail: () =>
          waiter.ignored.length === 0
            ? ''
            : `; ignored ${waiter.ignored.length} packet(s) that did not answer our query (${waiter.ignored[0]})`,
      };
    });
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      /* closed already */
    }
  }
}
