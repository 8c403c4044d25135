/**
 * memoryMta: a programmable receiving MTA on the in-memory network, for the
 * verify engine's transcript tests. It speaks ESMTP (PIPELINING optional),
 * answers each RCPT by a rule, counts rejections per session like Postfix
 * (replies late after `softLimit`, 421 4.7.0 and a hang-up at `hardLimit`),
 * caps recipients per transaction (452 4.5.3) when told, refuses DATA, and
 * records every line of every session. Replies leave in command order; a late
 * one (a punishment, a stall) holds back the ones after it, as on a wire.
 */
import type { MemoryNetwork, MemoryStream } from './memory-net.js';
import type { VirtualClock } from './virtual-clock.js';

/** RcptContext: what a rule sees for one RCPT. */
export interface RcptContext {
  /** Which session (0 = first connection). */
  session: number;
  /** RCPTs in this session so far, this one excluded. */
  index: number;
  address: string;
  /** Rejections in this session so far. */
  errors: number;
  /** RCPTs in this transaction so far, and how many of them were refused. */
  inTransaction: number;
  refusedInTransaction: number;
}

/** Answer: a reply line, 'silence' (say nothing, ever), or 'hangup' (close without a word). */
export type Answer = string | 'silence' | 'hangup';

/** MtaPolicy: how the server behaves; everything but `rcpt` has a plain default. */
export interface MtaPolicy {
  rcpt: (ctx: RcptContext) => Answer;
  /** Reply to MAIL, per session (default 250 2.1.0 Ok). */
  mail?: (session: number) => Answer;
  /** Reply to RSET, per session (default 250 2.0.0 Ok). */
  rset?: (session: number) => Answer;
  pipelining?: boolean;
  smtputf8?: boolean;
  /** Rejections after which every reply is `punishMs` late (Postfix smtpd_soft_error_limit). */
  softLimit?: number;
  /** Rejections at which the session ends with 421 4.7.0 (Postfix smtpd_hard_error_limit). */
  hardLimit?: number;
  punishMs?: number;
  /** Recipients per transaction before 452 4.5.3. */
  rcptCap?: number;
  /** How long the reply to QUIT is held, whatever the client does. */
  quitDelayMs?: number;
  /** Exim's wait: QUIT's reply is held until the client's FIN, or this long. */
  quitAwaitsFinMs?: number;
}

/** Mta: the lines each session sent, in order. */
export interface Mta {
  sessions: string[][];
}

/** known: the usual rule — alice and bob exist, everyone else is 550 5.1.1. */
export const known =
  (...users: string[]) =>
  (ctx: RcptContext): Answer =>
    users.some((u) => ctx.address.startsWith(`${u}@`))
      ? '250 2.1.5 Ok'
      : `550 5.1.1 <${ctx.address}>: Recipient address rejected: User unknown`;

/** memoryMta: serve `policy` at `endpoint`. */
export function memoryMta(
  net: MemoryNetwork,
  endpoint: string,
  clock: VirtualClock,
  policy: MtaPolicy,
): Mta {
  const mta: Mta = { sessions: [] };
  net.listen(endpoint, (stream) => serve(stream, mta, clock, policy));
  return mta;
}

function serve(stream: MemoryStream, mta: Mta, clock: VirtualClock, policy: MtaPolicy): void {
  const session = mta.sessions.length;
  const seen: string[] = [];
  mta.sessions.push(seen);
  let errors = 0;
  let rcpts = 0;
  let inTransaction = 0;
  let refusedInTransaction = 0;
  let closed = false;
  let buffer = '';
  // Replies leave in order; each waits for the one before it.
  let chain = Promise.resolve();
  const reply = (answer: Answer, late = 0): void => {
    chain = chain.then(async () => {
      if (late > 0) await clock.sleep(late);
      if (closed || answer === 'silence') return;
      if (answer === 'hangup') {
        closed = true;
        stream.destroy();
        return;
      }
      stream.write(`${answer}\r\n`);
    });
  };
  const punishment = (): number =>
    policy.softLimit !== undefined && errors >= policy.softLimit ? (policy.punishMs ?? 1000) : 0;
  const count = (answer: Answer): void => {
    if (/^[45]/.test(answer)) errors++;
  };
  const fin = new Promise<void>((resolve) => stream.once('end', resolve));
  stream.on('error', () => undefined);
  stream.on('close', () => {
    closed = true;
  });
  stream.write('220 mx.example.test ESMTP\r\n');
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let lf = buffer.indexOf('\r\n'); lf !== -1; lf = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, lf);
      buffer = buffer.slice(lf + 2);
      seen.push(line);
      const verb = (line.split(' ')[0] ?? '').toUpperCase();
      if (verb === 'EHLO') {
        const ext = [
          'mx.example.test',
          ...(policy.pipelining === false ? [] : ['PIPELINING']),
          'ENHANCEDSTATUSCODES',
          ...(policy.smtputf8 ? ['SMTPUTF8'] : []),
        ];
        reply(ext.map((e, i) => `250${i === ext.length - 1 ? ' ' : '-'}${e}`).join('\r\n'));
      } else if (verb === 'MAIL') {
        const answer = policy.mail?.(session) ?? '250 2.1.0 Ok';
        [inTransaction, refusedInTransaction] = [0, 0];
        reply(answer, punishment());
        if (answer.startsWith('421')) reply('hangup');
      } else if (verb === 'RCPT') {
        const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
        const before = inTransaction++;
        const late = punishment();
        if (policy.rcptCap !== undefined && inTransaction > policy.rcptCap) {
          reply('452 4.5.3 Error: too many recipients', late);
          continue;
        }
        const answer = policy.rcpt({
          session,
          index: rcpts++,
          address,
          errors,
          inTransaction: before,
          refusedInTransaction,
        });
        count(answer);
        if (/^[45]/.test(answer)) refusedInTransaction++;
        reply(answer, late);
        if (answer.startsWith('421')) reply('hangup');
        else if (policy.hardLimit !== undefined && errors >= policy.hardLimit) {
          reply('421 4.7.0 mx.example.test Error: too many errors', late);
          reply('hangup');
        }
      } else if (verb === 'RSET') {
        [inTransaction, refusedInTransaction] = [0, 0];
        reply(policy.rset?.(session) ?? '250 2.0.0 Ok', punishment());
      } else if (verb === 'QUIT') {
        const awaitMs = policy.quitAwaitsFinMs;
        if (awaitMs !== undefined)
          chain = chain.then(() => Promise.race([fin, clock.sleep(awaitMs)]));
        reply('221 2.0.0 Bye', punishment() + (policy.quitDelayMs ?? 0));
        reply('hangup');
      } else if (verb === 'DATA') {
        reply('554 5.5.1 Error: no valid recipients');
      } else {
        reply('502 5.5.2 Error: command not recognized');
      }
    }
  });
}
