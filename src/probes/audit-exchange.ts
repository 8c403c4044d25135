/**
 * Exchanger: how an audit check talks to one address without owning a session. Each group of
 * commands (a MAIL/RCPT/RSET trial, a VRFY) goes through `exchange`, which pipelines the group
 * when the server offers PIPELINING (RFC 2920) and opens a fresh session first when the current
 * one has too little room left for the rejections the group may earn: servers count errors per
 * session and slow down or hang up past a limit (Postfix: a 1 s sleep per reply after 10, 421 after
 * 20; Exim: 3 unknown commands), and an audit must neither trip nor wait on them.
 */
import type { Stage } from '../errors.js';
import type { Reply } from '../smtp/reply.js';

/** Command: one line to send and the stage an error in it belongs to. */
export interface Command {
  line: string;
  stage: Stage;
}

/** Exchanger: see the module comment. */
export interface Exchanger {
  /**
   * exchange: send `commands` as one group and return each reply in order. `mayReject` is how
   * many of them may be refused (4xx/5xx); the group runs in a session with that much room left.
   * Throws a ProbeError when no session can be had or the server stops answering.
   */
  exchange(commands: readonly Command[], mayReject: number): Promise<Reply[]>;
}
