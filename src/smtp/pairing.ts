/**
 * Whether replies can belong to the commands they were paired with, pure.
 * Replies to a pipelined group are paired by position (RFC 2920 §3.1); a
 * server that merges, splits or reorders them shifts every pairing after the
 * fault, and a recipient would inherit another's verdict. Codes and enhanced
 * codes that no server gives the command in question expose the shift:
 * 251/252 are RCPT's and VRFY's only (RFC 5321 §4.2.2), X.1.1-X.1.6 and
 * X.1.0's "2.1.5" speak of a recipient, X.1.7/X.1.8 of the sender
 * (RFC 3463 §3.2); 211/214 answer only HELP, 220 only STARTTLS, 221 only
 * QUIT, 334 only AUTH, 354 only DATA, and QUIT is answered 221 (RFC 5321 §4.1.1.10) unless the server is closing.
 */
import { enhancedStatus } from './enhanced.js';
import type { Reply } from './reply.js';

/** ONLY_ANSWERS: codes that answer one verb only (RFC 5321 §4.2.3; RFC 4954 §4 for 334). */
const ONLY_ANSWERS: Record<number, string> = {
  211: 'HELP',
  214: 'HELP',
  220: 'STARTTLS',
  221: 'QUIT',
  334: 'AUTH',
  354: 'DATA',
};

const verbOf = (command: string): string => command.split(' ')[0]!.toUpperCase();
const said = (reply: Reply): string => `${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''}`;

/**
 * foreignCode: why `reply` is another verb's by its code alone (a 214 to VRFY:
 * only HELP is answered 214), or undefined. The census asks verbs whose
 * every other answer is data (a server may well refuse RSET), so it judges
 * by this alone.
 */
export function foreignCode(command: string, reply: Reply): string | undefined {
  const verb = verbOf(command);
  const onlyFor = ONLY_ANSWERS[reply.code];
  return onlyFor !== undefined && onlyFor !== verb
    ? `${said(reply)} answers no ${verb}`
    : undefined;
}

/** implausible: why `reply` cannot be the answer to `command` (its verb), or undefined when it can. */
export function implausible(command: string, reply: Reply): string | undefined {
  const verb = verbOf(command);
  const { code } = reply;
  const status = enhancedStatus(reply);
  const was = said(reply);
  if (verb === 'QUIT') return code === 221 || code === 421 ? undefined : `${was} to QUIT`;
  const foreign = foreignCode(command, reply);
  if (foreign) return foreign;
  if (verb === 'RSET')
    return code === 421 || (code >= 200 && code < 300) ? undefined : `${was} to RSET`;
  if (verb === 'MAIL') {
    if (code === 251 || code === 252) return `${was} is a recipient's answer, not MAIL's`;
    // X.1.1-X.1.6 are about the destination mailbox; 2.1.5 is "destination address valid".
    if (status && status.subject === 1 && status.detail >= 1 && status.detail <= 6) {
      return `${was} speaks of a recipient, not the sender`;
    }
    return undefined;
  }
  if (verb === 'RCPT') {
    // 2.1.0 is the sender accepted (Postfix, Sendmail and Exchange answer MAIL with it, RCPT with 2.1.5).
    if (status && status.subject === 1 && (status.detail === 7 || status.detail === 8)) {
      return `${was} speaks of the sender, not a recipient`;
    }
    if (status && status.klass === 2 && status.subject === 1 && status.detail === 0) {
      return `${was} is the sender accepted, not a recipient`;
    }
    return undefined;
  }
  return undefined;
}

/** pairingProblem: the first reply of a group that cannot belong to its command, described; undefined when all can. */
export function pairingProblem(commands: string[], replies: Reply[]): string | undefined {
  for (let i = 0; i < replies.length && i < commands.length; i++) {
    const why = implausible(commands[i]!, replies[i]!);
    if (why) return `reply ${i + 1} of the group (to ${commands[i]!.split(' ')[0]}): ${why}`;
  }
  return undefined;
}
