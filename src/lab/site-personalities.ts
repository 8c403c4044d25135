/**
 * SITE_PERSONALITIES: what the audit sites (sites.ts) play. `site` is a
 * well-configured Postfix-like MX; every other one differs from it in one way
 * only, so an audit of a site host has exactly one thing to find (docs/lab.md
 * has the mix and what an audit should report for each).
 */
import type { LabUser, Personality } from './personality.js';
import {
  ALICE,
  BOB,
  MODERN_EXTENSIONS,
  POSTMASTER,
  UNKNOWN_USER,
  ready,
} from './personality-parts.js';

const CAROL: LabUser = { local: 'carol', name: 'Carol Example' };

const site: Personality = {
  name: 'site',
  description:
    'a well-configured MX (Postfix-like): STARTTLS with a valid certificate, VRFY and EXPN disabled (502 5.5.1), relaying denied (554 5.7.1), unknown users 550 5.1.1',
  greeting: ready('{host} ESMTP Postfix (smtp-probe lab)'),
  ehlo: true,
  extensions: MODERN_EXTENSIONS,
  starttls: true,
  vrfy: 'off',
  expn: 'off',
  users: [POSTMASTER, ALICE, BOB],
  rcpt: { unknown: UNKNOWN_USER },
};

// Postfix with disable_vrfy_command=no lists VRFY in its EHLO reply.
const vrfyOpen: Personality = {
  ...site,
  name: 'site-vrfy-open',
  description: 'VRFY looks names up: 250 2.1.5 for a user, 550 5.1.1 for anyone else',
  extensions: [...MODERN_EXTENSIONS, 'VRFY'],
  vrfy: 'on',
};

const vrfy252: Personality = {
  ...site,
  name: 'site-vrfy-252',
  description: 'VRFY answers 252 to every name (RFC 5321 §3.5.3): it discloses nothing',
  vrfy: 'blanket',
};

// sendmail's aliases file of old: postmaster to root, root to a person, lists of people.
const expnOpen: Personality = {
  ...site,
  name: 'site-expn-open',
  description:
    'EXPN expands postmaster, root, staff and all to their members (sendmail-like aliases)',
  extensions: [...MODERN_EXTENSIONS, 'EXPN'],
  expn: 'on',
  users: [ALICE, BOB, CAROL],
  lists: {
    postmaster: ['root'],
    root: ['alice'],
    staff: ['alice', 'bob'],
    all: ['alice', 'bob', 'carol'],
  },
};

const noTls: Personality = {
  ...site,
  name: 'site-no-tls',
  description: 'offers no STARTTLS: mail to it travels in clear',
  starttls: false,
};

const expiredCert: Personality = {
  ...site,
  name: 'site-expired-cert',
  description: 'STARTTLS with a certificate (from the lab CA) that expired a day ago',
  expiredCertificate: true,
};

const openRelay: Personality = {
  ...site,
  name: 'site-open-relay',
  description:
    'an open relay: RCPT to any outside domain gets 250 2.1.5 (its own unknown users still 550)',
  rcpt: { unknown: UNKNOWN_USER, openRelay: true },
};

// A backup MX rarely knows the primary's users, so it takes every local part and bounces later: backscatter.
const backup: Personality = {
  ...site,
  name: 'site-backup',
  description:
    "a backup MX that accepts any local part of its domains (it cannot check the primary's users)",
  rcpt: { catchAll: true },
};

const refused: Personality = {
  name: 'site-refused',
  description: 'nothing listens: connecting is refused at once (RST)',
  listen: false,
  greeting: null,
  ehlo: true,
  vrfy: 'off',
  expn: 'off',
};

const mute: Personality = {
  name: 'site-mute',
  description: 'accepts TCP and never greets (a stuck server or a tarpit)',
  greeting: null,
  ehlo: true,
  vrfy: 'off',
  expn: 'off',
};

/** SITE_PERSONALITIES: the audit sites' kinds, `site` first. */
export const SITE_PERSONALITIES: readonly Personality[] = Object.freeze([
  site,
  vrfyOpen,
  vrfy252,
  expnOpen,
  noTls,
  expiredCert,
  openRelay,
  backup,
  refused,
  mute,
]);
