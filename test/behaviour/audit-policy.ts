/**
 * The audit's `mta-sts` and `dane` checks against the lab's policy scenarios, in-process: each
 * domain's compact policy (the states `mx` reports for it, test/behaviour/mx-policy.ts), the
 * findings behind it among the site's with their RFCs, the summary's policy counts (and a merge
 * giving the same), a host:port target and a domain without policy records left alone, each
 * check alone (asking only its own questions), DNS over HTTPS, a resumed address whose chain is
 * not at hand, the HTML report, and `--fail-on high` from the CLI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { startLab, type Lab } from '../../src/lab/index.js';
import { type DnsTransport, UDP_TCP_TRANSPORT } from '../../src/dns/transport.js';
import { formatEndpoint } from '../../src/net/target.js';
import { renderAuditHtml } from '../../src/output/audit-html.js';
import { type AuditOptions, runAudit } from '../../src/probes/audit.js';
import {
  type AuditAddress,
  AuditOutputSchema,
  type AuditSite,
  AuditSiteSchema,
  type AuditSummary,
} from '../../src/schema/audit.js';
import type { AuditCheck } from '../../src/vocabulary.js';
import { runCli } from '../support/cli-run.js';

const CLI = fileURLToPath(new URL('../../commands/cli.js', import.meta.url));

/** Expected: a site's policy as the audit must report it, and finding ids that must be there. */
interface Expected {
  mtaSts: string;
  stsFetch: string | null;
  verdicts: [string, string][];
  dane: [string, string][];
  findings: string[];
}

/** EXPECTED: the states test/behaviour/mx-policy.ts expects of `mx` for the same domains. */
const EXPECTED: Record<string, Expected> = {
  'sts-enforce.test': {
    mtaSts: 'enforce',
    stsFetch: 'ok',
    verdicts: [['mx.sts-enforce.test', 'deliver']],
    dane: [['mx.sts-enforce.test', 'dane-valid']],
    findings: [],
  },
  'sts-missing.test': {
    mtaSts: 'enforce',
    stsFetch: 'ok',
    verdicts: [
      ['mx1.sts-missing.test', 'deliver'],
      ['mx2.sts-missing.test', 'skip'],
    ],
    dane: [
      ['mx1.sts-missing.test', 'dane-mismatch'],
      ['mx2.sts-missing.test', 'tlsa-without-dnssec'],
    ],
    findings: ['sts-mx-skipped', 'dane-mismatch', 'tlsa-without-dnssec'],
  },
  'sts-badcert.test': {
    mtaSts: 'enforce',
    stsFetch: 'ok',
    verdicts: [
      ['mx1.sts-badcert.test', 'skip'],
      ['mx2.sts-badcert.test', 'deliver'],
    ],
    dane: [
      ['mx1.sts-badcert.test', 'no-tlsa'],
      ['mx2.sts-badcert.test', 'no-tlsa'],
    ],
    findings: ['sts-mx-skipped', 'cert-name-mismatch'],
  },
  'sts-notls.test': {
    mtaSts: 'enforce',
    stsFetch: 'ok',
    verdicts: [['mx.sts-notls.test', 'skip']],
    dane: [['mx.sts-notls.test', 'no-tlsa']],
    findings: ['sts-mx-skipped', 'sts-no-usable-mx'],
  },
  'sts-testing.test': {
    mtaSts: 'testing',
    stsFetch: 'ok',
    verdicts: [
      ['mx1.sts-testing.test', 'deliver'],
      ['mx2.sts-testing.test', 'report'],
    ],
    dane: [
      ['mx1.sts-testing.test', 'no-tlsa'],
      ['mx2.sts-testing.test', 'no-tlsa'],
    ],
    findings: ['sts-mx-fails-testing'],
  },
  'sts-404.test': {
    mtaSts: 'fetch-failed',
    stsFetch: 'http-status',
    verdicts: [],
    dane: [['mx.sts-404.test', 'no-tlsa']],
    findings: ['sts-fetch-http-status'],
  },
  'sts-tworecords.test': {
    mtaSts: 'no-record',
    stsFetch: null,
    verdicts: [],
    dane: [['mx.sts-tworecords.test', 'no-tlsa']],
    findings: ['sts-record-several', 'tlsrpt-rua-http'],
  },
  'mlfarm.test': {
    mtaSts: 'no-record',
    stsFetch: null,
    verdicts: [],
    dane: [
      ['mx1.mlfarm.test', 'no-tlsa'],
      ['mx2.mlfarm.test', 'no-tlsa'],
    ],
    findings: [],
  },
};

/** POLICY_ID: the ids the policy checks give findings under. */
const POLICY_ID = /^(sts-|tlsrpt-|dane-|tlsa-|no-usable-tlsa)/;

/** Run: what one runAudit reported, and every DNS question it asked ("TYPE name"). */
interface Run {
  sites: Map<string, AuditSite>;
  addresses: Map<string, AuditAddress>;
  summary: AuditSummary;
  asked: string[];
}

let lab: Lab;
let options: AuditOptions;
let hostTarget: string;
let dir: string;

/** recording: the UDP/TCP transport, noting each question it carries. */
function recording(asked: string[]): DnsTransport {
  return {
    protocol: (tcp, server) => UDP_TCP_TRANSPORT.protocol(tcp, server),
    exchange: (query, server, opts) => {
      const q = dnsPacket.decode(query).questions?.[0];
      if (q) asked.push(`${q.type} ${q.name.toLowerCase()}`);
      return UDP_TCP_TRANSPORT.exchange(query, server, opts);
    },
  };
}

async function audit(targets: string[], more: Partial<AuditOptions> = {}): Promise<Run> {
  const run: Run = {
    sites: new Map(),
    addresses: new Map(),
    summary: undefined as never,
    asked: [],
  };
  const outcome = await runAudit(
    targets.map((text) => ({ text })),
    {
      ...options,
      dnsTransport: recording(run.asked),
      ...more,
      onSite: (s) => run.sites.set(s.target, AuditSiteSchema.parse(s)),
      onAddress: (a) => run.addresses.set(a.key, a),
    },
  );
  assert.equal(outcome.status, 'ok', outcome.error?.message);
  run.summary = outcome.result;
  return run;
}

const states = (s: AuditSite | undefined) => ({
  mtaSts: s?.policy?.mtaSts,
  stsFetch: s?.policy?.stsFetch,
  verdicts: s?.policy?.stsVerdicts.map((v) => [v.mx, v.outcome]),
  dane: s?.policy?.dane?.map((d) => [d.mx, d.state]),
});

before(async () => {
  lab = await startLab({ port: 0 });
  options = {
    resolvers: [formatEndpoint(lab.dns.address, lab.dns.port)],
    port: lab.port,
    mtaStsPort: lab.https.port,
    caFiles: [lab.caCertFile],
    timeouts: { connectMs: 2_000 },
  };
  const esmtp = lab.host('esmtp');
  hostTarget = formatEndpoint(esmtp.address, esmtp.port);
  dir = mkdtempSync(join(tmpdir(), 'smtp-probe-audit-policy-'));
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit (all checks) over the lab policy scenarios', () => {
  let run: Run;
  before(async () => {
    run = await audit([...Object.keys(EXPECTED), hostTarget]);
  });

  for (const [domain, want] of Object.entries(EXPECTED)) {
    test(`${domain}: the states mx reports, and the findings behind them`, () => {
      const site = run.sites.get(domain);
      assert.ok(site, `a site line for ${domain}`);
      assert.deepEqual(states(site), {
        mtaSts: want.mtaSts,
        stsFetch: want.stsFetch,
        verdicts: want.verdicts,
        dane: want.dane,
      });
      const ids = site.findings.map((f) => f.id);
      for (const id of want.findings) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
      for (const f of site.findings.filter((x) => POLICY_ID.test(x.id))) {
        assert.match(f.ref, /^RFC \d+/, `${f.id} cites an RFC`);
        assert.equal(f.address, null, `${f.id} is the site's own`);
      }
    });
  }

  test('TLS-RPT: published by the scenarios, not by mlfarm.test', () => {
    assert.equal(run.sites.get('sts-enforce.test')?.policy?.tlsRpt, true);
    assert.equal(run.sites.get('mlfarm.test')?.policy?.tlsRpt, false);
  });

  test('a policy finding names what it concerns; the site worst first', () => {
    const s = run.sites.get('sts-missing.test')!;
    const skipped = s.findings.find((f) => f.id === 'sts-mx-skipped');
    assert.match(
      skipped?.message ?? '',
      /mx2\.sts-missing\.test not covered by the MTA-STS policy/,
    );
    assert.equal(skipped?.ref, 'RFC 8461 §4.1');
    assert.equal(s.worst, 'high');
    assert.equal(s.findings[0]?.severity, 'high');
    const tworecords = run.sites.get('sts-tworecords.test')!;
    const several = tworecords.findings.find((f) => f.id === 'sts-record-several');
    assert.match(several?.message ?? '', /^_mta-sts\.sts-tworecords\.test: /);
  });

  test('a host:port target and a domain without policy records: no medium or high policy finding', () => {
    const host = run.sites.get(hostTarget);
    assert.equal(host?.kind, 'host');
    assert.equal(host?.policy, null, 'a host target has no domain policy');
    assert.deepEqual(
      host?.findings.filter((f) => POLICY_ID.test(f.id)),
      [],
    );
    const plain = run.sites.get('mlfarm.test')!;
    assert.deepEqual(
      plain.findings
        .filter((f) => POLICY_ID.test(f.id) && (f.severity === 'high' || f.severity === 'medium'))
        .map((f) => f.id),
      [],
    );
    assert.ok(!run.asked.includes(`A mta-sts.mlfarm.test`), 'no fetch without a valid record');
    assert.ok(run.asked.includes('A mta-sts.sts-enforce.test'), 'a fetch for a valid record');
  });

  test('the summary counts sites by policy problem; the address records carry no chain', () => {
    assert.deepEqual(
      [run.summary.counts.stsSkipsMx, run.summary.counts.stsBroken, run.summary.counts.daneFails],
      [3, 1, 1],
      'skips: missing, badcert, notls; broken: 404; DANE: missing',
    );
    assert.deepEqual(run.summary.checks.slice(-2), ['mta-sts', 'dane']);
    for (const a of run.addresses.values())
      assert.doesNotMatch(JSON.stringify(a), /digest|"der"|sha256/i, a.key);
  });

  test('audit merge of the NDJSON lines gives the same counts and checks', async () => {
    const file = join(dir, 'run.ndjson');
    const lines = [
      ...[...run.addresses.values()].map((a) => ({ type: 'address', ...a })),
      ...[...run.sites.values()].map((s) => ({ type: 'site', ...s })),
    ];
    writeFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const r = await runCli(['audit', 'merge', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const merged = AuditOutputSchema.parse(JSON.parse(r.stdout)).result!.summary;
    assert.deepEqual(merged.counts, run.summary.counts);
    assert.deepEqual(merged.bySeverity, run.summary.bySeverity);
    assert.ok(merged.checks.includes('mta-sts') && merged.checks.includes('dane'));
  });

  test('the HTML report charts the policy counts and shows each site’s policy', () => {
    const page = renderAuditHtml({
      summary: run.summary,
      sites: run.sites.values(),
      addresses: run.addresses,
      generatedAt: new Date(0),
    });
    assert.match(page, /<figure id="chart-policy">/);
    assert.ok(page.includes('data-count="MTA-STS skips an MX">3'));
    assert.ok(page.includes('policy: MTA-STS enforce: mx1.sts-missing.test deliver'));
    assert.ok(page.includes('DANE: mx.sts-enforce.test dane-valid'));
  });
});

describe('each check alone', () => {
  const only = (...checks: AuditCheck[]) =>
    audit(['sts-enforce.test', 'sts-missing.test'], { checks });

  test('--checks mta-sts: MTA-STS judged (tls runs with it), no TLSA asked, no DANE', async () => {
    const run = await only('mta-sts');
    assert.deepEqual(run.summary.checks, ['tls', 'mta-sts']);
    const s = run.sites.get('sts-missing.test');
    assert.deepEqual(states(s), {
      mtaSts: 'enforce',
      stsFetch: 'ok',
      verdicts: EXPECTED['sts-missing.test']!.verdicts,
      dane: undefined,
    });
    assert.equal(s?.policy?.dane, null);
    assert.ok(!s?.findings.some((f) => /^(dane-|tlsa-)/.test(f.id)));
    assert.deepEqual(
      run.asked.filter((q) => q.startsWith('TLSA ')),
      [],
    );
  });

  test('--checks dane: DANE judged, no TXT asked, nothing fetched', async () => {
    const run = await only('dane');
    assert.deepEqual(run.summary.checks, ['tls', 'dane']);
    const s = run.sites.get('sts-missing.test');
    assert.equal(s?.policy?.mtaSts, null);
    assert.equal(s?.policy?.tlsRpt, null);
    assert.deepEqual(states(s).dane, EXPECTED['sts-missing.test']!.dane);
    assert.ok(!s?.findings.some((f) => f.id.startsWith('sts-')));
    assert.deepEqual(
      run.asked.filter((q) => q.startsWith('TXT ') || q.includes('mta-sts.')),
      [],
    );
    assert.ok(run.asked.includes(`TLSA _${lab.port}._tcp.mx.sts-enforce.test`));
  });

  test('neither: no policy and no policy question', async () => {
    const run = await only('connect', 'tls');
    assert.equal(run.sites.get('sts-enforce.test')?.policy, null);
    assert.deepEqual(
      run.asked.filter((q) => q.startsWith('TXT ') || q.startsWith('TLSA ')),
      [],
    );
  });
});

test('DNS over HTTPS: the policy questions go to the DoH resolver, same states', async () => {
  const run = await audit(['sts-enforce.test', 'sts-missing.test'], {
    resolvers: [lab.dohUrl],
  });
  assert.deepEqual(run.asked, [], 'nothing went over UDP or TCP');
  for (const d of ['sts-enforce.test', 'sts-missing.test']) {
    const want = EXPECTED[d]!;
    assert.deepEqual(states(run.sites.get(d)), {
      mtaSts: want.mtaSts,
      stsFetch: want.stsFetch,
      verdicts: want.verdicts,
      dane: want.dane,
    });
  }
});

test('an address read back from --resume: its chain is not at hand, so DANE says nothing rather than "no TLS"', async () => {
  const first = await audit(['sts-enforce.test']);
  const resumed = await audit(['sts-enforce.test'], {
    done: { sites: new Map(), addresses: first.addresses },
  });
  assert.equal(resumed.addresses.size, 0, 'nothing probed again');
  const s = resumed.sites.get('sts-enforce.test');
  assert.deepEqual(s?.policy?.dane, [{ mx: 'mx.sts-enforce.test', state: null }]);
  assert.ok(!s?.findings.some((f) => f.id === 'dane-no-tls'));
  assert.deepEqual(s?.policy?.stsVerdicts, [{ mx: 'mx.sts-enforce.test', outcome: 'deliver' }]);
});

test('Ctrl-C while a policy is being fetched: the run ends aborted, not with a stray error', async () => {
  const stop = new AbortController();
  const asked: string[] = [];
  const base = recording(asked);
  const transport: DnsTransport = {
    protocol: base.protocol,
    exchange: (query, server, opts) => {
      const q = dnsPacket.decode(query).questions?.[0];
      // The policy host is being resolved: the fetch has begun.
      if (q?.name.toLowerCase() === 'mta-sts.sts-enforce.test') stop.abort();
      return base.exchange(query, server, opts);
    },
  };
  const outcome = await runAudit([{ text: 'sts-enforce.test' }], {
    ...options,
    dnsTransport: transport,
    signal: stop.signal,
  });
  assert.ok(stop.signal.aborted, 'the fetch was reached');
  assert.equal(outcome.status, 'aborted');
  assert.equal(outcome.error?.code, 'ABORTED');
});

describe('the CLI', () => {
  const cli = async (args: string[]): Promise<{ code: number; stdout: string }> => {
    // Not spawnSync: the lab runs in this process and must keep answering.
    try {
      const r = await promisify(execFile)(
        process.execPath,
        [
          CLI,
          'audit',
          ...args,
          '--resolver',
          formatEndpoint(lab.dns.address, lab.dns.port),
          '--port',
          String(lab.port),
          '--mta-sts-port',
          String(lab.https.port),
          '--ca',
          lab.caCertFile,
          '--json',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      return { code: 0, stdout: r.stdout };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '' };
    }
  };

  test('--checks mta-sts --fail-on high: exit 9 for sts-notls.test (the tls check alone: 0)', async () => {
    const failed = await cli(['sts-notls.test', '--checks', 'mta-sts', '--fail-on', 'high']);
    assert.equal(failed.code, 9);
    const out = AuditOutputSchema.parse(JSON.parse(failed.stdout));
    const site = out.result?.sites?.find((s) => s.target === 'sts-notls.test');
    assert.equal(site?.policy?.mtaSts, 'enforce');
    assert.ok(site?.findings.some((f) => f.id === 'sts-no-usable-mx' && f.severity === 'high'));
    const tlsOnly = await cli(['sts-notls.test', '--checks', 'tls', '--fail-on', 'high']);
    assert.equal(tlsOnly.code, 0, 'without the policy check nothing is high');
  });

  test('--checks validates the policy checks like the others', async () => {
    const r = await runCli(['audit', 'example.test', '--checks', 'dane,mta-sts,stsv1']);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /--checks "stsv1" is not a list of .*mta-sts, dane/);
    const fine = await runCli(['audit', '--checks', 'dane,mta-sts']);
    assert.match(fine.stderr, /audit needs targets/, 'both names are accepted');
  });
});
