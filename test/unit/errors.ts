/** The error catalogue: code → status mapping, ProbeError, errorInfo as data. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  ERROR_CODES,
  ProbeError,
  STAGES,
  STATUSES,
  causeText,
  invalidInput,
  type ErrorCode,
  type Status,
} from '../../src/errors.js';
import { errorInfo } from '../../src/error-info.js';
import { ErrorInfoSchema } from '../../src/schema/envelope.js';

// The mapping as the README promises it; a change to ERROR_CODES must show up here.
const EXPECTED: Record<ErrorCode, Status> = {
  INVALID_INPUT: 'invalid-input',
  RESOLVE_NOT_FOUND: 'host-unreachable',
  RESOLVE_FAILED: 'host-unreachable',
  CONNECTION_REFUSED: 'connection-refused',
  CONNECT_TIMEOUT: 'connection-timeout',
  HOST_UNREACHABLE: 'host-unreachable',
  CONNECTION_CLOSED: 'connection-closed',
  GREETING_TIMEOUT: 'greeting-timeout',
  COMMAND_TIMEOUT: 'io-timeout',
  TARGET_TIMEOUT: 'io-timeout',
  TLS_HANDSHAKE_FAILED: 'tls-error',
  TLS_CERT_INVALID: 'tls-error',
  STARTTLS_REFUSED: 'tls-error',
  PROTOCOL_ERROR: 'protocol-error',
  UNSOLICITED_REPLY: 'protocol-error',
  REPLY_TOO_LARGE: 'protocol-error',
  GREETING_REJECTED: 'rejected',
  HELLO_REJECTED: 'rejected',
  AUTH_FAILED: 'rejected',
  AUTH_UNAVAILABLE: 'rejected',
  SENDER_REFUSED: 'rejected',
  RECIPIENT_REFUSED: 'rejected',
  MESSAGE_REFUSED: 'rejected',
  MESSAGE_UNSUITABLE: 'rejected',
  ABORTED: 'aborted',
};

describe('status mapping', () => {
  for (const code of Object.keys(EXPECTED) as ErrorCode[]) {
    test(`${code} → ${EXPECTED[code]}`, () => {
      const err = new ProbeError({ code, stage: 'connect', message: 'm' });
      assert.equal(err.status, EXPECTED[code]);
      assert.equal(err.hint, ERROR_CODES[code].hint);
      assert.ok(err.hint.length > 10, 'a hint a user can act on');
    });
  }

  test('the catalogue has no code this table lacks', () => {
    assert.deepEqual(Object.keys(ERROR_CODES).sort(), Object.keys(EXPECTED).sort());
  });

  test('every status but ok is reachable from some error code', () => {
    const reached = new Set(Object.values(ERROR_CODES).map((e) => e.status));
    assert.deepEqual(
      STATUSES.filter((s) => s !== 'ok' && !reached.has(s)),
      [],
    );
    assert.ok(!(reached as Set<string>).has('ok'));
  });
});

describe('ProbeError', () => {
  test('carries code, stage, target, elapsed time and cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), {
      code: 'ECONNREFUSED',
    });
    const err = new ProbeError({
      code: 'CONNECTION_REFUSED',
      stage: 'connect',
      message: 'refused',
      target: '127.0.0.1:25',
      elapsedMs: 1.23,
      cause,
    });
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'ProbeError');
    assert.deepEqual(
      [err.code, err.stage, err.target, err.elapsedMs, err.cause],
      ['CONNECTION_REFUSED', 'connect', '127.0.0.1:25', 1.23, cause],
    );
  });

  test('invalidInput is INVALID_INPUT at stage input', () => {
    const err = invalidInput('bad');
    assert.deepEqual(
      [err.code, err.stage, err.status, err.message],
      ['INVALID_INPUT', 'input', 'invalid-input', 'bad'],
    );
  });

  test('stages are listed in conversation order', () => {
    for (const [a, b] of [
      ['connect', 'greeting'],
      ['greeting', 'ehlo'],
      ['ehlo', 'starttls'],
      ['mail', 'rcpt'],
      ['rcpt', 'quit'],
    ] as const) {
      assert.ok(STAGES.indexOf(a) < STAGES.indexOf(b), `${a} before ${b}`);
    }
  });
});

describe('causeText', () => {
  const table: [string, unknown, string | undefined][] = [
    ['no cause', new Error('x'), undefined],
    [
      'errno cause',
      new Error('x', {
        cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      }),
      'ECONNRESET: read ECONNRESET',
    ],
    ['plain error cause', new Error('x', { cause: new Error('bad record mac') }), 'bad record mac'],
    ['non-error cause', new Error('x', { cause: 'just text' }), 'just text'],
    ['not an error', 'a string', undefined],
  ];
  for (const [name, err, want] of table) test(name, () => assert.equal(causeText(err), want));
});

describe('errorInfo', () => {
  test('a full ProbeError as schema-valid data, elapsed rounded to 0.1 ms', () => {
    const err = new ProbeError({
      code: 'COMMAND_TIMEOUT',
      stage: 'ehlo',
      message: 'no reply during ehlo within 200ms (address: 127.0.0.1:2525)',
      target: '127.0.0.1:2525',
      elapsedMs: 203.4567,
      cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    });
    const info = errorInfo(err);
    assert.deepEqual(info, {
      code: 'COMMAND_TIMEOUT',
      stage: 'ehlo',
      message: 'no reply during ehlo within 200ms (address: 127.0.0.1:2525)',
      hint: ERROR_CODES.COMMAND_TIMEOUT.hint,
      target: '127.0.0.1:2525',
      elapsedMs: 203.5,
      cause: 'ECONNRESET: socket hang up',
    });
    assert.deepEqual(ErrorInfoSchema.parse(info), info);
  });

  test('optional fields are left out, not set to undefined', () => {
    const info = errorInfo(invalidInput('target is empty'));
    assert.deepEqual(Object.keys(info).sort(), ['code', 'hint', 'message', 'stage']);
    ErrorInfoSchema.parse(info);
  });

  test('every code and stage passes the schema', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      for (const stage of STAGES)
        ErrorInfoSchema.parse(errorInfo(new ProbeError({ code, stage, message: 'm' })));
    }
  });
});
