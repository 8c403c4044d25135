/**
 * Behaviour tests of the lab: every personality checked with a raw socket
 * (what the host really says on the wire), then the real caps probe run
 * against it. One lab on free ports serves the whole file.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  startLab,
  describeLab,
  PERSONALITIES,
  SLOW_GREETING_MS,
  LAB_CA_NAME,
  type Lab,
  type LabHost,
} from '../../src/lab/index.js';
import { probeCaps } from '../../src/probes/caps.js';
import { formatEndpoint } from '../../src/net/target.js';
import { RawSmtp } from '../support/raw-smtp.js';

/** open: a raw client connected to lab host `h`. */
const open = (h: LabHost): Promise<RawSmtp> => RawSmtp.open(h.address, h.port);

let lab: Lab;
const target = (name: string): string =>
  formatEndpoint(lab.host(name).address, lab.host(name).port);
const linesOf = (conn: number): string[] =>
  lab.log.filter((e) => e.conn === conn).map((e) => e.line);
const connOf = (line: string): number => lab.log.findLast((e) => e.line === line)!.conn;

before(async () => {
  lab = await startLab({ port: 0 });
});
after(() => lab.close());

describe('lab: hosts and layout', () => {
  test('every personality with an address has its own host, first, on its own loopback address; all share one free port', () => {
    const own = lab.hosts.filter((h) => h.scenario === null);
    assert.deepEqual(
      own.map((h) => h.personality),
      PERSONALITIES.filter((p) => p.address).map((p) => p.name),
    );
    assert.deepEqual(lab.hosts.slice(0, own.length), own, 'the personality hosts come first');
    const addresses = lab.hosts.flatMap((h) => h.addresses);
    assert.equal(new Set(addresses).size, addresses.length, 'no address is used twice');
    for (const h of own) {
      assert.match(h.address, /^127\.0\.0\.\d+$/);
      assert.equal(h.name, `${h.personality}.lab.test`);
    }
    assert.ok(lab.port > 0);
    assert.ok(
      lab.hosts.every((h) => h.port === lab.port),
      'one port for every host: DNS gives addresses, never ports',
    );
    assert.equal(lab.host('esmtp').address, '127.0.0.10');
    assert.equal(
      lab.host('closed').name,
      'closed.lab.test',
      'a personality name finds its own host first',
    );
    assert.equal(lab.host('closed').listening, false);
    assert.equal(lab.host('mx1.mlfarm.test').scenario, 'mlfarm.test');
  });

  test('describeLab gives one printable row per host', () => {
    const rows = describeLab(lab);
    assert.equal(rows.length, lab.hosts.length);
    assert.deepEqual(rows[0], {
      name: 'esmtp.lab.test',
      endpoint: target('esmtp'),
      personality: 'esmtp',
      description: lab.host('esmtp').description,
      scenario: null,
    });
    assert.match(rows.find((r) => r.personality === 'closed')!.endpoint, /nothing listens/);
    assert.match(rows.find((r) => r.name === 'bh.blackhole.test')!.endpoint, /connects time out/);
    assert.equal(
      rows.find((r) => r.name === 'mx.v6.test')!.endpoint,
      `127.0.0.32:${lab.port}, [::1]:${lab.port}`,
    );
  });

  test('the CA is in PEM form and on disk', () => {
    assert.match(lab.caCertPem, /^-----BEGIN CERTIFICATE-----/);
    assert.ok(existsSync(lab.caCertFile));
  });

  test('unknown personalities are refused before anything listens', async () => {
    await assert.rejects(startLab({ port: 0, hosts: ['nope'] }), /unknown lab host nope/);
  });

  test('hosts picks by personality, host name or scenario domain', async () => {
    const some = await startLab({ port: 0, hosts: ['esmtp', 'mx1.mlfarm.test', 'noao.test'] });
    try {
      assert.deepEqual(
        some.hosts.map((h) => h.name),
        ['esmtp.lab.test', 'mx1.mlfarm.test', 'sun.noao.test', 'mx.noao.test'],
      );
      assert.equal(some.blackhole, null, 'no blackhole host, no blackhole');
    } finally {
      await some.close();
    }
  });
});

describe('lab: each personality on the wire', { concurrency: true }, () => {
  test('esmtp: modern EHLO, AUTH only after STARTTLS, a chain that verifies against the lab CA', async () => {
    const c = await open(lab.host('esmtp'));
    assert.deepEqual(await c.reply(), {
      code: 220,
      lines: ['esmtp.lab.test ESMTP smtp-probe lab'],
    });
    const ehlo = await c.command('EHLO client.example');
    assert.equal(ehlo.code, 250);
    assert.deepEqual(ehlo.lines.slice(1), [
      'SIZE 10240000',
      'PIPELINING',
      '8BITMIME',
      'SMTPUTF8',
      'CHUNKING',
      'DSN',
      'ENHANCEDSTATUSCODES',
      'STARTTLS',
    ]);
    assert.equal((await c.command('AUTH PLAIN')).code, 530);
    assert.deepEqual(await c.command('VRFY alice'), {
      code: 502,
      lines: ['5.5.1 VRFY command is disabled'],
    });
    assert.equal((await c.command('STARTTLS')).code, 220);
    const tls = await c.startTls(lab.caCertPem, 'esmtp.lab.test');
    assert.deepEqual([tls.authorized, tls.getPeerCertificate().issuer.CN], [true, LAB_CA_NAME]);
    // RFC 3207 §4.2: the session starts over, so MAIL needs a new EHLO.
    assert.equal((await c.command('MAIL FROM:<>')).code, 503);
    const again = await c.command('EHLO client.example');
    assert.ok(again.lines.includes('AUTH PLAIN LOGIN'));
    assert.ok(!again.lines.includes('STARTTLS'));
    assert.equal((await c.command('QUIT')).code, 221);
    await c.closed;
    const conn = connOf('AUTH PLAIN');
    assert.deepEqual(
      lab.log.filter((e) => e.conn === conn && e.tls).map((e) => e.line),
      ['MAIL FROM:<>', 'EHLO client.example', 'QUIT'],
    );
  });

  test('esmtp: commands pipelined after STARTTLS in clear are dropped, never answered under TLS', async () => {
    const c = await open(lab.host('esmtp'));
    await c.reply();
    c.send('EHLO client.example');
    await c.reply();
    c.send('STARTTLS', 'RSET');
    assert.equal((await c.reply()).code, 220);
    await c.startTls(lab.caCertPem, 'esmtp.lab.test');
    assert.equal((await c.command('NOOP')).code, 250);
    assert.ok(await c.silentFor(100), 'the injected RSET got no reply');
    c.close();
  });

  test('pipelined commands are answered in order; verbs are case-insensitive', async () => {
    const c = await open(lab.host('esmtp'));
    await c.reply();
    c.send(
      'mail FROM:<a@b.example>',
      'ehlo client.example',
      'NOOP',
      'Mail From:<>',
      'RCPT TO:<alice@esmtp.lab.test>',
      'rcpt to:<nobody@esmtp.lab.test>',
      'RCPT TO:<x@elsewhere.example>',
      'RSET',
      'DATA',
      'FROB',
      'QUIT',
    );
    assert.deepEqual(await c.codes(11), [503, 250, 250, 250, 250, 550, 554, 250, 503, 500, 221]);
    await c.closed;
    assert.ok(linesOf(connOf('FROB')).includes('DATA'), 'the lab logged the DATA it refused');
  });

  test('an overlong line gets 500 5.5.6 and the connection closes', async () => {
    const c = await open(lab.host('esmtp'));
    await c.reply();
    c.send(`NOOP ${'x'.repeat(3000)}`);
    assert.deepEqual(await c.reply(), { code: 500, lines: ['5.5.6 Error: line too long'] });
    await c.closed;
  });

  test('helo-only: EHLO is unrecognized, HELO works', async () => {
    const c = await open(lab.host('helo-only'));
    assert.equal((await c.reply()).code, 220);
    assert.deepEqual(await c.command('EHLO client.example'), {
      code: 500,
      lines: ['5.5.1 command unrecognized'],
    });
    assert.deepEqual(await c.command('HELO client.example'), {
      code: 250,
      lines: ['helo-only.lab.test'],
    });
    assert.equal((await c.command('MAIL FROM:<>')).code, 250);
    c.close();
  });

  test('reject-554: refuses in the greeting, 503 to anything but QUIT', async () => {
    const c = await open(lab.host('reject-554'));
    assert.deepEqual(await c.reply(), {
      code: 554,
      lines: ['5.7.1 reject-554.lab.test no SMTP service here'],
    });
    assert.equal((await c.command('EHLO client.example')).code, 503);
    assert.equal((await c.command('QUIT')).code, 221);
    await c.closed;
  });

  test('slow-greeting: the 220 comes only after the configured delay', async () => {
    const t = performance.now();
    const c = await open(lab.host('slow-greeting'));
    assert.equal((await c.reply(SLOW_GREETING_MS + 2_000)).code, 220);
    assert.ok(
      performance.now() - t >= SLOW_GREETING_MS - 5,
      `greeted after ${(performance.now() - t).toFixed(0)} ms`,
    );
    c.close();
  });

  test('silent: accepts and says nothing, yet logs what it hears', async () => {
    const c = await open(lab.host('silent'));
    c.send('EHLO silent-probe.example');
    assert.ok(await c.silentFor(300));
    assert.ok(
      lab.log.some((e) => e.personality === 'silent' && e.line === 'EHLO silent-probe.example'),
    );
    c.close();
  });

  test('closed: the connect is refused', async () => {
    await assert.rejects(open(lab.host('closed')), { code: 'ECONNREFUSED' });
  });

  test('vrfy-open: VRFY and EXPN reveal users and lists; legacy verbs answer', async () => {
    const c = await open(lab.host('vrfy-open'));
    await c.reply();
    assert.deepEqual(await c.command('VRFY postmaster'), {
      code: 250,
      lines: ['2.1.5 Postmaster <postmaster@vrfy-open.lab.test>'],
    });
    assert.deepEqual(await c.command('vrfy <ALICE@vrfy-open.lab.test>'), {
      code: 250,
      lines: ['2.1.5 Alice Example <alice@vrfy-open.lab.test>'],
    });
    assert.equal((await c.command('VRFY mallory')).code, 550);
    assert.deepEqual(await c.command('EXPN staff'), {
      code: 250,
      lines: [
        '2.1.5 Alice Example <alice@vrfy-open.lab.test>',
        '2.1.5 Bob Example <bob@vrfy-open.lab.test>',
      ],
    });
    assert.equal((await c.command('EXPN nolist')).code, 550);
    assert.equal((await c.command('TURN')).code, 502);
    assert.equal((await c.command('ETRN example.invalid')).code, 250);
    assert.equal((await c.command('VERB')).code, 250);
    const help = await c.command('HELP');
    assert.equal(help.code, 214);
    assert.ok(help.lines.length > 1);
    c.close();
  });

  test('vrfy-closed: 252 to every VRFY, EXPN disabled', async () => {
    const c = await open(lab.host('vrfy-closed'));
    await c.reply();
    assert.equal((await c.command('VRFY postmaster')).code, 252);
    assert.match((await c.command('VRFY no-such-user-anywhere')).lines[0]!, /^2\.0\.0 /);
    assert.deepEqual(await c.command('EXPN staff'), {
      code: 502,
      lines: ['5.5.2 EXPN command is disabled'],
    });
    c.close();
  });

  test('a client that resets during the TLS handshake does not hurt the lab', async () => {
    const c = await open(lab.host('esmtp'));
    await c.reply();
    assert.equal((await c.command('STARTTLS')).code, 220);
    c.send('this is not a ClientHello');
    c.close();
    const d = await open(lab.host('esmtp'));
    assert.equal((await d.reply()).code, 220);
    d.close();
  });
});

describe('lab: the caps probe against it', { concurrency: true }, () => {
  const opts = () => ({
    caFiles: [lab.caCertFile],
    helo: 'probe.smtp-probe.test',
    timeouts: { greetingMs: 1_000, commandMs: 2_000 },
  });

  test('esmtp: ok, STARTTLS with a trusted two-certificate chain, AUTH appears after TLS', async () => {
    const { status, result } = await probeCaps(target('esmtp'), opts());
    assert.equal(status, 'ok');
    assert.equal(result.banner?.hostname, 'esmtp.lab.test');
    assert.equal(result.capabilities?.size, 10240000);
    assert.equal(result.capabilities?.starttls, true);
    assert.equal(result.capabilities?.auth, undefined);
    assert.deepEqual(result.capabilitiesAfterTls?.auth, ['PLAIN', 'LOGIN']);
    assert.equal(result.tls?.outcome, 'ok');
    const info = result.tls!.info!;
    assert.equal(info.trusted.ok, true);
    assert.equal(info.nameMatch.ok, true, 'the leaf carries the host IP as a SAN');
    assert.deepEqual(
      info.chain.map((c) => c.subject),
      ['CN=esmtp.lab.test', `CN=${LAB_CA_NAME}, O=smtp-probe`],
    );
    assert.equal(result.census?.find((e) => e.verb === 'VRFY')?.support, 'not-implemented');
  });

  test('esmtp without the lab CA: the chain is reported untrusted, the probe still succeeds', async () => {
    const { status, result } = await probeCaps(target('esmtp'), { ...opts(), caFiles: [] });
    assert.equal(status, 'ok');
    assert.equal(result.tls?.info?.trusted.ok, false);
  });

  test('helo-only: the probe falls back to HELO', async () => {
    const { status, result } = await probeCaps(target('helo-only'), opts());
    assert.equal(status, 'ok');
    assert.equal(result.hello?.verb, 'HELO');
    assert.equal(result.hello?.ehloReply?.code, 500);
    assert.equal(result.capabilities, null);
  });

  test('reject-554, silent, closed, slow-greeting: the status names what happened', async () => {
    const statuses = await Promise.all(
      ['reject-554', 'silent', 'closed', 'slow-greeting'].map(async (h) => [
        h,
        (await probeCaps(target(h), opts())).status,
      ]),
    );
    assert.deepEqual(Object.fromEntries(statuses), {
      'reject-554': 'rejected',
      silent: 'greeting-timeout',
      closed: 'connection-refused',
      'slow-greeting': 'greeting-timeout',
    });
  });

  test('slow-greeting: ok once the greeting timeout allows for the delay (a lab whose delay is 400 ms)', async () => {
    // The delay is data in the description, so a test can shorten it without touching the engine.
    const quick = PERSONALITIES.map((p) =>
      p.name === 'slow-greeting' ? { ...p, greeting: { ...p.greeting!, delayMs: 400 } } : p,
    );
    const small = await startLab({ port: 0, hosts: ['slow-greeting'], personalities: quick });
    try {
      const h = small.host('slow-greeting');
      const at = formatEndpoint(h.address, h.port);
      assert.equal(
        (await probeCaps(at, { ...opts(), timeouts: { greetingMs: 200 } })).status,
        'greeting-timeout',
      );
      const { status, result } = await probeCaps(at, {
        ...opts(),
        timeouts: { greetingMs: 1_500 },
      });
      assert.equal(status, 'ok');
      assert.ok(result.timings.greeting! >= 395, `greeted after ${result.timings.greeting} ms`);
    } finally {
      await small.close();
    }
  });

  test('census: vrfy-open really looks users up, vrfy-closed answers 252 to anything', async () => {
    const census = async (h: string) => {
      const { status, result } = await probeCaps(target(h), opts());
      assert.equal(status, 'ok');
      return Object.fromEntries((result.census ?? []).map((e) => [e.verb, e.support]));
    };
    const [open, closed] = await Promise.all([census('vrfy-open'), census('vrfy-closed')]);
    assert.equal(open.VRFY, 'implemented');
    assert.equal(open.EXPN, 'implemented');
    assert.equal(open.ETRN, 'implemented');
    assert.equal(open.TURN, 'not-implemented');
    assert.equal(closed.VRFY, 'disabled');
    assert.equal(closed.EXPN, 'not-implemented');
  });
});

// After the probes above (suites run one after another): the lab's log is the evidence.
test('no probe ever sent DATA', () => {
  const fromProbes = new Set(
    lab.log.filter((e) => /^(EHLO|HELO) probe\.smtp-probe\.test$/.test(e.line)).map((e) => e.conn),
  );
  assert.ok(fromProbes.size >= 5);
  assert.ok(!lab.log.some((e) => fromProbes.has(e.conn) && /^(DATA|BDAT)\b/i.test(e.line)));
});

test('close: stops listening and deletes the CA file', async () => {
  const small = await startLab({ port: 0, hosts: ['esmtp', 'closed'] });
  assert.equal(
    small.host('closed').port,
    small.host('esmtp').port,
    'closed borrows a port the lab holds',
  );
  await small.close();
  await small.close();
  assert.ok(!existsSync(small.caCertFile));
  await assert.rejects(open(small.host('esmtp')), { code: 'ECONNREFUSED' });
});

test('a lab of only the closed host still reports a port nothing answers on', async () => {
  const only = await startLab({ port: 0, hosts: ['closed'] });
  try {
    assert.ok(only.host('closed').port > 0);
    await assert.rejects(open(only.host('closed')), { code: 'ECONNREFUSED' });
  } finally {
    await only.close();
  }
});
