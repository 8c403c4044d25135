/**
 * `smtp-probe audit` against the lab, in-process: exposure verdicts that follow each host's
 * personality, one probe per shared address, never DATA, NDJSON lines that match the schema,
 * the table's counts, --fail-on, bad flags, Ctrl-C, and the HTML report written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { PERSONALITIES } from '../../src/lab/personalities.js';
import { formatEndpoint } from '../../src/net/target.js';
import { AuditOutputSchema, type AuditAddress, type AuditSite } from '../../src/schema/audit.js';
import { NDJSON_LINE_SCHEMAS } from '../../src/schema/lines.js';
import { runCli } from '../support/cli-run.js';

let lab: Lab;
let flags: string[];
let dir: string;
const HOSTS = ['esmtp', 'vrfy-open', 'vrfy-closed', 'mlfarm.test', 'blackhole.test'];
before(async () => {
  lab = await startLab({ port: 0, hosts: HOSTS });
  flags = [
    '--resolver',
    formatEndpoint(lab.dns.address, lab.dns.port),
    '--port',
    String(lab.port),
    '--connect-timeout',
    '1s',
    '--ca',
    lab.caCertFile,
  ];
  dir = mkdtempSync(join(tmpdir(), 'smtp-probe-audit-'));
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

const hostOf = (personality: string) => {
  const h = lab.hosts.find((x) => x.personality === personality && x.scenario === null);
  assert.ok(h, `the lab runs ${personality}`);
  return h;
};
const endpoint = (personality: string): string => {
  const h = hostOf(personality);
  return formatEndpoint(h.address, h.port);
};

interface Lines {
  addresses: AuditAddress[];
  sites: AuditSite[];
  envelope: ReturnType<typeof AuditOutputSchema.parse>;
}

function parseLines(stdout: string): Lines {
  const out: Lines = { addresses: [], sites: [], envelope: undefined as never };
  const lines = stdout.trimEnd().split('\n');
  for (const [i, text] of lines.entries()) {
    const line = NDJSON_LINE_SCHEMAS.audit.parse(JSON.parse(text));
    if ('type' in line && line.type === 'address') out.addresses.push(line);
    else if ('type' in line && line.type === 'site') out.sites.push(line);
    else {
      assert.equal(i, lines.length - 1, 'the envelope is the last line');
      out.envelope = AuditOutputSchema.parse(line);
    }
  }
  assert.ok(out.envelope, 'an envelope ends the stream');
  return out;
}

/** EXPECTED_VRFY: what an audit must say of each lab lookup mode. */
const EXPECTED_VRFY = { on: 'discloses', off: 'disabled', blanket: 'blanket-252' } as const;

describe('audit: exposure follows each server', () => {
  let run: Lines;
  before(async () => {
    const r = await runCli([
      'audit',
      endpoint('esmtp'),
      endpoint('vrfy-open'),
      endpoint('vrfy-closed'),
      ...flags,
      '--format',
      'ndjson',
    ]);
    assert.equal(r.code, 0, r.stderr);
    run = parseLines(r.stdout);
  });

  for (const name of ['esmtp', 'vrfy-open', 'vrfy-closed']) {
    test(`${name}: VRFY, EXPN and STARTTLS as the personality has them`, () => {
      const p = PERSONALITIES.find((x) => x.name === name);
      assert.ok(p);
      const a = run.addresses.find((x) => x.key === endpoint(name));
      assert.ok(a, `an address line for ${endpoint(name)}`);
      assert.equal(a.status, 'ok');
      assert.equal(typeof p.vrfy, 'string');
      assert.equal(a.vrfy?.exposure, EXPECTED_VRFY[p.vrfy as keyof typeof EXPECTED_VRFY]);
      assert.equal(a.vrfy?.evidence.length, 2, 'postmaster and the control name');
      assert.equal(a.expn?.exposure === 'discloses', p.expn === 'on');
      assert.equal(a.tls?.outcome, p.starttls ? 'ok' : 'not-offered');
      assert.equal(
        a.findings.some((f) => f.id === 'vrfy-discloses'),
        p.vrfy === 'on',
      );
      assert.equal(a.relay?.verdict, 'closed', 'no lab personality here relays');
      assert.ok(a.relay!.trials.length > 5, 'every relay variant was tried');
    });
  }

  test('the summary counts what the address lines show', () => {
    const s = run.envelope.result!.summary;
    assert.equal(s.addresses, run.addresses.length);
    assert.equal(s.sites, 3);
    assert.equal(
      s.counts.exposesVrfy,
      run.addresses.filter((a) => a.vrfy?.exposure === 'discloses').length,
    );
    assert.equal(s.counts.noStarttls, run.addresses.filter((a) => a.tls?.outcome !== 'ok').length);
  });

  test('no DATA ever reached a lab host, and every session ended with QUIT', () => {
    assert.equal(
      lab.sessions.reduce((n, s) => n + s.data, 0),
      0,
    );
    assert.ok(lab.log.every((e) => !/^(DATA|BDAT)\b/i.test(e.line)));
    assert.ok(
      lab.log.some((e) => /^RSET$/i.test(e.line)),
      'transactions end with RSET',
    );
  });
});

describe('audit: sites and shared addresses', () => {
  test('an MX address that is also a target is probed once and attached to both sites', async () => {
    const mx1 = lab.hosts.find((h) => h.name === 'mx1.mlfarm.test');
    assert.ok(mx1);
    const direct = formatEndpoint(mx1.address, lab.port);
    const r = await runCli(['audit', 'mlfarm.test', direct, ...flags, '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const lines = parseLines(r.stdout);
    assert.equal(lines.addresses.filter((a) => a.key === direct).length, 1);
    const holders = lines.sites.filter((s) => s.hosts.some((h) => h.addresses.includes(direct)));
    assert.deepEqual(holders.map((s) => s.target).sort(), [direct, 'mlfarm.test'].sort());
    // A site line comes after every one of its address lines.
    const order = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type?: string; key?: string; target?: string });
    for (const s of lines.sites) {
      const at = order.findIndex((l) => l.type === 'site' && l.target === s.target);
      for (const key of s.hosts.flatMap((h) => h.addresses)) {
        assert.ok(order.findIndex((l) => l.type === 'address' && l.key === key) < at);
      }
    }
  });

  test('a refused address is unreachable; a domain whose every address fails is too', async () => {
    const r = await runCli(['audit', 'blackhole.test', ...flags, '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const lines = parseLines(r.stdout);
    const refused = lines.addresses.find((a) => a.status === 'connection-refused');
    assert.ok(refused, 'blackhole.test has a refusing MX');
    assert.ok(refused.findings.some((f) => f.id === 'unreachable'));
    assert.equal(lines.envelope.result!.summary.counts.unreachable >= 1, true);
  });

  test('a --file line that is no target becomes an invalid site; the rest run', async () => {
    const file = join(dir, 'targets.txt');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, `# lab\n${endpoint('esmtp')}\nnot a target!\n`);
    const r = await runCli(['audit', '--file', file, ...flags, '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const lines = parseLines(r.stdout);
    const bad = lines.sites.find((s) => s.status === 'invalid');
    assert.ok(bad);
    assert.match(bad.error ?? '', /line 3/);
    assert.equal(lines.addresses.length, 1);
  });
});

describe('audit: the command line', () => {
  test('the table ends with the counts and the worst findings', async () => {
    const r = await runCli(['audit', endpoint('vrfy-open'), ...flags]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 sites, 1 addresses probed/);
    assert.match(r.stdout, /1 {2}expose VRFY/);
    assert.match(r.stdout, /worst findings\n {2}medium /);
  });

  test('--fail-on medium exits 9 when a medium finding exists, 0 when none', async () => {
    const bad = await runCli(['audit', endpoint('vrfy-open'), ...flags, '--fail-on', 'medium']);
    assert.equal(bad.code, 9, bad.stderr);
    const fine = await runCli([
      'audit',
      endpoint('esmtp'),
      ...flags,
      '--checks',
      'connect,vrfy',
      '--fail-on',
      'medium',
    ]);
    assert.equal(fine.code, 0, fine.stdout);
  });

  for (const [what, args, pattern] of [
    ['an unknown check', ['--checks', 'caps,dns'], /--checks "dns" is not a list of/],
    ['a shard past the count', ['--shard', '4/4'], /--shard "4\/4" is not i\/n/],
    ['no concurrency', ['--concurrency', '0'], /--concurrency "0"/],
    ['a relay address with CR', ['--relay-to', 'a@b.test\r'], /control|invalid/i],
  ] as const) {
    test(`${what}: exit 2, one line, nothing sent`, async () => {
      const before = lab.sessions.length;
      const r = await runCli(['audit', endpoint('esmtp'), ...flags, ...args]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.equal(lab.sessions.length, before);
    });
  }

  test('a progress bar on stderr only on a terminal, and not under CI', async () => {
    const args = [
      'audit',
      endpoint('esmtp'),
      endpoint('vrfy-open'),
      ...flags,
      '--format',
      'ndjson',
    ];
    const tty = await runCli(args, { isTTY: true });
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stderr, /audit \|.*\| 2\/2 addresses · \d+\/s · ETA .* · 0 failed/);
    const piped = await runCli(args);
    assert.equal(piped.stderr, '');
    const ci = await runCli(args, { isTTY: true, env: { CI: 'true' } });
    assert.equal(ci.stderr, '');
    // The bar never mixes into the machine output.
    assert.equal(
      tty.stdout.trimEnd().split('\n').length,
      piped.stdout.trimEnd().split('\n').length,
    );
  });

  test('no targets: says what is needed, with an example', async () => {
    const r = await runCli(['audit', ...flags]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /audit needs targets, e\.g\. smtp-probe audit example\.com/);
  });

  test('Ctrl-C: status aborted, exit 130, with the summary so far', async () => {
    const ac = new AbortController();
    setImmediate(() => ac.abort());
    const r = await runCli(['audit', 'mlfarm.test', 'blackhole.test', ...flags, '--json'], {
      signal: ac.signal,
    });
    assert.equal(r.code, 130, r.stderr);
    const env = AuditOutputSchema.parse(JSON.parse(r.stdout));
    assert.equal(env.status, 'aborted');
    assert.ok(env.result?.summary);
  });

  test('--html writes one self-contained page naming every site', async () => {
    const file = join(dir, 'report.html');
    const r = await runCli([
      'audit',
      endpoint('vrfy-open'),
      'mlfarm.test',
      ...flags,
      '--html',
      file,
      '--format',
      'ndjson',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(file, 'utf8');
    assert.match(html, /Content-Security-Policy/);
    assert.ok(html.includes('mlfarm.test'));
    assert.ok(html.includes(endpoint('vrfy-open')));
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href="https?:/);
  });
});
