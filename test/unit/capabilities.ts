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

  // RFC 1870 §4: size-param ::= [1*DIGIT]. Anything else is no limit given, kept in sizeInvalid.
  const sizeCases: { line: string | undefined; want: number | undefined; invalid?: string }[] = [
    { line: 'SIZE 52428800', want: 52428800 },
    { line: 'SIZE', want: 0 },
    { line: 'SIZE 0', want: 0 },
    { line: 'SIZE 007', want: 7 },
    { line: 'SIZE 9007199254740991', want: Number.MAX_SAFE_INTEGER },
    { line: 'SIZE lots', want: 0, invalid: 'lots' },
    { line: 'SIZE -1', want: 0, invalid: '-1' },
    { line: 'SIZE 1e400', want: 0, invalid: '1e400' },
    // Number() reads each of these as a number; none is digits only.
    { line: 'SIZE 0x10', want: 0, invalid: '0x10' },
    { line: 'SIZE 0b11', want: 0, invalid: '0b11' },
    { line: 'SIZE 1e3', want: 0, invalid: '1e3' },
    { line: 'SIZE +5', want: 0, invalid: '+5' },
    { line: 'SIZE 1.5', want: 0, invalid: '1.5' },
    { line: 'SIZE 10240000 octets', want: 0, invalid: '10240000 octets' },
    { line: 'SIZE \u0661\u0662', want: 0, invalid: '\u0661\u0662' },
    // More than a double holds exactly: the limit would be some other number.
    { line: 'SIZE 9007199254740993', want: 0, invalid: '9007199254740993' },
    { line: 'SIZE 99999999999999999999', want: 0, invalid: '99999999999999999999' },
    { line: `SIZE ${'9'.repeat(400)}`, want: 0, invalid: '9'.repeat(400) },
    { line: undefined, want: undefined },
  ];
  for (const c of sizeCases) {
    test(`SIZE: ${c.line?.slice(0, 40) ?? 'not offered'} → ${String(c.want)}${c.invalid ? ' (invalid)' : ''}`, () => {
      const caps = parseCapabilities(ehloReply('mx', ...(c.line ? [c.line] : [])));
      assert.equal(caps.size, c.want);
      assert.equal(caps.sizeInvalid, c.invalid);
      assert.equal('sizeInvalid' in caps, c.invalid !== undefined, 'no key unless invalid');
      CapabilitiesSchema.parse(caps);
    });
  }

  test('SIZE twice: the last one counts, an earlier invalid one is forgotten', () => {
    const caps = parseCapabilities(ehloReply('mx', 'SIZE 0x10', 'SIZE 1000'));
    assert.equal(caps.size, 1000);
    assert.equal(caps.sizeInvalid, undefined);
    const bad = parseCapabilities(ehloReply('mx', 'SIZE 1000', 'SIZE 0x10'));
    assert.deepEqual([bad.size, bad.sizeInvalid], [0, '0x10']);
  });

  test('an invalid SIZE is still listed as sent among the extensions', () => {
    const caps = parseCapabilities(ehloReply('mx', 'SIZE 0x10'));
    assert.deepEqual(caps.extensions, [{ keyword: 'SIZE', params: ['0x10'] }]);
    assert.deepEqual(caps.other, []);
  });

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
