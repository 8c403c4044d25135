/**
 * Behaviour tests of the lab as a place to send mail: `esmtp` takes a
 * message after DATA (dot-stuffing undone, bytes kept, SIZE enforced) and
 * keeps it in `lab.messages`; it accepts the lab's AUTH account over TLS;
 * the log never holds message content or a secret; every other host still
 * refuses DATA. A raw client on real sockets; one lab on free ports.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startLab,
  Conversation,
  MessageStore,
  PERSONALITIES,
  LAB_AUTH_USER,
  LAB_AUTH_PASSWORD,
  MAX_STORED_MESSAGES,
  type Lab,
  type LabHost,
  type LabSession,
  type StoredMessage,
} from '../../src/lab/index.js';
import { crlf, RawSmtp, type Wire } from '../support/raw-smtp.js';

let lab: Lab;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const PLAIN = b64(`\0${LAB_AUTH_USER}\0${LAB_AUTH_PASSWORD}`);

/** greeted: a raw client connected to `h`, its 220 read and EHLO said. */
async function greeted(h: LabHost): Promise<RawSmtp> {
  const { c, ehlo } = await RawSmtp.greeted(h.address, h.port);
  assert.equal(ehlo.code, 250);
  return c;
}

/** secure: STARTTLS, the handshake (the chain must verify against the lab CA), and EHLO again. */
async function secure(c: RawSmtp): Promise<void> {
  assert.equal((await c.command('STARTTLS')).code, 220);
  assert.equal((await c.startTls(lab.caCertPem, 'esmtp.lab.test')).authorized, true);
  assert.equal((await c.command('EHLO client.example')).code, 250);
}

/** sessionOf: the lab's record of this connection (the latest from its source port to `host`). */
function sessionOf(c: RawSmtp, host = 'esmtp.lab.test'): LabSession {
  const s = lab.sessions.filter((x) => x.remote === c.local && x.host === host).at(-1);
  assert.ok(s, `no session from ${c.local} to ${host}`);
  return s;
}

/** ended: the session once the host has seen the connection close. */
async function ended(c: RawSmtp, host?: string): Promise<LabSession> {
  await c.closed;
  const s = sessionOf(c, host);
  for (let waited = 0; s.closedAt === null && waited < 2_000; waited += 5)
    await new Promise((r) => setTimeout(r, 5));
  return s;
}

const linesOf = (s: LabSession): string[] =>
  lab.log.filter((e) => e.conn === s.conn).map((e) => e.line);
const messagesOf = (s: LabSession): StoredMessage[] =>
  lab.messages.filter((m) => m.conn === s.conn);
const queued = (w: Wire): string => {
  assert.equal(w.code, 250, w.lines.join(' / '));
  const m = /^2\.0\.0 Ok: queued as ([0-9A-F]{10})$/.exec(w.lines[0]!);
  assert.ok(m, w.lines[0]);
  return m[1]!;
};

before(async () => {
  lab = await startLab({ port: 0, hosts: ['esmtp', 'vrfy-closed', 'mlfarm.test'] });
});
after(() => lab.close());

describe('lab: esmtp takes a message', { concurrency: true }, () => {
  test('dot-stuffing is undone, 8-bit bytes kept, lines stored with CRLF; the parameters recorded', async () => {
    const c = await greeted(lab.host('esmtp'));
    assert.deepEqual(
      await c.command('MAIL FROM:<sender@example.org> SIZE=64 BODY=8BITMIME RET=HDRS ENVID=t+2B1'),
      { code: 250, lines: ['2.1.0 Ok'] },
    );
    assert.equal(
      (
        await c.command(
          'RCPT TO:<alice@esmtp.lab.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@esmtp.lab.test',
        )
      ).code,
      250,
    );
    assert.equal((await c.command('RCPT TO:<postmaster@[127.0.0.10]>')).code, 250);
    assert.deepEqual(await c.command('DATA'), {
      code: 354,
      lines: ['End data with <CR><LF>.<CR><LF>'],
    });
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1: not UTF-8
    c.send('Subject: dots', '', '..', '...x', '..y', '.z', latin1, 'QUIT', 'RSET', '', 'end');
    assert.ok(await c.silentFor(150), 'content lines get no reply');
    c.send('.');
    const id = queued(await c.reply());
    assert.equal((await c.command('QUIT')).code, 221);
    const s = await ended(c);
    const [m, ...more] = messagesOf(s);
    assert.equal(more.length, 0);
    assert.equal(m!.queueId, id);
    assert.deepEqual(
      m!.data,
      crlf(['Subject: dots', '', '.', '..x', '.y', 'z', latin1, 'QUIT', 'RSET', '', 'end']),
    );
    assert.deepEqual(
      { ...m!, data: undefined, at: undefined },
      {
        queueId: id,
        at: undefined,
        host: 'esmtp.lab.test',
        conn: s.conn,
        remote: c.local,
        tls: false,
        authUser: null,
        from: 'sender@example.org',
        recipients: ['alice@esmtp.lab.test', 'postmaster@[127.0.0.10]'],
        mailParams: ['SIZE=64', 'BODY=8BITMIME', 'RET=HDRS', 'ENVID=t+2B1'],
        rcptParams: [['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;alice@esmtp.lab.test'], []],
        data: undefined,
      },
    );
    assert.deepEqual(
      linesOf(s).map((l) => l.split(/[: ]/)[0]),
      ['EHLO', 'MAIL', 'RCPT', 'RCPT', 'DATA', 'QUIT'],
      'content is never logged',
    );
    assert.equal(s.commands, 6, 'nor counted as commands');
    assert.equal(s.data, 1);
    assert.equal(s.messages, 1);
  });

  test('pipelined: MAIL, RCPT, DATA and the message in one write; line by line, content is told from commands', async () => {
    const c = await greeted(lab.host('esmtp'));
    c.send(
      'MAIL FROM:<>',
      'RCPT TO:<nobody@esmtp.lab.test>',
      'RCPT TO:<alice@esmtp.lab.test>',
      'DATA',
      'NOOP',
      '.',
      'MAIL FROM:<b@example.org>',
      'RCPT TO:<postmaster@esmtp.lab.test>',
      'DATA',
      'second',
      '.',
      'QUIT',
    );
    const replies = await c.take(10);
    assert.deepEqual(
      replies.map((r) => r.code),
      [250, 550, 250, 354, 250, 250, 250, 354, 250, 221],
    );
    const s = await ended(c);
    const ids = [replies[4]!, replies[8]!].map(queued);
    assert.notEqual(ids[0], ids[1], 'queue ids are unique');
    assert.deepEqual(
      messagesOf(s).map((m) => [m.queueId, m.from, m.recipients, m.data.toString()]),
      [
        [ids[0], '', ['alice@esmtp.lab.test'], 'NOOP\r\n'],
        [ids[1], 'b@example.org', ['postmaster@esmtp.lab.test'], 'second\r\n'],
      ],
    );
    assert.ok(!linesOf(s).includes('NOOP'));
    assert.deepEqual([s.commands, s.data, s.messages], [9, 2, 2]);
  });

  test('DATA without an accepted recipient: 503 before MAIL, 554 5.5.1 after; the lines after are commands again', async () => {
    const c = await greeted(lab.host('esmtp'));
    assert.deepEqual(await c.command('DATA'), {
      code: 503,
      lines: ['5.5.1 Error: need RCPT command'],
    });
    assert.equal((await c.command('MAIL FROM:<a@example.org>')).code, 250);
    assert.equal((await c.command('RCPT TO:<x@elsewhere.example>')).code, 554);
    assert.deepEqual(await c.command('DATA'), {
      code: 554,
      lines: ['5.5.1 Error: no valid recipients'],
    });
    assert.equal((await c.command('NOOP')).code, 250);
    assert.deepEqual(await c.command('DATA now'), {
      code: 554,
      lines: ['5.5.1 Error: no valid recipients'],
    });
    c.send('QUIT');
    const s = await ended(c);
    assert.deepEqual([s.data, s.messages], [3, 0]);
  });

  test('SIZE= over the limit is refused at MAIL (552 5.3.4); parameters need their extension (555)', async () => {
    const c = await greeted(lab.host('esmtp'));
    assert.deepEqual(await c.command('MAIL FROM:<a@example.org> SIZE=10240001'), {
      code: 552,
      lines: ['5.3.4 Message size exceeds fixed limit'],
    });
    assert.deepEqual(await c.command('MAIL FROM:<a@example.org> SIZE=ten'), {
      code: 501,
      lines: ['5.5.4 Bad message size syntax'],
    });
    assert.deepEqual(await c.command('MAIL FROM:<a@example.org> BINARY'), {
      code: 555,
      lines: ['5.5.4 Unsupported option: BINARY'],
    });
    assert.deepEqual(
      await c.command('MAIL FROM:<a@example.org> AUTH=<>'),
      {
        code: 555,
        lines: ['5.5.4 Unsupported option: AUTH=<>'],
      },
      'AUTH= only where AUTH is offered (after TLS here)',
    );
    assert.deepEqual(await c.command('MAIL FROM:<jöran@example.org>'), {
      code: 553,
      lines: ['5.6.7 Must declare SMTPUTF8 to send unicode address'],
    });
    assert.equal(
      (await c.command('MAIL FROM:<jöran@example.org> SMTPUTF8 SIZE=10240000')).code,
      250,
    );
    assert.equal((await c.command('RCPT TO:<alice@esmtp.lab.test> NOTIFY=SOMETIMES')).code, 501);
    c.close();

    const v = await greeted(lab.host('vrfy-closed'));
    assert.deepEqual(
      await v.command('MAIL FROM:<> RET=HDRS'),
      {
        code: 555,
        lines: ['5.5.4 Unsupported option: RET=HDRS'],
      },
      'no DSN offered',
    );
    assert.equal((await v.command('MAIL FROM:<> BODY=8BITMIME SIZE=99')).code, 250);
    assert.deepEqual(await v.command('RCPT TO:<alice@vrfy-closed.lab.test> NOTIFY=NEVER'), {
      code: 555,
      lines: ['5.5.4 Unsupported option: NOTIFY=NEVER'],
    });
    v.close();
  });

  test('a host without acceptsMail still refuses DATA (554 5.5.0), and the session counts it', async () => {
    const c = await greeted(lab.host('mx1.mlfarm.test'));
    assert.equal((await c.command('MAIL FROM:<>')).code, 250);
    assert.equal((await c.command('RCPT TO:<alice@mlfarm.test>')).code, 250);
    assert.deepEqual(await c.command('DATA'), {
      code: 554,
      lines: ['5.5.0 Error: lab hosts never accept mail'],
    });
    c.send('QUIT');
    const s = await ended(c, 'mx1.mlfarm.test');
    assert.deepEqual([s.data, s.messages], [1, 0]);
    assert.ok(linesOf(s).includes('DATA'));
    assert.equal(messagesOf(s).length, 0);
  });

  test('BDAT is refused on esmtp too, and the connection closes (the lab frames lines only)', async () => {
    const c = await greeted(lab.host('esmtp'));
    c.send('MAIL FROM:<>', 'RCPT TO:<alice@esmtp.lab.test>', 'BDAT 4 LAST');
    assert.deepEqual(await c.codes(3), [250, 250, 554]);
    const s = await ended(c);
    assert.deepEqual([s.data, s.messages], [1, 0]);
  });

  test('a client that closes mid-DATA leaves nothing stored', async () => {
    const c = await greeted(lab.host('esmtp'));
    c.send('MAIL FROM:<>', 'RCPT TO:<alice@esmtp.lab.test>', 'DATA');
    assert.deepEqual(await c.codes(3), [250, 250, 354]);
    c.send('Subject: cut short', '', 'and then');
    await c.silentFor(150);
    c.close();
    const s = await ended(c);
    assert.equal(s.closedBy, 'client');
    assert.deepEqual([s.data, s.messages, messagesOf(s).length], [1, 0, 0]);
  });

  test('a line over 2,048 octets in DATA gets 500 5.5.6 and a hang-up; nothing stored', async () => {
    const c = await greeted(lab.host('esmtp'));
    c.send('MAIL FROM:<>', 'RCPT TO:<alice@esmtp.lab.test>', 'DATA');
    assert.deepEqual(await c.codes(3), [250, 250, 354]);
    c.send('x'.repeat(3_000), '.');
    assert.deepEqual(await c.reply(), { code: 500, lines: ['5.5.6 Error: line too long'] });
    const s = await ended(c);
    assert.equal(messagesOf(s).length, 0);
  });
});

describe('lab: AUTH with the lab account', { concurrency: true }, () => {
  test('530 before TLS; PLAIN with an initial response, then the message carries the user', async () => {
    const c = await greeted(lab.host('esmtp'));
    assert.deepEqual(await c.command(`AUTH PLAIN ${PLAIN}`), {
      code: 530,
      lines: ['5.7.0 Must issue a STARTTLS command first'],
    });
    await secure(c);
    assert.deepEqual(await c.command(`AUTH PLAIN ${PLAIN}`), {
      code: 235,
      lines: ['2.7.0 Authentication successful'],
    });
    assert.deepEqual(await c.command(`AUTH PLAIN ${PLAIN}`), {
      code: 503,
      lines: ['5.5.1 Error: already authenticated'],
    });
    c.send('MAIL FROM:<lab-user@esmtp.lab.test> AUTH=<>', 'RCPT TO:<alice@esmtp.lab.test>', 'DATA');
    assert.deepEqual(await c.codes(3), [250, 250, 354]);
    c.send('hello', '.', 'QUIT');
    queued(await c.reply());
    assert.equal((await c.reply()).code, 221);
    const s = await ended(c);
    const [m] = messagesOf(s);
    assert.deepEqual([m!.tls, m!.authUser, m!.mailParams], [true, LAB_AUTH_USER, ['AUTH=<>']]);
    assert.deepEqual(
      lab.log.filter((e) => e.conn === s.conn && /^AUTH/.test(e.line)).map((e) => [e.tls, e.line]),
      [
        [false, 'AUTH PLAIN <redacted>'],
        [true, 'AUTH PLAIN <redacted>'],
        [true, 'AUTH PLAIN <redacted>'],
      ],
    );
  });

  test('PLAIN without an initial response: an empty 334, then the credentials', async () => {
    const c = await greeted(lab.host('esmtp'));
    await secure(c);
    assert.deepEqual(await c.command('AUTH PLAIN'), { code: 334, lines: [''] });
    assert.equal((await c.command(PLAIN)).code, 235);
    c.send('QUIT');
    const s = await ended(c);
    assert.deepEqual(linesOf(s).slice(-3), ['AUTH PLAIN', '<redacted>', 'QUIT']);
  });

  test('LOGIN: Username: and Password: prompts, or the user name as the initial response', async () => {
    const c = await greeted(lab.host('esmtp'));
    await secure(c);
    assert.deepEqual(await c.command('AUTH LOGIN'), { code: 334, lines: ['VXNlcm5hbWU6'] });
    assert.deepEqual(await c.command(b64(LAB_AUTH_USER)), { code: 334, lines: ['UGFzc3dvcmQ6'] });
    assert.equal((await c.command(b64(LAB_AUTH_PASSWORD))).code, 235);
    c.close();

    const d = await greeted(lab.host('esmtp'));
    await secure(d);
    assert.deepEqual(await d.command(`auth login ${b64(LAB_AUTH_USER)}`), {
      code: 334,
      lines: ['UGFzc3dvcmQ6'],
    });
    assert.equal((await d.command(b64(LAB_AUTH_PASSWORD))).code, 235);
    d.send('QUIT');
    const s = await ended(d);
    assert.deepEqual(linesOf(s).slice(-3), ['auth login <redacted>', '<redacted>', 'QUIT']);
  });

  test('wrong credentials 535, "*" 501 5.7.0, bad base64 501 5.5.2, AUTH in a transaction 503, an unknown mechanism 504; no secret in the log', async () => {
    const c = await greeted(lab.host('esmtp'));
    await secure(c);
    const failed = {
      code: 535,
      lines: ['5.7.8 Error: authentication failed: authentication failure'],
    };
    assert.deepEqual(await c.command(`AUTH PLAIN ${b64('\0lab-user\0wrong-secret')}`), failed);
    assert.deepEqual(
      await c.command(`AUTH PLAIN ${b64(`someone\0${LAB_AUTH_USER}\0${LAB_AUTH_PASSWORD}`)}`),
      failed,
    );
    assert.equal((await c.command('AUTH LOGIN')).code, 334);
    assert.equal((await c.command(b64('mallory'))).code, 334);
    assert.deepEqual(await c.command(b64('wrong-secret')), failed);
    assert.equal((await c.command('AUTH LOGIN')).code, 334);
    assert.deepEqual(await c.command('*'), {
      code: 501,
      lines: ['5.7.0 Authentication aborted'],
    });
    assert.deepEqual(await c.command('AUTH PLAIN not*base64'), {
      code: 501,
      lines: ['5.5.2 Cannot Base64-decode Client responses'],
    });
    assert.equal((await c.command('AUTH CRAM-MD5')).code, 504);
    assert.equal((await c.command('MAIL FROM:<>')).code, 250);
    assert.deepEqual(await c.command(`AUTH PLAIN ${PLAIN}`), {
      code: 503,
      lines: ['5.5.1 Error: MAIL transaction in progress'],
    });
    assert.equal((await c.command('RSET')).code, 250);
    assert.equal((await c.command(`AUTH PLAIN ${PLAIN}`)).code, 235);
    c.send('QUIT');
    const s = await ended(c);
    const logged = linesOf(s).join('\n');
    for (const secret of ['wrong-secret', LAB_AUTH_PASSWORD, 'mallory', 'not*base64'])
      assert.ok(!logged.includes(secret) && !logged.includes(b64(secret)), secret);
    assert.ok(!logged.includes(PLAIN));
    assert.equal(linesOf(s).filter((l) => l === '<redacted>').length, 3);
  });
});

describe('lab: SIZE limit of the message, and the store', () => {
  test('a message over the SIZE limit gets 552 5.3.4 after its final dot, nothing stored; one at the limit goes', async () => {
    const small = await startLab({
      port: 0,
      hosts: ['esmtp'],
      personalities: PERSONALITIES.map((p) =>
        p.name === 'esmtp' ? { ...p, extensions: ['SIZE 100', 'PIPELINING'] } : p,
      ),
    });
    try {
      const c = await greeted(small.host('esmtp'));
      const line = 'y'.repeat(48); // 50 octets with its CRLF
      c.send('MAIL FROM:<>', 'RCPT TO:<alice@esmtp.lab.test>', 'DATA');
      assert.deepEqual(await c.codes(3), [250, 250, 354]);
      c.send(line, line, 'z', '.');
      assert.deepEqual(await c.reply(), {
        code: 552,
        lines: ['5.3.4 Error: message file too big'],
      });
      c.send('MAIL FROM:<>', 'RCPT TO:<alice@esmtp.lab.test>', 'DATA');
      assert.deepEqual(await c.codes(3), [250, 250, 354], 'the transaction was over');
      c.send(`.${line}`, line, '.');
      queued(await c.reply());
      assert.deepEqual(
        small.messages.map((m) => m.data.length),
        [100],
      );
      assert.equal((await c.command('MAIL FROM:<> SIZE=101')).code, 552);
      c.close();
    } finally {
      await small.close();
    }
  });

  test('MessageStore keeps the newest MAX_STORED_MESSAGES, with distinct Postfix-like queue ids', () => {
    const store = new MessageStore();
    const ids = new Set<string>();
    for (let i = 0; i < MAX_STORED_MESSAGES + 5; i++)
      ids.add(
        store.add({
          host: 'h',
          conn: i,
          remote: '',
          tls: false,
          authUser: null,
          from: '',
          recipients: ['a@b'],
          mailParams: [],
          rcptParams: [[]],
          data: Buffer.from('x\r\n'),
        }).queueId,
      );
    assert.equal(ids.size, MAX_STORED_MESSAGES + 5);
    assert.ok([...ids].every((id) => /^[0-9A-F]{10}$/.test(id)));
    assert.equal(store.messages.length, MAX_STORED_MESSAGES);
    assert.equal(store.messages[0]!.conn, 5, 'the oldest went first');
  });

  test('Conversation (pure): DATA mode by strings, and what the log may show', () => {
    const esmtp = PERSONALITIES.find((p) => p.name === 'esmtp')!;
    const store = new MessageStore();
    const c = new Conversation(esmtp, { messages: store });
    const code = (l: string) => c.handle(l)?.lines.at(-1)?.slice(0, 3) ?? null;
    assert.deepEqual(
      ['EHLO c', 'MAIL FROM:<>', 'RCPT TO:<alice@esmtp.lab.test>', 'DATA'].map(code),
      ['250', '250', '250', '354'],
    );
    assert.equal(c.inData, true);
    assert.deepEqual(['..', 'AUTH PLAIN x', '.'].map(code), [null, null, '250']);
    assert.equal(store.messages[0]!.data.toString(), '.\r\nAUTH PLAIN x\r\n');
    assert.equal(c.inData, false);
    assert.equal(c.shown('AUTH PLAIN x'), 'AUTH PLAIN <redacted>');
    assert.equal(c.shown('AUTH LOGIN'), 'AUTH LOGIN');
  });
});
