/**
 * Injection: a CR or LF in any argument is refused before a socket opens, so
 * nothing can be smuggled into the SMTP stream. The server proves it: after
 * every refused attempt one honest probe is its first and only connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeCaps, type CapsOptions } from '../../src/probes/caps.js';
import { ProbeError } from '../../src/errors.js';
import { scriptedServer } from '../support/scripted-server.js';
import { HELO_NAME, TIMEOUTS, ehloOk, greet, quit } from '../support/smtp-lines.js';

test('CR/LF and other control bytes in the HELO name or target are refused before any connection', async () => {
  const server = await scriptedServer([greet(), ...ehloOk('PIPELINING'), ...quit()]);
  try {
    const attempts: [string, CapsOptions][] = [
      [server.target, { helo: 'x\r\nRCPT TO:<a@b>' }],
      [server.target, { helo: 'client.test\nDATA' }],
      [server.target, { helo: 'client.test\u0000' }],
      [`${server.target}\n`, {}],
      [`127.0.0.1\r\nQUIT:${server.port}`, {}],
      [`${server.target}\u0085`, {}],
    ];
    for (const [target, options] of attempts) {
      await assert.rejects(
        probeCaps(target, { census: false, timeouts: TIMEOUTS, ...options }),
        (err: unknown) => {
          assert.ok(err instanceof ProbeError, String(err));
          assert.deepEqual(
            [err.code, err.stage, err.status],
            ['INVALID_INPUT', 'input', 'invalid-input'],
          );
          return true;
        },
        JSON.stringify([target, options]),
      );
    }
    assert.equal(server.connections, 0);

    const honest = await probeCaps(server.target, {
      helo: HELO_NAME,
      census: false,
      timeouts: TIMEOUTS,
    });
    await server.finished();
    assert.equal(honest.status, 'ok');
    assert.equal(server.connections, 1);
    assert.deepEqual(server.received, [`EHLO ${HELO_NAME}`, 'QUIT']);
  } finally {
    await server.close();
  }
});
