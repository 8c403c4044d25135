/**
 * parseTlsRpt, pure (RFC 8460 §3): the RFC's examples, URI lists, and each finding (none,
 * several, malformed, no rua, http:, another scheme, a broken URI) with the record it leaves.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTlsRpt } from '../../src/mx/tls-rpt.js';
import { TlsRptResultSchema } from '../../src/schema/policy.js';

const parse = (...records: (string | string[])[]) =>
  TlsRptResultSchema.parse(parseTlsRpt(records.map((r) => (Array.isArray(r) ? r : [r]))));

describe('parseTlsRpt: valid records', () => {
  const cases: [string, (string | string[])[], string[], Record<string, string>][] = [
    [
      'RFC 8460 mailto example',
      ['v=TLSRPTv1; rua=mailto:reports@example.com'],
      ['mailto:reports@example.com'],
      {},
    ],
    [
      'RFC 8460 https example',
      ['v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt'],
      ['https://reporting.example.com/v1/tlsrpt'],
      {},
    ],
    [
      'two URIs',
      ['v=TLSRPTv1; rua=mailto:a@b.example,https://x.example/y'],
      ['mailto:a@b.example', 'https://x.example/y'],
      {},
    ],
    [
      'spaces around ","',
      ['v=TLSRPTv1;rua=mailto:a@b.example , https://x.example/y;'],
      ['mailto:a@b.example', 'https://x.example/y'],
      {},
    ],
    [
      'a query with "="',
      ['v=TLSRPTv1; rua=https://x.example/r?k=v'],
      ['https://x.example/r?k=v'],
      {},
    ],
    [
      'split strings, other records, an extension',
      [
        ['v=TLSRPTv1; rua=mai', 'lto:t@x.example; ext=1'],
        'v=spf1 -all',
        'v=TLSRPTv10; rua=mailto:z@x.example',
      ],
      ['mailto:t@x.example'],
      { ext: '1' },
    ],
  ];
  for (const [name, records, rua, extensions] of cases) {
    test(name, () => {
      const r = parse(...records);
      assert.deepEqual(r.findings, []);
      assert.equal(r.record?.version, 'TLSRPTv1');
      assert.deepEqual(r.record?.rua, rua);
      assert.deepEqual(r.record?.extensions, extensions);
    });
  }
});

describe('parseTlsRpt: findings', () => {
  const cases: [string, (string | string[])[], string[], string[] | null, RegExp][] = [
    ['nothing published', [], ['tlsrpt-record-none'], null, /no TLS reports/],
    [
      'wrong-case version',
      ['V=TLSRPTv1; rua=mailto:a@b.example'],
      ['tlsrpt-record-none'],
      null,
      /v=TLSRPTv1/,
    ],
    [
      'two records',
      ['v=TLSRPTv1; rua=mailto:a@b.example', 'v=TLSRPTv1; rua=mailto:c@d.example'],
      ['tlsrpt-record-several'],
      null,
      /^2 _smtp._tls TXT records/,
    ],
    ['no rua', ['v=TLSRPTv1;'], ['tlsrpt-rua-missing'], null, /no rua field/],
    [
      'rua in the wrong case',
      ['v=TLSRPTv1; RUA=mailto:a@b.example'],
      ['tlsrpt-rua-missing'],
      null,
      /no rua/,
    ],
    [
      'rua twice',
      ['v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example'],
      ['tlsrpt-record-syntax'],
      null,
      /rua appears twice/,
    ],
    [
      'a field without =',
      ['v=TLSRPTv1; rua'],
      ['tlsrpt-record-syntax'],
      null,
      /"rua" is not key=value/,
    ],
    [
      'a bad extension',
      ['v=TLSRPTv1; rua=mailto:a@b.example; x=a b'],
      ['tlsrpt-record-syntax'],
      null,
      /field x/,
    ],
    [
      'only http:',
      ['v=TLSRPTv1; rua=http://x.example/r'],
      ['tlsrpt-rua-http', 'tlsrpt-rua-unusable'],
      null,
      /"http:\/\/x.example\/r" is http:, not https/,
    ],
    [
      'http: beside mailto:',
      ['v=TLSRPTv1; rua=http://x.example/r,mailto:a@b.example'],
      ['tlsrpt-rua-http'],
      ['mailto:a@b.example'],
      /http:/,
    ],
    [
      'ftp:',
      ['v=TLSRPTv1; rua=ftp://x.example/r,https://x.example/r'],
      ['tlsrpt-rua-scheme'],
      ['https://x.example/r'],
      /uses ftp:, not mailto: or https:/,
    ],
    [
      'no scheme',
      ['v=TLSRPTv1; rua=a@b.example'],
      ['tlsrpt-rua-invalid', 'tlsrpt-rua-unusable'],
      null,
      /"a@b.example" has no scheme/,
    ],
    [
      'mailto: without an address',
      ['v=TLSRPTv1; rua=mailto:postmaster'],
      ['tlsrpt-rua-invalid', 'tlsrpt-rua-unusable'],
      null,
      /not mailto:<address>/,
    ],
    [
      'https: without a host',
      ['v=TLSRPTv1; rua=https://'],
      ['tlsrpt-rua-invalid', 'tlsrpt-rua-unusable'],
      null,
      /not a valid https: URL/,
    ],
    [
      'an empty URI after ","',
      ['v=TLSRPTv1; rua=mailto:a@b.example,'],
      ['tlsrpt-rua-invalid'],
      ['mailto:a@b.example'],
      /"" has no scheme/,
    ],
  ];
  for (const [name, records, ids, rua, message] of cases) {
    test(name, () => {
      const r = parse(...records);
      assert.deepEqual(
        r.findings.map((f) => f.id),
        ids,
      );
      assert.ok(r.findings.every((f) => f.ref === 'RFC 8460 §3'));
      assert.match(r.findings[0]!.message, message);
      assert.deepEqual(r.record?.rua ?? null, rua);
    });
  }

  test('an absent record is info, a broken one medium', () => {
    assert.equal(parse().findings[0]!.severity, 'info');
    assert.equal(parse('v=TLSRPTv1;').findings[0]!.severity, 'medium');
  });
});
