/** Whether a reply can be its command's (src/smtp/pairing.ts): the check that exposes shifted replies. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { foreignCode, implausible, pairingProblem } from '../../src/smtp/pairing.js';
import type { Reply } from '../../src/smtp/reply.js';

const reply = (code: number, enhanced?: string, text = 'x'): Reply => ({
  code,
  ...(enhanced ? { enhanced } : {}),
  lines: [enhanced ? `${enhanced} ${text}` : text],
});

describe('implausible', () => {
  const cases: [command: string, r: Reply, plausible: boolean][] = [
    // What real servers answer (Postfix, Exim, Sendmail, Exchange).
    ['MAIL FROM:<a@example.test>', reply(250, '2.1.0'), true],
    ['MAIL FROM:<a@example.test>', reply(553, '5.1.7'), true],
    ['MAIL FROM:<a@example.test>', reply(421, '4.7.0'), true],
    ['RCPT TO:<b@example.test>', reply(250, '2.1.5'), true],
    ['RCPT TO:<b@example.test>', reply(550, '5.1.1'), true],
    ['RCPT TO:<b@example.test>', reply(252, '2.1.5'), true],
    ['RCPT TO:<b@example.test>', reply(452, '4.5.3'), true],
    ['RSET', reply(250, '2.0.0'), true],
    ['RSET', reply(421), true],
    ['QUIT', reply(221, '2.0.0'), true],
    ['QUIT', reply(421), true],
    ['VRFY alice', reply(252, '2.0.0'), true],
    ['VRFY alice', reply(550, '5.1.1'), true],
    ['STARTTLS', reply(220, '2.0.0'), true],
    ['NOOP', reply(250), true],
    // Another command's reply, shifted onto this one.
    ['MAIL FROM:<a@example.test>', reply(250, '2.1.5'), false],
    ['MAIL FROM:<a@example.test>', reply(550, '5.1.1'), false],
    ['MAIL FROM:<a@example.test>', reply(251), false],
    ['RCPT TO:<b@example.test>', reply(250, '2.1.0'), false],
    ['RCPT TO:<b@example.test>', reply(553, '5.1.7'), false],
    ['RCPT TO:<b@example.test>', reply(221, '2.0.0'), false],
    ['RSET', reply(550, '5.1.1'), false],
    ['QUIT', reply(550, '5.1.1'), false],
    ['QUIT', reply(250, '2.0.0'), false],
    ['VRFY alice', reply(221, '2.0.0'), false],
    ['VRFY alice', reply(220), false],
    ['EXPN staff', reply(354), false],
    ['HELP', reply(214, '2.0.0'), true],
    ['VRFY postmaster', reply(214, '2.0.0'), false],
    ['NOOP', reply(211), false],
    ['AUTH PLAIN', reply(334), true],
    ['ETRN example.test', reply(334), false],
  ];
  for (const [command, r, plausible] of cases) {
    test(`${command.split(' ')[0]} answered ${r.code}${r.enhanced ? ` ${r.enhanced}` : ''}: ${plausible ? 'can be its' : 'cannot be its'}`, () => {
      const why = implausible(command, r);
      assert.equal(why === undefined, plausible, why);
    });
  }
});

describe('foreignCode', () => {
  test('judges by the code alone: a refused RSET is data to the census, a 214 to VRFY is not', () => {
    assert.equal(foreignCode('RSET', reply(500, '5.5.1')), undefined);
    assert.ok(implausible('RSET', reply(500, '5.5.1')));
    assert.equal(foreignCode('VRFY postmaster', reply(214, '2.0.0')), '214 2.0.0 answers no VRFY');
    assert.equal(foreignCode('HELP', reply(214, '2.0.0')), undefined);
  });
});

describe('pairingProblem', () => {
  test('a group whose replies all fit: no problem', () => {
    const commands = ['RSET', 'MAIL FROM:<a@example.test>', 'RCPT TO:<b@example.test>'];
    const replies = [reply(250, '2.0.0'), reply(250, '2.1.0'), reply(550, '5.1.1')];
    assert.equal(pairingProblem(commands, replies), undefined);
  });

  test('a shift names the first reply that cannot be its command', () => {
    // MAIL's 2.1.0 arrived after the first RCPT's 5.1.1: both are in the wrong place.
    const commands = [
      'MAIL FROM:<a@example.test>',
      'RCPT TO:<b@example.test>',
      'RCPT TO:<c@example.test>',
    ];
    const replies = [reply(550, '5.1.1'), reply(250, '2.1.0'), reply(250, '2.1.5')];
    assert.match(pairingProblem(commands, replies) ?? '', /^reply 1 of the group \(to MAIL\)/);
  });

  test('fewer replies than commands: only the replies there are judged', () => {
    assert.equal(pairingProblem(['RSET', 'QUIT'], [reply(250, '2.0.0')]), undefined);
    assert.match(
      pairingProblem(['RSET', 'QUIT'], [reply(250), reply(550, '5.1.1')]) ?? '',
      /to QUIT/,
    );
  });
});
