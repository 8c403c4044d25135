/**
 * The built CLI as a real process: what a user's shell sees on stdout and in
 * the exit code, and Ctrl-C (or SIGTERM) for real — every probe command keeps
 * what it learned and exits 130 with an `aborted` envelope, never a verdict;
 * the lab shuts down cleanly with 0 and removes its CA file.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { startLab, type Lab } from '../../src/lab/index.js';
import { formatEndpoint } from '../../src/net/target.js';
import { CapsOutputSchema } from '../../src/schema/caps.js';
import { MxOutputSchema } from '../../src/schema/mx.js';
import { FailoverOutputSchema } from '../../src/schema/failover.js';
import { VerifyOutputSchema } from '../../src/schema/verify.js';
import { spawnCli, type Child } from '../support/cli-run.js';

// Generous: a loaded CI machine can take a second or two just to start node.
const START_MS = 10_000;
const EXIT_MS = 5_000;

let lab: Lab;
const children: Child[] = [];
before(async () => {
  lab = await startLab({ port: 0, hosts: ['silent', 'blackhole.test'] });
});
after(async () => {
  for (const c of children) c.stop();
  await lab.close();
});

function start(args: string[]): Child {
  const child = spawnCli(args);
  children.push(child);
  return child;
}

/** within: the promise's value, or a failure naming `what` after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** firstLine: a one-line greeting from host:port (proves the lab is really listening). */
function firstLine(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port });
    let buf = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      if (buf.includes('\r\n')) {
        s.destroy();
        resolve(buf.split('\r\n')[0]!);
      }
    });
    s.on('error', reject);
  });
}

describe('the executable', () => {
  test("--version prints package.json's version on stdout and exits 0", async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const child = start(['--version']);
    assert.equal(await within(child.exited, START_MS, 'exit'), 0);
    assert.deepEqual([child.stdout(), child.stderr()], [`${version}\n`, '']);
  });

  test('caps --help on stdout names the timeout flags; a usage error goes to stderr with exit 2', async () => {
    const help = start(['caps', '--help']);
    assert.equal(await within(help.exited, START_MS, 'exit'), 0);
    for (const f of ['--connect-timeout', '--greeting-timeout', '--command-timeout', '--timeout'])
      assert.ok(help.stdout().includes(f), f);
    const bad = start(['caps', '127.0.0.1:9', '--timeout', '5x']);
    assert.equal(await within(bad.exited, START_MS, 'exit'), 2);
    assert.equal(bad.stdout(), '');
    assert.match(bad.stderr(), /^smtp-probe: --timeout "5x" is not a duration/);
  });
});

describe('SIGINT', () => {
  test('caps against a silent server: exit 130, an aborted envelope with the partial result', async () => {
    const silent = lab.host('silent');
    const target = formatEndpoint(silent.address, silent.port);
    // --transcript makes "connected" visible on stderr: SIGINT goes in only once the probe waits for the greeting.
    const child = start(['caps', target, '--greeting-timeout', '30s', '--json', '--transcript']);
    await child.waitFor((_, err) => err.includes(`*** connected to ${target}`), START_MS);
    child.proc.kill('SIGINT');
    const code = await within(child.exited, EXIT_MS, 'exit after SIGINT');
    assert.equal(code, 130, child.stderr());
    const env = CapsOutputSchema.parse(JSON.parse(child.stdout()));
    assert.equal(env.status, 'aborted');
    assert.equal(env.error!.code, 'ABORTED');
    assert.equal(env.error!.stage, 'greeting');
    assert.equal(env.result!.address, silent.address);
    assert.equal(env.result!.banner, null);
    assert.ok(
      env.durationMs < 30_000,
      `stopped at once, not at the greeting timeout (${env.durationMs} ms)`,
    );
    assert.ok(env.transcript!.some((e) => e.dir === 'note' && e.line.startsWith('connected to')));
  });

  test('caps with SIGTERM: the same as Ctrl-C (aborted, exit 130)', async () => {
    const silent = lab.host('silent');
    const target = formatEndpoint(silent.address, silent.port);
    const child = start(['caps', target, '--greeting-timeout', '30s', '--json', '--transcript']);
    await child.waitFor((_, err) => err.includes(`*** connected to ${target}`), START_MS);
    child.proc.kill('SIGTERM');
    assert.equal(await within(child.exited, EXIT_MS, 'exit after SIGTERM'), 130, child.stderr());
    assert.equal(CapsOutputSchema.parse(JSON.parse(child.stdout())).status, 'aborted');
  });

  /** walkArgs: a walk of blackhole.test in the lab: refused at once, then a connect that never ends. */
  const walkArgs = (): string[] => [
    '--resolver',
    formatEndpoint(lab.dns.address, lab.dns.port),
    '--port',
    String(lab.port),
    '--connect-timeout',
    '30s',
    '--json',
    '--transcript',
  ];
  const refusedNoted = (_: string, err: string): boolean => /connection refused/.test(err);

  test('mx and failover: aborted with exit 130, the walk so far kept, no verdict', async () => {
    for (const [command, schema] of [
      ['mx', MxOutputSchema],
      ['failover', FailoverOutputSchema],
    ] as const) {
      const child = start([command, 'blackhole.test', ...walkArgs()]);
      await child.waitFor(refusedNoted, START_MS);
      child.proc.kill('SIGINT');
      assert.equal(await within(child.exited, EXIT_MS, `${command} exit`), 130, child.stderr());
      const env = schema.parse(JSON.parse(child.stdout()));
      assert.deepEqual([env.status, env.error?.code], ['aborted', 'ABORTED'], command);
      assert.ok(env.result, `${command}: the partial result is kept`);
    }
  });

  test('verify: aborted with exit 130; the address not reached is not-asked, not a verdict', async () => {
    const child = start(['verify', 'alice@blackhole.test', ...walkArgs()]);
    await child.waitFor(refusedNoted, START_MS);
    child.proc.kill('SIGINT');
    assert.equal(await within(child.exited, EXIT_MS, 'verify exit'), 130, child.stderr());
    const env = VerifyOutputSchema.parse(JSON.parse(child.stdout()));
    assert.equal(env.status, 'aborted');
    assert.deepEqual(
      env.result?.addresses.map((a) => [a.verdict, a.reason]),
      [['not-asked', 'interrupted']],
    );
  });

  test('lab --port 0 --json: prints its hosts, serves them, exits 0 on SIGINT and removes the CA file', async () => {
    const child = start(['lab', '--port', '0', '--json']);
    const parses = (out: string): boolean => {
      try {
        JSON.parse(out);
        return true;
      } catch {
        return false;
      }
    };
    await child.waitFor((out) => parses(out), START_MS);
    const doc = JSON.parse(child.stdout()) as {
      hosts: {
        personality: string;
        address: string;
        port: number;
        listening: boolean;
        scenario: string | null;
      }[];
      caCertFile: string;
      dns: { address: string; port: number };
    };
    assert.equal(
      doc.hosts.filter((h) => h.scenario === null).length,
      8,
      'one host per personality',
    );
    assert.ok(
      doc.hosts.some((h) => h.scenario === 'blackhole.test'),
      'the MX scenarios are served too',
    );
    assert.ok(doc.dns.port > 0 && doc.dns.address === '127.0.0.1');
    for (const h of doc.hosts)
      assert.ok(h.port > 0 && h.address.startsWith('127.0.0.'), JSON.stringify(h));
    const esmtp = doc.hosts.find((h) => h.personality === 'esmtp')!;
    assert.match(await firstLine(esmtp.address, esmtp.port), /^220 esmtp\.lab\.test /);
    assert.ok(existsSync(doc.caCertFile));
    child.proc.kill('SIGINT');
    assert.equal(await within(child.exited, EXIT_MS, 'lab exit after SIGINT'), 0, child.stderr());
    assert.equal(existsSync(doc.caCertFile), false, 'CA file left behind');
    assert.equal(child.stderr(), '');
  });
});
