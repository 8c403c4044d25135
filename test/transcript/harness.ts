/** The scripted server itself: it must fail a test whenever the client strays from the script. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  expect,
  scriptedServer,
  scriptedSessions,
  send,
  close,
} from '../support/scripted-server.js';

/** client: a raw socket that writes `text` once the first server line arrives, then waits for close. */
async function client(port: number, text: string): Promise<string> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let got = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    if (got === '') socket.write(text);
    got += d;
  });
  await once(socket, 'close');
  return got;
}

describe('scriptedServer', () => {
  test('a client that follows the script passes, and its lines are recorded', async () => {
    const server = await scriptedServer([
      send('220 hi'),
      expect('EHLO a'),
      expect(/^NOOP$/),
      send('221 bye'),
      close(),
    ]);
    try {
      const got = await client(server.port, 'EHLO a\r\nNOOP\r\n');
      await server.finished();
      assert.deepEqual(server.received, ['EHLO a', 'NOOP']);
      assert.equal(got, '220 hi\r\n221 bye\r\n');
    } finally {
      await server.close();
    }
  });

  test('an unexpected line rejects, naming it', async () => {
    const server = await scriptedServer([send('220 hi'), expect('EHLO a')]);
    try {
      await client(server.port, 'DATA\r\n');
      await assert.rejects(server.finished(), /expected "EHLO a", client sent "DATA"/);
    } finally {
      await server.close();
    }
  });

  test('a line after the script ended rejects', async () => {
    const server = await scriptedServer([send('220 hi'), expect('QUIT')]);
    try {
      const socket = connect({ host: '127.0.0.1', port: server.port });
      socket.on('error', () => undefined);
      await once(socket, 'data');
      socket.end('QUIT\r\nRSET\r\n');
      await assert.rejects(server.finished(), /after the script ended: "RSET"/);
    } finally {
      await server.close();
    }
  });

  test('a bare LF from the client rejects', async () => {
    const server = await scriptedServer([send('220 hi'), expect('EHLO a')]);
    try {
      await client(server.port, 'EHLO a\n');
      await assert.rejects(server.finished(), /not ended by CRLF/);
    } finally {
      await server.close();
    }
  });

  test('a client that leaves early rejects', async () => {
    const server = await scriptedServer([send('220 hi'), expect('EHLO a'), expect('QUIT')]);
    try {
      const socket = connect({ host: '127.0.0.1', port: server.port });
      socket.on('error', () => undefined);
      await once(socket, 'data');
      socket.end('EHLO a\r\n');
      await assert.rejects(server.finished(), /client closed at step 2/);
    } finally {
      await server.close();
    }
  });

  test('a second connection rejects', async () => {
    const server = await scriptedServer([send('220 hi'), expect('QUIT')]);
    try {
      const first = connect({ host: '127.0.0.1', port: server.port });
      first.on('error', () => undefined);
      await once(first, 'data');
      await client(server.port, 'x');
      await assert.rejects(server.finished(), /second connection/);
      first.destroy();
    } finally {
      await server.close();
    }
  });

  test('a stuck script rejects once the watchdog fires', async () => {
    const server = await scriptedServer([send('220 hi'), expect('EHLO a')], { watchdogMs: 100 });
    try {
      const socket = connect({ host: '127.0.0.1', port: server.port });
      socket.on('error', () => undefined);
      await assert.rejects(server.finished(), /stuck/);
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  test('scriptedSessions: each connection plays its own script; lines are kept per session', async () => {
    const server = await scriptedSessions([
      [send('220 one'), expect('QUIT'), send('221 bye'), close()],
      [send('220 two'), expect('NOOP'), send('250 ok'), close()],
    ]);
    try {
      assert.equal(await client(server.port, 'QUIT\r\n'), '220 one\r\n221 bye\r\n');
      assert.equal(await client(server.port, 'NOOP\r\n'), '220 two\r\n250 ok\r\n');
      await server.finished();
      assert.deepEqual(server.sessions, [['QUIT'], ['NOOP']]);
      assert.deepEqual(server.received, ['QUIT', 'NOOP']);
    } finally {
      await server.close();
    }
  });

  test('scriptedSessions: a connection beyond the scripts rejects, and so does a session that never comes', async () => {
    const extra = await scriptedSessions([
      [send('220 one'), expect('QUIT')],
      [send('220 two'), expect('QUIT')],
    ]);
    const missing = await scriptedSessions(
      [
        [send('220 one'), close()],
        [send('220 two'), close()],
      ],
      { watchdogMs: 200 },
    );
    const open: Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = connect({ host: '127.0.0.1', port: extra.port });
        s.on('error', () => undefined);
        open.push(s);
        await once(s, 'data');
      }
      await client(extra.port, 'x');
      await assert.rejects(extra.finished(), /connection 3 was opened; the script has 2/);
      await client(missing.port, '');
      await assert.rejects(missing.finished(), /session 2 never connected/);
    } finally {
      for (const s of open) s.destroy();
      await extra.close();
      await missing.close();
    }
  });
});
