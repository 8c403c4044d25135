/** EHLO capability parsing (RFC 5321 §4.1.1.1) and the before/after-TLS diff. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { diffCapabilities, parseCapabilities } from '../../src/smtp/capabilities.js';
import { CapabilitiesSchema } from '../../src/schema/smtp.js';
import type { Reply } from '../../src/smtp/reply.js';

const ehloReply = (...lines: string[]): Reply => ({ code: 250, lines });

// Postfix 3.7 on Debian, smtpd_tls_security_level = may, SASL enabled with broken_sasl_auth_clients.
const POSTFIX = ehloReply(
  'mx.example.com',
  'PIPELINING',
  'SIZE 10240000',
  'VRFY',
  'ETRN',
  'STARTTLS',
  'AUTH PLAIN LOGIN',
  'AUTH=PLAIN LOGIN',
  'ENHANCEDSTATUSCODES',
  '8BITMIME',
  'DSN',
  'SMTPUTF8',
  'CHUNKING',
);

describe('parseCapabilities', () => {
  test('a Postfix-like EHLO list', () => {
    const caps = parseCapabilities(POSTFIX);
    CapabilitiesSchema.parse(caps);
    assert.equal(caps.hostname, 'mx.example.com');
    assert.equal(caps.size, 10240000);
    assert.deepEqual(caps.auth, ['PLAIN', 'LOGIN']);
    for (const flag of [
      'pipelining',
      'vrfy',
      'etrn',
      'starttls',
      'enhancedStatusCodes',
      'eightBitMime',
      'dsn',
      'smtpUtf8',
      'chunking',
    ] as const) {
      assert.equal(caps[flag], true, flag);
    }
    for (const flag of ['binaryMime', 'requireTls'] as const) assert.equal(caps[flag], false, flag);
    assert.equal(
      caps.extensions.length,
      POSTFIX.lines.length - 1,
      'every line after the first is kept',
    );
    assert.deepEqual(caps.extensions[1], { keyword: 'SIZE', params: ['10240000'] });
    assert.deepEqual(caps.other, []);
  });

  test('the hostname is the first word of the first line', () => {
    assert.equal(
      parseCapabilities(ehloReply('smtp.example.org Hello client [192.0.2.7]', 'PIPELINING'))
        .hostname,
      'smtp.example.org',
    );
  });

  const authCases: { name: string; lines: string[]; want: string[] | undefined }[] = [
    {
      name: 'AUTH alone',
      lines: ['AUTH PLAIN LOGIN CRAM-MD5'],
      want: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    },
    {
      name: 'AUTH= alone (old Microsoft form)',
      lines: ['AUTH=LOGIN PLAIN'],
      want: ['LOGIN', 'PLAIN'],
    },
    {
      name: 'AUTH and AUTH= merged without duplicates',
      lines: ['AUTH PLAIN LOGIN', 'AUTH=LOGIN XOAUTH2'],
      want: ['PLAIN', 'LOGIN', 'XOAUTH2'],
    },
    { name: 'mechanisms upper-cased', lines: ['auth plain login'], want: ['PLAIN', 'LOGIN'] },
    { name: 'AUTH with no mechanisms', lines: ['AUTH'], want: [] },
    { name: 'no AUTH at all', lines: ['PIPELINING'], want: undefined },
  ];
  for (const c of authCases) {
    test(`AUTH: ${c.name}`, () =>
      assert.deepEqual(parseCapabilities(ehloReply('mx', ...c.lines)).auth, c.want));
  }

  const sizeCases: { line: string | undefined; want: number | undefined }[] = [
    { line: 'SIZE 52428800', want: 52428800 },
    { line: 'SIZE', want: 0 },
    { line: 'SIZE 0', want: 0 },
    { line: 'SIZE lots', want: 0 },
    { line: 'SIZE -1', want: 0 },
    { line: 'SIZE 1e400', want: 0 },
    { line: undefined, want: undefined },
  ];
  for (const c of sizeCases) {
    test(`SIZE: ${c.line ?? 'not offered'} → ${String(c.want)}`, () => {
      const caps = parseCapabilities(ehloReply('mx', ...(c.line ? [c.line] : [])));
      assert.equal(caps.size, c.want);
      CapabilitiesSchema.parse(caps);
    });
  }

  test('unknown extensions are kept in `other` with their parameters', () => {
    const caps = parseCapabilities(
      ehloReply('mx', 'XCLIENT NAME ADDR PROTO HELO', 'X-EXPS GSSAPI NTLM', 'PIPELINING'),
    );
    assert.deepEqual(caps.other, [
      { keyword: 'XCLIENT', params: ['NAME', 'ADDR', 'PROTO', 'HELO'] },
      { keyword: 'X-EXPS', params: ['GSSAPI', 'NTLM'] },
    ]);
    assert.equal(caps.pipelining, true);
  });

  test('keywords are case-insensitive and blank lines are skipped', () => {
    const caps = parseCapabilities(ehloReply('mx', 'starttls', '  ', 'Requiretls', 'BINARYMIME'));
    assert.equal(caps.starttls, true);
    assert.equal(caps.requireTls, true);
    assert.equal(caps.binaryMime, true);
    assert.equal(caps.extensions.length, 3);
  });

  test('a greeting-only EHLO reply has no extensions', () => {
    const caps = parseCapabilities(ehloReply('mx.example.com'));
    assert.deepEqual(caps.extensions, []);
    assert.equal(caps.starttls, false);
  });
});

describe('diffCapabilities', () => {
  test('STARTTLS gone and AUTH added after TLS (the usual Postfix picture)', () => {
    const before = parseCapabilities(
      ehloReply('mx', 'PIPELINING', 'SIZE 10240000', 'STARTTLS', '8BITMIME'),
    );
    const after = parseCapabilities(
      ehloReply(
        'mx',
        'PIPELINING',
        'SIZE 10240000',
        'AUTH PLAIN LOGIN',
        'AUTH=PLAIN LOGIN',
        '8BITMIME',
      ),
    );
    const diff = diffCapabilities(before, after);
    assert.deepEqual(diff.removed, ['STARTTLS']);
    assert.deepEqual([...diff.added].sort(), ['AUTH LOGIN', 'AUTH PLAIN']);
  });

  test('AUTH mechanisms are compared one by one', () => {
    const before = parseCapabilities(ehloReply('mx', 'AUTH PLAIN LOGIN CRAM-MD5'));
    const after = parseCapabilities(ehloReply('mx', 'AUTH=PLAIN', 'AUTH XOAUTH2'));
    assert.deepEqual(diffCapabilities(before, after), {
      added: ['AUTH XOAUTH2'],
      removed: ['AUTH LOGIN', 'AUTH CRAM-MD5'],
    });
  });

  test('a changed SIZE value is not a keyword change', () => {
    const before = parseCapabilities(ehloReply('mx', 'SIZE 1000'));
    const after = parseCapabilities(ehloReply('mx', 'SIZE 2000'));
    assert.deepEqual(diffCapabilities(before, after), { added: [], removed: [] });
  });

  test('identical lists give an empty diff', () => {
    const caps = parseCapabilities(POSTFIX);
    assert.deepEqual(diffCapabilities(caps, parseCapabilities(POSTFIX)), {
      added: [],
      removed: [],
    });
  });
});
