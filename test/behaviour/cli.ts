/**
 * The CLI in-process: main(args, io) against the lab on free ports, checking
 * exit codes, stdout envelopes (validated with the zod schema), stderr
 * messages, and — through lab.log and a counting listener — that bad input
 * sends nothing.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { startLab, type Lab } from '../../src/lab/index.js';
import { formatEndpoint } from '../../src/net/target.js';
import { CapsOutputSchema, type CapsOutput } from '../../src/schema/caps.js';
import { STATUSES } from '../../src/errors.js';
import { MxOutputSchema } from '../../src/schema/mx.js';
import { FailoverOutputSchema } from '../../src/schema/failover.js';
import { AuditOutputSchema } from '../../src/schema/audit.js';
import { SendOutputSchema } from '../../src/schema/send.js';
import { DemoOutputSchema, DemoStepSchema } from '../../src/schema/lines.js';
import { runCli, countingServer } from '../support/cli-run.js';
import { ANSI_ESCAPE } from '../support/sink.js';

let lab: Lab;
const target = (personality: string): string =>
  formatEndpoint(lab.host(personality).address, lab.host(personality).port);
const envelope = (stdout: string): CapsOutput => CapsOutputSchema.parse(JSON.parse(stdout));
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** newLog: what the lab heard while `fn` ran. */
async function newLog<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const from = lab.log.length;
  const value = await fn();
  return [value, lab.log.slice(from).map((e) => `${e.personality}: ${e.line}`)];
}

before(async () => {
  lab = await startLab({ port: 0 });
});
after(() => lab.close());

describe('caps: one exit code per outcome', () => {
  test('esmtp with the lab CA: exit 0, a valid envelope, STARTTLS trusted, QUIT sent, no DATA', async () => {
    const [run, heard] = await newLog(() =>
      runCli(['caps', target('esmtp'), '--json', '--ca', lab.caCertFile]),
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const env = envelope(run.stdout);
    assert.equal(env.status, 'ok');
    assert.equal(env.error, null);
    assert.equal(env.target, target('esmtp'));
    assert.equal(env.result!.tls!.outcome, 'ok');
    assert.equal(env.result!.tls!.info!.trusted.ok, true);
    assert.ok(env.result!.tls!.info!.trusted.store.includes(lab.caCertFile));
    assert.deepEqual(env.result!.capabilitiesAfterTls!.auth, ['PLAIN', 'LOGIN']);
    assert.ok(
      heard.includes('esmtp: STARTTLS') && heard.at(-1) === 'esmtp: QUIT',
      heard.join('\n'),
    );
    assert.ok(!heard.some((l) => /: DATA/i.test(l)));
  });

  test('closed host: exit 3, connection-refused at connect', async () => {
    const run = await runCli(['caps', target('closed'), '--json']);
    assert.equal(run.code, 3);
    const env = envelope(run.stdout);
    assert.equal(env.status, 'connection-refused');
    assert.deepEqual([env.error!.code, env.error!.stage], ['CONNECTION_REFUSED', 'connect']);
    assert.equal(env.result!.address, null);
  });

  test('reject-554: exit 6, rejected, the 554 banner kept', async () => {
    const run = await runCli(['caps', target('reject-554'), '--json']);
    assert.equal(run.code, 6);
    const env = envelope(run.stdout);
    assert.deepEqual(
      [env.status, env.error!.code, env.error!.stage],
      ['rejected', 'GREETING_REJECTED', 'greeting'],
    );
    assert.equal(env.result!.banner!.reply.code, 554);
  });

  test('silent with --greeting-timeout 200ms: exit 4, the headline names code, stage, the 200ms and the flag to raise', async () => {
    const run = await runCli(['caps', target('silent'), '--greeting-timeout', '200ms']);
    assert.equal(run.code, 4);
    // The result on stdout, the error block on stderr.
    assert.match(run.stdout, new RegExp(`^caps ${target('silent')} — greeting-timeout in `));
    const [err, ...rest] = run.stderr.split('\n');
    assert.match(err!, /^error GREETING_TIMEOUT at greeting: no greeting within 200ms/);
    assert.match(rest.find((l) => l.includes('what now:')) ?? '', /--greeting-timeout/);
    assert.match(run.stdout, /connected +│ 127\.0\.0\.14:\d+ in /);
  });

  test('--tls-verify without --ca: exit 5, TLS_CERT_INVALID, banner and capabilities still reported', async () => {
    const run = await runCli(['caps', target('esmtp'), '--tls-verify', '--json']);
    assert.equal(run.code, 5);
    const env = envelope(run.stdout);
    assert.deepEqual(
      [env.status, env.error!.code, env.error!.stage],
      ['tls-error', 'TLS_CERT_INVALID', 'starttls'],
    );
    assert.equal(env.result!.tls!.info!.trusted.ok, false);
    assert.equal(env.result!.banner!.reply.code, 220);
    assert.equal(env.result!.capabilities!.starttls, true);
  });
});

describe('caps: invalid input sends nothing and still answers', () => {
  test('a target with LF: exit 2, one escaped line on stderr, nothing heard', async () => {
    const [run, heard] = await newLog(() => runCli(['caps', 'bad\nhost']));
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.ok(
      run.stderr.startsWith('smtp-probe: target contains LF at offset 3 ("bad\\nhost")'),
      run.stderr,
    );
    assert.equal(run.stderr.trimEnd().split('\n').length, 1);
    assert.deepEqual(heard, []);
  });

  test('--json still prints an envelope: invalid-input, INVALID_INPUT at input, no result', async () => {
    const run = await runCli(['caps', 'bad\nhost', '--json']);
    assert.equal(run.code, 2);
    const env = envelope(run.stdout);
    assert.deepEqual(
      [env.status, env.error!.code, env.error!.stage, env.result, env.target],
      ['invalid-input', 'INVALID_INPUT', 'input', null, 'bad\nhost'],
    );
  });

  test('a --helo with CRLF and a command: exit 2, no connection at all, nothing the lab hears', async () => {
    const server = await countingServer();
    try {
      const [run, heard] = await newLog(async () => [
        await runCli(['caps', server.target, '--helo', 'x\r\nVRFY root', '--json']),
        await runCli(['caps', target('esmtp'), '--helo', 'x\r\nVRFY root', '--json']),
      ]);
      for (const r of run) assert.equal(envelope(r.stdout).status, 'invalid-input');
      assert.deepEqual(
        run.map((r) => r.code),
        [2, 2],
      );
      assert.equal(server.connections, 0);
      assert.deepEqual(heard, []);
    } finally {
      await server.close();
    }
  });
});

describe('usage errors: exit 2 with a helpful message on stderr', () => {
  const cases: { name: string; args: () => string[]; stderr: RegExp[] }[] = [
    {
      name: 'an unknown flag',
      args: () => ['caps', target('esmtp'), '--bogus'],
      stderr: [/Unknown argument: bogus/, /--help/],
    },
    { name: 'no command', args: () => [], stderr: [/Give a command/, /smtp-probe demo/] },
    {
      name: 'a bad duration (--timeout 5x)',
      args: () => ['caps', target('esmtp'), '--timeout', '5x'],
      stderr: [/--timeout "5x" is not a duration/, /500ms/],
    },
    {
      name: 'a format that does not exist',
      args: () => ['caps', target('esmtp'), '--format', 'xml'],
      stderr: [/format/, /xml/, /ndjson/],
    },
    { name: 'an unknown command', args: () => ['capz', target('esmtp')], stderr: [/--help/] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const run = await runCli(c.args());
      assert.equal(run.code, 2, run.stdout);
      for (const re of c.stderr) assert.match(run.stderr, re);
      assert.match(run.stderr, /^smtp-probe: /);
    });
  }

  test('a bad duration sends nothing', async () => {
    const server = await countingServer();
    try {
      assert.equal((await runCli(['caps', server.target, '--connect-timeout', '5x'])).code, 2);
      assert.equal(server.connections, 0);
    } finally {
      await server.close();
    }
  });

  test('schema of an unknown command: exit 2 naming the choices', async () => {
    const run = await runCli(['schema', 'nope']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /schema: "nope" is not one of caps, mx, failover, verify, vrfy, expn, demo/,
    );
  });

  test("a mistyped command: yargs' suggestion survives", async () => {
    assert.match((await runCli(['capz', target('esmtp')])).stderr, /Did you mean caps\?/);
  });

  for (const [name, flag] of [
    ['an unknown flag', ['--bogus']],
    ['a bad --format', ['--format', 'xml']],
  ] as const) {
    test(`${name} sends nothing and prints no report`, async () => {
      const [run, heard] = await newLog(() => runCli(['caps', target('esmtp'), ...flag]));
      assert.equal(run.code, 2);
      assert.ok(run.stdout === '', `printed a report: ${run.stdout.split('\n')[0]}`);
      assert.ok(
        heard.length === 0,
        `the lab heard ${heard.length} lines: ${heard.slice(0, 3).join(', ')}, …`,
      );
    });
  }
});

/**
 * printed: what a run printed on stdout, plus anything that leaked to console.log (yargs' default
 * for --help and --version; main() must route it to io.stdout, and `leaked` proves it does).
 */
async function printed(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; leaked: string }> {
  const log = console.log;
  let leaked = '';
  console.log = (...parts: unknown[]): void => {
    leaked += `${parts.join(' ')}\n`;
  };
  try {
    const run = await runCli(args);
    return { ...run, stdout: run.stdout + leaked, leaked };
  } finally {
    console.log = log;
  }
}

describe('--version, --help, schema', () => {
  test("--version and -V print package.json's version", async () => {
    for (const flag of ['--version', '-V']) {
      const run = await printed([flag]);
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, `${VERSION}\n`, '']);
    }
  });

  test("--help and --version write to io.stdout, not to the process's console", async () => {
    for (const args of [['--version'], ['caps', '--help']]) {
      const run = await printed(args);
      assert.equal(run.leaked, '', `${args.join(' ')} went to console.log`);
    }
  });

  test('caps --help mentions every flag', async () => {
    const run = await printed(['caps', '--help']);
    assert.equal(run.code, 0);
    const flags = [
      '--connect-timeout',
      '--greeting-timeout',
      '--command-timeout',
      '--timeout',
      '--helo',
      '--implicit-tls',
      '--tls-verify',
      '--tls-name',
      '--ca',
      '--no-census',
      '--no-starttls',
      '--transcript',
      '--json',
      '--format',
    ];
    for (const f of flags)
      assert.match(run.stdout, new RegExp(`${f}\\b`), `${f} missing from caps --help`);
    assert.match(run.stdout, /Examples:/);
  });

  test('--help lists every command and the exit codes', async () => {
    const run = await printed(['--help']);
    assert.equal(run.code, 0);
    for (const c of ['caps <target>', 'lab', 'demo', 'schema <command>'])
      assert.ok(run.stdout.includes(`smtp-probe ${c}`), c);
    assert.match(run.stdout, /130 interrupted/);
  });

  test('schema caps prints a JSON Schema object with status, result and error', async () => {
    const run = await runCli(['schema', 'caps']);
    assert.equal(run.code, 0);
    const schema = JSON.parse(run.stdout) as {
      $schema: string;
      type: string;
      properties: Record<string, { enum?: string[] }>;
      required: string[];
    };
    assert.equal(schema.type, 'object');
    assert.match(schema.$schema, /2020-12/);
    for (const p of ['status', 'result', 'error']) assert.ok(p in schema.properties, p);
    assert.deepEqual(schema.properties.status!.enum, [...STATUSES]);
    assert.ok(['status', 'result', 'error'].every((p) => schema.required.includes(p)));
  });
});

describe('output', () => {
  test('--transcript: >>>/<<< lines on stderr, the same conversation in JSON, and exactly what the lab heard', async () => {
    const [run, heard] = await newLog(() =>
      runCli([
        'caps',
        target('esmtp'),
        '--json',
        '--transcript',
        '--no-census',
        '--ca',
        lab.caCertFile,
      ]),
    );
    assert.equal(run.code, 0);
    const lines = run.stderr.trimEnd().split('\n');
    for (const l of lines) assert.match(l, /^ +\+\d+\.\d{3}s (>>>|<<<|\*\*\*) /);
    for (const l of [
      '>>> EHLO ',
      '<<< 220 esmtp.lab.test',
      '>>> STARTTLS',
      '*** TLS established',
      '>>> QUIT',
      '<<< 221 ',
    ]) {
      assert.ok(
        lines.some((x) => x.includes(l)),
        `${l} missing from stderr`,
      );
    }
    const env = envelope(run.stdout);
    const sent = env.transcript!.filter((e) => e.dir === 'send').map((e) => `esmtp: ${e.line}`);
    assert.deepEqual(sent, heard);
    assert.equal(
      env.transcript!.filter((e) => e.dir === 'recv').length,
      lines.filter((l) => l.includes('<<<')).length,
    );
  });

  test('without --transcript: no transcript in JSON, nothing on stderr', async () => {
    const run = await runCli([
      'caps',
      target('esmtp'),
      '--json',
      '--no-census',
      '--ca',
      lab.caCertFile,
    ]);
    assert.equal(run.stderr, '');
    assert.ok(!('transcript' in JSON.parse(run.stdout)));
  });

  test('a hostile banner is escaped in the table', async () => {
    const server: Server = createServer((s) => {
      s.on('error', () => undefined);
      s.write('554 5.7.1 evil \u001b[2J\rall is well\r\n');
      s.on('data', (d) => {
        if (String(d).startsWith('QUIT')) s.end('221 bye\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const run = await runCli([
        'caps',
        `127.0.0.1:${(server.address() as { port: number }).port}`,
        '--transcript',
      ]);
      assert.equal(run.code, 6);
      for (const text of [run.stdout, run.stderr]) {
        assert.ok(text.includes('evil \\x1b[2J\\x0dall is well'), text);
        assert.doesNotMatch(text, /\u001b|\r/);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('NO_COLOR=1 on a terminal: no ANSI escapes; the same terminal without it is coloured', async () => {
    const args = ['caps', target('esmtp'), '--no-census', '--ca', lab.caCertFile, '--transcript'];
    const plain = await runCli(args, { isTTY: true, env: { NO_COLOR: '1', TERM: 'xterm' } });
    assert.equal(plain.code, 0);
    assert.doesNotMatch(plain.stdout, ANSI_ESCAPE);
    assert.doesNotMatch(plain.stderr, ANSI_ESCAPE);
    const dumb = await runCli(args, { isTTY: true, env: { TERM: 'dumb' } });
    assert.doesNotMatch(dumb.stdout, ANSI_ESCAPE);
    const coloured = await runCli(args, { isTTY: true, env: { TERM: 'xterm' } });
    assert.match(coloured.stdout, ANSI_ESCAPE);
    assert.match(coloured.stderr, ANSI_ESCAPE);
  });

  test('demo --format ndjson: one caps envelope per lab personality in lab order, then the MX walk, the failover, the MTA-STS failover, the audit and the test message, then the demo envelope, exit 0', async () => {
    const run = await runCli(['demo', '--format', 'ndjson']);
    assert.equal(run.code, 0, run.stderr);
    // A dozen probes share the Ctrl-C signal: no MaxListenersExceededWarning may reach the user.
    assert.doesNotMatch(run.stderr, /Warning/);
    // One line per step, each carrying its command's envelope; the demo's own envelope last.
    const all = run.stdout.trimEnd().split('\n');
    const last = DemoOutputSchema.parse(JSON.parse(all.pop()!));
    assert.equal(last.status, 'ok');
    const steps = all.map((l) => DemoStepSchema.parse(JSON.parse(l)));
    assert.deepEqual(last.result?.steps, steps);
    assert.deepEqual(
      steps.map((s) => s.step),
      steps.map((_, i) => i + 1),
    );
    const lines = steps.map((s) => JSON.stringify(s.envelope));
    const personalities = lab.hosts.filter((h) => h.scenario === null);
    assert.equal(lines.length, personalities.length + 5);
    const envs = lines.slice(0, personalities.length).map(envelope);
    assert.deepEqual(
      envs.map((e) => e.status),
      ['ok', 'ok', 'rejected', 'ok', 'greeting-timeout', 'connection-refused', 'ok', 'ok'],
    );
    assert.deepEqual(
      envs.map((e) => e.target.split(':')[0]),
      personalities.map((h) => h.address),
    );
    const walk = MxOutputSchema.parse(JSON.parse(lines.at(-5)!));
    assert.equal(walk.result?.verdict?.kind, 'accepted');
    assert.deepEqual(
      walk.result?.verdict?.failedBefore.map((f) => f.status),
      ['connection-refused', 'connection-timeout'],
    );
    const failover = FailoverOutputSchema.parse(JSON.parse(lines.at(-4)!));
    assert.equal(failover.result?.attempts.length, 3);
    // The MTA-STS failure: the primary's certificate does not name it, so mail goes to the backup.
    const sts = FailoverOutputSchema.parse(JSON.parse(lines.at(-3)!));
    assert.equal(sts.result?.mtaSts, true);
    assert.deepEqual(
      sts.result?.attempts.map((a) => [a.status, a.policy !== undefined]),
      [
        ['tls-error', true],
        ['ok', false],
      ],
    );
    assert.equal(sts.result?.delivery.host, 'mx2.sts-badcert.test');
    const audit = AuditOutputSchema.parse(JSON.parse(lines.at(-2)!));
    assert.equal(audit.status, 'ok');
    assert.equal(
      audit.result?.summary.counts.exposesVrfy,
      1,
      'the lab has one VRFY-open host among them',
    );
    assert.equal(audit.result?.summary.sites, audit.result?.sites?.length);
    // The one step that sends DATA: the lab's ESMTP host keeps the message under the queue id shown.
    const sent = SendOutputSchema.parse(JSON.parse(lines.at(-1)!));
    assert.equal(sent.result?.outcome, 'accepted');
    assert.match(sent.result?.queueId ?? '', /^[0-9A-F]{10,}$/);
    assert.match(
      sent.result?.final?.lines.join(' ') ?? '',
      new RegExp(`queued as ${sent.result?.queueId}`),
    );
  });
});
