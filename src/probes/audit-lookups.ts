/**
 * The `vrfy` and `expn` checks of an audit: how a server answers a stranger's lookups, judged
 * from reply codes (src/smtp/lookup-meaning.ts), never from the English text. VRFY asks a name
 * every server must know (postmaster, RFC 5321 §4.5.1) and a made-up control name: only the
 * pair tells a real lookup from a blanket 252. Each VRFY or EXPN is a group of its own (RFC 2920
 * §3.1: they end a pipelined group).
 */
import type { AuditExpn, AuditVrfy, Exchange } from '../schema/audit.js';
import { madeUpLocalPart } from '../smtp/address.js';
import { expn, vrfy } from '../smtp/command.js';
import { classifyLookup, interpretLookup, type LookupMeaning } from '../smtp/lookup-meaning.js';
import type { Reply } from '../smtp/reply.js';
import type { Exchanger } from './audit-exchange.js';
import { endsTheRun } from './audit-errors.js';

/** KNOWN_NAME: a mailbox every SMTP server must have (RFC 5321 §4.5.1). */
export const KNOWN_NAME = 'postmaster';

/** DEFAULT_EXPN_LISTS: what `--expn-lists` asks by default. */
export const DEFAULT_EXPN_LISTS = ['postmaster', 'root', 'staff', 'all'] as const;

const FOUND: readonly LookupMeaning[] = ['exists', 'will-forward', 'not-local', 'ambiguous'];

/**
 * runVrfy: the vrfy check; a failure midway leaves exposure `unknown` with the evidence so far.
 * A server that wants a domain in VRFY's argument (Exim: "501 … must contain a domain") is asked
 * the control name again as `name@domain`, `domain` being a mail domain it serves.
 */
export async function runVrfy(
  x: Exchanger,
  domain: string | undefined,
  control = madeUpLocalPart(),
): Promise<AuditVrfy> {
  const evidence: Exchange[] = [];
  const ask = async (name: string): Promise<Exchange | undefined> => {
    const command = vrfy(name);
    const [reply] = await x.exchange([{ line: command, stage: 'vrfy' }], 1);
    return reply ? { command, reply } : undefined;
  };
  let made: Exchange | undefined;
  try {
    const known = await ask(KNOWN_NAME);
    if (known) evidence.push(known);
    made = await ask(control);
    if (made?.reply.code === 501 && domain) made = await ask(`${control}@${domain}`);
  } catch (err) {
    if (endsTheRun(err)) throw err;
  }
  if (made) evidence.push(made);
  const [known] = evidence;
  return {
    exposure: known && made ? vrfyExposure(known.reply, made.reply) : 'unknown',
    control,
    evidence,
  };
}

/**
 * vrfyExposure: from the answers for a real name and a made-up one. A lookup shows either way:
 * the real name named (250/251) or the made-up one denied (550: Postfix answers 252 for users
 * it knows and 550 for the rest). A server that says yes to the made-up name proves nothing.
 */
export function vrfyExposure(known: Reply, control: Reply): AuditVrfy['exposure'] {
  const k = classifyLookup(known, 'VRFY');
  const c = classifyLookup(control, 'VRFY');
  if (c === 'exists' || c === 'will-forward') return 'unknown';
  if (FOUND.includes(k) || FOUND.includes(c) || c === 'no-such-user') return 'discloses';
  if (k === 'cannot-verify' && c === 'cannot-verify') return 'blanket-252';
  if (k === 'not-implemented' && c === 'not-implemented') return 'disabled';
  if (k === 'disabled' || c === 'disabled' || (known.code >= 500 && control.code >= 500)) {
    return 'policy';
  }
  return 'unknown';
}

/** runExpn: the expn check over `lists`; a failure midway keeps the lists answered so far. */
export async function runExpn(x: Exchanger, lists: readonly string[]): Promise<AuditExpn> {
  const out: AuditExpn['lists'] = [];
  try {
    for (const list of lists) {
      const command = expn(list);
      const [reply] = await x.exchange([{ line: command, stage: 'expn' }], 1);
      if (!reply) continue;
      const members = interpretLookup('EXPN', reply).members?.map((m) => m.address) ?? [];
      out.push({ list, command, reply, members });
    }
  } catch (err) {
    if (endsTheRun(err)) throw err;
  }
  return { exposure: expnExposure(out), lists: out };
}

function expnExposure(lists: AuditExpn['lists']): AuditExpn['exposure'] {
  if (lists.length === 0) return 'unknown';
  const meanings = lists.map((l) => classifyLookup(l.reply, 'EXPN'));
  if (lists.some((l) => l.members.length > 0) || meanings.includes('will-forward')) {
    return 'discloses';
  }
  if (meanings.every((m) => m === 'not-implemented')) return 'not-implemented';
  if (lists.some((l) => l.reply.code >= 500)) return 'refused';
  return 'unknown';
}
