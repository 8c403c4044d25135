/**
 * nameMismatch, pure: why a certificate does not cover the name probed, in a
 * sentence of our own that says what the certificate does cover (Node's own
 * text ends in a dangling "cert's list: " when there is nothing to list).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { nameMismatch } from '../../src/net/tls.js';

const cert = (subjectaltname: string | undefined, CN?: string) =>
  ({ subjectaltname, subject: CN ? { CN } : {} }) as Parameters<typeof nameMismatch>[1];

describe('nameMismatch', () => {
  const cases: [string, string, ReturnType<typeof cert>, string][] = [
    [
      'an IP address, no IP SAN (the lab leaf probed by another address)',
      '127.0.0.1',
      cert('DNS:mx.test'),
      'the certificate lists no IP address, so it cannot match 127.0.0.1; it is for mx.test',
    ],
    [
      'an IP address, no SAN at all, a common name',
      '192.0.2.1',
      cert(undefined, 'mx.example.com'),
      'the certificate lists no IP address, so it cannot match 192.0.2.1; it is for mx.example.com',
    ],
    [
      'an IP address, no SAN, no common name',
      '192.0.2.1',
      cert(undefined),
      'the certificate lists no IP address, so it cannot match 192.0.2.1',
    ],
    [
      'an IP address not among the IP SANs',
      '192.0.2.1',
      cert('DNS:mx.example.com, IP Address:192.0.2.9, IP Address:2001:DB8:0:0:0:0:0:1'),
      "192.0.2.1 is not among the certificate's IP addresses (192.0.2.9, 2001:DB8:0:0:0:0:0:1)",
    ],
    [
      'a host name not among the DNS SANs',
      'mx.example.com',
      cert('DNS:mail.example.net, DNS:*.example.net', 'mx.example.com'),
      "mx.example.com is not among the certificate's names (mail.example.net, *.example.net)",
    ],
    [
      'a host name, no DNS SAN, another common name',
      'mx.example.com',
      cert(undefined, 'other.example.com'),
      "mx.example.com does not match the certificate's common name other.example.com (it has no DNS name in subjectAltName)",
    ],
    [
      'a host name, nothing to match',
      'mx.example.com',
      cert('IP Address:192.0.2.9'),
      'the certificate names no host (no DNS name in subjectAltName, no common name), so it cannot match mx.example.com',
    ],
  ];
  for (const [name, host, c, want] of cases)
    test(name, () => {
      const text = nameMismatch(host, c);
      assert.equal(text, want);
      assert.doesNotMatch(text, /: $|cert's list/);
    });
});
