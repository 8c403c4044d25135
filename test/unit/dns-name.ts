/** normalizeDomain and parseResolverAddress: every accepted form, and each refusal saying exactly what is wrong. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeDomain, parseResolverAddress } from '../../src/dns/name.js';
import { ProbeError } from '../../src/errors.js';

const label63 = 'a'.repeat(63);
// 3×63 + 61 + 3 dots = 253, the longest name; one more octet is too long.
const name253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`;
const name254 = `${label63}.${label63}.${label63}.${'b'.repeat(62)}`;

/** refused: the ProbeError a call throws, asserted to be INVALID_INPUT at stage input. */
function refused(fn: () => unknown): ProbeError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProbeError, `not a ProbeError: ${String(err)}`);
    assert.equal(err.code, 'INVALID_INPUT');
    assert.equal(err.stage, 'input');
    return err;
  }
  assert.fail('no error thrown');
}

describe('normalizeDomain accepts', () => {
  const cases: { input: string; ascii: string; unicode?: string }[] = [
    { input: 'example.com', ascii: 'example.com' },
    { input: 'Mail.Example.COM.', ascii: 'mail.example.com' },
    { input: '  mx.example.com  ', ascii: 'mx.example.com' },
    { input: 'bücher.test', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    { input: 'BÜCHER.test', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    { input: 'xn--bcher-kva.test', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    { input: 'XN--BCHER-KVA.test.', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    // Ideographic full stop separates labels too (UTS #46).
    { input: 'bücher\u3002test', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
    // A numeric last label stays as written (the WHATWG host parser would read "a.1.2" as IPv4-ish).
    { input: 'bücher.123', ascii: 'xn--bcher-kva.123', unicode: 'bücher.123' },
    { input: 'host.0x7f', ascii: 'host.0x7f' },
    { input: '_dmarc.example.org', ascii: '_dmarc.example.org' },
    { input: '_mta-sts.example.org', ascii: '_mta-sts.example.org' },
    { input: 'localhost', ascii: 'localhost' },
    { input: `${label63}.example`, ascii: `${label63}.example` },
    { input: name253, ascii: name253 },
    { input: `${name253}.`, ascii: name253 },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.input.length > 40 ? `${c.input.slice(0, 40)}…` : c.input), () => {
      assert.deepEqual(normalizeDomain(c.input), {
        input: c.input,
        ascii: c.ascii,
        unicode: c.unicode ?? c.ascii,
      });
    });
  }
});

describe('normalizeDomain refuses', () => {
  const cases: { input: string; why: RegExp }[] = [
    { input: '', why: /^domain name is empty$/ },
    { input: '   ', why: /^domain name is empty$/ },
    { input: '.', why: /only the root/ },
    {
      input: `${'a'.repeat(64)}.example`,
      why: /label "a{20}…" is 64 octets; the limit is 63 \(RFC 1035 §2\.3\.4\)/,
    },
    // The limit applies to the A-label: 58 × "ü" is 58 characters as text, 64 octets as punycode.
    {
      input: `${'ü'.repeat(58)}.test`,
      why: /label "xn--[a-z0-9]{16}…" is 64 octets; the limit is 63/,
    },
    {
      input: name254,
      why: /is 254 octets; the limit is 253 \(255 on the wire, RFC 1035 §2\.3\.4\)/,
    },
    { input: `${name253}.x`, why: /is 255 octets; the limit is 253/ },
    { input: 'a..example', why: /label 2 is empty \(two dots in a row\)/ },
    { input: '.example.com', why: /label 1 is empty \(a leading dot\)/ },
    { input: 'example.com..', why: /label 3 is empty \(two dots in a row\)/ },
    { input: 'mx.example.com\r\nRCPT TO:<x>', why: /domain name contains CR at offset 14/ },
    { input: 'a\u0000.example', why: /domain name contains NUL at offset 1/ },
    { input: 'a\u007f.example', why: /DEL at offset 1/ },
    {
      input: 'exa mple.com',
      why: /label "exa mple" contains " " \(0x20\) at offset 3; labels are letters, digits, hyphens and underscores/,
    },
    { input: '*.example.com', why: /label "\*" contains "\*" \(0x2a\) at offset 0/ },
    { input: 'a/b.example', why: /contains "\/" \(0x2f\) at offset 1/ },
    {
      input: '-mx.example.com',
      why: /label "-mx" starts or ends with a hyphen; host names may not \(RFC 1123 §2\.1\)/,
    },
    { input: 'mx-.example.com', why: /label "mx-" starts or ends with a hyphen/ },
    { input: 'xn--zz.test', why: /label "xn--zz" starts with xn-- but is not valid punycode/ },
    { input: '\u2488.test', why: /label "⒈" is not a valid internationalized label/ },
    { input: '192.0.2.1', why: /"192\.0\.2\.1" is an IP address, not a domain name/ },
    { input: '::1', why: /is an IP address/ },
    { input: '[2001:db8::1]', why: /is an IP address/ },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.input.length > 40 ? `${c.input.slice(0, 40)}…` : c.input), () => {
      assert.match(refused(() => normalizeDomain(c.input)).message, c.why);
    });
  }
});

describe('parseResolverAddress', () => {
  const accepted: { input: string; want: { address: string; port: number; url?: string } }[] = [
    { input: '192.0.2.53', want: { address: '192.0.2.53', port: 53 } },
    { input: '127.0.0.1:5353', want: { address: '127.0.0.1', port: 5353 } },
    { input: ' 127.0.0.1:53 ', want: { address: '127.0.0.1', port: 53 } },
    { input: '[2001:db8::53]:5353', want: { address: '2001:db8::53', port: 5353 } },
    { input: '[::1]', want: { address: '::1', port: 53 } },
    { input: '::1', want: { address: '::1', port: 53 } },
    // A bare IPv6 literal is always an address: write [::1]:53 for a port.
    { input: '2001:db8::1:53', want: { address: '2001:db8::1:53', port: 53 } },
    { input: '127.0.0.1:65535', want: { address: '127.0.0.1', port: 65535 } },
    // DNS over HTTPS (RFC 8484): the URL is where queries go; its host and port name it.
    {
      input: 'https://dns.example/dns-query',
      want: { address: 'dns.example', port: 443, url: 'https://dns.example/dns-query' },
    },
    {
      input: 'HTTPS://[::1]:8443/dns-query',
      want: { address: '::1', port: 8443, url: 'https://[::1]:8443/dns-query' },
    },
  ];
  for (const c of accepted) {
    test(`accepts ${JSON.stringify(c.input)}`, () =>
      assert.deepEqual(parseResolverAddress(c.input), c.want));
  }
  const refusedCases: { input: string; why: RegExp }[] = [
    { input: '', why: /resolver address is empty/ },
    {
      input: 'dns.example',
      why: /"dns\.example" is not an IP address; give IP, IP:port, \[IPv6\]:port or https:\/\/host\/dns-query/,
    },
    { input: 'dns.example:53', why: /"dns\.example" is not an IP address/ },
    { input: '127.0.0.1:0', why: /port "0" is not a number from 1 to 65535/ },
    { input: '127.0.0.1:65536', why: /port "65536"/ },
    { input: '127.0.0.1:dns', why: /port "dns"/ },
    { input: '127.0.0.1:', why: /port ""/ },
    { input: '[127.0.0.1]:53', why: /\[127\.0\.0\.1\] is not an IPv6 address/ },
    { input: '127.0.0.1\n', why: /resolver address contains LF/ },
    { input: 'http://dns.example/dns-query', why: /is not https \(RFC 8484 §5\.1\)/ },
    { input: 'https://', why: /is not a URL; give https:\/\/host\[:port\]\/dns-query/ },
    { input: 'https://u:p@dns.example/dns-query', why: /a user name or password/ },
  ];
  for (const c of refusedCases) {
    test(`refuses ${JSON.stringify(c.input)}`, () =>
      assert.match(refused(() => parseResolverAddress(c.input)).message, c.why));
  }
});
