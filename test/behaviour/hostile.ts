/**
 * The hostile-server tier: caps, vrfy, expn and verify against every
 * misbehaviour of test/support/hostile-catalogue.ts, over the in-memory network in
 * virtual time. Every run must end with a status from the closed set (and a
 * ProbeError with a code and a stage when not ok), inside --timeout, with an
 * envelope that survives JSON and validates against the command's schema,
 * having sent only clean CRLF-ended lines and never DATA, quoting as evidence
 * only lines it sent, with a bounded transcript and no answer the server did
 * not give (census, lookups, verdicts). Each case also pins how caps, vrfy
 * and expn end. Known bugs are `todo`, saying what is wrong.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeError } from '../../src/errors.js';
import type { CapsResult } from '../../src/schema/caps.js';
import type { VerifyResult } from '../../src/schema/verify.js';
import { tempDir } from '../support/certs.js';
import { heapAfterGc } from '../support/heap.js';
import { MISBEHAVIOURS } from '../support/hostile-catalogue.js';
import { type HostileCerts, hostileCerts } from '../support/hostile-certs.js';
import { hostileViolations } from '../support/hostile-checks.js';
import { isKnown } from '../support/hostile-plain-mta.js';
import {
  HOSTILE_ARGS,
  HOSTILE_TIMEOUTS,
  type HostileRun,
  PROBES,
  type ProbeName,
  probeHostile,
} from '../support/hostile-run.js';
import type { Misbehaviour } from '../support/hostile-server.js';

let certs: HostileCerts;
let cleanup: () => Promise<void>;
before(async () => {
  const { dir, remove } = await tempDir();
  cleanup = remove;
  certs = await hostileCerts(dir);
});
after(() => cleanup());

const WELL_BEHAVED: Misbehaviour = { name: 'well-behaved', what: 'the plain MTA, as a control' };

/**
 * ENDS: how caps, vrfy and expn end — an error code, 'ok' (no error) or, in
 * lower case, a status — one for all three, or [caps, vrfy, expn]. caps runs
 * with --tls-verify, so a bad certificate fails it; vrfy and expn only
 * report the certificate.
 */
const ENDS: Record<string, string | [string, string, string]> = {
  'well-behaved': 'ok',
  silence: 'GREETING_TIMEOUT',
  'silent-after-hello': 'COMMAND_TIMEOUT',
  'bare-lf': 'ok',
  'bare-cr': 'GREETING_TIMEOUT',
  'unterminated-greeting': 'GREETING_TIMEOUT',
  'nul-bytes': 'ok',
  'line-1mb-greeting': 'REPLY_TOO_LARGE',
  'line-1mb-reply': 'REPLY_TOO_LARGE',
  'endless-continuation': 'REPLY_TOO_LARGE',
  'code-change': 'PROTOCOL_ERROR',
  'bad-code-600': 'PROTOCOL_ERROR',
  'bad-code-2x0': 'PROTOCOL_ERROR',
  'bad-code-abc': 'PROTOCOL_ERROR',
  'bad-separator': 'PROTOCOL_ERROR',
  'empty-line': 'PROTOCOL_ERROR',
  'escape-sequences': 'ok',
  // 40 ms a byte: vrfy and expn finish in time; caps' census does not.
  'drip-feed': ['TARGET_TIMEOUT', 'ok', 'ok'],
  'drip-slow': 'GREETING_TIMEOUT',
  'close-at-greeting': 'CONNECTION_CLOSED',
  'rst-at-greeting': 'CONNECTION_CLOSED',
  'close-at-ehlo': 'CONNECTION_CLOSED',
  'rst-at-ehlo': 'CONNECTION_CLOSED',
  'close-at-starttls': 'CONNECTION_CLOSED',
  'rst-at-starttls': 'CONNECTION_CLOSED',
  // Only verify sends MAIL and RCPT.
  'close-at-mail': 'ok',
  'rst-at-mail': 'ok',
  'close-at-rcpt': 'ok',
  'rst-at-rcpt': 'ok',
  // The census asks VRFY and EXPN too.
  'close-at-vrfy': ['CONNECTION_CLOSED', 'CONNECTION_CLOSED', 'ok'],
  'rst-at-vrfy': ['CONNECTION_CLOSED', 'CONNECTION_CLOSED', 'ok'],
  'close-at-expn': ['CONNECTION_CLOSED', 'ok', 'CONNECTION_CLOSED'],
  'rst-at-expn': ['CONNECTION_CLOSED', 'ok', 'CONNECTION_CLOSED'],
  'close-at-census': ['CONNECTION_CLOSED', 'ok', 'ok'],
  'rst-at-census': ['CONNECTION_CLOSED', 'ok', 'ok'],
  'starttls-garbage': 'TLS_HANDSHAKE_FAILED',
  'starttls-silence': 'TLS_HANDSHAKE_FAILED',
  'rst-in-tls-handshake': 'TLS_HANDSHAKE_FAILED',
  'cert-expired': ['TLS_CERT_INVALID', 'ok', 'ok'],
  'cert-self-signed': ['TLS_CERT_INVALID', 'ok', 'ok'],
  'cert-wrong-name': ['TLS_CERT_INVALID', 'ok', 'ok'],
  'starttls-injected-plaintext': 'ok',
  // A TLS record error after the handshake: a TLS error, not a closed connection.
  'tls-plaintext-outside': 'tls-error',
  'unsolicited-with-greeting': 'UNSOLICITED_REPLY',
  'unsolicited-with-ehlo': 'UNSOLICITED_REPLY',
  // vrfy and expn see it at the latest when QUIT gets another command's reply.
  'unsolicited-after-reply': 'UNSOLICITED_REPLY',
  'invalid-utf8': 'ok',
  '421-at-greeting': 'GREETING_REJECTED',
  // A 421 is an answer: the census stops; vrfy and expn keep it as the name's answer.
  '421-mid-session': 'ok',
  // The census spreads over new sessions (a server may drop after a few unknown verbs).
  'refuse-all': 'ok',
  'late-reply': 'COMMAND_TIMEOUT',
  'hello-refused': 'HELLO_REJECTED',
  'pipeline-double-reply': 'ok',
  'pipeline-swapped': 'ok',
  'pipeline-merged': 'ok',
  'ehlo-duplicates': 'ok',
  'ehlo-size-absurd': 'ok',
  'ehlo-auth-500': 'ok',
  'ehlo-10000-keywords': 'REPLY_TOO_LARGE',
  echo: 'PROTOCOL_ERROR',
  'flood-then-close': 'REPLY_TOO_LARGE',
  'half-close': 'CONNECTION_CLOSED',
};

/**
 * VERIFY_DECIDES: misbehaviours that leave RCPT answerable (for the
 * pipelining ones: one command at a time), so verify must give every address
 * its true verdict. A server that adds replies of its own cannot be believed
 * at all (unsolicited-after-reply, pipeline-double-reply): unknown is right.
 */
const VERIFY_DECIDES = new Set([
  'well-behaved',
  'bare-lf',
  'nul-bytes',
  'escape-sequences',
  'close-at-vrfy',
  'rst-at-vrfy',
  'close-at-expn',
  'rst-at-expn',
  'close-at-census',
  'rst-at-census',
  'cert-expired',
  'cert-self-signed',
  'cert-wrong-name',
  'starttls-injected-plaintext',
  'invalid-utf8',
  'pipeline-swapped',
  'pipeline-merged',
  'ehlo-duplicates',
  'ehlo-size-absurd',
  'ehlo-auth-500',
]);

/** TODO: known bugs, by "misbehaviour/probe" → "BUG: what is wrong" (none open). */
const TODO: Record<string, string> = {};

/** endsWith: how caps, vrfy or expn must end against `name` (undefined for verify). */
function endsWith(name: string, probe: ProbeName): string | undefined {
  const ends = ENDS[name];
  if (probe === 'verify' || ends === undefined) return undefined;
  return typeof ends === 'string' ? ends : ends[['caps', 'vrfy', 'expn'].indexOf(probe)];
}

/** expectationViolations: how `run` differs from what the table says for `name`. */
function expectationViolations(name: string, run: HostileRun): string[] {
  const outcome = run.outcome;
  if (!outcome) return [];
  const v: string[] = [];
  const want = endsWith(name, run.probe);
  const code = outcome.error?.code ?? 'ok';
  const byStatus = want !== undefined && want !== 'ok' && /^[a-z]/.test(want);
  if (want !== undefined && (byStatus ? outcome.status : code) !== want)
    v.push(`ended ${code} (${outcome.error?.message ?? 'no error'}), expected ${want}`);
  if (run.probe === 'verify' && VERIFY_DECIDES.has(name)) v.push(...undecided(outcome.result));
  if (name === 'starttls-injected-plaintext' && run.probe === 'caps') {
    const after = (outcome.result as CapsResult).capabilitiesAfterTls;
    if (after?.auth !== undefined) v.push('the AUTH injected before the handshake survived it');
  }
  return v;
}

/** undecided: addresses without their true verdict, against a server that answers RCPT. */
function undecided(result: unknown): string[] {
  return (result as VerifyResult).addresses.flatMap((a) => {
    const want = /[^\x00-\x7f]/.test(a.input)
      ? 'unknown/needs-smtputf8'
      : isKnown(a.address ?? '')
        ? 'deliverable/accepted'
        : 'undeliverable';
    const got = `${a.verdict}/${a.reason}`;
    return got.startsWith(want) ? [] : [`${a.input}: ${got}, expected ${want}`];
  });
}

function summary(run: HostileRun): string {
  const o = run.outcome;
  const error = o?.error ? ` ${o.error.code}@${o.error.stage}: ${o.error.message}` : '';
  return `${run.probe}: ${o?.status ?? 'no outcome'}${error} at ${run.virtualMs} virtual ms, ${run.server.sessions.length} session(s)`;
}

describe('every misbehaviour, every command', () => {
  test('the table covers the catalogue: at least 30 misbehaviours, each with an expectation', () => {
    const names = MISBEHAVIOURS.map((m) => m.name);
    assert.ok(names.length >= 30, `${names.length} misbehaviours`);
    assert.equal(new Set(names).size, names.length, 'names are unique');
    assert.deepEqual(
      names.filter((n) => ENDS[n] === undefined),
      [],
    );
  });

  for (const m of [WELL_BEHAVED, ...MISBEHAVIOURS]) {
    describe(`${m.name}: ${m.what}`, () => {
      for (const probe of PROBES) {
        const todo = TODO[`${m.name}/${probe}`];
        test(probe, todo ? { todo } : {}, async () => {
          const run = await probeHostile(probe, m, { certs });
          const violations = [
            ...hostileViolations(run, {
              targetMs: HOSTILE_TIMEOUTS.targetMs,
              truthful: m.ownAnswers !== true,
            }),
            ...expectationViolations(m.name, run),
          ];
          assert.deepEqual(violations, [], summary(run));
        });
      }
    });
  }
});

describe('arguments', () => {
  test('hostile-looking valid arguments reach a plain MTA as exactly the lines expected', async () => {
    const lines = async (probe: ProbeName) =>
      (await probeHostile(probe, WELL_BEHAVED, { certs })).server.sessions.map((s) => s.lines);
    assert.deepEqual(await lines('vrfy'), [
      [
        'EHLO client.test',
        'VRFY alice',
        'VRFY "RCPT TO:<x>"',
        "VRFY o'brien+%0d%0a",
        'VRFY nobody@example.test',
        'QUIT',
      ],
    ]);
    assert.deepEqual(await lines('expn'), [
      ['EHLO client.test', 'EXPN staff', 'EXPN "DATA\\ ."', 'EXPN nolist', 'QUIT'],
    ]);
    const [verify, ...more] = await lines('verify');
    assert.deepEqual(more, []);
    assert.match(verify![2]!, /^RCPT TO:<smtp-probe-[0-9a-f]{10}@example\.test>$/);
    // The catch-all test is a transaction of its own, ahead of the addresses, in the same group.
    assert.deepEqual(verify!.toSpliced(2, 1), [
      'EHLO client.test',
      'MAIL FROM:<probe@client.test>',
      'RSET',
      'MAIL FROM:<probe@client.test>',
      'RCPT TO:<ghost@example.test>',
      'RCPT TO:<alice@example.test>',
      'RCPT TO:<"RCPT TO:<victim@evil.test>"@example.test>',
      "RCPT TO:<o'brien+%0d%0aDATA@example.test>",
      'RCPT TO:<"DATA\\ ."@example.test>',
      'RCPT TO:<bob@example.test>',
      'RSET',
      'QUIT',
    ]);
  });

  test('a CR, LF or NUL in a name, list, address or HELO name is refused before a connection opens', async () => {
    const bad = ['alice\r\nDATA', 'alice\nRSET', 'alice\u0000'];
    for (const probe of PROBES) {
      for (const text of bad) {
        // caps takes no names: its HELO name carries the byte.
        const args =
          probe === 'caps'
            ? { ...HOSTILE_ARGS, helo: `client.test${text}` }
            : {
                ...HOSTILE_ARGS,
                names: [text],
                lists: [text],
                addresses: [`${text}@example.test`],
              };
        const run = await probeHostile(probe, WELL_BEHAVED, { certs, args });
        const err = run.thrown;
        assert.ok(err instanceof ProbeError, `${probe} ${JSON.stringify(text)}: ${String(err)}`);
        assert.deepEqual([err.code, err.stage], ['INVALID_INPUT', 'input']);
        assert.equal(run.server.sessions.length, 0, `${probe}: no connection`);
      }
    }
  });
});

describe('memory stays bounded', () => {
  const BIG = [
    'line-1mb-greeting',
    'line-1mb-reply',
    'endless-continuation',
    'ehlo-10000-keywords',
    'flood-then-close',
  ];

  test('three rounds of the 1 MiB-line, 10,000-keyword and flood cases: heap growth under 24 MiB, floods cut within 1 MiB', async () => {
    const cases = MISBEHAVIOURS.filter((m) => BIG.includes(m.name));
    assert.equal(cases.length, BIG.length);
    const before = heapAfterGc();
    let peak = before;
    for (let round = 0; round < 3; round++) {
      for (const m of cases) {
        for (const probe of PROBES) {
          const run = await probeHostile(probe, m, { certs });
          peak = Math.max(peak, process.memoryUsage().heapUsed);
          // The server would send 16 MiB (FLOOD_OCTETS) to a client that kept reading.
          if (m.name === 'flood-then-close' || m.name === 'endless-continuation')
            assert.ok(
              run.server.written < 1024 * 1024,
              `${m.name}/${probe}: the client read ${run.server.written} octets before hanging up`,
            );
        }
      }
    }
    const growth = heapAfterGc() - before;
    assert.ok(growth < 24 * 1024 * 1024, `heap grew by ${growth} octets (peak ${peak - before})`);
  });
});

describe('evidence', () => {
  test('the MAIL line verify quotes as evidence is the line it sent (SMTPUTF8 offered, MAIL refused)', async () => {
    const refusing: Misbehaviour = {
      name: 'mail-refused',
      what: 'offers SMTPUTF8 and refuses every MAIL',
      ehlo: ['PIPELINING', 'SMTPUTF8', 'ENHANCEDSTATUSCODES'],
      command: (c, cmd) => {
        if (cmd.stage !== 'mail') return false;
        c.reply('553 5.7.1 <probe@client.test>: Sender address rejected: not owned by user');
        return true;
      },
    };
    const run = await probeHostile('verify', refusing, { certs });
    assert.deepEqual(hostileViolations(run, { targetMs: HOSTILE_TIMEOUTS.targetMs }), []);
  });
});

describe('sessions per host', () => {
  // A 421 is no failure: a server closing for now is retried with backoff, inside --timeout.
  const FAILING = [
    'close-at-mail',
    'rst-at-rcpt',
    'half-close',
    'bad-code-abc',
    'unsolicited-with-ehlo',
    'pipeline-double-reply',
  ];
  test('verify gives up a host after 3 failed sessions', async () => {
    for (const name of FAILING) {
      const m = MISBEHAVIOURS.find((x) => x.name === name)!;
      const run = await probeHostile('verify', m, { certs });
      assert.ok(run.server.sessions.length <= 3, `${name}: ${summary(run)}`);
      const result = run.outcome?.result as VerifyResult | undefined;
      assert.ok(
        result?.addresses.every((a) => a.verdict === 'unknown'),
        name,
      );
    }
  });
});
