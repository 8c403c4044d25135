/**
 * verify's choice of hosts and its inputs, over the in-memory world: address
 * literals, --server, bad --file lines, a non-ASCII sender, domains side by
 * side with a dead host dialled once, Ctrl-C leaving the rest not-asked, and
 * the verdicts streamed as they become final.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ZoneRecord } from '../../src/lab/index.js';
import { probeVerify, type VerifyOptions } from '../../src/probes/verify.js';
import { type AddressVerdict, VerifyResultSchema } from '../../src/schema/verify.js';
import { known, memoryMta } from '../support/memory-mta.js';
import { memoryWorld } from '../support/memory-world.js';
import { HELO_NAME } from '../support/smtp-lines.js';

const FROM = 'probe@client.test';
const mx = (name: string, preference: number, exchange: string): ZoneRecord => ({
  name,
  type: 'MX',
  ttl: 300,
  data: { preference, exchange },
});
const a = (name: string, address: string): ZoneRecord => ({
  name,
  type: 'A',
  ttl: 300,
  data: address,
});

function options(
  world: ReturnType<typeof memoryWorld>,
  zone: ZoneRecord[],
  extra: VerifyOptions = {},
) {
  return {
    resolvers: ['192.0.2.53'],
    dnsTransport: world.dns(zone),
    ...world.wiring,
    helo: HELO_NAME,
    from: FROM,
    catchAll: false,
    ...extra,
  };
}

const verdictsOf = (addresses: AddressVerdict[]) =>
  Object.fromEntries(addresses.map((v) => [v.input, `${v.verdict}/${v.reason}`]));

describe('verify: where it asks', () => {
  test('an address literal is asked at its own address: no MX lookup, one session there', async () => {
    const w = memoryWorld();
    const mta = memoryMta(w.net, '192.0.2.7:25', w.clock, { rcpt: known('alice') });
    const outcome = await probeVerify(['alice@[192.0.2.7]', 'bob@[192.0.2.7]'], options(w, []));
    VerifyResultSchema.parse(outcome.result);
    assert.deepEqual(verdictsOf(outcome.result.addresses), {
      'alice@[192.0.2.7]': 'deliverable/accepted',
      'bob@[192.0.2.7]': 'undeliverable/bad-mailbox',
    });
    assert.deepEqual(w.net.dialled, ['192.0.2.7:25']);
    assert.deepEqual(mta.sessions[0]!.slice(1, 4), [
      `MAIL FROM:<${FROM}>`,
      'RCPT TO:<alice@[192.0.2.7]>',
      'RCPT TO:<bob@[192.0.2.7]>',
    ]);
  });

  test('--server HOST:PORT: asked there instead of the MX (a backup, or a server DNS does not point at yet)', async () => {
    const w = memoryWorld();
    w.hosts.set('backup.example.test', ['192.0.2.30']);
    const backup = memoryMta(w.net, '192.0.2.30:2525', w.clock, { rcpt: known('alice') });
    const zone = [mx('example.test', 10, 'mx.example.test'), a('mx.example.test', '192.0.2.25')];
    const outcome = await probeVerify(
      ['alice@example.test'],
      options(w, zone, { servers: [{ host: 'backup.example.test', port: 2525 }] }),
    );
    assert.equal(outcome.result.addresses[0]!.verdict, 'deliverable');
    assert.deepEqual(w.net.dialled, ['192.0.2.30:2525'], 'the MX is not dialled');
    assert.equal(backup.sessions.length, 1);
    assert.match(outcome.result.domains[0]!.mx, /^server: backup\.example\.test \(192\.0\.2\.30\)/);
  });

  test('two domains behind one dead MX: it is dialled once, the second domain skips it and says why', async () => {
    const w = memoryWorld();
    w.net.blackhole('192.0.2.99:25');
    memoryMta(w.net, '192.0.2.25:25', w.clock, { rcpt: known('alice') });
    const zone = [
      mx('one.test', 10, 'dead.test'),
      mx('one.test', 20, 'mx.test'),
      mx('two.test', 10, 'dead.test'),
      mx('two.test', 20, 'mx.test'),
      a('dead.test', '192.0.2.99'),
      a('mx.test', '192.0.2.25'),
    ];
    const outcome = await probeVerify(
      ['alice@one.test', 'alice@two.test'],
      options(w, zone, { timeouts: { connectMs: 5_000 } }),
    );
    assert.deepEqual(verdictsOf(outcome.result.addresses), {
      'alice@one.test': 'deliverable/accepted',
      'alice@two.test': 'deliverable/accepted',
    });
    assert.equal(w.net.dialled.filter((d) => d === '192.0.2.99:25').length, 1);
    const notes = outcome.result.domains.flatMap((d) => d.notes);
    assert.ok(
      notes.some((n) =>
        /skipped dead\.test \(192\.0\.2\.99\): CONNECT_TIMEOUT, as earlier in this run/.test(n),
      ),
      notes.join('; '),
    );
    // One connect timeout for the whole run, not one per domain.
    assert.ok(w.clock.now() < 10_000, String(w.clock.now()));
  });
});

describe('verify: inputs', () => {
  test('a bad --file line gets the verdict invalid with its line number; the rest run', async () => {
    const w = memoryWorld();
    memoryMta(w.net, '192.0.2.25:25', w.clock, { rcpt: known('alice') });
    const zone = [mx('example.test', 10, 'mx.example.test'), a('mx.example.test', '192.0.2.25')];
    const outcome = await probeVerify(
      [
        { text: 'alice@example.test', line: 1 },
        { text: 'not an address', line: 3 },
        { text: 'bob@example.test', line: 4 },
      ],
      options(w, zone),
    );
    assert.equal(outcome.status, 'ok');
    const bad = outcome.result.addresses[1]!;
    assert.deepEqual(
      [bad.verdict, bad.reason, bad.line, bad.address],
      ['invalid', 'invalid-address', 3, null],
    );
    assert.match(bad.note ?? '', /^line 3: "not an address" is not an address/);
    assert.deepEqual(
      outcome.result.addresses.map((v) => v.verdict),
      ['deliverable', 'invalid', 'undeliverable'],
    );
  });

  test('a bad positional address is refused before anything is sent', async () => {
    const w = memoryWorld();
    await assert.rejects(
      probeVerify(['alice@example.test', 'bad address'], options(w, [])),
      (err: Error & { code?: string }) => err.code === 'INVALID_INPUT',
    );
    assert.deepEqual(w.net.dialled, []);
  });

  test('a non-ASCII sender to a server without SMTPUTF8: no MAIL is sent, every address needs-smtputf8', async () => {
    const w = memoryWorld();
    const mta = memoryMta(w.net, '192.0.2.25:25', w.clock, { rcpt: known('alice') });
    const zone = [mx('example.test', 10, 'mx.example.test'), a('mx.example.test', '192.0.2.25')];
    const outcome = await probeVerify(
      ['alice@example.test'],
      options(w, zone, { from: 'jörg@client.test' }),
    );
    assert.equal(outcome.result.addresses[0]!.reason, 'needs-smtputf8');
    assert.ok(
      !mta.sessions.flat().some((l) => l.startsWith('MAIL')),
      mta.sessions.flat().join(' | '),
    );
  });

  test('a non-ASCII sender to a server with SMTPUTF8: MAIL FROM carries the parameter (RFC 6531)', async () => {
    const w = memoryWorld();
    const mta = memoryMta(w.net, '192.0.2.25:25', w.clock, {
      rcpt: known('alice'),
      smtputf8: true,
    });
    const zone = [mx('example.test', 10, 'mx.example.test'), a('mx.example.test', '192.0.2.25')];
    const outcome = await probeVerify(
      ['alice@example.test'],
      options(w, zone, { from: 'jörg@client.test' }),
    );
    assert.equal(outcome.result.addresses[0]!.verdict, 'deliverable');
    assert.ok(
      mta.sessions[0]!.includes('MAIL FROM:<jörg@client.test> SMTPUTF8'),
      mta.sessions[0]!.join(' | '),
    );
  });
});

describe('verify: streaming and Ctrl-C', () => {
  test('each verdict is handed out once, as its domain finishes, before the run ends', async () => {
    const w = memoryWorld();
    memoryMta(w.net, '192.0.2.25:25', w.clock, { rcpt: known('alice') });
    const zone = [mx('example.test', 10, 'mx.example.test'), a('mx.example.test', '192.0.2.25')];
    const streamed: AddressVerdict[] = [];
    const outcome = await probeVerify(
      [{ text: 'x', line: 1 }, 'alice@example.test', 'bob@example.test'],
      options(w, zone, { onVerdict: (v) => streamed.push(v) }),
    );
    assert.equal(streamed.length, 3);
    assert.equal(streamed[0]!.verdict, 'invalid', 'a bad line is final at once');
    assert.deepEqual(
      [...streamed].sort((x, y) => x.input.localeCompare(y.input)),
      [...outcome.result.addresses].sort((x, y) => x.input.localeCompare(y.input)),
    );
  });

  test('Ctrl-C: the domains done keep their verdicts, the rest are not-asked (never a real verdict), status aborted', async () => {
    const w = memoryWorld();
    const controller = new AbortController();
    memoryMta(w.net, '192.0.2.25:25', w.clock, { rcpt: known('alice') });
    // The second domain's only MX never answers; Ctrl-C comes while its connect waits.
    w.net.blackhole('192.0.2.99:25');
    w.clock.setTimer(2_000, () => controller.abort());
    const zone = [
      mx('fast.test', 10, 'mx.test'),
      a('mx.test', '192.0.2.25'),
      mx('slow.test', 10, 'dead.test'),
      a('dead.test', '192.0.2.99'),
    ];
    const outcome = await probeVerify(
      ['alice@fast.test', 'alice@slow.test'],
      options(w, zone, { signal: controller.signal }),
    );
    assert.equal(outcome.status, 'aborted');
    assert.equal(outcome.error?.code, 'ABORTED');
    assert.deepEqual(verdictsOf(outcome.result.addresses), {
      'alice@fast.test': 'deliverable/accepted',
      'alice@slow.test': 'not-asked/interrupted',
    });
    assert.equal(w.clock.now(), 2_000);
  });
});
