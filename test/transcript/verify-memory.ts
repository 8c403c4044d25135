/**
 * verify over the in-memory network, DNS and a virtual clock: the engine's
 * policy — pipelined batches, the rejection budget and its slow-down
 * detection, 421 and 452 4.5.3, greylisting and the retry, the catch-all
 * test, sessions that die, --timeout and Ctrl-C — checked line by line against
 * what a programmable MTA received. No sockets, no sleeps: a one-second
 * punishment or a five-minute greylist wait is virtual time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ZoneRecord } from '../../src/lab/index.js';
import { probeVerify, type VerifyOptions } from '../../src/probes/verify.js';
import { VerifyResultSchema } from '../../src/schema/verify.js';
import { known, memoryMta, type MtaPolicy } from '../support/memory-mta.js';
import { memoryWorld, type MemoryWorld } from '../support/memory-world.js';
import { HELO_NAME } from '../support/smtp-lines.js';

const MX = '192.0.2.25';
const ZONE: ZoneRecord[] = [
  {
    name: 'example.test',
    type: 'MX',
    ttl: 300,
    data: { preference: 10, exchange: 'mx.example.test' },
  },
  { name: 'mx.example.test', type: 'A', ttl: 300, data: MX },
];
const FROM = 'probe@client.test';
const CATCH_ALL = /^RCPT TO:<smtp-probe-[0-9a-f]{10}@example\.test>$/;

/** run: verify `addresses` at the zone's one MX, served by `policy`; catch-all off unless asked. */
async function run(
  addresses: string[],
  policy: MtaPolicy,
  options: VerifyOptions = {},
  world: MemoryWorld = memoryWorld(),
) {
  const mta = memoryMta(world.net, `${MX}:25`, world.clock, policy);
  const outcome = await probeVerify(addresses, {
    resolvers: ['192.0.2.53'],
    dnsTransport: world.dns(ZONE),
    ...world.wiring,
    helo: HELO_NAME,
    from: FROM,
    catchAll: false,
    ...options,
  });
  VerifyResultSchema.parse(outcome.result);
  const all = mta.sessions.flat();
  assert.ok(!all.some((l) => /^(DATA|BDAT)\b/i.test(l)), 'DATA is never sent');
  const verdicts = Object.fromEntries(
    outcome.result.addresses.map((a) => [a.input, `${a.verdict}/${a.reason}`]),
  );
  const domain = outcome.result.domains[0]!;
  return { outcome, mta, verdicts, domain, world };
}

const users = (n: number, prefix = 'ghost') =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1}@example.test`);
const rcpts = (lines: string[]) => lines.filter((l) => l.startsWith('RCPT'));
/** transactions: each MAIL and the RCPTs after it, as counts. */
const transactions = (lines: string[]): number[] =>
  lines.reduce<number[]>((acc, l) => {
    if (l.startsWith('MAIL')) acc.push(0);
    else if (l.startsWith('RCPT')) acc[acc.length - 1]! += 1;
    return acc;
  }, []);

describe('verify: pipelined batches', () => {
  test('one session: EHLO, MAIL and every RCPT in one group, RSET with QUIT; one verdict each', async () => {
    const { mta, verdicts, domain } = await run(
      ['alice@example.test', 'nobody@example.test', 'bob@example.test'],
      { rcpt: known('alice', 'bob') },
    );
    assert.deepEqual(mta.sessions, [
      [
        `EHLO ${HELO_NAME}`,
        `MAIL FROM:<${FROM}>`,
        'RCPT TO:<alice@example.test>',
        'RCPT TO:<nobody@example.test>',
        'RCPT TO:<bob@example.test>',
        'RSET',
        'QUIT',
      ],
    ]);
    assert.deepEqual(verdicts, {
      'alice@example.test': 'deliverable/accepted',
      'nobody@example.test': 'undeliverable/bad-mailbox',
      'bob@example.test': 'deliverable/accepted',
    });
    assert.equal(domain.pipelining, true);
    assert.equal(domain.rcptBatches, 1);
    assert.equal(domain.transactions, 1);
  });

  test('553 without an enhanced code ("sorry, no mailbox here by that name") is undeliverable', async () => {
    const { verdicts } = await run(['nobody@example.test'], {
      rcpt: () => '553 sorry, no mailbox here by that name. (#5.7.1)',
    });
    assert.equal(verdicts['nobody@example.test'], 'undeliverable/rejected');
  });
});

describe('verify: the rejection budget', () => {
  // At a 100 ms round trip a session (connect, greeting, EHLO, its batch) costs 400 ms: 60 unknown
  // addresses at 9 a session would take 6 sessions more than one, 2.4 s, over the 2 s the test
  // past the limit risks — so it is made. Without the round trip it is not worth it.
  const far = () => memoryWorld({ rttMs: 100 });

  test('adaptive, limit 9, 60 unknown 100 ms away: the first transaction carries exactly 11 RCPTs; no slow-down lifts the limit', async () => {
    const { mta, domain, verdicts } = await run(users(60), { rcpt: known() }, {}, far());
    assert.equal(mta.sessions.length, 1);
    assert.deepEqual(transactions(mta.sessions[0]!), [11, 49]);
    assert.equal(domain.maxErrorsPerSession, 10_000);
    assert.equal(domain.throttled, false);
    assert.ok(Object.values(verdicts).every((v) => v === 'undeliverable/bad-mailbox'));
  });

  test('adaptive, 30 unknown, no round trip to speak of: the limit is not bet on; sessions of 9 from the start, and the note says why', async () => {
    const { mta, domain } = await run(users(30), { rcpt: known() });
    assert.deepEqual(
      mta.sessions.map((s) => rcpts(s).length),
      [9, 9, 9, 3],
    );
    assert.equal(domain.maxErrorsPerSession, 9);
    assert.ok(
      domain.notes.some((n) => /was not tested: lifting it would save at most 3 sessions/.test(n)),
      domain.notes.join('; '),
    );
  });

  test('Postfix-like (1 s late after 10 errors, 421 at 20), 100 ms away: the late batch is left at once, later sessions stay at 9, no 421 ever', async () => {
    const { mta, domain, verdicts } = await run(
      users(60),
      {
        rcpt: known(),
        softLimit: 10,
        hardLimit: 20,
        punishMs: 1000,
      },
      {},
      far(),
    );
    assert.equal(domain.throttled, true);
    assert.equal(domain.maxErrorsPerSession, 9);
    const counts = mta.sessions.map((s) => rcpts(s).length);
    assert.equal(counts[0], 11, 'the test batch');
    assert.ok(
      counts.slice(1).every((n) => n <= 9),
      `later sessions stay under the limit: ${counts.join(', ')}`,
    );
    assert.equal(
      counts.reduce((a, b) => a + b),
      60,
      'each address asked once',
    );
    // The punished session is abandoned with RSET and QUIT written, not waited for.
    assert.deepEqual(mta.sessions[0]!.slice(-2), ['RSET', 'QUIT']);
    assert.ok(Object.values(verdicts).every((v) => v === 'undeliverable/bad-mailbox'));
    assert.ok(
      domain.notes.some((n) => /replies slowed with 11 rejected recipients/.test(n)),
      domain.notes.join('; '),
    );
  });

  test('the next session dials while the last one waits for its RSET and QUIT replies, which are still read', async () => {
    // QUIT answered 5 s late: four sessions in a row would wait 20 s for those replies alone.
    const { mta, domain, world, outcome } = await run(users(30), {
      rcpt: known(),
      quitDelayMs: 5_000,
    });
    assert.deepEqual(
      mta.sessions.map((s) => rcpts(s).length),
      [9, 9, 9, 3],
    );
    assert.ok(mta.sessions.every((s) => s.slice(-2).join() === 'RSET,QUIT'));
    assert.equal(world.clock.now(), 5_000, 'the four waits overlap');
    assert.equal(outcome.status, 'ok');
    assert.ok(!domain.notes.some((n) => /QUIT|failed/.test(n)), domain.notes.join('; '));
  });

  test('QUIT goes with our FIN: a server that holds its reply until the client closes (Exim, up to 200 ms) answers at once', async () => {
    const { mta, world, outcome } = await run(users(20), {
      rcpt: known(),
      quitAwaitsFinMs: 200,
    });
    assert.equal(mta.sessions.length, 3);
    assert.equal(world.clock.now(), 0, 'no session waited for its QUIT reply');
    assert.equal(outcome.status, 'ok');
  });

  test("the last session's closing RSET answered as no RSET is: its answers are taken back and asked again in a new session", async () => {
    const { mta, domain, verdicts } = await run(users(9), {
      rcpt: known(),
      rset: (session) => (session === 0 ? '550 5.1.1 User unknown' : '250 2.0.0 Ok'),
    });
    const asked = mta.sessions.flatMap(rcpts);
    assert.equal(mta.sessions.length, 2);
    assert.equal(asked.length, 18, 'each of the nine asked twice');
    assert.ok(Object.values(verdicts).every((v) => v === 'undeliverable/bad-mailbox'));
    assert.equal(Object.keys(verdicts).length, 9);
    assert.ok(
      domain.notes.some((n) =>
        /do not pair with their commands \(reply 1 of the group \(to RSET\)/.test(n),
      ),
      domain.notes.join('; '),
    );
  });

  test('a limit the user set is kept: --max-errors 4 splits 10 unknown into sessions of 4, 4, 2', async () => {
    const { mta, domain } = await run(users(10), { rcpt: known() }, { maxErrors: 4 });
    assert.deepEqual(
      mta.sessions.map((s) => rcpts(s).length),
      [4, 4, 2],
    );
    assert.equal(domain.maxErrorsPerSession, 4);
  });

  test('421 4.7.0 after rejections (an error limit) lowers the budget under it', async () => {
    const { mta, domain, verdicts } = await run(users(20), {
      rcpt: known(),
      hardLimit: 6,
    });
    assert.equal(domain.throttled, true);
    assert.equal(domain.maxErrorsPerSession, 5);
    assert.ok(
      mta.sessions.slice(1).every((s) => rcpts(s).length <= 5),
      mta.sessions.map((s) => rcpts(s).length).join(', '),
    );
    assert.equal(Object.keys(verdicts).length, 20);
    assert.ok(Object.values(verdicts).every((v) => v === 'undeliverable/bad-mailbox'));
  });
});

describe('verify: sessions that end early', () => {
  test('421 mid-batch: the unanswered go to a fresh session and none is lost', async () => {
    const { mta, verdicts } = await run(users(6), {
      rcpt: (ctx) =>
        ctx.session === 0 && ctx.index === 3 ? '421 4.3.2 Service shutting down' : known()(ctx),
    });
    assert.equal(mta.sessions.length, 2);
    assert.deepEqual(
      rcpts(mta.sessions[1]!).map((l) => /<([^>]+)>/.exec(l)![1]),
      ['ghost4@example.test', 'ghost5@example.test', 'ghost6@example.test'],
    );
    assert.ok(Object.values(verdicts).every((v) => v === 'undeliverable/bad-mailbox'));
  });

  test('421 4.3.2 to MAIL on the first connection: a new session, every address gets its verdict, none sender-rejected', async () => {
    const { mta, verdicts } = await run(['alice@example.test', 'nobody@example.test'], {
      mail: (session) => (session === 0 ? '421 4.3.2 Service shutting down' : '250 2.1.0 Ok'),
      rcpt: known('alice'),
    });
    assert.equal(mta.sessions.length, 2);
    assert.deepEqual(verdicts, {
      'alice@example.test': 'deliverable/accepted',
      'nobody@example.test': 'undeliverable/bad-mailbox',
    });
  });

  test('a server that goes silent mid-batch: COMMAND_TIMEOUT at the command timeout, the rest retried in a new session', async () => {
    const { mta, verdicts, domain, world } = await run(
      users(4),
      { rcpt: (ctx) => (ctx.session === 0 && ctx.index === 2 ? 'silence' : known()(ctx)) },
      { timeouts: { commandMs: 5_000 } },
    );
    assert.ok(mta.sessions.length >= 2);
    assert.ok(Object.values(verdicts).every((v) => v === 'undeliverable/bad-mailbox'));
    assert.ok(
      domain.notes.some((n) => /COMMAND_TIMEOUT/.test(n)),
      domain.notes.join('; '),
    );
    // The stall cost the command timeout (plus the polite backoff before the next session, if any), not more.
    assert.ok(world.clock.now() >= 5_000 && world.clock.now() < 6_000, String(world.clock.now()));
  });

  test('a hang-up mid-batch: classified, the recipient in flight retried, every address answered', async () => {
    const { mta, verdicts } = await run(users(5), {
      rcpt: (ctx) => (ctx.session === 0 && ctx.index === 1 ? 'hangup' : known()(ctx)),
    });
    assert.equal(mta.sessions.length, 2);
    assert.equal(Object.keys(verdicts).length, 5);
    assert.ok(Object.values(verdicts).every((v) => v === 'undeliverable/bad-mailbox'));
  });

  test('452 4.5.3 after 3 recipients: the rest in transactions of 3, each after RSET in the same group', async () => {
    const { mta, verdicts } = await run(users(7), { rcpt: known(), rcptCap: 3 });
    assert.equal(mta.sessions.length, 1);
    const lines = mta.sessions[0]!;
    // The first batch asks all 7; 4 get 452 4.5.3 and are asked again 3 at a time.
    assert.deepEqual(transactions(lines), [7, 3, 1]);
    const second = lines.indexOf(`MAIL FROM:<${FROM}>`, 2);
    assert.equal(lines[second - 1], 'RSET');
    assert.ok(Object.values(verdicts).every((v) => v === 'undeliverable/bad-mailbox'));
  });
});

describe('verify: a host that refuses us', () => {
  test('every RCPT of a batch 5.7.1 (an RBL listing): probing stops after one batch, every address says so', async () => {
    const { mta, verdicts, domain } = await run(users(15), {
      rcpt: () =>
        '554 5.7.1 Service unavailable; client [192.0.2.77] blocked using zen.spamhaus.org',
    });
    assert.equal(mta.sessions.length, 1);
    assert.match(domain.notes.join(' '), /refuses us by policy/);
    assert.ok(
      Object.values(verdicts).every((v) => v === 'unknown/policy' || v === 'unknown/host-blocked'),
      JSON.stringify(verdicts),
    );
  });
});

describe('verify: without PIPELINING', () => {
  test('one command per round trip; RSET before the next MAIL after 452 4.5.3; RSET then QUIT at the end', async () => {
    const { mta, verdicts, domain } = await run(users(4), {
      rcpt: known(),
      pipelining: false,
      rcptCap: 2,
    });
    assert.equal(domain.pipelining, false);
    const lines = mta.sessions[0]!;
    const second = lines.indexOf(`MAIL FROM:<${FROM}>`, 2);
    assert.ok(second > 0, lines.join(' | '));
    assert.equal(lines[second - 1], 'RSET', 'RSET before the next MAIL');
    assert.deepEqual(lines.slice(-2), ['RSET', 'QUIT']);
    assert.ok(Object.values(verdicts).every((v) => v === 'undeliverable/bad-mailbox'));
  });
});

describe('verify: catch-all and greylisting', () => {
  test('a catch-all domain: the made-up address rides in the first batch; "accepted" becomes risky', async () => {
    const { mta, verdicts, domain } = await run(
      ['alice@example.test', 'nobody@example.test'],
      { rcpt: () => '250 2.1.5 Ok' },
      { catchAll: true },
    );
    const first = rcpts(mta.sessions[0]!);
    assert.match(first[0]!, CATCH_ALL);
    assert.equal(domain.catchAll, 'yes');
    assert.equal(domain.rcptBatches, 1, 'no round trip of its own');
    assert.deepEqual(verdicts, {
      'alice@example.test': 'risky/catch-all',
      'nobody@example.test': 'risky/catch-all',
    });
  });

  test('a server that refuses every RCPT after a refused one in the transaction: the refused catch-all test, a transaction of its own, leaves the real answers alone', async () => {
    const poisoned = known('alice', 'bob');
    const { mta, verdicts, domain } = await run(
      ['alice@example.test', 'bob@example.test', 'ghost@example.test'],
      {
        rcpt: (ctx) =>
          ctx.refusedInTransaction > 0 ? '550 5.1.1 Recipient refused' : poisoned(ctx),
      },
      { catchAll: true },
    );
    const lines = mta.sessions[0]!;
    assert.match(lines[2]!, CATCH_ALL, 'the test is the first RCPT of its transaction');
    assert.deepEqual(lines.slice(3, 5), ['RSET', `MAIL FROM:<${FROM}>`]);
    assert.equal(domain.catchAll, 'no');
    assert.equal(domain.rcptBatches, 1, 'no round trip of its own');
    assert.equal(domain.transactions, 2, 'the test, then the addresses');
    assert.deepEqual(verdicts, {
      'alice@example.test': 'deliverable/accepted',
      'bob@example.test': 'deliverable/accepted',
      'ghost@example.test': 'undeliverable/bad-mailbox',
    });
  });

  test('a catch-all that takes one RCPT per transaction and refuses the rest: the test, first in its transaction, still finds the catch-all', async () => {
    const { verdicts, domain } = await run(
      ['alice@example.test', 'bob@example.test'],
      {
        rcpt: (ctx) =>
          ctx.inTransaction > 0 ? '550 5.5.3 Error: one recipient per message' : '250 2.1.5 Ok',
      },
      { catchAll: true },
    );
    assert.equal(domain.catchAll, 'yes');
    assert.equal(verdicts['alice@example.test'], 'risky/catch-all');
  });

  test('the catch-all test greylisted (450 4.7.1) is unknown, not no; the retry after --retry-after does not test again', async () => {
    const greylisted = new Set<string>();
    const { mta, verdicts, domain, world } = await run(
      ['alice@example.test', 'nobody@example.test'],
      {
        rcpt: (ctx) => {
          if (!greylisted.has(ctx.address)) {
            greylisted.add(ctx.address);
            return '450 4.7.1 <x>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/';
          }
          return known('alice')(ctx);
        },
      },
      { catchAll: true, retryAfterMs: 300_000 },
    );
    assert.equal(domain.catchAll, 'unknown');
    assert.equal(mta.sessions.length, 2);
    assert.ok(
      !rcpts(mta.sessions[1]!).some((l) => CATCH_ALL.test(l)),
      'no catch-all test in the retry',
    );
    assert.deepEqual(verdicts, {
      'alice@example.test': 'deliverable/accepted',
      'nobody@example.test': 'undeliverable/bad-mailbox',
    });
    assert.ok(world.clock.now() >= 300_000, 'the retry waited --retry-after');
  });
});

describe('verify: budgets and cancellation', () => {
  test('--timeout 3s against a host that never greets: every address unknown (timed-out) at 3 s, not 30 s', async () => {
    const world = memoryWorld();
    world.net.listen(`${MX}:25`, () => undefined); // accepts, never speaks
    const outcome = await probeVerify(users(3), {
      resolvers: ['192.0.2.53'],
      dnsTransport: world.dns(ZONE),
      ...world.wiring,
      helo: HELO_NAME,
      from: FROM,
      timeouts: { targetMs: 3_000 },
    });
    assert.equal(world.clock.now(), 3_000);
    assert.equal(outcome.status, 'ok');
    assert.ok(
      outcome.result.addresses.every((a) => a.verdict === 'unknown' && a.reason === 'timed-out'),
      JSON.stringify(outcome.result.addresses),
    );
  });

  test('Ctrl-C during the greylist wait: status aborted at once, the first answers kept', async () => {
    const world = memoryWorld();
    const controller = new AbortController();
    world.clock.setTimer(60_000, () => controller.abort());
    const { outcome, verdicts } = await run(
      ['alice@example.test'],
      { rcpt: () => '450 4.7.1 Greylisted, try again later' },
      { retryAfterMs: 300_000, signal: controller.signal },
      world,
    );
    assert.equal(outcome.status, 'aborted');
    assert.equal(outcome.error?.code, 'ABORTED');
    assert.equal(world.clock.now(), 60_000, 'the wait ended at Ctrl-C, not after --retry-after');
    assert.equal(verdicts['alice@example.test'], 'unknown/greylisted');
  });

  test('--connections 3: sessions side by side, each recipient asked once, none lost', async () => {
    const { mta, verdicts } = await run(
      users(40),
      { rcpt: known(), softLimit: 10, punishMs: 1000 },
      {
        connections: 3,
      },
    );
    const asked = mta.sessions.flatMap(rcpts);
    assert.equal(new Set(asked).size, asked.length, 'no recipient asked twice');
    assert.equal(asked.length, 40);
    assert.equal(Object.keys(verdicts).length, 40);
  });

  test('--connections 3 opens no more sessions than one connection would: 40 unknown with 3 known among them, 5 sessions of at most 9 rejections', async () => {
    const list = [...users(20), 'alice@example.test', ...users(20, 'nobody'), 'bob@example.test'];
    const { mta, verdicts } = await run(list, { rcpt: known('alice', 'bob') }, { connections: 3 });
    assert.equal(mta.sessions.length, Math.ceil(40 / 9));
    for (const s of mta.sessions) {
      assert.ok(rcpts(s).filter((l) => !/alice|bob/.test(l)).length <= 9, s.join(' | '));
    }
    assert.equal(Object.keys(verdicts).length, 42);
    assert.equal(verdicts['alice@example.test'], 'deliverable/accepted');
  });
});
