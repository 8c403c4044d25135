/** capsFindings on constructed results: each finding appears exactly when its evidence does. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { capsFindings, EXPIRY_WARNING_DAYS } from '../../src/probes/findings.js';
import { bannerHostname } from '../../src/smtp/greeting.js';
import { parseCapabilities } from '../../src/smtp/capabilities.js';
import { CapsResultSchema, type CapsResult, type CensusEntry } from '../../src/schema/caps.js';
import type { TlsInfo, CertificateInfo } from '../../src/schema/tls.js';

const caps = (...lines: string[]) =>
  parseCapabilities({ code: 250, lines: ['mx.example.com', ...lines] });

function result(over: Partial<CapsResult> = {}): CapsResult {
  const r: CapsResult = {
    host: 'mx.example.com',
    port: 25,
    helo: 'client.example.org',
    addresses: ['192.0.2.1'],
    attempts: [],
    address: '192.0.2.1',
    banner: { reply: { code: 220, lines: ['mx.example.com ESMTP'] }, hostname: 'mx.example.com' },
    hello: { verb: 'EHLO', reply: { code: 250, lines: ['mx.example.com'] } },
    capabilities: caps('PIPELINING', 'STARTTLS'),
    tls: null,
    capabilitiesAfterTls: null,
    capabilityChanges: null,
    census: null,
    findings: [],
    timings: {},
    ...over,
  };
  return CapsResultSchema.parse(r);
}

function cert(over: Partial<CertificateInfo> = {}): CertificateInfo {
  return {
    subject: 'CN=mx.example.com',
    subjectAltNames: ['DNS:mx.example.com'],
    issuer: "CN=R11, O=Let's Encrypt, C=US",
    serialNumber: '01',
    validFrom: '2025-01-01T00:00:00.000Z',
    validTo: '2025-04-01T00:00:00.000Z',
    daysLeft: 60,
    selfSigned: false,
    fingerprintSha256: 'AA:BB',
    publicKey: 'EC prime256v1',
    ...over,
  };
}

function tlsInfo(over: Partial<TlsInfo> = {}, leaf: Partial<CertificateInfo> = {}): TlsInfo {
  return {
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    chain: [cert(leaf)],
    nameMatch: { name: 'mx.example.com', ok: true },
    trusted: { ok: true, store: 'system' },
    ...over,
  };
}

const starttlsOk = (info: TlsInfo): CapsResult['tls'] => ({
  mode: 'starttls',
  outcome: 'ok',
  reply: { code: 220, lines: ['2.0.0 Ready to start TLS'] },
  info,
});
const ids = (r: CapsResult): string[] =>
  capsFindings(r)
    .map((f) => f.id)
    .sort();

describe('capsFindings', () => {
  const cases: { name: string; r: CapsResult; want: string[] }[] = [
    {
      name: 'a clean STARTTLS server has no findings',
      r: result({
        tls: starttlsOk(tlsInfo()),
        capabilitiesAfterTls: caps('PIPELINING', 'AUTH PLAIN LOGIN'),
      }),
      want: [],
    },
    {
      name: 'AUTH PLAIN before TLS is high',
      r: result({ capabilities: caps('STARTTLS', 'AUTH PLAIN LOGIN') }),
      want: ['auth-plaintext-without-tls'],
    },
    {
      name: 'AUTH= LOGIN form counts too',
      r: result({ capabilities: caps('STARTTLS', 'AUTH=LOGIN') }),
      want: ['auth-plaintext-without-tls'],
    },
    {
      name: 'only challenge mechanisms before TLS is medium',
      r: result({ capabilities: caps('STARTTLS', 'AUTH CRAM-MD5 SCRAM-SHA-256') }),
      want: ['auth-without-tls'],
    },
    {
      name: 'AUTH over implicit TLS is fine, and implicit TLS needs no STARTTLS',
      r: result({
        capabilities: caps('AUTH PLAIN LOGIN'),
        tls: { mode: 'implicit', outcome: 'ok', info: tlsInfo() },
      }),
      want: [],
    },
    {
      name: 'AUTH only before TLS',
      r: result({
        capabilities: caps('STARTTLS', 'AUTH CRAM-MD5'),
        tls: starttlsOk(tlsInfo()),
        capabilitiesAfterTls: caps('PIPELINING'),
      }),
      want: ['auth-only-before-tls', 'auth-without-tls'],
    },
    {
      name: 'no STARTTLS offered',
      r: result({ capabilities: caps('PIPELINING') }),
      want: ['no-starttls'],
    },
    {
      name: 'HELO fallback (no capabilities) claims nothing',
      r: result({ capabilities: null }),
      want: [],
    },
    {
      name: 'STARTTLS refused',
      r: result({
        tls: {
          mode: 'starttls',
          outcome: 'refused',
          reply: { code: 454, lines: ['4.7.0 TLS not available'] },
        },
      }),
      want: ['starttls-broken'],
    },
    {
      name: 'STARTTLS handshake failed',
      r: result({ tls: { mode: 'starttls', outcome: 'failed', error: 'wrong version number' } }),
      want: ['starttls-broken'],
    },
    {
      name: 'TLSv1 is old',
      r: result({ tls: starttlsOk(tlsInfo({ protocol: 'TLSv1' })) }),
      want: ['tls-old-protocol'],
    },
    {
      name: 'TLSv1.1 is old',
      r: result({ tls: starttlsOk(tlsInfo({ protocol: 'TLSv1.1' })) }),
      want: ['tls-old-protocol'],
    },
    {
      name: 'SSLv3 is old',
      r: result({ tls: starttlsOk(tlsInfo({ protocol: 'SSLv3' })) }),
      want: ['tls-old-protocol'],
    },
    {
      name: 'TLSv1.2 is fine',
      r: result({ tls: starttlsOk(tlsInfo({ protocol: 'TLSv1.2' })) }),
      want: [],
    },
    {
      name: 'expired certificate',
      r: result({ tls: starttlsOk(tlsInfo({}, { daysLeft: -3 })) }),
      want: ['cert-expired'],
    },
    {
      name: 'certificate about to expire',
      r: result({ tls: starttlsOk(tlsInfo({}, { daysLeft: EXPIRY_WARNING_DAYS - 1 })) }),
      want: ['cert-expiring'],
    },
    {
      name: 'expiring on the warning day is not yet flagged',
      r: result({ tls: starttlsOk(tlsInfo({}, { daysLeft: EXPIRY_WARNING_DAYS })) }),
      want: [],
    },
    {
      name: 'self-signed, wrong name, untrusted',
      r: result({
        tls: starttlsOk(
          tlsInfo(
            {
              nameMatch: {
                name: '127.0.0.1',
                ok: false,
                error: "IP: 127.0.0.1 is not in the cert's list",
              },
              trusted: { ok: false, store: 'system', error: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
            },
            { selfSigned: true },
          ),
        ),
      }),
      want: ['cert-name-mismatch', 'cert-self-signed', 'cert-untrusted'],
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(ids(c.r), c.want));

  const entry = (
    verb: CensusEntry['verb'],
    support: CensusEntry['support'],
    code: number,
  ): CensusEntry => ({ verb, command: verb, support, reply: { code, lines: ['x'] } });
  const censusCases: { name: string; census: CensusEntry[]; want: string[] }[] = [
    {
      name: 'VRFY that really looks users up',
      census: [entry('VRFY', 'implemented', 252)],
      want: ['vrfy-enabled'],
    },
    {
      name: 'EXPN implemented',
      census: [entry('EXPN', 'implemented', 250)],
      want: ['expn-enabled'],
    },
    { name: 'TURN accepted', census: [entry('TURN', 'implemented', 250)], want: ['turn-enabled'] },
    {
      name: 'disabled, unknown and missing verbs are not findings',
      census: [
        entry('VRFY', 'disabled', 252),
        entry('EXPN', 'not-implemented', 500),
        entry('TURN', 'unknown', 421),
        entry('NOOP', 'implemented', 250),
      ],
      want: [],
    },
  ];
  for (const c of censusCases)
    test(c.name, () => assert.deepEqual(ids(result({ census: c.census })), c.want));

  test('every finding names its evidence', () => {
    const r = result({
      capabilities: caps('AUTH PLAIN'),
      tls: starttlsOk(tlsInfo({ protocol: 'TLSv1' }, { daysLeft: -3 })),
    });
    const byId = new Map(capsFindings(r).map((f) => [f.id, f.message]));
    assert.match(byId.get('auth-plaintext-without-tls')!, /PLAIN/);
    assert.match(byId.get('tls-old-protocol')!, /TLSv1/);
    assert.match(byId.get('cert-expired')!, /3 days/);
  });
});

describe('bannerHostname', () => {
  const table: [string, string | null][] = [
    ['mx.example.com ESMTP Postfix (Debian/GNU)', 'mx.example.com'],
    ['mx.example.com', 'mx.example.com'],
    ['[192.0.2.1] ESMTP', '[192.0.2.1]'],
    ['ESMTP ready', null],
    ['', null],
    ['*****************************', null],
  ];
  for (const [line, want] of table)
    test(`${JSON.stringify(line)} → ${String(want)}`, () =>
      assert.equal(bannerHostname({ code: 220, lines: [line] }), want));

  test('an enhanced code before the domain is skipped', () => {
    assert.equal(
      bannerHostname({
        code: 554,
        enhanced: '5.7.1',
        lines: ['5.7.1 mx.example.com ESMTP not accepting connections'],
      }),
      'mx.example.com',
    );
    assert.equal(bannerHostname({ code: 220, enhanced: '2.0.0', lines: ['2.0.0 ready'] }), null);
  });
});
