/**
 * MTA-STS, pure (RFC 8461): the _mta-sts TXT RRset (none, several, malformed, the §3.1 example),
 * the policy file (every required key, every bad value, the §3.2 example in LF and CRLF), the
 * §4.1 pattern rule, and what a compliant sender does at one MX in each mode.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  STS_MAX_AGE_S,
  mxMatches,
  parseStsPolicy,
  parseStsRecords,
  stsVerdict,
  txtFields,
  versionedRecords,
  type StsTls,
} from '../../src/mx/mta-sts.js';
import {
  StsPolicyResultSchema,
  StsRecordResultSchema,
  StsVerdictSchema,
  type StsPolicy,
} from '../../src/schema/policy.js';

describe('parseStsRecords', () => {
  const ok: [string, string[][], string, Record<string, string>][] = [
    ['the RFC 8461 §3.1 example', [['v=STSv1; id=20160831085700Z;']], '20160831085700Z', {}],
    ['strings of one record are concatenated', [['v=STSv1; ', 'id=abc123']], 'abc123', {}],
    ['no spaces, no trailing ;', [['v=STSv1;id=A1']], 'A1', {}],
    ['tabs and spaces around ;', [['v=STSv1 \t;\t id=x ; ']], 'x', {}],
    ['32 characters', [[`v=STSv1; id=${'a'.repeat(32)}`]], 'a'.repeat(32), {}],
    ['an extension is kept', [['v=STSv1; id=1; ext-a.b_c=v!']], '1', { 'ext-a.b_c': 'v!' }],
    [
      'other TXT records are discarded',
      [['v=spf1 -all'], ['v=STSv10; id=2'], ['V=STSv1; id=3'], ['v=STSv1; id=4']],
      '4',
      {},
    ],
  ];
  for (const [name, txts, id, extensions] of ok) {
    test(`valid: ${name}`, () => {
      const r = StsRecordResultSchema.parse(parseStsRecords(txts));
      assert.deepEqual(r.findings, []);
      assert.equal(r.record?.id, id);
      assert.deepEqual(r.record?.extensions, extensions);
      assert.equal(r.record?.text, versionedRecords(txts, 'STSv1')[0]);
    });
  }

  const bad: [string, string[][], string, string, RegExp][] = [
    ['an empty RRset', [], 'sts-record-none', 'info', /no _mta-sts TXT record/],
    [
      'only other records',
      [['v=spf1 -all'], ['id=1; v=STSv1']],
      'sts-record-none',
      'info',
      /no MTA-STS policy/,
    ],
    ['a version in the wrong case', [['v=stsv1; id=1']], 'sts-record-none', 'info', /v=STSv1/],
    [
      'two records (RFC 8461 §3.1)',
      [['v=STSv1; id=1'], ['v=STSv1; id=2']],
      'sts-record-several',
      'medium',
      /^2 _mta-sts TXT records .*no policy/,
    ],
    [
      'two records, one of them malformed',
      [['v=STSv1; id=1'], ['v=STSv1']],
      'sts-record-several',
      'medium',
      /2 _mta-sts/,
    ],
    ['no id', [['v=STSv1;']], 'sts-record-syntax', 'medium', /no id field/],
    [
      'id of 33 characters',
      [[`v=STSv1; id=${'a'.repeat(33)}`]],
      'sts-record-syntax',
      'medium',
      /not 1–32 letters/,
    ],
    [
      'id with a dash',
      [['v=STSv1; id=2016-08-31']],
      'sts-record-syntax',
      'medium',
      /id "2016-08-31"/,
    ],
    ['empty id', [['v=STSv1; id=']], 'sts-record-syntax', 'medium', /id ""/],
    ['id twice', [['v=STSv1; id=1; id=2']], 'sts-record-syntax', 'medium', /id appears twice/],
    [
      'a field without =',
      [['v=STSv1; id']],
      'sts-record-syntax',
      'medium',
      /"id" is not key=value/,
    ],
    ['two ; in a row', [['v=STSv1;; id=1']], 'sts-record-syntax', 'medium', /empty field/],
    ['a space inside a field', [['v=STSv1; id=1 2']], 'sts-record-syntax', 'medium', /id "1 2"/],
    [
      'a bad field name',
      [['v=STSv1; id=1; -x=1']],
      'sts-record-syntax',
      'medium',
      /"-x" is not a field name/,
    ],
    [
      'an extension with "="',
      [['v=STSv1; id=1; e=a=b']],
      'sts-record-syntax',
      'medium',
      /field e has the value "a=b"/,
    ],
  ];
  for (const [name, txts, id, severity, message] of bad) {
    test(`finding: ${name}`, () => {
      const r = StsRecordResultSchema.parse(parseStsRecords(txts));
      assert.equal(r.record, null);
      assert.equal(r.findings.length, 1);
      assert.equal(r.findings[0]!.id, id);
      assert.equal(r.findings[0]!.severity, severity);
      assert.equal(r.findings[0]!.ref, 'RFC 8461 §3.1');
      assert.match(r.findings[0]!.message, message);
    });
  }
});

describe('txtFields', () => {
  test('splits in order and allows one trailing ;', () => {
    assert.deepEqual(txtFields('v=X; a=1 ;b=2=3;'), {
      fields: [
        ['v', 'X'],
        ['a', '1'],
        ['b', '2=3'],
      ],
    });
  });
  test('two trailing ; are an empty field', () => {
    assert.ok('error' in txtFields('v=X; a=1;;'));
  });
});

const RFC_POLICY = [
  'version: STSv1',
  'mode: enforce',
  'mx: mail.example.com',
  'mx: *.example.net',
  'mx: backupmx.example.com',
  'max_age: 604800',
];

describe('parseStsPolicy', () => {
  const ok: [string, string, StsPolicy][] = [
    [
      'the RFC 8461 §3.2 example, LF',
      `${RFC_POLICY.join('\n')}\n`,
      {
        version: 'STSv1',
        mode: 'enforce',
        mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'],
        maxAge: 604800,
      },
    ],
    [
      'the same, CRLF, no final line end',
      RFC_POLICY.join('\r\n'),
      {
        version: 'STSv1',
        mode: 'enforce',
        mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'],
        maxAge: 604800,
      },
    ],
    [
      'testing, no space after ":", trailing spaces, unknown keys, blank lines',
      'version:STSv1\nmode: testing  \nfoo: bar\n\n \t\nmx: mx.example.com\nmax_age: 0\n',
      { version: 'STSv1', mode: 'testing', mx: ['mx.example.com'], maxAge: 0 },
    ],
    [
      'mode none needs no mx',
      'version: STSv1\nmode: none\nmax_age: 86400\n',
      { version: 'STSv1', mode: 'none', mx: [], maxAge: 86400 },
    ],
    [
      'the largest max_age',
      `version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: ${STS_MAX_AGE_S}\n`,
      { version: 'STSv1', mode: 'enforce', mx: ['mx.example.com'], maxAge: 31557600 },
    ],
  ];
  for (const [name, body, policy] of ok) {
    test(`valid: ${name}`, () => {
      const r = StsPolicyResultSchema.parse(parseStsPolicy(body));
      assert.deepEqual(r.findings, []);
      assert.deepEqual(r.policy, policy);
    });
  }

  const base = {
    version: 'version: STSv1',
    mode: 'mode: enforce',
    mx: 'mx: mx.example.com',
    age: 'max_age: 86400',
  };
  const body = (over: Partial<typeof base>, extra: string[] = []) =>
    [...Object.values({ ...base, ...over }), ...extra].filter((l) => l !== '').join('\n');

  const invalid: [string, string, string, RegExp][] = [
    ['no version', body({ version: '' }), 'sts-policy-version', /^no version line$/],
    [
      'version STSv2',
      body({ version: 'version: STSv2' }),
      'sts-policy-version',
      /"STSv2", not "STSv1"/,
    ],
    [
      'version in the wrong case',
      body({ version: 'version: stsv1' }),
      'sts-policy-version',
      /"stsv1"/,
    ],
    [
      'Version key',
      body({ version: 'Version: STSv1' }),
      'sts-policy-version',
      /case-sensitive; line 1 has "Version"/,
    ],
    ['no mode', body({ mode: '' }), 'sts-policy-mode', /^no mode line$/],
    [
      'mode Enforce',
      body({ mode: 'mode: Enforce' }),
      'sts-policy-mode',
      /"Enforce", not enforce, testing or none/,
    ],
    ['mode reject', body({ mode: 'mode: reject' }), 'sts-policy-mode', /"reject"/],
    ['empty mode', body({ mode: 'mode:' }), 'sts-policy-mode', /mode is ""/],
    ['no max_age', body({ age: '' }), 'sts-policy-max-age', /^no max_age line$/],
    [
      'max_age over a year',
      body({ age: `max_age: ${STS_MAX_AGE_S + 1}` }),
      'sts-policy-max-age',
      /31557601, above 31557600/,
    ],
    [
      'negative max_age',
      body({ age: 'max_age: -1' }),
      'sts-policy-max-age',
      /"-1", not a whole number/,
    ],
    ['max_age with a unit', body({ age: 'max_age: 1d' }), 'sts-policy-max-age', /"1d"/],
    [
      'max_age of 11 digits',
      body({ age: 'max_age: 00000086400' }),
      'sts-policy-max-age',
      /"00000086400"/,
    ],
    [
      'enforce without mx',
      body({ mx: '' }),
      'sts-policy-mx',
      /mode enforce needs at least one mx line/,
    ],
    [
      'testing without mx',
      body({ mode: 'mode: testing', mx: '' }),
      'sts-policy-mx',
      /mode testing needs/,
    ],
    ['MX key', body({ mx: 'MX: mx.example.com' }), 'sts-policy-mx', /line 3 has "MX"/],
    [
      'a wildcard not leftmost',
      body({ mx: 'mx: mx.*.example.com' }),
      'sts-policy-mx',
      /"mx.\*.example.com" on line 3/,
    ],
    ['a bare wildcard', body({ mx: 'mx: *' }), 'sts-policy-mx', /"\*"/],
    ['an mx with a space', body({ mx: 'mx: mx example.com' }), 'sts-policy-mx', /"mx example.com"/],
    [
      'a line without ":"',
      body({}, ['garbage']),
      'sts-policy-syntax',
      /line 5 is not "key: value": "garbage"/,
    ],
    ['a space before ":"', body({ mode: 'mode : enforce' }), 'sts-policy-syntax', /line 2 is not/],
    [
      'a bare CR line end',
      'version: STSv1\rmode: enforce\nmx: a.example\nmax_age: 1',
      'sts-policy-syntax',
      /line 1/,
    ],
  ];
  for (const [name, text, id, message] of invalid) {
    test(`invalid: ${name}`, () => {
      const r = StsPolicyResultSchema.parse(parseStsPolicy(text));
      assert.equal(r.policy, null);
      const f = r.findings.find((x) => x.id === id);
      assert.ok(f, `no ${id} in ${JSON.stringify(r.findings)}`);
      assert.equal(f.severity, 'medium');
      assert.equal(f.ref, 'RFC 8461 §3.2');
      assert.match(f.message, message);
    });
  }

  const noted: [string, string, string, string, RegExp, Partial<StsPolicy>][] = [
    [
      'a repeated mode keeps the first',
      body({}, ['mode: none']),
      'sts-policy-duplicate',
      'low',
      /line 5 repeats mode \("none"\); the first, "enforce" on line 2, applies/,
      { mode: 'enforce' },
    ],
    [
      'a repeated max_age keeps the first',
      body({}, ['max_age: 5']),
      'sts-policy-duplicate',
      'low',
      /max_age/,
      { maxAge: 86400 },
    ],
    [
      'version not first (the grammar allows any order)',
      [base.mode, base.version, base.mx, base.age].join('\n'),
      'sts-policy-version-not-first',
      'info',
      /line 2/,
      { version: 'STSv1' },
    ],
  ];
  for (const [name, text, id, severity, message, part] of noted) {
    test(`noted, still valid: ${name}`, () => {
      const r = StsPolicyResultSchema.parse(parseStsPolicy(text));
      assert.equal(r.findings.length, 1);
      assert.equal(r.findings[0]!.id, id);
      assert.equal(r.findings[0]!.severity, severity);
      assert.match(r.findings[0]!.message, message);
      assert.ok(r.policy);
      for (const [k, v] of Object.entries(part))
        assert.deepEqual(r.policy[k as keyof StsPolicy], v);
    });
  }

  test('repeated mx lines are all kept, without a finding', () => {
    const r = parseStsPolicy(body({}, ['mx: mx2.example.com']));
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.policy?.mx, ['mx.example.com', 'mx2.example.com']);
  });
  test('every problem is reported, not just the first', () => {
    const r = parseStsPolicy('mode: sometimes\nmax_age: forever\n');
    assert.deepEqual(
      r.findings.map((f) => f.id),
      ['sts-policy-version', 'sts-policy-mode', 'sts-policy-max-age'],
    );
  });
});

describe('mxMatches (RFC 8461 §4.1)', () => {
  const cases: [string, string, boolean][] = [
    ['*.example.com', 'mx.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'mx.example.org', false],
    ['*.example.com', 'mxexample.com', false],
    ['*.example.com', '.example.com', false],
    ['*.EXAMPLE.com', 'MX.example.COM', true],
    ['*.example.com.', 'mx.example.com', true],
    ['*.example.com', 'mx.example.com.', true],
    ['mail.example.com', 'mail.example.com', true],
    ['mail.example.com', 'Mail.Example.Com.', true],
    ['mail.example.com', 'mail2.example.com', false],
    ['mail.example.com', 'x.mail.example.com', false],
    ['example.com', 'mx.example.com', false],
    ['mx*.example.com', 'mx1.example.com', false],
  ];
  for (const [pattern, host, expected] of cases) {
    test(`${pattern} ${expected ? 'matches' : 'does not match'} ${host}`, () => {
      assert.equal(mxMatches(pattern, host), expected);
    });
  }
});

describe('stsVerdict', () => {
  const policy = (mode: StsPolicy['mode']): StsPolicy => ({
    version: 'STSv1',
    mode,
    mx: ['mx1.example.com', '*.example.net'],
    maxAge: 86400,
  });
  const good: StsTls = { offered: true, pkixValid: true, nameMatches: true };
  const cases: [
    string,
    StsPolicy['mode'],
    string,
    StsTls | null,
    string,
    string | null,
    string,
    string,
  ][] = [
    [
      'enforce, all good',
      'enforce',
      'mx1.example.com',
      good,
      'deliver',
      'mx1.example.com',
      'MX mx1.example.com is covered by "mx1.example.com" and offers STARTTLS with a PKIX-valid certificate for its name',
      'RFC 8461 §4',
    ],
    [
      'enforce, wildcard',
      'enforce',
      'a.example.net',
      good,
      'deliver',
      '*.example.net',
      'MX a.example.net is covered by "*.example.net" and offers STARTTLS with a PKIX-valid certificate for its name',
      'RFC 8461 §4',
    ],
    [
      'enforce, not covered',
      'enforce',
      'mx2.example.com',
      good,
      'skip',
      null,
      'MX mx2.example.com not covered by the MTA-STS policy',
      'RFC 8461 §4.1',
    ],
    [
      'enforce, not covered, TLS unknown',
      'enforce',
      'a.b.example.net',
      null,
      'skip',
      null,
      'MX a.b.example.net not covered by the MTA-STS policy',
      'RFC 8461 §4.1',
    ],
    [
      'enforce, no STARTTLS',
      'enforce',
      'mx1.example.com',
      { ...good, offered: false },
      'skip',
      'mx1.example.com',
      'MX mx1.example.com does not offer STARTTLS',
      'RFC 8461 §5',
    ],
    [
      'enforce, untrusted certificate',
      'enforce',
      'mx1.example.com',
      { ...good, pkixValid: false },
      'skip',
      'mx1.example.com',
      'MX mx1.example.com presents a certificate that is not PKIX-valid (expired, or not from a trusted root)',
      'RFC 8461 §4.2',
    ],
    [
      'enforce, wrong name',
      'enforce',
      'mx1.example.com',
      { ...good, nameMatches: false },
      'skip',
      'mx1.example.com',
      'MX mx1.example.com presents a certificate that does not name mx1.example.com',
      'RFC 8461 §4.2',
    ],
    [
      'enforce, TLS not probed',
      'enforce',
      'mx1.example.com',
      null,
      'unknown',
      'mx1.example.com',
      'MX mx1.example.com is covered by "mx1.example.com", but its TLS was not probed',
      'RFC 8461 §4.2',
    ],
    [
      'testing, all good',
      'testing',
      'mx1.example.com',
      good,
      'deliver',
      'mx1.example.com',
      'MX mx1.example.com is covered by "mx1.example.com" and offers STARTTLS with a PKIX-valid certificate for its name',
      'RFC 8461 §4',
    ],
    [
      'testing, not covered',
      'testing',
      'mx2.example.com',
      good,
      'report',
      null,
      'MX mx2.example.com not covered by the MTA-STS policy',
      'RFC 8461 §4.1',
    ],
    [
      'testing, no STARTTLS',
      'testing',
      'mx1.example.com',
      { offered: false, pkixValid: false, nameMatches: false },
      'report',
      'mx1.example.com',
      'MX mx1.example.com does not offer STARTTLS',
      'RFC 8461 §5',
    ],
    [
      'testing, wrong name',
      'testing',
      'x.example.net',
      { ...good, nameMatches: false },
      'report',
      '*.example.net',
      'MX x.example.net presents a certificate that does not name x.example.net',
      'RFC 8461 §4.2',
    ],
    [
      'none, not covered, no TLS',
      'none',
      'mx2.example.com',
      { ...good, offered: false },
      'not-applied',
      null,
      'mode none: the MTA-STS policy is not applied to MX mx2.example.com',
      'RFC 8461 §5',
    ],
  ];
  for (const [name, mode, mx, tls, outcome, pattern, reason, ref] of cases) {
    test(name, () => {
      const v = StsVerdictSchema.parse(stsVerdict(policy(mode), mx, tls));
      assert.deepEqual(v, { mx, mode, outcome, pattern, reason, ref });
    });
  }
});
