/**
 * What a reply to VRFY or EXPN says (RFC 5321 §3.5, §4.2), pure: the meaning
 * comes from the reply code and the RFC 3463 enhanced code only, never the
 * English text, which every server words differently. The text is read for
 * one thing: the mailboxes a 250, 251, 551 or 553 carries.
 */
import { LOOKUP_MEANINGS, type LookupMeaning } from '../vocabulary.js';
import { hasStatus, isPolicy } from './enhanced.js';
import { parseEnhanced, type Reply } from './reply.js';

export { LOOKUP_MEANINGS, type LookupMeaning };

/** LookupVerb: the two verbs that ask a server about names. */
export type LookupVerb = 'VRFY' | 'EXPN';

/** NamedMailbox: a mailbox as a reply shows it: `Full Name <addr>` gives both, a bare address only `address`. */
export interface NamedMailbox {
  name?: string;
  address: string;
}

/**
 * classifyLookup: see LOOKUP_MEANINGS. Never returns `not-asked` (that is for
 * arguments without a reply) or `unpaired` (a judgement on the session, not the reply). The verb matters for 553 only: to VRFY it is the
 * ambiguity reply (RFC 5321 §3.5.1: "553 User ambiguous"); EXPN's replies
 * (§4.3.2) do not include it, so there a 553 is its usual "mailbox name not
 * allowed" (§4.2.2) — Exim's "553 5.1.1 <staff>... is undeliverable" for a list
 * that does not exist — unless it lists possibilities as an ambiguity reply does
 * (see listsPossibilities). X.1.4 is ambiguous for both (RFC 3463 §3.2).
 * Without a verb the VRFY rules apply.
 */
export function classifyLookup(
  reply: Reply,
  verb: LookupVerb = 'VRFY',
): Exclude<LookupMeaning, 'not-asked' | 'unpaired'> {
  const { code } = reply;
  if (code === 421) return 'server-closing';
  if (code === 250) return 'exists';
  if (code === 251) return 'will-forward';
  if (code === 252) return 'cannot-verify';
  if (code < 400) return 'other';
  if (code < 500) return 'temporary';
  // Policy is checked first because it overrides what the code alone would say.
  if (isPolicy(reply)) return 'disabled';
  if (code === 500 || code === 502) return 'not-implemented';
  if (hasStatus(reply, 1, 3)) return 'other';
  if (hasStatus(reply, 1, 4)) return 'ambiguous';
  if (code === 553 && (verb === 'VRFY' || listsPossibilities(reply))) return 'ambiguous';
  if (code === 551 || hasStatus(reply, 1, 6)) return 'not-local';
  if (code === 550 || code === 553) return 'no-such-user';
  return 'other';
}

/**
 * listsPossibilities: a multi-line reply naming two or more different mailboxes,
 * one per line — the form of RFC 5321 §3.5.1's "553- Ambiguous; Possibilities
 * are". One mailbox named again and again (the name asked about, echoed in an
 * error) is no list of possibilities.
 */
function listsPossibilities(reply: Reply): boolean {
  if (reply.lines.length < 2) return false;
  return new Set(candidates(reply).map((m) => m.address.toLowerCase())).size >= 2;
}

/** lineTexts: each reply line without its enhanced code (servers repeat it on every line, RFC 3463 §2), trimmed. */
export function lineTexts(reply: Reply): string[] {
  return reply.lines.map((line) => {
    const enhanced = parseEnhanced(reply.code, line);
    return (enhanced ? line.replace(/^\S+/, '') : line).trim();
  });
}

const ANGLE = /^(.*?)<([^<>]*)>/;
const BARE = /^(\S+@\S+?)[.,;:]?(?:\s+\((.*)\))?$/;

/**
 * parseMailboxText: `Alice Example <alice@x>`, `"Smith, Joe" <joe@x>`, `<alice@x>`,
 * `alice@x` or `alice@x (Alice Example)` to a NamedMailbox; undefined for text
 * that names no mailbox ("Ambiguous; possibilities are", "Ok").
 */
export function parseMailboxText(text: string): NamedMailbox | undefined {
  const t = text.trim();
  const angle = ANGLE.exec(t);
  if (angle) {
    const address = angle[2]!.trim();
    if (address === '') return undefined;
    const name = unquote(angle[1]!.trim());
    return name ? { name, address } : { address };
  }
  const bare = BARE.exec(t);
  if (!bare) return undefined;
  const name = bare[2]?.trim();
  return name ? { name, address: bare[1]! } : { address: bare[1]! };
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"')
    ? s.slice(1, -1).replace(/\\(.)/g, '$1')
    : s;
}

/**
 * replyMailbox: the mailbox a 250 to VRFY names (RFC 5321 §3.5.2: it MUST
 * carry one). The first line that parses; undefined when none does.
 */
export function replyMailbox(reply: Reply): NamedMailbox | undefined {
  for (const text of lineTexts(reply)) {
    const box = parseMailboxText(text);
    if (box) return box;
  }
  return undefined;
}

/**
 * forwardPath: the path a 251 or 551 gives ("User not local; will forward to
 * <smith@example.org>"): the last <…> in the reply, else the last word with an @.
 */
export function forwardPath(reply: Reply): string | undefined {
  const text = lineTexts(reply).join(' ');
  const angled = [...text.matchAll(/<([^<>]+)>/g)].at(-1)?.[1]?.trim();
  if (angled) return angled;
  return (
    text
      .split(/\s+/)
      .filter((w) => w.includes('@'))
      .at(-1)
      ?.replace(/^[("']+|[)"'.,;:]+$/g, '') || undefined
  );
}

/**
 * expnMembers: the members a 250 to EXPN lists, one per line (RFC 5321
 * §3.5.2). No line is dropped: one that names no mailbox (a file or a pipe
 * some servers show) becomes a member whose address is the line as sent.
 */
export function expnMembers(reply: Reply): NamedMailbox[] {
  return lineTexts(reply)
    .filter((t) => t !== '')
    .map((t) => parseMailboxText(t) ?? { address: t });
}

/**
 * candidates: the possibilities a multi-line 553 lists (RFC 5321 §3.5.1's
 * "553- Ambiguous; Possibilities are" form): every line that parses as a mailbox.
 */
export function candidates(reply: Reply): NamedMailbox[] {
  return lineTexts(reply)
    .map(parseMailboxText)
    .filter((m): m is NamedMailbox => m !== undefined);
}

/** Interpretation: a reply's meaning and the mailboxes it carries, as the result shows them. */
export interface Interpretation {
  meaning: Exclude<LookupMeaning, 'not-asked' | 'unpaired'>;
  mailbox?: NamedMailbox;
  forwardPath?: string;
  members?: NamedMailbox[];
  candidates?: NamedMailbox[];
}

/**
 * interpretLookup: classifyLookup plus what the text carries — the mailbox of
 * a 250 to VRFY, the members of a 250 to EXPN, the path of a 251/551, the
 * possibilities of a 553. Nothing is read from the text of any other reply.
 */
export function interpretLookup(verb: LookupVerb, reply: Reply): Interpretation {
  const meaning = classifyLookup(reply, verb);
  const out: Interpretation = { meaning };
  if (meaning === 'exists' && verb === 'EXPN') out.members = expnMembers(reply);
  if (meaning === 'exists' && verb === 'VRFY') {
    const box = replyMailbox(reply);
    if (box) out.mailbox = box;
  }
  if (meaning === 'will-forward' || meaning === 'not-local') {
    const path = forwardPath(reply);
    if (path) out.forwardPath = path;
  }
  if (meaning === 'ambiguous') {
    const list = candidates(reply);
    if (list.length > 0) out.candidates = list;
  }
  return out;
}

/** Disclosure: whether the answers let a stranger learn names, and a one-line finding saying so. */
export interface Disclosure {
  /** true: names can be told apart; false: the server gave nothing away; null: no usable answer to judge by. */
  discloses: boolean | null;
  text: string;
}

const FOUND: readonly LookupMeaning[] = ['exists', 'will-forward', 'not-local', 'ambiguous'];
const SILENT: readonly LookupMeaning[] = ['cannot-verify', 'not-implemented', 'disabled'];

/**
 * disclosure: the finding for one verb's answers. `control` is the reply to a
 * made-up name sent when every answer was 252: a server that looks names up
 * answers 252 for the ones it knows and 550 for the rest (Postfix does), so
 * only a 252 to the made-up name too shows that 252 is a blanket answer.
 */
export function disclosure(
  verb: LookupVerb,
  answers: { meaning: LookupMeaning; reply?: Reply }[],
  control?: Reply,
): Disclosure {
  // An answer's meaning is read again from its reply, by this verb's rules, so a
  // meaning classified without the verb (an EXPN 553 taken for ambiguity) cannot
  // count a list that does not exist as a disclosed one. An unpaired reply may be another command's.
  const got = answers
    .filter((a) => a.meaning !== 'not-asked' && a.meaning !== 'unpaired')
    .map((a) => (a.reply ? { ...a, meaning: classifyLookup(a.reply, verb) } : a));
  const count = (ms: readonly LookupMeaning[]): number =>
    got.filter((a) => ms.includes(a.meaning)).length;
  const codes = (m: LookupMeaning): string =>
    [...new Set(got.filter((a) => a.meaning === m).map((a) => a.reply?.code))].join('/');
  const found = count(FOUND);
  const unknown = count(['no-such-user']);
  const blanket = count(['cannot-verify']);
  const what = verb === 'VRFY' ? 'mailboxes' : 'lists and their members';
  if (found > 0)
    return {
      discloses: true,
      text: `${verb} discloses ${what}: ${found} of ${got.length} found${unknown ? `, ${unknown} unknown (${codes('no-such-user')})` : ''}`,
    };
  if (unknown > 0 && blanket > 0)
    return {
      discloses: true,
      text: `${verb} discloses ${what}: 252 for ${blanket} name(s), ${codes('no-such-user')} for ${unknown} — the 252s are the names it knows`,
    };
  if (unknown > 0)
    return {
      discloses: true,
      text: `${verb} looks names up: none of these exists (${codes('no-such-user')}), so names can be enumerated`,
    };
  if (got.length > 0 && blanket === got.length) return blanketFinding(verb, control);
  if (got.length > 0 && count(['not-implemented']) === got.length)
    return {
      discloses: false,
      text: `${verb} gives nothing away: not implemented or switched off (${codes('not-implemented')})`,
    };
  if (got.length > 0 && count(['disabled']) === got.length)
    return {
      discloses: false,
      text: `${verb} gives nothing away: refused by policy (${codes('disabled')})`,
    };
  if (count(SILENT) > 0)
    return { discloses: false, text: `${verb} gave nothing away (${tally(got)})` };
  return {
    discloses: null,
    text: got.length
      ? `${verb} gave no usable answer (${tally(got)})`
      : `${verb}: no answer to judge by`,
  };
}

function blanketFinding(verb: LookupVerb, control: Reply | undefined): Disclosure {
  if (!control)
    return {
      discloses: null,
      text: `${verb} answered 252 to every name asked; without a made-up name to compare, that may still be a lookup`,
    };
  const meaning = classifyLookup(control, verb);
  if (meaning === 'cannot-verify')
    return {
      discloses: false,
      text: `${verb} gives nothing away (252 to everything, a made-up name included)`,
    };
  if (meaning === 'no-such-user')
    return {
      discloses: true,
      text: `${verb} discloses ${verb === 'VRFY' ? 'mailboxes' : 'lists'}: 252 for these names but ${control.code} for a made-up one — the 252s are names it knows`,
    };
  return {
    discloses: null,
    text: `${verb} answered 252 to every name asked; a made-up name got ${control.code}`,
  };
}

function tally(answers: { meaning: LookupMeaning }[]): string {
  const counts = new Map<LookupMeaning, number>();
  for (const a of answers) counts.set(a.meaning, (counts.get(a.meaning) ?? 0) + 1);
  return [...counts].map(([m, n]) => `${n} ${m}`).join(', ');
}
