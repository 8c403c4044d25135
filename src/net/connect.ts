/**
 * TCP connection with a deadline and a classified failure. The distinction a
 * mail admin cares about is made here: RST (refused, fails in one round
 * trip), silence (timeout: the host is down or a firewall drops SYNs) and
 * ICMP unreachable.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { ProbeError, type ErrorCode, type Stage } from '../errors.js';
import { formatEndpoint } from './target.js';

/** ConnectOptions: where, how long, and the signal that cancels everything. */
export interface ConnectOptions {
  address: string;
  port: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

const ERRNO_CODES: Record<string, ErrorCode> = {
  ECONNREFUSED: 'CONNECTION_REFUSED',
  ETIMEDOUT: 'CONNECT_TIMEOUT',
  EHOSTUNREACH: 'HOST_UNREACHABLE',
  ENETUNREACH: 'HOST_UNREACHABLE',
  EHOSTDOWN: 'HOST_UNREACHABLE',
  EADDRNOTAVAIL: 'HOST_UNREACHABLE',
  ECONNRESET: 'CONNECTION_CLOSED',
  EPIPE: 'CONNECTION_CLOSED',
};

/** classifySocketError: a ProbeError for a Node socket error met in `stage`. */
export function classifySocketError(
  err: NodeJS.ErrnoException,
  stage: Stage,
  endpoint: string,
): ProbeError {
  const code: ErrorCode = ERRNO_CODES[err.code ?? ''] ?? 'CONNECTION_CLOSED';
  const what =
    code === 'CONNECTION_REFUSED' ? 'connection refused (RST)' : (err.code ?? 'socket error');
  return new ProbeError({
    code,
    stage,
    message: `${what} (address: ${endpoint})`,
    target: endpoint,
    cause: err,
  });
}

/** abortError: the ProbeError for a cancelled signal: TARGET_TIMEOUT for the whole-target deadline, ABORTED for Ctrl-C. */
export function abortError(signal: AbortSignal, stage: Stage, endpoint: string): ProbeError {
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return new ProbeError({
    code: timedOut ? 'TARGET_TIMEOUT' : 'ABORTED',
    stage,
    message: timedOut
      ? `whole-target timeout reached during ${stage} (address: ${endpoint})`
      : `interrupted during ${stage}`,
    target: endpoint,
  });
}

/** openTcp: a connected socket, or a ProbeError at stage `connect`. */
export function openTcp(opts: ConnectOptions): Promise<Socket> {
  const endpoint = formatEndpoint(opts.address, opts.port);
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(abortError(opts.signal, 'connect', endpoint));
    const socket = tcpConnect({ host: opts.address, port: opts.port, noDelay: true });
    const finish = (err?: ProbeError): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onError = (err: NodeJS.ErrnoException): void =>
      finish(classifySocketError(err, 'connect', endpoint));
    const onAbort = (): void => finish(abortError(opts.signal!, 'connect', endpoint));
    const timer = setTimeout(
      () =>
        finish(
          new ProbeError({
            code: 'CONNECT_TIMEOUT',
            stage: 'connect',
            target: endpoint,
            message: `connect timeout (address: ${endpoint}, timeout: ${opts.timeoutMs}ms): no SYN-ACK, host down or packets dropped`,
          }),
        ),
      opts.timeoutMs,
    );
    socket.once('connect', () => finish());
    socket.once('error', onError);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
