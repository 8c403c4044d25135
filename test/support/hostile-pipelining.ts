/**
 * Misbehaviours of pipelining: replies to a pipelined group (RFC 2920) that do
 * not pair one to one with its commands: doubled, reordered, merged.
 */
import { multiline, pathOf, plainReply } from './hostile-plain-mta.js';
import type { Hook } from './hostile-moves.js';
import type { Misbehaviour } from './hostile-server.js';

const isRcpt = (line: string): boolean => /^RCPT /i.test(line);

/** doubleReply: the first RCPT of each pipelined group gets its reply and then the opposite one. */
const doubleReply: Hook = (c, cmd) => {
  if (cmd.stage !== 'rcpt' || cmd.group.findIndex(isRcpt) !== cmd.index) return false;
  const own = plainReply(cmd, []);
  const other = own[0]!.startsWith('250')
    ? `550 5.1.1 <${pathOf(cmd.line)}>: User unknown (a second reply)`
    : '250 2.1.5 Ok (a second reply)';
  c.reply(...own, other);
  return true;
};

/** swapped: MAIL's reply is held back and sent after the first RCPT's (replies out of order). */
const swapped: Hook = (c, cmd) => {
  if (cmd.stage === 'mail' && cmd.group.slice(cmd.index + 1).some(isRcpt)) {
    c.state.held = plainReply(cmd, []);
    return true;
  }
  const held = c.state.held as string[] | undefined;
  if (cmd.stage !== 'rcpt' || !held) return false;
  delete c.state.held;
  c.reply(...plainReply(cmd, []), ...held);
  return true;
};

/** merged: the replies to a pipelined transaction group (MAIL with RCPTs) as one multi-line reply. */
const merged: Hook = (c, cmd) => {
  if (cmd.group.length < 2 || !cmd.group.some((l) => /^MAIL /i.test(l))) return false;
  const acc = (c.state.merged as string[] | undefined) ?? [];
  acc.push(...plainReply(cmd, []));
  c.state.merged = acc;
  if (cmd.index < cmd.group.length - 1) return true;
  delete c.state.merged;
  c.reply(
    ...multiline(
      acc[0]!.slice(0, 3),
      acc.map((l) => l.slice(4)),
    ),
  );
  return true;
};

/** PIPELINING_MISBEHAVIOURS: pipelined replies out of step (see each `what`). */
export const PIPELINING_MISBEHAVIOURS: Misbehaviour[] = [
  {
    name: 'pipeline-double-reply',
    what: 'two replies (its own, then the opposite) for the first RCPT of each pipelined group',
    command: doubleReply,
  },
  {
    name: 'pipeline-swapped',
    what: "MAIL's reply comes after the first RCPT's (pipelined replies reordered)",
    command: swapped,
  },
  {
    name: 'pipeline-merged',
    what: 'the replies to a pipelined MAIL/RCPT group merged into one multi-line reply',
    command: merged,
  },
];
