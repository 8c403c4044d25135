/**
 * The pieces personalities are made of (personalities.ts, site-personalities.ts): the usual
 * greeting, the users every host has, Postfix's extensions and its words for an unknown user.
 * Pure data.
 */
import type { LabUser, ReplySpec } from './personality.js';

/** ready: a 220 greeting with `text` (`{host}` is the host's name). */
export const ready = (text = '{host} ESMTP smtp-probe lab'): { reply: ReplySpec } => ({
  reply: { code: 220, text },
});

/** POSTMASTER: every host has one; RFC 5321 §4.5.1 requires it. */
export const POSTMASTER: LabUser = { local: 'postmaster', name: 'Postmaster' };
/** ALICE, BOB: the lab's usual mailboxes. */
export const ALICE: LabUser = { local: 'alice', name: 'Alice Example' };
export const BOB: LabUser = { local: 'bob', name: 'Bob Example' };

/** MODERN_EXTENSIONS: what Postfix offers on port 25 with smtpd_tls_security_level=may (STARTTLS and AUTH come from their own fields). */
export const MODERN_EXTENSIONS: readonly string[] = [
  'SIZE 10240000',
  'PIPELINING',
  '8BITMIME',
  'SMTPUTF8',
  'CHUNKING',
  'DSN',
  'ENHANCEDSTATUSCODES',
];

/** UNKNOWN_USER: Postfix's words for an unknown local user (local_recipient_maps). */
export const UNKNOWN_USER: ReplySpec = {
  code: 550,
  text: '5.1.1 {arg}: Recipient address rejected: User unknown in local recipient table',
};
