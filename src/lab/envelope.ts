/**
 * The ESMTP parameters of MAIL FROM and RCPT TO as a lab host judges them:
 * each needs the extension that defines it to be offered (RFC 5321
 * §4.1.1.11: else 555), and a few values are checked the way Postfix checks
 * them, in Postfix's words. Also the host's message size limit. Pure.
 */
import { DEFAULT_MESSAGE_LIMIT, MAX_STORED_OCTETS } from './messages.js';

/** Refusal: a reply refusing a command: its code and its text (the enhanced code first). */
export interface Refusal {
  code: number;
  text: string;
}

/** MailParams: what the MAIL FROM parameters say, once accepted. */
export interface MailParams {
  /** params: as sent. */
  params: string[];
  /** size: the SIZE= value, 0 when absent. */
  size: number;
  /** smtpUtf8: the SMTPUTF8 parameter was given (RFC 6531 §3.4). */
  smtpUtf8: boolean;
}

type Check = (value: string | undefined) => boolean;

interface Rule {
  /** needs: the EHLO keyword that defines the parameter. */
  readonly needs: string;
  readonly valid: Check;
  readonly bad: string;
}

const XTEXT = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+$/;
const value =
  (re: RegExp): Check =>
  (v) =>
    v !== undefined && re.test(v);

// RFC 1870 §3 (SIZE), RFC 6152 §2 (BODY), RFC 6531 §3.4 (SMTPUTF8), RFC 3461 §4.3, §4.4 (RET, ENVID), RFC 4954 §5 (AUTH).
const MAIL_RULES: Readonly<Record<string, Rule>> = {
  SIZE: { needs: 'SIZE', valid: value(/^\d{1,20}$/), bad: 'Bad message size syntax' },
  BODY: { needs: '8BITMIME', valid: value(/^(?:7BIT|8BITMIME)$/i), bad: 'Bad BODY keyword value' },
  SMTPUTF8: { needs: 'SMTPUTF8', valid: (v) => v === undefined, bad: 'Bad SMTPUTF8 syntax' },
  RET: { needs: 'DSN', valid: value(/^(?:FULL|HDRS)$/i), bad: 'Bad RET parameter syntax' },
  ENVID: { needs: 'DSN', valid: value(XTEXT), bad: 'Bad ENVID parameter syntax' },
  AUTH: { needs: 'AUTH', valid: value(/^\S+$/), bad: 'Bad AUTH parameter syntax' },
};

// RFC 3461 §4.1, §4.2.
const RCPT_RULES: Readonly<Record<string, Rule>> = {
  NOTIFY: {
    needs: 'DSN',
    valid: value(/^(?:NEVER|(?:SUCCESS|FAILURE|DELAY)(?:,(?:SUCCESS|FAILURE|DELAY))*)$/i),
    bad: 'Bad NOTIFY parameter syntax',
  },
  ORCPT: { needs: 'DSN', valid: value(/^[A-Za-z0-9-]+;.+$/), bad: 'Bad ORCPT parameter syntax' },
};

/** keywords: the EHLO keywords on offer (`SIZE 10240000` counts as SIZE), AUTH included when mechanisms are. */
export function keywords(extensions: readonly string[], auth: boolean): Set<string> {
  const k = new Set(extensions.map((e) => e.split(/\s+/)[0]!.toUpperCase()));
  if (auth) k.add('AUTH');
  return k;
}

/** check: the refusal of the first parameter that is not offered (555 5.5.4) or not well formed (501 5.5.4), else null. */
function check(
  params: readonly string[],
  rules: Readonly<Record<string, Rule>>,
  offered: Set<string>,
): Refusal | null {
  const seen = new Set<string>();
  for (const p of params) {
    const eq = p.indexOf('=');
    const key = (eq === -1 ? p : p.slice(0, eq)).toUpperCase();
    const rule = rules[key];
    if (!rule || !offered.has(rule.needs))
      return { code: 555, text: `5.5.4 Unsupported option: ${p}` };
    if (seen.has(key)) return { code: 501, text: `5.5.4 Duplicate ${key} parameter` };
    seen.add(key);
    if (!rule.valid(eq === -1 ? undefined : p.slice(eq + 1)))
      return { code: 501, text: `5.5.4 ${rule.bad}` };
  }
  return null;
}

const split = (text: string): string[] => text.split(/\s+/).filter((p) => p !== '');

/**
 * mailParams: the parameters after `MAIL FROM:<…>` judged against what is
 * offered and the host's size limit; a refusal, or what they say. A
 * declared size over the limit is refused before any data, as Postfix does
 * (RFC 1870 §6.1).
 */
export function mailParams(
  text: string,
  offered: Set<string>,
  limit: number,
): Refusal | MailParams {
  const params = split(text);
  const refusal = check(params, MAIL_RULES, offered);
  if (refusal) return refusal;
  const size = Number(params.find((p) => /^SIZE=/i.test(p))?.slice(5) ?? 0);
  if (size > limit) return { code: 552, text: '5.3.4 Message size exceeds fixed limit' };
  return { params, size, smtpUtf8: params.some((p) => p.toUpperCase() === 'SMTPUTF8') };
}

/** rcptParams: the parameters after `RCPT TO:<…>`; a refusal, or them as sent. */
export function rcptParams(text: string, offered: Set<string>): Refusal | string[] {
  const params = split(text);
  return check(params, RCPT_RULES, offered) ?? params;
}

/**
 * messageLimit: the most octets a host takes in one message: its `SIZE n`
 * extension, else Postfix's default; never above MAX_STORED_OCTETS, as the
 * lab keeps messages in memory.
 */
export function messageLimit(extensions: readonly string[]): number {
  const declared = extensions
    .map((e) => /^SIZE\s+(\d+)$/i.exec(e)?.[1])
    .find((n) => n !== undefined);
  const n = Number(declared ?? 0);
  return Math.min(n > 0 ? n : DEFAULT_MESSAGE_LIMIT, MAX_STORED_OCTETS);
}

/** isAscii: whether an address needs no SMTPUTF8 (RFC 6531 §3.4). */
export function isAscii(text: string): boolean {
  return /^[\x00-\x7f]*$/.test(text);
}
