/**
 * Relay trials against lab hosts, as an audit sends them (never DATA): every MAIL FROM variant
 * (`<>`, outside, @SITE, @[IP]) with every RCPT trick (percent hack, quotes, a second @, source
 * routes, bang paths, each at SITE and at [IP]). A closed host answers each with 554 5.7.1
 * "Relay access denied" or 501 5.1.3 and keeps the session; the open relay accepts them.
 * Plus the address parsing and resolving behind it, as pure functions.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startLab,
  parseAddress,
  resolveRecipient,
  literal,
  MAX_REWRITES,
  type Address,
  type Lab,
  type LabHost,
} from '../../src/lab/index.js';
import { RawSmtp } from '../support/raw-smtp.js';

const OUT = 'example.com';
const LOCAL = 'relay-test';

/** senders: the MAIL FROM paths an audit tries. */
const senders = (site: string, ip: string): string[] => [
  '<>',
  `<${LOCAL}@${OUT}>`,
  `<${LOCAL}@${site}>`,
  `<${LOCAL}@${ip}>`,
];

/** recipients: the RCPT TO paths an audit tries, every one aimed at relay-test@example.com. */
const recipients = (site: string, ip: string): string[] => [
  `<${LOCAL}@${OUT}>`,
  `<${LOCAL}%${OUT}@${site}>`,
  `<${LOCAL}%${OUT}@${ip}>`,
  `<"${LOCAL}@${OUT}">`,
  `<"${LOCAL}%${OUT}">`,
  `<${LOCAL}@${OUT}@${site}>`,
  `<"${LOCAL}@${OUT}"@${site}>`,
  `<${LOCAL}@${OUT}@${ip}>`,
  `<@${site}:${LOCAL}@${OUT}>`,
  `<@${ip}:${LOCAL}@${OUT}>`,
  `<${OUT}!${LOCAL}>`,
  `<${OUT}!${LOCAL}@${site}>`,
  `<${OUT}!${LOCAL}@${ip}>`,
];

const DENIED = /^(?:554 5\.7\.1 .*Relay access denied|501 5\.1\.3 .*)$/;

let lab: Lab;
before(async () => {
  lab = await startLab({ port: 0, sites: 20 });
});
after(() => lab.close());

/** trials: every sender × recipient at host `h` (SITE `site`) in one session, MAIL/RCPT/RSET each; the RCPT replies. */
async function trials(h: LabHost, site: string): Promise<Map<string, string>> {
  const ip = literal(h.address);
  const got = new Map<string, string>();
  const { c } = await RawSmtp.greeted(h.address, h.port);
  try {
    for (const from of senders(site, ip)) {
      for (const to of recipients(site, ip)) {
        const mail = await c.command(`MAIL FROM:${from}`);
        assert.equal(mail.code, 250, `${h.name}: MAIL FROM:${from}`);
        const r = await c.command(`RCPT TO:${to}`);
        got.set(`${from} -> ${to}`, `${r.code} ${r.lines.join(' ')}`);
        assert.equal((await c.command('RSET')).code, 250);
      }
    }
    assert.equal((await c.command('NOOP')).code, 250, 'the session is still fine');
    assert.equal((await c.command('QUIT')).code, 221);
  } finally {
    c.close();
  }
  return got;
}

const siteOf = (h: LabHost): string =>
  lab.sites.domains.find((d) => d.mx.some((m) => m.host === h.name))?.domain ?? h.name;

describe('relay trials at closed hosts', () => {
  const closed = [
    'site',
    'site-vrfy-open',
    'site-vrfy-252',
    'site-expn-open',
    'site-no-tls',
    'site-expired-cert',
    'site-backup',
    'provider1.sites.test',
    'esmtp',
    'vrfy-open',
    'mx1.mlfarm.test',
    'mx.catchall.test',
  ];
  for (const key of closed) {
    test(`${key}: every variant refused (554 5.7.1 or 501 5.1.3), never 250, nothing hangs`, async () => {
      const h = lab.host(key);
      for (const site of new Set([siteOf(h), h.name])) {
        const got = await trials(h, site);
        assert.equal(got.size, 52);
        for (const [trial, reply] of got) assert.match(reply, DENIED, `${h.name}: ${trial}`);
      }
    });
  }

  test('the refusal quotes the path as sent, as Postfix does', async () => {
    const h = lab.host('site');
    const got = await trials(h, siteOf(h));
    const to = `<${LOCAL}%${OUT}@${siteOf(h)}>`;
    assert.equal(got.get(`<> -> ${to}`), `554 5.7.1 ${to}: Relay access denied`);
  });
});

describe('relay trials at the open relay', () => {
  test('every variant from every sender is accepted (250)', async () => {
    const h = lab.host('site-open-relay');
    const got = await trials(h, siteOf(h));
    for (const [trial, reply] of got) assert.match(reply, /^250 /, trial);
    assert.equal(
      lab.sessions.filter((s) => s.host === h.name).reduce((n, s) => n + s.data, 0),
      0,
      'no DATA was ever sent',
    );
  });
});

describe('parseAddress and resolveRecipient', () => {
  const ours = (a: Address): boolean =>
    a.domain === undefined || ['site.test', '[127.1.0.1]'].includes(a.domain.toLowerCase());
  const where = (path: string): string | null => {
    const a = parseAddress(path);
    if (!a) return null;
    const r = resolveRecipient(a, ours);
    return r.domain === undefined ? r.local : `${r.local}@${r.domain}`;
  };

  test('every trick resolves to the outside address; plain local mail stays', () => {
    for (const to of recipients('site.test', '[127.1.0.1]'))
      assert.equal(where(to), `${LOCAL}@${OUT}`, to);
    assert.equal(where('<alice@site.test>'), 'alice@site.test');
    assert.equal(where('<"alice"@site.test>'), 'alice@site.test');
    assert.equal(where('alice'), 'alice');
    assert.equal(where('<@[IPv6:::1]:alice@site.test>'), 'alice@site.test');
    // Only the server's own domains are rewritten: elsewhere the address is the other server's business.
    assert.equal(where('<a%b@other.test>'), 'a%b@other.test');
  });

  test('bad syntax is null (501 5.1.3), never a throw', () => {
    for (const bad of [
      '<>',
      '<@site.test>',
      '<"unclosed@site.test>',
      '<a b@site.test>',
      '<alice@>',
      '<@a:>',
      '<alice@site test>',
      '<alice@[127.0.0.1>',
      '<"a"b"@x>',
    ])
      assert.equal(parseAddress(bad), null, bad);
  });

  test('a pile of hidden addresses stops after MAX_REWRITES, still ours (so a user lookup refuses it)', () => {
    const deep = parseAddress(`<a${'%site.test'.repeat(50)}@site.test>`)!;
    const r = resolveRecipient(deep, ours);
    assert.equal(r.domain, 'site.test');
    assert.equal(r.local, `a${'%site.test'.repeat(50 - MAX_REWRITES)}`);
  });

  test('literal: IPv4 and IPv6 address literals', () => {
    assert.equal(literal('127.1.0.1'), '[127.1.0.1]');
    assert.equal(literal('::1'), '[IPv6:::1]');
  });
});
