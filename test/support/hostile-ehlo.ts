/**
 * Misbehaviours of EHLO: replies a capability parser must survive:
 * duplicated and contradicting keywords, absurd values, sheer size.
 */
import type { Misbehaviour } from './hostile-server.js';

/** EHLO_MISBEHAVIOURS: absurd EHLO replies (see each `what`). */
export const EHLO_MISBEHAVIOURS: Misbehaviour[] = [
  {
    name: 'ehlo-duplicates',
    what: 'every EHLO keyword twice, SIZE and AUTH with different values',
    ehlo: [
      ...['PIPELINING', 'PIPELINING', 'SIZE 1000', 'SIZE 2000', 'AUTH PLAIN', 'AUTH=LOGIN'],
      ...['AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES', 'ENHANCEDSTATUSCODES', 'VRFY', 'VRFY'],
    ],
  },
  {
    name: 'ehlo-size-absurd',
    what: 'SIZE 99999999999999999999',
    ehlo: ['PIPELINING', 'SIZE 99999999999999999999', 'ENHANCEDSTATUSCODES'],
  },
  {
    name: 'ehlo-auth-500',
    what: 'AUTH with 500 mechanisms',
    ehlo: ['PIPELINING', `AUTH ${Array.from({ length: 500 }, (_, i) => `X-M${i}`).join(' ')}`],
  },
  {
    name: 'ehlo-10000-keywords',
    what: 'an EHLO reply of 10,000 keywords',
    ehlo: Array.from({ length: 10_000 }, (_, i) => `X-KEYWORD-${i}`),
  },
];
