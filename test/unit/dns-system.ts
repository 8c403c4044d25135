/** The system's DNS servers from resolv.conf, and the message when there are none. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResolvConf, systemResolvers } from '../../src/dns/system.js';
import { ProbeError } from '../../src/errors.js';

describe('parseResolvConf', () => {
  const cases: { what: string; text: string; want: string[] }[] = [
    {
      what: 'IPv4 and IPv6 servers in order',
      text: 'nameserver 192.0.2.53\nnameserver 2001:db8::53\n',
      want: ['192.0.2.53', '2001:db8::53'],
    },
    {
      what: 'comments, search and options are skipped',
      text: '# generated\n; old style\nsearch example.test\noptions ndots:2 timeout:1\nnameserver 192.0.2.1\n',
      want: ['192.0.2.1'],
    },
    { what: 'an IPv6 zone id is dropped', text: 'nameserver fe80::1%eth0\n', want: ['fe80::1'] },
    {
      what: 'indentation, tabs, CRLF and a trailing comment',
      text: '  nameserver\t192.0.2.2 # primary\r\nnameserver 192.0.2.3;backup\r\n',
      want: ['192.0.2.2', '192.0.2.3'],
    },
    {
      what: 'names and junk are not servers',
      text: 'nameserver dns.example\nnameserver 300.1.1.1\nnameserverx 192.0.2.9\n#nameserver 192.0.2.8\n',
      want: [],
    },
    { what: 'an empty file', text: '', want: [] },
  ];
  for (const c of cases) {
    test(c.what, () =>
      assert.deepEqual(
        parseResolvConf(c.text),
        c.want.map((address) => ({ address, port: 53 })),
      ),
    );
  }
});

describe('systemResolvers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-resolv-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));

  test('reads the servers of the given file', () => {
    const file = join(dir, 'ok.conf');
    writeFileSync(file, 'nameserver 127.0.0.53\noptions edns0\n');
    assert.deepEqual(systemResolvers(file), [{ address: '127.0.0.53', port: 53 }]);
  });

  test('no nameserver line → INVALID_INPUT naming the file and the flag', () => {
    const file = join(dir, 'empty.conf');
    writeFileSync(file, 'search example.test\n');
    assert.throws(
      () => systemResolvers(file),
      (err: unknown) => {
        assert.ok(err instanceof ProbeError);
        assert.equal(err.code, 'INVALID_INPUT');
        assert.equal(err.message, `no DNS server configured in ${file}; pass --resolver IP[:port]`);
        return true;
      },
    );
  });

  test('a missing file → INVALID_INPUT with the errno', () => {
    const file = join(dir, 'missing.conf');
    assert.throws(() => systemResolvers(file), {
      code: 'INVALID_INPUT',
      message: `no DNS server configured: cannot read ${file} (ENOENT); pass --resolver IP[:port]`,
    });
  });
});
