/** followChain: how far one answer section takes a question through CNAMEs (RFC 1034 §3.6.2, RFC 2181 §10.1). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { followChain, type ChainStep } from '../../src/dns/chain.js';
import type { DnsRecord, QueryType } from '../../src/schema/dns.js';

const cname = (name: string, target: string): DnsRecord => ({
  type: 'CNAME',
  name,
  ttl: 300,
  target,
});
const a = (name: string, address: string): DnsRecord => ({ type: 'A', name, ttl: 60, address });

describe('followChain', () => {
  const cases: {
    what: string;
    answers: DnsRecord[];
    start: string;
    type?: QueryType;
    max?: number;
    want: ChainStep;
  }[] = [
    {
      what: 'records at the name itself',
      answers: [a('x.test', '192.0.2.1')],
      start: 'x.test',
      want: { targets: [], records: [a('x.test', '192.0.2.1')] },
    },
    {
      what: 'names compare without case and root dot',
      answers: [a('X.Test.', '192.0.2.1')],
      start: 'x.TEST',
      want: { targets: [], records: [a('X.Test.', '192.0.2.1')] },
    },
    {
      what: 'records of other names are not ours',
      answers: [a('y.test', '192.0.2.1')],
      start: 'x.test',
      want: { targets: [], records: [] },
    },
    {
      what: 'a chain of two CNAMEs to the records',
      answers: [a('c.test', '192.0.2.3'), cname('b.test', 'C.test.'), cname('a.test', 'b.test')],
      start: 'a.test',
      want: { targets: ['b.test', 'c.test'], records: [a('c.test', '192.0.2.3')] },
    },
    {
      what: 'a chain that stops at an alias without its records',
      answers: [cname('a.test', 'b.other')],
      start: 'a.test',
      want: { targets: ['b.other'], records: [] },
    },
    {
      what: 'asking for CNAME takes the alias itself',
      answers: [cname('a.test', 'b.test'), a('b.test', '192.0.2.2')],
      start: 'a.test',
      type: 'CNAME',
      want: { targets: [], records: [cname('a.test', 'b.test')] },
    },
    {
      what: 'a loop ends at the repeated name',
      answers: [cname('a.test', 'b.test'), cname('b.test', 'a.test')],
      start: 'a.test',
      want: { targets: ['b.test', 'a.test'], records: [] },
    },
    {
      what: 'a self-loop',
      answers: [cname('a.test', 'a.test')],
      start: 'a.test',
      want: { targets: ['a.test'], records: [] },
    },
    {
      what: 'a chain longer than the limit stops one past it',
      answers: [
        cname('n0.test', 'n1.test'),
        cname('n1.test', 'n2.test'),
        cname('n2.test', 'n3.test'),
        cname('n3.test', 'n4.test'),
      ],
      start: 'n0.test',
      max: 2,
      want: { targets: ['n1.test', 'n2.test', 'n3.test'], records: [] },
    },
  ];
  for (const c of cases) {
    test(c.what, () =>
      assert.deepEqual(followChain(c.answers, c.start, c.type ?? 'A', c.max ?? 8), c.want),
    );
  }
});

test('TXT records, kept as OTHER, count as TXT', () => {
  const txt: DnsRecord = {
    type: 'OTHER',
    name: 'x.test',
    ttl: 1,
    rrtype: 'TXT',
    data: '"v=spf1 -all"',
  };
  const soa: DnsRecord = {
    type: 'OTHER',
    name: 'x.test',
    ttl: 1,
    rrtype: 'SOA',
    data: 'ns. host. 1 2 3 4 5',
  };
  assert.deepEqual(followChain([soa, txt], 'x.test', 'TXT', 8), { targets: [], records: [txt] });
});
