/**
 * send's pure parts: the queue id read from each MTA's wording of "accepted", and AUTH PLAIN and
 * LOGIN (RFC 4616, RFC 4954): the mechanism chosen from EHLO, the responses, the secret's forms.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseMechanism,
  loginResponses,
  plainResponse,
  secretForms,
} from '../../src/smtp/auth.js';
import { queueIdOf } from '../../src/smtp/queue-id.js';
import { ReplyAssembler, type Reply } from '../../src/smtp/reply.js';

/** parseReply: one reply line through the parser the session uses. */
const parseReply = (line: string): Reply => new ReplyAssembler().push(line)!;

describe('queueIdOf', () => {
  const cases: [string, string, string | null][] = [
    ['Postfix', '250 2.0.0 Ok: queued as 4XyZ1c2d3F', '4XyZ1c2d3F'],
    ['Exim', '250 OK id=1tQ2ab-000123-Xy', '1tQ2ab-000123-Xy'],
    [
      'Exchange',
      '250 2.6.0 <a@b> [InternalId=1234567, Hostname=EX01] Queued mail for delivery',
      '1234567',
    ],
    ['Gmail', '250 2.0.0 OK  1700000000 a1b2c3.45 - gsmtp', 'a1b2c3.45'],
    ['qmail', '250 ok 1700000000 qp 12345', '12345'],
    ['Sendmail', '250 2.0.0 4B2K3abc012345 Message accepted for delivery', '4B2K3abc012345'],
    ['no id in the words', '250 2.0.0 Ok', null],
    ['a refusal names no id, whatever it says', '554 5.7.1 rejected: queued as NOPE', null],
  ];
  for (const [name, line, id] of cases)
    test(name, () => assert.equal(queueIdOf(parseReply(line)), id));
});

describe('AUTH', () => {
  const c = { user: 'alice', password: 's3cret' };
  test('PLAIN: NUL, user, NUL, password in base64 (no authorization identity)', () => {
    assert.equal(Buffer.from(plainResponse(c), 'base64').toString(), '\0alice\0s3cret');
  });
  test('LOGIN: the user, then the password, each in base64', () => {
    assert.deepEqual(
      loginResponses(c).map((r) => Buffer.from(r, 'base64').toString()),
      ['alice', 's3cret'],
    );
  });
  test('every form of the password the wire carries is a secret to hide', () => {
    const forms = secretForms(c);
    assert.ok(forms.includes('s3cret'));
    assert.ok(forms.includes(Buffer.from('s3cret').toString('base64')));
    assert.ok(forms.includes(plainResponse(c)));
  });
  test('the mechanism: PLAIN before LOGIN, case-insensitive, a wanted one only when offered', () => {
    assert.equal(chooseMechanism(['login', 'plain']), 'PLAIN');
    assert.equal(chooseMechanism(['LOGIN', 'CRAM-MD5']), 'LOGIN');
    assert.equal(chooseMechanism(['PLAIN', 'LOGIN'], 'LOGIN'), 'LOGIN');
    assert.equal(chooseMechanism(['PLAIN'], 'LOGIN'), null);
    assert.equal(chooseMechanism(['CRAM-MD5', 'XOAUTH2']), null);
    assert.equal(chooseMechanism(undefined), null);
  });
});
