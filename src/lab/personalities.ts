/**
 * PERSONALITIES: the kinds of server the lab plays. Each is plain data read
 * by the engine in conversation.ts; the replies imitate what real servers say
 * (Postfix for the modern ones, sendmail of the 1990s for vrfy-open) so a
 * probe sees what it would see in the wild. A personality with an address has
 * a host of its own (`esmtp.lab.test` on 127.0.0.10 and up: Linux routes all
 * of 127.0.0.0/8 to lo, so binding them needs no root); `mx`, `mx-no-tls`,
 * `blackhole` and the verify hosts (`catchall` … `nopipe`) are played only by scenario
 * hosts (scenarios.ts), reached through the lab's DNS; the `site-*` ones
 * (site-personalities.ts) only by the audit sites (sites.ts).
 */
import type { ErrorLimits, Personality } from './personality.js';
import {
  ALICE,
  BOB,
  MODERN_EXTENSIONS,
  POSTMASTER,
  UNKNOWN_USER,
  ready,
} from './personality-parts.js';
import { SITE_PERSONALITIES } from './site-personalities.js';

/** SLOW_GREETING_MS: slow-greeting's pause before 220; longer than a hasty client's wait, well under RFC 5321 §4.5.3.2.1's 5 minutes. */
export const SLOW_GREETING_MS = 3_000;
/** GREYLIST_DELAY_MS: how long greylist.test defers a new triplet (postgrey's default is 300 s; the lab's is short, and LabOptions.greylistDelayMs changes it). */
export const GREYLIST_DELAY_MS = 2_000;
/** POSTFIX_ERROR_LIMITS: stock Postfix's smtpd_soft_error_limit (10), smtpd_hard_error_limit (20) and smtpd_error_sleep_time (1 s); LabOptions.throttleSleepMs changes the sleep. */
export const POSTFIX_ERROR_LIMITS: ErrorLimits = Object.freeze({
  soft: 10,
  hard: 20,
  sleepMs: 1_000,
});
/** RCPT_CAP: rcptcap.test's recipients per transaction (RFC 5321 §4.5.3.1.8 asks servers for at least 100). */
export const RCPT_CAP = 5;
/** DROP_AFTER_RCPTS: RCPT commands drop421.test answers in a session before it hangs up on the next one. */
export const DROP_AFTER_RCPTS = 3;
/** NOPIPE_REPLY_DELAY_MS: nopipe.test's pause before each reply: enough to split replies into segments, far below what reads as throttling. */
export const NOPIPE_REPLY_DELAY_MS = 20;

const esmtp: Personality = {
  name: 'esmtp',
  address: '127.0.0.10',
  description:
    'modern ESMTP (Postfix-like): STARTTLS with a lab-CA certificate, AUTH only after TLS, VRFY/EXPN off',
  greeting: ready(),
  ehlo: true,
  extensions: MODERN_EXTENSIONS,
  starttls: true,
  // RFC 4954 §4: plaintext mechanisms only under TLS, as Postfix's smtpd_tls_auth_only does.
  auth: { afterTls: ['PLAIN', 'LOGIN'] },
  // The one host `send` may deliver to: the message is kept in memory (Lab.messages).
  acceptsMail: true,
  vrfy: 'off',
  expn: 'off',
  users: [POSTMASTER, ALICE],
};

const heloOnly: Personality = {
  name: 'helo-only',
  address: '127.0.0.11',
  description: 'pre-ESMTP (RFC 821): EHLO is unrecognized (500), HELO works, no extensions',
  greeting: ready('{host} SMTP smtp-probe lab (RFC 821 only)'),
  ehlo: { code: 500, text: '5.5.1 command unrecognized' },
  vrfy: 'off',
  expn: 'off',
  users: [POSTMASTER],
};

const reject554: Personality = {
  name: 'reject-554',
  address: '127.0.0.12',
  description:
    'refuses service in its greeting (554 5.7.1); answers only QUIT, 503 to the rest (RFC 5321 §3.1)',
  greeting: { reply: { code: 554, text: '5.7.1 {host} no SMTP service here' } },
  ehlo: true,
  vrfy: 'off',
  expn: 'off',
};

const slowGreeting: Personality = {
  name: 'slow-greeting',
  address: '127.0.0.13',
  description: `greets only after ${SLOW_GREETING_MS / 1000} s (a tarpit or an overloaded server), then plain ESMTP`,
  greeting: { ...ready(), delayMs: SLOW_GREETING_MS },
  ehlo: true,
  extensions: ['SIZE 10240000', 'PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES'],
  vrfy: 'off',
  expn: 'off',
  users: [POSTMASTER],
};

const silent: Personality = {
  name: 'silent',
  address: '127.0.0.14',
  description: 'accepts TCP and never says a word (a stuck server or a broken proxy)',
  greeting: null,
  ehlo: true,
  vrfy: 'off',
  expn: 'off',
};

const closed: Personality = {
  name: 'closed',
  address: '127.0.0.15',
  description: 'nothing listens: connecting is refused at once (RST)',
  listen: false,
  greeting: null,
  ehlo: true,
  vrfy: 'off',
  expn: 'off',
};

const vrfyOpen: Personality = {
  name: 'vrfy-open',
  address: '127.0.0.16',
  description:
    'an old open server: VRFY and EXPN reveal users and lists, ETRN/VERB/HELP implemented',
  greeting: ready('{host} ESMTP Sendmail-like smtp-probe lab'),
  ehlo: true,
  extensions: [
    '8BITMIME',
    'SIZE',
    'DSN',
    'ETRN',
    'VERB',
    'EXPN',
    'VRFY',
    'HELP',
    'ENHANCEDSTATUSCODES',
  ],
  vrfy: 'on',
  expn: 'on',
  // TURN is left out on purpose, so it answers 502: an accepted TURN would reverse roles (RFC 821 §4.1.1).
  verbs: {
    ETRN: { code: 250, text: '2.0.0 Queuing for node {arg} started' },
    VERB: { code: 250, text: '2.0.0 Verbose mode' },
    HELP: {
      code: 214,
      text: [
        '2.0.0 This is the smtp-probe lab host {host}',
        '2.0.0 Topics: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY EXPN VERB ETRN',
        '2.0.0 End of HELP info',
      ],
    },
  },
  users: [POSTMASTER, ALICE, BOB],
  lists: { staff: ['alice', 'bob'] },
};

const vrfyClosed: Personality = {
  name: 'vrfy-closed',
  address: '127.0.0.17',
  description: 'VRFY answers 252 to every name (says nothing), EXPN disabled (502)',
  greeting: ready(),
  ehlo: true,
  extensions: ['SIZE 10240000', 'PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES'],
  vrfy: 'blanket',
  expn: { code: 502, text: '5.5.2 EXPN command is disabled' },
  users: [POSTMASTER, ALICE, BOB],
};

const mx: Personality = {
  name: 'mx',
  description:
    'a plain good MX (Postfix-like): STARTTLS with a lab-CA certificate naming the host, accepts mail for its domain (never delivers)',
  greeting: ready(),
  ehlo: true,
  extensions: MODERN_EXTENSIONS,
  starttls: true,
  vrfy: 'off',
  expn: 'off',
  users: [POSTMASTER, ALICE],
};

// sts-notls.test's MX: a policy that enforces TLS meets a host without it.
const mxNoTls: Personality = {
  ...mx,
  name: 'mx-no-tls',
  description: 'as `mx`, but offers no STARTTLS: mail to it travels in clear',
  starttls: false,
};

// The hosts for `verify`: a Postfix-like MX each (as `mx`, with bob too), differing only in how RCPT goes.
const verifyBase = { ...mx, users: [POSTMASTER, ALICE, BOB] };

const catchall: Personality = {
  ...verifyBase,
  name: 'catchall',
  description:
    'a catch-all domain: RCPT to any local part gets 250 2.1.5, so acceptance says nothing about a mailbox',
  rcpt: { catchAll: true },
};

const greylist: Personality = {
  ...verifyBase,
  name: 'greylist',
  description: `greylisting (postgrey): a new (client IP, sender, recipient) gets 450 4.7.1; the same one again after ${GREYLIST_DELAY_MS / 1000} s gets the real answer`,
  rcpt: {
    unknown: UNKNOWN_USER,
    // postgrey answers DEFER_IF_PERMIT, which Postfix sends as 450 4.7.1 after the recipient.
    greylist: {
      delayMs: GREYLIST_DELAY_MS,
      reply: {
        code: 450,
        text: '4.7.1 {arg}: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/help/{domain}.html',
      },
    },
  },
};

const throttle: Personality = {
  ...verifyBase,
  name: 'throttle',
  description:
    'stock Postfix error limits: after 10 errors every reply waits 1 s; the 20th error brings 421 4.7.0 and a hang-up',
  // Stock Postfix's smtpd_banner says what it is, as this host does (a verifier may read it).
  greeting: ready('{host} ESMTP Postfix (smtp-probe lab)'),
  rcpt: { unknown: UNKNOWN_USER },
  errorLimits: POSTFIX_ERROR_LIMITS,
};

const rcptcap: Personality = {
  ...verifyBase,
  name: 'rcptcap',
  description: `takes ${RCPT_CAP} RCPT commands per transaction; the next get 452 4.5.3 until RSET or a new MAIL`,
  rcpt: { unknown: UNKNOWN_USER, maxRecipients: RCPT_CAP },
};

const drop421: Personality = {
  ...verifyBase,
  name: 'drop421',
  description: `answers ${DROP_AFTER_RCPTS} RCPT commands per session, then says 421 4.3.2 to the next and hangs up (a server going down midway)`,
  rcpt: { unknown: UNKNOWN_USER },
  fault: {
    afterRcpts: DROP_AFTER_RCPTS,
    reply: { code: 421, text: '4.3.2 Service shutting down' },
  },
};

const nopipe: Personality = {
  ...verifyBase,
  name: 'nopipe',
  description:
    'advertises PIPELINING yet reads and answers one line at a time, each reply in its own segment: correct, just no faster',
  rcpt: { unknown: UNKNOWN_USER },
  replyDelayMs: NOPIPE_REPLY_DELAY_MS,
};

const blackhole: Personality = {
  name: 'blackhole',
  description:
    'a connect gets no SYN-ACK at all, so it times out (a host that is down, or a firewall that drops)',
  listen: 'blackhole',
  greeting: null,
  ehlo: true,
  vrfy: 'off',
  expn: 'off',
};

/**
 * PERSONALITIES: every kind of lab server, in the order `lab` lists their own
 * hosts (esmtp first: it is the one to try); the address-less ones at the end.
 */
export const PERSONALITIES: readonly Personality[] = Object.freeze([
  esmtp,
  heloOnly,
  reject554,
  slowGreeting,
  silent,
  closed,
  vrfyOpen,
  vrfyClosed,
  mx,
  mxNoTls,
  blackhole,
  catchall,
  greylist,
  throttle,
  rcptcap,
  drop421,
  nopipe,
  ...SITE_PERSONALITIES,
]);
