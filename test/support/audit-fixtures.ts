/**
 * Audit records for the HTML report's tests, modelled on real servers: a Postfix that discloses
 * through VRFY (252 for a real name, 550 5.1.1 for a made-up one), an old Sendmail that relays and
 * expands lists, a hosting provider's MX shared by three shops with a certificate about to expire,
 * a hostile server whose banner, names and certificate carry markup, an address that never
 * answered and a domain with a null MX. Every record goes through its zod schema, so a fixture
 * that drifts from src/schema/audit.ts fails loudly. `manyRecords(n)` makes a large run.
 */
import {
  type AuditAddress,
  AuditAddressSchema,
  type AuditSite,
  AuditSiteSchema,
  type AuditSummary,
  AuditSummarySchema,
  type RelayTrial,
} from '../../src/schema/audit.js';
import type { Reply } from '../../src/schema/smtp.js';
import { SEVERITIES } from '../../src/vocabulary.js';
import type { AuditReport } from '../../src/output/audit-html.js';

/** HOSTILE_MARKUP: what a hostile server puts where the report shows text. */
export const HOSTILE_MARKUP = '<script>alert("banner")</script><img src=x onerror=alert(1)>';

/** reply: a Reply with the enhanced code read from the first line, as the parser keeps it. */
export function reply(code: number, ...lines: string[]): Reply {
  const m = /^([245]\.\d{1,3}\.\d{1,3})\s/.exec(lines[0] ?? '');
  return m ? { code, enhanced: m[1]!, lines } : { code, lines };
}

const NO_CHECKS = { caps: null, tls: null, vrfy: null, expn: null, relay: null };

function address(key: string, extra: Partial<AuditAddress>): AuditAddress {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(key)!;
  return AuditAddressSchema.parse({
    key,
    address: m[1],
    port: Number(m[2]),
    names: [],
    status: 'ok',
    error: null,
    ms: 412.7,
    sessions: 2,
    ...NO_CHECKS,
    recipients: [],
    findings: [],
    ...extra,
  });
}

const CAPS = {
  verb: 'EHLO' as const,
  extensions: ['PIPELINING', 'SIZE', 'STARTTLS', 'ENHANCEDSTATUSCODES', '8BITMIME', 'SMTPUTF8'],
  authBeforeTls: [],
  authAfterTls: [],
  size: 10240000,
  smtputf8: true,
  pipelining: true,
};

function cert(subject: string, name: string, daysLeft: number, trusted = true) {
  return {
    subject,
    names: [name],
    issuer: trusted ? "C=US, O=Let's Encrypt, CN=R11" : subject,
    validTo: new Date(Date.UTC(2026, 11, 2) + daysLeft * 86_400_000).toISOString(),
    daysLeft,
    selfSigned: !trusted,
    trusted,
    trustError: trusted ? null : 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate',
  };
}

function trial(variant: string, from: string, to: string, mail: Reply, rcpt: Reply | null) {
  const accepted = rcpt !== null && rcpt.code < 300;
  return { variant, mailFrom: from, rcptTo: to, mail, rcpt, accepted } satisfies RelayTrial;
}

const MAIL_OK = reply(250, '2.1.0 Ok');
const DENIED = reply(554, '5.7.1 <victim@outside.test>: Relay access denied');

function closedRelay(from: string) {
  const trials = [
    trial('outside-to-outside', from, 'victim@outside.test', MAIL_OK, DENIED),
    trial('percent-hack', from, 'victim%outside.test@example.com', MAIL_OK, DENIED),
  ];
  return { verdict: 'closed' as const, decidedBy: null, trials };
}

function finding(
  id: string,
  severity: AuditSite['findings'][number]['severity'],
  message: string,
  ref: string,
) {
  return { id, severity, message, ref };
}

const POSTFIX = address('192.0.2.10:25', {
  names: ['mx1.example.com'],
  caps: { ...CAPS, banner: 'mx1.example.com ESMTP Postfix (Debian/GNU)' },
  tls: {
    outcome: 'ok',
    protocol: 'TLSv1.3',
    error: null,
    certificate: cert('CN=mx1.example.com', 'mx1.example.com', 61),
  },
  vrfy: {
    exposure: 'discloses',
    control: 'zz-nobody-7f3a',
    evidence: [
      { command: 'VRFY postmaster', reply: reply(252, '2.0.0 postmaster') },
      {
        command: 'VRFY zz-nobody-7f3a',
        reply: reply(
          550,
          '5.1.1 <zz-nobody-7f3a>: Recipient address rejected: User unknown in local recipient table',
        ),
      },
    ],
  },
  expn: {
    exposure: 'not-implemented',
    lists: [
      {
        list: 'staff',
        command: 'EXPN staff',
        reply: reply(502, '5.5.2 Error: command not recognized'),
        members: [],
      },
    ],
  },
  relay: closedRelay('probe@audit.test'),
  findings: [
    finding(
      'vrfy-discloses',
      'medium',
      'VRFY tells real mailboxes from made-up ones (252 vs 550)',
      'RFC 5321 §7.3',
    ),
  ],
});

const SENDMAIL = address('192.0.2.20:25', {
  names: ['mail.open-relay.test', '192.0.2.20'],
  sessions: 3,
  caps: {
    ...CAPS,
    banner: 'mail.open-relay.test ESMTP Sendmail 8.12.11/8.12.11; Tue, 1 Dec 2026',
    extensions: ['EXPN', 'VERB', '8BITMIME', 'SIZE', 'DSN', 'HELP'],
    authBeforeTls: ['LOGIN', 'PLAIN'],
    authAfterTls: null,
    smtputf8: false,
    pipelining: false,
  },
  tls: { outcome: 'not-offered', protocol: null, error: null, certificate: null },
  vrfy: {
    exposure: 'discloses',
    control: 'zz-nobody-91c2',
    evidence: [
      { command: 'VRFY root', reply: reply(250, '2.1.5 Charlie Root <root@mail.open-relay.test>') },
      { command: 'VRFY zz-nobody-91c2', reply: reply(550, '5.1.1 zz-nobody-91c2... User unknown') },
    ],
  },
  expn: {
    exposure: 'discloses',
    lists: [
      {
        list: 'staff',
        command: 'EXPN staff',
        reply: reply(250, '2.1.5-Alice <alice@open-relay.test>', '2.1.5 Bob <bob@open-relay.test>'),
        members: ['alice@open-relay.test', 'bob@open-relay.test'],
      },
    ],
  },
  relay: (() => {
    const open = trial(
      'outside-to-outside',
      'probe@audit.test',
      'victim@outside.test',
      MAIL_OK,
      reply(250, '2.1.5 victim@outside.test... Recipient ok'),
    );
    return { verdict: 'open' as const, decidedBy: open, trials: [open] };
  })(),
  recipients: [
    {
      domain: 'open-relay.test',
      rcptTo: 'zz-nobody-91c2@open-relay.test',
      reply: reply(250, '2.1.5 zz-nobody-91c2@open-relay.test... Recipient ok'),
      accepts: true,
    },
  ],
  findings: [
    finding(
      'open-relay',
      'high',
      'accepts mail for outside domains from anyone (outside-to-outside)',
      'RFC 5321 §7.1',
    ),
    finding(
      'auth-plaintext-without-tls',
      'high',
      'AUTH LOGIN PLAIN offered with no TLS at all',
      'RFC 8314 §3',
    ),
    finding('expn-discloses', 'medium', 'EXPN staff shows 2 members', 'RFC 5321 §7.3'),
    finding(
      'vrfy-discloses',
      'medium',
      'VRFY tells real mailboxes from made-up ones (250 vs 550)',
      'RFC 5321 §7.3',
    ),
    finding(
      'no-starttls',
      'medium',
      'STARTTLS not offered: mail to this host crosses the network in clear',
      'RFC 3207',
    ),
  ],
});

const HOSTER = address('198.51.100.7:25', {
  names: ['mx.hoster.test'],
  caps: { ...CAPS, banner: 'mx.hoster.test ESMTP ready' },
  tls: {
    outcome: 'ok',
    protocol: 'TLSv1.2',
    error: null,
    certificate: cert('CN=mx.hoster.test', 'mx.hoster.test', 5),
  },
  vrfy: {
    exposure: 'disabled',
    control: 'zz-nobody-0b44',
    evidence: [{ command: 'VRFY postmaster', reply: reply(502, '5.5.1 VRFY command is disabled') }],
  },
  expn: null,
  relay: closedRelay('probe@audit.test'),
  findings: [finding('cert-expiring', 'low', 'certificate expires in 5 days', 'RFC 5280 §4.1.2.5')],
});

const HOSTILE = address('[2001:db8::25]:25', {
  names: [`mx.hostile.test${HOSTILE_MARKUP}`],
  caps: { ...CAPS, banner: `hostile.test ESMTP \u001b[2J\r${HOSTILE_MARKUP}` },
  tls: {
    outcome: 'ok',
    protocol: 'TLSv1.3',
    error: null,
    certificate: cert(`CN="><script>alert("cert")</script>`, 'mx.hostile.test', 300, false),
  },
  vrfy: {
    exposure: 'blanket-252',
    control: 'zz-nobody-55e1',
    evidence: [
      { command: 'VRFY postmaster', reply: reply(252, `2.0.0 ${HOSTILE_MARKUP}`) },
      {
        command: 'VRFY zz-nobody-55e1',
        reply: reply(252, '2.0.0 Cannot VRFY user, but will accept message'),
      },
    ],
  },
  relay: {
    verdict: 'unknown',
    decidedBy: null,
    trials: [
      trial(
        'outside-to-outside',
        'probe@audit.test',
        'victim@outside.test',
        reply(421, `4.7.0 ${HOSTILE_MARKUP} try later`),
        null,
      ),
    ],
  },
  findings: [
    finding(
      'cert-self-signed',
      'medium',
      `certificate for ${HOSTILE_MARKUP} is self-signed`,
      'RFC 7672 §3.2 (PKIX senders refuse it)',
    ),
    finding(
      'vrfy-blanket-252',
      'info',
      'VRFY answers 252 for every name, the made-up one too',
      'RFC 5321 §3.5.3',
    ),
  ],
});

const DEAD = address('203.0.113.5:25', {
  names: ['mx.dead.test'],
  status: 'connection-timeout',
  ms: 10003.2,
  sessions: 0,
  error: {
    code: 'CONNECT_TIMEOUT',
    stage: 'connect',
    message: 'connect timeout (attempted address: 203.0.113.5:25, timeout: 10000ms)',
    hint: 'the host did not answer the SYN: it is down or filtered; raise --connect-timeout to wait longer',
  },
  findings: [
    finding(
      'unreachable',
      'medium',
      '203.0.113.5:25: connect timeout (attempted address: 203.0.113.5:25, timeout: 10000ms); senders move on to the next address or queue',
      'RFC 5321 §5.1',
    ),
  ],
});

/** ADDRESSES: every address record of the fixture run. */
export const ADDRESSES: readonly AuditAddress[] = [POSTFIX, SENDMAIL, HOSTER, HOSTILE, DEAD];

// Worst first, as `audit` ranks each check's words for a site's `exposure`.
const WORST = {
  vrfy: ['discloses', 'blanket-252', 'unknown', 'policy', 'disabled'],
  expn: ['discloses', 'unknown', 'refused', 'not-implemented'],
  relay: ['open', 'unknown', 'closed'],
  starttls: ['not-offered', 'failed', 'refused', 'ok'],
} as const;

function worstAmong<W extends string>(order: readonly W[], words: (W | undefined)[]): W | null {
  return order.find((w) => words.includes(w)) ?? null;
}

/** exposureOf: a site's `exposure` from its addresses. */
export function exposureOf(as: readonly AuditAddress[]): AuditSite['exposure'] {
  return {
    vrfy: worstAmong(
      WORST.vrfy,
      as.map((a) => a.vrfy?.exposure),
    ),
    expn: worstAmong(
      WORST.expn,
      as.map((a) => a.expn?.exposure),
    ),
    relay: worstAmong(
      WORST.relay,
      as.map((a) => a.relay?.verdict),
    ),
    starttls: worstAmong(
      WORST.starttls,
      as.map((a) => a.tls?.outcome),
    ),
  };
}

function site(
  target: string,
  hosts: [string, number | null, AuditAddress[]][],
  extra: Partial<AuditSite> = {},
): AuditSite {
  const findings = hosts
    .flatMap(([, , as]) => as)
    .flatMap((a): AuditSite['findings'] => a.findings.map((f) => ({ ...f, address: a.key })))
    .concat(extra.findings ?? [])
    .sort((x, y) => SEVERITIES.indexOf(y.severity) - SEVERITIES.indexOf(x.severity));
  return AuditSiteSchema.parse({
    target,
    kind: 'domain',
    status: 'ok',
    source: 'mx',
    hosts: hosts.map(([name, preference, as]) => ({
      name,
      preference,
      addresses: as.map((a) => a.key),
    })),
    error: null,
    exposure: exposureOf(hosts.flatMap(([, , as]) => as)),
    ...extra,
    findings,
    worst: findings[0]?.severity ?? null,
  });
}

/** SITES: nine targets; shop1-3.test share one MX address, and 192.0.2.20 is audited as a host and as open-relay.test's MX. */
export const SITES: readonly AuditSite[] = [
  site('example.com', [['mx1.example.com', 10, [POSTFIX]]]),
  site('open-relay.test', [['mail.open-relay.test', 10, [SENDMAIL]]], {
    findings: [
      {
        ...finding(
          'mx-backscatter',
          'medium',
          'mail.open-relay.test accepts a made-up recipient at open-relay.test: mail is accepted and bounced later (backscatter)',
          'RFC 5321 §6.1, RFC 3834 §2',
        ),
        address: null,
      },
    ],
  }),
  site('192.0.2.20', [['192.0.2.20', null, [SENDMAIL]]], { kind: 'host', source: 'direct' }),
  ...['shop1.test', 'shop2.test', 'shop3.test'].map((t) =>
    site(t, [['mx.hoster.test', 10, [HOSTER]]]),
  ),
  site('hostile.test', [[`mx.hostile.test${HOSTILE_MARKUP}`, 0, [HOSTILE]]]),
  site('dead.test', [['mx.dead.test', 10, [DEAD]]], {
    status: 'unreachable',
    error: 'no address of any host answered',
  }),
  site('nomail.test', [], { status: 'no-mail', source: 'null-mx' }),
];

/** summaryOf: the summary `audit` would print for these records (counts by address, findings once each). */
export function summaryOf(
  sites: readonly AuditSite[],
  addresses: readonly AuditAddress[],
): AuditSummary {
  const count = (p: (a: AuditAddress) => boolean) => addresses.filter(p).length;
  const all = [
    ...addresses.flatMap((a) => a.findings),
    ...sites.flatMap((s) => s.findings.filter((f) => f.address === null)),
  ];
  const worst = sites
    .flatMap((s) => s.findings.map((f) => ({ ...f, site: s.target })))
    .sort((x, y) => SEVERITIES.indexOf(y.severity) - SEVERITIES.indexOf(x.severity))
    .slice(0, 20);
  return AuditSummarySchema.parse({
    sites: sites.length,
    addresses: addresses.length,
    checks: ['connect', 'caps', 'tls', 'vrfy', 'expn', 'relay', 'mx-consistency'],
    counts: {
      exposesVrfy: count((a) => a.vrfy?.exposure === 'discloses'),
      exposesExpn: count((a) => a.expn?.exposure === 'discloses'),
      openRelay: count((a) => a.relay?.verdict === 'open'),
      noStarttls: count((a) => a.tls?.outcome === 'not-offered'),
      badCertificate: count(
        (a) =>
          !!a.tls?.certificate && (!a.tls.certificate.trusted || a.tls.certificate.daysLeft < 14),
      ),
      unreachable: count((a) => a.status !== 'ok'),
      // By site, from each site's policy (the fixture sites ran neither policy check).
      stsSkipsMx: sites.filter(
        (s) =>
          s.policy?.mtaSts === 'enforce' && s.policy.stsVerdicts.some((v) => v.outcome === 'skip'),
      ).length,
      stsBroken: sites.filter(
        (s) => s.policy?.mtaSts === 'fetch-failed' || s.policy?.mtaSts === 'invalid-policy',
      ).length,
      daneFails: sites.filter((s) =>
        s.policy?.dane?.some((d) => d.state === 'dane-mismatch' || d.state === 'dane-no-tls'),
      ).length,
    },
    bySeverity: Object.fromEntries(
      SEVERITIES.map((s) => [s, all.filter((f) => f.severity === s).length]),
    ),
    worst,
  });
}

/** GENERATED_AT: the fixed time the fixture reports carry. */
export const GENERATED_AT = new Date('2026-12-02T09:30:00Z');

/** fixtureReport: the fixture run as renderAuditHtml's input. */
export function fixtureReport(): AuditReport {
  return {
    summary: summaryOf(SITES, ADDRESSES),
    sites: SITES,
    addresses: new Map(ADDRESSES.map((a) => [a.key, a])),
    generatedAt: GENERATED_AT,
  };
}

/**
 * manyRecords: a run of `n` sites, the fixture's kinds in turn under new names: each site has its
 * own address, except that every fifth shares the hosting provider's (as thousands of domains share
 * a big provider's MX). For size and speed checks; not schema-checked record by record (slow).
 */
export function manyRecords(n: number): AuditReport {
  const kinds = [POSTFIX, SENDMAIL, HOSTER, HOSTILE, DEAD];
  const sites: AuditSite[] = [];
  const addresses = new Map<string, AuditAddress>([[HOSTER.key, HOSTER]]);
  for (let i = 0; i < n; i++) {
    const base = kinds[i % kinds.length]!;
    const key =
      base === HOSTER ? HOSTER.key : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:25`;
    const a =
      base === HOSTER
        ? HOSTER
        : { ...base, key, address: key.slice(0, -3), names: [`mx.site${i}.test`] };
    addresses.set(key, a);
    const findings = a.findings
      .map((f) => ({ ...f, address: key }))
      .sort((x, y) => SEVERITIES.indexOf(y.severity) - SEVERITIES.indexOf(x.severity));
    sites.push({
      target: `site${i}.test`,
      kind: 'domain',
      status: a.status === 'ok' ? 'ok' : 'unreachable',
      source: 'mx',
      hosts: [{ name: a.names[0]!, preference: 10, addresses: [key] }],
      error: null,
      exposure: exposureOf([a]),
      findings,
      worst: findings[0]?.severity ?? null,
      policy: null,
    });
  }
  return {
    summary: summaryOf(sites, [...addresses.values()]),
    sites,
    addresses,
    generatedAt: GENERATED_AT,
  };
}
