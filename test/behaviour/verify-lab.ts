/**
 * probeVerify end to end against the lab's verify scenarios (DNS → MX →
 * RCPT): catch-all, greylisting with --retry-after, Postfix-like throttling,
 * whether to bet on lifting the error limit (not on loopback; yes behind 50 ms, punished at a
 * throttling host, lifted at one that is not), a recipient cap, a server that drops the session,
 * one that only pretends to pipeline. Every address gets exactly one verdict; no DATA ever arrives.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, startLatencyProxy, type Lab } from '../../src/lab/index.js';
import { DEFAULT_MAX_ERRORS, ESCALATED_MAX_ERRORS } from '../../src/probes/error-budget.js';
import { verifyOnHost } from '../../src/probes/verify-host.js';
import { loadTrustStore } from '../../src/net/tls.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { parseMailbox } from '../../src/smtp/address.js';
import { Deadline } from '../../src/time/deadline.js';
import { probeVerify, type VerifyOptions } from '../../src/probes/verify.js';
import { VerifyResultSchema } from '../../src/schema/verify.js';
import { formatEndpoint } from '../../src/net/target.js';

let lab: Lab;
let opts: VerifyOptions;

before(async () => {
  lab = await startLab({
    port: 0,
    hosts: [
      'catchall.test',
      'greylist.test',
      'throttle.test',
      'rcptcap.test',
      'drop421.test',
      'nopipe.test',
      'mlfarm.test',
      'vrfy-open',
      'vrfy-closed',
    ],
    greylistDelayMs: 300,
    throttleSleepMs: 600,
  });
  opts = {
    resolvers: [formatEndpoint(lab.dns.address, lab.dns.port)],
    port: lab.port,
    caFiles: [lab.caCertFile],
    from: 'probe@example.org',
    timeouts: { connectMs: 2000, greetingMs: 3000, commandMs: 5000 },
  };
});
after(() => lab.close());

const noData = (): void =>
  assert.ok(
    lab.log.every((e) => !/^(DATA|BDAT)/i.test(e.line)),
    'DATA reached the lab',
  );
const addrs = (domain: string, n: number, real = ['alice']) => [
  ...real.map((u) => `${u}@${domain}`),
  ...Array.from({ length: n }, (_, i) => `nobody${i}@${domain}`),
];

describe('verify against the lab', { concurrency: true }, () => {
  test('catch-all: "accepted" becomes risky (catch-all) for every address', async () => {
    const { result } = await probeVerify(addrs('catchall.test', 2), opts);
    VerifyResultSchema.parse(result);
    assert.equal(result.domains[0]!.catchAll, 'yes');
    assert.deepEqual(
      new Set(result.addresses.map((a) => `${a.verdict}/${a.reason}`)),
      new Set(['risky/catch-all']),
    );
    noData();
  });

  test('greylisting: 450 4.7.1 first, the real answer after --retry-after, evidence of both kept', async () => {
    const first = await probeVerify(['alice@greylist.test'], { ...opts, catchAll: false });
    assert.equal(first.result.addresses[0]!.reason, 'greylisted');
    const retried = await probeVerify(['bob@greylist.test', 'nobody@greylist.test'], {
      ...opts,
      catchAll: false,
      retryAfterMs: 500,
    });
    assert.deepEqual(
      retried.result.addresses.map((a) => a.verdict),
      ['deliverable', 'undeliverable'],
    );
    assert.equal(retried.result.addresses[0]!.evidence.length, 2);
    assert.equal(retried.result.addresses[0]!.evidence[0]!.reply.enhanced, '4.7.1');
  });

  test('Postfix-like throttling on loopback: the limit is not bet on (sessions cost next to nothing), sessions stay under it, never slowed, no 421', async () => {
    // 20 unknown without TLS: the bet would take an EHLO round trip over 250 ms, even on a busy machine.
    const list = addrs('throttle.test', 20);
    const { result } = await probeVerify(list, { ...opts, starttls: false });
    assert.equal(result.addresses.length, list.length);
    assert.equal(result.addresses[0]!.verdict, 'deliverable');
    assert.ok(result.addresses.slice(1).every((a) => a.reason === 'bad-mailbox'));
    const d = result.domains[0]!;
    assert.equal(d.throttled, false, d.notes.join('; '));
    assert.equal(d.maxErrorsPerSession, 9);
    assert.equal(d.sessions, Math.ceil((20 + 1) / 9));
    assert.ok(
      d.notes.some((n) => /was not tested: lifting it would save at most 2 sessions/.test(n)),
    );
    assert.ok(!d.notes.some((n) => /421/.test(n)), d.notes.join('; '));
  });

  // Through a 50 ms round trip a split-off session costs ~200 ms (connect, greeting, EHLO, its
  // batch): 120 addresses at 9 rejections a session would take 13 sessions more than one,
  // 2.6 s — over the 2 s a server of unknown kind puts at risk (two to one that it punishes), under
  // the 20 s of one whose banner says Postfix (stock Postfix always punishes).
  for (const [host, domain, postfix] of [
    ['mx.throttle.test', 'throttle.test', true],
    ['mx1.mlfarm.test', 'mlfarm.test', false],
  ] as const) {
    test(`${domain} behind 50 ms: ${postfix ? 'the banner says Postfix: not bet on, sessions of 9 from the start, never slowed' : 'the bet is made and, unpunished, the limit is lifted: one session'}`, async () => {
      const h = lab.host(host);
      const proxy = await startLatencyProxy({
        target: { address: h.address, port: h.port },
        delayMs: 50,
      });
      try {
        const boxes = addrs(domain, 120).map((a) => parseMailbox(a));
        const out = await verifyOnHost(boxes, {
          host,
          address: '127.0.0.1',
          port: proxy.port,
          from: '',
          starttls: false,
          pipelining: true,
          maxErrors: DEFAULT_MAX_ERRORS,
          adaptive: true,
          trust: loadTrustStore(),
          timeouts: DEFAULT_TIMEOUTS,
          deadline: new Deadline(),
        });
        assert.equal(out.results.size, boxes.length);
        assert.equal(out.throttled, false, out.notes.join('; '));
        assert.equal(out.escalation, postfix ? 'declined' : 'raised');
        assert.equal(out.maxErrors, postfix ? 9 : ESCALATED_MAX_ERRORS);
        assert.equal(out.sessions, postfix ? Math.ceil(120 / 9) : 1);
        assert.equal(
          out.notes.some((n) => /was not tested/.test(n)),
          postfix,
        );
      } finally {
        await proxy.close();
      }
    });
  }

  test('a recipient cap (452 4.5.3): the rest go in new transactions, nobody lost', async () => {
    const { result } = await probeVerify(addrs('rcptcap.test', 12, ['alice', 'bob']), {
      ...opts,
      maxErrors: 50,
    });
    assert.equal(result.addresses.length, 14);
    assert.ok(result.addresses.every((a) => a.reason === 'accepted' || a.reason === 'bad-mailbox'));
    assert.ok(result.domains[0]!.transactions >= 3);
  });

  test('a server that drops the session with 421 midway: every address still gets a verdict', async () => {
    const { result } = await probeVerify(addrs('drop421.test', 10), { ...opts, maxErrors: 50 });
    assert.equal(result.addresses.length, 11);
    assert.ok(
      result.addresses.every((a) => a.reason === 'accepted' || a.reason === 'bad-mailbox'),
      JSON.stringify(result.addresses.map((a) => a.reason)),
    );
    assert.ok(result.domains[0]!.sessions >= 3);
  });

  test('--method vrfy,rcpt: a clear VRFY answer is used; a blanket 252 falls back to RCPT', async () => {
    const open = await probeVerify(['alice@vrfy-open.lab.test', 'nobody@vrfy-open.lab.test'], {
      ...opts,
      methods: ['vrfy', 'rcpt'],
    });
    assert.deepEqual(
      open.result.addresses.map((a) => [a.verdict, a.evidence[0]?.method]),
      [
        ['deliverable', 'vrfy'],
        ['undeliverable', 'vrfy'],
      ],
    );
    const closed = await probeVerify(['alice@vrfy-closed.lab.test'], {
      ...opts,
      methods: ['vrfy', 'rcpt'],
    });
    assert.equal(closed.result.addresses[0]!.evidence[0]?.method, 'rcpt');
  });

  test('PIPELINING advertised but answered one line at a time: replies still pair with the right addresses', async () => {
    const { result } = await probeVerify([...addrs('nopipe.test', 5, ['alice', 'bob'])], opts);
    assert.deepEqual(
      result.addresses.map((a) => a.verdict),
      ['deliverable', 'deliverable', ...Array(5).fill('undeliverable')],
    );
    assert.equal(result.domains[0]!.pipelining, true);
  });
});
