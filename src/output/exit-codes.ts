/**
 * Exit codes, one per kind of outcome a script needs to tell apart. The
 * README repeats this table; never renumber an existing code.
 */
import type { ErrorCode, Status } from '../errors.js';

/** EXIT: the documented exit codes. */
export const EXIT = {
  OK: 0,
  /** A bug in smtp-probe (an exception that is not a ProbeError). */
  INTERNAL: 1,
  /** Bad flags or arguments (invalid input); nothing was sent. */
  USAGE: 2,
  /** Could not connect: refused, timed out, unreachable, or the name did not resolve. */
  CONNECT: 3,
  /** Connected, but a stage failed: greeting/command timeout, closed connection, protocol error. */
  STAGE: 4,
  /** TLS failed: handshake, STARTTLS refused, or a certificate rejected under --tls-verify. */
  TLS: 5,
  /** The server refused us: greeting not 220, or EHLO and HELO both refused. */
  REJECTED: 6,
  /** failover: the mail would be delivered, but later than --max-delay. */
  DELAYED: 7,
  /** mx/failover: no host takes the mail (null MX, no such domain, every address fails). */
  UNDELIVERABLE: 8,
  /** audit: a finding at or above --fail-on. */
  FINDINGS: 9,
  /** send: AUTH refused, or no usable AUTH offered (credentials never sent in clear without --allow-plain-auth). */
  AUTH: 10,
  /** send: the server refused MAIL FROM. */
  SENDER: 11,
  /** send: a recipient was refused (the message may still have gone to the others). */
  RECIPIENT: 12,
  /** send: the server refused DATA or the message after its end-of-data dot. */
  MESSAGE: 13,
  /** send: the message needs SIZE, 8BITMIME, SMTPUTF8 or DSN the server does not offer; not sent. */
  UNSUITABLE: 14,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

const BY_STATUS: Record<Status, number> = {
  ok: EXIT.OK,
  'invalid-input': EXIT.USAGE,
  'connection-refused': EXIT.CONNECT,
  'connection-timeout': EXIT.CONNECT,
  'host-unreachable': EXIT.CONNECT,
  'connection-closed': EXIT.STAGE,
  'greeting-timeout': EXIT.STAGE,
  'io-timeout': EXIT.STAGE,
  'protocol-error': EXIT.STAGE,
  'tls-error': EXIT.TLS,
  rejected: EXIT.REJECTED,
  aborted: EXIT.INTERRUPTED,
};

// Refusals `send` tells apart, each its own code; every other error goes by its status.
const BY_CODE: Partial<Record<ErrorCode, number>> = {
  AUTH_FAILED: EXIT.AUTH,
  AUTH_UNAVAILABLE: EXIT.AUTH,
  SENDER_REFUSED: EXIT.SENDER,
  RECIPIENT_REFUSED: EXIT.RECIPIENT,
  MESSAGE_REFUSED: EXIT.MESSAGE,
  MESSAGE_UNSUITABLE: EXIT.UNSUITABLE,
};

/** exitCodeFor: the exit code a status gives, or the one its error's code has of its own. */
export function exitCodeFor(status: Status, code?: ErrorCode): number {
  return (code === undefined ? undefined : BY_CODE[code]) ?? BY_STATUS[status];
}
