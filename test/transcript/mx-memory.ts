/**
 * The MX walk over an in-memory zone (answered by the lab's DNS code) and the
 * in-memory network on a virtual clock: implicit MX through a CNAME, refused /
 * blackholed / good hosts and what the blackhole costs, the walk bounded by
 * --timeout, null MX, NXDOMAIN, and a primary that greets 421. Every time
 * asserted is virtual; no sockets, no sleeps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ZoneRecord } from '../../src/lab/zone-record.js';
import { type MxOptions, probeMx } from '../../src/probes/mx.js';
import { type MxResult, MxResultSchema } from '../../src/schema/mx.js';
import { memoryWorld, type MemoryWorld } from '../support/memory-world.js';
import { expect, send, close } from '../support/scripted-server.js';
import { ehloOk, greet, HELO_NAME, quit } from '../support/smtp-lines.js';

const TTL = 300;
const mx = (name: string, preference: number, exchange: string): ZoneRecord => ({
  name,
  type: 'MX',
  ttl: TTL,
  data: { preference, exchange },
});
const a = (name: string, address: string): ZoneRecord => ({
  name,
  type: 'A',
  ttl: TTL,
  data: address,
});
const cname = (name: string, target: string): ZoneRecord => ({
  name,
  type: 'CNAME',
  ttl: TTL,
  data: target,
});

type Outcome = Awaited<ReturnType<typeof probeMx>>;

/** walk: probeMx for `domain` over `records` in `w`, port 25, the test's HELO name; the result schema-checked. */
async function walk(
  w: MemoryWorld,
  domain: string,
  records: ZoneRecord[],
  options: MxOptions = {},
): Promise<{ outcome: Outcome; result: MxResult }> {
  const outcome = await probeMx(domain, {
    resolvers: ['192.0.2.53'],
    dnsTransport: w.dns(records),
    ...w.wiring,
    helo: HELO_NAME,
    port: 25,
    ...options,
  });
  return { outcome, result: MxResultSchema.parse(outcome.result) };
}

/** matrix: each host with its addresses as [host, address, status]. */
const matrix = (r: MxResult): [string, string, string][] =>
  r.hosts.flatMap((h) =>
    h.addresses.map((x): [string, string, string] => [h.name, x.address, x.status]),
  );

/** questions: the DNS questions asked, as "type name". */
const questions = (r: MxResult): string[] =>
  r.dns.map((e) => `${e.question.type} ${e.question.name}`);

/** DEAD_ZONE: dead.test with two MX hosts, one address each (blackholed by blackholeDead). */
const DEAD_ZONE = [
  mx('dead.test', 10, 'mx1.dead.test'),
  mx('dead.test', 20, 'mx2.dead.test'),
  a('mx1.dead.test', '192.0.2.1'),
  a('mx2.dead.test', '192.0.2.2'),
];

/** blackholeDead: both of dead.test's addresses never answer a SYN. */
function blackholeDead(w: MemoryWorld): void {
  w.net.blackhole('192.0.2.1:25');
  w.net.blackhole('192.0.2.2:25');
}

/** healthy: a server that greets, answers EHLO and says goodbye. */
const healthy = () => [greet(), ...ehloOk('PIPELINING', 'SIZE 10240000'), ...quit()];

describe('the MX walk over an in-memory zone and network', () => {
  test('a domain that is a CNAME to a name with an A record and no MX: the implicit MX is the canonical target', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.10:25', healthy());
    const { outcome, result } = await walk(w, 'alias.test', [
      cname('alias.test', 'real.test'),
      a('real.test', '192.0.2.10'),
    ]);
    await server.finished();
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.equal(result.source, 'implicit');
    assert.deepEqual(result.mxLookup?.cnameChain, ['alias.test', 'real.test']);
    assert.equal(result.mxLookup?.status, 'nodata');
    // RFC 5321 §5.1: the implicit MX is the domain after its CNAMEs, not the alias asked about.
    assert.deepEqual(
      result.hosts.map((h) => [h.name, h.preference, h.implicit]),
      [['real.test', 0, true]],
    );
    assert.deepEqual(matrix(result), [['real.test', '192.0.2.10', 'ok']]);
    assert.deepEqual(w.net.dialled, ['192.0.2.10:25']);
    assert.deepEqual(server.received, [`EHLO ${HELO_NAME}`, 'QUIT']);
    assert.ok(
      questions(result).includes('A real.test'),
      `the canonical name's addresses were asked for: ${questions(result).join(', ')}`,
    );
    assert.ok(
      !questions(result).includes('A alias.test'),
      `the alias is not walked as a host: ${questions(result).join(', ')}`,
    );
    assert.equal(result.verdict?.kind, 'accepted');
    assert.equal(result.verdict?.host, 'real.test');
  });

  test('refused, blackholed, good: statuses in sender order, accepted by the third, the blackhole costs the connect timeout', async () => {
    const w = memoryWorld();
    w.net.blackhole('192.0.2.2:25'); // 192.0.2.1 is nobody's: refused at once
    const server = w.serve('192.0.2.3:25', healthy());
    const { outcome, result } = await walk(
      w,
      'three.test',
      [
        mx('three.test', 10, 'refused.three.test'),
        mx('three.test', 20, 'bh.three.test'),
        mx('three.test', 30, 'good.three.test'),
        a('refused.three.test', '192.0.2.1'),
        a('bh.three.test', '192.0.2.2'),
        a('good.three.test', '192.0.2.3'),
      ],
      { timeouts: { connectMs: 2_000 } },
    );
    await server.finished();
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.equal(result.source, 'mx');
    assert.deepEqual(matrix(result), [
      ['refused.three.test', '192.0.2.1', 'connection-refused'],
      ['bh.three.test', '192.0.2.2', 'connection-timeout'],
      ['good.three.test', '192.0.2.3', 'ok'],
    ]);
    assert.deepEqual(
      result.hosts.map((h) => h.addresses[0]!.ms),
      [0, 2_000, 0],
      'the blackhole cost exactly the connect timeout; the others no virtual time',
    );
    assert.equal(result.hosts[1]!.addresses[0]!.error?.code, 'CONNECT_TIMEOUT');
    // The walk took that one connect timeout and nothing more: DNS and the rest cost no virtual time.
    assert.equal(w.clock.now(), 2_000);
    assert.equal(outcome.durationMs, 2_000);
    assert.deepEqual(result.verdict, {
      kind: 'accepted',
      host: 'good.three.test',
      address: '192.0.2.3',
      failedBefore: [
        { host: 'refused.three.test', address: '192.0.2.1', status: 'connection-refused' },
        { host: 'bh.three.test', address: '192.0.2.2', status: 'connection-timeout' },
      ],
      text: 'mail for three.test is accepted by good.three.test (192.0.2.3) — 2 addresses before it fail: connection-refused, connection-timeout',
    });
    assert.deepEqual(server.received, [`EHLO ${HELO_NAME}`, 'QUIT']);
    // The one address that said EHLO offered no STARTTLS; the ones never reached say nothing either way.
    assert.deepEqual(
      result.lint.filter((l) => l.id.includes('starttls')).map((l) => [l.id, l.subject]),
      [['mx-no-starttls', 'good.three.test 192.0.2.3']],
    );
  });

  test('--timeout bounds the whole walk: every address blackholed with a long connect timeout is cut at exactly targetMs', async () => {
    const w = memoryWorld();
    blackholeDead(w);
    const { outcome, result } = await walk(w, 'dead.test', DEAD_ZONE, {
      timeouts: { connectMs: 60_000, targetMs: 5_000 },
    });
    assert.equal(w.clock.now(), 5_000, 'cut at --timeout, not at the 60 s connect timeout');
    assert.equal(outcome.durationMs, 5_000);
    assert.deepEqual(w.net.dialled, ['192.0.2.1:25', '192.0.2.2:25']);
    // What the walk learned is kept: both hosts, and what each address met.
    assert.deepEqual(matrix(result), [
      ['mx1.dead.test', '192.0.2.1', 'io-timeout'],
      ['mx2.dead.test', '192.0.2.2', 'io-timeout'],
    ]);
    for (const address of result.hosts.flatMap((h) => h.addresses)) {
      assert.equal(address.error?.code, 'TARGET_TIMEOUT', address.address);
      assert.equal(address.ms, 5_000, address.address);
    }
  });

  // probeAddress turns the run's own TARGET_TIMEOUT / ABORTED into an address status; the walk
  // must still end with the cancellation, not a verdict that blames the hosts for our budget.
  test('--timeout cuts the walk: the outcome is TARGET_TIMEOUT (io-timeout), no verdict blaming the hosts', async () => {
    const w = memoryWorld();
    blackholeDead(w);
    const { outcome, result } = await walk(w, 'dead.test', DEAD_ZONE, {
      timeouts: { connectMs: 60_000, targetMs: 5_000 },
    });
    assert.equal(w.clock.now(), 5_000);
    assert.equal(outcome.error?.code, 'TARGET_TIMEOUT', `status ${outcome.status}`);
    assert.equal(outcome.status, 'io-timeout');
    assert.notEqual(result.verdict?.kind, 'no-usable-host', result.verdict?.text);
  });

  test('Ctrl-C during the address probes: the outcome is aborted, what was learned kept', async () => {
    const w = memoryWorld();
    blackholeDead(w);
    const controller = new AbortController();
    w.clock.setTimer(1_000, () => controller.abort());
    const { outcome, result } = await walk(w, 'dead.test', DEAD_ZONE, {
      signal: controller.signal,
      timeouts: { connectMs: 60_000 },
    });
    assert.equal(w.clock.now(), 1_000);
    assert.deepEqual(
      result.hosts.map((h) => h.name),
      ['mx1.dead.test', 'mx2.dead.test'],
    );
    assert.equal(outcome.error?.code, 'ABORTED', `status ${outcome.status}`);
    assert.equal(outcome.status, 'aborted');
  });

  test('null MX: no-mail, no host walked, nothing dialled', async () => {
    const w = memoryWorld();
    const { outcome, result } = await walk(w, 'nullmx.test', [mx('nullmx.test', 0, '.')]);
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.equal(result.source, 'null-mx');
    assert.deepEqual(result.hosts, []);
    assert.deepEqual(w.net.dialled, []);
    assert.deepEqual(questions(result), ['MX nullmx.test']);
    assert.deepEqual(result.verdict, {
      kind: 'no-mail',
      failedBefore: [],
      text: 'nullmx.test publishes a null MX (RFC 7505): it accepts no mail',
    });
  });

  test('NXDOMAIN: no-such-domain after one MX question, nothing dialled', async () => {
    const w = memoryWorld();
    const { outcome, result } = await walk(w, 'missing.test', [
      mx('other.test', 10, 'mx.other.test'),
    ]);
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.equal(result.mxLookup?.status, 'nxdomain');
    assert.equal(result.source, 'none');
    assert.deepEqual(result.hosts, []);
    assert.deepEqual(w.net.dialled, []);
    assert.deepEqual(
      result.dns.map((e) => [e.question.type, e.question.name, e.rcode]),
      [['MX', 'missing.test', 'NXDOMAIN']],
    );
    assert.deepEqual(result.verdict, {
      kind: 'no-such-domain',
      failedBefore: [],
      text: 'missing.test does not exist (NXDOMAIN): mail to it bounces at once',
    });
  });

  test('a 421 greeting at the primary: rejected with the banner kept (QUIT still said), accepted by the backup', async () => {
    const w = memoryWorld();
    const primary = w.serve('192.0.2.1:25', [
      send('421 4.3.2 mx1.busy.test Service not available, closing transmission channel'),
      expect('QUIT'),
      send('221 2.0.0 Bye'),
      close(),
    ]);
    const backup = w.serve('192.0.2.2:25', healthy());
    const { outcome, result } = await walk(w, 'busy.test', [
      mx('busy.test', 10, 'mx1.busy.test'),
      mx('busy.test', 20, 'mx2.busy.test'),
      a('mx1.busy.test', '192.0.2.1'),
      a('mx2.busy.test', '192.0.2.2'),
    ]);
    await primary.finished();
    await backup.finished();
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.deepEqual(matrix(result), [
      ['mx1.busy.test', '192.0.2.1', 'rejected'],
      ['mx2.busy.test', '192.0.2.2', 'ok'],
    ]);
    const rejected = result.hosts[0]!.addresses[0]!;
    assert.equal(rejected.error?.code, 'GREETING_REJECTED');
    assert.equal(rejected.banner?.code, 421);
    assert.deepEqual(rejected.banner?.lines, [
      '4.3.2 mx1.busy.test Service not available, closing transmission channel',
    ]);
    assert.equal(rejected.hello, undefined, 'no EHLO after a refused greeting');
    assert.deepEqual(primary.received, ['QUIT']);
    assert.deepEqual(backup.received, [`EHLO ${HELO_NAME}`, 'QUIT']);
    assert.equal(result.verdict?.kind, 'accepted');
    assert.equal(result.verdict?.host, 'mx2.busy.test');
    assert.deepEqual(result.verdict?.failedBefore, [
      { host: 'mx1.busy.test', address: '192.0.2.1', status: 'rejected' },
    ]);
  });
});
