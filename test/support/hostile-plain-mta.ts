/**
 * The plain MTA: what the hostile server says without a misbehaviour, and
 * what the checks hold a probe's results against. Postfix-like: PIPELINING,
 * ENHANCEDSTATUSCODES, VRFY and EXPN answered, alice, bob and postmaster
 * exist, the list "staff" expands. Pure: no sockets, no clock.
 */

/** MX_NAME / MX_ADDRESS: the hostile host, as the zone names it and where it listens (port 25). */
export const MX_NAME = 'mx.example.test';
export const MX_ADDRESS = '192.0.2.25';

/** Trigger: where in a conversation a command belongs (census: the caps census verbs). */
export type Trigger =
  | 'ehlo'
  | 'helo'
  | 'starttls'
  | 'mail'
  | 'rcpt'
  | 'vrfy'
  | 'expn'
  | 'census'
  | 'rset'
  | 'quit'
  | 'data'
  | 'other';

/** Command: one line the client sent, with the chunk (pipelined group) it came in. */
export interface Command {
  verb: string;
  line: string;
  stage: Trigger;
  /** The first MAIL, RCPT, VRFY, EXPN or census verb of the connection: the probe's real work begins. */
  main: boolean;
  /** Every line of the chunk this one arrived in, and its place there. */
  group: string[];
  index: number;
}

/** GREETING: the plain MTA's banner. */
export const GREETING = `220 ${MX_NAME} ESMTP Postfix (Debian/GNU)`;
const KNOWN = ['alice', 'bob', 'postmaster'];
/** PLAIN_EHLO: the plain MTA's EHLO extensions (STARTTLS is added where a misbehaviour offers TLS). */
export const PLAIN_EHLO = [
  'PIPELINING',
  'SIZE 10240000',
  'VRFY',
  'ETRN',
  'ENHANCEDSTATUSCODES',
  '8BITMIME',
];
const CENSUS = new Set(['NOOP', 'HELP', 'ETRN', 'VERB', 'SEND', 'SOML', 'SAML', 'TURN']);

/** multiline: one reply of `texts` under `code` ("250-a", "250 b"). */
export const multiline = (code: number | string, texts: string[]): string[] =>
  texts.map((t, i) => `${code}${i === texts.length - 1 ? ' ' : '-'}${t}`);

/** isList: whether the plain MTA expands this name as a list (EXPN staff). */
export const isList = (name: string): boolean => name.toLowerCase() === 'staff';

/** isKnown: whether the plain MTA has this mailbox or user ("alice", "alice@example.test"). */
export const isKnown = (nameOrAddress: string): boolean =>
  KNOWN.includes(nameOrAddress.replace(/@[^@]*$/, '').toLowerCase());

/** stageOf: where a command of `verb` belongs in a conversation. */
export function stageOf(verb: string): Trigger {
  const stages: Record<string, Trigger> = {
    EHLO: 'ehlo',
    HELO: 'helo',
    STARTTLS: 'starttls',
    MAIL: 'mail',
    RCPT: 'rcpt',
    VRFY: 'vrfy',
    EXPN: 'expn',
    RSET: 'rset',
    QUIT: 'quit',
    DATA: 'data',
    BDAT: 'data',
  };
  return stages[verb] ?? (CENSUS.has(verb) ? 'census' : 'other');
}

/** pathOf: what is between the first < and the last > of a MAIL or RCPT line. */
export const pathOf = (line: string): string =>
  line.slice(line.indexOf('<') + 1, line.lastIndexOf('>'));

/** plainReply: the plain MTA's answer to `cmd` (QUIT and STARTTLS have their own moves in answer()). */
export function plainReply(cmd: Command, ehlo: string[]): string[] {
  const arg = cmd.line.slice(cmd.verb.length + 1);
  switch (cmd.verb) {
    case 'EHLO':
      return multiline(250, [MX_NAME, ...ehlo]);
    case 'HELO':
      return [`250 ${MX_NAME}`];
    case 'MAIL':
      return ['250 2.1.0 Ok'];
    case 'RCPT':
      return isKnown(pathOf(cmd.line))
        ? ['250 2.1.5 Ok']
        : [`550 5.1.1 <${pathOf(cmd.line)}>: Recipient address rejected: User unknown`];
    case 'VRFY':
      return isKnown(arg) ? [`250 2.0.0 <${arg}>`] : [`550 5.1.1 <${arg}>: User unknown`];
    case 'EXPN':
      if (isList(arg))
        return multiline(250, ['2.0.0 <alice@example.test>', '2.0.0 <bob@example.test>']);
      return isKnown(arg) ? [`250 2.0.0 <${arg}>`] : [`550 5.1.1 <${arg}>: User unknown`];
    case 'NOOP':
    case 'RSET':
      return ['250 2.0.0 Ok'];
    case 'HELP':
      return ['214 2.0.0 See https://www.postfix.org/'];
    case 'ETRN':
      return [`458 Unable to queue messages for node ${arg}`];
    case 'DATA':
    case 'BDAT':
      return ['554 5.5.1 Error: no valid recipients'];
    case 'STARTTLS':
      return ['454 4.7.0 TLS not available due to local problem'];
    default:
      return CENSUS.has(cmd.verb)
        ? ['502 5.5.2 Error: command not recognized']
        : ['500 5.5.2 Error: command not recognized'];
  }
}
