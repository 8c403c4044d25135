/**
 * Misbehaviours of STARTTLS gone wrong: no handshake, a broken one,
 * certificates a verifying client must refuse, plaintext injected before the
 * handshake or written outside the TLS stream after it.
 */
import { MX_NAME } from './hostile-plain-mta.js';
import { on } from './hostile-moves.js';
import type { Misbehaviour } from './hostile-server.js';

const GARBAGE = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 151 + 7) % 256));
const READY = '220 2.0.0 Ready to start TLS';

/** TLS_MISBEHAVIOURS: STARTTLS and certificate faults (see each `what`). */
export const TLS_MISBEHAVIOURS: Misbehaviour[] = [
  {
    name: 'starttls-garbage',
    what: 'answers STARTTLS with 220, then sends garbage instead of a TLS handshake',
    tls: 'good',
    command: on('starttls', (c) => {
      c.reply(READY);
      c.ignoreInput();
      c.write(GARBAGE);
    }),
  },
  {
    name: 'starttls-silence',
    what: 'answers STARTTLS with 220, then never answers the ClientHello',
    tls: 'good',
    command: on('starttls', (c) => {
      c.reply(READY);
      c.ignoreInput();
    }),
  },
  {
    name: 'rst-in-tls-handshake',
    what: 'answers STARTTLS with 220, then resets (RST) when the ClientHello arrives',
    tls: 'good',
    command: on('starttls', (c) => {
      c.reply(READY);
      c.ignoreInput();
      c.raw.once('data', () => c.reset());
    }),
  },
  { name: 'cert-expired', what: 'STARTTLS with a certificate expired 35 days ago', tls: 'expired' },
  {
    name: 'cert-self-signed',
    what: 'STARTTLS with an untrusted self-signed certificate',
    tls: 'self-signed',
  },
  {
    name: 'cert-wrong-name',
    what: 'STARTTLS with a certificate for another host',
    tls: 'wrong-name',
  },
  {
    name: 'starttls-injected-plaintext',
    what: 'fake EHLO lines (AUTH PLAIN) right after the 220 to STARTTLS, in the same write (RFC 3207 §6)',
    tls: 'good',
    command: on('starttls', (c) => {
      c.reply(READY, `250-${MX_NAME}`, '250 AUTH PLAIN');
      c.startTls('good');
    }),
  },
  {
    name: 'tls-plaintext-outside',
    what: 'after the TLS handshake, answers in plaintext outside the TLS stream',
    tls: 'good',
    command: (c) => {
      if (!c.tls) return false;
      c.writeRaw('250 2.0.0 plaintext outside TLS\r\n');
      return true;
    },
  },
];
