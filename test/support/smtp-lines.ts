/** Server-side lines shared by transcript and behaviour tests (taken from Postfix 3.7 where it has them). */
import { expect, send, type Step } from './scripted-server.js';

/** HELO_NAME: the name tests pass as `helo`, so EHLO lines are exact. */
export const HELO_NAME = 'client.test';

/** TIMEOUTS: small enough that a broken test fails fast, large enough never to fire on a healthy one. */
export const TIMEOUTS = { connectMs: 2000, greetingMs: 2000, commandMs: 2000, targetMs: 8000 };

/** greet: a Postfix banner. */
export const greet = (): Step => send('220 mx.test ESMTP Postfix (Debian/GNU)');

/** ehloOk: the client's EHLO, answered with the given extension lines. */
export function ehloOk(...extensions: string[]): Step[] {
  const lines = ['mx.test', ...extensions];
  return [
    expect(`EHLO ${HELO_NAME}`),
    send(...lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}`)),
  ];
}

/** quit: QUIT, 221, hang up. */
export function quit(): Step[] {
  return [expect('QUIT'), send('221 2.0.0 Bye'), { kind: 'close' }];
}

/** NOT_RECOGNIZED: Postfix's answer to a verb it lacks. */
export const NOT_RECOGNIZED = '502 5.5.2 Error: command not recognized';

/** plainCensus: the whole census against a server that implements little (Postfix with VRFY disabled). */
export function plainCensus(): Step[] {
  return [
    expect('NOOP'),
    send('250 2.0.0 Ok'),
    expect('HELP'),
    send(NOT_RECOGNIZED),
    expect('VRFY postmaster'),
    send('502 5.5.1 VRFY command is disabled'),
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
  ];
}

/** PLAIN_CENSUS_LINES: what the client sends during plainCensus. */
export const PLAIN_CENSUS_LINES = [
  'NOOP',
  'HELP',
  'VRFY postmaster',
  'EXPN postmaster',
  'ETRN smtp-probe.invalid',
  'VERB',
  'SEND FROM:<>',
  'SOML FROM:<>',
  'SAML FROM:<>',
  'RSET',
  'TURN',
];
