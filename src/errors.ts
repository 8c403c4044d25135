/**
 * The error catalogue. Every failure a probe can meet is a ProbeError with a
 * stable `code` (callers match on it, never on message text), the `stage` it
 * happened in, and the target and elapsed time, so one line tells a user what
 * broke and where. docs/output.md repeats this catalogue.
 */
import { findControlByte } from './guard.js';
import { STAGES, STATUSES, type Stage, type Status } from './vocabulary.js';

export { STAGES, STATUSES };

export type { Stage, Status };

/** ERROR_CODES: each stable code with the status it maps to and a hint for the user. */
export const ERROR_CODES = {
  INVALID_INPUT: { status: 'invalid-input', hint: 'fix the argument; nothing was sent' },
  RESOLVE_NOT_FOUND: {
    status: 'host-unreachable',
    hint: 'check the host name (it has no A/AAAA record)',
  },
  RESOLVE_FAILED: { status: 'host-unreachable', hint: 'check the resolver or pass an IP address' },
  CONNECTION_REFUSED: {
    status: 'connection-refused',
    hint: 'nothing listens there: check host and port',
  },
  CONNECT_TIMEOUT: {
    status: 'connection-timeout',
    hint: 'the host did not answer the SYN: it is down or filtered; raise --connect-timeout to wait longer',
  },
  HOST_UNREACHABLE: {
    status: 'host-unreachable',
    hint: 'no route to the host: check the address and your network',
  },
  CONNECTION_CLOSED: {
    status: 'connection-closed',
    hint: 'the server hung up; run with --transcript to see the last lines',
  },
  GREETING_TIMEOUT: {
    status: 'greeting-timeout',
    hint: 'the server accepted TCP but never greeted; raise --greeting-timeout for slow (tarpitting) servers',
  },
  COMMAND_TIMEOUT: {
    status: 'io-timeout',
    hint: 'the server stopped answering; raise --command-timeout',
  },
  TARGET_TIMEOUT: {
    status: 'io-timeout',
    hint: 'the whole probe ran out of time; raise --timeout',
  },
  TLS_HANDSHAKE_FAILED: { status: 'tls-error', hint: 'the TLS handshake failed; see the cause' },
  TLS_CERT_INVALID: {
    status: 'tls-error',
    hint: 'the certificate does not match the name or chain to a trusted root; pass --ca for a private CA, or drop --tls-verify to report instead of fail',
  },
  STARTTLS_REFUSED: {
    status: 'tls-error',
    hint: 'the server advertised STARTTLS but refused it; use --no-starttls to probe in clear',
  },
  PROTOCOL_ERROR: {
    status: 'protocol-error',
    hint: 'the server broke the SMTP reply syntax; see the quoted line',
  },
  UNSOLICITED_REPLY: {
    status: 'protocol-error',
    hint: 'the server sent a reply no command asked for: its replies cannot be paired with commands, so the answers around it were not believed',
  },
  REPLY_TOO_LARGE: {
    status: 'protocol-error',
    hint: 'the server sent an oversized reply; it was cut off to bound memory',
  },
  GREETING_REJECTED: {
    status: 'rejected',
    hint: 'the server refuses sessions from you (greeting was not 220)',
  },
  HELLO_REJECTED: {
    status: 'rejected',
    hint: 'the server refused both EHLO and HELO; try another --helo name',
  },
  AUTH_FAILED: {
    status: 'rejected',
    hint: 'the server refused the credentials or the mechanism: check --auth-user and the password, or try --auth-mech',
  },
  AUTH_UNAVAILABLE: {
    status: 'rejected',
    hint: 'no credentials were sent: the server offers no usable AUTH here; most offer it only after STARTTLS (on 587 or 465)',
  },
  SENDER_REFUSED: {
    status: 'rejected',
    hint: 'the server refused MAIL FROM: check --from (SPF, a domain it accepts, authentication for submission)',
  },
  RECIPIENT_REFUSED: {
    status: 'rejected',
    hint: 'the server refused a recipient: see its reply for each --to (no such user, relaying denied, greylisting)',
  },
  MESSAGE_REFUSED: {
    status: 'rejected',
    hint: 'the server refused the message at DATA or after it: see the reply (content filter, size, policy)',
  },
  MESSAGE_UNSUITABLE: {
    status: 'rejected',
    hint: 'the message needs an extension the server does not offer (SIZE, 8BITMIME, SMTPUTF8, DSN); nothing of it was sent',
  },
  ABORTED: { status: 'aborted', hint: 'interrupted; results so far are shown' },
} as const satisfies Record<string, { status: Status; hint: string }>;
export type ErrorCode = keyof typeof ERROR_CODES;

/** ProbeErrorInit: what a ProbeError is made from. */
export interface ProbeErrorInit {
  code: ErrorCode;
  stage: Stage;
  message: string;
  target?: string;
  elapsedMs?: number;
  cause?: unknown;
}

/** ProbeError: the one error class of the probes; carries code, stage and context. */
export class ProbeError extends Error {
  readonly code: ErrorCode;
  readonly stage: Stage;
  target?: string;
  elapsedMs?: number;

  constructor(init: ProbeErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProbeError';
    this.code = init.code;
    this.stage = init.stage;
    this.target = init.target;
    this.elapsedMs = init.elapsedMs;
  }

  /** status: the closed-set status this error gives its target. */
  get status(): Status {
    return ERROR_CODES[this.code].status;
  }

  /** hint: what the user can do next. */
  get hint(): string {
    return ERROR_CODES[this.code].hint;
  }
}

/** invalidInput: a ProbeError for bad user input (stage `input`, nothing sent). */
export function invalidInput(message: string): ProbeError {
  return new ProbeError({ code: 'INVALID_INPUT', stage: 'input', message });
}

/**
 * assertSafe: throws INVALID_INPUT (stage input) when `value` holds a control
 * byte, so nothing can be injected into an SMTP stream, a DNS name or a log.
 * `what` names the argument in the message ("HELO name", "address").
 */
export function assertSafe(what: string, value: string): void {
  const found = findControlByte(value);
  if (found) {
    throw invalidInput(
      `${what} contains ${found} (${JSON.stringify(value)}); control bytes are refused so nothing can be injected into the SMTP stream`,
    );
  }
}

/** causeText: a one-line description of an error's cause chain, for output. */
export function causeText(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause === undefined) return undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}
