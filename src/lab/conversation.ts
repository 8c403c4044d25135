/**
 * Conversation: the lab's one SMTP server engine, pure. It reads a
 * Personality and answers one command line at a time with a Step (the reply,
 * an optional delay, and whether to close or start TLS next). Sockets, TLS
 * and timers live in connection.ts, so every behaviour here can be tested by
 * feeding it lines.
 */
import { Directory, parseAddress, resolveRecipient, type Address } from './directory.js';
import { codeOf, frame, splitCommand, type Step } from './step.js';
import { GreylistStore } from './greylist.js';
import {
  hostnameOf,
  LEGACY_VERBS,
  type Greylisting,
  type LegacyVerb,
  type Personality,
  type ReplySpec,
} from './personality.js';

export { frame, splitCommand, type Step };

/** ConversationHost: who a Conversation is, and what it shares with the host's other connections. */
export interface ConversationHost {
  /** name: the name it answers as; default the personality's own host (`esmtp.lab.test`). */
  name?: string;
  /** mailDomains: the other domains RCPT takes mail for. */
  mailDomains?: readonly string[];
  /** client: the client's IP address (greylisting keys on it). */
  client?: string;
  /** greylist: the host's triplet memory, shared by its connections; default one of this conversation's own. */
  greylist?: GreylistStore;
}

interface State {
  /** refused: the greeting was not 2xx, so only QUIT is answered (RFC 5321 §3.1). */
  refused: boolean;
  hello: 'EHLO' | 'HELO' | null;
  /** mailFrom: the reverse path once MAIL (or SEND/SOML/SAML) opened a transaction. */
  mailFrom: string | null;
  recipients: number;
  /** rcptsInTransaction: RCPT commands since MAIL, accepted or not (RcptPolicy.maxRecipients). */
  rcptsInTransaction: number;
  /** rcptsInSession: every RCPT command of the session (Fault.afterRcpts). */
  rcptsInSession: number;
  /** errors: 4xx/5xx replies sent so far (ErrorLimits). */
  errors: number;
  tls: boolean;
}

const reply = (code: number, ...lines: string[]): Step => ({ lines: frame(code, lines) });
const bare = (path: string): string => path.replace(/^<|>$/g, '');

/** Conversation: see the module comment. One per connection. */
export class Conversation {
  /** hostname: the name this host answers as. */
  readonly hostname: string;
  private readonly dir: Directory;
  private readonly state: State = {
    refused: false,
    hello: null,
    mailFrom: null,
    recipients: 0,
    rcptsInTransaction: 0,
    rcptsInSession: 0,
    errors: 0,
    tls: false,
  };
  private readonly client: string;
  // Made on first use: most hosts never greylist, and a connection should cost little.
  private greylistStore?: GreylistStore;

  /** Conversation: one session of personality `p` on `host` (see ConversationHost). */
  constructor(
    private readonly p: Personality,
    host: ConversationHost = {},
  ) {
    this.hostname = host.name ?? hostnameOf(p);
    this.dir = new Directory(p, this.hostname, host.mailDomains);
    this.client = host.client ?? '';
    this.greylistStore = host.greylist;
  }

  /** speaks: false for a host that never says anything (its greeting is null). */
  get speaks(): boolean {
    return this.p.greeting !== null;
  }

  /** greeting: the opening Step, or null for a silent host. */
  greeting(): Step | null {
    const g = this.p.greeting;
    if (!g) return null;
    this.state.refused = g.reply.code < 200 || g.reply.code >= 300;
    return { ...this.spec(g.reply, ''), ...(g.delayMs ? { delayMs: g.delayMs } : {}) };
  }

  /** handle: the Step for one command line (CRLF already removed); null when the host never speaks. */
  handle(line: string): Step | null {
    if (!this.speaks) return null;
    return this.paced(this.dispatch(line));
  }

  /** tlsStarted: the handshake finished; RFC 3207 §4.2 voids everything before it, so the client must say EHLO again. */
  tlsStarted(): void {
    Object.assign(this.state, {
      hello: null,
      mailFrom: null,
      recipients: 0,
      rcptsInTransaction: 0,
      tls: true,
    });
  }

  /** lineTooLong: the reply to an overlong line, after which the connection closes (the rest of it cannot be framed). */
  lineTooLong(): Step | null {
    return this.speaks ? { ...reply(500, '5.5.6 Error: line too long'), after: 'close' } : null;
  }

  /** idle: the reply when the client says nothing for too long (RFC 5321 §4.5.3.2.7: the server may then close). */
  idle(): Step | null {
    return this.speaks
      ? { ...reply(421, `4.4.2 ${this.hostname} Error: timeout exceeded`), after: 'close' }
      : null;
  }

  private dispatch(line: string): Step {
    const { verb, arg } = splitCommand(line);
    // RFC 5321 §3.1: after a 554 greeting the server waits for QUIT and answers anything else with 503.
    if (this.state.refused)
      return verb === 'QUIT'
        ? this.quit()
        : reply(503, '5.5.1 Error: no SMTP service here; send QUIT');
    return this.route(verb, arg) ?? reply(500, '5.5.2 Error: command not recognized');
  }

  /** route: the verb's handler's Step, or null for a verb no server knows. A switch, not a table of closures: a lab of thousands of hosts holds many connections, and each should cost little. */
  private route(verb: string, arg: string): Step | null {
    switch (verb) {
      case 'HELO':
        return this.helo(arg);
      case 'EHLO':
        return this.ehlo(arg);
      case 'MAIL':
        return this.mail(arg);
      case 'RCPT':
        return this.rcpt(arg);
      case 'DATA':
      case 'BDAT':
        return this.data(verb === 'BDAT');
      case 'RSET':
        return this.rset();
      case 'NOOP':
        return reply(250, '2.0.0 Ok');
      case 'QUIT':
        return this.quit();
      case 'VRFY':
      case 'EXPN':
        return this.lookup(verb, arg);
      case 'STARTTLS':
        return this.starttls(arg);
      case 'AUTH':
        return this.auth(arg);
      default:
        return (LEGACY_VERBS as readonly string[]).includes(verb)
          ? this.legacy(verb as LegacyVerb, arg)
          : null;
    }
  }

  /**
   * paced: a command's Step with the host's reply delay and error limits.
   * Like Postfix's smtpd_chat_reply, the sleep comes before any reply once
   * the soft limit is reached, and the error that reaches the hard limit is
   * followed by the 421 without waiting for another command.
   */
  private paced(step: Step): Step {
    const lim = this.p.errorLimits;
    let delayMs = (step.delayMs ?? 0) + (this.p.replyDelayMs ?? 0);
    if (lim && this.state.errors >= lim.soft) delayMs += lim.sleepMs;
    const out: Step = delayMs > 0 ? { ...step, delayMs } : step;
    if (!lim || codeOf(step) < 400) return out;
    this.state.errors++;
    if (this.state.errors < lim.hard || step.after === 'close') return out;
    const sleep = this.state.errors >= lim.soft ? lim.sleepMs : 0;
    return {
      ...out,
      followedBy: {
        ...reply(421, `4.7.0 ${this.hostname} Error: too many errors`),
        delayMs: sleep,
        after: 'close',
      },
    };
  }

  /** spec: a ReplySpec made a Step: `{host}`, `{arg}` and `{domain}` filled in. */
  private spec(s: ReplySpec, arg: string, domain = ''): Step {
    const lines = typeof s.text === 'string' ? [s.text] : s.text;
    return reply(
      s.code,
      ...lines.map((l) =>
        l
          .replaceAll('{host}', this.hostname)
          .replaceAll('{arg}', arg)
          .replaceAll('{domain}', domain),
      ),
    );
  }

  private helo(arg: string): Step {
    if (!arg) return reply(501, '5.5.4 Syntax: HELO hostname');
    this.resetTransaction();
    this.state.hello = 'HELO';
    return reply(250, this.hostname);
  }

  private ehlo(arg: string): Step {
    if (this.p.ehlo !== true) return this.spec(this.p.ehlo, arg);
    if (!arg) return reply(501, '5.5.4 Syntax: EHLO hostname');
    this.resetTransaction();
    this.state.hello = 'EHLO';
    const mechs = this.authMechanisms();
    return reply(
      250,
      this.hostname,
      ...(this.p.extensions ?? []),
      // RFC 3207 §4.2: STARTTLS is not offered again once TLS is up.
      ...(this.p.starttls && !this.state.tls ? ['STARTTLS'] : []),
      ...(mechs.length > 0 ? [`AUTH ${mechs.join(' ')}`] : []),
    );
  }

  private mail(arg: string): Step {
    if (!this.state.hello) return reply(503, '5.5.1 Error: send HELO/EHLO first');
    if (this.state.mailFrom !== null) return reply(503, '5.5.1 Error: nested MAIL command');
    const m = /^FROM:\s*(<[^<>]*>)(?:\s.*)?$/i.exec(arg);
    if (!m) return reply(501, '5.5.4 Syntax: MAIL FROM:<address>');
    this.resetTransaction();
    this.state.mailFrom = m[1]!;
    return reply(250, '2.1.0 Ok');
  }

  /**
   * rcpt: RCPT TO, with the checks in Postfix's order: fault, syntax, recipient
   * cap, relay, greylisting, user (see RcptPolicy). The relay check looks at
   * where the address really goes (directory.ts resolveRecipient: quotes, a second @, the
   * percent hack, bang paths, a source route), so no trick gets an outside
   * recipient past it; the refusal quotes the path as sent, as Postfix does.
   */
  private rcpt(arg: string): Step {
    const fault = this.p.fault;
    if (fault && ++this.state.rcptsInSession > fault.afterRcpts)
      return { ...this.spec(fault.reply, arg), after: 'close' };
    if (this.state.mailFrom === null) return reply(503, '5.5.1 Error: need MAIL command');
    const m = /^TO:\s*(<[^<>]*>)(?:\s.*)?$/i.exec(arg);
    if (!m) return reply(501, '5.5.4 Syntax: RCPT TO:<address>');
    const parsed = parseAddress(m[1]!);
    if (!parsed) return reply(501, '5.1.3 Bad recipient address syntax');
    const policy = this.p.rcpt ?? {};
    // RFC 5321 §4.5.3.1.10: 452 for recipients over the server's limit; the client may go on in a new transaction.
    if (
      policy.maxRecipients !== undefined &&
      ++this.state.rcptsInTransaction > policy.maxRecipients
    )
      return reply(452, '4.5.3 Error: too many recipients');
    const a = resolveRecipient(parsed, (x) => this.dir.isOurs(x));
    if (!this.dir.isOurs(a)) {
      if (!policy.openRelay) return reply(554, `5.7.1 ${m[1]}: Relay access denied`);
      this.state.recipients++;
      return reply(250, '2.1.5 Ok');
    }
    const shown = this.dir.address(a);
    if (policy.greylist && this.greylisted(a, policy.greylist))
      return this.spec(policy.greylist.reply, shown, a.domain ?? this.hostname);
    if (!policy.catchAll && !this.dir.deliverable(a)) {
      return policy.unknown
        ? this.spec(policy.unknown, shown)
        : reply(550, `5.1.1 ${shown}: Recipient address rejected: User unknown`);
    }
    this.state.recipients++;
    return reply(250, '2.1.5 Ok');
  }

  /** greylisted: whether this RCPT's triplet is still to be deferred. */
  private greylisted(a: Address, g: Greylisting): boolean {
    const triplet = {
      client: this.client,
      sender: bare(this.state.mailFrom ?? ''),
      recipient: `${a.local}@${a.domain ?? this.hostname}`,
    };
    this.greylistStore ??= new GreylistStore();
    return this.greylistStore.check(triplet, g.delayMs) === 'defer';
  }

  private data(chunked: boolean): Step {
    // The lab exists to be probed, and a probe never sends mail. BDAT's chunk
    // follows on the same line stream and cannot be told from commands, so close.
    const refusal = reply(554, '5.5.0 Error: lab hosts never accept mail');
    return chunked ? { ...refusal, after: 'close' } : refusal;
  }

  private rset(): Step {
    this.resetTransaction();
    return reply(250, '2.0.0 Ok');
  }

  private quit(): Step {
    return { ...reply(221, '2.0.0 Bye'), after: 'close' };
  }

  private lookup(verb: 'VRFY' | 'EXPN', arg: string): Step {
    const mode = verb === 'VRFY' ? this.p.vrfy : this.p.expn;
    if (mode === 'off') return reply(502, `5.5.1 ${verb} command is disabled`);
    if (mode === 'blanket')
      return reply(
        252,
        `2.0.0 Cannot ${verb} ${verb === 'VRFY' ? 'user' : 'list'}, but will accept message and attempt delivery`,
      );
    if (mode !== 'on') return this.spec(mode, arg);
    if (!arg) return reply(501, `5.5.4 Syntax: ${verb} address`);
    const a = parseAddress(arg);
    if (!a) return reply(501, '5.1.3 Bad address syntax');
    return verb === 'VRFY' ? this.vrfy(a) : this.expn(a);
  }

  private vrfy(a: Address): Step {
    const user = this.dir.user(a);
    if (user) return reply(250, `2.1.5 ${this.dir.mailbox(user.local)}`);
    if (this.dir.list(a)) return reply(250, `2.1.5 ${this.dir.address(a)}`);
    return reply(550, `5.1.1 ${this.dir.address(a)}: User unknown`);
  }

  private expn(a: Address): Step {
    const members = this.dir.list(a);
    // RFC 5321 §3.5.2: one mailbox per line of a multi-line 250.
    if (members && members.length > 0)
      return reply(250, ...members.map((m) => `2.1.5 ${this.dir.mailbox(m)}`));
    const user = this.dir.user(a);
    if (user) return reply(250, `2.1.5 ${this.dir.mailbox(user.local)}`);
    return reply(550, `5.1.1 ${this.dir.address(a)}: No such list or user`);
  }

  private starttls(arg: string): Step {
    if (!this.p.starttls) return reply(502, '5.5.1 Error: command not implemented');
    if (this.state.tls) return reply(503, '5.5.1 Error: TLS already active');
    if (arg) return reply(501, '5.5.4 Syntax: STARTTLS');
    return { ...reply(220, '2.0.0 Ready to start TLS'), after: 'starttls' };
  }

  private auth(arg: string): Step {
    if (this.state.hello !== 'EHLO') return reply(503, '5.5.1 Error: send EHLO first');
    const offered = this.authMechanisms();
    if (offered.length === 0) {
      // RFC 4954 §4 / RFC 3207 §4.1: tell the client TLS would unlock it, as Postfix does.
      const later = (this.p.auth?.afterTls?.length ?? 0) > 0 && !this.state.tls;
      return later
        ? reply(530, '5.7.0 Must issue a STARTTLS command first')
        : reply(502, '5.5.1 Error: authentication not enabled');
    }
    const mech = arg.split(/\s+/)[0]!.toUpperCase();
    if (!offered.includes(mech)) return reply(504, '5.5.4 Unrecognized authentication type');
    return reply(535, '5.7.8 Error: authentication failed: lab hosts accept no credentials');
  }

  private legacy(verb: LegacyVerb, arg: string): Step {
    const spec = this.p.verbs?.[verb];
    if (!spec) return reply(502, `5.5.1 Error: ${verb} not implemented`);
    const opens = verb === 'SEND' || verb === 'SOML' || verb === 'SAML';
    if (opens && !this.state.hello) return reply(503, '5.5.1 Error: send HELO/EHLO first');
    if (opens && spec.code < 300) this.state.mailFrom = arg;
    return this.spec(spec, arg);
  }

  private authMechanisms(): readonly string[] {
    return (this.state.tls ? this.p.auth?.afterTls : this.p.auth?.beforeTls) ?? [];
  }

  private resetTransaction(): void {
    this.state.mailFrom = null;
    this.state.recipients = 0;
    this.state.rcptsInTransaction = 0;
  }
}
