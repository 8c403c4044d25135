/** parseTarget: every accepted form, and everything refused before a socket or resolver sees it. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatEndpoint, parseTarget, type Target } from '../../src/net/target.js';
import { ProbeError } from '../../src/errors.js';

describe('parseTarget accepts', () => {
  const label63 = 'a'.repeat(63);
  // 4 labels of 63 + 3 dots = 255 is too long; 3×63 + 61 + 3 dots = 253 is the longest name.
  const name253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`;
  const cases: { input: string; want: Omit<Target, 'input'>; defaultPort?: number }[] = [
    { input: 'mx.example.com', want: { host: 'mx.example.com', port: 25, family: 0 } },
    { input: 'mx.example.com:587', want: { host: 'mx.example.com', port: 587, family: 0 } },
    { input: 'MX.Example.COM.', want: { host: 'mx.example.com', port: 25, family: 0 } },
    { input: '  mx.example.com  ', want: { host: 'mx.example.com', port: 25, family: 0 } },
    { input: 'localhost', want: { host: 'localhost', port: 25, family: 0 } },
    {
      input: '_dmarc-ish_host.example.org',
      want: { host: '_dmarc-ish_host.example.org', port: 25, family: 0 },
    },
    {
      input: 'xn--bcher-kva.example',
      want: { host: 'xn--bcher-kva.example', port: 25, family: 0 },
    },
    { input: `${label63}.example`, want: { host: `${label63}.example`, port: 25, family: 0 } },
    { input: name253, want: { host: name253, port: 25, family: 0 } },
    { input: `${name253}.`, want: { host: name253, port: 25, family: 0 } },
    { input: '192.0.2.1', want: { host: '192.0.2.1', port: 25, family: 4 } },
    { input: '192.0.2.1:2525', want: { host: '192.0.2.1', port: 2525, family: 4 } },
    { input: '[2001:db8::25]', want: { host: '2001:db8::25', port: 25, family: 6 } },
    { input: '[2001:db8::25]:465', want: { host: '2001:db8::25', port: 465, family: 6 } },
    { input: '[::1]:25', want: { host: '::1', port: 25, family: 6 } },
    { input: '::1', want: { host: '::1', port: 25, family: 6 } },
    { input: '2001:db8::1', want: { host: '2001:db8::1', port: 25, family: 6 } },
    // "::1:25" is both the address ::1:25 and ::1 on port 25: it is refused (below); brackets decide.
    { input: '[::1:25]', want: { host: '::1:25', port: 25, family: 6 } },
    { input: '2001:db8::25', want: { host: '2001:db8::25', port: 25, family: 6 } },
    { input: 'mx.example.com:1', want: { host: 'mx.example.com', port: 1, family: 0 } },
    { input: 'mx.example.com:65535', want: { host: 'mx.example.com', port: 65535, family: 0 } },
    {
      input: 'mx.example.com',
      defaultPort: 465,
      want: { host: 'mx.example.com', port: 465, family: 0 },
    },
    { input: '[::1]', defaultPort: 465, want: { host: '::1', port: 465, family: 6 } },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.input.length > 40 ? `${c.input.slice(0, 40)}…` : c.input)}${c.defaultPort ? ` (default port ${c.defaultPort})` : ''}`, () => {
      assert.deepEqual(parseTarget(c.input, c.defaultPort), { input: c.input, ...c.want });
    });
  }
});

describe('parseTarget refuses', () => {
  const label64 = 'a'.repeat(64);
  const name254 = `${'a'.repeat(63)}.${'a'.repeat(63)}.${'a'.repeat(63)}.${'b'.repeat(62)}`;
  const cases: { input: string; why: RegExp }[] = [
    { input: '', why: /empty/ },
    { input: '   ', why: /empty/ },
    { input: 'mx.example.com:', why: /port ""/ },
    { input: 'mx.example.com:0', why: /port "0"/ },
    { input: 'mx.example.com:70000', why: /port "70000"/ },
    { input: 'mx.example.com:065536', why: /port/ },
    { input: 'mx.example.com:smtp', why: /port "smtp"/ },
    { input: 'mx.example.com:-1', why: /port/ },
    { input: 'mx.example.com:25:26', why: /IPv6|\[addr\]/ },
    { input: `${label64}.example`, why: /not a valid host name/ },
    { input: name254, why: /not a valid host name/ },
    { input: 'mx..example.com', why: /not a valid host name/ },
    { input: '-mx.example.com', why: /not a valid host name/ },
    { input: 'mx-.example.com', why: /not a valid host name/ },
    { input: 'mx example.com', why: /not a valid host name/ },
    { input: 'mx.example.com/25', why: /not a valid host name/ },
    { input: 'müller.example', why: /not a valid host name/ },
    { input: 'user@mx.example.com', why: /not a valid host name/ },
    { input: '[192.0.2.1]', why: /not an IPv6 address/ },
    { input: '[mx.example.com]:25', why: /not an IPv6 address/ },
    { input: '[::1', why: /IPv6|\[addr\]/ },
    { input: '[::1]:', why: /port ""/ },
    { input: '[::1]:99999', why: /port/ },
    { input: '2001:db8::1:25:99999', why: /IPv6|\[addr\]/ },
    {
      input: '::1:25',
      why: /ambiguous: did you mean \[::1\]:25\? \(for the address itself, write \[::1:25\]\)/,
    },
    { input: '2001:db8::1:2525', why: /did you mean \[2001:db8::1\]:2525\?/ },
    { input: 'mx.example.com\n', why: /LF/ },
    { input: 'mx.example.com\r\nQUIT', why: /CR/ },
    { input: 'mx\u0000.example.com', why: /NUL/ },
    { input: 'mx.example.com\t25', why: /TAB/ },
    { input: '127.0.0.1:25\u0085', why: /0x85/ },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.input.length > 40 ? `${c.input.slice(0, 40)}…` : c.input), () => {
      assert.throws(
        () => parseTarget(c.input),
        (err: unknown) => {
          assert.ok(err instanceof ProbeError, String(err));
          assert.equal(err.code, 'INVALID_INPUT');
          assert.equal(err.stage, 'input');
          assert.match(err.message, c.why);
          return true;
        },
      );
    });
  }
});

describe('formatEndpoint', () => {
  test('brackets IPv6 only', () => {
    assert.equal(formatEndpoint('::1', 25), '[::1]:25');
    assert.equal(formatEndpoint('2001:db8::1', 587), '[2001:db8::1]:587');
    assert.equal(formatEndpoint('192.0.2.1', 25), '192.0.2.1:25');
    assert.equal(formatEndpoint('mx.example.com', 465), 'mx.example.com:465');
  });

  test('round-trips through parseTarget', () => {
    for (const [addr, port] of [
      ['::1', 2525],
      ['192.0.2.9', 25],
      ['2001:db8::25', 465],
    ] as const) {
      const t = parseTarget(formatEndpoint(addr, port));
      assert.deepEqual([t.host, t.port], [addr, port]);
    }
  });
});
