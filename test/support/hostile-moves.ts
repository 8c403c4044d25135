/**
 * on and atWork: a misbehaviour's command hook from one move, made at one
 * stage or at the connection's first real command; the plain MTA answers
 * everything else.
 */
import type { Command, Trigger } from './hostile-plain-mta.js';
import type { HostileConn, Misbehaviour } from './hostile-server.js';

type Move = (c: HostileConn, cmd: Command) => void;
/** Hook: a misbehaviour's command hook. */
export type Hook = NonNullable<Misbehaviour['command']>;

/** on: `move` answers commands of `stage`; the plain MTA answers the rest. */
export const on =
  (stage: Trigger, move: Move): Hook =>
  (c, cmd) => {
    if (cmd.stage !== stage) return false;
    move(c, cmd);
    return true;
  };

/** atWork: `move` answers the connection's first real command (MAIL, VRFY, EXPN or a census verb). */
export const atWork =
  (move: Move): Hook =>
  (c, cmd) => {
    if (!cmd.main) return false;
    move(c, cmd);
    return true;
  };
