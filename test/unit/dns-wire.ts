/**
 * encodeQuery and decodeResponse, byte for byte through dns-packet: what a
 * query carries (RD, EDNS0 with 1232 octets, a random id), which packets
 * count as the answer to it (RFC 5452 §4.3: id, QR and question must match),
 * and how records become our values (null MX, TXT and SOA kept as text).
 * answerMismatch says whether a packet is ours at all (a stranger is
 * ignored); decodeResponse throws for one that is ours but broken.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import {
  encodeQuery,
  decodeResponse,
  answerMismatch,
  EDNS_UDP_SIZE,
  type Query,
} from '../../src/dns/index.js';

type Decoded = dnsPacket.DecodedPacket & { rcode?: string; opcode?: string };

/** reply: a response to `q` built with dns-packet; `over` changes any field (another id, question, flags). */
function reply(
  q: Query,
  over: Partial<dnsPacket.Packet> & { answers?: unknown[]; authorities?: unknown[] } = {},
): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags:
      dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ name: q.name, type: q.type, class: 'IN' }],
    ...over,
  } as dnsPacket.Packet);
}

describe('encodeQuery', () => {
  test('a recursive query for the name and type, with EDNS0 offering 1232 octets', () => {
    const q = encodeQuery('mx.example.test', 'MX');
    const p = dnsPacket.decode(q.bytes) as Decoded;
    assert.equal(p.type, 'query');
    assert.equal(p.id, q.id);
    assert.equal(p.flag_qr, false);
    assert.equal(p.flag_rd, true, 'RD: a stub asks a recursive server to do the work');
    assert.equal(p.opcode, 'QUERY');
    assert.deepEqual(p.questions, [{ name: 'mx.example.test', type: 'MX', class: 'IN' }]);
    assert.equal(p.answers?.length, 0);
    const opt = (p.additionals ?? []).filter((a) => a.type === 'OPT');
    assert.equal(opt.length, 1, 'exactly one OPT record');
    assert.equal((opt[0] as { udpPayloadSize: number }).udpPayloadSize, 1232);
    assert.equal(EDNS_UDP_SIZE, 1232);
    assert.equal(opt[0]!.name, '.');
  });

  test('keeps name, type and id for matching the answer', () => {
    const q = encodeQuery('xn--bcher-kva.test', 'AAAA', 4242);
    assert.deepEqual(
      [q.name, q.type, q.id, q.bytes.readUInt16BE(0)],
      ['xn--bcher-kva.test', 'AAAA', 4242, 4242],
    );
  });

  test('ids are random (RFC 5452 §9.2): 64 queries do not share one id', () => {
    const ids = new Set(Array.from({ length: 64 }, () => encodeQuery('a.test', 'A').id));
    assert.ok(ids.size > 1, 'every query had the same id');
    for (const id of ids) assert.ok(id >= 0 && id <= 0xffff);
  });
});

describe('answerMismatch: only the answer to our query counts (RFC 5452 §9.1)', () => {
  const q = encodeQuery('mail.example.test', 'A');

  test('the answer matches', () => assert.equal(answerMismatch(q.bytes, reply(q)), undefined));
  test('whatever the case of the question (DNS 0x20, RFC 4343)', () => {
    assert.equal(
      answerMismatch(
        q.bytes,
        reply(q, { questions: [{ name: 'MAIL.Example.TEST', type: 'A', class: 'IN' }] }),
      ),
      undefined,
    );
  });
  test('an error rcode without a question section (a server that could not parse ours)', () => {
    assert.equal(answerMismatch(q.bytes, reply(q, { flags: 1, questions: [] })), undefined);
  });

  const foreign: { title: string; bytes: () => Buffer; why: RegExp }[] = [
    {
      title: 'another id',
      bytes: () => reply(q, { id: (q.id + 1) & 0xffff }),
      why: /id \d+, not ours/,
    },
    {
      title: 'another name in the question',
      bytes: () =>
        reply(q, { questions: [{ name: 'other.example.test', type: 'A', class: 'IN' }] }),
      why: /other\.example\.test/,
    },
    {
      title: 'another type in the question',
      bytes: () =>
        reply(q, { questions: [{ name: 'mail.example.test', type: 'AAAA', class: 'IN' }] }),
      why: /type 28/,
    },
    {
      title: 'another class in the question',
      bytes: () => reply(q, { questions: [{ name: 'mail.example.test', type: 'A', class: 'CH' }] }),
      why: /class/,
    },
    {
      title: 'no question in a NOERROR answer',
      bytes: () => reply(q, { questions: [] }),
      why: /no question/,
    },
    {
      title: 'a query, not a response (QR clear)',
      bytes: () => reply(q, { type: 'query', flags: 0 }),
      why: /QR bit clear/,
    },
    {
      title: 'fewer bytes than a header',
      bytes: () => q.bytes.subarray(0, 11),
      why: /shorter than a DNS header/,
    },
    {
      title: 'a question that cannot be read',
      bytes: () => Buffer.concat([reply(q).subarray(0, 12), Buffer.alloc(8, 0xff)]),
      why: /question cannot be read/,
    },
  ];
  for (const f of foreign) {
    test(`refuses ${f.title}`, () =>
      assert.match(answerMismatch(q.bytes, f.bytes()) ?? 'matched', f.why));
  }
});

describe('decodeResponse', () => {
  const q = encodeQuery('mail.example.test', 'A');

  test('rcode, flags and records with TTLs', () => {
    const r = decodeResponse(
      reply(q, {
        answers: [
          { type: 'A', name: 'mail.example.test', ttl: 120, class: 'IN', data: '192.0.2.25' },
        ],
      }),
    );
    assert.deepEqual(r, {
      id: q.id,
      rcode: 'NOERROR',
      flags: { aa: true, tc: false, rd: true, ra: true, ad: false },
      answers: [{ type: 'A', name: 'mail.example.test', ttl: 120, address: '192.0.2.25' }],
      authority: [],
    });
  });

  test('throws on an answer section that cannot be decoded (the resolver calls that malformed)', () => {
    // Our id, QR and question, and a header claiming one answer record, then junk.
    const head = reply(q);
    head.writeUInt16BE(1, 6);
    assert.throws(
      () => decodeResponse(Buffer.concat([head, Buffer.alloc(24, 0xff)])),
      /cannot decode the answer/,
    );
    assert.throws(() => decodeResponse(Buffer.from('garbage!')), /shorter than a DNS header/);
  });

  test('throws on an answer cut off inside a record', () => {
    const whole = reply(q, {
      answers: [
        { type: 'A', name: 'mail.example.test', ttl: 120, class: 'IN', data: '192.0.2.25' },
      ],
    });
    assert.throws(
      () => decodeResponse(whole.subarray(0, whole.length - 2)),
      /cannot decode the answer/,
    );
  });

  test('a TC answer cut off inside a record keeps the whole records (RFC 1035 §4.2.1); TC tells the resolver to use TCP', () => {
    const answers = ['192.0.2.1', '192.0.2.2'].map(
      (data): dnsPacket.Answer => ({
        type: 'A',
        name: 'mail.example.test',
        ttl: 60,
        class: 'IN',
        data,
      }),
    );
    const whole = reply(q, { flags: dnsPacket.TRUNCATED_RESPONSE, answers });
    const r = decodeResponse(whole.subarray(0, whole.length - 3));
    assert.equal(r.flags.tc, true);
    assert.deepEqual(r.answers, [
      { type: 'A', name: 'mail.example.test', ttl: 60, address: '192.0.2.1' },
    ]);
  });

  const rcodes: [string, number][] = [
    ['NXDOMAIN', 3],
    ['SERVFAIL', 2],
    ['REFUSED', 5],
    ['FORMERR', 1],
    ['NOTIMP', 4],
  ];
  for (const [name, value] of rcodes) {
    test(`rcode ${name}`, () =>
      assert.equal(
        decodeResponse(reply(q, { flags: dnsPacket.AUTHORITATIVE_ANSWER | value })).rcode,
        name,
      ));
  }

  test('TC and AD flags are read', () => {
    assert.deepEqual(
      decodeResponse(reply(q, { flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.AUTHENTIC_DATA }))
        .flags,
      { aa: false, tc: true, rd: false, ra: false, ad: true },
    );
  });
});

describe('decodeResponse records', () => {
  test('MX records, and a null MX whose exchange is "." (RFC 7505)', () => {
    const q = encodeQuery('example.test', 'MX');
    const r = decodeResponse(
      reply(q, {
        answers: [
          {
            type: 'MX',
            name: 'example.test',
            ttl: 3600,
            class: 'IN',
            data: { preference: 0, exchange: '.' },
          },
          {
            type: 'MX',
            name: 'example.test',
            ttl: 3600,
            class: 'IN',
            data: { preference: 10, exchange: 'mx1.example.test' },
          },
        ],
      }),
    );
    assert.deepEqual(r.answers, [
      { type: 'MX', name: 'example.test', ttl: 3600, preference: 0, exchange: '.' },
      { type: 'MX', name: 'example.test', ttl: 3600, preference: 10, exchange: 'mx1.example.test' },
    ]);
  });

  test('CNAME then AAAA in one answer', () => {
    const q = encodeQuery('www.example.test', 'AAAA');
    const r = decodeResponse(
      reply(q, {
        answers: [
          {
            type: 'CNAME',
            name: 'www.example.test',
            ttl: 60,
            class: 'IN',
            data: 'host.example.test',
          },
          { type: 'AAAA', name: 'host.example.test', ttl: 30, class: 'IN', data: '2001:db8::25' },
        ],
      }),
    );
    assert.deepEqual(r.answers, [
      { type: 'CNAME', name: 'www.example.test', ttl: 60, target: 'host.example.test' },
      { type: 'AAAA', name: 'host.example.test', ttl: 30, address: '2001:db8::25' },
    ]);
  });

  test('TXT as OTHER text, each string quoted, control bytes escaped', () => {
    const q = encodeQuery('example.test', 'TXT');
    const r = decodeResponse(
      reply(q, {
        answers: [
          {
            type: 'TXT',
            name: 'example.test',
            ttl: 5,
            class: 'IN',
            data: ['v=spf1 ', '-all', 'say "hi"\x1b[2J'],
          },
        ],
      }),
    );
    assert.deepEqual(r.answers, [
      {
        type: 'OTHER',
        name: 'example.test',
        ttl: 5,
        rrtype: 'TXT',
        data: '"v=spf1 " "-all" "say \\"hi\\"\\027[2J"',
      },
    ]);
  });

  test('SOA in the authority section as OTHER text (its last field is the negative TTL, RFC 2308)', () => {
    const q = encodeQuery('nodata.example.test', 'A');
    const soa = {
      mname: 'ns.example.test',
      rname: 'hostmaster.example.test',
      serial: 2024010101,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 300,
    };
    const r = decodeResponse(
      reply(q, {
        authorities: [{ type: 'SOA', name: 'example.test', ttl: 300, class: 'IN', data: soa }],
      }),
    );
    assert.deepEqual(r.answers, []);
    assert.deepEqual(r.authority, [
      {
        type: 'OTHER',
        name: 'example.test',
        ttl: 300,
        rrtype: 'SOA',
        data: 'ns.example.test hostmaster.example.test 2024010101 3600 600 86400 300',
      },
    ]);
  });

  test('the OPT pseudo-record is no record', () => {
    const q = encodeQuery('example.test', 'A');
    const r = decodeResponse(
      reply(q, {
        additionals: [
          { type: 'OPT', name: '.', udpPayloadSize: 1232 } as unknown as dnsPacket.Answer,
        ],
      }),
    );
    assert.deepEqual([...r.answers, ...r.authority], []);
  });
});
