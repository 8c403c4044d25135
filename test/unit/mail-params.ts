/**
 * mailParameters against EHLO capabilities: SIZE declared and checked (RFC 1870), BODY=8BITMIME
 * and SMTPUTF8 only when offered (RFC 6152, RFC 6531), DSN's RET, ENVID (xtext) and NOTIFY only
 * with DSN (RFC 3461), each refusal saying what to change.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mailParameters, xtext, type MessageNeeds } from '../../src/smtp/mail-params.js';
import { parseCapabilities } from '../../src/smtp/capabilities.js';

const caps = (...lines: string[]) =>
  parseCapabilities({ code: 250, lines: ['mx.example.test', ...lines] });
const plain: MessageNeeds = { size: 1200, eightBit: false, smtpUtf8: false };

describe('mailParameters', () => {
  test('nothing offered, nothing needed: no parameters', () => {
    assert.deepEqual(mailParameters(caps(), plain), { ok: true, mail: [], rcpt: [] });
  });

  test('SIZE offered: SIZE= declared; over the limit refused before DATA; SIZE 0 has no limit', () => {
    assert.deepEqual(mailParameters(caps('SIZE 10240000'), plain), {
      ok: true,
      mail: ['SIZE=1200'],
      rcpt: [],
    });
    const over = mailParameters(caps('SIZE 1000'), plain);
    assert.ok(!over.ok);
    assert.match(
      over.reason,
      /1200 octets and the server takes at most 1000 \(SIZE, RFC 1870 §6\)/,
    );
    assert.deepEqual(mailParameters(caps('SIZE'), { ...plain, size: 10 ** 9 }), {
      ok: true,
      mail: ['SIZE=1000000000'],
      rcpt: [],
    });
  });

  test('an 8-bit body: BODY=8BITMIME with 8BITMIME, refused without', () => {
    const need = { ...plain, eightBit: true };
    assert.deepEqual(mailParameters(caps('8BITMIME'), need), {
      ok: true,
      mail: ['BODY=8BITMIME'],
      rcpt: [],
    });
    const r = mailParameters(caps(), need);
    assert.ok(!r.ok);
    assert.match(r.reason, /does not offer 8BITMIME \(RFC 6152 §3\)/);
  });

  test('a non-ASCII address: SMTPUTF8 with SMTPUTF8, refused without', () => {
    const need = { ...plain, smtpUtf8: true };
    assert.deepEqual(mailParameters(caps('SMTPUTF8'), need), {
      ok: true,
      mail: ['SMTPUTF8'],
      rcpt: [],
    });
    assert.equal(mailParameters(caps('8BITMIME'), need).ok, false);
  });

  test('DSN: RET and ENVID on MAIL, NOTIFY on RCPT, only when DSN is offered', () => {
    const dsn = { notify: ['failure', 'delay'], ret: 'HDRS' as const, envid: 'QQ 1+2=3' };
    assert.deepEqual(mailParameters(caps('DSN'), { ...plain, dsn }), {
      ok: true,
      mail: ['RET=HDRS', 'ENVID=QQ+201+2B2+3D3'],
      rcpt: ['NOTIFY=FAILURE,DELAY'],
    });
    const r = mailParameters(caps('SIZE 100000'), { ...plain, dsn });
    assert.ok(!r.ok);
    assert.match(
      r.reason,
      /does not offer DSN \(RFC 3461 §4\); drop --dsn-notify, --dsn-ret and --envid/,
    );
    assert.deepEqual(mailParameters(caps(), { ...plain, dsn: {} }), {
      ok: true,
      mail: [],
      rcpt: [],
    });
  });

  test('NOTIFY: NEVER alone; unknown words refused; ENVID limited to 100 printable characters', () => {
    const bad = (dsn: MessageNeeds['dsn']) => mailParameters(caps('DSN'), { ...plain, dsn }).ok;
    assert.equal(bad({ notify: ['NEVER', 'SUCCESS'] }), false);
    assert.equal(bad({ notify: ['SOMETIMES'] }), false);
    assert.equal(bad({ notify: ['never'] }), true);
    assert.equal(bad({ envid: 'x'.repeat(101) }), false);
    assert.equal(bad({ envid: 'a\tb' }), false);
  });
});

test('xtext: "+", "=", space and non-printables as +HH; the rest as is', () => {
  assert.equal(xtext('a+b=c d~!'), 'a+2Bb+3Dc+20d~!');
});
