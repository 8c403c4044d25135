/**
 * normalizeDomain and parseResolverAddress: what a user may type as a mail
 * domain or a DNS server, and everything refused (INVALID_INPUT, stage input)
 * before a query could be built from it.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  normalizeDomain,
  parseResolverAddress,
  MAX_LABEL_OCTETS,
  MAX_NAME_OCTETS,
} from '../../src/dns/index.js';
import { ProbeError } from '../../src/errors.js';

const label63 = 'a'.repeat(63);
// 3×63 + 61 + 3 dots = 253 octets: the longest name; one more octet is too long.
const name253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`;
const name254 = `${label63}.${label63}.${label63}.${'b'.repeat(62)}`;

/** refused: `fn` throws INVALID_INPUT at stage input, its message matching `why`. */
function refused(fn: () => unknown, why: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProbeError, `not a ProbeError: ${String(err)}`);
    assert.equal(err.code, 'INVALID_INPUT');
    assert.equal(err.stage, 'input');
    assert.match(err.message, why);
    return true;
  });
}

describe('normalizeDomain accepts', () => {
  const cases: { input: string; ascii: string; unicode: string }[] = [
    { input: 'example.test', ascii: 'example.test', unicode: 'example.test' },
    { input: 'MX.Example.TEST', ascii: 'mx.example.test', unicode: 'mx.example.test' },
    { input: 'example.test.', ascii: 'example.test', unicode: 'example.test' },
    { input: '  example.test  ', ascii: 'example.test', unicode: 'example.test' },
    { input: 'bücher.test', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    { input: 'BÜCHER.TEST.', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    { input: 'xn--bcher-kva.test', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    { input: 'XN--BCHER-KVA.TEST', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    // Full-width dot (U+3002) is a label separator under IDNA mapping.
    { input: 'bücher\u3002test', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    { input: '_dmarc.example.test', ascii: '_dmarc.example.test', unicode: '_dmarc.example.test' },
    {
      input: 's1._domainkey.example.test',
      ascii: 's1._domainkey.example.test',
      unicode: 's1._domainkey.example.test',
    },
    { input: 'localhost', ascii: 'localhost', unicode: 'localhost' },
    { input: `${label63}.test`, ascii: `${label63}.test`, unicode: `${label63}.test` },
    { input: name253, ascii: name253, unicode: name253 },
    { input: `${name253}.`, ascii: name253, unicode: name253 },
    // 32 × "ü" is 64 octets of UTF-8 but a 38-octet A-label: the limit is on what DNS carries.
    {
      input: `${'ü'.repeat(32)}.test`,
      ascii: `xn--tda${'a'.repeat(31)}.test`,
      unicode: `${'ü'.repeat(32)}.test`,
    },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.input.length > 40 ? `${c.input.slice(0, 40)}…` : c.input), () => {
      assert.deepEqual(normalizeDomain(c.input), {
        input: c.input,
        ascii: c.ascii,
        unicode: c.unicode,
      });
    });
  }

  test("the limits are RFC 1035 §2.3.4's", () => {
    assert.equal(MAX_LABEL_OCTETS, 63);
    assert.equal(MAX_NAME_OCTETS, 253);
    assert.equal(name253.length, 253);
  });
});

describe('normalizeDomain refuses', () => {
  const cases: { input: string; why: RegExp; title?: string }[] = [
    { input: '', why: /empty/ },
    { input: '   ', why: /empty/ },
    { input: '.', why: /only the root/ },
    { input: 'a..b', why: /label 2 is empty \(two dots in a row\)/ },
    { input: '.example.test', why: /label 1 is empty \(a leading dot\)/ },
    { input: 'example.test..', why: /is empty \(two dots in a row\)/ },
    { input: 'bücher..test', why: /is empty/ },
    {
      input: `${'a'.repeat(64)}.test`,
      why: /is 64 octets; the limit is 63/,
      title: '64-octet label',
    },
    {
      input: `${'ü'.repeat(60)}.test`,
      why: /is 66 octets; the limit is 63/,
      title: 'IDN label of 66 octets as an A-label',
    },
    { input: name254, why: /is 254 octets; the limit is 253/, title: '254-octet name' },
    { input: 'example.test\r\nRCPT TO:<x>', why: /CR at offset 12/ },
    { input: 'example.test\n', why: /LF at offset 12/ },
    { input: 'exam\u0000ple.test', why: /NUL at offset 4/ },
    { input: 'example\t.test', why: /TAB at offset 7/ },
    { input: 'example.test\u007f', why: /DEL at offset 12/ },
    { input: 'exa\u0085mple.test', why: /control byte 0x85/ },
    { input: '127.0.0.1', why: /IP address, not a domain name/ },
    { input: '127.0.0.1.', why: /IP address, not a domain name/ },
    { input: '::1', why: /IP address, not a domain name/ },
    { input: '2001:db8::25', why: /IP address, not a domain name/ },
    { input: '[127.0.0.1]', why: /IP address, not a domain name/ },
    { input: '[::1]', why: /IP address, not a domain name/ },
    // Full-width digits map to ASCII digits under IDNA: whatever the reason given, 127.0.0.1 must not come out as a name.
    {
      input: '１２７.０.０.１',
      why: /IP address, not a domain name|not a valid internationalized label/,
    },
    // Ideographic and fullwidth full stops are label separators under IDNA (UTS #46): these spell 127.0.0.1.
    { input: '127\u30020\u30020\u30021', why: /IP address, not a domain name/ },
    { input: '127\uff0e0\uff0e0\uff0e1', why: /IP address, not a domain name/ },
    { input: '192\uff610\uff612\uff611\u3002', why: /IP address, not a domain name/ },
    { input: 'a b.test', why: /contains " " \(0x20\)/ },
    { input: 'mx!.example.test', why: /contains "!" \(0x21\)/ },
    { input: 'mx/25.example.test', why: /contains "\/"/ },
    { input: 'xn--a.test', why: /not valid punycode/ },
    { input: '-mx.example.test', why: /hyphen/ },
    { input: 'mx-.example.test', why: /hyphen/ },
  ];
  for (const c of cases) {
    test(c.title ?? JSON.stringify(c.input), () => refused(() => normalizeDomain(c.input), c.why));
  }
});

describe('normalizeDomain never turns a name into an address', () => {
  // The WHATWG host parser behind domainToASCII reads these whole names as IPv4 (127.0.0.1, 1.2.0.3).
  for (const input of ['0x7f.1', '2130706433', '1.2.3', '0177.0.0.1']) {
    test(JSON.stringify(input), () => {
      let ascii: string | undefined;
      try {
        ascii = normalizeDomain(input).ascii;
      } catch (err) {
        assert.ok(err instanceof ProbeError && err.code === 'INVALID_INPUT', String(err));
        return;
      }
      assert.equal(
        ascii,
        input,
        'a numeric-looking name is asked as written, never as the address it resembles',
      );
    });
  }
});

describe('parseResolverAddress accepts', () => {
  const cases: { input: string; address: string; port: number }[] = [
    { input: '127.0.0.1', address: '127.0.0.1', port: 53 },
    { input: '127.0.0.1:5353', address: '127.0.0.1', port: 5353 },
    { input: ' 192.0.2.53:1 ', address: '192.0.2.53', port: 1 },
    { input: '192.0.2.53:65535', address: '192.0.2.53', port: 65535 },
    { input: '[::1]', address: '::1', port: 53 },
    { input: '[::1]:5353', address: '::1', port: 5353 },
    { input: '[2001:db8::53]:53', address: '2001:db8::53', port: 53 },
    { input: '::1', address: '::1', port: 53 },
    { input: '2001:db8::53', address: '2001:db8::53', port: 53 },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.input), () =>
      assert.deepEqual(parseResolverAddress(c.input), { address: c.address, port: c.port }),
    );
  }
});

describe('parseResolverAddress refuses', () => {
  const cases: { input: string; why: RegExp }[] = [
    { input: '', why: /empty/ },
    { input: 'localhost', why: /not an IP address/ },
    { input: 'dns.example.test:53', why: /not an IP address/ },
    { input: '[dns.example.test]:53', why: /not an IPv6 address/ },
    { input: '[127.0.0.1]:53', why: /not an IPv6 address/ },
    { input: '256.0.0.1', why: /not an IP address/ },
    { input: '127.0.0.1:', why: /port "" is not a number from 1 to 65535/ },
    { input: '127.0.0.1:dns', why: /port "dns"/ },
    { input: '127.0.0.1:-1', why: /port "-1"/ },
    { input: '127.0.0.1:0', why: /port "0"/ },
    { input: '127.0.0.1:65536', why: /port "65536"/ },
    { input: '127.0.0.1:99999', why: /port "99999"/ },
    { input: '127.0.0.1:123456', why: /port "123456"/ },
    { input: '127.0.0.1:53:53', why: /not an IP address|\[addr\]:port/ },
    { input: '[::1]:0', why: /port "0"/ },
    { input: '[::1]:70000', why: /port "70000"/ },
    { input: '127.0.0.1\r\n', why: /CR at offset 9/ },
    { input: '127.0.0.1\u0000', why: /NUL at offset 9/ },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.input), () => refused(() => parseResolverAddress(c.input), c.why));
  }
});
