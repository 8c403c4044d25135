/**
 * The open-relay test, pure: the classic variants (nmap's smtp-open-relay, the old abuse.net
 * relay test) as MAIL/RCPT lines, and what their replies mean. Acceptance is judged at RCPT
 * time only: DATA is never sent, so nothing is ever delivered — a 2xx to RCPT is the server
 * saying it would take the message (RFC 5321 §3.6.2: a server that declines to relay SHOULD
 * answer 550 there).
 */
import { assertSafe, invalidInput } from '../errors.js';
import { ipFamily } from '../ip.js';
import type { AuditFinding, AuditRelay, RelayTrial } from '../schema/audit.js';
import { parseMailbox } from './address.js';
import { mailFrom, rcptTo } from './command.js';
import { type Reply, replyClass, replyText } from './reply.js';

/**
 * RELAY_TEST_ADDRESS: the default outside sender and recipient, in a name reserved by RFC 2606,
 * so no real mailbox is named. Caveat: example.com publishes SPF "-all", so a server checking SPF
 * may refuse it as a sender at MAIL; the trials with a sender at SITE or [IP] still reach RCPT.
 */
export const RELAY_TEST_ADDRESS = 'relay-test@example.com';

/** RelayContext: what the variants are built from; `from` and `to` default to RELAY_TEST_ADDRESS. */
export interface RelayContext {
  /** The host or domain name probed; an IP address here is used as a literal. */
  site: string;
  /** The probed address, bare (192.0.2.1, 2001:db8::1) or already a literal ([192.0.2.1]). */
  ip: string;
  /** The outside sender. */
  from?: string;
  /** The outside recipient. */
  to?: string;
}

/** RelayTrialSpec: one variant as the two lines to send. */
export interface RelayTrialSpec {
  variant: string;
  /** The whole MAIL line, e.g. `MAIL FROM:<>`. */
  mailFrom: string;
  /** The whole RCPT line. */
  rcptTo: string;
}

/** Parts: the recipient's local part, its (outside) domain and whole; the sender; SITE; [IP]. */
interface Parts {
  local: string;
  outside: string;
  to: string;
  from: string;
  fromLocal: string;
  site: string;
  lit: string;
}

interface Variant {
  name: string;
  sender: (p: Parts) => string;
  recipient: (p: Parts) => string;
  /**
   * A server may read the recipient as a mailbox of its own: it ends in @SITE or @[IP], or it
   * has no domain at all (servers qualify an unqualified address with their own domain, e.g.
   * Postfix's append_at_myorigin). A catch-all accepts such a recipient for local delivery.
   */
  readsAsLocal: boolean;
}

const outsideSender = (p: Parts) => p.from;
const trick = (name: string, recipient: (p: Parts) => string, readsAsLocal = true): Variant => ({
  name,
  sender: outsideSender,
  recipient,
  readsAsLocal,
});

/** The variants, in the order they are tried: the plain ones first, then the address tricks. */
const VARIANTS: readonly Variant[] = [
  { name: 'null-sender', sender: () => '', recipient: (p) => p.to, readsAsLocal: false },
  {
    name: 'outside-to-outside',
    sender: outsideSender,
    recipient: (p) => p.to,
    readsAsLocal: false,
  },
  {
    name: 'spoofed-site-sender',
    sender: (p) => `${p.fromLocal}@${p.site}`,
    recipient: (p) => p.to,
    readsAsLocal: false,
  },
  {
    name: 'spoofed-literal-sender',
    sender: (p) => `${p.fromLocal}@${p.lit}`,
    recipient: (p) => p.to,
    readsAsLocal: false,
  },
  trick('percent-hack', (p) => `${p.local}%${p.outside}@${p.site}`),
  trick('percent-hack-literal', (p) => `${p.local}%${p.outside}@${p.lit}`),
  trick('quoted', (p) => `"${p.to}"`),
  trick('quoted-percent', (p) => `"${p.local}%${p.outside}"`),
  trick('double-at', (p) => `${p.to}@${p.site}`),
  trick('quoted-at-site', (p) => `"${p.to}"@${p.site}`),
  trick('double-at-literal', (p) => `${p.to}@${p.lit}`),
  // RFC 5321 §3.6.1: a server SHOULD drop the route and deliver to its last element, which is
  // outside, so a catch-all cannot explain a 2xx here.
  trick('source-route', (p) => `@${p.site}:${p.to}`, false),
  trick('source-route-literal', (p) => `@${p.lit}:${p.to}`, false),
  trick('bang-path', (p) => `${p.outside}!${p.local}`),
  trick('bang-path-site', (p) => `${p.outside}!${p.local}@${p.site}`),
  trick('bang-path-literal', (p) => `${p.outside}!${p.local}@${p.lit}`),
];

/** RELAY_VARIANTS: the variant names relayTrials yields, in order. */
export const RELAY_VARIANTS: readonly string[] = VARIANTS.map((v) => v.name);

/**
 * relayTrials: the MAIL/RCPT lines of every variant for one probed address. Throws
 * INVALID_INPUT (nothing sent) for a control byte in any input, an `ip` that is no IP address,
 * a `site` that is no domain, or a `from`/`to` that is not an ASCII mailbox (`to` needs a
 * dot-string local part: the tricks wrap it in quotes). When `site` is itself an IP address the
 * @SITE variants equal the @[IP] ones, and each pair of lines is tried once.
 */
export function relayTrials(ctx: RelayContext): RelayTrialSpec[] {
  const p = relayParts(ctx);
  const seen = new Set<string>();
  const out: RelayTrialSpec[] = [];
  for (const v of VARIANTS) {
    const spec = {
      variant: v.name,
      mailFrom: mailFrom(v.sender(p)),
      rcptTo: rcptTo(v.recipient(p)),
    };
    const key = `${spec.mailFrom}\n${spec.rcptTo}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(spec);
  }
  return out;
}

function relayParts(ctx: RelayContext): Parts {
  const from = ctx.from ?? RELAY_TEST_ADDRESS;
  const to = ctx.to ?? RELAY_TEST_ADDRESS;
  // The guard first, on every input, so the message names the argument at fault.
  assertSafe('relay site', ctx.site);
  assertSafe('relay IP address', ctx.ip);
  assertSafe('relay sender', from);
  assertSafe('relay recipient', to);
  const lit = addressLiteral(ctx.ip);
  const site = ipFamily(ctx.site) ? addressLiteral(ctx.site) : siteDomain(ctx.site);
  const sender = asciiMailbox('relay sender', from);
  const recipient = asciiMailbox('relay recipient', to);
  if (recipient.localPart.startsWith('"'))
    throw invalidInput(
      `relay recipient "${to}": the variants quote the local part, so it must be unquoted`,
    );
  return {
    local: recipient.localPart,
    outside: recipient.domain,
    to: recipient.address,
    from: sender.address,
    fromLocal: sender.localPart,
    site,
    lit,
  };
}

/** addressLiteral: [a.b.c.d] or [IPv6:…] (RFC 5321 §4.1.3) from a bare address or a literal. */
function addressLiteral(ip: string): string {
  const bare = ip.replace(/^\[(?:IPv6:)?(.*)\]$/i, '$1');
  const family = ipFamily(bare);
  if (family === 4) return `[${bare}]`;
  if (family === 6) return `[IPv6:${bare}]`;
  throw invalidInput(`relay IP address "${ip}" is not an IPv4 or IPv6 address`);
}

function siteDomain(site: string): string {
  try {
    // The mailbox parser holds the one domain check (IDN to A-labels, label rules).
    return parseMailbox(`postmaster@${site}`).domain;
  } catch {
    throw invalidInput(`relay site "${site}" is not a domain name`);
  }
}

function asciiMailbox(what: string, text: string) {
  const box = parseMailbox(text);
  // No SMTPUTF8 parameter is sent with these lines (RFC 6531 §3.4), so the local part stays ASCII.
  if (box.smtputf8) throw invalidInput(`${what} "${text}" must have an ASCII local part`);
  return box;
}

/**
 * assertRelaySpec: a trial given by a caller holds one MAIL and one RCPT line and no control
 * byte, so it can carry neither a second command nor DATA. INVALID_INPUT otherwise.
 */
export function assertRelaySpec(spec: RelayTrialSpec): void {
  assertSafe('relay variant', spec.variant);
  assertSafe(`relay ${spec.variant} MAIL line`, spec.mailFrom);
  assertSafe(`relay ${spec.variant} RCPT line`, spec.rcptTo);
  if (!/^MAIL FROM:</i.test(spec.mailFrom) || !/^RCPT TO:</i.test(spec.rcptTo)) {
    throw invalidInput(
      `relay ${spec.variant}: expected a MAIL FROM:<…> and a RCPT TO:<…> line, got "${spec.mailFrom}" and "${spec.rcptTo}"`,
    );
  }
}

/** relayTrial: a trial's record; RCPT's reply is dropped (null) when MAIL was not accepted. */
export function relayTrial(spec: RelayTrialSpec, mail: Reply, rcpt: Reply | null): RelayTrial {
  // Without an open transaction RCPT's reply (503, bad sequence, RFC 5321 §4.1.4) says nothing.
  const kept = replyClass(mail) === 2 ? rcpt : null;
  return { ...spec, mail, rcpt: kept, accepted: kept !== null && replyClass(kept) === 2 };
}

/**
 * TrialOutcome: what one trial decides. `relayed`: an outside recipient was accepted;
 * `refused`: RCPT was refused for good (5xx); `sender-refused`: MAIL was refused for good;
 * `inconclusive`: a temporary refusal, a 503, or a 2xx a catch-all explains.
 */
export type TrialOutcome = 'relayed' | 'refused' | 'sender-refused' | 'inconclusive';

/**
 * trialOutcome: see TrialOutcome. A 2xx to a recipient the server may read as its own mailbox
 * (the @SITE, @[IP] and domainless tricks) decides only when the site is known to refuse unknown
 * local parts (`siteAcceptsAnyLocalPart` false): a catch-all takes "relay-test%example.com@site"
 * as a local mailbox, and when that is not known (null) the 2xx may be just that. A variant name
 * this module does not know is treated as such a trick.
 */
export function trialOutcome(
  trial: RelayTrial,
  siteAcceptsAnyLocalPart: boolean | null,
): TrialOutcome {
  const mail = replyClass(trial.mail);
  if (mail === 5) return 'sender-refused';
  if (mail !== 2 || trial.rcpt === null) return 'inconclusive';
  const rcpt = replyClass(trial.rcpt);
  if (rcpt === 2) {
    const local = VARIANTS.find((v) => v.name === trial.variant)?.readsAsLocal ?? true;
    return local && siteAcceptsAnyLocalPart !== false ? 'inconclusive' : 'relayed';
  }
  return rcpt === 5 && trial.rcpt.code !== 503 ? 'refused' : 'inconclusive';
}

/**
 * relayVerdict: `open` when some trial relayed (decidedBy: the first); `closed` when every trial
 * was refused for good and at least one of them at RCPT — MAIL refused for some senders while
 * another got as far as RCPT is a server refusing those senders, not us; `unknown` otherwise:
 * no trials, MAIL refused for every sender (the server refuses the prober, so relaying was never
 * tried), temporary refusals, or 2xx replies a catch-all explains (see trialOutcome).
 */
export function relayVerdict(
  trials: RelayTrial[],
  siteAcceptsAnyLocalPart: boolean | null,
): AuditRelay {
  const outcomes = trials.map((t) => trialOutcome(t, siteAcceptsAnyLocalPart));
  const first = outcomes.indexOf('relayed');
  if (first >= 0) return { verdict: 'open', decidedBy: trials[first] ?? null, trials };
  const closed =
    outcomes.includes('refused') &&
    outcomes.every((o) => o === 'refused' || o === 'sender-refused');
  return { verdict: closed ? 'closed' : 'unknown', decidedBy: null, trials };
}

const RELAY_REF = 'RFC 5321 §3.6, RFC 2505';

/**
 * relayFindings: `open-relay` (high) naming the variant, its lines and the reply; for `unknown`
 * one `relay-unknown` (info) whose ref is the reason nothing decided; none when closed.
 */
export function relayFindings(relay: AuditRelay): AuditFinding[] {
  const d = relay.decidedBy;
  if (relay.verdict === 'open' && d?.rcpt) {
    return [
      {
        id: 'open-relay',
        severity: 'high',
        message: `relays mail for an outside recipient (${d.variant}): ${d.mailFrom}, ${d.rcptTo} got ${quote(d.rcpt)}; DATA was not sent, nothing was delivered`,
        ref: RELAY_REF,
      },
    ];
  }
  if (relay.verdict !== 'unknown') return [];
  const [message, ref] = unknownReason(relay.trials);
  return [
    { id: 'relay-unknown', severity: 'info', message: `open relay not decided: ${message}`, ref },
  ];
}

function unknownReason(trials: RelayTrial[]): [string, string] {
  if (trials.length === 0) return ['no trial got an answer', 'no trial ran'];
  const accepted = trials.filter((t) => t.accepted);
  if (accepted.length > 0) {
    const names = accepted.map((t) => t.variant).join(', ');
    return [
      `${names} accepted, but these recipients can read as a local mailbox and the site accepts any local part (or that is not known)`,
      'catch-all site',
    ];
  }
  const first = trials[0];
  if (first && trials.every((t) => replyClass(t.mail) === 5)) {
    return [`every MAIL was refused (first: ${quote(first.mail)})`, 'every MAIL refused'];
  }
  return ['temporary refusals or a check cut short', 'no deciding reply'];
}

function quote(reply: Reply): string {
  return `"${reply.code} ${reply.enhanced ? `${reply.enhanced} ` : ''}${replyText(reply)}"`;
}
