/**
 * Misbehaviours of a server that goes away: FIN or RST instead of
 * each stage's answer, a 421 and a hang-up, a half-close.
 */
import { MX_NAME } from './hostile-plain-mta.js';
import { atWork, on } from './hostile-moves.js';
import type { Misbehaviour } from './hostile-server.js';

/** HANG_UP_STAGES: where close-at-… and rst-at-… hang up; census is its first verb, NOOP. */
export const HANG_UP_STAGES = [
  'greeting',
  'ehlo',
  'starttls',
  'mail',
  'rcpt',
  'vrfy',
  'expn',
  'census',
] as const;

function hangUpAt(stage: (typeof HANG_UP_STAGES)[number], how: 'close' | 'rst'): Misbehaviour {
  const verb = how === 'close' ? 'closes (FIN)' : 'resets (RST)';
  const m: Misbehaviour = {
    name: `${how}-at-${stage}`,
    what: `${verb} instead of ${stage === 'greeting' ? 'greeting' : `answering the first ${stage === 'census' ? 'census verb (NOOP)' : stage.toUpperCase()}`}`,
  };
  if (stage === 'greeting') m.greet = (c) => c.hangUp(how);
  else m.command = on(stage, (c) => c.hangUp(how));
  if (stage === 'starttls') m.tls = 'good';
  return m;
}

/** HANG_UP_MISBEHAVIOURS: close and RST at every stage, 421s, half-close (see each `what`). */
export const HANG_UP_MISBEHAVIOURS: Misbehaviour[] = [
  ...HANG_UP_STAGES.flatMap((s) => [hangUpAt(s, 'close'), hangUpAt(s, 'rst')]),
  {
    name: '421-at-greeting',
    what: 'greets with 421 and hangs up',
    greet: (c) => {
      c.reply(`421 4.3.2 ${MX_NAME} Service shutting down`);
      c.end();
    },
  },
  {
    name: '421-mid-session',
    what: 'answers the first real command with 421 and hangs up',
    command: atWork((c) => {
      c.reply(`421 4.7.0 ${MX_NAME} Error: too many errors`);
      c.end();
    }),
  },
  {
    name: 'half-close',
    what: 'answers EHLO and shuts its sending side (FIN) in the same turn, still reading',
    command: on('ehlo', (c, cmd) => {
      c.answer(cmd);
      c.end();
    }),
  },
];
