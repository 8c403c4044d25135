/**
 * The policy section, pure: TXT presentation text back to strings, TLSA text to records, what an
 * MTA-STS sender learns of a host's TLS, the whole report from hand-made lookups (state, findings
 * and their subjects, worst first), the verdict note, and the timeline of a sender enforcing it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { characterString, txtStrings } from '../../src/dns/records.js';
import {
  enforcedVerdictText,
  policyReport,
  stsTlsOf,
  tlsaOf,
  type PolicyInputs,
} from '../../src/mx/policy.js';
import { buildTimeline } from '../../src/mx/timeline.js';
import { resolveProfile } from '../../src/mx/profiles.js';
import type { DnsRecord, Lookup } from '../../src/schema/dns.js';
import {
  MxResultSchema,
  type AddressProbe,
  type MxHost,
  type MxResult,
} from '../../src/schema/mx.js';
import { PolicyReportSchema, type StsFetch } from '../../src/schema/policy.js';

const txt = (name: string, ...records: string[][]): Lookup => ({
  name,
  type: 'TXT',
  status: records.length ? 'ok' : 'nxdomain',
  cnameChain: [],
  records: records.map(
    (strings): DnsRecord => ({
      type: 'OTHER',
      name,
      ttl: 60,
      rrtype: 'TXT',
      data: strings.map(characterString).join(' '),
    }),
  ),
});

const none = (name: string, type: 'A' | 'AAAA' | 'TLSA' = 'TLSA'): Lookup => ({
  name,
  type,
  status: 'nxdomain',
  cnameChain: [],
  records: [],
});

function host(name: string, address: Partial<AddressProbe>): MxHost {
  return {
    name,
    preference: 10,
    group: 0,
    groupSize: 1,
    implicit: false,
    cnameChain: [],
    lookups: { a: none(name, 'A'), aaaa: none(name, 'AAAA') },
    addresses: [{ address: '192.0.2.1', family: 4, status: 'ok', ms: 1, ...address }],
  };
}

const goodTls: Partial<AddressProbe> = {
  hello: { verb: 'EHLO', code: 250, keywords: ['STARTTLS'] },
  tls: { outcome: 'ok', protocol: 'TLSv1.3', verified: { trusted: true, nameMatch: true } },
};
const wrongName: Partial<AddressProbe> = {
  hello: { verb: 'EHLO', code: 250, keywords: ['STARTTLS'] },
  tls: {
    outcome: 'ok',
    protocol: 'TLSv1.3',
    verified: { trusted: true, nameMatch: false, error: 'not among the names' },
  },
};

const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmax_age: 86400\r\n';
const fetched = (outcome: StsFetch['outcome'], body?: string) => ({
  fetch: {
    url: 'https://mta-sts.example.test/.well-known/mta-sts.txt',
    outcome,
    ms: 3,
    ...(outcome === 'ok' ? {} : { error: `failed: ${outcome}` }),
  },
  ...(body === undefined ? {} : { body }),
});

function inputs(over: Partial<PolicyInputs> = {}): PolicyInputs {
  return {
    domain: 'example.test',
    hosts: [host('mx1.example.test', goodTls), host('mx2.example.test', goodTls)],
    stsTxt: txt('_mta-sts.example.test', ['v=STSv1; id=1']),
    fetch: fetched('ok', POLICY),
    tlsRptTxt: txt('_smtp._tls.example.test', ['v=TLSRPTv1; rua=mailto:r@example.test']),
    tlsa: new Map(),
    chains: new Map(),
    ...over,
  };
}

describe('txtStrings', () => {
  test('undoes characterString: quotes, backslashes, control bytes, several strings', () => {
    const strings = ['v=STSv1; id=1', 'say "hi" \\ there', 'a\u001bb', ''];
    assert.deepEqual(txtStrings(strings.map(characterString).join(' ')), strings);
  });
  test('text that is not a quoted string gives nothing', () => {
    assert.deepEqual(txtStrings('\\# 3 616263'), []);
  });
});

describe('tlsaOf', () => {
  test('presentation text to records; a malformed or short record is shown but not used', () => {
    const digest = 'ab'.repeat(32);
    const lookup: Lookup = {
      name: '_25._tcp.mx.example.test',
      type: 'TLSA',
      status: 'ok',
      cnameChain: [],
      records: [`3 1 1 ${digest}`, '3 1 1 abcd', 'not tlsa'].map((data) => ({
        type: 'OTHER',
        name: '_25._tcp.mx.example.test',
        ttl: 60,
        rrtype: 'TLSA',
        data,
      })),
    };
    const { records, texts } = tlsaOf(lookup);
    assert.equal(texts.length, 3);
    assert.equal(records.length, 1, 'a SHA-256 record of 2 bytes is unusable (RFC 7671 §4)');
    assert.deepEqual(
      [
        records[0]!.usage,
        records[0]!.selector,
        records[0]!.matchingType,
        records[0]!.data.toString('hex'),
      ],
      [3, 1, 1, digest],
    );
  });
});

describe('stsTlsOf', () => {
  test('from the first address that says anything about TLS', () => {
    assert.deepEqual(stsTlsOf(host('a', goodTls)), {
      offered: true,
      pkixValid: true,
      nameMatches: true,
    });
    assert.deepEqual(stsTlsOf(host('a', wrongName)), {
      offered: true,
      pkixValid: true,
      nameMatches: false,
    });
    assert.deepEqual(stsTlsOf(host('a', { hello: { verb: 'EHLO', code: 250, keywords: [] } })), {
      offered: false,
      pkixValid: false,
      nameMatches: false,
    });
    assert.equal(stsTlsOf(host('a', { status: 'connection-refused' })), null);
  });
});

describe('policyReport', () => {
  test('enforce: the uncovered MX is skipped, with a finding naming it and §4.1', () => {
    const r = PolicyReportSchema.parse(policyReport(inputs()));
    assert.equal(r.mtaSts.state, 'enforce');
    assert.deepEqual(
      r.mtaSts.verdicts.map((v) => [v.mx, v.outcome]),
      [
        ['mx1.example.test', 'deliver'],
        ['mx2.example.test', 'skip'],
      ],
    );
    const f = r.findings.find((x) => x.id === 'sts-mx-skipped');
    assert.deepEqual(
      [f?.subject, f?.ref, f?.severity],
      ['mx2.example.test', 'RFC 8461 §4.1', 'high'],
    );
    assert.deepEqual(r.tlsRpt.record?.rua, ['mailto:r@example.test']);
  });

  test('a certificate for another name: skipped under §4.2; no MX passes: sts-no-usable-mx', () => {
    const r = policyReport(inputs({ hosts: [host('mx1.example.test', wrongName)] }));
    assert.equal(r.mtaSts.verdicts[0]?.ref, 'RFC 8461 §4.2');
    assert.ok(r.findings.some((f) => f.id === 'sts-no-usable-mx' && f.subject === 'example.test'));
  });

  test('a failed fetch: state fetch-failed, no verdicts, a high finding with the outcome and §3.3', () => {
    const r = policyReport(inputs({ fetch: fetched('redirect') }));
    assert.equal(r.mtaSts.state, 'fetch-failed');
    assert.deepEqual(r.mtaSts.verdicts, []);
    const f = r.findings[0]!;
    assert.deepEqual([f.id, f.severity, f.ref], ['sts-fetch-redirect', 'high', 'RFC 8461 §3.3']);
    assert.match(f.message, /failed: redirect/);
  });

  test('two records: no-record, whatever the policy file says', () => {
    const r = policyReport(
      inputs({ stsTxt: txt('_mta-sts.example.test', ['v=STSv1; id=1'], ['v=STSv1; id=2']) }),
    );
    assert.equal(r.mtaSts.state, 'no-record');
    assert.equal(r.mtaSts.fetch, null);
    assert.ok(r.findings.some((f) => f.subject === '_mta-sts.example.test'));
  });

  test('an invalid policy: state invalid-policy, its findings kept', () => {
    const r = policyReport(inputs({ fetch: fetched('ok', 'version: STSv1\nmode: strict\n') }));
    assert.equal(r.mtaSts.state, 'invalid-policy');
    assert.ok(r.mtaSts.policyFindings.length > 0);
  });

  test('findings come worst first', () => {
    const r = policyReport(inputs({ stsTxt: txt('_mta-sts.example.test'), tlsRptTxt: txt('x') }));
    const order = ['high', 'medium', 'low', 'info'];
    const ranks = r.findings.map((f) => order.indexOf(f.severity));
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
    );
  });

  test('DANE: TLSA without AD is tlsa-without-dnssec, with the owner asked; a host without TLSA is no-tlsa', () => {
    const owner = '_2525._tcp.mx1.example.test';
    const tlsaLookup: Lookup = {
      name: owner,
      type: 'TLSA',
      status: 'ok',
      cnameChain: [],
      records: [
        { type: 'OTHER', name: owner, ttl: 60, rrtype: 'TLSA', data: `3 1 1 ${'00'.repeat(32)}` },
      ],
    };
    const r = policyReport(
      inputs({
        tlsa: new Map([
          ['mx1.example.test', { owner, lookup: tlsaLookup }],
          ['mx2.example.test', { owner: '_2525._tcp.mx2.example.test', lookup: none('x') }],
        ]),
      }),
    );
    assert.deepEqual(
      r.dane.map((d) => [d.mx, d.state, d.owner]),
      [
        ['mx1.example.test', 'tlsa-without-dnssec', owner],
        ['mx2.example.test', 'no-tlsa', '_2525._tcp.mx2.example.test'],
      ],
    );
    assert.match(r.dane[0]!.finding, new RegExp(owner.replace(/\./g, '\\.')));
    // The RFC is the finding's ref, not repeated at the end of its message.
    const f = r.findings.find((x) => x.id === 'tlsa-without-dnssec');
    assert.deepEqual([f?.subject, f?.ref], ['mx1.example.test', 'RFC 7672 §2.2']);
    assert.doesNotMatch(f?.message ?? '', /\(RFC/);
  });
});

describe('enforcedVerdictText', () => {
  test('only when an enforced policy skips the verdict host, naming the next MX that passes', () => {
    const r = policyReport(inputs());
    assert.equal(enforcedVerdictText('t', 'mx1.example.test', r), 't');
    assert.match(
      enforcedVerdictText('t', 'mx2.example.test', r),
      /^t; a sender enforcing MTA-STS skips it \(the next MX that passes the policy is mx1\.example\.test;/,
    );
  });
});

describe('buildTimeline with mtaSts', () => {
  function walk(policyHosts: MxHost[]): MxResult {
    return MxResultSchema.parse({
      domain: { input: 'example.test', ascii: 'example.test', unicode: 'example.test' },
      port: 25,
      resolvers: [],
      source: 'mx',
      mxLookup: null,
      lint: [],
      verdict: null,
      dns: [],
      hosts: policyHosts.map((h, i) => ({ ...h, preference: 10 * (i + 1), group: i })),
      policy: policyReport(inputs({ hosts: policyHosts })),
    });
  }
  const postfix = resolveProfile('postfix');

  test('an uncovered MX is not tried; a covered one whose certificate fails is left as tls-error', () => {
    const w = walk([
      host('mx2.example.test', goodTls),
      host('mx1.example.test', wrongName),
      host('mx3.example.test', goodTls),
    ]);
    const t = buildTimeline(w, postfix, [], 60_000, true);
    assert.deepEqual(
      t.notTried.map((n) => n.host),
      ['mx2.example.test', 'mx3.example.test'],
    );
    assert.deepEqual(
      t.attempts.map((a) => [a.host, a.status]),
      [['mx1.example.test', 'tls-error']],
    );
    assert.match(t.attempts[0]!.policy ?? '', /does not name mx1\.example\.test/);
    assert.equal(t.delivery.kind, 'deferred');
    assert.ok(t.queue);
  });

  test('without the flag the same walk delivers to the first host', () => {
    const w = walk([host('mx2.example.test', goodTls), host('mx1.example.test', goodTls)]);
    const t = buildTimeline(w, postfix, [], 60_000, false);
    assert.equal(t.delivery.host, 'mx2.example.test');
    assert.equal(t.mtaSts, false);
  });
});
