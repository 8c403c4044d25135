/** Mailbox syntax (RFC 5321 §4.1.2): what is accepted, how it is normalized, and what is refused before any connection. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseMailbox, parseUserOrMailbox } from '../../src/smtp/address.js';
import { ProbeError } from '../../src/errors.js';

const invalid = (e: unknown): boolean =>
  e instanceof ProbeError && e.code === 'INVALID_INPUT' && e.stage === 'input';

describe('parseMailbox', () => {
  const ok: [string, string, boolean][] = [
    ['alice@example.com', 'alice@example.com', false],
    ['<bob@Example.COM>', 'bob@example.com', false],
    ['first.last+tag@example.com', 'first.last+tag@example.com', false],
    ['"john doe"@example.com', '"john doe"@example.com', false],
    ['"a\\"b"@example.com', '"a\\"b"@example.com', false],
    ['user@bücher.example', 'user@xn--bcher-kva.example', false],
    ['müller@example.com', 'müller@example.com', true],
    ['postmaster@[192.0.2.1]', 'postmaster@[192.0.2.1]', false],
    ['postmaster@[IPv6:2001:db8::1]', 'postmaster@[IPv6:2001:db8::1]', false],
  ];
  for (const [input, address, utf8] of ok) {
    test(`accepts ${input}`, () => {
      const m = parseMailbox(input);
      assert.equal(m.address, address);
      assert.equal(m.smtputf8, utf8);
    });
  }
  const bad = [
    '',
    'alice',
    'alice@',
    '@example.com',
    'a..b@example.com',
    '.a@example.com',
    'john doe@example.com',
    'a@exa mple.com',
    'a@-bad.com',
    `${'x'.repeat(65)}@example.com`,
    `a@${'l'.repeat(64)}.com`,
    'a@[300.1.1.1]',
    'a@[IPv6:192.0.2.1]',
    'a\r\nRCPT TO:<b@c.d>@example.com',
    'a@example.com\r\nDATA',
    'a\u0000@example.com',
  ];
  for (const input of bad)
    test(`refuses ${JSON.stringify(input)}`, () =>
      assert.throws(() => parseMailbox(input), invalid));
});

describe('parseUserOrMailbox', () => {
  test('a bare user name or a mailbox', () => {
    assert.equal(parseUserOrMailbox('postmaster'), 'postmaster');
    assert.equal(parseUserOrMailbox('Alice@Example.com'), 'Alice@example.com');
    assert.throws(() => parseUserOrMailbox('two words'), invalid);
    assert.throws(() => parseUserOrMailbox('root\nEXPN staff'), invalid);
  });
});
