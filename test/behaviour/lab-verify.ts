/**
 * Behaviour tests of the lab hosts made for `verify` (catchall.test,
 * greylist.test, throttle.test, rcptcap.test, drop421.test, nopipe.test)
 * with a raw client that timestamps every reply, their DNS as any resolver
 * sees it, the session log, and the latency proxy. One lab on free ports,
 * with short greylisting and throttling delays, serves the whole file.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { connect, createServer, type Server } from 'node:net';
import {
  startLab,
  startLatencyProxy,
  Conversation,
  GreylistStore,
  MAX_TRIPLETS,
  PERSONALITIES,
  POSTFIX_ERROR_LIMITS,
  RCPT_CAP,
  DROP_AFTER_RCPTS,
  NOPIPE_REPLY_DELAY_MS,
  type Lab,
  type LabSession,
} from '../../src/lab/index.js';
import { RawSmtp, type Wire } from '../support/raw-smtp.js';

const GREY_MS = 300;
const SLEEP_MS = 100;
const KINDS = ['catchall', 'greylist', 'throttle', 'rcptcap', 'drop421', 'nopipe'] as const;

let lab: Lab;
const text = (w: Wire): string => `${w.code} ${w.lines.join(' / ')}`;
/**
 * sessionOf: the lab's record of this connection. A source port can be reused for
 * another host (or, much later, the same one), so match the host too and take the latest.
 */
const sessionOf = (c: RawSmtp): LabSession => {
  const host = lab.hosts.find((h) => h.address === c.remote)?.name;
  const s = lab.sessions.filter((x) => x.remote === c.local && x.host === host).at(-1);
  assert.ok(s, `no session from ${c.local} to ${host ?? c.remote}`);
  return s;
};
/** greeted: a timed raw client to mx.<kind>.test, its 220 read and EHLO said; the EHLO reply's lines. */
async function greeted(kind: string): Promise<{ c: RawSmtp; ehlo: string[] }> {
  const h = lab.host(`mx.${kind}.test`);
  const { c, ehlo } = await RawSmtp.greeted(h.address, h.port, { timed: true });
  assert.equal(ehlo.code, 250);
  return { c, ehlo: ehlo.lines };
}
/** ended: the lab's record of a connection once the host has seen it close too (the client may notice first). */
async function ended(c: RawSmtp): Promise<LabSession> {
  await c.closed;
  const s = sessionOf(c);
  for (let waited = 0; s.closedAt === null && waited < 1_000; waited += 5)
    await new Promise((r) => setTimeout(r, 5));
  return s;
}

before(async () => {
  lab = await startLab({
    port: 0,
    hosts: KINDS.map((k) => `${k}.test`),
    greylistDelayMs: GREY_MS,
    throttleSleepMs: SLEEP_MS,
  });
});
after(() => lab.close());

describe('lab verify hosts: DNS and EHLO', { concurrency: true }, () => {
  test('six scenario domains, one host each on 127.0.0.40-45', () => {
    assert.deepEqual(
      lab.hosts.map((h) => [h.scenario, h.name, h.address, h.personality]),
      KINDS.map((k, i) => [`${k}.test`, `mx.${k}.test`, `127.0.0.${40 + i}`, k]),
    );
  });

  test('any resolver pointed at the lab finds MX 10 mx.<kind>.test and its address', async () => {
    const r = new Resolver();
    r.setServers([`${lab.dns.address}:${lab.dns.port}`]);
    for (const k of KINDS) {
      assert.deepEqual(await r.resolveMx(`${k}.test`), [
        { priority: 10, exchange: `mx.${k}.test` },
      ]);
      assert.deepEqual(await r.resolve4(`mx.${k}.test`), [lab.host(`mx.${k}.test`).address]);
    }
  });

  test('each greets as its own name and advertises PIPELINING, ENHANCEDSTATUSCODES and STARTTLS', async () => {
    for (const k of KINDS) {
      const { c, ehlo } = await greeted(k);
      assert.equal(ehlo[0], `mx.${k}.test`);
      for (const ext of ['PIPELINING', 'ENHANCEDSTATUSCODES', 'STARTTLS'])
        assert.ok(ehlo.includes(ext), `${k}: ${ext}`);
      assert.equal((await c.command('QUIT')).code, 221);
      await c.closed;
    }
  });
});

describe('lab verify hosts: RCPT behaviour', { concurrency: true }, () => {
  test('every host: MAIL 250 2.1.0, alice/bob/postmaster 250 2.1.5, an unknown user 550 5.1.1 (but the catch-all), relaying 554, DATA 554 and logged, RSET 250', async () => {
    // greylist.test defers first RCPTs and drop421.test hangs up on the 4th: their own tests below cover them.
    for (const k of KINDS.filter((x) => x !== 'greylist' && x !== 'drop421')) {
      const { c } = await greeted(k);
      c.send(
        'MAIL FROM:<probe@client.example>',
        `RCPT TO:<alice@${k}.test>`,
        `RCPT TO:<Bob@${k}.test>`,
        `RCPT TO:<postmaster@${k}.test>`,
        `RCPT TO:<nobody@${k}.test>`,
        'RCPT TO:<alice@elsewhere.example>',
        'DATA',
        'RSET',
        'QUIT',
      );
      const got = (await c.take(9)).map(text);
      assert.equal(got[0], '250 2.1.0 Ok', k);
      assert.deepEqual(got.slice(1, 4), ['250 2.1.5 Ok', '250 2.1.5 Ok', '250 2.1.5 Ok'], k);
      if (k === 'catchall') assert.equal(got[4], '250 2.1.5 Ok');
      else
        assert.equal(
          got[4],
          `550 5.1.1 <nobody@${k}.test>: Recipient address rejected: User unknown in local recipient table`,
          k,
        );
      assert.match(got[5]!, /^554 5\.7\.1 <alice@elsewhere\.example>: Relay access denied$/, k);
      assert.match(got[6]!, /^554 5\.5\.0 /, `${k}: DATA is refused`);
      assert.deepEqual(got.slice(7), ['250 2.0.0 Ok', '221 2.0.0 Bye'], k);
      const s = await ended(c);
      assert.deepEqual(
        [s.host, s.commands, s.data, s.replies, s.lastReply, s.closedBy],
        [`mx.${k}.test`, 10, 1, 11, 221, 'server'],
        k,
      );
      assert.ok(
        lab.log.some((e) => e.conn === s.conn && e.line === 'DATA'),
        `${k}: the DATA line is in the log`,
      );
    }
  });

  test('greylist and drop421 refuse DATA too, and the log shows it', async () => {
    for (const k of ['greylist', 'drop421']) {
      const { c } = await greeted(k);
      c.send('MAIL FROM:<>', 'DATA', 'QUIT');
      assert.deepEqual(
        (await c.take(3)).map((w) => w.code),
        [250, 554, 221],
        k,
      );
      assert.equal((await ended(c)).data, 1);
    }
  });

  test('catchall: random local parts are accepted; VRFY tells nothing', async () => {
    const { c } = await greeted('catchall');
    const locals = Array.from({ length: 5 }, () => `smtp-probe-${randomBytes(6).toString('hex')}`);
    c.send('MAIL FROM:<>', ...locals.map((l) => `RCPT TO:<${l}@catchall.test>`));
    assert.deepEqual((await c.take(6)).map(text), [
      '250 2.1.0 Ok',
      ...locals.map(() => '250 2.1.5 Ok'),
    ]);
    assert.equal((await c.command('VRFY nobody')).code, 502);
    c.close();
  });

  test('greylist: 450 4.7.1 for a new triplet (retry too early: 450 again), the real answer after the delay in a new session, a new sender starts over', async () => {
    const grey = (rcpt: string) =>
      `450 4.7.1 <${rcpt}>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/help/greylist.test.html`;
    const first = await greeted('greylist');
    first.c.send(
      'MAIL FROM:<probe@client.example>',
      'RCPT TO:<alice@greylist.test>',
      'RCPT TO:<nobody@greylist.test>',
      'RCPT TO:<alice@greylist.test>',
    );
    assert.deepEqual((await first.c.take(4)).map(text), [
      '250 2.1.0 Ok',
      grey('alice@greylist.test'),
      grey('nobody@greylist.test'),
      grey('alice@greylist.test'),
    ]);
    const t0 = performance.now();
    assert.equal((await first.c.command('QUIT')).code, 221);
    await new Promise((r) => setTimeout(r, GREY_MS + 20 - (performance.now() - t0)));
    const again = await greeted('greylist');
    again.c.send(
      'MAIL FROM:<PROBE@client.example>',
      'RCPT TO:<alice@greylist.test>',
      'RCPT TO:<nobody@greylist.test>',
      'RSET',
      'MAIL FROM:<other@client.example>',
      'RCPT TO:<alice@greylist.test>',
      'QUIT',
    );
    assert.deepEqual((await again.c.take(7)).map(text), [
      '250 2.1.0 Ok',
      '250 2.1.5 Ok',
      '550 5.1.1 <nobody@greylist.test>: Recipient address rejected: User unknown in local recipient table',
      '250 2.0.0 Ok',
      '250 2.1.0 Ok',
      grey('alice@greylist.test'),
      '221 2.0.0 Bye',
    ]);
  });

  test(`throttle: ${POSTFIX_ERROR_LIMITS.soft} fast errors, then every reply ${SLEEP_MS} ms late, and the ${POSTFIX_ERROR_LIMITS.hard}th error brings 421 4.7.0 and a hang-up`, async () => {
    const { c } = await greeted('throttle');
    const bad = (n: number) =>
      Array.from({ length: n }, (_, i) => `RCPT TO:<ghost${i}@throttle.test>`);
    // One pipelined batch: 10 errors, a good RCPT and a NOOP (late, not errors), 10 more errors, then lines that are never answered.
    c.send(
      'MAIL FROM:<>',
      ...bad(10),
      'RCPT TO:<alice@throttle.test>',
      'NOOP',
      ...bad(10),
      'RCPT TO:<bob@throttle.test>',
      'QUIT',
    );
    const r = await c.take(24, 5_000);
    assert.deepEqual(
      r.map((w) => w.code),
      [250, ...Array(10).fill(550), 250, 250, ...Array(10).fill(550), 421],
    );
    assert.equal(
      text(r[1]!),
      '550 5.1.1 <ghost0@throttle.test>: Recipient address rejected: User unknown in local recipient table',
    );
    assert.equal(text(r[23]!), '421 4.7.0 mx.throttle.test Error: too many errors');
    assert.ok(
      r[10]!.at! - r[0]!.at! < SLEEP_MS,
      `the first 10 errors came at once (${(r[10]!.at! - r[0]!.at!).toFixed(0)} ms)`,
    );
    // Counted from the 10th error (the 11 replies so far left in one segment), so one late read on our side cannot fake a short sleep.
    for (let i = 11; i < r.length; i++) {
      const late = r[i]!.at! - r[10]!.at!;
      assert.ok(
        late >= (i - 10) * SLEEP_MS - SLEEP_MS / 4,
        `reply ${i} came ${late.toFixed(1)} ms after the 10th error, not after ${i - 10} sleeps`,
      );
    }
    const s = await ended(c);
    assert.deepEqual([s.closedBy, s.lastReply, s.data], ['server', 421, 0]);
    assert.ok(
      lab.log.some((e) => e.conn === s.conn && e.line === 'QUIT'),
      'the unanswered lines still reached the host',
    );
  });

  test('throttle: the 421 comes unasked, right after the 20th error, to a client that waits for each reply', async () => {
    const { c } = await greeted('throttle');
    assert.equal((await c.command('MAIL FROM:<>')).code, 250);
    for (let i = 0; i < POSTFIX_ERROR_LIMITS.hard; i++)
      assert.equal((await c.command(`RCPT TO:<x${i}@throttle.test>`)).code, 550);
    assert.equal((await c.reply()).code, 421);
    await c.closed;
  });

  test(`rcptcap: RCPT number ${RCPT_CAP + 1} and later get 452 4.5.3, accepted or not; RSET starts a new count`, async () => {
    const { c } = await greeted('rcptcap');
    c.send(
      'MAIL FROM:<>',
      ...['alice', 'bob', 'nobody', 'postmaster', 'alice', 'bob', 'nobody'].map(
        (u) => `RCPT TO:<${u}@rcptcap.test>`,
      ),
      'RSET',
      'MAIL FROM:<>',
      'RCPT TO:<bob@rcptcap.test>',
    );
    const codes = (await c.take(11)).map((w) => w.code);
    assert.deepEqual(codes, [250, 250, 250, 550, 250, 250, 452, 452, 250, 250, 250]);
    c.send('RCPT TO:<alice@rcptcap.test>');
    assert.equal((await c.reply()).code, 250);
    c.send(
      'RSET',
      'EHLO client.example',
      'MAIL FROM:<>',
      ...Array(RCPT_CAP + 1).fill('RCPT TO:<alice@rcptcap.test>'),
    );
    const after = await c.take(RCPT_CAP + 4);
    assert.equal(text(after.at(-1)!), '452 4.5.3 Error: too many recipients');
    assert.deepEqual(
      after.slice(3, -1).map((w) => w.code),
      Array(RCPT_CAP).fill(250),
    );
    c.close();
  });

  test(`drop421: answers ${DROP_AFTER_RCPTS} RCPTs, says 421 4.3.2 to the next and hangs up; a new session starts over`, async () => {
    const { c } = await greeted('drop421');
    c.send(
      'MAIL FROM:<>',
      'RCPT TO:<alice@drop421.test>',
      'RCPT TO:<nobody@drop421.test>',
      'RSET',
      'MAIL FROM:<>',
      'RCPT TO:<bob@drop421.test>',
      'RCPT TO:<postmaster@drop421.test>',
      'RCPT TO:<alice@drop421.test>',
    );
    const got = await c.take(7);
    assert.deepEqual(
      got.map((w) => w.code),
      [250, 250, 550, 250, 250, 250, 421],
    );
    assert.equal(text(got[6]!), '421 4.3.2 Service shutting down');
    const s = await ended(c);
    assert.equal(c.isClosed, true);
    assert.deepEqual([s.closedBy, s.lastReply], ['server', 421]);
    const next = await greeted('drop421');
    next.c.send('MAIL FROM:<>', 'RCPT TO:<alice@drop421.test>');
    assert.deepEqual(
      (await next.c.take(2)).map((w) => w.code),
      [250, 250],
    );
    next.c.close();
  });

  test('nopipe: a pipelined batch of 5 commands gets 5 replies in order, one segment each, one at a time', async () => {
    const { c, ehlo } = await greeted('nopipe');
    assert.ok(ehlo.includes('PIPELINING'), 'it advertises PIPELINING all the same');
    const before = c.chunks;
    c.send(
      'MAIL FROM:<probe@client.example>',
      'RCPT TO:<alice@nopipe.test>',
      'RCPT TO:<nobody@nopipe.test>',
      'RCPT TO:<bob@nopipe.test>',
      'RSET',
    );
    const sent = performance.now();
    const got = await c.take(5);
    assert.deepEqual(got.map(text), [
      '250 2.1.0 Ok',
      '250 2.1.5 Ok',
      '550 5.1.1 <nobody@nopipe.test>: Recipient address rejected: User unknown in local recipient table',
      '250 2.1.5 Ok',
      '250 2.0.0 Ok',
    ]);
    assert.equal(c.chunks - before, 5, 'each reply came in a segment of its own');
    assert.ok(
      got[4]!.at! - sent >= 5 * NOPIPE_REPLY_DELAY_MS - 2,
      `answered one at a time (${(got[4]!.at! - sent).toFixed(0)} ms for 5)`,
    );
    const conn = sessionOf(c).conn;
    assert.deepEqual(
      lab.log.filter((e) => e.conn === conn).map((e) => e.line.split(':')[0]),
      ['EHLO client.example', 'MAIL FROM', 'RCPT TO', 'RCPT TO', 'RCPT TO', 'RSET'],
    );
    c.close();
  });

  test('nopipe: a client that sends its FIN right after RSET and QUIT still gets both replies, then the host closes', async () => {
    const { c } = await greeted('nopipe');
    c.finish('MAIL FROM:<probe@client.example>', 'RSET', 'QUIT');
    assert.deepEqual((await c.take(3)).map(text), [
      '250 2.1.0 Ok',
      '250 2.0.0 Ok',
      '221 2.0.0 Bye',
    ]);
    assert.equal((await ended(c)).closedBy, 'client', 'the client closed first');
  });
});

describe('lab verify hosts: the engine and the options', () => {
  test('GreylistStore: defer on first sight and on an early retry (the clock does not restart), pass after the delay, case-insensitive, bounded', () => {
    let now = 1_000;
    const g = new GreylistStore(() => now);
    const t = { client: '127.0.0.1', sender: 'a@x.example', recipient: 'alice@greylist.test' };
    assert.equal(g.check(t, 500), 'defer');
    now += 400;
    assert.equal(g.check(t, 500), 'defer');
    now += 100;
    assert.equal(g.check({ ...t, recipient: 'ALICE@Greylist.test' }, 500), 'pass');
    assert.equal(
      g.check({ ...t, client: '127.0.0.2' }, 500),
      'defer',
      'another client is another triplet',
    );
    for (let i = 0; i < MAX_TRIPLETS + 10; i++)
      g.check({ ...t, recipient: `u${i}@greylist.test` }, 500);
    assert.equal(g.size, MAX_TRIPLETS);
    assert.equal(g.check(t, 500), 'defer', 'the oldest triplets were forgotten');
  });

  test('Conversation (pure): greylisting comes before the user check; the error limits count every 4xx/5xx; `followedBy` carries the 421', () => {
    const p = (name: string) => PERSONALITIES.find((x) => x.name === name)!;
    let now = 0;
    const greylist = new GreylistStore(() => now);
    const grey = new Conversation(p('greylist'), {
      name: 'mx.greylist.test',
      mailDomains: ['greylist.test'],
      client: '127.0.0.9',
      greylist,
    });
    const codes = (c: Conversation, lines: string[]) =>
      lines.map((l) => Number(c.handle(l)!.lines.at(-1)!.slice(0, 3)));
    assert.deepEqual(
      codes(grey, [
        'EHLO c',
        'MAIL FROM:<>',
        'RCPT TO:<nobody@greylist.test>',
        'RCPT TO:<alice@greylist.test>',
      ]),
      [250, 250, 450, 450],
    );
    now = 2_000;
    assert.deepEqual(
      codes(grey, ['RCPT TO:<nobody@greylist.test>', 'RCPT TO:<alice@greylist.test>']),
      [550, 250],
    );

    const limits = { soft: 2, hard: 3, sleepMs: 7 };
    const t = new Conversation(
      { ...p('throttle'), errorLimits: limits },
      { name: 'mx.throttle.test' },
    );
    const steps = ['EHLO c', 'FROB', 'RCPT TO:<x@y>', 'NOOP', 'MAIL FROM:<>'].map(
      (l) => t.handle(l)!,
    );
    assert.deepEqual(
      steps.map((s) => [s.lines.at(-1)!.slice(0, 3), s.delayMs ?? 0]),
      [
        ['250', 0],
        ['500', 0],
        ['503', 0],
        ['250', 7],
        ['250', 7],
      ],
    );
    const last = t.handle('RCPT TO:<nobody@throttle.test>')!;
    assert.equal(last.delayMs, 7);
    assert.deepEqual(last.followedBy, {
      lines: ['421 4.7.0 mx.throttle.test Error: too many errors'],
      delayMs: 7,
      after: 'close',
    });
  });

  test('LabOptions: the delays must be durations', async () => {
    await assert.rejects(
      startLab({ port: 0, hosts: ['greylist.test'], greylistDelayMs: -1 }),
      /greylistDelayMs -1 is not a duration/,
    );
    await assert.rejects(
      startLab({ port: 0, hosts: ['throttle.test'], throttleSleepMs: Number.NaN }),
      /throttleSleepMs NaN/,
    );
  });
});

/** echoServer: a loopback TCP echo (with TCP's own backpressure, through pipe). */
async function echoServer(): Promise<{ server: Server; port: number; closes: number }> {
  const state = {
    server: createServer((s) => {
      s.on('error', () => undefined);
      s.once('close', () => {
        state.closes++;
      });
      s.pipe(s);
    }),
    port: 0,
    closes: 0,
  };
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  state.port = (state.server.address() as { port: number }).port;
  return state;
}

describe('latency proxy', { concurrency: true }, () => {
  const DELAY_MS = 60;

  test('adds the round trip: the greeting waits out the handshake, every command/reply pair costs at least delayMs more', async () => {
    const h = lab.host('mx.catchall.test');
    const proxy = await startLatencyProxy({
      target: { address: h.address, port: h.port },
      listen: { address: '127.0.0.1', port: 0 },
      delayMs: DELAY_MS,
    });
    try {
      const t0 = performance.now();
      const c = await RawSmtp.open(proxy.address, proxy.port, { timed: true });
      const greeting = await c.reply();
      assert.equal(greeting.code, 220);
      // SYN to 220 over a real link of this RTT: the handshake's round trip, then the greeting's.
      assert.ok(
        greeting.at! - t0 >= 2 * DELAY_MS - 1,
        `greeting after ${(greeting.at! - t0).toFixed(0)} ms`,
      );
      const rtts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        assert.equal((await c.command('NOOP')).code, 250);
        rtts.push(performance.now() - t);
      }
      assert.ok(
        Math.min(...rtts) >= DELAY_MS - 1,
        `RTTs ${rtts.map((r) => r.toFixed(1)).join(', ')} ms`,
      );
      // Pipelining through it: five commands, five replies in order.
      assert.equal((await c.command('EHLO client.example')).code, 250);
      c.send(
        'MAIL FROM:<>',
        'RCPT TO:<a@catchall.test>',
        'RCPT TO:<b@catchall.test>',
        'RCPT TO:<c@catchall.test>',
        'RSET',
      );
      assert.deepEqual(
        (await c.take(5)).map((w) => w.code),
        [250, 250, 250, 250, 250],
      );
      assert.equal((await c.command('QUIT')).code, 221);
      await c.closed;
      assert.equal(proxy.connections, 1);
    } finally {
      await proxy.close();
    }
  });

  test('passes 4 MiB intact and in order both ways, with backpressure, and closes both sides together', async () => {
    const echo = await echoServer();
    const proxy = await startLatencyProxy({
      target: { address: '127.0.0.1', port: echo.port },
      delayMs: 10,
    });
    try {
      const data = randomBytes(4 * 1024 * 1024);
      const s = connect({ host: proxy.address, port: proxy.port });
      const got: Buffer[] = [];
      let n = 0;
      const done = new Promise<void>((resolve, reject) => {
        s.on('data', (d: Buffer) => {
          got.push(d);
          n += d.length;
        });
        s.once('end', () => resolve());
        s.once('error', reject);
      });
      // Many small writes, then a half-close: the FIN must follow the last byte through the proxy and the echo back.
      for (let i = 0; i < data.length; i += 1000) s.write(data.subarray(i, i + 1000));
      s.end();
      await done;
      assert.equal(n, data.length);
      assert.equal(
        createHash('sha256').update(Buffer.concat(got)).digest('hex'),
        createHash('sha256').update(data).digest('hex'),
      );
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(echo.closes, 1, 'the far side is closed too');
    } finally {
      await proxy.close();
      await new Promise<void>((r) => echo.server.close(() => r()));
    }
  });

  test('a reset on one side resets the other; a refused target resets the client; close() drops live connections', async () => {
    const echo = await echoServer();
    const proxy = await startLatencyProxy({
      target: { address: '127.0.0.1', port: echo.port },
      delayMs: 0,
    });
    const refused = await startLatencyProxy({
      target: { address: '127.0.0.15', port: 9 },
      delayMs: 0,
    });
    try {
      const a = connect({ host: proxy.address, port: proxy.port });
      await new Promise((r) => a.once('connect', r));
      a.write('ping');
      await new Promise((r) => a.once('data', r));
      a.resetAndDestroy();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(echo.closes, 1, 'the echo side went when the client reset');

      const b = connect({ host: refused.address, port: refused.port });
      b.on('data', () => assert.fail('no data from a refused target'));
      await new Promise<void>((resolve) =>
        b.once('close', () => resolve()).on('error', () => undefined),
      );

      const c = connect({ host: proxy.address, port: proxy.port });
      c.on('error', () => undefined);
      await new Promise((r) => c.once('connect', r));
      const gone = new Promise((r) => c.once('close', r));
      await proxy.close();
      await gone;
    } finally {
      await Promise.all([proxy.close(), refused.close()]);
      await new Promise<void>((r) => echo.server.close(() => r()));
    }
  });

  test('refuses non-loopback addresses and negative delays', async () => {
    await assert.rejects(
      startLatencyProxy({ target: { address: '192.0.2.1', port: 25 }, delayMs: 10 }),
      /target 192\.0\.2\.1 is not loopback/,
    );
    await assert.rejects(
      startLatencyProxy({
        target: { address: '127.0.0.1', port: 25 },
        listen: { address: '0.0.0.0' },
        delayMs: 10,
      }),
      /listen address 0\.0\.0\.0 is not loopback/,
    );
    await assert.rejects(
      startLatencyProxy({ target: { address: '127.0.0.1', port: 25 }, delayMs: -5 }),
      /delayMs -5/,
    );
  });
});
