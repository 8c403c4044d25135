/**
 * The audit at scale, as real processes against a lab with audit sites: a run killed with
 * SIGKILL and resumed (the same command line again) ends with the same set of lines as an
 * uninterrupted run, nothing lost or repeated; four shards cover the input exactly once and
 * `audit merge` gives the summary one run gives; the lab's mix shows up as the verdicts it
 * plays (open relay, backscatter from a backup MX, an expired certificate).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { siteDomains, startLab, type Lab } from '../../src/lab/index.js';
import { formatEndpoint } from '../../src/net/target.js';
import { type AuditAddress, type AuditSite, AuditOutputSchema } from '../../src/schema/audit.js';
import { NDJSON_LINE_SCHEMAS } from '../../src/schema/lines.js';
import { runAudit } from '../../src/probes/audit.js';
import { runCli, spawnCli } from '../support/cli-run.js';
import { MxOutputSchema } from '../../src/schema/mx.js';

const SITES = 40;
let lab: Lab;
let dir: string;
let targets: string;
let flags: string[];

before(async () => {
  lab = await startLab({ port: 0, sites: SITES, hosts: ['esmtp'] });
  dir = mkdtempSync(join(tmpdir(), 'smtp-probe-audit-scale-'));
  targets = join(dir, 'domains.txt');
  writeFileSync(targets, `# ${SITES} lab sites\n${siteDomains(SITES).join('\n')}\n`);
  flags = [
    '--file',
    targets,
    '--resolver',
    formatEndpoint(lab.dns.address, lab.dns.port),
    '--port',
    String(lab.port),
    '--greeting-timeout',
    '1s',
    '--connect-timeout',
    '1s',
    '--ca',
    lab.caCertFile,
  ];
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Read {
  addresses: Map<string, AuditAddress>;
  sites: Map<string, AuditSite>;
  /** every line's identity, in order, duplicates kept */
  ids: string[];
  envelopes: ReturnType<typeof AuditOutputSchema.parse>[];
}

function readLines(file: string): Read {
  const out: Read = { addresses: new Map(), sites: new Map(), ids: [], envelopes: [] };
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), `${file} ends with a whole line`);
  for (const l of text.trimEnd().split('\n')) {
    const line = NDJSON_LINE_SCHEMAS.audit.parse(JSON.parse(l));
    if ('type' in line && line.type === 'address') {
      out.addresses.set(line.key, line);
      out.ids.push(`address ${line.key}`);
    } else if ('type' in line && line.type === 'site') {
      out.sites.set(line.target, line);
      out.ids.push(`site ${line.target}`);
    } else out.envelopes.push(AuditOutputSchema.parse(line));
  }
  return out;
}

async function audit(args: string[]): Promise<void> {
  const child = spawnCli(['audit', ...flags, '--format', 'ndjson', ...args]);
  const code = await child.exited;
  assert.equal(code, 0, child.stderr());
}

/** labFlags: the flags that point a walk at the lab. */
function labFlags(): string[] {
  return [
    '--resolver',
    formatEndpoint(lab.dns.address, lab.dns.port),
    '--port',
    String(lab.port),
    '--ca',
    lab.caCertFile,
  ];
}

/** what a line says, without its timing and the random names a run makes up. */
function verdicts(r: Read): string[] {
  const a = [...r.addresses.values()].map(
    (x) =>
      `${x.key} ${x.status} vrfy=${x.vrfy?.exposure} expn=${x.expn?.exposure} relay=${x.relay?.verdict} tls=${x.tls?.outcome} ${x.findings.map((f) => f.id).join(',')}`,
  );
  const s = [...r.sites.values()].map(
    (x) =>
      `${x.target} ${x.status} ${x.worst} ${x.findings.map((f) => `${f.id}@${f.address}`).join(',')}`,
  );
  return [...a, ...s].sort();
}

let full: Read;
describe('audit over lab sites', () => {
  before(async () => {
    await audit(['--resume', join(dir, 'full.ndjson')]);
    full = readLines(join(dir, 'full.ndjson'));
  });

  test('every site once, every address once, one closing envelope', () => {
    assert.equal(full.sites.size, SITES);
    assert.deepEqual([...full.sites.keys()].sort(), [...siteDomains(SITES)].sort());
    assert.equal(new Set(full.ids).size, full.ids.length, 'no line repeated');
    assert.equal(full.envelopes.length, 1);
    assert.equal(full.envelopes[0]!.result!.summary.sites, SITES);
    assert.equal(full.envelopes[0]!.result!.summary.addresses, full.addresses.size);
  });

  test("a site's findings come worst first (its DNS lint included), and an unreachable address is named once", () => {
    const rank = ['info', 'low', 'medium', 'high'];
    for (const s of full.sites.values()) {
      const ranks = s.findings.map((f) => rank.indexOf(f.severity));
      assert.deepEqual(
        ranks,
        [...ranks].sort((a, b) => b - a),
        s.target,
      );
      assert.equal(s.findings[0]?.severity ?? null, s.worst, s.target);
    }
    for (const a of full.addresses.values()) {
      for (const f of a.findings.filter((x) => x.id === 'unreachable')) {
        assert.equal(f.message.split(a.key).length - 1, 1, f.message);
      }
    }
  });

  test('hosts shared by several sites are probed once', () => {
    const holders = new Map<string, number>();
    for (const s of full.sites.values())
      for (const k of s.hosts.flatMap((h) => h.addresses))
        holders.set(k, (holders.get(k) ?? 0) + 1);
    assert.ok(
      [...holders.values()].some((n) => n > 1),
      'the mix has shared hosts',
    );
    assert.deepEqual([...holders.keys()].sort(), [...full.addresses.keys()].sort());
  });

  test("the mix's exposures are found: VRFY, EXPN, open relay, expired certificate, no STARTTLS, refused, mute", () => {
    const byHost = (personality: string): AuditAddress[] =>
      lab.sites.hosts
        .filter((h) => h.personality === personality)
        .flatMap((h) => h.addresses.map((a) => full.addresses.get(formatEndpoint(a, lab.port))))
        .filter((a): a is AuditAddress => a !== undefined);
    const one = (personality: string): AuditAddress[] => {
      const list = byHost(personality);
      assert.ok(list.length > 0, `the lab runs ${personality} and it was probed`);
      return list;
    };
    for (const a of one('site-vrfy-open')) assert.equal(a.vrfy?.exposure, 'discloses');
    for (const a of one('site-vrfy-252')) assert.equal(a.vrfy?.exposure, 'blanket-252');
    for (const a of one('site-expn-open')) assert.equal(a.expn?.exposure, 'discloses');
    for (const a of one('site-open-relay')) {
      assert.equal(a.relay?.verdict, 'open');
      assert.ok(a.findings.some((f) => f.id === 'open-relay' && f.severity === 'high'));
    }
    for (const a of one('site-expired-cert'))
      assert.ok(a.findings.some((f) => f.id === 'cert-expired'));
    for (const a of one('site-no-tls')) assert.equal(a.tls?.outcome, 'not-offered');
    for (const a of one('site-mute')) assert.equal(a.status, 'greeting-timeout');
    for (const a of one('site')) {
      assert.equal(a.relay?.verdict, 'closed');
      assert.equal(a.vrfy?.exposure, 'disabled');
    }
    const s = full.envelopes[0]!.result!.summary;
    assert.equal(s.counts.openRelay, byHost('site-open-relay').length);
    assert.ok(s.counts.unreachable >= byHost('site-mute').length);
  });

  test('mx-consistency: a backup MX that takes what the primary refuses is backscatter', () => {
    const backed = [...full.sites.values()].filter((s) => s.hosts.length === 2);
    assert.ok(backed.length > 0, 'the mix has domains with a backup MX');
    for (const s of backed) {
      assert.ok(
        s.findings.some((f) => f.id === 'mx-backscatter'),
        `${s.target}: ${JSON.stringify(s.findings.map((f) => f.id))}`,
      );
    }
  });

  test('mx --consistency: the backup MX that takes a made-up recipient is named; a one-host domain has nothing to compare', async () => {
    const backed = lab.sites.domains.find((d) => d.layout === 'backup');
    const single = lab.sites.domains.find((d) => d.layout === 'own' && d.personality === 'site');
    assert.ok(backed && single);
    const walk = (domain: string) =>
      runCli(['mx', domain, ...labFlags(), '--consistency', '--json']);
    const r = await walk(backed.domain);
    assert.equal(r.code, 0, r.stderr);
    const c = MxOutputSchema.parse(JSON.parse(r.stdout)).result!.consistency!;
    assert.equal(c.addresses.length, 2);
    const backscatter = c.findings.find((f) => f.id === 'mx-backscatter');
    assert.ok(backscatter, JSON.stringify(c.findings));
    const backup = backed.mx.find((m) => m.preference > 10)!.host;
    assert.ok(backscatter.message.startsWith(`${backup} accepts`), backscatter.message);
    const table = await runCli(['mx', backed.domain, ...labFlags(), '--consistency']);
    assert.match(
      table.stdout,
      /Consistency \(2 addresses compared\)\n {2}medium [\s\S]*backscatter/,
    );
    const one = await walk(single.domain);
    const solo = MxOutputSchema.parse(JSON.parse(one.stdout)).result!.consistency!;
    assert.deepEqual(solo.findings, []);
    assert.ok(
      lab.sessions.every((s) => s.data === 0),
      'never DATA',
    );
  });

  test('in windows of 7 sites (a provider met again in a later window is not asked again): the same verdicts', async () => {
    const addresses = new Map<string, AuditAddress>();
    const sites = new Map<string, AuditSite>();
    const outcome = await runAudit(
      siteDomains(SITES).map((text) => ({ text })),
      {
        window: 7,
        resolvers: [formatEndpoint(lab.dns.address, lab.dns.port)],
        port: lab.port,
        caFiles: [lab.caCertFile],
        timeouts: { greetingMs: 1_000, connectMs: 1_000 },
        onAddress: (a) => {
          assert.ok(!addresses.has(a.key), `${a.key} reported once`);
          addresses.set(a.key, a);
        },
        onSite: (s) => sites.set(s.target, s),
      },
    );
    assert.equal(outcome.status, 'ok');
    const windowed = { addresses, sites, ids: [], envelopes: [] };
    assert.deepEqual(verdicts(windowed), verdicts(full));
    assert.deepEqual(outcome.result.counts, full.envelopes[0]!.result!.summary.counts);
  });

  for (const killAfter of [1, 25]) {
    test(`killed with SIGKILL after ${killAfter} lines and resumed: the same lines as one run`, async () => {
      const file = join(dir, `killed-${killAfter}.ndjson`);
      const child = spawnCli([
        'audit',
        ...flags,
        '--format',
        'ndjson',
        '--concurrency',
        '2',
        '--resume',
        file,
      ]);
      await child.waitFor((out) => out.split('\n').length > killAfter, 30_000);
      child.proc.kill('SIGKILL');
      await child.exited;
      assert.ok(existsSync(file));
      const cut = readFileSync(file, 'utf8').trimEnd().split('\n').length;
      assert.ok(cut < full.ids.length + 1, 'the kill came before the end');
      await audit(['--resume', file]);
      const resumed = readLines(file);
      assert.deepEqual(
        resumed.ids.filter((id, i) => resumed.ids.indexOf(id) !== i),
        [],
        'nothing repeated',
      );
      assert.deepEqual([...resumed.ids].sort(), [...full.ids].sort(), 'nothing lost');
      assert.deepEqual(verdicts(resumed), verdicts(full));
      assert.equal(resumed.envelopes.length, 1);
      assert.deepEqual(
        resumed.envelopes[0]!.result!.summary.counts,
        full.envelopes[0]!.result!.summary.counts,
      );
    });
  }

  test('four shards cover the input once; merged, they give the summary of one run', async () => {
    const parts = [0, 1, 2, 3].map((i) => join(dir, `part${i}.ndjson`));
    await Promise.all(parts.map((p, i) => audit(['--shard', `${i}/4`, '--resume', p])));
    const reads = parts.map(readLines);
    const siteSets = reads.map((r) => [...r.sites.keys()]);
    assert.equal(siteSets.flat().length, SITES, 'each site in one shard only');
    assert.deepEqual(siteSets.flat().sort(), [...full.sites.keys()].sort());
    assert.ok(
      siteSets.every((s) => s.length > 0 && s.length < SITES),
      'every shard has a share',
    );
    const merge = spawnCli(['audit', 'merge', ...parts, '--json']);
    assert.equal(await merge.exited, 0, merge.stderr());
    const merged = AuditOutputSchema.parse(JSON.parse(merge.stdout())).result!.summary;
    const single = full.envelopes[0]!.result!.summary;
    const shape = (s: typeof single) => ({
      ...s,
      worst: s.worst.map((f) => `${f.severity} ${f.site} ${f.id} ${f.address}`),
    });
    assert.deepEqual(shape(merged), shape(single));
  });
});
