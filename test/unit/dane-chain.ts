/**
 * The chain digest DANE matches against when the DER is gone (the audit keeps thousands): the
 * SubjectPublicKeyInfo read from a certificate's own bytes equals the key node:crypto exports
 * (EC and RSA), malformed bytes give none, every matching type finds its certificate, the links
 * and names are those of the chain, and a hostile chain stays small. Certificates are made here.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import {
  associationMatches,
  CHAIN_DIGEST_DEPTH,
  digestChain,
  leafCarries,
  NO_CHAIN,
  spkiOf,
} from '../../src/net/dane-chain.js';

const MX = 'mx.example.test';
const DAY_MS = 86_400_000;

let leaf: X509Certificate;
let ca: X509Certificate;
let rsa: X509Certificate;

before(async () => {
  const { generate } = await import('selfsigned');
  const validity = {
    notBeforeDate: new Date(Date.now() - DAY_MS),
    notAfterDate: new Date(Date.now() + 30 * DAY_MS),
  };
  const root = await generate([{ name: 'commonName', value: 'chain test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...validity,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, critical: true },
    ],
  });
  const issued = await generate([{ name: 'commonName', value: MX }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...validity,
    ca: { key: root.private, cert: root.cert },
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: `*.example.test` }] }],
  });
  const rsaCert = await generate([{ name: 'commonName', value: 'rsa.example.test' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ...validity,
  });
  leaf = new X509Certificate(issued.cert);
  ca = new X509Certificate(root.cert);
  rsa = new X509Certificate(rsaCert.cert);
});

const exported = (c: X509Certificate): Buffer =>
  c.publicKey.export({ type: 'spki', format: 'der' });
const sha = (alg: 'sha256' | 'sha512', b: Buffer): Buffer => createHash(alg).update(b).digest();

describe('spkiOf', () => {
  test('the SPKI as it stands in the certificate: what the key exports, EC and RSA', () => {
    for (const c of [leaf, ca, rsa]) assert.deepEqual(spkiOf(c.raw), exported(c), c.subject);
  });

  test('bytes that are no certificate, or one cut short, give none', () => {
    assert.equal(spkiOf(Buffer.alloc(0)), undefined);
    assert.equal(spkiOf(Buffer.from('not a certificate')), undefined);
    assert.equal(spkiOf(leaf.raw.subarray(0, 120)), undefined);
    const wrongTag = Buffer.from(leaf.raw);
    wrongTag[0] = 0x31;
    assert.equal(spkiOf(wrongTag), undefined);
  });
});

describe('digestChain', () => {
  test('every selector and matching type finds the certificate it names, and no other', () => {
    const d = digestChain([leaf.raw, ca.raw]);
    assert.equal(d.certs, 2);
    for (const [depth, cert] of [leaf, ca].entries()) {
      const other = depth === 0 ? ca : leaf;
      for (const [selector, selected] of [cert.raw, exported(cert)].entries()) {
        const data = [selected, sha('sha256', selected), sha('sha512', selected)];
        for (const [type, bytes] of data.entries()) {
          assert.ok(
            associationMatches(d, depth, selector, type, bytes),
            `${depth} ${selector} ${type}`,
          );
          assert.ok(!associationMatches(d, 1 - depth, selector, type, bytes), 'not the other');
        }
        assert.ok(!associationMatches(d, depth, selector, 1, sha('sha256', other.raw)));
      }
    }
    assert.ok(!associationMatches(d, 2, 1, 1, sha('sha256', exported(ca))), 'past the chain');
  });

  test('links, self-issue and names are the chain’s', () => {
    const d = digestChain([leaf.raw, ca.raw]);
    assert.deepEqual(d.links, [undefined]);
    assert.equal(d.selfIssuedLeaf, false);
    assert.equal(digestChain([ca.raw]).selfIssuedLeaf, true);
    assert.ok(leafCarries(d, MX), 'a wildcard covers one label');
    assert.ok(!leafCarries(d, 'a.b.example.test'));
    const late = digestChain([leaf.raw, ca.raw], new Date(Date.now() + 400 * DAY_MS));
    assert.match(late.links[0] ?? '', /depth 0 is not valid at/);
    assert.match(digestChain([leaf.raw, rsa.raw]).links[0] ?? '', /not issued and signed/);
  });

  test('no chain, a broken leaf, and a chain longer than CHAIN_DIGEST_DEPTH', () => {
    assert.equal(digestChain([]), NO_CHAIN);
    const broken = digestChain([Buffer.from('junk'), ca.raw]);
    assert.equal(broken.certs, 0);
    assert.match(broken.reasons[0] ?? '', /depth 0 does not parse/);
    const long = digestChain(Array.from({ length: 20 }, () => ca.raw));
    assert.equal(long.certs, CHAIN_DIGEST_DEPTH);
    assert.equal(long.digests.length, CHAIN_DIGEST_DEPTH * 192);
    assert.match(long.reasons.join('\n'), /only the first 8 of the 20/);
  });
});
