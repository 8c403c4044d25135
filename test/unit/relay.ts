/** The open-relay check: its variant lines, the verdict rules, the findings, and runRelay over a scripted Exchanger. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeError, type ErrorCode } from '../../src/errors.js';
import type { Command, Exchanger } from '../../src/probes/audit-exchange.js';
import { MAX_HANG_UPS, runRelay } from '../../src/probes/audit-relay.js';
import type { AuditRelay, RelayTrial } from '../../src/schema/audit.js';
import type { Reply } from '../../src/smtp/reply.js';
import {
  RELAY_VARIANTS,
  relayFindings,
  relayTrial,
  relayTrials,
  relayVerdict,
} from '../../src/smtp/relay.js';

const r = (code: number, enhanced?: string, text = 'text'): Reply =>
  enhanced ? { code, enhanced, lines: [`${enhanced} ${text}`] } : { code, lines: [text] };
const OK = r(250, '2.1.0', 'Ok');
const OK_RCPT = r(250, '2.1.5', 'Ok');
const RELAY_DENIED = r(554, '5.7.1', '<relay-test@example.com>: Relay access denied');
const SENDER_DENIED = r(553, '5.7.1', 'Sender address rejected: not owned by user');
const BAD_SEQUENCE = r(503, '5.5.1', 'Error: need MAIL command');
const GREYLISTED = r(450, '4.7.1', 'Greylisted');

const SITE = 'mx.example.org';
const V4 = { site: SITE, ip: '192.0.2.25' };
const V6 = { site: SITE, ip: '2001:db8::25' };

const isInputError = (err: unknown): boolean =>
  err instanceof ProbeError && err.code === 'INVALID_INPUT' && err.stage === 'input';

describe('relayTrials', () => {
  test('IPv4: every variant, its lines exactly, the outside sender after the plain four', () => {
    const rows = relayTrials(V4).map((t) => [t.variant, t.mailFrom, t.rcptTo]);
    const out = 'MAIL FROM:<relay-test@example.com>';
    assert.deepEqual(rows, [
      ['null-sender', 'MAIL FROM:<>', 'RCPT TO:<relay-test@example.com>'],
      ['outside-to-outside', out, 'RCPT TO:<relay-test@example.com>'],
      [
        'spoofed-site-sender',
        'MAIL FROM:<relay-test@mx.example.org>',
        'RCPT TO:<relay-test@example.com>',
      ],
      [
        'spoofed-literal-sender',
        'MAIL FROM:<relay-test@[192.0.2.25]>',
        'RCPT TO:<relay-test@example.com>',
      ],
      ['percent-hack', out, 'RCPT TO:<relay-test%example.com@mx.example.org>'],
      ['percent-hack-literal', out, 'RCPT TO:<relay-test%example.com@[192.0.2.25]>'],
      ['quoted', out, 'RCPT TO:<"relay-test@example.com">'],
      ['quoted-percent', out, 'RCPT TO:<"relay-test%example.com">'],
      ['double-at', out, 'RCPT TO:<relay-test@example.com@mx.example.org>'],
      ['quoted-at-site', out, 'RCPT TO:<"relay-test@example.com"@mx.example.org>'],
      ['double-at-literal', out, 'RCPT TO:<relay-test@example.com@[192.0.2.25]>'],
      ['source-route', out, 'RCPT TO:<@mx.example.org:relay-test@example.com>'],
      ['source-route-literal', out, 'RCPT TO:<@[192.0.2.25]:relay-test@example.com>'],
      ['bang-path', out, 'RCPT TO:<example.com!relay-test>'],
      ['bang-path-site', out, 'RCPT TO:<example.com!relay-test@mx.example.org>'],
      ['bang-path-literal', out, 'RCPT TO:<example.com!relay-test@[192.0.2.25]>'],
    ]);
    assert.deepEqual(
      rows.map(([v]) => v),
      RELAY_VARIANTS,
    );
  });

  test('IPv6: the address as an [IPv6:…] literal (RFC 5321 §4.1.3)', () => {
    const byName = new Map(relayTrials(V6).map((t) => [t.variant, t]));
    const lines = (v: string) => {
      const t = byName.get(v);
      return t && [t.mailFrom, t.rcptTo];
    };
    const out = 'MAIL FROM:<relay-test@example.com>';
    assert.deepEqual(lines('spoofed-literal-sender'), [
      'MAIL FROM:<relay-test@[IPv6:2001:db8::25]>',
      'RCPT TO:<relay-test@example.com>',
    ]);
    assert.deepEqual(lines('percent-hack-literal'), [
      out,
      'RCPT TO:<relay-test%example.com@[IPv6:2001:db8::25]>',
    ]);
    assert.deepEqual(lines('double-at-literal'), [
      out,
      'RCPT TO:<relay-test@example.com@[IPv6:2001:db8::25]>',
    ]);
    assert.deepEqual(lines('source-route-literal'), [
      out,
      'RCPT TO:<@[IPv6:2001:db8::25]:relay-test@example.com>',
    ]);
    assert.deepEqual(lines('bang-path-literal'), [
      out,
      'RCPT TO:<example.com!relay-test@[IPv6:2001:db8::25]>',
    ]);
    assert.equal(byName.size, RELAY_VARIANTS.length);
  });

  test('a literal given for ip is taken as it is; own from/to are used', () => {
    const t = relayTrials({
      site: SITE,
      ip: '[IPv6:2001:db8::25]',
      from: 'a@out.test',
      to: 'b@far.test',
    });
    assert.equal(
      t.find((x) => x.variant === 'spoofed-site-sender')?.mailFrom,
      'MAIL FROM:<a@mx.example.org>',
    );
    assert.equal(
      t.find((x) => x.variant === 'bang-path-literal')?.rcptTo,
      'RCPT TO:<far.test!b@[IPv6:2001:db8::25]>',
    );
    assert.equal(
      t.find((x) => x.variant === 'outside-to-outside')?.mailFrom,
      'MAIL FROM:<a@out.test>',
    );
  });

  test('a site given as an IP address becomes the literal, and duplicate lines are tried once', () => {
    const t = relayTrials({ site: '192.0.2.25', ip: '192.0.2.25' });
    assert.equal(
      t.find((x) => x.variant === 'percent-hack')?.rcptTo,
      'RCPT TO:<relay-test%example.com@[192.0.2.25]>',
    );
    assert.equal(
      t.find((x) => x.variant === 'percent-hack-literal'),
      undefined,
    );
    assert.equal(new Set(t.map((x) => `${x.mailFrom} ${x.rcptTo}`)).size, t.length);
  });

  const bad: [string, Parameters<typeof relayTrials>[0]][] = [
    ['CRLF in site', { site: 'mx.example.org\r\nDATA', ip: '192.0.2.25' }],
    ['LF in ip', { site: SITE, ip: '192.0.2.25\n' }],
    ['NUL in from', { ...V4, from: 'a\u0000@example.com' }],
    ['CR in to', { ...V4, to: 'x@example.com\rRCPT TO:<victim@example.net>' }],
    ['ESC in site', { site: 'mx\u001b[2J.example.org', ip: '192.0.2.25' }],
    ['not an IP', { site: SITE, ip: 'mx.example.org' }],
    ['not a domain', { site: 'mx example.org', ip: '192.0.2.25' }],
    ['to without a domain', { ...V4, to: 'relay-test' }],
    ['quoted local part in to', { ...V4, to: '"a b"@example.com' }],
    ['non-ASCII local part', { ...V4, from: 'grüße@example.com' }],
  ];
  for (const [name, ctx] of bad) {
    test(`refuses ${name} with INVALID_INPUT`, () => {
      assert.throws(() => relayTrials(ctx), isInputError);
    });
  }

  test('every line passes the guard and none is DATA', () => {
    for (const t of [...relayTrials(V4), ...relayTrials(V6)]) {
      for (const line of [t.mailFrom, t.rcptTo]) {
        assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f]/);
        assert.match(line, /^(MAIL FROM|RCPT TO):</);
      }
    }
  });
});

const spec = (variant: string) => {
  const s = relayTrials(V4).find((t) => t.variant === variant);
  if (!s) throw new Error(variant);
  return s;
};
const trial = (variant: string, mail: Reply, rcpt: Reply | null): RelayTrial =>
  relayTrial(spec(variant), mail, rcpt);

describe('relayTrial', () => {
  test('a refused MAIL drops the pipelined 503 to RCPT (null), and nothing is accepted', () => {
    const t = trial('outside-to-outside', SENDER_DENIED, BAD_SEQUENCE);
    assert.equal(t.rcpt, null);
    assert.equal(t.accepted, false);
  });
  test('2xx to RCPT is accepted', () => {
    assert.equal(trial('percent-hack', OK, OK_RCPT).accepted, true);
  });
});

describe('relayVerdict', () => {
  const refusedAll = RELAY_VARIANTS.map((v) => trial(v, OK, RELAY_DENIED));
  const cases: [string, RelayTrial[], boolean | null, AuditRelay['verdict'], string | null][] = [
    ['no trials', [], null, 'unknown', null],
    ['every RCPT refused for good', refusedAll, null, 'closed', null],
    [
      'plain variant accepted: open whatever the catch-all',
      [trial('null-sender', OK, RELAY_DENIED), trial('outside-to-outside', OK, OK_RCPT)],
      true,
      'open',
      'outside-to-outside',
    ],
    [
      'source route accepted: its last element is outside, so a catch-all does not explain it',
      [trial('outside-to-outside', OK, RELAY_DENIED), trial('source-route', OK, OK_RCPT)],
      true,
      'open',
      'source-route',
    ],
    [
      'percent hack accepted at a catch-all site: inconclusive',
      [trial('outside-to-outside', OK, RELAY_DENIED), trial('percent-hack', OK, OK_RCPT)],
      true,
      'unknown',
      null,
    ],
    [
      'percent hack accepted, catch-all not known: inconclusive',
      [trial('outside-to-outside', OK, RELAY_DENIED), trial('bang-path-site', OK, OK_RCPT)],
      null,
      'unknown',
      null,
    ],
    [
      'percent hack accepted at a site that refuses unknown local parts: open',
      [trial('outside-to-outside', OK, RELAY_DENIED), trial('percent-hack', OK, OK_RCPT)],
      false,
      'open',
      'percent-hack',
    ],
    [
      'quoted @SITE accepted at a catch-all: inconclusive',
      [trial('quoted-at-site', OK, OK_RCPT)],
      true,
      'unknown',
      null,
    ],
    [
      'MAIL refused for every sender: the server refuses us, relaying never tried',
      RELAY_VARIANTS.map((v) => trial(v, SENDER_DENIED, BAD_SEQUENCE)),
      null,
      'unknown',
      null,
    ],
    [
      'MAIL refused for some senders, RCPT refused for the rest: closed',
      [
        trial('null-sender', OK, RELAY_DENIED),
        trial('outside-to-outside', SENDER_DENIED, BAD_SEQUENCE),
        trial('spoofed-site-sender', SENDER_DENIED, BAD_SEQUENCE),
      ],
      null,
      'closed',
      null,
    ],
    [
      'a greylisted RCPT leaves it undecided',
      [trial('null-sender', OK, RELAY_DENIED), trial('outside-to-outside', OK, GREYLISTED)],
      false,
      'unknown',
      null,
    ],
    [
      'a 503 to RCPT after an accepted MAIL decides nothing',
      [trial('null-sender', OK, RELAY_DENIED), trial('outside-to-outside', OK, BAD_SEQUENCE)],
      false,
      'unknown',
      null,
    ],
  ];
  for (const [name, trials, catchAll, verdict, decidedBy] of cases) {
    test(name, () => {
      const v = relayVerdict(trials, catchAll);
      assert.equal(v.verdict, verdict);
      assert.equal(v.decidedBy?.variant ?? null, decidedBy);
      assert.deepEqual(v.trials, trials);
    });
  }
});

describe('relayFindings', () => {
  test('open: high, naming the variant, both lines and the reply', () => {
    const v = relayVerdict([trial('percent-hack', OK, OK_RCPT)], false);
    const [f, ...rest] = relayFindings(v);
    assert.equal(rest.length, 0);
    assert.equal(f?.id, 'open-relay');
    assert.equal(f?.severity, 'high');
    assert.equal(f?.ref, 'RFC 5321 §3.6, RFC 2505');
    assert.match(f?.message ?? '', /percent-hack/);
    assert.match(f?.message ?? '', /RCPT TO:<relay-test%example\.com@mx\.example\.org>/);
    assert.match(f?.message ?? '', /"250 2\.1\.5 Ok"/);
  });
  test('closed: none', () => {
    assert.deepEqual(
      relayFindings(relayVerdict([trial('null-sender', OK, RELAY_DENIED)], null)),
      [],
    );
  });
  const unknown: [string, RelayTrial[], RegExp, string][] = [
    ['no trials', [], /no trial/, 'no trial ran'],
    [
      'every MAIL refused',
      [trial('null-sender', SENDER_DENIED, null), trial('outside-to-outside', SENDER_DENIED, null)],
      /every MAIL was refused \(first: "553 5\.7\.1 Sender address rejected/,
      'every MAIL refused',
    ],
    ['catch-all', [trial('percent-hack', OK, OK_RCPT)], /percent-hack accepted/, 'catch-all site'],
    ['greylisted', [trial('null-sender', OK, GREYLISTED)], /temporary/, 'no deciding reply'],
  ];
  for (const [name, trials, message, ref] of unknown) {
    test(`unknown (${name}): one info finding with the reason`, () => {
      const found = relayFindings(relayVerdict(trials, null));
      assert.equal(found.length, 1);
      assert.equal(found[0]?.id, 'relay-unknown');
      assert.equal(found[0]?.severity, 'info');
      assert.match(found[0]?.message ?? '', message);
      assert.equal(found[0]?.ref, ref);
    });
  }
});

/** A scripted Exchanger: answers each group from `answer` (by its RCPT line) and records what it was sent. */
class ScriptedExchanger implements Exchanger {
  groups: { commands: Command[]; mayReject: number }[] = [];
  constructor(
    private readonly answer: (rcpt: string, mail: string, n: number) => Reply[] | Error,
  ) {}

  get lines(): string[] {
    return this.groups.flatMap((g) => g.commands.map((c) => c.line));
  }

  async exchange(commands: readonly Command[], mayReject: number): Promise<Reply[]> {
    this.groups.push({ commands: [...commands], mayReject });
    const got = this.answer(commands[1]?.line ?? '', commands[0]?.line ?? '', this.groups.length);
    if (got instanceof Error) throw got;
    return got;
  }
}

const refuseRelay = () => [OK, RELAY_DENIED, r(250, '2.0.0', 'Ok')];
const fail = (code: ErrorCode, stage: 'mail' | 'rcpt' = 'rcpt') =>
  new ProbeError({ code, stage, message: `${code} in test` });

describe('runRelay', () => {
  test('a closed server: every variant once, as MAIL, RCPT, RSET with their stages, 2 rejections allowed', async () => {
    const x = new ScriptedExchanger(refuseRelay);
    const v = await runRelay(x, V4);
    assert.equal(v.verdict, 'closed');
    assert.equal(x.groups.length, RELAY_VARIANTS.length);
    for (const g of x.groups) {
      assert.deepEqual(
        g.commands.map((c) => c.stage),
        ['mail', 'rcpt', 'rset'],
      );
      assert.equal(g.commands[2]?.line, 'RSET');
      assert.equal(g.mayReject, 2);
    }
  });

  test('never sends DATA, whatever the server says', async () => {
    const scripts: ((rcpt: string) => Reply[])[] = [
      refuseRelay,
      () => [OK, OK_RCPT, OK],
      (rcpt) => (rcpt.includes('%') ? [OK, OK_RCPT, OK] : [OK, RELAY_DENIED, OK]),
      () => [SENDER_DENIED, BAD_SEQUENCE, OK],
      () => [r(354, undefined, 'End data with <CR><LF>.<CR><LF>'), r(354, undefined, 'go on'), OK],
    ];
    for (const script of scripts) {
      for (const catchAll of [true, false, null]) {
        const x = new ScriptedExchanger(script);
        await runRelay(x, V6, { siteAcceptsAnyLocalPart: catchAll });
        assert.ok(x.lines.length > 0);
        for (const line of x.lines) assert.doesNotMatch(line, /^DATA/i);
      }
    }
  });

  test('stops at the first trial that proves an open relay', async () => {
    const x = new ScriptedExchanger((rcpt, mail) =>
      mail === 'MAIL FROM:<relay-test@mx.example.org>' &&
      rcpt === 'RCPT TO:<relay-test@example.com>'
        ? [OK, OK_RCPT, OK]
        : refuseRelay(),
    );
    const v = await runRelay(x, V4);
    assert.equal(v.verdict, 'open');
    assert.equal(v.decidedBy?.variant, 'spoofed-site-sender');
    assert.equal(x.groups.length, 3);
    assert.deepEqual(relayFindings(v)[0]?.id, 'open-relay');
  });

  test('a catch-all accepting the tricks does not stop the check or make it open', async () => {
    const x = new ScriptedExchanger((rcpt) =>
      rcpt === 'RCPT TO:<relay-test@example.com>' ? refuseRelay() : [OK, OK_RCPT, OK],
    );
    const v = await runRelay(x, V4, { siteAcceptsAnyLocalPart: true });
    assert.equal(x.groups.length, 12, 'the source route is not a local mailbox: it decides');
    assert.equal(v.verdict, 'open');
    assert.equal(v.decidedBy?.variant, 'source-route');
  });

  test('MAIL refused: RCPT recorded as null (the pipelined 503 is ignored)', async () => {
    const x = new ScriptedExchanger(() => [SENDER_DENIED, BAD_SEQUENCE, OK]);
    const v = await runRelay(x, V4);
    assert.equal(v.verdict, 'unknown');
    assert.equal(v.trials.length, RELAY_VARIANTS.length);
    for (const t of v.trials) {
      assert.equal(t.rcpt, null);
      assert.equal(t.accepted, false);
    }
  });

  test('bad input: INVALID_INPUT before anything is sent', async () => {
    const x = new ScriptedExchanger(refuseRelay);
    await assert.rejects(runRelay(x, { site: SITE, ip: '192.0.2.25\r\nDATA' }), isInputError);
    await assert.rejects(
      runRelay(x, V4, {
        trials: [{ variant: 'sneaky', mailFrom: 'MAIL FROM:<>', rcptTo: 'DATA' }],
      }),
      isInputError,
    );
    assert.equal(x.groups.length, 0);
  });

  for (const code of ['ABORTED', 'TARGET_TIMEOUT'] as const) {
    test(`${code} is rethrown`, async () => {
      const x = new ScriptedExchanger((_r, _m, n) => (n === 3 ? fail(code) : refuseRelay()));
      await assert.rejects(
        runRelay(x, V4),
        (err: unknown) => err instanceof ProbeError && err.code === code,
      );
    });
  }

  test('a bug (not a ProbeError) is rethrown', async () => {
    const x = new ScriptedExchanger(() => new TypeError('bug'));
    await assert.rejects(runRelay(x, V4), TypeError);
  });

  test('CONNECTION_CLOSED midway costs the variant it cut; the rest go on (in a new session)', async () => {
    const x = new ScriptedExchanger((_r, _m, n) =>
      n === 4 ? fail('CONNECTION_CLOSED') : refuseRelay(),
    );
    const v = await runRelay(x, V4);
    assert.equal(v.trials.length, relayTrials(V4).length - 1);
    assert.ok(!v.trials.some((t) => t.variant === relayTrials(V4)[3]!.variant));
    assert.equal(v.verdict, 'closed');
  });

  test(`a server that fails every trial: given up after ${MAX_HANG_UPS} tries, unknown, no trials`, async () => {
    const x = new ScriptedExchanger(() => fail('COMMAND_TIMEOUT', 'mail'));
    const v = await runRelay(x, V4);
    assert.deepEqual(v, { verdict: 'unknown', decidedBy: null, trials: [] });
    assert.equal(x.groups.length, MAX_HANG_UPS);
  });

  test('a short answer ends the check like a hang-up', async () => {
    const x = new ScriptedExchanger((_r, _m, n) => (n === 2 ? [OK] : refuseRelay()));
    const v = await runRelay(x, V4);
    assert.equal(v.trials.length, 1);
    assert.equal(x.groups.length, 2);
  });

  test('given trials run instead of the variants', async () => {
    const x = new ScriptedExchanger(refuseRelay);
    const trials = relayTrials(V4).slice(0, 2);
    const v = await runRelay(x, V4, { trials });
    assert.deepEqual(
      v.trials.map((t) => t.variant),
      ['null-sender', 'outside-to-outside'],
    );
  });
});
