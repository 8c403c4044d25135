/**
 * Misbehaviours out of turn: answers the plain MTA would not give at that
 * point: replies nobody asked for, and refusals of what it accepts.
 */
import { GREETING, PLAIN_EHLO, plainReply } from './hostile-plain-mta.js';
import { atWork, on } from './hostile-moves.js';
import type { Misbehaviour } from './hostile-server.js';

/** OUT_OF_TURN_MISBEHAVIOURS: unsolicited replies and refusals (see each `what`). */
export const OUT_OF_TURN_MISBEHAVIOURS: Misbehaviour[] = [
  {
    name: 'unsolicited-with-greeting',
    what: 'a second reply nobody asked for, in the greeting write',
    greet: (c) => c.reply(GREETING, '250 2.0.0 nobody asked'),
  },
  {
    name: 'unsolicited-with-ehlo',
    what: "a second reply nobody asked for, in EHLO's write",
    command: on('ehlo', (c, cmd) =>
      c.reply(...plainReply(cmd, PLAIN_EHLO), '250 2.0.0 nobody asked'),
    ),
  },
  {
    name: 'unsolicited-after-reply',
    what: 'a reply nobody asked for, one write after the answer to the first real command',
    command: atWork((c, cmd) => {
      c.answer(cmd);
      setImmediate(() => c.reply('250 2.0.0 nobody asked'));
    }),
  },
  {
    name: 'refuse-all',
    what: 'answers every command after EHLO with 500, as a server that knows none of them',
    ownAnswers: true,
    command: (c, cmd) => {
      if (cmd.stage === 'ehlo' || cmd.stage === 'quit') return false;
      c.reply('500 5.5.1 Command unrecognized');
      return true;
    },
  },
  {
    name: 'hello-refused',
    what: 'refuses EHLO (502) and HELO (550)',
    command: (c, cmd) => {
      if (cmd.stage === 'ehlo') c.reply('502 5.5.2 Error: command not recognized');
      else if (cmd.stage === 'helo') c.reply('550 5.7.1 Helo command rejected: Access denied');
      else return false;
      return true;
    },
  },
];
