/**
 * The policy section of the MX walk against the lab: every policy scenario walked once (all at
 * once) with the lab's CA trusted and its HTTPS port for the policy fetch, then each checked for
 * the MTA-STS state, the fetch outcome, the per-MX verdicts, the DANE state per MX and the
 * findings that must be there. Also: DNS over HTTPS to the lab's DoH endpoint gives the same
 * walk with an https trace; --no-policy asks nothing; failover --mta-sts follows the policy.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../../src/lab/index.js';
import { probeMx, type MxOptions } from '../../src/probes/mx.js';
import { probeFailover } from '../../src/probes/failover.js';
import { MxResultSchema, type MxResult } from '../../src/schema/mx.js';
import type { DaneHost, StsState } from '../../src/schema/policy.js';
import { FailoverResultSchema } from '../../src/schema/failover.js';

const CLI = fileURLToPath(new URL('../../commands/cli.js', import.meta.url));

interface Expected {
  state: StsState;
  fetch?: string;
  verdicts?: [string, string][];
  dane?: [string, string][];
  findings?: string[];
}

/** EXPECTED: per lab policy scenario, what a walk must say (docs/lab.md has the same table in words). */
const EXPECTED: Record<string, Expected> = {
  'sts-enforce.test': {
    state: 'enforce',
    fetch: 'ok',
    verdicts: [['mx.sts-enforce.test', 'deliver']],
    dane: [['mx.sts-enforce.test', 'dane-valid']],
    findings: [],
  },
  'sts-missing.test': {
    state: 'enforce',
    fetch: 'ok',
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
    state: 'enforce',
    fetch: 'ok',
    verdicts: [
      ['mx1.sts-badcert.test', 'skip'],
      ['mx2.sts-badcert.test', 'deliver'],
    ],
    findings: ['sts-mx-skipped'],
  },
  'sts-notls.test': {
    state: 'enforce',
    fetch: 'ok',
    verdicts: [['mx.sts-notls.test', 'skip']],
    findings: ['sts-mx-skipped', 'sts-no-usable-mx'],
  },
  'sts-testing.test': {
    state: 'testing',
    fetch: 'ok',
    verdicts: [
      ['mx1.sts-testing.test', 'deliver'],
      ['mx2.sts-testing.test', 'report'],
    ],
    findings: ['sts-mx-fails-testing'],
  },
  'sts-none.test': {
    state: 'none',
    fetch: 'ok',
    verdicts: [['mx.sts-none.test', 'not-applied']],
    findings: [],
  },
  'sts-syntax.test': { state: 'invalid-policy', fetch: 'ok', verdicts: [] },
  'sts-tworecords.test': {
    state: 'no-record',
    verdicts: [],
    findings: ['sts-record-several', 'tlsrpt-rua-http'],
  },
  'sts-redirect.test': {
    state: 'fetch-failed',
    fetch: 'redirect',
    findings: ['sts-fetch-redirect'],
  },
  'sts-404.test': {
    state: 'fetch-failed',
    fetch: 'http-status',
    findings: ['sts-fetch-http-status'],
  },
  'sts-big.test': { state: 'fetch-failed', fetch: 'too-large', findings: ['sts-fetch-too-large'] },
  'sts-type.test': { state: 'fetch-failed', fetch: 'bad-type', findings: ['sts-fetch-bad-type'] },
  'mlfarm.test': { state: 'no-record', verdicts: [], dane: [['mx1.mlfarm.test', 'no-tlsa']] },
};

let lab: Lab;
let options: MxOptions;
const walks = new Map<string, MxResult>();

before(async () => {
  lab = await startLab({ port: 0 });
  options = {
    resolvers: [`${lab.dns.address}:${lab.dns.port}`],
    port: lab.port,
    mtaStsPort: lab.https.port,
    caFiles: [lab.caCertFile],
    timeouts: { connectMs: 2_000 },
  };
  await Promise.all(
    Object.keys(EXPECTED).map(async (d) => {
      const outcome = await probeMx(d, options);
      assert.equal(outcome.status, 'ok', `${d}: ${outcome.error?.message}`);
      walks.set(d, MxResultSchema.parse(outcome.result));
    }),
  );
});
after(() => lab.close());

describe('mx: the policy of every lab policy scenario', () => {
  for (const [domain, want] of Object.entries(EXPECTED)) {
    test(domain, () => {
      const policy = walks.get(domain)?.policy;
      assert.ok(policy, 'the walk has a policy section');
      assert.equal(policy.mtaSts.state, want.state);
      if (want.fetch)
        assert.equal(policy.mtaSts.fetch?.outcome, want.fetch, policy.mtaSts.fetch?.error);
      else assert.equal(policy.mtaSts.fetch, null, 'nothing fetched without a valid record');
      if (want.verdicts)
        assert.deepEqual(
          policy.mtaSts.verdicts.map((v) => [v.mx, v.outcome]),
          want.verdicts,
        );
      for (const [mx, state] of want.dane ?? []) {
        const d: DaneHost | undefined = policy.dane.find((x) => x.mx === mx);
        assert.equal(d?.state, state, `${mx}: ${d?.finding}`);
        assert.equal(d?.owner, `_${lab.port}._tcp.${mx}`, 'TLSA is asked at the probed port');
      }
      const ids = policy.findings.map((f) => f.id);
      for (const id of want.findings ?? [])
        assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
      if (want.findings?.length === 0)
        assert.deepEqual(
          policy.findings.filter((f) => f.severity !== 'info').map((f) => f.id),
          [],
        );
      for (const f of policy.findings) assert.match(f.ref, /^RFC \d+/, `${f.id} cites an RFC`);
    });
  }
});

test('the fetch and its findings say why: status, location, size, type', () => {
  const fetch = (d: string) => walks.get(d)!.policy!.mtaSts.fetch!;
  assert.equal(fetch('sts-404.test').status, 404);
  assert.equal(fetch('sts-redirect.test').status, 301);
  assert.match(
    fetch('sts-redirect.test').location ?? '',
    /^https:\/\/mta-sts\.sts-enforce\.test\//,
  );
  assert.ok((fetch('sts-big.test').bytes ?? 0) > 64 * 1024);
  assert.match(fetch('sts-type.test').contentType ?? '', /^text\/html/);
  assert.equal(fetch('sts-enforce.test').address, lab.https.address);
  const skipped = walks
    .get('sts-missing.test')!
    .policy!.findings.find((f) => f.id === 'sts-mx-skipped');
  assert.equal(skipped?.subject, 'mx2.sts-missing.test');
  assert.equal(skipped?.ref, 'RFC 8461 §4.1');
  assert.match(
    skipped?.message ?? '',
    /MX mx2\.sts-missing\.test not covered by the MTA-STS policy/,
  );
});

test('DANE: the matching record and depth of a valid chain; the address judged; the AD caveat', () => {
  const d = walks.get('sts-enforce.test')!.policy!.dane[0]!;
  assert.equal(d.authenticated, true);
  assert.deepEqual(d.matched, { record: 0, depth: 0 });
  assert.match(d.records[0] ?? '', /^3 1 1 [0-9a-f]{64}$/);
  assert.equal(d.address, walks.get('sts-enforce.test')!.hosts[0]!.addresses[0]!.address);
  assert.match(
    walks.get('sts-enforce.test')!.policy!.adNote,
    /only as trustworthy as the resolver/,
  );
  const unsigned = walks.get('sts-missing.test')!.policy!.dane[1]!;
  assert.equal(unsigned.authenticated, false);
  assert.equal(unsigned.records.length, 1, 'the records are shown even when unusable');
});

test('the policy questions join the DNS trace', () => {
  const asked = walks
    .get('sts-enforce.test')!
    .dns.map((e) => `${e.question.type} ${e.question.name}`);
  for (const q of [
    'TXT _mta-sts.sts-enforce.test',
    'TXT _smtp._tls.sts-enforce.test',
    `TLSA _${lab.port}._tcp.mx.sts-enforce.test`,
    'A mta-sts.sts-enforce.test',
  ])
    assert.ok(asked.includes(q), `${q} in the trace`);
});

test('--no-policy (policy: false): no policy section and no policy question', async () => {
  const { result } = await probeMx('sts-enforce.test', { ...options, policy: false });
  assert.equal(result.policy, undefined);
  assert.ok(result.dns.every((e) => e.question.type !== 'TXT' && e.question.type !== 'TLSA'));
});

test('DNS over HTTPS: the lab walked through its DoH endpoint, every exchange https, same verdicts', async () => {
  const { status, result } = await probeMx('sts-badcert.test', {
    ...options,
    resolvers: [lab.dohUrl],
  });
  assert.equal(status, 'ok');
  assert.deepEqual(result.resolvers, [lab.dohUrl]);
  assert.ok(result.dns.length > 4);
  for (const e of result.dns) {
    assert.equal(e.transport, 'https');
    assert.equal(e.server, lab.dohUrl);
  }
  assert.deepEqual(
    result.policy?.mtaSts.verdicts.map((v) => v.outcome),
    walks.get('sts-badcert.test')!.policy!.mtaSts.verdicts.map((v) => v.outcome),
  );
});

test('DoH from the CLI, mixed with plain DNS: exit 0, and the process ends (no idle connection keeps it)', async () => {
  // Not spawnSync: the lab runs in this process and must keep answering.
  const run = await promisify(execFile)(
    process.execPath,
    [
      CLI,
      'mx',
      'sts-enforce.test',
      '--resolver',
      lab.dohUrl,
      '--resolver',
      `${lab.dns.address}:${lab.dns.port}`,
      '--port',
      String(lab.port),
      '--mta-sts-port',
      String(lab.https.port),
      '--ca',
      lab.caCertFile,
      '--json',
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  const out = JSON.parse(run.stdout);
  assert.equal(out.result.policy.mtaSts.state, 'enforce');
  assert.deepEqual(out.result.resolvers, [lab.dohUrl, `${lab.dns.address}:${lab.dns.port}`]);
});

test('a DoH resolver whose certificate is not trusted: the lookup fails as a TLS error, nothing else is asked', async () => {
  const { status, error, result } = await probeMx('sts-enforce.test', {
    ...options,
    caFiles: [],
    resolvers: [lab.dohUrl],
  });
  assert.equal(status, 'host-unreachable');
  assert.equal(error?.code, 'RESOLVE_FAILED');
  assert.match(result.dns[0]?.error ?? '', /TLS with 127\.0\.0\.49:\d+ failed/);
  assert.equal(result.hosts.length, 0);
});

describe('failover --mta-sts: what a sender enforcing the policy does', () => {
  const failover = (domain: string, mtaSts = true) =>
    probeFailover(domain, { ...options, mtaSts }).then((o) => FailoverResultSchema.parse(o.result));

  test('a certificate that does not name the MX: left after STARTTLS, mail goes to the next', async () => {
    const r = await failover('sts-badcert.test');
    assert.equal(r.mtaSts, true);
    assert.deepEqual(
      r.attempts.map((a) => [a.host, a.status]),
      [
        ['mx1.sts-badcert.test', 'tls-error'],
        ['mx2.sts-badcert.test', 'ok'],
      ],
    );
    assert.match(r.attempts[0]!.policy ?? '', /does not name mx1\.sts-badcert\.test/);
    assert.equal(r.delivery.kind, 'delivered');
    assert.equal(r.delivery.host, 'mx2.sts-badcert.test');
    const plain = await failover('sts-badcert.test', false);
    assert.equal(
      plain.delivery.host,
      'mx1.sts-badcert.test',
      'without --mta-sts the first MX takes it',
    );
  });

  test('an MX the policy does not cover is never dialled', async () => {
    const r = await probeFailover('sts-missing.test', {
      ...options,
      mtaSts: true,
      assumeDown: ['mx1.sts-missing.test'],
    }).then((o) => o.result);
    assert.deepEqual(
      r.attempts.map((a) => a.host),
      ['mx1.sts-missing.test'],
    );
    assert.match(r.notTried[0]?.reason ?? '', /not covered by the MTA-STS policy/);
    assert.equal(r.delivery.kind, 'deferred');
  });

  test('no MX passes: the message queues', async () => {
    const r = await failover('sts-notls.test');
    assert.equal(r.delivery.kind, 'deferred');
    assert.match(r.delivery.text, /MTA-STS enforce/);
    assert.ok(r.queue && r.queue.retriesAtMs.length > 0);
  });

  test('testing mode: delivered as without it, and a note says so', async () => {
    const r = await failover('sts-testing.test');
    assert.equal(r.delivery.kind, 'delivered');
    assert.ok(r.notes.some((n) => /mode testing/.test(n)));
  });

  test('--mta-sts with --no-policy is refused before anything is sent', async () => {
    await assert.rejects(
      probeFailover('sts-badcert.test', { ...options, mtaSts: true, policy: false }),
      /--mta-sts applies the MTA-STS policy, which --no-policy skips/,
    );
  });
});
