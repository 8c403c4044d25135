/** Socket errors (errno codes) as ProbeErrors with the code a script can match on. */
import { ProbeError, type ErrorCode, type Stage } from '../errors.js';

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

/** classifySocketError: a ProbeError for a Node socket error met in `stage` at `endpoint`. */
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
