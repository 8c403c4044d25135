/**
 * The MAIL and RCPT parameters a message needs, against what the server's EHLO offered, pure:
 * SIZE= when SIZE is offered, and a refusal before DATA when the message is over its limit (RFC
 * 1870); BODY=8BITMIME for an 8-bit body, refused without 8BITMIME (RFC 6152); SMTPUTF8 for a
 * non-ASCII address, refused without it (RFC 6531); DSN's RET, ENVID and NOTIFY only when DSN is
 * offered (RFC 3461). A refusal says what to change; nothing was sent.
 */
import type { Capabilities } from '../schema/smtp.js';

/** DsnRequest: the delivery status notifications asked for (RFC 3461). */
export interface DsnRequest {
  /** notify: NEVER alone, or any of SUCCESS, FAILURE, DELAY (§4.1). */
  notify?: readonly string[];
  /** ret: return the full message or only its headers in a DSN (§4.3). */
  ret?: 'FULL' | 'HDRS';
  /** envid: the envelope identifier reported back (§4.4), at most 100 characters. */
  envid?: string;
}

/** MessageNeeds: what the message requires of the transaction. */
export interface MessageNeeds {
  /** size: octets as SIZE= declares them (encodeData's `size`). */
  size: number;
  eightBit: boolean;
  /** smtpUtf8: an address (or header) is not ASCII. */
  smtpUtf8: boolean;
  dsn?: DsnRequest;
}

/** Parameters: what goes after `MAIL FROM:<…>` and after each `RCPT TO:<…>`, or why the message cannot go. */
export type Parameters =
  | { ok: true; mail: string[]; rcpt: string[] }
  | { ok: false; reason: string };

const NOTIFY = ['SUCCESS', 'FAILURE', 'DELAY'];
/** MAX_ENVID: RFC 3461 §4.4's limit on the ENVID value. */
const MAX_ENVID = 100;

/** mailParameters: see the module comment. */
export function mailParameters(caps: Capabilities, needs: MessageNeeds): Parameters {
  const mail: string[] = [];
  const rcpt: string[] = [];
  if (caps.size !== undefined) {
    if (caps.size > 0 && needs.size > caps.size)
      return {
        ok: false,
        reason: `the message is ${needs.size} octets and the server takes at most ${caps.size} (SIZE, RFC 1870 §6); nothing was sent`,
      };
    mail.push(`SIZE=${needs.size}`);
  }
  if (needs.eightBit) {
    if (!caps.eightBitMime)
      return {
        ok: false,
        reason:
          'the body has 8-bit octets and the server does not offer 8BITMIME (RFC 6152 §3); send it 7-bit (quoted-printable or base64) or pick another server',
      };
    mail.push('BODY=8BITMIME');
  }
  if (needs.smtpUtf8) {
    if (!caps.smtpUtf8)
      return {
        ok: false,
        reason:
          'an address is not ASCII and the server does not offer SMTPUTF8 (RFC 6531 §3.4); use an ASCII address',
      };
    mail.push('SMTPUTF8');
  }
  const dsn = needs.dsn;
  if (dsn && (dsn.notify?.length || dsn.ret || dsn.envid !== undefined)) {
    if (!caps.dsn)
      return {
        ok: false,
        reason:
          'DSN parameters were given and the server does not offer DSN (RFC 3461 §4); drop --dsn-notify, --dsn-ret and --envid',
      };
    if (dsn.ret) mail.push(`RET=${dsn.ret}`);
    if (dsn.envid !== undefined) {
      if (dsn.envid === '' || dsn.envid.length > MAX_ENVID || /[^\x20-\x7e]/.test(dsn.envid))
        return {
          ok: false,
          reason: `--envid must be 1 to ${MAX_ENVID} printable ASCII characters (RFC 3461 §4.4)`,
        };
      mail.push(`ENVID=${xtext(dsn.envid)}`);
    }
    if (dsn.notify?.length) {
      const words = dsn.notify.map((w) => w.toUpperCase());
      const never = words.includes('NEVER');
      if ((never && words.length > 1) || words.some((w) => w !== 'NEVER' && !NOTIFY.includes(w)))
        return {
          ok: false,
          reason: `--dsn-notify takes NEVER alone, or any of ${NOTIFY.join(', ')} (RFC 3461 §4.1)`,
        };
      rcpt.push(`NOTIFY=${[...new Set(words)].join(',')}`);
    }
  }
  return { ok: true, mail, rcpt };
}

/** xtext: RFC 3461 §4's encoding: "+", "=" and anything outside "!".."~" as +HH. */
export function xtext(text: string): string {
  return text.replace(
    /[^!-*,-<>-~]/g,
    (c) => `+${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}
