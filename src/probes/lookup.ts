/**
 * The lookup probe behind `vrfy` and `expn`: every argument checked before a
 * socket opens; then one session for all of them — greeting, EHLO (HELO
 * fallback), STARTTLS when offered (a VRFY policy may differ after TLS), one
 * VRFY or EXPN per name (RFC 2920 §3.1: they may not be pipelined), QUIT.
 * VRFY and EXPN open no mail transaction, so no RSET is needed. A 421 ends a
 * session (RFC 5321 §3.8): the name it answered keeps it as its answer and
 * the rest are asked in a new session. Every argument (and form) ends with
 * exactly one item, `not-asked` when the probe stopped before it.
 */
import { ProbeError, invalidInput } from '../errors.js';
import { normalizeDomain } from '../dns/name.js';
import { parseTarget, SMTP_PORT, type Target } from '../net/target.js';
import type { LookupItem, LookupResult } from '../schema/lookup.js';
import {
  establish,
  type Established,
  type SessionProgress,
  SessionSetupError,
} from '../session/establish.js';
import { checkHeloName } from '../session/helo-name.js';
import type { SmtpSession } from '../session/session.js';
import { madeUpLocalPart, parseMailbox, parseUserOrMailbox } from '../smtp/address.js';
import { expn, vrfy } from '../smtp/command.js';
import { bannerHostname } from '../smtp/greeting.js';
import {
  classifyLookup,
  disclosure,
  interpretLookup,
  type LookupVerb,
} from '../smtp/lookup-meaning.js';
import { implausible } from '../smtp/pairing.js';
import type { Reply } from '../smtp/reply.js';
import {
  asProbeError,
  elapsed,
  finishRun,
  type ProbeOutcome,
  type Run,
  type RunOptions,
  startRun,
} from './outcome.js';

/** MAX_COMMAND_OCTETS: RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
export const MAX_COMMAND_OCTETS = 512;
/** MAX_RECONNECTS: new sessions after a 421 before the rest of the names are given up as not asked. */
export const MAX_RECONNECTS = 10;

/** LookupOptions: what `vrfy` and `expn` can be told. */
export interface LookupOptions extends RunOptions {
  helo?: string;
  /** STARTTLS when offered (default true); false stays in clear. */
  starttls?: boolean;
  /** Ask each argument in both forms: `user` and `user@domain` (the domain from `domain`, else the banner's host name). */
  bothForms?: boolean;
  /** The domain of the user@domain form; read only with bothForms. */
  domain?: string;
  /** When every answer is 252, ask once about a made-up name to tell a blanket 252 from a real lookup (default true). */
  control?: boolean;
}

/** probeVrfy: VRFY each name at `target`; see the module comment. Throws only INVALID_INPUT, before anything is sent. */
export function probeVrfy(
  target: string,
  names: string[],
  options: LookupOptions = {},
): Promise<ProbeOutcome<LookupResult>> {
  return probeLookup('VRFY', target, names, options);
}

/** probeExpn: EXPN each list at `target`; see the module comment. Throws only INVALID_INPUT, before anything is sent. */
export function probeExpn(
  target: string,
  lists: string[],
  options: LookupOptions = {},
): Promise<ProbeOutcome<LookupResult>> {
  return probeLookup('EXPN', target, lists, options);
}

/** Work: one line to send; `text` is null until the domain of a user@domain form is known. */
interface Work {
  query: string;
  form: 'user' | 'mailbox';
  text: string | null;
  /** The line sent and the session it went in, once sent (a reply may still never come). */
  sent?: { command: string; session: number };
  item?: LookupItem;
}

interface Ctx {
  verb: LookupVerb;
  target: Target;
  options: LookupOptions;
  run: Run;
  heloGiven?: string;
  work: Work[];
  result: LookupResult;
}

/** probeLookup: VRFY or EXPN; see the module comment. */
export async function probeLookup(
  verb: LookupVerb,
  input: string,
  names: string[],
  options: LookupOptions = {},
): Promise<ProbeOutcome<LookupResult>> {
  const target = parseTarget(input, SMTP_PORT);
  const domain = options.domain === undefined ? undefined : normalizeDomain(options.domain).ascii;
  const work = planWork(verb, names, options.bothForms === true, domain);
  const heloGiven = options.helo === undefined ? undefined : checkHeloName(options.helo);
  const run = startRun(options);
  const result: LookupResult = {
    verb,
    host: target.host,
    port: target.port,
    address: null,
    banner: null,
    helo: heloGiven ?? '',
    hello: null,
    tls: null,
    domain: options.bothForms ? (domain ?? null) : null,
    sessions: 0,
    items: [],
    control: null,
    counts: {},
    discloses: null,
    disclosure: '',
  };
  const ctx: Ctx = { verb, target, options, run, heloGiven, work, result };
  let error: ProbeError | undefined;
  try {
    await askAll(ctx);
  } catch (err) {
    error = asProbeError(err, elapsed(run));
  }
  finish(ctx, error);
  return finishRun(run, result, error);
}

/** planWork: every argument checked (control bytes, syntax, length) and, with bothForms, its other form. */
function planWork(
  verb: LookupVerb,
  names: string[],
  bothForms: boolean,
  domain: string | undefined,
): Work[] {
  if (names.length === 0)
    throw invalidInput(
      `give at least one ${verb === 'VRFY' ? 'name or address' : 'list'} to ${verb}`,
    );
  const work: Work[] = [];
  for (const query of names) {
    const text = checkedArgument(verb, query);
    const isMailbox = text.includes('@');
    work.push({ query, form: isMailbox ? 'mailbox' : 'user', text });
    if (!bothForms) continue;
    if (isMailbox)
      work.push({ query, form: 'user', text: checkedArgument(verb, parseMailbox(text).localPart) });
    else
      work.push({
        query,
        form: 'mailbox',
        text: domain === undefined ? null : checkedArgument(verb, `${text}@${domain}`),
      });
  }
  return work;
}

function checkedArgument(verb: LookupVerb, input: string): string {
  const text = parseUserOrMailbox(input);
  const line = verb === 'VRFY' ? vrfy(text) : expn(text);
  if (Buffer.byteLength(line) + 2 > MAX_COMMAND_OCTETS) {
    throw invalidInput(
      `"${input.slice(0, 40)}…" makes a command line longer than ${MAX_COMMAND_OCTETS} octets (RFC 5321 §4.5.3.1.4)`,
    );
  }
  return text;
}

/** askAll: sessions until every work item is answered, a session fails, or the server keeps closing fresh sessions. */
async function askAll(ctx: Ctx): Promise<void> {
  let next = 0;
  for (;;) {
    const { session, smtputf8 } = await openLookupSession(ctx);
    const number = ctx.result.sessions;
    const reconnected = number > 1;
    let answered: number;
    try {
      ({ next, answered } = await askInSession(ctx, session, next, smtputf8));
      if (next >= ctx.work.length && !session.closed) {
        await askControl(ctx, session);
        if (!session.closed) checkQuit(session, await session.quit());
      }
    } catch (err) {
      session.close();
      if (err instanceof ProbeError && err.code === 'UNSOLICITED_REPLY') unpair(ctx, number, err);
      throw err;
    }
    if (next >= ctx.work.length) return;
    const why =
      reconnected && answered === 0
        ? 'a fresh session was closed with 421 before any answer: the server is refusing us'
        : ctx.result.sessions > MAX_RECONNECTS
          ? `${MAX_RECONNECTS} new sessions after 421 were spent`
          : undefined;
    if (why) {
      for (const w of ctx.work.slice(next)) w.item = notAsked(w, `not asked: ${why}`);
      return;
    }
    ctx.run.transcript.note(
      `the server closed the session (421); a new session for the ${ctx.work.length - next} name(s) left`,
    );
  }
}

/**
 * askInSession: one command per work item from `from`, until a 421 closes the
 * session. Returns the index after the last item handled (the 421'd one
 * included: the 421 is its answer) and how many replies were not 421.
 */
async function askInSession(
  ctx: Ctx,
  session: SmtpSession,
  from: number,
  smtputf8: boolean,
): Promise<{ next: number; answered: number }> {
  const stage = ctx.verb === 'VRFY' ? 'vrfy' : 'expn';
  const number = ctx.result.sessions;
  let answered = 0;
  for (let i = from; i < ctx.work.length; i++) {
    const w = ctx.work[i]!;
    if (w.text === null) {
      w.item = notAsked(
        w,
        'not asked: no domain for the user@domain form (no --domain, and the banner names no usable host)',
      );
      continue;
    }
    // RFC 6531 §3.7.4.2: a name that is not ASCII goes with the SMTPUTF8 parameter, and only to a server that offers it.
    const utf8 = /[^\x00-\x7f]/.test(w.text);
    if (utf8 && !smtputf8) {
      w.item = notAsked(
        w,
        'not asked: the name is not ASCII and the server does not offer SMTPUTF8 (RFC 6531 §3.4)',
      );
      continue;
    }
    const base = ctx.verb === 'VRFY' ? vrfy(w.text) : expn(w.text);
    const line = utf8 ? `${base} SMTPUTF8` : base;
    w.sent = { command: line, session: number };
    const reply = await session.send(line, stage);
    w.item = {
      query: w.query,
      form: w.form,
      command: line,
      ...interpretLookup(ctx.verb, reply),
      reply,
      session: number,
      reconnected: number > 1,
    };
    const odd = implausible(line, reply);
    if (odd) throw session.unpaired(stage, odd);
    if (reply.code === 421) {
      session.close();
      return { next: i + 1, answered };
    }
    answered++;
  }
  return { next: ctx.work.length, answered };
}

/**
 * checkQuit: QUIT is answered 221 (RFC 5321 §4.1.1.10). Any other reply there
 * is an earlier command's, so a reply nobody asked for came before it and
 * every answer since went to the wrong command.
 */
function checkQuit(session: SmtpSession, quit: Reply | undefined): void {
  const why = quit && implausible('QUIT', quit);
  if (why)
    throw session.unpaired('quit', `${why} ("${quit.lines[0] ?? ''}"), an earlier command's reply`);
}

/** unpair: every answer of session `number` (and the control) may belong to another command: none is believed. */
function unpair(ctx: Ctx, number: number, err: ProbeError): void {
  const note = `answered, but not believed: ${err.message}`;
  for (const w of ctx.work) {
    if (w.item?.session === number && w.item.reply)
      w.item = { ...w.item, meaning: 'unpaired', note };
  }
  if (ctx.result.control) ctx.result.control = { ...ctx.result.control, meaning: 'unpaired' };
}

/** askControl: when every answer was 252, one made-up name (as the census does) shows whether 252 is a blanket answer. */
async function askControl(ctx: Ctx, session: SmtpSession): Promise<void> {
  const answered = ctx.work.filter((w) => w.item?.reply);
  if (
    ctx.options.control === false ||
    answered.length === 0 ||
    answered.some((w) => w.item!.meaning !== 'cannot-verify')
  )
    return;
  const name = madeUpLocalPart();
  const line = ctx.verb === 'VRFY' ? vrfy(name) : expn(name);
  const reply = await session.send(line, ctx.verb === 'VRFY' ? 'vrfy' : 'expn');
  ctx.result.control = { command: line, reply, meaning: classifyLookup(reply, ctx.verb) };
  if (reply.code === 421) session.close();
}

/**
 * openLookupSession: a session set up by establish, STARTTLS when offered (a
 * VRFY policy may differ after TLS; a refusal leaves the lookups in clear).
 * The first session fills the result's connection fields, even when it fails.
 */
async function openLookupSession(ctx: Ctx): Promise<{ session: SmtpSession; smtputf8: boolean }> {
  const { result, target, run } = ctx;
  result.sessions++;
  const first = result.sessions === 1;
  let established: Established;
  try {
    established = await establish(target, {
      connector: run.wiring.connector,
      resolveAddresses: run.wiring.resolveAddresses,
      timeouts: run.timeouts,
      deadline: run.deadline,
      transcript: run.transcript,
      ...(ctx.heloGiven === undefined ? {} : { helo: ctx.heloGiven }),
      starttls: ctx.options.starttls === false ? 'off' : 'opportunistic',
      tlsName: target.host,
      trust: run.trust,
    });
  } catch (err) {
    if (first && err instanceof SessionSetupError) record(ctx, err.progress);
    throw err;
  }
  if (first) {
    record(ctx, established);
    fillDomain(ctx, established.banner);
  }
  const caps = established.capabilitiesAfterTls ?? established.hello.capabilities;
  return { session: established.session, smtputf8: caps?.smtpUtf8 === true };
}

/** record: the first session's connection facts in the result. */
function record(ctx: Ctx, p: SessionProgress): void {
  const { result } = ctx;
  result.address = p.address;
  if (p.banner) result.banner = p.banner;
  if (p.helo !== undefined) result.helo = p.helo;
  if (p.hello) result.hello = p.hello.verb;
  const tls = p.tls;
  if (tls?.outcome === 'ok') {
    const protocol = tls.info?.protocol;
    result.tls = { outcome: 'ok', ...(protocol ? { protocol } : {}) };
  } else if (tls?.outcome === 'refused') {
    result.tls = { outcome: 'refused', ...(tls.reply ? { reply: tls.reply } : {}) };
  }
}

/** fillDomain: with bothForms and no --domain, the banner's host name completes the user@domain forms. */
function fillDomain(ctx: Ctx, banner: Reply): void {
  if (ctx.result.domain !== null || !ctx.work.some((w) => w.text === null)) return;
  const name = bannerHostname(banner)?.replace(/\.$/, '');
  if (!name) return;
  ctx.result.domain = name;
  for (const w of ctx.work) {
    if (w.text !== null) continue;
    try {
      w.text = checkedArgument(ctx.verb, `${parseUserOrMailbox(w.query)}@${name}`);
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
    }
  }
}

function notAsked(w: Work, note: string): LookupItem {
  return { query: w.query, form: w.form, command: null, meaning: 'not-asked', session: null, note };
}

/** unanswered: an item the probe stopped before: never sent (command null), or sent with no reply. */
function unanswered(w: Work, why: string): LookupItem {
  if (!w.sent) return notAsked(w, `not asked: ${why}`);
  const { command, session } = w.sent;
  return { ...notAsked(w, `sent, no answer: ${why}`), command, session };
}

/** finish: an item for every work entry (not-asked where the probe stopped), counts and the disclosure finding. */
function finish(ctx: Ctx, error: ProbeError | undefined): void {
  const { result } = ctx;
  const why = error ? `${error.code} at ${error.stage}` : 'the probe stopped';
  result.items = ctx.work.map((w) => w.item ?? unanswered(w, why));
  for (const item of result.items)
    result.counts[item.meaning] = (result.counts[item.meaning] ?? 0) + 1;
  const found = disclosure(ctx.verb, result.items, result.control?.reply);
  result.discloses = found.discloses;
  result.disclosure = found.text;
}
