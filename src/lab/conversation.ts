/**
 * Conversation: the lab's one SMTP server engine, pure. It reads a
 * Personality and answers one command line at a time with a Step (the reply,
 * an optional delay, and whether to close or start TLS next). Sockets, TLS
 * and timers live in connection.ts, so every behaviour here can be tested by
 * feeding it lines. The mail transaction is transaction.ts's; the SASL
 * exchange sasl.ts's. Between DATA's 354 and the final dot (`inData`) a line
 * is message content, which the connection hands to `content` as bytes, and
 * during an AUTH exchange a line is a response: neither is a command, and
 * `shown` says what the log may keep of a line.
 */
import { Directory, parseAddress, type Address } from './directory.js';
import { keywords } from './envelope.js';
import { codeOf, fill, frame, reply, splitCommand, type Step } from './step.js';
import {
  hostnameOf,
  LEGACY_VERBS,
  type LegacyVerb,
  type Personality,
  type ReplySpec,
} from './personality.js';
import { saslStart, saslStep, type SaslOutcome, type SaslState } from './sasl.js';
import { Transaction, type TransactionHost } from './transaction.js';

export { frame, splitCommand, type Step };

/** ConversationHost: who a Conversation is, and what it shares with the host's other connections (greylisting, the message store). */
export interface ConversationHost extends TransactionHost {
  /** name: the name it answers as; default the personality's own host (`esmtp.lab.test`). */
  name?: string;
  /** mailDomains: the other domains RCPT takes mail for. */
  mailDomains?: readonly string[];
}

/** REDACTED: what the log shows for an AUTH command's initial response and for every line of the exchange after it. */
export const REDACTED = '<redacted>';

interface State {
  /** refused: the greeting was not 2xx, so only QUIT is answered (RFC 5321 §3.1). */
  refused: boolean;
  hello: 'EHLO' | 'HELO' | null;
  /** rcptsInSession: every RCPT command of the session (Fault.afterRcpts). */
  rcptsInSession: number;
  /** errors: 4xx/5xx replies sent so far (ErrorLimits). */
  errors: number;
  tls: boolean;
  /** authUser: who authenticated (RFC 4954); forgotten when TLS starts (RFC 3207 §4.2). */
  authUser: string | null;
  /** sasl: an AUTH exchange waiting for the client's next line. */
  sasl: SaslState | null;
}

/** Conversation: see the module comment. One per connection. */
export class Conversation {
  /** hostname: the name this host answers as. */
  readonly hostname: string;
  private readonly dir: Directory;
  private readonly tx: Transaction;
  private readonly state: State = {
    refused: false,
    hello: null,
    rcptsInSession: 0,
    errors: 0,
    tls: false,
    authUser: null,
    sasl: null,
  };

  /** Conversation: one session of personality `p` on `host` (see ConversationHost). */
  constructor(
    private readonly p: Personality,
    host: ConversationHost = {},
  ) {
    this.hostname = host.name ?? hostnameOf(p);
    this.dir = new Directory(p, this.hostname, host.mailDomains);
    this.tx = new Transaction(p, this.dir, this.hostname, host);
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

  /** inData: between DATA's 354 and the final dot, when every line is message content (for `content`). */
  get inData(): boolean {
    return this.tx.inData;
  }

  /**
   * handle: the Step for one line (CRLF already removed): a command, or a
   * response in an AUTH exchange; in DATA mode, content (see `content`).
   * Null when the host never speaks.
   */
  handle(line: string): Step | null {
    if (!this.speaks) return null;
    if (this.tx.inData) return this.content(Buffer.from(line, 'utf8'));
    const sasl = this.state.sasl;
    return this.paced(sasl ? this.saslReply(saslStep(sasl, line.trim())) : this.dispatch(line));
  }

  /**
   * content: one line of the message in DATA mode, as received (CRLF
   * removed, bytes untouched). Null until the final dot, then the reply: 250
   * 2.0.0 with the queue id, or 552 5.3.4 for a message over the size limit.
   */
  content(line: Buffer): Step | null {
    const step = this.tx.content(line, { tls: this.state.tls, authUser: this.state.authUser });
    return step && this.paced(step);
  }

  /** shown: what the log may keep of a line about to be handled: never a secret (AUTH's initial response, the exchange after it). */
  shown(line: string): string {
    if (this.state.sasl) return REDACTED;
    const auth = /^(\s*AUTH\s+\S+)\s+\S/i.exec(line);
    return auth ? `${auth[1]} ${REDACTED}` : line;
  }

  /** tlsStarted: the handshake finished; RFC 3207 §4.2 voids everything before it, so the client must say EHLO (and AUTH) again. */
  tlsStarted(): void {
    this.tx.reset();
    Object.assign(this.state, { hello: null, tls: true, authUser: null });
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
        return this.state.hello
          ? this.tx.mail(arg, this.offered())
          : reply(503, '5.5.1 Error: send HELO/EHLO first');
      case 'RCPT':
        return this.rcpt(arg);
      case 'DATA':
      case 'BDAT':
        return this.tx.data(verb === 'BDAT', arg);
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

  /** spec: a ReplySpec made a Step: `{host}` and `{arg}` filled in. */
  private spec(s: ReplySpec, arg: string): Step {
    return fill(s, this.hostname, arg);
  }

  private helo(arg: string): Step {
    if (!arg) return reply(501, '5.5.4 Syntax: HELO hostname');
    this.tx.reset();
    this.state.hello = 'HELO';
    return reply(250, this.hostname);
  }

  private ehlo(arg: string): Step {
    if (this.p.ehlo !== true) return this.spec(this.p.ehlo, arg);
    if (!arg) return reply(501, '5.5.4 Syntax: EHLO hostname');
    this.tx.reset();
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

  /** rcpt: RCPT TO, after the host's fault (it hangs up midway), then the transaction's checks. */
  private rcpt(arg: string): Step {
    const fault = this.p.fault;
    if (fault && ++this.state.rcptsInSession > fault.afterRcpts)
      return { ...this.spec(fault.reply, arg), after: 'close' };
    return this.tx.rcpt(arg, this.offered());
  }

  private rset(): Step {
    this.tx.reset();
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
    // RFC 4954 §4: one successful AUTH per session, and none inside a mail transaction.
    if (this.state.authUser !== null) return reply(503, '5.5.1 Error: already authenticated');
    if (this.tx.mailFrom !== null) return reply(503, '5.5.1 Error: MAIL transaction in progress');
    const [mech, initial, ...extra] = arg.split(/\s+/);
    const m = mech?.toUpperCase();
    if (!m || extra.length > 0) return reply(501, '5.5.4 Syntax: AUTH mechanism');
    if (!offered.includes(m) || (m !== 'PLAIN' && m !== 'LOGIN'))
      return reply(504, '5.5.4 Unrecognized authentication type');
    return this.saslReply(saslStart(m, initial));
  }

  /** saslReply: the reply to a step of an AUTH exchange (RFC 4954 §4, §6), in Postfix's words. */
  private saslReply(o: SaslOutcome): Step {
    this.state.sasl = 'next' in o ? o.next : null;
    if ('next' in o) return reply(334, o.challenge);
    if ('refused' in o)
      return o.refused === 'aborted'
        ? reply(501, '5.7.0 Authentication aborted')
        : reply(501, '5.5.2 Cannot Base64-decode Client responses');
    if (o.user === null)
      return reply(535, '5.7.8 Error: authentication failed: authentication failure');
    this.state.authUser = o.user;
    return reply(235, '2.7.0 Authentication successful');
  }

  private legacy(verb: LegacyVerb, arg: string): Step {
    const spec = this.p.verbs?.[verb];
    if (!spec) return reply(502, `5.5.1 Error: ${verb} not implemented`);
    const opens = verb === 'SEND' || verb === 'SOML' || verb === 'SAML';
    if (opens && !this.state.hello) return reply(503, '5.5.1 Error: send HELO/EHLO first');
    if (opens && spec.code < 300) this.tx.openLegacy(arg);
    return this.spec(spec, arg);
  }

  private authMechanisms(): readonly string[] {
    return (this.state.tls ? this.p.auth?.afterTls : this.p.auth?.beforeTls) ?? [];
  }

  /** offered: the EHLO keywords now on offer, which the MAIL and RCPT parameters need. */
  private offered(): Set<string> {
    return keywords(this.p.extensions ?? [], this.authMechanisms().length > 0);
  }
}
