/**
 * toRecord over plain decoded answers (the shapes src/dns/records.ts declares itself, so the
 * published declarations need no @types/dns-packet): each kind it reads field by field, the OPT
 * pseudo-record, and types it keeps whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer } from 'dns-packet';
import { type DecodedAnswer, toRecord } from '../../src/dns/records.js';

// Compile-time: whatever dns-packet's decoder gives (per @types/dns-packet) is a DecodedAnswer.
const fromPacket = (a: Answer): DecodedAnswer => a;
void fromPacket;

const cases: [string, DecodedAnswer, ReturnType<typeof toRecord>][] = [
  ['OPT is no record (RFC 6891 §6.1.1)', { type: 'OPT', name: '.' }, undefined],
  [
    'A',
    { type: 'A', name: 'a.test', ttl: 60, data: '192.0.2.1' },
    { type: 'A', name: 'a.test', ttl: 60, address: '192.0.2.1' },
  ],
  [
    'CNAME without a TTL',
    { type: 'CNAME', name: 'www.test', data: 'a.test' },
    { type: 'CNAME', name: 'www.test', ttl: 0, target: 'a.test' },
  ],
  [
    'a null MX with an empty exchange (RFC 7505 §3)',
    { type: 'MX', name: 'x.test', ttl: 5, data: { preference: 0, exchange: '' } },
    { type: 'MX', name: 'x.test', ttl: 5, preference: 0, exchange: '.' },
  ],
  [
    'TXT of two strings, one with a control byte',
    { type: 'TXT', name: 't.test', ttl: 1, data: [Buffer.from('v=spf1 -all'), 'a\u001bb'] },
    { type: 'OTHER', name: 't.test', ttl: 1, rrtype: 'TXT', data: '"v=spf1 -all" "a\\027b"' },
  ],
  [
    'NS kept as its name',
    { type: 'NS', name: 'test', ttl: 1, data: 'ns1.test' },
    { type: 'OTHER', name: 'test', ttl: 1, rrtype: 'NS', data: 'ns1.test' },
  ],
  [
    'an unknown type in RFC 3597 form',
    { type: 'UNKNOWN_65280', name: 'u.test', ttl: 1, data: Buffer.from([0xab, 0xcd]) },
    { type: 'OTHER', name: 'u.test', ttl: 1, rrtype: 'TYPE65280', data: '\\# 2 abcd' },
  ],
  [
    'structured data as JSON with binary in hex',
    { type: 'DS', name: 'd.test', ttl: 1, data: { keyTag: 7, digest: Buffer.from([1, 2]) } },
    { type: 'OTHER', name: 'd.test', ttl: 1, rrtype: 'DS', data: '{"keyTag":7,"digest":"0102"}' },
  ],
];

for (const [name, answer, want] of cases) {
  test(`toRecord: ${name}`, () => assert.deepEqual(toRecord(answer), want));
}
