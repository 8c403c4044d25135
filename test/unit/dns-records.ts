/**
 * What test/unit/dns-wire.ts leaves out: records walked by RDLENGTH (a
 * record whose data is not the length its header says is malformed, not
 * silently misread), EDNS extended rcodes, and the zone-file text of the
 * types kept as OTHER (SRV, NS, unknown types per RFC 3597).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { decodeResponse, encodeQuery } from '../../src/dns/wire.js';
import { characterString, rrtypeName } from '../../src/dns/records.js';

const q = encodeQuery('example.test', 'A', 4660);

/** response: an answer to `q` with the given sections. */
function response(over: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [{ name: q.name, type: q.type, class: 'IN' }],
    ...over,
  });
}
const oneA = (): Buffer =>
  response({ answers: [{ name: 'example.test', type: 'A', ttl: 1, data: '192.0.2.1' }] });

describe('records are walked by RDLENGTH (RFC 1035 §4.1.3)', () => {
  const broken: { what: string; bytes: () => Buffer; why: RegExp }[] = [
    {
      what: 'RDATA cut off by the end of the message',
      bytes: () => oneA().subarray(0, oneA().length - 3),
      why: /answer record 1: RDLENGTH 4 runs past the end of the message/,
    },
    {
      what: 'A data shorter than its type needs (dns-packet alone would read past it)',
      bytes: () => {
        const b = oneA();
        b.writeUInt16BE(2, b.length - 6);
        return b.subarray(0, b.length - 2);
      },
      why: /answer record 1: A data takes 4 octets but RDLENGTH says 2/,
    },
    {
      what: 'a second record ending inside its header',
      bytes: () => {
        const b = response({
          answers: [
            { name: 'a.test', type: 'A', ttl: 1, data: '192.0.2.1' },
            { name: 'a.test', type: 'A', ttl: 1, data: '192.0.2.2' },
          ],
        });
        return b.subarray(0, b.length - 10);
      },
      why: /answer record 2: the message ends inside the record header/,
    },
    {
      what: 'an authority record with a forward name pointer',
      bytes: () => {
        const b = response();
        b.writeUInt16BE(1, 8);
        return Buffer.concat([b, Buffer.from([0xc0, 0xff, 0, 6, 0, 1])]);
      },
      why: /authority record 1: .*bad pointer/,
    },
  ];
  for (const b of broken) {
    test(b.what, () =>
      assert.throws(
        () => decodeResponse(b.bytes()),
        (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.match(err.message, /^cannot decode the answer \(\d+ bytes\): /);
          assert.match(err.message, b.why);
          return true;
        },
      ),
    );
  }
});

describe('rcodes', () => {
  test("the EDNS extended rcode BADVERS (16, RFC 6891 §6.1.3) from the OPT record's upper bits", () => {
    const opt = {
      name: '.',
      type: 'OPT',
      udpPayloadSize: 1232,
      extendedRcode: 1,
      flags: 0,
      options: [],
    } as unknown as dnsPacket.Answer;
    assert.equal(decodeResponse(response({ additionals: [opt] })).rcode, 'BADVERS');
  });
  test('an unassigned rcode by number', () => {
    assert.equal(decodeResponse(response({ flags: 12 })).rcode, 'RCODE12');
  });
});

describe('OTHER records in zone-file form', () => {
  test('SRV, NS and an unknown type (RFC 3597 \\# form)', () => {
    const r = decodeResponse(
      response({
        answers: [
          {
            name: '_smtp._tcp.example.test',
            type: 'SRV',
            ttl: 6,
            data: { priority: 1, weight: 2, port: 25, target: 'mx.example.test' },
          },
          { name: 'example.test', type: 'NS', ttl: 7, data: 'ns1.example.test' },
          {
            name: 'example.test',
            type: 'UNKNOWN_65280',
            ttl: 8,
            data: Buffer.from([0xca, 0xfe]),
          } as unknown as dnsPacket.Answer,
        ],
      }),
    );
    assert.deepEqual(r.answers, [
      {
        type: 'OTHER',
        name: '_smtp._tcp.example.test',
        ttl: 6,
        rrtype: 'SRV',
        data: '1 2 25 mx.example.test',
      },
      { type: 'OTHER', name: 'example.test', ttl: 7, rrtype: 'NS', data: 'ns1.example.test' },
      { type: 'OTHER', name: 'example.test', ttl: 8, rrtype: 'TYPE65280', data: '\\# 2 cafe' },
    ]);
  });

  const strings: [string, string][] = [
    ['plain', '"plain"'],
    ['quote " and backslash \\', '"quote \\" and backslash \\\\"'],
    ['ESC \u001b[2J, NUL \u0000, DEL \u007f', '"ESC \\027[2J, NUL \\000, DEL \\127"'],
    ['ü', '"\\195\\188"'],
  ];
  for (const [input, want] of strings) {
    test(`characterString ${JSON.stringify(input)}`, () =>
      assert.equal(characterString(input), want));
  }

  test('rrtypeName', () => {
    assert.equal(rrtypeName('UNKNOWN_65280'), 'TYPE65280');
    assert.equal(rrtypeName('CAA'), 'CAA');
  });
});
