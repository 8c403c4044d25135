/** The EHLO/HELO name: user-given names are checked, the default is a FQDN or an address literal. */
import { test, describe, mock, after } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
import { checkHeloName, defaultHeloName } from '../../src/session/helo-name.js';
import { ProbeError } from '../../src/errors.js';

describe('checkHeloName', () => {
  const good = [
    'client.example.org',
    'localhost',
    'mail_relay.example',
    '[192.0.2.1]',
    '[IPv6:2001:db8::1]',
    '[IPv6:::1]',
    'a'.repeat(253),
  ];
  for (const name of good)
    test(`accepts ${name.length > 30 ? `${name.slice(0, 30)}…` : name}`, () =>
      assert.equal(checkHeloName(name), name));

  const bad: [string, RegExp][] = [
    ['x\r\nRCPT TO:<a@b>', /CR at offset 1/],
    ['client.example.org\n', /LF/],
    ['client\u0000', /NUL/],
    ['', /neither a domain/],
    ['two words', /neither a domain/],
    ['[300.1.1.1]', /neither a domain/],
    ['[IPv6:not-an-address]', /neither a domain/],
    ['[192.0.2.1', /neither a domain/],
    ['bücher.example', /neither a domain/],
    ['a'.repeat(254), /neither a domain/],
  ];
  for (const [name, why] of bad) {
    test(`refuses ${JSON.stringify(name.length > 30 ? `${name.slice(0, 30)}…` : name)}`, () => {
      assert.throws(
        () => checkHeloName(name),
        (err: unknown) =>
          err instanceof ProbeError &&
          err.code === 'INVALID_INPUT' &&
          err.stage === 'input' &&
          why.test(err.message),
      );
    });
  }
});

describe('defaultHeloName', () => {
  // os.hostname is swapped for the test; syncBuiltinESMExports makes the named import see it.
  const useHostname = (name: string): void => {
    mock.method(os, 'hostname', () => name);
    syncBuiltinESMExports();
  };
  after(() => {
    mock.restoreAll();
    syncBuiltinESMExports();
  });

  const cases: { hostname: string; local: string | undefined; want: string }[] = [
    { hostname: 'MX1.Example.ORG', local: '192.0.2.7', want: 'mx1.example.org' },
    { hostname: 'probe.example.net', local: '::1', want: 'probe.example.net' },
    { hostname: 'buildbox', local: '192.0.2.7', want: '[192.0.2.7]' },
    { hostname: 'buildbox', local: '2001:db8::7', want: '[IPv6:2001:db8::7]' },
    { hostname: 'buildbox', local: '::ffff:127.0.0.1', want: '[IPv6:::ffff:127.0.0.1]' },
    { hostname: 'buildbox', local: undefined, want: '[127.0.0.1]' },
    { hostname: 'container_7f3a', local: '10.0.0.5', want: '[10.0.0.5]' },
    { hostname: 'localhost.localdomain', local: '10.0.0.5', want: 'localhost.localdomain' },
  ];
  for (const c of cases) {
    test(`hostname ${c.hostname}, local ${c.local ?? 'unknown'} → ${c.want}`, () => {
      useHostname(c.hostname);
      const name = defaultHeloName(c.local);
      assert.equal(name, c.want);
      assert.equal(checkHeloName(name), name, 'the default always passes our own check');
    });
  }
});
