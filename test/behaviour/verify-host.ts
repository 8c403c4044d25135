/**
 * verifyOnHost against servers that misbehave mid-batch: every address must
 * end with exactly one result, DATA is never sent, and the session rules
 * (RSET per transaction, QUIT per session, fresh sessions) hold.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { verifyOnHost, type HostOptions } from '../../src/probes/verify-host.js';
import { parseMailbox } from '../../src/smtp/address.js';
import { loadTrustStore } from '../../src/net/tls.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { Deadline } from '../../src/time/deadline.js';

/** Conn: what one connection received, and how the test server answers each RCPT. */
type Answer = (rcptIndex: number, line: string) => string | null;

/** fakeMta: a pipelining ESMTP server; `answers[n]` decides RCPT replies on connection n (null: say nothing). */
async function fakeMta(answers: Answer[], opts: { pipelining?: boolean } = {}) {
  const sessions: string[][] = [];
  const load = { open: 0, max: 0 };
  const server = createServer((sock: Socket) => {
    // "In session" from EHLO to QUIT (or the hang-up): TCP teardown may overlap the next connect and does not count.
    let inSession = false;
    const leave = (): void => {
      if (inSession) {
        inSession = false;
        load.open--;
      }
    };
    sock.on('close', leave);
    const n = sessions.length;
    const seen: string[] = [];
    sessions.push(seen);
    const answer = answers[Math.min(n, answers.length - 1)]!;
    let rcpts = 0;
    let buf = '';
    // Replies leave in command order even when one is held back (a punishment delay).
    let chain = Promise.resolve();
    const send = (text: string, delayMs = 0): void => {
      chain = chain.then(
        () =>
          new Promise<void>((r) =>
            setTimeout(() => {
              if (!sock.destroyed) sock.write(text);
              r();
            }, delayMs),
          ),
      );
    };
    sock.on('error', () => undefined);
    sock.write('220 fake.test ESMTP\r\n');
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i !== -1; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        seen.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO' && !inSession) {
          inSession = true;
          load.open++;
          load.max = Math.max(load.max, load.open);
        }
        if (verb === 'QUIT') leave();
        if (verb === 'EHLO')
          send(
            `250-fake.test\r\n${opts.pipelining === false ? '' : '250-PIPELINING\r\n'}250 ENHANCEDSTATUSCODES\r\n`,
          );
        else if (verb === 'MAIL') send('250 2.1.0 Ok\r\n');
        else if (verb === 'RSET') send('250 2.0.0 Ok\r\n');
        else if (verb === 'QUIT') {
          send('221 2.0.0 Bye\r\n');
          chain = chain.then(() => {
            sock.end();
          });
          return;
        } else if (verb === 'RCPT') {
          const r = answer(rcpts++, line);
          if (r === null) continue;
          if (r === 'CLOSE') {
            chain = chain.then(() => {
              sock.destroy();
            });
            return;
          }
          if (r.startsWith('DELAY')) {
            send(r.slice(5), 700);
            continue;
          }
          send(r);
          if (r.startsWith('421')) {
            chain = chain.then(() => {
              sock.end();
            });
            return;
          }
        } else send('502 5.5.1 no\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, sessions, load, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const known = (line: string): boolean => /<(alice|bob)@/.test(line);
const normal: Answer = (_i, line) =>
  known(line) ? '250 2.1.5 Ok\r\n' : '550 5.1.1 User unknown\r\n';
const boxes = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    parseMailbox(i === 0 ? 'alice@fake.test' : `ghost${i}@fake.test`),
  );

function options(port: number, extra: Partial<HostOptions> = {}): HostOptions {
  return {
    host: 'fake.test',
    address: '127.0.0.1',
    port,
    from: 'probe@example.org',
    starttls: false,
    pipelining: true,
    maxErrors: 9,
    adaptive: false,
    trust: loadTrustStore(),
    timeouts: { ...DEFAULT_TIMEOUTS, connectMs: 1000, greetingMs: 1000, commandMs: 400 },
    deadline: new Deadline(),
    ...extra,
  };
}

function assertAllAnswered(
  out: Awaited<ReturnType<typeof verifyOnHost>>,
  list: ReturnType<typeof boxes>,
): void {
  assert.equal(out.results.size, list.length);
  for (const b of list) assert.ok(out.results.has(b), `no result for ${b.address}`);
}

const noData = (sessions: string[][]): void =>
  assert.ok(
    sessions.flat().every((l) => !/^(DATA|BDAT)/i.test(l)),
    'DATA was sent',
  );

describe('verifyOnHost', () => {
  test('pipelined: MAIL and every RCPT in one write, replies in order, RSET then QUIT', async () => {
    const mta = await fakeMta([normal]);
    try {
      const list = boxes(5);
      const out = await verifyOnHost(list, options(mta.port, { maxErrors: 20 }));
      assertAllAnswered(out, list);
      assert.equal(out.rcptBatches, 1);
      assert.deepEqual(
        mta.sessions[0]!.map((l) => l.split(/[ :]/)[0]),
        ['EHLO', 'MAIL', 'RCPT', 'RCPT', 'RCPT', 'RCPT', 'RCPT', 'RSET', 'QUIT'],
      );
      const first = out.results.get(list[0]!)!.meaning;
      assert.ok(first.kind === 'verdict' && first.verdict === 'deliverable');
      noData(mta.sessions);
      // This server, like Node's default socket, drops what it has not yet written once the FIN
      // that goes with QUIT arrives: RSET's and QUIT's replies are lost, and that is no failure.
      assert.deepEqual(out.notes, []);
      assert.equal(out.sessions, 1);
    } finally {
      await mta.close();
    }
  });

  test('the rejection budget splits sessions: 20 unknown at 9 per session is 3 sessions, each ended with QUIT, one at a time', async () => {
    const mta = await fakeMta([normal]);
    try {
      const list = boxes(21);
      const out = await verifyOnHost(list, options(mta.port));
      assertAllAnswered(out, list);
      assert.equal(out.sessions, 3);
      for (const s of mta.sessions) {
        assert.ok(s.filter((l) => l.startsWith('RCPT') && !known(l)).length <= 9);
        assert.equal(s.at(-1), 'QUIT');
      }
      assert.equal(mta.load.max, 1, 'politeness: one connection at a time by default');
      noData(mta.sessions);
    } finally {
      await mta.close();
    }
  });

  test('421 mid-batch: the unanswered addresses go to a fresh session and none is lost', async () => {
    const mta = await fakeMta([
      (i, line) => (i < 2 ? normal(i, line) : '421 4.3.2 Service shutting down\r\n'),
      normal,
    ]);
    try {
      const list = boxes(6);
      const out = await verifyOnHost(list, options(mta.port, { maxErrors: 20 }));
      assertAllAnswered(out, list);
      assert.ok([...out.results.values()].every((r) => r.meaning.kind === 'verdict'));
      assert.equal(mta.sessions.length, 2);
      noData(mta.sessions);
    } finally {
      await mta.close();
    }
  });

  test('replies that stop mid-batch, or garbage mid-batch: classified, retried, every address answered', async () => {
    for (const broken of [
      (i: number, l: string) => (i < 2 ? normal(i, l) : null),
      (i: number, l: string) => (i < 2 ? normal(i, l) : 'HTTP/1.1 400 Bad Request\r\n'),
    ]) {
      const mta = await fakeMta([broken, normal]);
      try {
        const list = boxes(5);
        const out = await verifyOnHost(list, options(mta.port, { maxErrors: 20 }));
        assertAllAnswered(out, list);
        assert.ok(
          [...out.results.values()].every((r) => r.meaning.kind === 'verdict'),
          'the second session answered the rest',
        );
        assert.ok(
          out.notes.some((n) => /COMMAND_TIMEOUT|PROTOCOL_ERROR/.test(n)),
          out.notes.join('; '),
        );
      } finally {
        await mta.close();
      }
    }
  });

  test('452 4.5.3 after 3 recipients: the rest go in a new transaction after RSET', async () => {
    // The 4th RCPT of the connection is one too many; later ones (in new transactions) are fine.
    const mta = await fakeMta([
      (i, l) => (i === 3 ? '452 4.5.3 Error: too many recipients\r\n' : normal(i, l)),
    ]);
    try {
      const list = boxes(7);
      const out = await verifyOnHost(list, options(mta.port, { maxErrors: 20 }));
      assertAllAnswered(out, list);
      assert.ok(out.transactions >= 2);
      assert.ok(mta.sessions[0]!.includes('RSET'));
    } finally {
      await mta.close();
    }
  });

  test('without PIPELINING (or --no-pipelining) one RCPT per round trip, same verdicts', async () => {
    for (const [server, client] of [
      [false, true],
      [true, false],
    ] as const) {
      const mta = await fakeMta([normal], { pipelining: server });
      try {
        const list = boxes(4);
        const out = await verifyOnHost(list, options(mta.port, { pipelining: client }));
        assertAllAnswered(out, list);
        assert.equal(out.pipelining, false);
        assert.equal(out.rcptBatches, 5, 'MAIL plus one per RCPT');
      } finally {
        await mta.close();
      }
    }
  });

  test('a host that blocks us (every RCPT 5.7.1, an RBL listing): probing stops after one batch and every address says so', async () => {
    const mta = await fakeMta([
      () =>
        '554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org\r\n',
    ]);
    try {
      const list = boxes(30);
      const out = await verifyOnHost(list, options(mta.port));
      assertAllAnswered(out, list);
      assert.match(out.blocked ?? '', /blocked using/);
      assert.equal(mta.sessions.length, 1);
      assert.ok(
        [...out.results.values()].every(
          (r) =>
            r.meaning.kind === 'verdict' &&
            (r.meaning.reason === 'host-blocked' || r.meaning.reason === 'policy'),
        ),
      );
    } finally {
      await mta.close();
    }
  });

  test('--connections 3: sessions run side by side, each recipient asked once, none lost', async () => {
    const mta = await fakeMta([normal]);
    try {
      const list = boxes(60);
      const out = await verifyOnHost(list, options(mta.port, { connections: 3 }));
      assertAllAnswered(out, list);
      const asked = mta.sessions
        .flat()
        .filter((l) => l.startsWith('RCPT'))
        .map((l) => l.slice(9));
      assert.equal(new Set(asked).size, asked.length, 'a recipient was asked twice');
      assert.equal(asked.length, 60);
      assert.ok(mta.sessions.length >= 4);
      assert.ok(mta.load.max >= 2, `at most ${mta.load.max} connection(s) at once`);
    } finally {
      await mta.close();
    }
  });

  test('a catch-all domain: the random local part is accepted and reported', async () => {
    const mta = await fakeMta([() => '250 2.1.5 Ok\r\n']);
    try {
      const out = await verifyOnHost(boxes(2), options(mta.port, { catchAllDomain: 'fake.test' }));
      assert.equal(out.catchAll, 'yes');
      assert.ok(
        mta.sessions[0]!.some((l) => /RCPT TO:<smtp-probe-[0-9a-f]{10}@fake\.test>/.test(l)),
      );
    } finally {
      await mta.close();
    }
  });
});
