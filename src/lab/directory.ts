/**
 * A lab host's users and lists, and the address parsing VRFY, EXPN and RCPT
 * share. Pure: no sockets, no timers.
 */
import type { LabUser, Personality } from './personality.js';

/** Address: a parsed mailbox; `domain` is absent for a bare local part ("VRFY alice", "<postmaster>"). */
export interface Address {
  local: string;
  domain?: string;
}

/**
 * parseAddress: "<alice@host>", "alice@host" or "alice" to an Address; null
 * for an empty path or anything with spaces or brackets inside. Source routes
 * ("<@a,@b:alice@host>", RFC 5321 §4.1.2) are accepted and ignored, as §3.6.1 allows.
 */
export function parseAddress(text: string): Address | null {
  let t = text.trim();
  if (t.startsWith('<') && t.endsWith('>')) t = t.slice(1, -1);
  t = t.replace(/^@[^:]*:/, '');
  if (t === '' || /[\s<>]/.test(t)) return null;
  const at = t.lastIndexOf('@');
  if (at === -1) return { local: t };
  const local = t.slice(0, at);
  const domain = t.slice(at + 1);
  return local === '' || domain === '' ? null : { local, domain };
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
