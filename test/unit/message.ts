/**
 * buildMessage (RFC 5322): the default fields, the user's fields replacing or adding, bad names
 * and control bytes refused, folding of a long field at a space (or refusal without one), MIME
 * fields for an 8-bit body, and the Date format.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMessage, type MessageInput, rfc5322Date } from '../../src/smtp/message.js';
import { encodeData } from '../../src/smtp/data.js';

const base: MessageInput = {
  from: 'probe@example.test',
  to: ['alice@example.test', 'bob@example.test'],
  body: 'hello\n',
  hostname: 'client.example.test',
  now: new Date(Date.UTC(2026, 11, 2, 4, 46, 5)),
  unique: 'r4nd0m',
};

function text(over: Partial<MessageInput> = {}): string {
  const m = buildMessage({ ...base, ...over });
  assert.ok(m.ok, m.ok ? '' : m.reason);
  return m.bytes.toString();
}
const header = (t: string, name: string) =>
  t
    .split('\n\n')[0]!
    .split('\n')
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));

describe('buildMessage', () => {
  test('Date, a Message-ID with our host, From and To from the envelope, a Subject, then the body', () => {
    const t = text();
    assert.equal(header(t, 'Date'), 'Date: Wed, 02 Dec 2026 04:46:05 +0000');
    assert.match(
      header(t, 'Message-ID') ?? '',
      /^Message-ID: <[0-9a-z]+\.r4nd0m@client\.example\.test>$/,
    );
    assert.equal(header(t, 'From'), 'From: <probe@example.test>');
    assert.equal(header(t, 'To'), 'To: <alice@example.test>, <bob@example.test>');
    assert.equal(header(t, 'Subject'), 'Subject: smtp-probe test message');
    assert.ok(t.endsWith('\n\nhello\n'));
    assert.equal(header(t, 'MIME-Version'), undefined, 'no MIME fields for an ASCII body');
  });

  test('a --header of a default name replaces it (any case); a new name is added', () => {
    const t = text({ headers: ['subject: mine', 'X-Test: 1'] });
    assert.equal(header(t, 'Subject'), 'subject: mine');
    assert.equal(t.match(/^subject:/gim)?.length, 1);
    assert.equal(header(t, 'X-Test'), 'X-Test: 1');
  });

  test('bad names and control bytes are refused, naming the field', () => {
    for (const h of ['no colon', ': empty name', 'Bad Name: x', 'X\u00e9: x']) {
      const m = buildMessage({ ...base, headers: [h] });
      assert.ok(!m.ok, h);
      assert.match(m.reason, /write Name: value/);
    }
    const cr = buildMessage({ ...base, subject: 'a\r\nBcc: evil@example.test' });
    assert.ok(!cr.ok);
    assert.match(cr.reason, /header Subject: its value holds a control byte/);
  });

  test('a field over 998 octets is folded at a space; every line then fits and DATA accepts it', () => {
    const long = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    const t = text({ subject: long });
    const lines = t.split('\n\n')[0]!.split('\n');
    assert.ok(lines.every((l) => Buffer.byteLength(l) <= 998));
    assert.ok(
      lines.some((l) => l.startsWith(' ')),
      'a continuation line starts with the space',
    );
    assert.equal(lines.join('').length, t.split('\n\n')[0]!.replaceAll('\n', '').length);
    assert.ok(encodeData(t).ok);
  });

  test('a field over 998 octets without a space is refused', () => {
    const m = buildMessage({ ...base, subject: 'x'.repeat(1000) });
    assert.ok(!m.ok);
    assert.match(m.reason, /no space to fold it at \(RFC 5322 §2\.2\.3\)/);
  });

  test('an 8-bit body gets MIME-Version, a UTF-8 text type and 8bit encoding', () => {
    const t = text({ body: 'Grüße\n' });
    assert.equal(header(t, 'MIME-Version'), 'MIME-Version: 1.0');
    assert.equal(header(t, 'Content-Type'), 'Content-Type: text/plain; charset=utf-8');
    assert.equal(header(t, 'Content-Transfer-Encoding'), 'Content-Transfer-Encoding: 8bit');
  });

  test('a body of octets that are not UTF-8 is kept byte for byte and labelled unknown-8bit', () => {
    const body = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]);
    const m = buildMessage({ ...base, body });
    assert.ok(m.ok);
    assert.deepEqual(m.bytes.subarray(m.bytes.length - body.length), body);
    assert.equal(
      header(m.bytes.toString('latin1'), 'Content-Type'),
      'Content-Type: text/plain; charset=unknown-8bit',
    );
  });
});

test('rfc5322Date: two-digit day and time, English names, UTC', () => {
  assert.equal(
    rfc5322Date(new Date(Date.UTC(2027, 0, 3, 9, 5, 7))),
    'Sun, 03 Jan 2027 09:05:07 +0000',
  );
});
