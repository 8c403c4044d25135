/**
 * DANE for SMTP (RFC 7672): TLSA RDATA parsing, records matched against certificates made
 * at test time (a CA, a leaf it signs for mx.example.test, and an unrelated CA), and the
 * per-MX word. The expected association data is computed here with node:crypto, not by the
 * code under test.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import {
  AD_BIT_NOTE,
  daneState,
  matchTlsa,
  parseTlsaRdata,
  type TlsaRecord,
} from '../../src/net/dane.js';

const MX = 'mx.example.test';
const DAY_MS = 86_400_000;

interface Pki {
  leaf: X509Certificate;
  ca: X509Certificate;
  otherCa: X509Certificate;
  selfSigned: X509Certificate;
}

async function makePki(): Promise<Pki> {
  const { generate } = await import('selfsigned');
  const validity = {
    notBeforeDate: new Date(Date.now() - DAY_MS),
    notAfterDate: new Date(Date.now() + 30 * DAY_MS),
  };
  const makeCa = (cn: string) =>
    generate([{ name: 'commonName', value: cn }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ...validity,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
  const [ca, otherCa, selfSigned] = await Promise.all([
    makeCa('dane test CA'),
    makeCa('dane other CA'),
    generate([{ name: 'commonName', value: MX }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ...validity,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: MX }] }],
    }),
  ]);
  const leaf = await generate([{ name: 'commonName', value: MX }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...validity,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: MX }] },
    ],
  });
  const x = (pem: string) => new X509Certificate(pem);
  return {
    leaf: x(leaf.cert),
    ca: x(ca.cert),
    otherCa: x(otherCa.cert),
    selfSigned: x(selfSigned.cert),
  };
}

const spki = (c: X509Certificate): Buffer => c.publicKey.export({ type: 'spki', format: 'der' });
const sha = (alg: 'sha256' | 'sha512', b: Buffer): Buffer => createHash(alg).update(b).digest();
const tlsa = (usage: number, selector: number, matchingType: number, data: Buffer): TlsaRecord => ({
  usage,
  selector,
  matchingType,
  data,
});
const flipped = (b: Buffer): Buffer => {
  const c = Buffer.from(b);
  c[c.length - 1]! ^= 0xff;
  return c;
};

describe('parseTlsaRdata', () => {
  const digest = Buffer.alloc(32, 0xab);
  test('a 3 1 1 record: parameters, then the data', () => {
    const r = parseTlsaRdata(Buffer.concat([Buffer.from([3, 1, 1]), digest]));
    assert.deepEqual(r, {
      ok: true,
      record: { usage: 3, selector: 1, matchingType: 1, data: digest },
    });
  });
  test('an unknown usage parses (matchTlsa calls it unusable)', () => {
    const r = parseTlsaRdata(Buffer.from([255, 0, 0, 1, 2, 3]));
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.record.usage, 255);
  });
  const bad: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'TLSA_TOO_SHORT'],
    ['two bytes', Buffer.from([3, 1]), 'TLSA_TOO_SHORT'],
    ['parameters, no data', Buffer.from([3, 1, 1]), 'TLSA_EMPTY_DATA'],
    [
      'a truncated SHA-256',
      Buffer.concat([Buffer.from([3, 1, 1]), digest.subarray(1)]),
      'TLSA_DIGEST_LENGTH',
    ],
    [
      'a SHA-256 where SHA-512 is due',
      Buffer.concat([Buffer.from([3, 1, 2]), digest]),
      'TLSA_DIGEST_LENGTH',
    ],
  ];
  for (const [name, rdata, code] of bad)
    test(`${name} is an error value, not a throw`, () => {
      const r = parseTlsaRdata(rdata);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.code, code);
    });
});

describe('matchTlsa', () => {
  let pki: Pki;
  before(async () => {
    pki = await makePki();
  });
  const chain = (...certs: X509Certificate[]): Buffer[] => certs.map((c) => c.raw);

  test('DANE-EE: 3 1 1 of the leaf SPKI, 3 0 1 of the leaf DER, 3 1 2, 3 0 0 each match the leaf', () => {
    const records = [
      tlsa(3, 1, 1, sha('sha256', spki(pki.leaf))),
      tlsa(3, 0, 1, sha('sha256', pki.leaf.raw)),
      tlsa(3, 1, 2, sha('sha512', spki(pki.leaf))),
      tlsa(3, 0, 0, pki.leaf.raw),
    ];
    for (const [i, r] of records.entries()) {
      const v = matchTlsa([r], chain(pki.leaf, pki.ca), MX);
      assert.equal(v.state, 'dane-valid', `record ${i}: ${v.reasons.join('; ')}`);
      assert.deepEqual(v.matched, { record: 0, depth: 0 });
    }
  });

  test('DANE-EE: a wrong digest, a selector swapped, or the CA key do not match', () => {
    const records = [
      tlsa(3, 1, 1, flipped(sha('sha256', spki(pki.leaf)))),
      tlsa(3, 0, 1, sha('sha256', spki(pki.leaf))),
      tlsa(3, 1, 2, flipped(sha('sha512', spki(pki.leaf)))),
      tlsa(3, 0, 0, flipped(pki.leaf.raw)),
      tlsa(3, 1, 1, sha('sha256', spki(pki.ca))),
    ];
    for (const [i, r] of records.entries()) {
      const v = matchTlsa([r], chain(pki.leaf, pki.ca), MX);
      assert.equal(v.state, 'dane-mismatch', `record ${i}`);
      assert.equal(v.matched, undefined);
      assert.match(v.reasons.join('\n'), /does not match the leaf/);
    }
  });

  test('DANE-EE checks neither the name nor the dates (RFC 7672 §3.1.1)', () => {
    const r = tlsa(3, 1, 1, sha('sha256', spki(pki.leaf)));
    const v = matchTlsa(
      [r],
      chain(pki.leaf),
      'other.example.test',
      new Date(Date.now() + 400 * DAY_MS),
    );
    assert.equal(v.state, 'dane-valid');
  });

  test('the second record matches when the first does not: its index is reported', () => {
    const v = matchTlsa(
      [tlsa(3, 1, 1, Buffer.alloc(32)), tlsa(3, 1, 1, sha('sha256', spki(pki.leaf)))],
      chain(pki.leaf),
      MX,
    );
    assert.deepEqual(v.matched, { record: 1, depth: 0 });
  });

  const taRecord = (): TlsaRecord => tlsa(2, 1, 1, sha('sha256', spki(pki.ca)));

  test('DANE-TA: 2 1 1 of the presented CA, the leaf named for the MX, is valid at depth 1', () => {
    const v = matchTlsa([taRecord()], chain(pki.leaf, pki.ca), MX);
    assert.equal(v.state, 'dane-valid', v.reasons.join('; '));
    assert.deepEqual(v.matched, { record: 0, depth: 1 });
    assert.equal(matchTlsa([taRecord()], chain(pki.leaf, pki.ca), `${MX}.`).state, 'dane-valid');
  });

  test('DANE-TA: a leaf not named for the MX is a mismatch (RFC 7672 §3.2.2)', () => {
    const v = matchTlsa([taRecord()], chain(pki.leaf, pki.ca), 'mx2.example.test');
    assert.equal(v.state, 'dane-mismatch');
    assert.match(v.reasons.join('\n'), /does not carry the MX name mx2\.example\.test/);
  });

  test('DANE-TA: the CA not presented, or presented but not the issuer, is a mismatch', () => {
    assert.equal(matchTlsa([taRecord()], chain(pki.leaf), MX).state, 'dane-mismatch');
    const other = tlsa(2, 1, 1, sha('sha256', spki(pki.otherCa)));
    const v = matchTlsa([other], chain(pki.leaf, pki.otherCa), MX);
    assert.equal(v.state, 'dane-mismatch');
    assert.match(v.reasons.join('\n'), /not issued and signed by the one at depth 1/);
  });

  test('DANE-TA: a leaf past its dates is a mismatch (the chain below the anchor is checked)', () => {
    const v = matchTlsa(
      [taRecord()],
      chain(pki.leaf, pki.ca),
      MX,
      new Date(Date.now() + 400 * DAY_MS),
    );
    assert.equal(v.state, 'dane-mismatch');
    assert.match(v.reasons.join('\n'), /depth 0 is not valid at/);
  });

  test('DANE-TA: the leaf is an anchor only when self-issued', () => {
    const ofLeaf = tlsa(2, 0, 1, sha('sha256', pki.leaf.raw));
    assert.equal(matchTlsa([ofLeaf], chain(pki.leaf, pki.ca), MX).state, 'dane-mismatch');
    const ofSelf = tlsa(2, 0, 1, sha('sha256', pki.selfSigned.raw));
    const v = matchTlsa([ofSelf], chain(pki.selfSigned), MX);
    assert.equal(v.state, 'dane-valid', v.reasons.join('; '));
    assert.deepEqual(v.matched, { record: 0, depth: 0 });
  });

  test('PKIX-TA(0) and PKIX-EE(1) only: no usable TLSA, even when they would match', () => {
    const v = matchTlsa(
      [tlsa(0, 1, 1, sha('sha256', spki(pki.ca))), tlsa(1, 1, 1, sha('sha256', spki(pki.leaf)))],
      chain(pki.leaf, pki.ca),
      MX,
    );
    assert.equal(v.state, 'no-usable-tlsa');
    assert.equal(v.reasons.length, 2);
    assert.match(v.reasons[0]!, /PKIX-TA.*RFC 7672 §3\.1\.3/);
    assert.match(v.reasons[1]!, /PKIX-EE.*RFC 7672 §3\.1\.3/);
  });

  test('an unusable record beside a matching one does not spoil it', () => {
    const v = matchTlsa(
      [
        tlsa(1, 1, 1, Buffer.alloc(32)),
        tlsa(3, 1, 9, Buffer.alloc(4)),
        tlsa(3, 1, 1, sha('sha256', spki(pki.leaf))),
      ],
      chain(pki.leaf),
      MX,
    );
    assert.equal(v.state, 'dane-valid');
    assert.deepEqual(v.matched, { record: 2, depth: 0 });
  });

  test('no certificate, or garbage for one, is a mismatch', () => {
    const r = tlsa(3, 1, 1, sha('sha256', spki(pki.leaf)));
    assert.equal(matchTlsa([r], [], MX).state, 'dane-mismatch');
    const v = matchTlsa([r], [Buffer.from('not a certificate')], MX);
    assert.equal(v.state, 'dane-mismatch');
    assert.match(v.reasons.join('\n'), /depth 0 does not parse/);
  });
});

describe('daneState', () => {
  let pki: Pki;
  before(async () => {
    pki = await makePki();
  });
  const base = () => ({
    tlsaLookupStatus: 'ok' as const,
    authenticated: true,
    records: [tlsa(3, 1, 1, sha('sha256', spki(pki.leaf)))],
    chainDer: [pki.leaf.raw] as Buffer[] | null,
    mxName: MX,
  });

  test('validated records matching the leaf: dane-valid, with the AD caveat', () => {
    const s = daneState(base());
    assert.equal(s.state, 'dane-valid');
    assert.match(s.finding, /RFC 7672/);
    assert.equal(s.note, AD_BIT_NOTE);
    assert.match(s.note, /resolver/);
  });

  test('AD=0: tlsa-without-dnssec, however well the records match (RFC 7672 §2.2)', () => {
    const s = daneState({ ...base(), authenticated: false });
    assert.equal(s.state, 'tlsa-without-dnssec');
    assert.match(s.finding, /AD=0.*RFC 7672 §2\.2/);
    assert.equal(s.match, undefined);
  });

  test('nodata and nxdomain: no-tlsa', () => {
    for (const status of ['nodata', 'nxdomain'] as const) {
      const s = daneState({ ...base(), tlsaLookupStatus: status, records: [] });
      assert.equal(s.state, 'no-tlsa', status);
      assert.match(s.finding, /_25\._tcp\.mx\.example\.test/);
    }
  });

  test('a failed lookup is not "no TLSA"', () => {
    assert.equal(
      daneState({ ...base(), tlsaLookupStatus: 'error', records: [] }).state,
      'tlsa-lookup-failed',
    );
  });

  test('a wrong digest: dane-mismatch with the reasons', () => {
    const s = daneState({ ...base(), records: [tlsa(3, 1, 1, Buffer.alloc(32))] });
    assert.equal(s.state, 'dane-mismatch');
    assert.equal(s.match?.state, 'dane-mismatch');
  });

  test('usage 0/1 only: no-usable-tlsa; usable records but no TLS: dane-no-tls', () => {
    assert.equal(
      daneState({ ...base(), records: [tlsa(1, 1, 1, sha('sha256', spki(pki.leaf)))] }).state,
      'no-usable-tlsa',
    );
    assert.equal(daneState({ ...base(), chainDer: null }).state, 'dane-no-tls');
  });
});
