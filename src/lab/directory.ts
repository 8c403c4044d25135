/**
 * A lab host's users and lists, and the address parsing VRFY, EXPN and RCPT
 * share. Pure: no sockets, no timers.
 */
import type { LabUser, Personality } from './personality.js';

/** Address: a parsed mailbox; `domain` is absent for a bare local part ("VRFY alice", "<postmaster>"). */
export interface Address {
  /** local: the local part, unquoted (`"a b"` is `a b`): what a server looks up and rewrites. */
  local: string;
  domain?: string;
}

/** MAX_REWRITES: how many `@`, `%` and `!` a recipient may hide (Postfix's resolver loops until none is left). */
export const MAX_REWRITES = 8;

/**
 * routeEnd: the length of a source route ("@a,@[127.0.0.1]:", RFC 5321 §4.1.2
 * A-d-l) at the start of `t`, 0 without one, -1 when it never ends. Brackets
 * are skipped: an IPv6 literal holds colons.
 */
function routeEnd(t: string): number {
  if (!t.startsWith('@')) return 0;
  let inLiteral = false;
  for (let i = 1; i < t.length; i++) {
    const c = t[i];
    if (c === '[') inLiteral = true;
    else if (c === ']') inLiteral = false;
    else if (c === ':' && !inLiteral) return i + 1;
  }
  return -1;
}

/** lastAt: the index of the last @ outside quotes, -1 if none; null for an unclosed quote. */
function lastAt(t: string): number | null {
  let quoted = false;
  let at = -1;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '@' && !quoted) at = i;
  }
  return quoted ? null : at;
}

/** unquote: a local part written as one quoted string ("a@b") without its quotes and backslashes; any other as is. */
function unquote(local: string): string {
  if (local.length < 2 || !local.startsWith('"') || !local.endsWith('"')) return local;
  return local.slice(1, -1).replace(/\\(.)/g, '$1');
}

// Outside quotes: no space, control byte, angle bracket or quote in a local part; a domain is a name (UTF-8 too,
// for SMTPUTF8) or an [address literal].
const PLAIN_LOCAL = /^(?:[^\s\x00-\x1f\x7f<>"]|"(?:[^"\\\x00-\x1f\x7f]|\\[^\x00-\x1f\x7f])*")+$/;
const DOMAIN = /^(?:[^\s\x00-\x1f\x7f<>"@[\]\\,:;()]+|\[[^\s\x00-\x1f\x7f[\]\\]+\])$/;

/**
 * parseAddress: "<alice@host>", "alice@host" or "alice" to an Address; null
 * for an empty path or bad syntax (a space or a bracket outside quotes, an
 * unclosed quote, an empty local part or domain). Source routes
 * ("<@a,@b:alice@host>", RFC 5321 §4.1.2) are accepted and ignored, as §3.6.1
 * allows. Leniently, as Postfix: the last @ outside quotes ends the local part,
 * so "a@b@host" is local part "a@b" at host (resolve sees the rest).
 */
export function parseAddress(text: string): Address | null {
  let t = text.trim();
  if (t.startsWith('<') && t.endsWith('>')) t = t.slice(1, -1);
  const route = routeEnd(t);
  if (route === -1) return null;
  t = t.slice(route);
  const at = lastAt(t);
  if (t === '' || at === null) return null;
  const local = at === -1 ? t : t.slice(0, at);
  if (!PLAIN_LOCAL.test(local)) return null;
  if (at === -1) return { local: unquote(local) };
  const domain = t.slice(at + 1);
  return DOMAIN.test(domain) ? { local: unquote(local), domain } : null;
}

/**
 * resolveRecipient: where a recipient really goes, the way Postfix's resolver reads it
 * (resolve_dequoted_address, allow_percent_hack, swap_bangpath): while the
 * address is the server's own (`isOurs`), a local part hiding another address
 * is taken for it — "a@b" (from quotes or a second @), then "a%b", then
 * "b!a". So `"relay-test@example.com"@host` and `relay-test%example.com@host`
 * go to example.com, and relaying them is for the relay check to refuse.
 */
export function resolveRecipient(a: Address, isOurs: (a: Address) => boolean): Address {
  let cur = a;
  for (let i = 0; i < MAX_REWRITES && isOurs(cur); i++) {
    const next = hidden(cur.local);
    if (!next) break;
    cur = next;
  }
  return cur;
}

/** hidden: the address a local part hides ("a@b", "a%b", "b!a"), if it hides one. */
function hidden(local: string): Address | null {
  const split = (i: number, swap: boolean): Address | null => {
    if (i <= 0 || i >= local.length - 1) return null;
    const [l, d] = [local.slice(0, i), local.slice(i + 1)];
    return swap ? { local: d, domain: l } : { local: l, domain: d };
  };
  if (local.includes('@')) return split(local.lastIndexOf('@'), false);
  if (local.includes('%')) return split(local.lastIndexOf('%'), false);
  if (local.includes('!')) return split(local.indexOf('!'), true);
  return null;
}

/**
 * Directory: who lives on one lab host. Local parts and domains match
 * case-insensitively, as every real MTA does. `domain` is the host's own
 * name (how replies show addresses); `mailDomains` are the other domains it
 * takes mail for (an MX takes its mail domain's mail, like Postfix's mydestination).
 */
export class Directory {
  private readonly users = new Map<string, LabUser>();
  private readonly lists = new Map<string, readonly string[]>();
  private readonly domains: Set<string>;

  constructor(
    p: Personality,
    readonly domain: string,
    mailDomains: readonly string[] = [],
  ) {
    for (const u of p.users ?? []) this.users.set(u.local.toLowerCase(), u);
    for (const [name, members] of Object.entries(p.lists ?? {}))
      this.lists.set(name.toLowerCase(), members);
    this.domains = new Set([domain, ...mailDomains].map((d) => d.toLowerCase()));
  }

  /** isOurs: whether the address is for this host (no domain, this host's name, or one of its mail domains). */
  isOurs(a: Address): boolean {
    return a.domain === undefined || this.domains.has(a.domain.toLowerCase());
  }

  /** user: the local user an address names, if any. */
  user(a: Address): LabUser | undefined {
    return this.isOurs(a) ? this.users.get(a.local.toLowerCase()) : undefined;
  }

  /** list: the members of the list an address names, if it names one. */
  list(a: Address): readonly string[] | undefined {
    return this.isOurs(a) ? this.lists.get(a.local.toLowerCase()) : undefined;
  }

  /** deliverable: a user or a list here (what RCPT TO accepts). */
  deliverable(a: Address): boolean {
    return this.user(a) !== undefined || this.list(a) !== undefined;
  }

  /** mailbox: how VRFY/EXPN show a local part: "Alice Example <alice@host>", or "<x@host>" without a name. */
  mailbox(local: string): string {
    const u = this.users.get(local.toLowerCase());
    const addr = `<${u?.local ?? local}@${this.domain}>`;
    return u ? `${u.name} ${addr}` : addr;
  }

  /** address: the full form of an Address for a reply ("<alice@host>"). */
  address(a: Address): string {
    return `<${a.local}@${a.domain ?? this.domain}>`;
  }
}
