/**
 * Caps results for renderer tests, modelled on what `caps` really returned
 * against the lab's ESMTP host and an old open server. Each is passed through
 * CapsResultSchema.parse, so a fixture that drifts from the schema fails loudly.
 */
import { CapsResultSchema, type CapsResult } from '../../src/schema/caps.js';
import type { Capabilities } from '../../src/schema/smtp.js';
import type { CertificateInfo } from '../../src/schema/tls.js';

/** HOSTILE: what a hostile server puts in a banner: clear the screen, then return the cursor to overwrite the line. */
export const HOSTILE = 'evil.example ESMTP \u001b[2J\rall is well';
/** HOSTILE_ESCAPED: the same text as it must be printed. */
export const HOSTILE_ESCAPED = 'evil.example ESMTP \\x1b[2J\\x0dall is well';

const FLAGS_OFF = {
  pipelining: false,
  eightBitMime: false,
  smtpUtf8: false,
  chunking: false,
  binaryMime: false,
  dsn: false,
  enhancedStatusCodes: false,
  starttls: false,
  requireTls: false,
  vrfy: false,
  etrn: false,
};

/** capabilities: a Capabilities value with the named flags set and `extensions` as EHLO lines. */
export function capabilities(
  hostname: string,
  lines: string[],
  extra: Partial<Capabilities> = {},
): Capabilities {
  const extensions = lines.map((l) => {
    const [keyword = '', ...params] = l.split(' ');
    return { keyword, params };
  });
  return { hostname, ...FLAGS_OFF, extensions, other: [], ...extra };
}

const MODERN = [
  'SIZE 10240000',
  'PIPELINING',
  '8BITMIME',
  'SMTPUTF8',
  'CHUNKING',
  'DSN',
  'ENHANCEDSTATUSCODES',
];
const MODERN_FLAGS = {
  size: 10240000,
  pipelining: true,
  eightBitMime: true,
  smtpUtf8: true,
  chunking: true,
  dsn: true,
  enhancedStatusCodes: true,
};

/** certificate: one chain entry; `daysLeft` and `selfSigned` vary between tests. */
export function certificate(
  subject: string,
  issuer: string,
  extra: Partial<CertificateInfo> = {},
): CertificateInfo {
  return {
    subject,
    subjectAltNames: [],
    issuer,
    serialNumber: '413AC732E4F52FC003',
    validFrom: '2026-11-29T04:13:59.000Z',
    validTo: '2026-12-29T05:13:59.000Z',
    daysLeft: 29,
    selfSigned: false,
    fingerprintSha256:
      'BA:CB:9E:FE:88:4E:26:E5:0F:94:B8:64:A7:7D:D9:DE:74:CA:93:5C:AA:DF:AB:58:B6:0B:A6:5A:A0:9B:46:98',
    publicKey: 'EC prime256v1',
    ...extra,
  };
}

/** esmtpResult: STARTTLS with a two-certificate chain, AUTH only after TLS, a census with every support class, two findings. */
export function esmtpResult(): CapsResult {
  return CapsResultSchema.parse({
    host: '127.0.0.10',
    port: 2525,
    helo: '[127.0.0.1]',
    addresses: ['127.0.0.10'],
    attempts: [{ address: '127.0.0.10', status: 'ok', ms: 3.1 }],
    address: '127.0.0.10',
    banner: {
      reply: { code: 220, lines: ['esmtp.lab.test ESMTP smtp-probe lab'] },
      hostname: 'esmtp.lab.test',
    },
    hello: { verb: 'EHLO', reply: { code: 250, lines: ['esmtp.lab.test', ...MODERN, 'STARTTLS'] } },
    capabilities: capabilities('esmtp.lab.test', [...MODERN, 'STARTTLS'], {
      ...MODERN_FLAGS,
      starttls: true,
    }),
    tls: {
      mode: 'starttls',
      outcome: 'ok',
      reply: { code: 220, enhanced: '2.0.0', lines: ['2.0.0 Ready to start TLS'] },
      info: {
        protocol: 'TLSv1.3',
        cipher: 'TLS_AES_256_GCM_SHA384',
        chain: [
          certificate('CN=esmtp.lab.test', 'CN=smtp-probe lab CA, O=smtp-probe', {
            subjectAltNames: ['DNS:esmtp.lab.test', 'IP Address:127.0.0.10'],
          }),
          certificate('CN=smtp-probe lab CA, O=smtp-probe', 'CN=smtp-probe lab CA, O=smtp-probe', {
            selfSigned: true,
            daysLeft: 3,
            fingerprintSha256:
              '91:A2:0B:C7:D7:75:7F:8D:84:CF:25:4A:D5:74:8E:55:20:68:2A:CE:3A:43:7D:E5:1B:FA:E7:30:29:A7:17:05',
          }),
        ],
        nameMatch: { name: '127.0.0.10', ok: true },
        trusted: { ok: true, store: '/etc/ssl/certs/ca-certificates.crt + /tmp/lab-ca.pem' },
      },
    },
    capabilitiesAfterTls: capabilities('esmtp.lab.test', [...MODERN, 'AUTH PLAIN LOGIN'], {
      ...MODERN_FLAGS,
      auth: ['PLAIN', 'LOGIN'],
    }),
    capabilityChanges: { added: ['AUTH PLAIN', 'AUTH LOGIN'], removed: ['STARTTLS'] },
    census: [
      {
        verb: 'NOOP',
        command: 'NOOP',
        support: 'implemented',
        reply: { code: 250, enhanced: '2.0.0', lines: ['2.0.0 Ok'] },
      },
      {
        verb: 'HELP',
        command: 'HELP',
        support: 'not-implemented',
        reply: { code: 502, enhanced: '5.5.1', lines: ['5.5.1 Error: HELP not implemented'] },
      },
      {
        verb: 'VRFY',
        command: 'VRFY postmaster',
        support: 'disabled',
        reply: { code: 252, enhanced: '2.0.0', lines: ['2.0.0 Cannot VRFY user'] },
        probe: {
          command: 'VRFY smtp-probe-3ec1b25535',
          reply: { code: 252, enhanced: '2.0.0', lines: ['2.0.0 Cannot VRFY user'] },
        },
      },
      {
        verb: 'EXPN',
        command: 'EXPN postmaster',
        support: 'implemented',
        reply: { code: 250, lines: ['Postmaster <postmaster@esmtp.lab.test>'] },
      },
      {
        verb: 'TURN',
        command: 'TURN',
        support: 'unknown',
        reply: { code: 421, lines: ['4.3.2 Service shutting down'] },
      },
    ],
    findings: [
      {
        id: 'expn-enabled',
        severity: 'low',
        message: 'EXPN answers lookups (250): user names can be enumerated',
      },
      {
        id: 'cert-expiring',
        severity: 'medium',
        message: 'certificate expires in 3 days (2026-12-02T05:13:59.000Z)',
      },
    ],
    timings: {
      connect: 3.1,
      greeting: 1,
      ehlo: 1.5,
      starttls: 19.9,
      ehloAfterTls: 1,
      census: 4.5,
      quit: 0.7,
      total: 34.1,
    },
  });
}

/** rejectedResult: a 554 greeting, nothing after it. */
export function rejectedResult(
  bannerLine = '5.7.1 reject-554.lab.test no SMTP service here',
): CapsResult {
  return CapsResultSchema.parse({
    host: '127.0.0.12',
    port: 2525,
    helo: '',
    addresses: ['127.0.0.12'],
    attempts: [{ address: '127.0.0.12', status: 'ok', ms: 2.2 }],
    address: '127.0.0.12',
    banner: { reply: { code: 554, enhanced: '5.7.1', lines: [bannerLine] }, hostname: null },
    hello: null,
    capabilities: null,
    tls: null,
    capabilitiesAfterTls: null,
    capabilityChanges: null,
    census: null,
    findings: [],
    timings: { connect: 2.2, greeting: 0.6, total: 9.3 },
  });
}

/** hostileResult: a server that puts escape sequences in every string it controls. */
export function hostileResult(): CapsResult {
  const evil = '\u001b[2J\r';
  return CapsResultSchema.parse({
    ...esmtpResult(),
    banner: { reply: { code: 220, lines: [HOSTILE] }, hostname: 'evil.example' },
    hello: {
      verb: 'EHLO',
      reply: { code: 250, lines: [`evil.example ${evil}`, `X-EVIL ${evil}`] },
    },
    capabilities: capabilities('evil.example', [`X-EVIL ${evil}`]),
    tls: {
      mode: 'starttls',
      outcome: 'failed',
      error: `handshake: ${evil}`,
      info: {
        protocol: 'TLSv1.2',
        cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
        chain: [
          certificate(`CN=${evil}`, `CN=${evil}`, {
            subjectAltNames: [`DNS:${evil}`],
            selfSigned: true,
          }),
        ],
        nameMatch: { name: 'evil.example', ok: false, error: `mismatch ${evil}` },
        trusted: {
          ok: false,
          store: '/etc/ssl/certs/ca-certificates.crt',
          error: `untrusted ${evil}`,
        },
      },
    },
    capabilitiesAfterTls: null,
    capabilityChanges: null,
    census: [
      {
        verb: 'VRFY',
        command: 'VRFY postmaster',
        support: 'implemented',
        reply: { code: 250, lines: [`postmaster ${evil}`] },
      },
    ],
    findings: [{ id: 'vrfy-enabled', severity: 'low', message: `VRFY answers ${evil}` }],
  });
}

/** hostileAuthResult: hostile AUTH mechanisms after TLS, exactly as parseCapabilities keeps them (ESC is not whitespace). */
export function hostileAuthResult(): CapsResult {
  const r = esmtpResult();
  return CapsResultSchema.parse({
    ...r,
    capabilitiesAfterTls: capabilities('esmtp.lab.test', ['AUTH PLAIN \u001b[2J'], {
      auth: ['PLAIN', '\u001b[2J'],
    }),
    capabilityChanges: { added: ['AUTH PLAIN', 'AUTH \u001b[2J'], removed: ['STARTTLS'] },
  });
}
