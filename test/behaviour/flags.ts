/**
 * Every flag is a promise: each numeric, duration and choice flag of every
 * command rejects a bad value with exit 2 and one line naming the flag, the
 * value and what is accepted (an INVALID_INPUT envelope under --json), before
 * any DNS query or connection; a missing positional says what is needed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { OUTPUT_SCHEMAS } from '../../src/schema/index.js';
import { type CountingServer, countingServer, runCli } from '../support/cli-run.js';

let smtp: CountingServer;
let dns: UdpSocket;
let dnsPackets = 0;
let resolver = '';

before(async () => {
  smtp = await countingServer();
  dns = createSocket('udp4');
  dns.on('message', () => {
    dnsPackets++;
  });
  await new Promise<void>((resolve) => dns.bind(0, '127.0.0.1', resolve));
  resolver = `127.0.0.1:${dns.address().port}`;
});
after(async () => {
  await smtp.close();
  dns.close();
});

/** BAD: [command line, the flag's message]. Each would otherwise reach a socket or a resolver. */
const BAD: [string[], RegExp][] = [
  [
    ['mx', 'example.test', '--port', '70000'],
    /--port "70000" is not a port: give a whole number from 1 to 65535/,
  ],
  [['mx', 'example.test', '--port', 'abc'], /--port "abc" is not a port/],
  [['mx', 'example.test', '--port', '-1'], /--port "-1" is not a port/],
  [['mx', 'example.test', '--port', '1.5'], /--port "1.5" is not a port/],
  [
    ['mx', 'example.test', '--port', '0'],
    /--port "0" is not a port: give a whole number from 1 to 65535/,
  ],
  [
    ['mx', 'example.test', '--parallel', 'abc'],
    /--parallel "abc" is not a number of addresses: give a whole number from 1 to 64/,
  ],
  [['mx', 'example.test', '--dns-timeout', '2x'], /--dns-timeout "2x" is not a duration/],
  [['failover', 'example.test', '--port', '70000'], /--port "70000" is not a port/],
  [
    ['failover', 'example.test', '--address-limit', 'abc'],
    /--address-limit "abc" is not a number of addresses: give a whole number from 1 to 100/,
  ],
  [
    ['failover', 'example.test', '--session-limit', '0'],
    /--session-limit "0" is not a number of sessions/,
  ],
  [['failover', 'example.test', '--max-delay', 'soon'], /--max-delay "soon" is not a duration/],
  [
    ['failover', 'example.test', '--profile', 'qmail'],
    /--profile "qmail" is not one of postfix, exim, sendmail, bsd-tcp, linux-tcp/,
  ],
  [
    ['verify', 'a@example.test', '--max-errors', 'abc'],
    /--max-errors "abc" is not a number of rejections: give a whole number from 1 to 1000/,
  ],
  [
    ['verify', 'a@example.test', '--max-errors', '0'],
    /--max-errors "0" is not a number of rejections/,
  ],
  [
    ['verify', 'a@example.test', '--max-errors', '-1'],
    /--max-errors "-1" is not a number of rejections/,
  ],
  [
    ['verify', 'a@example.test', '--connections', '99'],
    /--connections "99" is not a number of sessions: give a whole number from 1 to 8/,
  ],
  [['verify', 'a@example.test', '--port', '70000'], /--port "70000" is not a port/],
  [
    ['verify', 'a@example.test', '--method', 'dns'],
    /--method "dns" is not one of rcpt, vrfy,rcpt or vrfy/,
  ],
  [
    ['verify', 'a@example.test', '--retry-after', 'later'],
    /--retry-after "later" is not a duration/,
  ],
  [
    ['verify', 'a@example.test', '--server', 'mx.example.test:0'],
    /--server "mx.example.test:0": port "0" is not a number from 1 to 65535/,
  ],
  [
    ['caps', '127.0.0.1:25', '--timeout', '5x'],
    /--timeout "5x" is not a duration; write it like 500ms, 5s or 2m/,
  ],
  [['caps', '127.0.0.1:25', '--connect-timeout', '0'], /--connect-timeout "0" must be more than 0/],
  [
    ['vrfy', '127.0.0.1:25', 'alice', '--command-timeout', 'x'],
    /--command-timeout "x" is not a duration/,
  ],
];

describe('a bad flag value: exit 2, one line, nothing sent', () => {
  for (const [args, message] of BAD) {
    test(args.join(' '), async () => {
      const before = { smtp: smtp.connections, dns: dnsPackets };
      const withPeers =
        args[0] === 'caps' || args[0] === 'vrfy'
          ? args.map((a) => (a === '127.0.0.1:25' ? smtp.target : a))
          : [...args, '--resolver', resolver];
      const run = await runCli(withPeers);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '');
      const lines = run.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0]!, /^smtp-probe: /);
      assert.match(lines[0]!, message);
      const json = await runCli([...withPeers, '--json']);
      assert.equal(json.code, 2);
      const env = OUTPUT_SCHEMAS[args[0] as 'mx'].parse(JSON.parse(json.stdout));
      assert.deepEqual(
        [env.status, env.error?.code, env.error?.stage],
        ['invalid-input', 'INVALID_INPUT', 'input'],
      );
      assert.match(env.error?.message ?? '', message);
      assert.deepEqual({ smtp: smtp.connections, dns: dnsPackets }, before, 'nothing was sent');
    });
  }
});

describe('a missing positional says what is needed, with an example', () => {
  const cases: [string[], string][] = [
    [['caps'], 'caps needs a target, e.g. smtp-probe caps mx.example.com'],
    [['mx'], 'mx needs a domain, e.g. smtp-probe mx example.com'],
    [['failover'], 'failover needs a domain, e.g. smtp-probe failover example.com'],
    [['vrfy'], 'vrfy needs a target, e.g. smtp-probe vrfy mx.example.com postmaster'],
    [['expn'], 'expn needs a target, e.g. smtp-probe expn mx.example.com staff'],
    [['schema'], 'schema needs a command name, e.g. smtp-probe schema caps'],
  ];
  for (const [args, message] of cases) {
    test(args.join(' '), async () => {
      const run = await runCli(args);
      assert.equal(run.code, 2);
      assert.equal(run.stderr.split('\n')[0], `smtp-probe: ${message}`);
      assert.doesNotMatch(run.stderr, /Not enough non-option arguments/);
    });
  }
});

describe('every listed flag does something', () => {
  test('lab does not offer --transcript (it is the server side)', async () => {
    const run = await runCli(['lab', '--help']);
    assert.doesNotMatch(run.stdout, /--transcript/);
  });
});
