/**
 * `smtp-probe send` end to end against the in-process lab: the message arrives as sent (dot
 * lines unstuffed, 8-bit octets untouched), input that cannot go is refused before any socket
 * opens (a 999-octet line, a field with no space to fold at, a message over SIZE), 8-bit mail
 * is not offered to a server without 8BITMIME, every --quit-after stop point ends where it
 * says, AUTH works over TLS and its secret is never printed, a refused recipient fails with its
 * own exit code, and no other command ever sends DATA.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAB_AUTH_PASSWORD, LAB_AUTH_USER, type Lab, startLab } from '../../src/lab/index.js';
import { formatEndpoint } from '../../src/net/target.js';
import { type SendOutput, SendOutputSchema, type SendResult } from '../../src/schema/send.js';
import { runCli, type CliRun } from '../support/cli-run.js';

let lab: Lab;
let dir: string;
let dns: string;

before(async () => {
  lab = await startLab({ port: 0, hosts: ['esmtp', 'helo-only', 'silent'] });
  dir = await mkdtemp(join(tmpdir(), 'smtp-probe-send-'));
  dns = formatEndpoint(lab.dns.address, lab.dns.port);
});
after(async () => {
  await lab.close();
  await rm(dir, { recursive: true, force: true });
});

const esmtp = (): string[] => [
  '--server',
  `127.0.0.10:${lab.port}`,
  '--tls-name',
  'esmtp.lab.test',
  '--ca',
  lab.caCertFile,
  '--helo',
  'probe.test',
];
const TIMEOUTS = ['--connect-timeout', '2s', '--command-timeout', '5s'];
/** asLab: AUTH as the lab's account, the password in the environment variable `envVar`. */
const asLab = (envVar: string): string[] => [
  '--auth-user',
  LAB_AUTH_USER,
  '--auth-password-env',
  envVar,
];

/** send: `send` with the lab's esmtp host (unless args name another), as JSON with the transcript. */
async function send(
  args: string[],
  vars: NodeJS.ProcessEnv = {},
): Promise<CliRun & { env: SendOutput; result: SendResult }> {
  const run = await runCli(
    ['send', '--from', 'probe@example.org', ...args, ...TIMEOUTS, '--json', '--transcript'],
    { env: vars },
  );
  const out = SendOutputSchema.parse(JSON.parse(run.stdout));
  // null only for input refused before anything was sent; those tests read env.error alone.
  return { ...run, env: out, result: out.result as SendResult };
}

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** stored: the message the lab keeps under a queue id. */
function stored(queueId: string | null) {
  const m = lab.messages.find((x) => x.queueId === queueId);
  assert.ok(m, `the lab holds no message ${queueId}`);
  return m;
}

/** bodyOf: what follows the header section. */
const bodyOf = (data: Buffer): Buffer => data.subarray(data.indexOf('\r\n\r\n') + 4);

/** commandsOf: the command lines of the lab's newest session on `host`. */
function commandsOf(host = 'esmtp.lab.test'): string[] {
  const conn = lab.sessions.filter((s) => s.host === host).at(-1)!.conn;
  return lab.log.filter((e) => e.conn === conn).map((e) => e.line);
}

describe('send: the message arrives as it was meant', () => {
  test('lines ".", "..x" and ".y" arrive unstuffed, the rest byte for byte, with the queue id the server gave', async () => {
    const body = 'first\n.\n..x\n.y\ntrailing space \n\nlast\n';
    const r = await send([
      ...esmtp(),
      '--to',
      'alice@esmtp.lab.test',
      '--subject',
      'dots',
      '--header',
      'X-Probe: 1',
      '--body',
      `@${await file('dots.txt', body)}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.outcome, 'accepted');
    assert.match(r.result.queueId ?? '', /^[0-9A-F]{10,}$/);
    const m = stored(r.result.queueId);
    assert.equal(bodyOf(m.data).toString(), body.replaceAll('\n', '\r\n'));
    const head = m.data.subarray(0, m.data.indexOf('\r\n\r\n')).toString();
    assert.match(head, /^Subject: dots$/m);
    assert.match(head, /^X-Probe: 1$/m);
    assert.match(head, new RegExp(`^Message-ID: ${r.result.message.messageId}$`, 'm'));
    assert.deepEqual(
      [m.from, m.recipients, m.tls],
      ['probe@example.org', ['alice@esmtp.lab.test'], true],
    );
    assert.ok(m.mailParams.includes(`SIZE=${r.result.message.size}`), m.mailParams.join(' '));
  });

  test('an 8-bit body goes with BODY=8BITMIME and its octets untouched, even when they are not UTF-8', async () => {
    const body = Buffer.from('caf\xe9 cr\xe8me\n', 'latin1');
    const r = await send([
      ...esmtp(),
      '--to',
      'alice@esmtp.lab.test',
      '--body',
      `@${await file('latin1.txt', body)}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const m = stored(r.result.queueId);
    assert.ok(m.mailParams.includes('BODY=8BITMIME'), m.mailParams.join(' '));
    assert.deepEqual(bodyOf(m.data), Buffer.from('caf\xe9 cr\xe8me\r\n', 'latin1'));
  });

  test('--data FILE goes as is: its own fields, none added', async () => {
    const message =
      'From: <x@example.org>\nSubject: mine\nMessage-ID: <given@example.org>\n\nbody\n';
    const r = await send([
      ...esmtp(),
      '--to',
      'alice@esmtp.lab.test',
      '--data',
      await file('m.eml', message),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.message.messageId, '<given@example.org>');
    assert.equal(stored(r.result.queueId).data.toString(), message.replaceAll('\n', '\r\n'));
  });

  test('DSN: RET and ENVID (xtext) on MAIL, NOTIFY on each RCPT, as the server offers DSN', async () => {
    const r = await send([
      ...esmtp(),
      '--to',
      'alice@esmtp.lab.test',
      '--dsn-notify',
      'success,failure',
      '--dsn-ret',
      'hdrs',
      '--envid',
      'run 1+2',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const m = stored(r.result.queueId);
    assert.ok(m.mailParams.includes('RET=HDRS'), m.mailParams.join(' '));
    assert.ok(m.mailParams.includes('ENVID=run+201+2B2'), m.mailParams.join(' '));
    assert.deepEqual(m.rcptParams, [['NOTIFY=SUCCESS,FAILURE']]);
    const before = lab.sessions.length;
    const bad = await send([
      ...esmtp(),
      '--to',
      'alice@esmtp.lab.test',
      '--dsn-notify',
      'never,success',
    ]);
    assert.equal(bad.code, 2, 'NEVER goes alone (RFC 3461 §4.1)');
    assert.equal(lab.sessions.length, before);
  });

  test("without --server the recipient domain's MX is walked, as verify does", async () => {
    const r = await send([
      '--to',
      'alice@esmtp.lab.test',
      '--resolver',
      dns,
      '--port',
      String(lab.port),
      '--ca',
      lab.caCertFile,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.route, 'MX of esmtp.lab.test');
    assert.deepEqual(
      r.result.hosts.map((h) => [h.host, h.status]),
      [['esmtp.lab.test', 'ok']],
    );
    stored(r.result.queueId);
  });

  test('a refused recipient: the others still get the message, the run exits 12 (partial)', async () => {
    const r = await send([
      ...esmtp(),
      '--to',
      'alice@esmtp.lab.test',
      '--to',
      'nobody@esmtp.lab.test',
    ]);
    assert.equal(r.code, 12);
    assert.equal(r.env.error?.code, 'RECIPIENT_REFUSED');
    assert.equal(r.result.outcome, 'partial');
    assert.deepEqual(
      r.result.recipients.map((x) => [x.address, x.reply?.code]),
      [
        ['alice@esmtp.lab.test', 250],
        ['nobody@esmtp.lab.test', 550],
      ],
    );
    assert.deepEqual(stored(r.result.queueId).recipients, ['alice@esmtp.lab.test']);
  });
});

describe('send: what cannot go is refused before anything is sent', () => {
  const sessions = (): number => lab.sessions.length;

  test('a 999-octet body line: exit 2, the line named, no connection', async () => {
    const before = sessions();
    const body = `ok\n${'a'.repeat(999)}\n`;
    const r = await send([...esmtp(), '--to', 'alice@esmtp.lab.test', '--body', body]);
    assert.equal(r.code, 2);
    assert.equal(r.env.error?.code, 'INVALID_INPUT');
    assert.match(r.env.error?.message ?? '', /line \d+ is 999 octets; SMTP allows 998/);
    assert.equal(sessions(), before);
  });

  test('a header field over 998 octets with no space to fold it at: exit 2, no connection', async () => {
    const before = sessions();
    const r = await send([
      ...esmtp(),
      '--to',
      'alice@esmtp.lab.test',
      '--header',
      `X-Long: ${'b'.repeat(1000)}`,
    ]);
    assert.equal(r.code, 2);
    assert.match(r.env.error?.message ?? '', /X-Long: longer than 998 octets/);
    assert.equal(sessions(), before);
  });

  test('a long header field with spaces is folded, and arrives folded', async () => {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const r = await send([
      ...esmtp(),
      '--to',
      'alice@esmtp.lab.test',
      '--header',
      `X-Words: ${words}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const head = stored(r.result.queueId).data.toString().split('\r\n\r\n')[0]!;
    assert.ok(head.split('\r\n').every((l) => Buffer.byteLength(l) <= 998));
    assert.equal(/X-Words: (.*(?:\r\n .*)*)/.exec(head)?.[1]?.replaceAll('\r\n', ''), words);
  });

  test('CR or LF in an address or a header: exit 2, no connection', async () => {
    const before = sessions();
    for (const args of [
      ['--to', 'alice@esmtp.lab.test\r\nRCPT TO:<x@y>'],
      ['--to', 'alice@esmtp.lab.test', '--header', 'X-A: 1\nBcc: x@y'],
      ['--to', 'alice@esmtp.lab.test', '--auth-user', 'u\r\nQUIT', '--auth-password-env', 'P'],
    ]) {
      const r = await send([...esmtp(), ...args], { P: 'x' });
      assert.equal(r.code, 2, args.join(' '));
    }
    assert.equal(sessions(), before);
  });

  test('a message over the SIZE the server offers: exit 14 after EHLO, no MAIL sent', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const big = await file('big.txt', line.repeat(Math.ceil(10_240_001 / line.length)));
    const r = await send([...esmtp(), '--to', 'alice@esmtp.lab.test', '--body', `@${big}`]);
    assert.equal(r.code, 14);
    assert.equal(r.env.error?.code, 'MESSAGE_UNSUITABLE');
    assert.match(r.env.error?.message ?? '', /takes at most 10240000/);
    assert.ok(!commandsOf().some((l) => /^MAIL/i.test(l)), commandsOf().join(' | '));
  });

  test('an 8-bit body to a server without 8BITMIME: exit 14, no MAIL sent', async () => {
    const r = await send([
      '--server',
      `127.0.0.11:${lab.port}`,
      '--helo',
      'probe.test',
      '--to',
      'postmaster@helo-only.lab.test',
      '--body',
      'Grüße\n',
    ]);
    assert.equal(r.code, 14);
    assert.match(r.env.error?.message ?? '', /does not offer 8BITMIME/);
    assert.deepEqual(commandsOf('helo-only.lab.test'), [
      'EHLO probe.test',
      'HELO probe.test',
      'QUIT',
    ]);
  });

  test('recipients in two domains without --server: exit 2 (each domain has its own MX)', async () => {
    const r = await send(['--to', 'a@one.example', '--to', 'b@two.example']);
    assert.equal(r.code, 2);
    assert.match(r.env.error?.message ?? '', /2 domains/);
  });
});

describe('send --quit-after', () => {
  const ehlo = 'EHLO probe.test';
  const tls = [ehlo, 'STARTTLS', ehlo];
  const rcpt = 'RCPT TO:<alice@esmtp.lab.test>';
  // MAIL carries SIZE= with the message's size; the rest of each session is exact.
  const after = (rest: string[]) => (l: string[]) =>
    /^MAIL FROM:<probe@example\.org> SIZE=\d+$/.test(l[3] ?? '') &&
    [...l.slice(0, 3), ...l.slice(4)].join() === [...tls, ...rest].join();
  const exactly = (want: string[]) => (l: string[]) => l.join() === want.join();
  const cases: [string, (lines: string[]) => boolean, string[]][] = [
    ['connect', exactly([]), []],
    ['banner', exactly(['QUIT']), []],
    ['ehlo', exactly([ehlo, 'QUIT']), []],
    ['tls', exactly([...tls, 'QUIT']), []],
    ['auth', exactly([...tls, 'AUTH PLAIN <redacted>', 'QUIT']), asLab('LAB_PASS')],
    ['mail', after(['RSET', 'QUIT']), []],
    ['rcpt', after([rcpt, 'RSET', 'QUIT']), []],
    ['data', after([rcpt, 'DATA']), []],
  ];
  for (const [stop, expected, extra] of cases) {
    test(`${stop}: ends there, nothing stored`, async () => {
      const held = lab.messages.length;
      const r = await send(
        [...esmtp(), '--to', 'alice@esmtp.lab.test', '--quit-after', stop, ...extra],
        { LAB_PASS: LAB_AUTH_PASSWORD },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.result.outcome, 'stopped');
      const lines = commandsOf();
      assert.ok(expected(lines), `${stop}: ${lines.join(' | ')}`);
      assert.equal(lab.messages.length, held, 'a message was stored');
    });
  }

  test('connect: our side hangs up without a byte; data: after the 354, without the end-of-data dot', async () => {
    for (const stop of ['connect', 'data']) {
      await send([...esmtp(), '--to', 'alice@esmtp.lab.test', '--quit-after', stop]);
      const s = lab.sessions.filter((x) => x.host === 'esmtp.lab.test').at(-1)!;
      // The lab notices the close a moment after our side returns.
      for (let waited = 0; s.closedAt === null && waited < 2_000; waited += 5)
        await new Promise((r) => setTimeout(r, 5));
      assert.equal(s.closedBy, 'client', stop);
    }
  });
});

describe('send: AUTH', () => {
  const secrets = [
    LAB_AUTH_PASSWORD,
    Buffer.from(LAB_AUTH_PASSWORD).toString('base64'),
    Buffer.from(`\0${LAB_AUTH_USER}\0${LAB_AUTH_PASSWORD}`).toString('base64'),
  ];
  const leaks = (r: CliRun, words: string[]): string[] =>
    words.filter((w) => r.stdout.includes(w) || r.stderr.includes(w));

  for (const mech of ['plain', 'login']) {
    test(`${mech.toUpperCase()} over STARTTLS: accepted, the message carries the user, the password nowhere in the output`, async () => {
      const r = await send(
        [...esmtp(), '--to', 'alice@esmtp.lab.test', ...asLab('LAB_PASS'), '--auth-mech', mech],
        { LAB_PASS: LAB_AUTH_PASSWORD },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        [r.result.auth?.mechanism, r.result.auth?.accepted, r.result.auth?.reply.code],
        [mech.toUpperCase(), true, 235],
      );
      assert.equal(stored(r.result.queueId).authUser, LAB_AUTH_USER);
      assert.deepEqual(
        leaks(r, [
          ...secrets,
          ...(mech === 'login' ? [Buffer.from(LAB_AUTH_USER).toString('base64')] : []),
        ]),
        [],
      );
      assert.ok(r.stderr.includes('<redacted>'), 'the transcript shows where the secret went');
    });
  }

  test('a wrong password: exit 10, AUTH_FAILED, the wrong password nowhere either', async () => {
    const wrong = 'not-the-password-4711';
    const r = await send([...esmtp(), '--to', 'alice@esmtp.lab.test', ...asLab('P')], { P: wrong });
    assert.equal(r.code, 10);
    assert.equal(r.env.error?.code, 'AUTH_FAILED');
    assert.equal(r.result.auth?.accepted, false);
    assert.deepEqual(
      leaks(r, [wrong, Buffer.from(`\0${LAB_AUTH_USER}\0${wrong}`).toString('base64')]),
      [],
    );
    assert.ok(!commandsOf().some((l) => /^MAIL/i.test(l)));
  });

  test('no TLS: the password is not sent (exit 10); --allow-plain-auth then finds no AUTH before TLS', async () => {
    const args = [...esmtp(), '--to', 'alice@esmtp.lab.test', '--starttls', 'off', ...asLab('P')];
    const r = await send(args, { P: LAB_AUTH_PASSWORD });
    assert.equal(r.code, 10);
    assert.equal(r.env.error?.code, 'AUTH_UNAVAILABLE');
    assert.match(r.env.error?.message ?? '', /without TLS/);
    assert.ok(!commandsOf().some((l) => /^AUTH/i.test(l)));
    const plain = await send([...args, '--allow-plain-auth'], { P: LAB_AUTH_PASSWORD });
    assert.equal(plain.code, 10);
    assert.match(plain.env.error?.message ?? '', /offers no AUTH/);
  });

  test('no password source and no terminal: exit 2, nothing sent', async () => {
    const before = lab.sessions.length;
    const r = await send([
      ...esmtp(),
      '--to',
      'alice@esmtp.lab.test',
      '--auth-user',
      LAB_AUTH_USER,
    ]);
    assert.equal(r.code, 2);
    assert.match(r.env.error?.message ?? '', /--auth-password-env VAR/);
    assert.equal(lab.sessions.length, before);
  });
});

describe('send: Ctrl-C', () => {
  test('while waiting for a greeting: status aborted, exit 130, outcome interrupted, what was learned kept', async () => {
    const ctrlC = new AbortController();
    const opened = lab.sessions.filter((s) => s.host === 'silent.lab.test').length;
    const running = runCli(
      [
        'send',
        '--from',
        'probe@example.org',
        '--to',
        'alice@esmtp.lab.test',
        '--server',
        `127.0.0.14:${lab.port}`,
        '--json',
      ],
      { signal: ctrlC.signal },
    );
    // Ctrl-C once the silent host has the connection (it never greets).
    for (
      let waited = 0;
      lab.sessions.filter((s) => s.host === 'silent.lab.test').length === opened && waited < 5_000;
      waited += 5
    )
      await new Promise((r) => setTimeout(r, 5));
    ctrlC.abort();
    const r = await running;
    assert.equal(r.code, 130);
    const env = SendOutputSchema.parse(JSON.parse(r.stdout));
    assert.equal(env.status, 'aborted');
    assert.equal(env.result?.outcome, 'interrupted');
    assert.equal(env.result?.hosts[0]?.attempts[0]?.status, 'ok', 'the connect is kept');
  });
});

describe('only send sends DATA', () => {
  test('caps, vrfy, expn, verify, mx, failover and audit against the same host send no DATA or BDAT', async () => {
    const from = lab.log.length;
    const server = `127.0.0.10:${lab.port}`;
    const walk = ['--resolver', dns, '--port', String(lab.port)];
    const runs = [
      ['caps', server],
      ['vrfy', server, 'alice'],
      ['expn', server, 'staff'],
      ['verify', 'alice@esmtp.lab.test', 'nobody@esmtp.lab.test', ...walk],
      ['mx', 'esmtp.lab.test', ...walk, '--no-policy'],
      ['failover', 'esmtp.lab.test', ...walk, '--no-policy'],
      ['audit', server],
    ];
    for (const args of runs) {
      const r = await runCli([...args, '--json']);
      assert.ok(r.code === 0 || r.code === 9, `${args[0]}: exit ${r.code} ${r.stderr}`);
    }
    const lines = lab.log.slice(from).map((e) => e.line);
    assert.ok(
      lines.some((l) => /^RCPT/i.test(l)),
      'the runs reached RCPT',
    );
    assert.deepEqual(
      lines.filter((l) => /^(DATA|BDAT)\b/i.test(l)),
      [],
    );
  });
});
