/**
 * How a query reaches a server. Pluggable (DNS over HTTPS is the next
 * transport); the default speaks UDP and, for truncated answers, TCP with
 * RFC 7766's two-byte length framing.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { isIP } from 'node:net';
import type { ServerAddress } from './name.js';

/** TransportError: why an exchange produced no answer. */
export class TransportError extends Error {
  constructor(readonly kind: 'timeout' | 'network-error' | 'malformed', message: string) {
    super(message);
  }
}

/** ExchangeOptions: deadline, cancellation, and which packets count as the answer. */
export interface ExchangeOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** accept: whether a received packet answers our query (UDP keeps waiting past strangers; throws for garbage). */
  accept: (bytes: Buffer) => boolean;
}

/** DnsTransport: one query, one answer. */
export interface DnsTransport {
  readonly name: 'udp' | 'tcp' | 'https';
  exchange(query: Buffer, server: ServerAddress, opts: ExchangeOptions): Promise<Buffer>;
}

/** MAX_TCP_MESSAGE: the framing allows 65535 octets; more is a broken server. */
const MAX_TCP_MESSAGE = 65_535;

function withDeadline<T>(opts: ExchangeOptions, run: (done: (err?: Error, value?: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup: () => void = () => undefined;
    const done = (err?: Error, value?: T): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      cleanup();
      if (err) reject(err);
      else resolve(value as T);
    };
    const onAbort = (): void => done(new TransportError('timeout', 'cancelled'));
    const timer = setTimeout(() => done(new TransportError('timeout', `no answer within ${opts.timeoutMs}ms`)), opts.timeoutMs);
    if (opts.signal?.aborted) return done(new TransportError('timeout', 'cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = run(done);
  });
}

/** UDP_TRANSPORT: a connected datagram socket per query (so ICMP port unreachable surfaces as ECONNREFUSED). */
export const UDP_TRANSPORT: DnsTransport = {
  name: 'udp',
  exchange: (query, server, opts) => withDeadline<Buffer>(opts, (done) => {
    const socket = createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4');
    socket.on('error', (err: NodeJS.ErrnoException) => done(new TransportError('network-error', `${err.code ?? 'error'}: ${err.message}`)));
    socket.on('message', (msg) => {
      try {
        if (opts.accept(msg)) done(undefined, msg);
      } catch (err) {
        done(new TransportError('malformed', `unparseable answer: ${(err as Error).message}`));
      }
    });
    socket.connect(server.port, server.address, () => socket.send(query));
    return () => {
      try {
        socket.close();
      } catch {
        // Already closed by an error: nothing left to release.
      }
    };
  }),
};

/** TCP_TRANSPORT: one connection per query, two-byte length prefix both ways (RFC 7766 §8). */
export const TCP_TRANSPORT: DnsTransport = {
  name: 'tcp',
  exchange: (query, server, opts) => withDeadline<Buffer>(opts, (done) => {
    const socket = connect({ host: server.address, port: server.port });
    let buf = Buffer.alloc(0);
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      socket.write(Buffer.concat([len, query]));
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      const need = buf.readUInt16BE(0);
      if (buf.length > MAX_TCP_MESSAGE + 2) return done(new TransportError('malformed', 'answer longer than its length prefix'));
      if (buf.length < need + 2) return;
      const msg = buf.subarray(2, need + 2);
      try {
        if (opts.accept(msg)) done(undefined, msg);
        else done(new TransportError('malformed', 'TCP answer does not match the query'));
      } catch (err) {
        done(new TransportError('malformed', `unparseable answer: ${(err as Error).message}`));
      }
    });
    socket.on('end', () => done(new TransportError('network-error', 'connection closed before a full answer')));
    socket.on('error', (err: NodeJS.ErrnoException) => done(new TransportError('network-error', `${err.code ?? 'error'}: ${err.message}`)));
    return () => socket.destroy();
  }),
};
