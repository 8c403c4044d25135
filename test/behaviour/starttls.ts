/**
 * STARTTLS (RFC 3207) and implicit TLS (RFC 8314) against a test server using
 * certificates generated here: what the probe reports about the chain, the
 * name and the trust, and that nothing from before the handshake survives it.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { probeCaps, type CapsOptions } from '../../src/probes/caps.js';
import { CapsResultSchema } from '../../src/schema/caps.js';
import {
  act,
  expect,
  scriptedServer,
  send,
  sendRaw,
  upgradeTls,
  type Step,
} from '../support/scripted-server.js';
import { HELO_NAME, TIMEOUTS, ehloOk, greet, quit } from '../support/smtp-lines.js';
import { makeCert, tempDir, type TestCert } from '../support/certs.js';
import { TLSSocket } from 'node:tls';

let mxCert: TestCert;
let ipCert: TestCert;
let cleanup: () => Promise<void>;

before(async () => {
  const tmp = await tempDir();
  cleanup = tmp.remove;
  mxCert = await makeCert('mx.test', [{ type: 2, value: 'mx.test' }], tmp.dir);
  ipCert = await makeCert('127.0.0.1', [{ type: 7, ip: '127.0.0.1' }], tmp.dir);
});
after(() => cleanup());

const BEFORE_TLS = ['PIPELINING', 'SIZE 10240000', 'STARTTLS', 'ENHANCEDSTATUSCODES', '8BITMIME'];
const AFTER_TLS = [
  'PIPELINING',
  'SIZE 10240000',
  'AUTH PLAIN LOGIN',
  'ENHANCEDSTATUSCODES',
  '8BITMIME',
];

/** starttlsScript: the usual Postfix STARTTLS conversation, up to the handshake, then `rest`. */
function starttlsScript(cert: TestCert, rest: Step[]): Step[] {
  return [
    greet(),
    ...ehloOk(...BEFORE_TLS),
    expect('STARTTLS'),
    send('220 2.0.0 Ready to start TLS'),
    upgradeTls(cert),
    ...rest,
  ];
}

async function probe(steps: Step[], options: CapsOptions = {}) {
  const server = await scriptedServer(steps);
  try {
    const outcome = await probeCaps(server.target, {
      helo: HELO_NAME,
      census: false,
      timeouts: TIMEOUTS,
      ...options,
    });
    await server.finished();
    CapsResultSchema.parse(outcome.result);
    return { outcome, result: outcome.result, error: outcome.error, sent: server.received };
  } finally {
    await server.close();
  }
}

const ids = (findings: { id: string }[]): string[] => findings.map((f) => f.id);

describe('STARTTLS', () => {
  test('upgrade, certificate report, EHLO again, capability changes', async () => {
    const { outcome, result, sent } = await probe(
      starttlsScript(mxCert, [...ehloOk(...AFTER_TLS), ...quit()]),
    );
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'STARTTLS', `EHLO ${HELO_NAME}`, 'QUIT']);

    assert.equal(result.tls?.mode, 'starttls');
    assert.equal(result.tls?.outcome, 'ok');
    assert.equal(result.tls?.reply?.code, 220);
    const info = result.tls!.info!;
    assert.match(info.protocol, /^TLSv1\.[23]$/);
    assert.notEqual(info.cipher, 'unknown');
    assert.equal(info.chain.length, 1);
    const leaf = info.chain[0]!;
    assert.equal(leaf.selfSigned, true);
    assert.match(leaf.subject, /CN=mx\.test/);
    assert.deepEqual(leaf.subjectAltNames, ['DNS:mx.test']);
    assert.match(leaf.publicKey, /^EC/);
    assert.ok(leaf.daysLeft > 0, 'a fresh certificate is valid');
    assert.match(leaf.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.deepEqual(
      [info.nameMatch.name, info.nameMatch.ok],
      ['127.0.0.1', false],
      'probed by IP: the name is the IP, and mx.test does not cover it',
    );
    assert.equal(info.trusted.ok, false, 'self-signed and not in the trust store');

    assert.equal(result.capabilities?.starttls, true);
    assert.equal(result.capabilities?.auth, undefined);
    assert.equal(result.capabilitiesAfterTls?.starttls, false);
    assert.deepEqual(result.capabilitiesAfterTls?.auth, ['PLAIN', 'LOGIN']);
    assert.deepEqual(result.capabilityChanges?.removed, ['STARTTLS']);
    assert.deepEqual([...(result.capabilityChanges?.added ?? [])].sort(), [
      'AUTH LOGIN',
      'AUTH PLAIN',
    ]);
    for (const stage of ['starttls', 'ehloAfterTls'] as const)
      assert.equal(typeof result.timings[stage], 'number', stage);

    const found = ids(result.findings);
    for (const id of ['cert-self-signed', 'cert-name-mismatch', 'cert-untrusted'])
      assert.ok(found.includes(id), id);
    for (const id of ['starttls-broken', 'no-starttls', 'auth-plaintext-without-tls'])
      assert.ok(!found.includes(id), id);
  });

  test('the certificate in caFiles makes the chain trusted', async () => {
    const { outcome, result } = await probe(
      starttlsScript(mxCert, [...ehloOk(...AFTER_TLS), ...quit()]),
      { caFiles: [mxCert.certFile] },
    );
    assert.equal(outcome.status, 'ok');
    assert.equal(result.tls?.info?.trusted.ok, true);
    assert.match(
      result.tls!.info!.trusted.store,
      new RegExp(mxCert.certFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')),
    );
    assert.equal(result.tls?.info?.nameMatch.ok, false);
    assert.ok(!ids(result.findings).includes('cert-untrusted'));
  });

  test('tlsVerify with an untrusted certificate → TLS_CERT_INVALID, banner and capabilities kept', async () => {
    const { outcome, result, error, sent } = await probe(starttlsScript(mxCert, []), {
      tlsVerify: true,
    });
    assert.equal(outcome.status, 'tls-error');
    assert.deepEqual([error?.code, error?.stage], ['TLS_CERT_INVALID', 'starttls']);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'STARTTLS'], 'no EHLO over a rejected channel');
    assert.equal(result.banner?.hostname, 'mx.test');
    assert.equal(result.capabilities?.starttls, true);
    assert.equal(result.tls?.info?.trusted.ok, false, 'what was wrong is still reported');
    assert.equal(result.capabilitiesAfterTls, null);
  });

  test('tlsVerify with a trusted certificate for the name probed → ok', async () => {
    const { outcome, result } = await probe(
      starttlsScript(ipCert, [...ehloOk(...AFTER_TLS), ...quit()]),
      { tlsVerify: true, caFiles: [ipCert.certFile] },
    );
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.deepEqual([result.tls?.info?.nameMatch.ok, result.tls?.info?.trusted.ok], [true, true]);
    assert.deepEqual(result.capabilitiesAfterTls?.auth, ['PLAIN', 'LOGIN']);
  });

  test('STARTTLS answered 454 → STARTTLS_REFUSED, capabilities kept, session ended with QUIT', async () => {
    const { outcome, result, error, sent } = await probe([
      greet(),
      ...ehloOk(...BEFORE_TLS),
      expect('STARTTLS'),
      send('454 4.7.0 TLS not available due to local problem'),
      ...quit(),
    ]);
    assert.equal(outcome.status, 'tls-error');
    assert.deepEqual([error?.code, error?.stage], ['STARTTLS_REFUSED', 'starttls']);
    assert.match(error!.message, /454/);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'STARTTLS', 'QUIT']);
    assert.equal(result.tls?.outcome, 'refused');
    assert.equal(result.tls?.reply?.code, 454);
    assert.equal(result.capabilities?.size, 10240000);
    assert.ok(ids(result.findings).includes('starttls-broken'));
  });

  test('a server that answers 220 but never speaks TLS → TLS_HANDSHAKE_FAILED', async () => {
    const { outcome, result, error } = await probe([
      greet(),
      ...ehloOk(...BEFORE_TLS),
      expect('STARTTLS'),
      send('220 2.0.0 Ready to start TLS'),
      act(async (conn) => {
        conn.socket.removeAllListeners('data'); // the ClientHello is not a line
        await conn.write('500 5.5.1 this is not TLS\r\n');
        await conn.whenClosed;
      }),
    ]);
    assert.equal(outcome.status, 'tls-error');
    assert.deepEqual([error?.code, error?.stage], ['TLS_HANDSHAKE_FAILED', 'starttls']);
    assert.equal(result.tls?.outcome, 'failed');
    assert.ok(result.tls?.error);
    assert.equal(result.capabilities?.starttls, true);
    assert.ok(ids(result.findings).includes('starttls-broken'));
  });
});

describe('STARTTLS plaintext injection (RFC 3207 §6)', () => {
  test('a line injected with the 220 is dropped: the EHLO after TLS gets the real reply', async () => {
    const { outcome, result, sent } = await probe([
      greet(),
      ...ehloOk(...BEFORE_TLS),
      expect('STARTTLS'),
      sendRaw('220 2.0.0 Ready to start TLS\r\n250-injected.example\r\n250 AUTH PLAIN\r\n'),
      upgradeTls(mxCert),
      ...ehloOk(...AFTER_TLS),
      ...quit(),
    ]);
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'STARTTLS', `EHLO ${HELO_NAME}`, 'QUIT']);
    assert.equal(result.capabilitiesAfterTls?.hostname, 'mx.test');
    assert.deepEqual(
      result.capabilitiesAfterTls?.extensions.map((e) => e.keyword),
      ['PIPELINING', 'SIZE', 'AUTH', 'ENHANCEDSTATUSCODES', '8BITMIME'],
    );
    // The QUIT got the 221 sent after it, not a stale queued reply.
    const recv = outcome.transcript.entries.filter((e) => e.dir === 'recv').map((e) => e.line);
    assert.equal(recv.at(-1), '221 2.0.0 Bye');
  });

  test('a half reply and a half line injected with the 220 do not leak into the first reply after TLS', async () => {
    const { outcome, result } = await probe([
      greet(),
      ...ehloOk(...BEFORE_TLS),
      expect('STARTTLS'),
      sendRaw('220 2.0.0 Ready to start TLS\r\n250-injected.example\r\n250-inj'),
      upgradeTls(mxCert),
      ...ehloOk(...AFTER_TLS),
      ...quit(),
    ]);
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.equal(result.capabilitiesAfterTls?.hostname, 'mx.test');
    assert.deepEqual(
      result.capabilitiesAfterTls?.extensions.map((e) => e.keyword),
      ['PIPELINING', 'SIZE', 'AUTH', 'ENHANCEDSTATUSCODES', '8BITMIME'],
    );
  });

  test('plaintext sent after the 220 in its own write breaks the handshake instead of being read', async () => {
    const { outcome, result } = await probe([
      greet(),
      ...ehloOk(...BEFORE_TLS),
      expect('STARTTLS'),
      send('220 2.0.0 Ready to start TLS'),
      act(async (conn) => {
        conn.socket.removeAllListeners('data');
        await new Promise((r) => setTimeout(r, 50));
        await conn.write('250-injected.example\r\n250 AUTH PLAIN\r\n');
        await conn.whenClosed;
      }),
    ]);
    assert.equal(outcome.status, 'tls-error');
    assert.equal(outcome.error?.code, 'TLS_HANDSHAKE_FAILED');
    assert.equal(result.capabilitiesAfterTls, null);
  });
});

describe('bytes outside the TLS stream after STARTTLS: the TLS record error named', () => {
  /** rawAfter220: after the 220 to STARTTLS, write `bytes` on the TCP socket instead of a ServerHello. */
  const rawAfter220 = (bytes: Buffer): Step[] => [
    greet(),
    ...ehloOk(...BEFORE_TLS),
    expect('STARTTLS'),
    send('220 2.0.0 Ready to start TLS'),
    act(async (conn) => {
      conn.socket.removeAllListeners('data'); // the ClientHello is not a line
      await new Promise((r) => conn.socket.write(bytes, r));
      await conn.whenClosed;
    }),
  ];
  const OPENSSL_DUMP = /ssl3_get_record|deps\/openssl|:error:/;

  test('plaintext instead of a ServerHello → TLS_HANDSHAKE_FAILED: wrong version number, explained', async () => {
    const { outcome, result, error } = await probe(
      rawAfter220(Buffer.from('250-injected.example\r\n250 AUTH PLAIN\r\n')),
    );
    assert.equal(outcome.status, 'tls-error');
    assert.deepEqual([error?.code, error?.stage], ['TLS_HANDSHAKE_FAILED', 'starttls']);
    assert.match(
      error!.message,
      /wrong version number \(ERR_SSL_WRONG_VERSION_NUMBER\): the server sent non-TLS bytes after 220 to STARTTLS/,
    );
    assert.doesNotMatch(error!.message, OPENSSL_DUMP, "OpenSSL's reason, not its error-queue dump");
    assert.doesNotMatch(error!.message, /implicit TLS/, 'no hint meant for implicit TLS');
    assert.equal(result.tls?.outcome, 'failed');
    assert.equal(result.tls?.error, error!.message);
    assert.ok(ids(result.findings).includes('starttls-broken'));
  });

  test('garbage instead of a ServerHello (a record header claiming 32 KB) → packet length too long', async () => {
    const { error } = await probe(rawAfter220(Buffer.from([0x16, 0x03, 0x01, 0x7f, 0x7f, 0, 0])));
    assert.deepEqual([error?.code, error?.stage], ['TLS_HANDSHAKE_FAILED', 'starttls']);
    assert.match(
      error!.message,
      /packet length too long \(ERR_SSL_PACKET_LENGTH_TOO_LONG\): the server sent non-TLS bytes after 220 to STARTTLS/,
    );
    assert.doesNotMatch(error!.message, OPENSSL_DUMP);
  });

  test('plaintext outside the TLS stream after the handshake → TLS_HANDSHAKE_FAILED at the EHLO, not CONNECTION_CLOSED', async () => {
    const { outcome, result, error, sent } = await probe([
      greet(),
      ...ehloOk(...BEFORE_TLS),
      expect('STARTTLS'),
      send('220 2.0.0 Ready to start TLS'),
      act(async (conn) => {
        const raw = conn.socket;
        raw.removeAllListeners('data');
        const tls = new TLSSocket(raw, { isServer: true, key: mxCert.key, cert: mxCert.cert });
        tls.on('error', () => undefined);
        // The client's EHLO arrives inside TLS; the answer comes in clear, on the TCP socket.
        await new Promise((r) => tls.once('data', r));
        await new Promise((r) => raw.write('250 mx.test plaintext outside TLS\r\n', r));
        await conn.whenClosed;
      }),
    ]);
    assert.equal(outcome.status, 'tls-error');
    assert.deepEqual([error?.code, error?.stage], ['TLS_HANDSHAKE_FAILED', 'ehlo']);
    assert.match(error!.message, /^TLS record error during ehlo/);
    assert.match(
      error!.message,
      /wrong version number \(ERR_SSL_WRONG_VERSION_NUMBER\): the server sent non-TLS bytes on the TLS connection/,
    );
    assert.deepEqual(
      sent,
      [`EHLO ${HELO_NAME}`, 'STARTTLS'],
      'the EHLO inside TLS is not a line the server read',
    );
    assert.equal(result.tls?.outcome, 'failed', 'TLS failed after all');
    assert.equal(result.tls?.error, error!.message);
    assert.ok(result.tls?.info, 'what the handshake showed is kept');
    assert.equal(result.capabilitiesAfterTls, null);
    assert.ok(ids(result.findings).includes('starttls-broken'));
  });
});

describe('implicit TLS', () => {
  test('a server that greets in plaintext → TLS_HANDSHAKE_FAILED at stage tls, explained', async () => {
    const { outcome, error } = await probe(
      [
        act(async (conn) => {
          conn.socket.removeAllListeners('data'); // the ClientHello is not a line
          await conn.write('220 mx.test ESMTP Postfix\r\n');
          await conn.whenClosed;
        }),
      ],
      { implicitTls: true },
    );
    assert.equal(outcome.status, 'tls-error');
    assert.deepEqual([error?.code, error?.stage], ['TLS_HANDSHAKE_FAILED', 'tls']);
    assert.match(
      error!.message,
      /wrong version number \(ERR_SSL_WRONG_VERSION_NUMBER\): the server sent non-TLS bytes instead of a ServerHello/,
    );
    assert.match(error!.message, /may expect STARTTLS, not --implicit-tls/);
  });

  test('TLS from the first byte, then greeting, EHLO and QUIT inside it', async () => {
    const { outcome, result, sent } = await probe(
      [upgradeTls(mxCert), greet(), ...ehloOk(...AFTER_TLS), ...quit()],
      { implicitTls: true },
    );
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'QUIT']);
    assert.deepEqual([result.tls?.mode, result.tls?.outcome], ['implicit', 'ok']);
    assert.equal(result.tls?.info?.chain[0]?.selfSigned, true);
    assert.equal(typeof result.timings.tls, 'number');
    const found = ids(result.findings);
    assert.ok(!found.includes('auth-plaintext-without-tls'), 'AUTH inside implicit TLS is fine');
    assert.ok(!found.includes('no-starttls'));
  });
});
