/**
 * failover against the lab: one lab on free ports; the sender's timeline over
 * measured walks for every profile, --assume-down by host, by address and
 * as a refusal, a null MX; then the CLI in-process (`mx` and `failover`):
 * exit codes 0, 7 and 8, JSON that validates against the schemas, and bad
 * input that exits 2 with no DNS query sent.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../src/lab/index.js';
import {
  probeFailover,
  DEFAULT_MAX_DELAY_MS,
  type FailoverOptions,
} from '../../src/probes/failover.js';
import { PROFILES, resolveProfile } from '../../src/mx/profiles.js';
import { FailoverOutputSchema, type FailoverResult } from '../../src/schema/failover.js';
import { MxOutputSchema } from '../../src/schema/mx.js';
import { EXIT } from '../../src/output/exit-codes.js';
import { runCli } from '../support/cli-run.js';
import { ANSI_ESCAPE } from '../support/sink.js';

/** CONNECT_TIMEOUT_MS: our probe's connect timeout: what the walk waits on the blackhole (the senders' own are far longer). */
const CONNECT_TIMEOUT_MS = 1_000;
const DAY_MS = 86_400_000;

let lab: Lab;
let options: FailoverOptions;
let flags: string[];

before(async () => {
  lab = await startLab({ port: 0 });
  options = {
    resolvers: [`${lab.dns.address}:${lab.dns.port}`],
    port: lab.port,
    caFiles: [lab.caCertFile],
    timeouts: { connectMs: CONNECT_TIMEOUT_MS },
  };
  flags = [
    '--resolver',
    `${lab.dns.address}:${lab.dns.port}`,
    '--port',
    String(lab.port),
    '--ca',
    lab.caCertFile,
    '--connect-timeout',
    `${CONNECT_TIMEOUT_MS}ms`,
  ];
});
after(() => lab.close());

/** failover: probeFailover with the lab's options; the walk must have run. */
async function failover(domain: string, extra: FailoverOptions = {}): Promise<FailoverResult> {
  const { status, result, error } = await probeFailover(domain, { ...options, ...extra });
  assert.equal(status, 'ok', `${domain}: ${error?.code} ${error?.message}`);
  return result;
}

/** assertContiguous: each attempt starts when the one before it ended, from 0. */
function assertContiguous(r: FailoverResult): void {
  let clock = 0;
  for (const a of r.attempts) {
    assert.equal(a.startMs, clock, `${a.address} starts at ${a.startMs}, expected ${clock}`);
    clock += a.costMs;
  }
}

// Independent probes, so all at once: the blackholed walks overlap and the whole block costs about one connect timeout.
describe('against the lab', { concurrency: true }, () => {
  describe('failover: blackhole.test (refused, blackholed, good) for every sender profile', {
    concurrency: true,
  }, () => {
    for (const profile of PROFILES) {
      // Only Postfix (30 s) gets past the blackhole within the default --max-delay of 1 minute.
      const kind = profile.connectTimeoutMs < DEFAULT_MAX_DELAY_MS ? 'delivered' : 'delayed';
      test(`${profile.name}: the blackholed MX costs ${profile.connectTimeoutMs / 1000} s (its connect timeout); ${kind}`, async () => {
        const r = await failover('blackhole.test', { profile: profile.name });
        assert.equal(r.profile.name, profile.name);
        assert.deepEqual(
          r.attempts.map((a) => [a.host, a.address, a.status, a.basis, a.assumed]),
          [
            ['refused.blackhole.test', '127.0.0.33', 'connection-refused', 'measured', false],
            [
              'bh.blackhole.test',
              '127.0.0.34',
              'connection-timeout',
              'sender-connect-timeout',
              false,
            ],
            ['mx.blackhole.test', '127.0.0.35', 'ok', 'measured', false],
          ],
        );
        const [refused, bh, ok] = r.attempts;
        assert.equal(
          bh!.costMs,
          profile.connectTimeoutMs,
          "the sender's timeout, not the probe's 1 s",
        );
        // A refusal and a good session cost what was measured: a round trip, a short session.
        assert.ok(
          refused!.costMs > 0 && refused!.costMs < CONNECT_TIMEOUT_MS / 2,
          `refused cost ${refused!.costMs}`,
        );
        assert.equal(ok!.costMs, r.walk.hosts[2]!.addresses[0]!.ms);
        assertContiguous(r);
        assert.equal(r.delivery.kind, kind);
        assert.deepEqual(
          [r.delivery.host, r.delivery.address],
          ['mx.blackhole.test', '127.0.0.35'],
        );
        assert.equal(r.delivery.afterMs, ok!.startMs + ok!.costMs);
        assert.equal(r.delivery.maxDelayMs, DEFAULT_MAX_DELAY_MS);
        assert.ok(
          r.delivery.text.startsWith(
            `${profile.name} delivers mail for blackhole.test to mx.blackhole.test (127.0.0.35) `,
          ),
          r.delivery.text,
        );
        assert.equal(
          r.delivery.text.includes('later than --max-delay 1m00s'),
          kind === 'delayed',
          r.delivery.text,
        );
        assert.deepEqual([r.queue, r.notTried, r.assumptions, r.notes], [null, [], [], []]);
      });
    }

    test('--max-delay decides: postfix is delayed under a 10 s limit, bsd-tcp delivered under a 2 min one', async () => {
      const [tight, loose] = await Promise.all([
        failover('blackhole.test', { profile: 'postfix', maxDelayMs: 10_000 }),
        failover('blackhole.test', { profile: 'bsd-tcp', maxDelayMs: 120_000 }),
      ]);
      assert.deepEqual([tight.delivery.kind, tight.delivery.maxDelayMs], ['delayed', 10_000]);
      assert.deepEqual([loose.delivery.kind, loose.delivery.maxDelayMs], ['delivered', 120_000]);
    });

    test('a custom sender: --sender-connect-timeout overrides the profile and names it custom', async () => {
      const r = await failover('blackhole.test', {
        profile: 'sendmail',
        overrides: { connectTimeoutMs: 5_000 },
      });
      assert.equal(r.profile.name, 'custom (based on sendmail)');
      assert.equal(r.attempts[1]!.costMs, 5_000);
      assert.equal(r.delivery.kind, 'delivered');
    });
  });

  describe('failover: --assume-down', { concurrency: true }, () => {
    /** assertQueue: deferred, with retries after the last attempt, rising, and the bounce at the profile's queue lifetime. */
    function assertDeferred(r: FailoverResult, giveUpMs: number): void {
      assert.equal(r.delivery.kind, 'deferred');
      assert.equal(r.delivery.host, undefined);
      assert.match(
        r.delivery.text,
        new RegExp(
          `^${r.profile.name} cannot deliver mail for ${r.walk.domain.ascii.replace(/\./g, '\\.')} now — ${r.attempts.length} attempts fail`,
        ),
      );
      const q = r.queue!;
      assert.ok(q, 'a queue');
      assert.equal(q.bounceAtMs, giveUpMs);
      const end = r.attempts.reduce((t, a) => t + a.costMs, 0);
      assert.ok(q.retriesAtMs.length > 1);
      assert.ok(q.retriesAtMs[0]! > end, 'the first retry comes after the failed attempt');
      for (const [i, at] of q.retriesAtMs.entries())
        assert.ok(i === 0 || at > q.retriesAtMs[i - 1]!, `retry ${i} not after retry ${i - 1}`);
      assert.ok(q.retriesAtMs.at(-1)! < q.bounceAtMs, 'every retry before the bounce');
    }

    test('the good host by name (blackhole, the default): three failures, queued, bounced after 5 days', async () => {
      const r = await failover('blackhole.test', { assumeDown: ['mx.blackhole.test'] });
      assert.deepEqual(
        r.attempts.map((a) => [a.status, a.assumed, a.costMs === 30_000]),
        [
          ['connection-refused', false, false],
          ['connection-timeout', false, true],
          ['connection-timeout', true, true],
        ],
      );
      assert.deepEqual(r.assumptions, [
        { target: 'mx.blackhole.test', mode: 'blackhole', matched: ['127.0.0.35'] },
      ]);
      assertDeferred(r, 5 * DAY_MS);
      // The walk itself is untouched: it still says the host takes mail.
      assert.equal(r.walk.verdict?.kind, 'accepted');
    });

    test('the good host by address: the same timeline', async () => {
      const r = await failover('blackhole.test', { assumeDown: ['127.0.0.35'] });
      assert.deepEqual(
        r.attempts.map((a) => [a.address, a.status, a.assumed]),
        [
          ['127.0.0.33', 'connection-refused', false],
          ['127.0.0.34', 'connection-timeout', false],
          ['127.0.0.35', 'connection-timeout', true],
        ],
      );
      assert.deepEqual(r.assumptions[0]!.matched, ['127.0.0.35']);
      assertDeferred(r, 5 * DAY_MS);
    });

    test('=refused: the good host refuses (costing a round trip, not its session); still deferred', async () => {
      const r = await failover('blackhole.test', { assumeDown: ['mx.blackhole.test=refused'] });
      const last = r.attempts[2]!;
      assert.deepEqual(
        [last.status, last.assumed, last.basis],
        ['connection-refused', true, 'measured'],
      );
      const measured = r.walk.hosts[2]!.addresses[0]!;
      assert.equal(last.costMs, measured.connectMs, 'the measured SYN-ACK round trip');
      assert.ok(
        last.costMs < measured.ms,
        `assumed refusal cost ${last.costMs} ms, the whole session ${measured.ms} ms`,
      );
      assert.deepEqual(r.assumptions, [
        { target: 'mx.blackhole.test', mode: 'refused', matched: ['127.0.0.35'] },
      ]);
      assertDeferred(r, 5 * DAY_MS);
    });

    test('=refused on the blackholed host: the sender skips it in a round trip, not our 1 s connect timeout', async () => {
      const r = await failover('blackhole.test', { assumeDown: ['127.0.0.34=refused'] });
      const bh = r.attempts[1]!;
      assert.deepEqual([bh.status, bh.assumed], ['connection-refused', true]);
      assert.ok(bh.costMs < CONNECT_TIMEOUT_MS / 2, `a refusal cost ${bh.costMs} ms`);
      assert.equal(r.delivery.kind, 'delivered');
      assert.ok(
        r.delivery.afterMs! < CONNECT_TIMEOUT_MS,
        `delivered after ${r.delivery.afterMs} ms`,
      );
      assertContiguous(r);
    });

    test('noao.test losing mx.noao.test: both sun.noao.test addresses refuse, the last is blackholed: deferred', async () => {
      const r = await failover('noao.test', { assumeDown: ['mx.noao.test'] });
      assert.deepEqual(
        r.attempts.map((a) => [a.host, a.address, a.status, a.assumed]),
        [
          ['sun.noao.test', '127.0.0.22', 'connection-refused', false],
          ['sun.noao.test', '127.0.0.23', 'connection-refused', false],
          ['mx.noao.test', '127.0.0.24', 'connection-timeout', true],
        ],
      );
      assert.equal(r.attempts[2]!.costMs, resolveProfile('postfix').connectTimeoutMs);
      assertDeferred(r, 5 * DAY_MS);
      assert.match(
        r.delivery.text,
        /3 attempts fail \(connection-refused, connection-refused, connection-timeout\)/,
      );
    });

    test('a target that matches nothing changes nothing and says so in a note', async () => {
      const r = await failover('mlfarm.test', { assumeDown: ['nothing.mlfarm.test'] });
      assert.deepEqual(r.assumptions, [
        { target: 'nothing.mlfarm.test', mode: 'blackhole', matched: [] },
      ]);
      assert.deepEqual(r.notes, [
        '--assume-down nothing.mlfarm.test matched no MX host or address',
      ]);
      assert.equal(r.delivery.kind, 'delivered');
      assert.deepEqual(
        r.notTried.map((n) => [n.host, n.reason]),
        [['mx2.mlfarm.test', 'mail already delivered']],
      );
    });

    test('a malformed --assume-down is invalid input before any DNS query', async () => {
      const before = lab.dnsLog.length;
      for (const bad of ['mx.noao.test=sometimes', 'a b', 'x\ny']) {
        await assert.rejects(
          probeFailover('noao.test', { ...options, assumeDown: [bad] }),
          (e: Error & { code?: string }) => e.code === 'INVALID_INPUT',
          bad,
        );
      }
      assert.ok(
        !lab.dnsLog.slice(before).some((q) => q.name === 'noao.test'),
        'noao.test was asked about',
      );
    });
  });

  describe('failover: decided by DNS, no attempts', { concurrency: true }, () => {
    test('nullmx.test: no-mail, zero attempts, no queue', async () => {
      const r = await failover('nullmx.test');
      assert.deepEqual(
        [r.delivery.kind, r.attempts, r.queue, r.notTried],
        ['no-mail', [], null, []],
      );
      assert.equal(
        r.delivery.text,
        'nullmx.test publishes a null MX: every sender bounces mail to it at once',
      );
    });

    test('a name that does not exist: no-such-domain, zero attempts', async () => {
      const r = await failover('gone-for-good.test');
      assert.deepEqual([r.delivery.kind, r.attempts.length, r.queue], ['no-such-domain', 0, null]);
    });

    test('equal.test: the note that real senders randomize among equal preferences', async () => {
      const r = await failover('equal.test');
      assert.equal(r.delivery.kind, 'delivered');
      assert.ok(
        r.notes.some((n) => /equal preference/.test(n)),
        r.notes.join('\n'),
      );
    });
  });

  describe('the CLI in-process: mx and failover', { concurrency: true }, () => {
    test('mx mlfarm.test --json: exit 0, an envelope that validates, verdict accepted', async () => {
      const run = await runCli(['mx', 'mlfarm.test', '--json', ...flags]);
      assert.equal(run.code, EXIT.OK, run.stderr);
      const env = MxOutputSchema.parse(JSON.parse(run.stdout));
      assert.deepEqual(
        [env.command, env.target, env.status, env.error],
        ['mx', 'mlfarm.test', 'ok', null],
      );
      assert.equal(env.result?.verdict?.kind, 'accepted');
      assert.equal(env.result?.hosts[0]?.name, 'mx1.mlfarm.test');
      assert.ok(env.result!.dns.length > 0, 'JSON always carries the DNS trace');
    });

    for (const [domain, kind] of [
      ['nullmx.test', 'no-mail'],
      ['nope-nothing.test', 'no-such-domain'],
      ['literal.test', 'no-usable-host'],
    ] as const) {
      test(`mx ${domain}: exit 8 (${kind})`, async () => {
        const run = await runCli(['mx', domain, '--json', ...flags]);
        assert.equal(run.code, EXIT.UNDELIVERABLE, run.stderr);
        const env = MxOutputSchema.parse(JSON.parse(run.stdout));
        assert.deepEqual([env.status, env.result?.verdict?.kind], ['ok', kind]);
      });
    }

    test('mx blackhole.test as a table: the matrix, the lint, the verdict; no escape codes off a terminal', async () => {
      const run = await runCli(['mx', 'blackhole.test', '--dns-trace', ...flags]);
      assert.equal(run.code, EXIT.OK, run.stderr);
      assert.ok(!ANSI_ESCAPE.test(run.stdout));
      for (const s of [
        'MX for blackhole.test — 3 MX records',
        'connection-timeout',
        'mx-non-public',
        'DNS trace',
        'Verdict: mail for blackhole.test is accepted by mx.blackhole.test (127.0.0.35)',
      ]) {
        assert.ok(run.stdout.includes(s), `${s} in:\n${run.stdout}`);
      }
    });

    const cases: [string, string[], number, FailoverResult['delivery']['kind']][] = [
      ['postfix: delivered within 1m', ['--profile', 'postfix'], EXIT.OK, 'delivered'],
      ['bsd-tcp: delivered, but late', ['--profile', 'bsd-tcp'], EXIT.DELAYED, 'delayed'],
      [
        'linux-tcp with --max-delay 3m: in time',
        ['--profile', 'linux-tcp', '--max-delay', '3m'],
        EXIT.OK,
        'delivered',
      ],
      [
        'losing the good host: queued then bounced',
        ['--assume-down', 'mx.blackhole.test'],
        EXIT.UNDELIVERABLE,
        'deferred',
      ],
    ];
    for (const [what, args, code, kind] of cases) {
      test(`failover blackhole.test, ${what}: exit ${code}, valid JSON`, async () => {
        const run = await runCli(['failover', 'blackhole.test', '--json', ...args, ...flags]);
        assert.equal(run.code, code, run.stderr);
        const env = FailoverOutputSchema.parse(JSON.parse(run.stdout));
        assert.deepEqual(
          [env.command, env.status, env.result?.delivery.kind],
          ['failover', 'ok', kind],
        );
      });
    }

    test('failover nullmx.test: exit 8 with no attempts', async () => {
      const run = await runCli(['failover', 'nullmx.test', '--json', ...flags]);
      assert.equal(run.code, EXIT.UNDELIVERABLE, run.stderr);
      const env = FailoverOutputSchema.parse(JSON.parse(run.stdout));
      assert.deepEqual([env.result?.delivery.kind, env.result?.attempts.length], ['no-mail', 0]);
    });

    test('failover noao.test --assume-down mx.noao.test as a table: timeline bars, the profile, the queue; exit 8', async () => {
      const run = await runCli([
        'failover',
        'noao.test',
        '--assume-down',
        'mx.noao.test',
        ...flags,
      ]);
      assert.equal(run.code, EXIT.UNDELIVERABLE, run.stderr);
      const lines = run.stdout.split('\n');
      assert.ok(
        lines.some((l) => l.startsWith('Timeline of a postfix sender (Postfix 3.x defaults')),
        run.stdout,
      );
      assert.ok(
        lines.includes('  assuming mx.noao.test is down (blackhole): 127.0.0.24'),
        run.stdout,
      );
      assert.equal(lines.filter((l) => l.includes('█')).length, 3, 'one bar per attempt');
      assert.ok(
        lines.some((l) => /^Queue: retries at 5m\d\ds, .*; bounce at 5d$/.test(l)),
        run.stdout,
      );
      assert.ok(!ANSI_ESCAPE.test(run.stdout));
    });
  });
});

// Alone, after the rest: nothing else may query the lab's DNS while these count its log.
describe('the CLI in-process: bad input exits 2 and asks DNS nothing', () => {
  const bad: [string, string[]][] = [
    ['mx, a resolver with a newline', ['mx', 'mlfarm.test', '--resolver', 'bad\nvalue']],
    [
      'failover, a resolver with a newline',
      ['failover', 'mlfarm.test', '--resolver', 'bad\nvalue'],
    ],
    ['mx, a resolver that is a name', ['mx', 'mlfarm.test', '--resolver', 'dns.example']],
    ['mx, a domain with a space', ['mx', 'bad domain.test']],
    ['mx, an empty label', ['mx', 'mlfarm..test']],
    ['failover, a domain with a control byte', ['failover', 'mlfarm.test\u001b[2J']],
    [
      'failover, an unknown --assume-down mode',
      ['failover', 'mlfarm.test', '--assume-down', 'mx1.mlfarm.test=flaky'],
    ],
  ];
  for (const [what, args] of bad) {
    test(`${what}: exit 2, an invalid-input envelope, no DNS query`, async () => {
      const before = lab.dnsLog.length;
      // The lab's resolver comes first, so a probe that ran anyway would ask it; the bad one is appended after it.
      const run = await runCli([
        ...args,
        '--json',
        '--resolver',
        `${lab.dns.address}:${lab.dns.port}`,
        '--port',
        String(lab.port),
      ]);
      assert.equal(run.code, EXIT.USAGE, `${run.stdout}\n${run.stderr}`);
      const env = (args[0] === 'mx' ? MxOutputSchema : FailoverOutputSchema).parse(
        JSON.parse(run.stdout),
      );
      assert.deepEqual(
        [env.status, env.error?.code, env.result],
        ['invalid-input', 'INVALID_INPUT', null],
      );
      assert.ok(
        !ANSI_ESCAPE.test(run.stdout) && !ANSI_ESCAPE.test(run.stderr),
        'a raw ESC was echoed',
      );
      assert.equal(lab.dnsLog.length, before, 'a DNS query reached the lab');
    });
  }
});
