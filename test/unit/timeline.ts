/** The sender's timeline from a walk: order, costs, limits, assumptions, queue, verdicts. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildTimeline } from '../../src/mx/timeline.js';
import { PROFILES, resolveProfile } from '../../src/mx/profiles.js';
import type { Status } from '../../src/errors.js';
import { MxResultSchema, type MxResult } from '../../src/schema/mx.js';
import { ProbeError } from '../../src/errors.js';

const postfix = resolveProfile('postfix');
const lookup = (name: string, type: 'A' | 'AAAA') => ({
  name,
  type,
  status: 'ok' as const,
  cnameChain: [],
  records: [],
});

/** walk: a schema-valid walk; each host is [name, preference, [address, status, ms]...]. */
function walk(
  hosts: [string, number, ...[string, Status, number][]][],
  verdict: MxResult['verdict'] = null,
): MxResult {
  return MxResultSchema.parse({
    domain: { input: 'example.test', ascii: 'example.test', unicode: 'example.test' },
    port: 25,
    resolvers: ['127.0.0.1:53'],
    source: 'mx',
    mxLookup: null,
    lint: [],
    verdict,
    dns: [],
    hosts: hosts.map(([name, preference, ...addrs], i) => ({
      name,
      preference,
      group: i,
      groupSize: 1,
      implicit: false,
      cnameChain: [],
      lookups: { a: lookup(name, 'A'), aaaa: lookup(name, 'AAAA') },
      addresses: addrs.map(([address, status, ms]) => ({
        address,
        family: 4,
        status,
        ms,
        connectMs: Math.min(ms, 1),
      })),
    })),
  });
}

describe('buildTimeline', () => {
  test("refused then blackhole then good: costs are RTT, the profile's connect timeout, then measured", () => {
    const w = walk([
      ['r.test', 10, ['127.0.0.1', 'connection-refused', 1]],
      ['bh.test', 20, ['127.0.0.2', 'connection-timeout', 2000]],
      ['ok.test', 30, ['127.0.0.3', 'ok', 3]],
    ]);
    const t = buildTimeline(w, postfix, [], 60_000);
    assert.deepEqual(
      t.attempts.map((a) => [a.address, a.status, a.costMs, a.basis]),
      [
        ['127.0.0.1', 'connection-refused', 1, 'measured'],
        ['127.0.0.2', 'connection-timeout', 30_000, 'sender-connect-timeout'],
        ['127.0.0.3', 'ok', 3, 'measured'],
      ],
    );
    assert.deepEqual(
      t.attempts.map((a) => a.startMs),
      [0, 1, 30_001],
    );
    assert.equal(t.delivery.kind, 'delivered');
    assert.equal(t.delivery.afterMs, 30_004);
    assert.equal(t.delivery.host, 'ok.test');
    assert.equal(t.queue, null);
  });

  test('the same walk is delayed for a sender that waits on the kernel, and for a tight --max-delay', () => {
    const w = walk([
      ['bh.test', 10, ['127.0.0.2', 'connection-timeout', 2000]],
      ['ok.test', 20, ['127.0.0.3', 'ok', 3]],
    ]);
    assert.equal(buildTimeline(w, resolveProfile('bsd-tcp'), [], 60_000).delivery.afterMs, 75_003);
    assert.equal(buildTimeline(w, resolveProfile('bsd-tcp'), [], 60_000).delivery.kind, 'delayed');
    assert.equal(
      buildTimeline(w, resolveProfile('linux-tcp'), [], 60_000).delivery.afterMs,
      127_003,
    );
    assert.equal(buildTimeline(w, postfix, [], 10_000).delivery.kind, 'delayed');
  });

  test('a failover delivery that lands exactly at --max-delay counts as delivered (and one ms later is delayed)', () => {
    const w = walk([
      ['bh.test', 10, ['127.0.0.2', 'connection-timeout', 2000]],
      ['ok.test', 20, ['127.0.0.3', 'ok', 3]],
    ]);
    const landsAt = postfix.connectTimeoutMs + 3;
    const onTime = buildTimeline(w, postfix, [], landsAt).delivery;
    assert.deepEqual(
      [onTime.kind, onTime.host, onTime.afterMs, onTime.maxDelayMs],
      ['delivered', 'ok.test', landsAt, landsAt],
    );
    assert.doesNotMatch(onTime.text, /later than --max-delay/);
    const late = buildTimeline(w, postfix, [], landsAt - 1).delivery;
    assert.deepEqual(
      [late.kind, late.host, late.afterMs, late.maxDelayMs],
      ['delayed', 'ok.test', landsAt, landsAt - 1],
    );
    assert.match(late.text, /later than --max-delay/);
  });

  test('--assume-down replays a healthy primary as blackholed or refused', () => {
    const w = walk([
      ['mx1.test', 10, ['127.0.0.1', 'ok', 2]],
      ['mx2.test', 20, ['127.0.0.2', 'ok', 2]],
    ]);
    const bh = buildTimeline(w, postfix, [{ target: 'mx1.test', mode: 'blackhole' }], 60_000);
    assert.deepEqual(
      bh.attempts.map((a) => [a.host, a.status, a.assumed]),
      [
        ['mx1.test', 'connection-timeout', true],
        ['mx2.test', 'ok', false],
      ],
    );
    assert.deepEqual(bh.assumptions[0]!.matched, ['127.0.0.1']);
    const rst = buildTimeline(w, postfix, [{ target: '127.0.0.1', mode: 'refused' }], 60_000);
    assert.equal(rst.attempts[0]!.status, 'connection-refused');
    assert.ok(rst.delivery.afterMs! < 100);
    const none = buildTimeline(w, postfix, [{ target: 'nope.test', mode: 'refused' }], 60_000);
    assert.ok(none.notes.some((n) => n.includes('nope.test')));
  });

  test('Postfix stops after smtp_mx_address_limit addresses and defers; the queue ends in a bounce after 5 days', () => {
    const dead: [string, Status, number][] = ['1', '2', '3', '4', '5', '6'].map((n) => [
      `127.0.0.${n}`,
      'connection-refused',
      0.5,
    ]);
    const w = walk([
      ['many.test', 10, ...dead],
      ['ok.test', 20, ['127.0.0.9', 'ok', 2]],
    ]);
    const t = buildTimeline(w, postfix, [], 60_000);
    assert.equal(t.attempts.length, 5);
    assert.equal(t.delivery.kind, 'deferred');
    assert.ok(t.notTried.some((n) => n.address === '127.0.0.9' && /address limit/.test(n.reason)));
    const q = t.queue!;
    assert.equal(q.bounceAtMs, 5 * 86_400_000);
    assert.ok(q.retriesAtMs.length > 10);
    const gaps = q.retriesAtMs.slice(1).map((at, i) => at - q.retriesAtMs[i]!);
    assert.equal(gaps[0], 600_000, 'backoff doubles from 300 s');
    assert.ok(
      gaps.every((g) => g <= 4_000_000),
      'capped at maximal_backoff_time',
    );
    assert.ok(q.retriesAtMs.every((at) => at < q.bounceAtMs));
    const sendmail = buildTimeline(w, resolveProfile('sendmail'), [], 60_000);
    assert.equal(sendmail.delivery.kind, 'delivered', 'no address limit');
  });

  test("session limit: two hosts that greet 4xx use up Postfix's two sessions", () => {
    const w = walk([
      ['a.test', 10, ['127.0.0.1', 'rejected', 2]],
      ['b.test', 20, ['127.0.0.2', 'rejected', 2]],
      ['c.test', 30, ['127.0.0.3', 'ok', 2]],
    ]);
    const t = buildTimeline(w, postfix, [], 60_000);
    assert.equal(t.delivery.kind, 'deferred');
    assert.ok(t.notTried.some((n) => /session limit \(2\)/.test(n.reason)));
    assert.equal(
      buildTimeline(w, resolveProfile('postfix', { maxSessions: 3 }), [], 60_000).delivery.kind,
      'delivered',
    );
  });

  test('null MX and NXDOMAIN end before any attempt', () => {
    const nullMx = buildTimeline(
      walk([], { kind: 'no-mail', failedBefore: [], text: 'x' }),
      postfix,
      [],
      60_000,
    );
    assert.deepEqual(
      [nullMx.delivery.kind, nullMx.attempts.length, nullMx.queue],
      ['no-mail', 0, null],
    );
    assert.equal(
      buildTimeline(
        walk([], { kind: 'no-such-domain', failedBefore: [], text: 'x' }),
        postfix,
        [],
        60_000,
      ).delivery.kind,
      'no-such-domain',
    );
  });

  test('a greeting timeout costs the sender its greeting timeout', () => {
    const w = walk([
      ['s.test', 10, ['127.0.0.1', 'greeting-timeout', 1000]],
      ['ok.test', 20, ['127.0.0.2', 'ok', 2]],
    ]);
    const t = buildTimeline(w, postfix, [], 600_000);
    assert.equal(t.attempts[0]!.basis, 'sender-greeting-timeout');
    assert.equal(t.attempts[0]!.costMs, 300_001);
  });
});

describe('the delivery sentence', () => {
  test('delivered at the first attempt', () => {
    const t = buildTimeline(walk([['ok.test', 10, ['127.0.0.3', 'ok', 25]]]), postfix, [], 60_000);
    assert.equal(
      t.delivery.text,
      'postfix delivers mail for example.test to ok.test (127.0.0.3) at its first attempt, 25 ms after it starts',
    );
  });

  test('delivered after failures: when, at which attempt, and what failed first (singular and plural)', () => {
    const one = buildTimeline(
      walk([
        ['r.test', 10, ['127.0.0.1', 'connection-refused', 1]],
        ['ok.test', 20, ['127.0.0.3', 'ok', 3]],
      ]),
      postfix,
      [],
      60_000,
    );
    assert.equal(
      one.delivery.text,
      'postfix delivers mail for example.test to ok.test (127.0.0.3) 4.0 ms after it starts, at attempt 2: the first fails (connection-refused 1.0 ms)',
    );
    const two = buildTimeline(
      walk([
        ['r.test', 10, ['127.0.0.1', 'connection-refused', 1]],
        ['bh.test', 20, ['127.0.0.2', 'connection-timeout', 2000]],
        ['ok.test', 30, ['127.0.0.3', 'ok', 3]],
      ]),
      resolveProfile('sendmail'),
      [],
      60_000,
    );
    assert.equal(
      two.delivery.text,
      'sendmail delivers mail for example.test to ok.test (127.0.0.3) 2m07s after it starts, at attempt 3: the first 2 fail (connection-refused 1.0 ms, connection-timeout 2m07s) — later than --max-delay 1m00s',
    );
  });

  test('deferred: "1 attempt fails", "2 attempts fail"', () => {
    const one = buildTimeline(
      walk([['r.test', 10, ['127.0.0.1', 'connection-refused', 1]]]),
      postfix,
      [],
      60_000,
    );
    assert.match(one.delivery.text, / now — 1 attempt fails \(connection-refused\); it queues /);
    const two = buildTimeline(
      walk([
        ['r.test', 10, ['127.0.0.1', 'connection-refused', 1]],
        ['r2.test', 20, ['127.0.0.2', 'connection-refused', 1]],
      ]),
      postfix,
      [],
      60_000,
    );
    assert.match(
      two.delivery.text,
      / now — 2 attempts fail \(connection-refused, connection-refused\);/,
    );
  });
});

describe('profiles', () => {
  test('every profile has a name, sources and a bounce time of 4-5 days', () => {
    for (const p of PROFILES) {
      assert.ok(p.sources.length > 20, p.name);
      assert.ok(p.retry.giveUpMs >= 4 * 86_400_000 && p.retry.giveUpMs <= 5 * 86_400_000, p.name);
    }
  });

  test('overrides make a custom profile; an unknown name is invalid input', () => {
    const c = resolveProfile('exim', { connectTimeoutMs: 45_000 });
    assert.equal(c.name, 'custom (based on exim)');
    assert.equal(c.connectTimeoutMs, 45_000);
    assert.throws(
      () => resolveProfile('qmail'),
      (e: unknown) => e instanceof ProbeError && e.code === 'INVALID_INPUT',
    );
  });
});
