/**
 * Whether replies can belong to the commands they were paired with, pure.
 * Replies to a pipelined group are paired by position (RFC 2920 §3.1); a
 * server that merges, splits or reorders them shifts every pairing after the
 * fault, and a recipient would inherit another's verdict. Codes and enhanced
 * codes that no server gives the command in question expose the shift:
 * 251/252 are RCPT's and VRFY's only (RFC 5321 §4.2.2), X.1.1-X.1.6 and
 * X.1.0's "2.1.5" speak of a recipient, X.1.7/X.1.8 of the sender
 * (RFC 3463 §3.2); 220 answers only STARTTLS, 221 only QUIT, 354 only DATA,
 * and QUIT is answered 221 (RFC 5321 §4.1.1.10) unless the server is closing.
 */
import { enhancedStatus } from './enhanced.js';
import type { Reply } from './reply.js';

/** implausible: why `reply` cannot be the answer to `command` (its verb), or undefined when it can. */
export function implausible(command: string, reply: Reply): string | undefined {
  const verb = command.split(' ')[0]!.toUpperCase();
  const { code } = reply;
  const status = enhancedStatus(reply);
  const said = `${code}${reply.enhanced ? ` ${reply.enhanced}` : ''}`;
  if (verb === 'QUIT') return code === 221 || code === 421 ? undefined : `${said} to QUIT`;
  if ((code === 220 && verb !== 'STARTTLS') || code === 221 || (code === 354 && verb !== 'DATA')) {
    return `${said} answers no ${verb}`;
  }
  if (verb === 'RSET')
    return code === 421 || (code >= 200 && code < 300) ? undefined : `${said} to RSET`;
  if (verb === 'MAIL') {
    if (code === 251 || code === 252) return `${said} is a recipient's answer, not MAIL's`;
    // X.1.1-X.1.6 are about the destination mailbox; 2.1.5 is "destination address valid".
    if (status && status.subject === 1 && status.detail >= 1 && status.detail <= 6) {
      return `${said} speaks of a recipient, not the sender`;
    }
    return undefined;
  }
  if (verb === 'RCPT') {
    // 2.1.0 is the sender accepted (Postfix, Sendmail and Exchange answer MAIL with it, RCPT with 2.1.5).
    if (status && status.subject === 1 && (status.detail === 7 || status.detail === 8)) {
      return `${said} speaks of the sender, not a recipient`;
    }
    if (status && status.klass === 2 && status.subject === 1 && status.detail === 0) {
      return `${said} is the sender accepted, not a recipient`;
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
