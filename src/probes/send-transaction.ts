/**
 * The mail transaction of `send` on a session that is set up: AUTH when asked (only over TLS
 * unless allowed in clear), the MAIL and RCPT parameters the message needs, MAIL and the RCPTs
 * (one PIPELINING group when offered, RFC 2920), DATA, the message and its end-of-data dot,
 * QUIT — stopping where --quit-after says (RSET first once MAIL opened a transaction). A refusal
 * is recorded, the session is closed politely, and a ProbeError says which step refused.
 */
import { ProbeError, type ErrorCode, type Stage } from '../errors.js';
import type { SendResult } from '../schema/send.js';
import type { Capabilities } from '../schema/smtp.js';
import type { SmtpSession } from '../session/session.js';
import {
  chooseMechanism,
  type Credentials,
  loginResponses,
  plainResponse,
  secretForms,
  type AuthMechanism,
} from '../smtp/auth.js';
import { NO_EXTENSIONS } from '../smtp/capabilities.js';
import { mailFrom, rcptTo } from '../smtp/command.js';
import { mailParameters } from '../smtp/mail-params.js';
import { queueIdOf } from '../smtp/queue-id.js';
import { replyText, type Reply } from '../smtp/reply.js';
import { timeInto } from '../time/clock.js';
import type { Run } from './outcome.js';
import type { SendOptions, SendPlan } from './send-plan.js';

/** Transaction: what the transaction needs and where it records what happens. */
export interface Transaction {
  session: SmtpSession;
  plan: SendPlan;
  options: SendOptions;
  result: SendResult;
  run: Run;
  /** The EHLO capabilities that count: after TLS when TLS is up. */
  caps: Capabilities | null;
  tlsUp: boolean;
  endpoint: string;
}

const ok = (r: Reply | null | undefined): boolean => !!r && r.code >= 200 && r.code < 300;

/** transact: see the module comment. */
export async function transact(t: Transaction): Promise<void> {
  const stop = t.options.quitAfter;
  if (stop === 'tls') {
    if (!t.tlsUp) t.run.transcript.note('--quit-after tls: the session has no TLS to stop after');
    return close(t, false);
  }
  if (t.options.auth) {
    await authenticate(t, t.options.auth);
    if (stop === 'auth') return close(t, false);
  }
  const params = mailParameters(t.caps ?? NO_EXTENSIONS, {
    size: t.plan.encoded.size,
    eightBit: t.plan.encoded.eightBit,
    smtpUtf8: t.plan.smtpUtf8,
    ...(t.options.dsn ? { dsn: t.options.dsn } : {}),
  });
  if (!params.ok) return refuse(t, false, 'MESSAGE_UNSUITABLE', 'mail', params.reason);
  t.result.parameters = { mail: params.mail, rcpt: params.rcpt };
  const mailLine = mailFrom(t.plan.from, params.mail.join(' '));
  const rcptLines = t.plan.to.map((b) => rcptTo(b.address, params.rcpt.join(' ')));
  await envelope(t, mailLine, rcptLines);
  const mail = t.result.mail!;
  // A DATA that rode in the group and got its 354 has the server reading message text: from
  // there only a hang-up ends the session without completing a message.
  const inData = t.result.data?.reply?.code === 354;
  if (!ok(mail.reply))
    return refuse(
      t,
      false,
      'SENDER_REFUSED',
      'mail',
      `MAIL FROM refused: ${said(t, mail.reply)}`,
      inData,
    );
  if (stop === 'mail') return close(t, true);
  const refused = t.result.recipients.filter((r) => !r.accepted);
  const recipientsRefused = (): string =>
    refused.map((r) => `${r.address}: ${said(t, r.reply)}`).join('; ');
  if (stop === 'rcpt' || refused.length === t.result.recipients.length) {
    if (refused.length === 0) return close(t, true);
    return refuse(
      t,
      true,
      'RECIPIENT_REFUSED',
      'rcpt',
      `recipient refused: ${recipientsRefused()}`,
      inData,
    );
  }
  const data = t.result.data?.reply ?? (await sendData(t));
  if (data.code !== 354)
    return refuse(t, true, 'MESSAGE_REFUSED', 'data', `DATA refused: ${said(t, data)}`);
  if (stop === 'data') {
    hangUp(t, '--quit-after data');
    return partly(t, refused.length > 0, recipientsRefused);
  }
  const e = t.plan.encoded;
  const final = await timed(t, 'message', () =>
    t.session.message(
      e.bytes,
      `(message: ${e.lines} lines, ${e.size} octets${e.stuffed ? `, ${e.stuffed} dot-stuffed` : ''})`,
    ),
  );
  t.result.final = final;
  t.result.queueId = queueIdOf(final);
  if (!ok(final))
    return refuse(t, false, 'MESSAGE_REFUSED', 'data', `message refused: ${said(t, final)}`);
  await close(t, false);
  return partly(t, refused.length > 0, recipientsRefused);
}

/**
 * envelope: MAIL and the RCPTs — one group when the server offers PIPELINING, with DATA last in it
 * unless the RCPTs' answers are to be looked at first (RFC 2920 §3.1) — or one at a time.
 */
async function envelope(t: Transaction, mailLine: string, rcptLines: string[]): Promise<void> {
  const stop = t.options.quitAfter;
  const pipelined = t.caps?.pipelining === true && stop !== 'mail';
  t.result.pipelined = pipelined;
  t.result.mail = { command: mailLine, reply: null };
  if (pipelined) {
    const lines = [mailLine, ...rcptLines, ...(stop === 'rcpt' ? [] : ['DATA'])];
    await timed(t, 'mail', () =>
      t.session.pipeline(lines, 'mail', (reply, i) => {
        if (i === 0) t.result.mail = { command: mailLine, reply };
        else if (i <= rcptLines.length) recipient(t, i - 1, rcptLines[i - 1]!, reply);
        else t.result.data = { command: 'DATA', reply };
      }),
    );
    return;
  }
  const reply = await timed(t, 'mail', () => t.session.send(mailLine, 'mail'));
  t.result.mail = { command: mailLine, reply };
  if (!ok(reply) || stop === 'mail') return;
  await timed(t, 'rcpt', async () => {
    for (const [i, line] of rcptLines.entries())
      recipient(t, i, line, await t.session.send(line, 'rcpt'));
  });
}

async function sendData(t: Transaction): Promise<Reply> {
  const reply = await timed(t, 'data', () => t.session.send('DATA', 'data'));
  t.result.data = { command: 'DATA', reply };
  return reply;
}

/** hangUp: leave a session that is inside DATA; the server discards the unfinished message (RFC 5321 §4.1.1.4). */
function hangUp(t: Transaction, why: string): void {
  t.run.transcript.note(`${why}: hanging up inside DATA; the message was never completed`);
  t.session.close();
}

function recipient(t: Transaction, i: number, command: string, reply: Reply): void {
  t.result.recipients.push({
    address: t.plan.to[i]!.address,
    command,
    reply,
    accepted: ok(reply),
  });
}

/**
 * authenticate: AUTH PLAIN or LOGIN (RFC 4954). The password never goes over a session without
 * TLS unless allowed, and every form of it is hidden from the transcript before it is sent.
 */
async function authenticate(
  t: Transaction,
  auth: Credentials & { mechanism?: AuthMechanism },
): Promise<void> {
  if (!t.tlsUp && !t.options.allowPlainAuth)
    return refuse(
      t,
      false,
      'AUTH_UNAVAILABLE',
      'auth',
      'not sending the password over a session without TLS: use --starttls required or --implicit-tls, or --allow-plain-auth on a network you trust',
    );
  const mechanism = chooseMechanism(t.caps?.auth, auth.mechanism);
  if (!mechanism) {
    const offered = t.caps?.auth?.length ? `AUTH ${t.caps.auth.join(' ')}` : 'no AUTH';
    const wanted = auth.mechanism ?? 'PLAIN or LOGIN';
    return refuse(
      t,
      false,
      'AUTH_UNAVAILABLE',
      'auth',
      `the server offers ${offered}, not ${wanted}`,
    );
  }
  t.run.transcript.hide(...secretForms(auth));
  const reply = await timed(t, 'auth', () => exchange(t.session, mechanism, auth));
  const shown = scrubbed(t, reply);
  t.result.auth = { mechanism, user: auth.user, accepted: reply.code === 235, reply: shown };
  if (reply.code !== 235)
    return refuse(t, false, 'AUTH_FAILED', 'auth', `AUTH ${mechanism} refused: ${said(t, reply)}`);
}

/** exchange: the AUTH dialogue to its final reply; a server that keeps asking is answered with "*" (cancel). */
async function exchange(
  session: SmtpSession,
  mechanism: AuthMechanism,
  auth: Credentials,
): Promise<Reply> {
  const answers =
    mechanism === 'PLAIN'
      ? // The initial response rides on the command (RFC 4954 §4); a server that asks again gets it again.
        [plainResponse(auth)]
      : loginResponses(auth);
  let reply = await session.send(
    mechanism === 'PLAIN' ? `AUTH PLAIN ${answers[0]}` : 'AUTH LOGIN',
    'auth',
  );
  for (const answer of answers) {
    if (reply.code !== 334) return reply;
    reply = await session.send(answer, 'auth');
  }
  return reply.code === 334 ? session.send('*', 'auth') : reply;
}

/**
 * close: RSET when a transaction is open, then QUIT (one group under PIPELINING: QUIT may end it,
 * RFC 2920 §3.1); a server that hangs up first is fine.
 */
async function close(t: Transaction, rset: boolean): Promise<void> {
  if (t.session.closed) return;
  try {
    if (rset && t.caps?.pipelining) {
      await timed(t, 'rset', () => t.session.pipeline(['RSET', 'QUIT'], 'rset'));
      t.session.close();
      return;
    }
    if (rset) await timed(t, 'rset', () => t.session.send('RSET', 'rset'));
    await timed(t, 'quit', () => t.session.quit());
  } catch (err) {
    t.session.close();
    // Ctrl-C still ends the run; after what counted was answered, a failing QUIT changes nothing.
    if (!(err instanceof ProbeError) || err.code === 'ABORTED') throw err;
    t.run.transcript.note(`closing: ${err.message}`);
  }
}

/**
 * refuse: close the session (RSET first when a transaction is open; a hang-up when the server is
 * reading message text), then fail with the step that refused.
 */
async function refuse(
  t: Transaction,
  rset: boolean,
  code: ErrorCode,
  stage: Stage,
  message: string,
  inData = false,
): Promise<never> {
  if (inData) hangUp(t, 'DATA got 354 though the transaction failed');
  else await close(t, rset);
  throw new ProbeError({ code, stage, target: t.endpoint, message });
}

/** partly: after the message (or the stop) went to the recipients that took it, a refused one still fails the run. */
function partly(t: Transaction, someRefused: boolean, which: () => string): void {
  if (someRefused)
    throw new ProbeError({
      code: 'RECIPIENT_REFUSED',
      stage: 'rcpt',
      target: t.endpoint,
      message: `recipient refused: ${which()}`,
    });
}

function said(t: Transaction, reply: Reply | null): string {
  return reply ? t.run.transcript.scrub(`${reply.code} ${replyText(reply)}`) : 'no reply';
}

/** scrubbed: a reply with any hidden secret it echoes replaced. */
function scrubbed(t: Transaction, reply: Reply): Reply {
  return { ...reply, lines: reply.lines.map((l) => t.run.transcript.scrub(l)) };
}

function timed<T>(
  t: Transaction,
  stage: keyof SendResult['timings'],
  fn: () => Promise<T>,
): Promise<T> {
  return timeInto(t.run.deadline.clock, t.result.timings, stage, fn);
}
