/**
 * AddressConversation: the Exchanger over real sessions to one address. It starts with the
 * session the audit set up and opens another (set up the same way) when the current one is
 * gone or has too little room left for a group's possible rejections. One rejection in a
 * session is counted per 4xx/5xx reply, the way Postfix's smtpd_soft_error_limit counts; the
 * allowance stays under that limit (10), so no audit ever earns a server's punishment delay.
 */
import { ProbeError } from '../errors.js';
import type { SmtpSession } from '../session/session.js';
import type { Reply } from '../smtp/reply.js';
import type { Command, Exchanger } from './audit-exchange.js';

/** ERROR_ALLOWANCE: rejections one session may collect: Postfix slows down only past its soft limit of 10. */
export const ERROR_ALLOWANCE = 9;

/** Live: a ready session and what this conversation knows about it. */
export interface Live {
  session: SmtpSession;
  pipelining: boolean;
}

/** AddressConversation: see the module comment. */
export class AddressConversation implements Exchanger {
  private current: (Live & { rejections: number }) | undefined;
  /** allowance: rejections a session may collect; lowered when a server hangs up sooner. */
  private allowance = ERROR_ALLOWANCE;
  /** sessions: how many were used, the first included. */
  sessions = 1;

  constructor(
    first: Live,
    private readonly reopen: () => Promise<Live>,
  ) {
    this.current = { ...first, rejections: 0 };
  }

  async exchange(commands: readonly Command[], mayReject: number): Promise<Reply[]> {
    const live = await this.room(mayReject);
    const first = commands[0];
    if (!first) return [];
    try {
      const replies =
        live.pipelining && commands.length > 1
          ? await live.session.pipeline(
              commands.map((c) => c.line),
              first.stage,
            )
          : await this.oneByOne(live.session, commands);
      live.rejections += replies.filter((r) => r.code >= 400).length;
      // RFC 5321 §3.8: after 421 the server closes; the next group needs a new session.
      if (replies.some((r) => r.code === 421)) {
        this.allowance = Math.max(1, Math.min(this.allowance, live.rejections - 1));
        this.drop();
      }
      return replies;
    } catch (err) {
      if (err instanceof ProbeError) {
        // A server that hung up after this many rejections (Exim: 3 syntax errors) gets fewer next time.
        if (err.code === 'CONNECTION_CLOSED' && live.rejections > 0) {
          this.allowance = Math.max(1, Math.min(this.allowance, live.rejections));
        }
        this.drop();
      }
      throw err;
    }
  }

  /** end: QUIT the session in use, if any; a server that hangs up first is fine. */
  async end(): Promise<void> {
    const live = this.current;
    this.current = undefined;
    if (!live || live.session.closed) return;
    try {
      await live.session.quit();
    } catch (err) {
      live.session.close();
      if (!(err instanceof ProbeError)) throw err;
    }
  }

  /** dropQuietly: close without QUIT (the run is being cancelled). */
  dropQuietly(): void {
    this.drop();
  }

  private async oneByOne(session: SmtpSession, commands: readonly Command[]): Promise<Reply[]> {
    const replies: Reply[] = [];
    for (const c of commands) replies.push(await session.send(c.line, c.stage));
    return replies;
  }

  private async room(mayReject: number): Promise<Live & { rejections: number }> {
    const live = this.current;
    const room = Math.max(mayReject, this.allowance);
    if (live && !live.session.closed && live.rejections + mayReject <= room) return live;
    if (live && !live.session.closed) {
      // Spent: leave politely before asking again.
      await this.end();
    }
    this.current = { ...(await this.reopen()), rejections: 0 };
    this.sessions++;
    return this.current;
  }

  private drop(): void {
    this.current?.session.close();
    this.current = undefined;
  }
}
