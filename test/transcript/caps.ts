/**
 * Transcript tests of the caps probe: a scripted server plays its side on
 * 127.0.0.1:0 and the test compares every line the client sent, then the
 * structured result.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { probeCaps, type CapsOptions } from '../../src/probes/caps.js';
import { CapsResultSchema, type CensusEntry } from '../../src/schema/caps.js';
import { close, expect, scriptedServer, send, type Step } from '../support/scripted-server.js';
import {
  HELO_NAME,
  NOT_RECOGNIZED,
  PLAIN_CENSUS_LINES,
  TIMEOUTS,
  ehloOk,
  greet,
  plainCensus,
  quit,
} from '../support/smtp-lines.js';

const VRFY_PROBE = /^VRFY smtp-probe-[0-9a-f]{10}$/;
const EXPN_PROBE = /^EXPN smtp-probe-[0-9a-f]{10}$/;

/** converse: run probeCaps against a scripted server; the script must have been followed exactly. */
async function converse(steps: Step[], options: CapsOptions = {}) {
  const server = await scriptedServer(steps);
  try {
    const outcome = await probeCaps(server.target, {
      helo: HELO_NAME,
      timeouts: TIMEOUTS,
      ...options,
    });
    await server.finished();
    CapsResultSchema.parse(outcome.result);
    // What the client's transcript says it sent is exactly what the server got.
    assert.deepEqual(
      outcome.transcript.entries.filter((e) => e.dir === 'send').map((e) => e.line),
      server.received,
    );
    assert.equal(server.connections, 1);
    assert.ok(!server.received.some((l) => /^DATA\b/i.test(l)), 'DATA is never sent');
    return { outcome, result: outcome.result, sent: server.received, port: server.port };
  } finally {
    await server.close();
  }
}

const supportOf = (census: CensusEntry[] | null): Record<string, string> =>
  Object.fromEntries((census ?? []).map((e) => [e.verb, e.support]));
const findingIds = (findings: { id: string }[]): string[] => findings.map((f) => f.id);

describe('caps transcript: complete conversations', () => {
  test('Postfix: EHLO, the census with a VRFY follow-up on 252, QUIT', async () => {
    const { outcome, result, sent, port } = await converse([
      greet(),
      ...ehloOk(
        'PIPELINING',
        'SIZE 10240000',
        'VRFY',
        'ETRN',
        'ENHANCEDSTATUSCODES',
        '8BITMIME',
        'DSN',
        'SMTPUTF8',
        'CHUNKING',
      ),
      expect('NOOP'),
      send('250 2.0.0 Ok'),
      expect('HELP'),
      send(NOT_RECOGNIZED),
      expect('VRFY postmaster'),
      send('252 2.0.0 postmaster'),
      expect(VRFY_PROBE, (line) => [
        `550 5.1.1 <${line.slice(5)}>: Recipient address rejected: User unknown in local recipient table`,
      ]),
      expect('EXPN postmaster'),
      send('500 5.5.2 Error: command not recognized'),
      expect('ETRN smtp-probe.invalid'),
      send('458 Unable to queue messages for node smtp-probe.invalid'),
      expect('VERB'),
      send(NOT_RECOGNIZED),
      expect('SEND FROM:<>'),
      send(NOT_RECOGNIZED),
      expect('SOML FROM:<>'),
      send(NOT_RECOGNIZED),
      expect('SAML FROM:<>'),
      send(NOT_RECOGNIZED),
      expect('RSET'),
      send('250 2.0.0 Ok'),
      expect('TURN'),
      send(NOT_RECOGNIZED),
      ...quit(),
    ]);
    assert.deepEqual(sent.slice(0, 4), [`EHLO ${HELO_NAME}`, 'NOOP', 'HELP', 'VRFY postmaster']);
    assert.match(sent[4]!, VRFY_PROBE);
    assert.deepEqual(sent.slice(5), [
      'EXPN postmaster',
      'ETRN smtp-probe.invalid',
      'VERB',
      'SEND FROM:<>',
      'SOML FROM:<>',
      'SAML FROM:<>',
      'RSET',
      'TURN',
      'QUIT',
    ]);

    assert.equal(outcome.status, 'ok');
    assert.equal(outcome.error, undefined);
    assert.deepEqual(result.banner, {
      reply: { code: 220, lines: ['mx.test ESMTP Postfix (Debian/GNU)'] },
      hostname: 'mx.test',
    });
    assert.equal(result.helo, HELO_NAME);
    assert.equal(result.hello?.verb, 'EHLO');
    assert.equal(result.capabilities?.hostname, 'mx.test');
    assert.equal(result.capabilities?.size, 10240000);
    assert.equal(result.capabilities?.vrfy, true);
    assert.equal(result.capabilities?.starttls, false);
    assert.equal(result.tls, null);
    assert.deepEqual(supportOf(result.census), {
      NOOP: 'implemented',
      HELP: 'not-implemented',
      VRFY: 'implemented',
      EXPN: 'not-implemented',
      ETRN: 'implemented',
      VERB: 'not-implemented',
      SEND: 'not-implemented',
      SOML: 'not-implemented',
      SAML: 'not-implemented',
      RSET: 'implemented',
      TURN: 'not-implemented',
    });
    const vrfy = result.census!.find((e) => e.verb === 'VRFY')!;
    assert.equal(vrfy.command, 'VRFY postmaster');
    assert.equal(vrfy.reply?.code, 252);
    assert.equal(vrfy.probe?.command, sent[4]);
    assert.deepEqual([vrfy.probe?.reply.code, vrfy.probe?.reply.enhanced], [550, '5.1.1']);
    for (const stage of ['connect', 'greeting', 'ehlo', 'census', 'quit', 'total'] as const) {
      assert.equal(typeof result.timings[stage], 'number', `timing for ${stage}`);
    }
    for (const stage of ['resolve', 'tls', 'starttls', 'ehloAfterTls'] as const)
      assert.equal(result.timings[stage], undefined, `no ${stage} timing`);
    assert.deepEqual(
      [result.host, result.port, result.addresses, result.address],
      ['127.0.0.1', port, ['127.0.0.1'], '127.0.0.1'],
    );
    assert.deepEqual(
      result.attempts.map((a) => [a.address, a.status]),
      [['127.0.0.1', 'ok']],
    );
    assert.deepEqual(findingIds(result.findings).sort(), ['no-starttls', 'vrfy-enabled']);
  });

  test('a permissive old server: SEND/SOML/SAML accepted (each RSET at once), blanket 252 to VRFY and EXPN', async () => {
    const { outcome, result, sent } = await converse([
      greet(),
      ...ehloOk(
        'ENHANCEDSTATUSCODES',
        'EXPN',
        'VERB',
        '8BITMIME',
        'SIZE',
        'DSN',
        'ETRN',
        'DELIVERBY',
        'HELP',
      ),
      expect('NOOP'),
      send('250 2.0.0 OK'),
      expect('HELP'),
      send('214-2.0.0 This is sendmail', '214 2.0.0 End of HELP info'),
      expect('VRFY postmaster'),
      send('252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery (or try finger)'),
      expect(VRFY_PROBE),
      send('252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery (or try finger)'),
      expect('EXPN postmaster'),
      send('252 2.1.5 Cannot EXPN user, but will accept message for <postmaster>'),
      expect(EXPN_PROBE, (line) => [
        `252 2.1.5 Cannot EXPN user, but will accept message for <${line.slice(5)}>`,
      ]),
      expect('ETRN smtp-probe.invalid'),
      send('250 2.0.0 Queuing for node smtp-probe.invalid started'),
      expect('VERB'),
      send('250 2.0.0 Verbose mode'),
      expect('SEND FROM:<>'),
      send('250 2.1.0 <>... Sender ok'),
      expect('RSET'),
      send('250 2.0.0 Reset state'),
      expect('SOML FROM:<>'),
      send('250 2.1.0 <>... Sender ok'),
      expect('RSET'),
      send('250 2.0.0 Reset state'),
      expect('SAML FROM:<>'),
      send('350 odd but not an error'), // a 3xx opens a transaction too (354 would be DATA's alone)
      expect('RSET'),
      send('250 2.0.0 Reset state'),
      expect('RSET'),
      send('250 2.0.0 Reset state'),
      expect('TURN'),
      send('502 5.7.0 TURN disabled'),
      ...quit(),
    ]);
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(
      sent.filter((l) => !/smtp-probe-[0-9a-f]/.test(l)),
      [
        `EHLO ${HELO_NAME}`,
        'NOOP',
        'HELP',
        'VRFY postmaster',
        'EXPN postmaster',
        'ETRN smtp-probe.invalid',
        'VERB',
        'SEND FROM:<>',
        'RSET',
        'SOML FROM:<>',
        'RSET',
        'SAML FROM:<>',
        'RSET',
        'RSET',
        'TURN',
        'QUIT',
      ],
    );
    const vrfyProbe = sent.find((l) => VRFY_PROBE.test(l))!;
    const expnProbe = sent.find((l) => EXPN_PROBE.test(l))!;
    assert.notEqual(vrfyProbe.slice(5), expnProbe.slice(5), 'each follow-up uses a fresh name');
    assert.deepEqual(supportOf(result.census), {
      NOOP: 'implemented',
      HELP: 'implemented',
      VRFY: 'disabled',
      EXPN: 'disabled',
      ETRN: 'implemented',
      VERB: 'implemented',
      SEND: 'implemented',
      SOML: 'implemented',
      SAML: 'implemented',
      RSET: 'implemented',
      TURN: 'not-implemented',
    });
    assert.equal(result.census!.find((e) => e.verb === 'EXPN')!.probe?.command, expnProbe);
    assert.deepEqual(result.census!.find((e) => e.verb === 'HELP')!.reply?.lines, [
      '2.0.0 This is sendmail',
      '2.0.0 End of HELP info',
    ]);
    assert.ok(!findingIds(result.findings).includes('vrfy-enabled'));
  });

  test('multi-line greeting: banner keeps every line, hostname from the first', async () => {
    const { outcome, result, sent } = await converse(
      [
        send('220-mx.test ESMTP', '220-This system is for authorised use only.', '220 Go ahead'),
        ...ehloOk('PIPELINING'),
        ...quit(),
      ],
      { census: false },
    );
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'QUIT']);
    assert.deepEqual(result.banner?.reply.lines, [
      'mx.test ESMTP',
      'This system is for authorised use only.',
      'Go ahead',
    ]);
    assert.equal(result.banner?.hostname, 'mx.test');
  });

  test('census: false sends no census verb', async () => {
    const { outcome, result, sent } = await converse(
      [greet(), ...ehloOk('PIPELINING', 'VRFY'), ...quit()],
      { census: false },
    );
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'QUIT']);
    assert.equal(result.census, null);
    assert.equal(result.timings.census, undefined);
    assert.equal(typeof result.timings.quit, 'number');
  });

  test('starttls: false never sends STARTTLS even when offered', async () => {
    const { outcome, result, sent } = await converse(
      [greet(), ...ehloOk('PIPELINING', 'STARTTLS'), ...quit()],
      { census: false, starttls: false },
    );
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'QUIT']);
    assert.equal(result.capabilities?.starttls, true);
    assert.equal(result.tls, null);
  });

  test('a server that hangs up on QUIT without a 221 is fine', async () => {
    const { outcome } = await converse(
      [greet(), ...ehloOk('PIPELINING'), expect('QUIT'), close()],
      { census: false },
    );
    assert.equal(outcome.status, 'ok');
  });
});

describe('caps transcript: HELO fallback and refusals', () => {
  test('EHLO 502 → HELO (RFC 5321 §4.1.4), then the census', async () => {
    const { outcome, result, sent } = await converse([
      greet(),
      expect(`EHLO ${HELO_NAME}`),
      send('502 5.5.2 Error: command not recognized'),
      expect(`HELO ${HELO_NAME}`),
      send('250 mx.test'),
      ...plainCensus(),
      ...quit(),
    ]);
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(sent, [
      `EHLO ${HELO_NAME}`,
      `HELO ${HELO_NAME}`,
      ...PLAIN_CENSUS_LINES,
      'QUIT',
    ]);
    assert.equal(result.hello?.verb, 'HELO');
    assert.equal(result.hello?.reply.code, 250);
    assert.equal(result.hello?.ehloReply?.code, 502);
    assert.equal(result.capabilities, null, 'HELO offers no extensions');
    assert.equal(result.census?.length, PLAIN_CENSUS_LINES.length);
    assert.ok(
      !findingIds(result.findings).includes('no-starttls'),
      'no capabilities, so no claim about STARTTLS',
    );
  });

  test('EHLO 500 and HELO 501 → rejected, HELLO_REJECTED at stage helo, then QUIT', async () => {
    const { outcome, result, sent } = await converse([
      greet(),
      expect(`EHLO ${HELO_NAME}`),
      send('500 5.5.1 Command unrecognized'),
      expect(`HELO ${HELO_NAME}`),
      send('501 5.5.2 <client.test>: Helo command rejected: Invalid name'),
      ...quit(),
    ]);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, `HELO ${HELO_NAME}`, 'QUIT']);
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.error?.code, 'HELLO_REJECTED');
    assert.equal(outcome.error?.stage, 'helo');
    assert.match(outcome.error!.message, /501/);
    assert.equal(result.hello?.verb, 'HELO');
    assert.equal(result.hello?.ehloReply?.code, 500);
    assert.equal(result.banner?.reply.code, 220, 'the banner is kept');
    assert.equal(result.census, null);
  });

  test('EHLO 554 is a refusal, not a reason to try HELO: HELLO_REJECTED at stage ehlo', async () => {
    const { outcome, result, sent } = await converse([
      greet(),
      expect(`EHLO ${HELO_NAME}`),
      send('554 5.7.1 <client.test>: Helo command rejected: Access denied'),
      ...quit(),
    ]);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'QUIT']);
    assert.equal(outcome.status, 'rejected');
    assert.deepEqual([outcome.error?.code, outcome.error?.stage], ['HELLO_REJECTED', 'ehlo']);
    assert.equal(result.hello?.reply.code, 554);
  });

  test('greeting 554 → rejected, GREETING_REJECTED, banner kept, QUIT sent and nothing else', async () => {
    const { outcome, result, sent } = await converse([
      send('554 5.7.1 mx.test ESMTP not accepting connections from 127.0.0.1'),
      ...quit(),
    ]);
    assert.deepEqual(sent, ['QUIT']);
    assert.equal(outcome.status, 'rejected');
    assert.deepEqual(
      [outcome.error?.code, outcome.error?.stage],
      ['GREETING_REJECTED', 'greeting'],
    );
    assert.match(outcome.error!.message, /554/);
    assert.deepEqual(result.banner, {
      reply: {
        code: 554,
        enhanced: '5.7.1',
        lines: ['5.7.1 mx.test ESMTP not accepting connections from 127.0.0.1'],
      },
      hostname: 'mx.test',
    });
    assert.equal(result.hello, null);
    assert.equal(result.capabilities, null);
  });

  test('greeting 421 (busy) → rejected too', async () => {
    const { outcome, result } = await converse([
      send('421 4.3.2 mx.test Service not available, closing channel'),
      expect('QUIT'),
      close(),
    ]);
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.error?.code, 'GREETING_REJECTED');
    assert.equal(result.banner?.reply.code, 421);
  });
});

describe('caps transcript: the census ends early', () => {
  test('421 mid-census stops it: nothing more is sent, entries so far are kept', async () => {
    const { outcome, result, sent } = await converse([
      greet(),
      ...ehloOk('PIPELINING'),
      expect('NOOP'),
      send('250 2.0.0 Ok'),
      expect('HELP'),
      send(NOT_RECOGNIZED),
      expect('VRFY postmaster'),
      send('421 4.7.0 mx.test Error: too many errors'),
      close(),
    ]);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, 'NOOP', 'HELP', 'VRFY postmaster']);
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(
      result.census?.map((e) => [e.verb, e.reply?.code, e.support]),
      [
        ['NOOP', 250, 'implemented'],
        ['HELP', 502, 'not-implemented'],
        ['VRFY', 421, 'unknown'],
      ],
    );
    assert.equal(typeof result.timings.census, 'number');
    assert.equal(result.timings.quit, undefined, 'no QUIT after 421');
  });

  test('421 to the VRFY follow-up stops the census too', async () => {
    const { outcome, result, sent } = await converse([
      greet(),
      ...ehloOk('PIPELINING'),
      expect('NOOP'),
      send('250 2.0.0 Ok'),
      expect('HELP'),
      send(NOT_RECOGNIZED),
      expect('VRFY postmaster'),
      send('252 2.0.0 postmaster'),
      expect(VRFY_PROBE),
      send('421 4.7.0 mx.test Error: too many errors'),
      close(),
    ]);
    assert.equal(sent.length, 5);
    assert.match(sent.at(-1)!, VRFY_PROBE);
    assert.equal(outcome.status, 'ok');
    const vrfy = result.census!.at(-1)!;
    assert.deepEqual([vrfy.verb, vrfy.probe?.reply.code, vrfy.support], ['VRFY', 421, 'unknown']);
  });

  test('421 to the RSET after an accepted SEND stops the census too', async () => {
    const { outcome, result, sent } = await converse([
      greet(),
      ...ehloOk('PIPELINING'),
      expect('NOOP'),
      send('250 2.0.0 Ok'),
      expect('HELP'),
      send(NOT_RECOGNIZED),
      expect('VRFY postmaster'),
      send('502 5.5.1 VRFY command is disabled'),
      expect('EXPN postmaster'),
      send(NOT_RECOGNIZED),
      expect('ETRN smtp-probe.invalid'),
      send(NOT_RECOGNIZED),
      expect('VERB'),
      send(NOT_RECOGNIZED),
      expect('SEND FROM:<>'),
      send('250 2.1.0 Ok'),
      expect('RSET'),
      send('421 4.4.2 mx.test Error: timeout exceeded'),
      close(),
    ]);
    assert.deepEqual(sent.slice(-2), ['SEND FROM:<>', 'RSET']);
    assert.equal(outcome.status, 'ok');
    assert.equal(result.census?.at(-1)?.verb, 'SEND');
  });

  test('TURN accepted: the session is closed without QUIT, and flagged', async () => {
    const steps = plainCensus();
    steps.splice(-1, 1, send('250 OK'));
    const { outcome, result, sent } = await converse([greet(), ...ehloOk('PIPELINING'), ...steps]);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`, ...PLAIN_CENSUS_LINES]);
    assert.equal(sent.at(-1), 'TURN');
    assert.equal(outcome.status, 'ok');
    assert.equal(supportOf(result.census).TURN, 'implemented');
    assert.ok(findingIds(result.findings).includes('turn-enabled'));
    assert.equal(result.timings.quit, undefined);
  });
});
