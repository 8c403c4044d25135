/**
 * Behaviour tests of the lab's audit sites (`startLab({ sites })`, `lab --sites N`): the
 * naming, the plan's mix, the DNS zone, and every personality of the mix on the wire. One lab
 * with 40 sites on free ports serves the file; the relay variants are in lab-sites-relay.ts.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import {
  startLab,
  siteDomains,
  siteDomain,
  siteAddress,
  planSites,
  SITE_MIX,
  SITE_PERSONALITIES,
  MAX_SITES,
  PROVIDER_SPAN,
  SITES_CERTIFICATE_NAME,
  type Lab,
  type LabHost,
  type SiteDomain,
} from '../../src/lab/index.js';
import { checkDescriptors, FD_HEADROOM } from '../../src/lab/lab-sites.js';
import { probeCaps } from '../../src/probes/caps.js';
import { formatEndpoint } from '../../src/net/target.js';
import { LAB_MAX_SITES } from '../../commands/lab.js';
import { runCli, spawnCli } from '../support/cli-run.js';
import { connectError, RawSmtp, type Wire } from '../support/raw-smtp.js';

const SITES = 40;
let lab: Lab;
let dns: Resolver;

before(async () => {
  lab = await startLab({ port: 0, sites: SITES });
  dns = new Resolver({ timeout: 2_000, tries: 1 });
  dns.setServers([`${lab.dns.address}:${lab.dns.port}`]);
});
after(() => lab.close());

/** primaryOf: the host behind a domain's MX 10. */
const primaryOf = (d: SiteDomain): LabHost => lab.host(d.mx[0]!.host);
/** domainOf: the first domain whose MX 10 plays `personality` with `layout`. */
const domainOf = (personality: string, layout = 'own'): SiteDomain => {
  const d = lab.sites.domains.find((x) => x.personality === personality && x.layout === layout);
  assert.ok(d, `no ${layout} domain plays ${personality}`);
  return d;
};
const greet = (h: LabHost) => RawSmtp.greeted(h.address, h.port);
const text = (w: Wire): string => `${w.code} ${w.lines.join(' | ')}`;

describe('lab sites: naming and plan', () => {
  test('siteDomains is s1.sites.test … sN.sites.test, the same on every call', () => {
    assert.deepEqual(siteDomains(3), ['s1.sites.test', 's2.sites.test', 's3.sites.test']);
    assert.deepEqual(siteDomains(0), []);
    assert.deepEqual(siteDomains(2000), siteDomains(2000));
    assert.equal(siteDomains(2000).length, 2000);
    assert.equal(siteDomains(2000)[1999], 's2000.sites.test');
    assert.equal(new Set(siteDomains(MAX_SITES)).size, MAX_SITES);
    for (const bad of [-1, 1.5, MAX_SITES + 1, Number.NaN])
      assert.throws(() => siteDomains(bad), /not a whole number from 0 to 20000/);
    assert.equal(LAB_MAX_SITES, MAX_SITES, 'the CLI flag and the lab agree on the maximum');
  });

  test('the running lab has exactly siteDomains(N), in order', () => {
    assert.equal(lab.sites.count, SITES);
    assert.deepEqual(
      lab.sites.domains.map((d) => d.domain),
      siteDomains(SITES),
    );
  });

  test('the mix: 60% plain site, 5% each other kind; every kind among the first 20 domains', () => {
    const counts = new Map<string, number>();
    for (const d of planSites(2000).domains)
      counts.set(d.personality, (counts.get(d.personality) ?? 0) + 1);
    assert.equal(counts.get('site'), 1200);
    const kinds = SITE_PERSONALITIES.map((p) => p.name).filter(
      (n) => n !== 'site' && n !== 'site-backup',
    );
    for (const k of kinds) assert.equal(counts.get(k), 100, k);
    const first = new Set(SITE_MIX.map((s) => `${s.personality}/${s.layout}`));
    assert.ok(first.has('site/provider') && first.has('site/backup') && first.has('site/own'));
    assert.deepEqual(
      new Set(planSites(20).domains.map((d) => d.personality)),
      new Set(['site', ...kinds]),
    );
  });

  test('hosts: one loopback address each in 127.1-3.x.y, never .0 or .255, none shared', () => {
    const plan = planSites(MAX_SITES);
    const addresses = plan.hosts.map((h) => h.address);
    assert.equal(new Set(addresses).size, addresses.length);
    for (const a of addresses) {
      const [o1, o2, , o4] = a.split('.').map(Number);
      assert.equal(o1, 127);
      assert.ok(o2! >= 1 && o2! <= 3, a);
      assert.ok(o4! >= 1 && o4! <= 254, a);
    }
    assert.equal(siteAddress('own', 1), '127.1.0.1');
    assert.equal(siteAddress('own', 255), '127.1.1.1');
    assert.equal(
      primaryOf(siteDomain(1)).address,
      '127.1.0.1',
      "domain K's own host is the Kth address",
    );
  });

  test('providers: provider-hosted domains of one span share one MX host that takes mail for each', () => {
    const hosted = lab.sites.domains.filter((d) => d.layout === 'provider');
    assert.ok(hosted.length >= 4);
    assert.equal(new Set(hosted.map((d) => d.mx[0]!.host)).size, Math.ceil(SITES / PROVIDER_SPAN));
    const plan = planSites(SITES);
    const provider = plan.hosts.find((h) => h.name === hosted[0]!.mx[0]!.host)!;
    assert.deepEqual(
      provider.mailDomains,
      hosted.map((d) => d.domain),
    );
  });
});

describe('lab sites: the open-file budget', () => {
  test('a limit too low for the listening sockets is refused up front, saying how to raise it', () => {
    const listening = planSites(MAX_SITES).hosts.filter((h) => h.personality !== 'site-refused');
    assert.doesNotThrow(() => checkDescriptors(listening.length, MAX_SITES, 20_000));
    assert.doesNotThrow(() => checkDescriptors(100, 100, undefined), 'no limit known: no check');
    assert.throws(
      () => checkDescriptors(1_620, 2_000, 1_024),
      (err: Error & { code?: string }) =>
        err.code === 'INVALID_INPUT' &&
        err.message.includes(`need about ${1_620 + FD_HEADROOM} open files`) &&
        err.message.includes('ulimit -n'),
    );
  });
});

describe('lab sites: DNS', () => {
  test('every site domain has its MX records, and every MX host an A record to a lab host', async () => {
    for (const d of lab.sites.domains) {
      const got = (await dns.resolveMx(d.domain)).sort((a, b) => a.priority - b.priority);
      assert.deepEqual(
        got.map((m) => ({ preference: m.priority, host: m.exchange })),
        d.mx,
        d.domain,
      );
      for (const m of d.mx)
        assert.deepEqual(await dns.resolve4(m.host), [lab.host(m.host).address], m.host);
    }
  });

  test('a domain past N does not exist', async () => {
    await assert.rejects(dns.resolveMx(`s${SITES + 1}.sites.test`), { code: 'ENOTFOUND' });
  });
});

describe('lab sites: the personalities on the wire', () => {
  test('site: STARTTLS with the shared wildcard certificate, VRFY/EXPN 502 5.5.1, unknown users 550 5.1.1', async () => {
    const d = domainOf('site');
    const { c, ehlo } = await greet(primaryOf(d));
    try {
      assert.ok(ehlo.lines.includes('STARTTLS'));
      assert.match(text(await c.command('VRFY postmaster')), /^502 5\.5\.1 /);
      assert.match(text(await c.command('EXPN staff')), /^502 5\.5\.1 /);
      assert.equal((await c.command('MAIL FROM:<a@example.com>')).code, 250);
      assert.match(text(await c.command(`RCPT TO:<nobody-x1@${d.domain}>`)), /^550 5\.1\.1 /);
      assert.equal((await c.command(`RCPT TO:<alice@${d.domain}>`)).code, 250);
      assert.equal((await c.command('STARTTLS')).code, 220);
      const t = await c.startTls(lab.caCertPem, primaryOf(d).name);
      assert.equal(t.authorized, true, String(t.authorizationError));
      assert.equal(t.getPeerCertificate().subject.CN, SITES_CERTIFICATE_NAME);
    } finally {
      c.close();
    }
  });

  test('the certificate is one for all site hosts (made once), and a caps probe verifies it by name', async () => {
    const fingerprints = new Set<string>();
    for (const d of [domainOf('site'), domainOf('site-vrfy-open'), domainOf('site', 'provider')]) {
      const h = primaryOf(d);
      const { c } = await greet(h);
      await c.command('STARTTLS');
      fingerprints.add(
        (await c.startTls(lab.caCertPem, h.name)).getPeerCertificate().fingerprint256,
      );
      c.close();
    }
    assert.equal(fingerprints.size, 1);
    const h = primaryOf(domainOf('site'));
    const r = await probeCaps(formatEndpoint(h.address, h.port), {
      caFiles: [lab.caCertFile],
      tlsVerify: true,
      tlsName: h.name,
      census: false,
    });
    assert.equal(r.status, 'ok', JSON.stringify(r.error));
  });

  test('site-expired-cert: the handshake completes, and the chain check says CERT_HAS_EXPIRED', async () => {
    const h = primaryOf(domainOf('site-expired-cert'));
    const { c, ehlo } = await greet(h);
    try {
      assert.ok(ehlo.lines.includes('STARTTLS'));
      assert.equal((await c.command('STARTTLS')).code, 220);
      const t = await c.startTls(lab.caCertPem, h.name);
      assert.equal(t.authorized, false);
      assert.equal(String(t.authorizationError), 'CERT_HAS_EXPIRED');
      assert.ok(Date.parse(t.getPeerCertificate().valid_to) < Date.now());
      assert.equal(
        (await c.command('EHLO client.example')).code,
        250,
        'the session goes on over TLS',
      );
    } finally {
      c.close();
    }
    const r = await probeCaps(formatEndpoint(h.address, h.port), {
      caFiles: [lab.caCertFile],
      tlsVerify: true,
      tlsName: h.name,
      census: false,
    });
    assert.equal(r.error?.code, 'TLS_CERT_INVALID');
  });

  test('site-no-tls: no STARTTLS in EHLO, and STARTTLS is not implemented', async () => {
    const { c, ehlo } = await greet(primaryOf(domainOf('site-no-tls')));
    try {
      assert.ok(!ehlo.lines.includes('STARTTLS'), ehlo.lines.join(' '));
      assert.equal((await c.command('STARTTLS')).code, 502);
    } finally {
      c.close();
    }
  });

  test('site-vrfy-open: 250 for a user, 550 5.1.1 for a made-up name', async () => {
    const { c, ehlo } = await greet(primaryOf(domainOf('site-vrfy-open')));
    try {
      assert.ok(ehlo.lines.includes('VRFY'));
      assert.match(text(await c.command('VRFY postmaster')), /^250 2\.1\.5 Postmaster </);
      assert.match(text(await c.command('VRFY alice')), /^250 2\.1\.5 Alice Example </);
      assert.match(text(await c.command('VRFY zq-made-up-91')), /^550 5\.1\.1 /);
    } finally {
      c.close();
    }
  });

  test('site-vrfy-252: 252 for a user and for a made-up name alike', async () => {
    const { c } = await greet(primaryOf(domainOf('site-vrfy-252')));
    try {
      assert.equal((await c.command('VRFY postmaster')).code, 252);
      assert.equal((await c.command('VRFY zq-made-up-91')).code, 252);
    } finally {
      c.close();
    }
  });

  test('site-expn-open: EXPN postmaster, root, staff and all show their members', async () => {
    const h = primaryOf(domainOf('site-expn-open'));
    const { c } = await greet(h);
    const members = async (list: string): Promise<string[]> => {
      const r = await c.command(`EXPN ${list}`);
      assert.equal(r.code, 250, text(r));
      return r.lines.map((l) => /<([^>]+)>/.exec(l)![1]!);
    };
    try {
      assert.deepEqual(await members('postmaster'), [`root@${h.name}`]);
      assert.deepEqual(await members('root'), [`alice@${h.name}`]);
      assert.deepEqual(await members('staff'), [`alice@${h.name}`, `bob@${h.name}`]);
      assert.deepEqual(
        await members('all'),
        ['alice', 'bob', 'carol'].map((u) => `${u}@${h.name}`),
      );
      assert.match(text(await c.command('EXPN nolist-x9')), /^550 5\.1\.1 /);
      assert.match(text(await c.command('VRFY alice')), /^502 /, 'only EXPN is open');
    } finally {
      c.close();
    }
  });

  test('site-refused: the MX host resolves, and a connect is refused', async () => {
    const h = primaryOf(domainOf('site-refused'));
    assert.equal(h.listening, false);
    assert.equal(await connectError(h.address, h.port), 'ECONNREFUSED');
  });

  test('site-mute: the connect is accepted and nothing ever comes, not even to a command', async () => {
    const h = primaryOf(domainOf('site-mute'));
    const c = await RawSmtp.open(h.address, h.port);
    try {
      c.send('EHLO client.example');
      await assert.rejects(c.reply(300), /no reply within 300 ms/);
      assert.equal(c.received, 0);
      assert.ok(!c.isClosed, 'the host keeps the connection');
    } finally {
      c.close();
    }
  });

  test('backup MX: MX 10 rejects an unknown user, MX 20 accepts it (backscatter); both refuse relaying', async () => {
    const d = domainOf('site', 'backup');
    assert.deepEqual(
      d.mx.map((m) => m.preference),
      [10, 20],
    );
    const answers: number[] = [];
    for (const m of d.mx) {
      const { c } = await greet(lab.host(m.host));
      await c.command('MAIL FROM:<a@example.com>');
      answers.push((await c.command(`RCPT TO:<nobody-x7@${d.domain}>`)).code);
      assert.equal((await c.command('RCPT TO:<relay-test@example.com>')).code, 554, m.host);
      c.close();
    }
    assert.deepEqual(answers, [550, 250]);
    assert.equal(lab.host(d.mx[1]!.host).personality, 'site-backup');
  });

  test('site-open-relay: an outside recipient from an outside sender gets 250; its own unknown users 550', async () => {
    const d = domainOf('site-open-relay');
    const { c } = await greet(primaryOf(d));
    try {
      assert.equal((await c.command('MAIL FROM:<relay-test@example.com>')).code, 250);
      assert.equal((await c.command('RCPT TO:<relay-test@example.com>')).code, 250);
      assert.equal((await c.command(`RCPT TO:<nobody-x3@${d.domain}>`)).code, 550);
      assert.equal((await c.command('DATA')).code, 554, 'and still never takes mail');
    } finally {
      c.close();
    }
  });
});

describe('lab --sites on the command line', () => {
  test('--list-sites prints the domains one per line and starts nothing', async () => {
    const r = await runCli(['lab', '--sites', '7', '--list-sites', '--port', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${siteDomains(7).join('\n')}\n`);
    assert.equal(r.stderr, '');
  });

  test('--list-sites without --sites, and --sites out of range, are usage errors', async () => {
    assert.equal((await runCli(['lab', '--list-sites'])).code, 2);
    const r = await runCli(['lab', '--sites', '20001', '--list-sites']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--sites "20001" .* from 0 to 20000/);
  });

  test('--json gives the sites as counts; the table says how many run and how to list them', async () => {
    const json = spawnCli(['lab', '--port', '0', '--sites', '25', '--json']);
    try {
      await json.waitFor((out) => out.trimEnd().endsWith('}') && out.includes('"sites"'), 20_000);
      const doc = JSON.parse(json.stdout()) as { sites: unknown; hosts: { name: string }[] };
      assert.deepEqual(doc.sites, { count: 25, domains: 25, hosts: planSites(25).hosts.length });
      assert.ok(!doc.hosts.some((h) => h.name.endsWith('.sites.test')), 'hosts lists no site host');
      json.proc.kill('SIGINT');
      assert.equal(await json.exited, 0);
    } finally {
      json.stop();
    }
    const table = spawnCli(['lab', '--port', '0', '--sites', '25']);
    try {
      await table.waitFor((out) => out.includes('--list-sites'), 20_000);
      assert.match(
        table.stdout(),
        /Audit sites: 25 domains \(s1\.sites\.test … s25\.sites\.test\)/,
      );
      assert.match(table.stdout(), /List them: smtp-probe lab --sites 25 --list-sites/);
    } finally {
      table.proc.kill('SIGINT');
      await table.exited;
      table.stop();
    }
  });
});
