/**
 * Streams and transcripts on the commands with many sessions, against the lab:
 * --format ndjson prints each address as it finishes, then the envelope;
 * --transcript labels every live line with its host and session and keeps each
 * session's lines in the JSON; demo --json is one document.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../src/lab/index.js';
import { formatEndpoint } from '../../src/net/target.js';
import { DemoOutputSchema, NDJSON_LINE_SCHEMAS } from '../../src/schema/lines.js';
import { MxOutputSchema } from '../../src/schema/mx.js';
import { VerifyOutputSchema } from '../../src/schema/verify.js';
import { runCli } from '../support/cli-run.js';

let lab: Lab;
let walk: string[];
before(async () => {
  lab = await startLab({ port: 0, hosts: ['mlfarm.test', 'catchall.test', 'blackhole.test'] });
  walk = ['--resolver', formatEndpoint(lab.dns.address, lab.dns.port), '--port', String(lab.port)];
});
after(() => lab.close());

const ndjson = (stdout: string): unknown[] =>
  stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);

describe('--format ndjson', () => {
  test('verify: one line per address as soon as its verdict is final, then the envelope', async () => {
    const addresses = ['alice@catchall.test', 'nobody@mlfarm.test', 'x@mlfarm.test'];
    const run = await runCli(['verify', ...addresses, ...walk, '--format', 'ndjson']);
    assert.equal(run.code, 0, run.stderr);
    const lines = ndjson(run.stdout).map((l) => NDJSON_LINE_SCHEMAS.verify.parse(l));
    assert.equal(lines.length, 4);
    const items = lines.slice(0, 3) as { type: 'address'; input: string }[];
    assert.ok(items.every((l) => l.type === 'address'));
    assert.deepEqual(items.map((l) => l.input).sort(), [...addresses].sort());
    const env = VerifyOutputSchema.parse(lines.at(-1));
    assert.equal(env.result?.addresses.length, 3);
  });

  test('mx: one line per probed address with its host, then the walk', async () => {
    const run = await runCli(['mx', 'mlfarm.test', ...walk, '--format', 'ndjson']);
    assert.equal(run.code, 0, run.stderr);
    const lines = ndjson(run.stdout).map((l) => NDJSON_LINE_SCHEMAS.mx.parse(l));
    const env = MxOutputSchema.parse(lines.at(-1));
    const probed = env.result!.hosts.flatMap((h) =>
      h.addresses.map((a) => `${h.name} ${a.address}`),
    );
    const streamed = (lines.slice(0, -1) as { host: string; address: string }[]).map(
      (l) => `${l.host} ${l.address}`,
    );
    assert.deepEqual(streamed.sort(), probed.sort());
  });

  test('schema verify --format ndjson describes a line: an address or the envelope', async () => {
    const run = await runCli(['schema', 'verify', '--format', 'ndjson']);
    assert.equal(run.code, 0, run.stderr);
    const schema = JSON.parse(run.stdout) as { anyOf?: unknown[] };
    assert.equal(schema.anyOf?.length, 2);
  });
});

describe('--transcript on many sessions', () => {
  test('verify: live lines labelled with host, address and session; each session in the JSON', async () => {
    const run = await runCli(['verify', 'nobody@mlfarm.test', ...walk, '--json', '--transcript']);
    assert.equal(run.code, 0, run.stderr);
    const mx = lab.host('mx1.mlfarm.test');
    const label = `mx1.mlfarm.test ${formatEndpoint(mx.address, mx.port)} #1`;
    assert.ok(
      run.stderr
        .split('\n')
        .some((l) => l.startsWith(`${label} `) && l.includes('>>> RCPT TO:<nobody@mlfarm.test>')),
      run.stderr,
    );
    const env = VerifyOutputSchema.parse(JSON.parse(run.stdout));
    const t = env.result!.domains[0]!.transcripts!;
    assert.equal(t[0]!.host, 'mx1.mlfarm.test');
    assert.ok(
      t[0]!.entries.some((e) => e.dir === 'send' && e.line === 'RCPT TO:<nobody@mlfarm.test>'),
    );
  });

  test('mx: live lines labelled with host and address; each address keeps its session', async () => {
    const run = await runCli(['mx', 'mlfarm.test', ...walk, '--json', '--transcript']);
    assert.equal(run.code, 0, run.stderr);
    const env = MxOutputSchema.parse(JSON.parse(run.stdout));
    for (const h of env.result!.hosts) {
      for (const a of h.addresses) {
        const label = `${h.name} ${formatEndpoint(a.address, lab.port)}`;
        assert.ok(run.stderr.includes(`${label} `), `${label} on stderr`);
        assert.ok(
          a.transcript?.some((e) => e.dir === 'send' && e.line.startsWith('EHLO')),
          label,
        );
      }
    }
  });

  test('without --transcript nothing goes to stderr and the JSON carries no transcripts', async () => {
    const run = await runCli(['verify', 'nobody@mlfarm.test', ...walk, '--json']);
    assert.equal(run.stderr, '');
    const env = VerifyOutputSchema.parse(JSON.parse(run.stdout));
    assert.equal(env.result!.domains[0]!.transcripts, undefined);
  });
});

describe('demo --json', () => {
  test('one JSON document: every step with its envelope', async () => {
    const run = await runCli(['demo', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const doc = DemoOutputSchema.parse(JSON.parse(run.stdout));
    assert.equal(doc.status, 'ok');
    assert.equal(doc.error, null);
    assert.deepEqual(
      doc.result!.steps.map((s) => s.envelope.command),
      [
        ...doc.result!.steps.slice(0, -5).map(() => 'caps'),
        'mx',
        'failover',
        'failover',
        'audit',
        'send',
      ],
    );
  });
});
