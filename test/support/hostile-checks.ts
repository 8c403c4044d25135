/**
 * hostileViolations: the invariants every hostile run must hold, as
 * sentences: a closed status (a ProbeError with code and stage when not ok),
 * inside the deadline, a schema-valid envelope, only clean CRLF-ended lines
 * sent and never DATA, evidence quoting only lines sent, a bounded
 * transcript, and, against the plain MTA's answers, no answer it did not give.
 */
import { ERROR_CODES, ProbeError } from '../../src/errors.js';
import { toEnvelope } from '../../src/output/envelope.js';
import type { ProbeOutcome } from '../../src/probes/outcome.js';
import { OUTPUT_SCHEMAS } from '../../src/schema/index.js';
import type { CapsResult } from '../../src/schema/caps.js';
import type { LookupResult } from '../../src/schema/lookup.js';
import type { VerifyResult } from '../../src/schema/verify.js';
import { STAGES, STATUSES } from '../../src/vocabulary.js';
import { type Command, isKnown, isList, plainReply } from './hostile-plain-mta.js';
import type { HostileRun, ProbeName } from './hostile-run.js';
import type { HostileServer } from './hostile-server.js';

/** TRANSCRIPT_MAX_ENTRIES / TRANSCRIPT_MAX_CHARS: how much of a hostile conversation a probe may keep. */
export const TRANSCRIPT_MAX_ENTRIES = 4_000;
export const TRANSCRIPT_MAX_CHARS = 512 * 1024;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** CheckOptions: the deadline to hold, and whether answers must agree with what the plain MTA said. */
export interface CheckOptions {
  targetMs: number;
  /**
   * Against a server whose answers are the plain MTA's: each census verb got its own answer; vrfy and
   * expn: no "exists" for a name it lacks, no "no-such-user" for one it has; verify: no deliverable
   * for an unknown mailbox, no undeliverable for a known one, no sender-rejected.
   */
  truthful?: boolean;
}

/** hostileViolations: every invariant `run` breaks, as sentences (empty: all held). */
export function hostileViolations(run: HostileRun, o: CheckOptions): string[] {
  if (run.thrown !== undefined) return [`the probe threw: ${describe(run.thrown)}`];
  if (run.hung || !run.outcome) return ['no outcome within the wall-clock limit (a hang)'];
  const { outcome } = run;
  const v: string[] = run.server.errors.map((e) => `the hostile server itself failed: ${e}`);
  v.push(...outcomeViolations(outcome));
  if (run.virtualMs > o.targetMs)
    v.push(`ended at ${run.virtualMs} ms of virtual time, past the ${o.targetMs} ms deadline`);
  const env = JSON.parse(JSON.stringify(toEnvelope(run.probe, run.target, outcome, true)));
  const parsed = OUTPUT_SCHEMAS[run.probe].safeParse(env);
  if (!parsed.success)
    v.push(`envelope fails the ${run.probe} schema: ${describeIssues(parsed.error.issues)}`);
  v.push(...sentViolations(run.server));
  v.push(...quotedViolations(run, outcome.result));
  const entries = outcome.transcript.entries;
  const chars = entries.reduce((n, e) => n + e.line.length, 0);
  if (entries.length > TRANSCRIPT_MAX_ENTRIES || chars > TRANSCRIPT_MAX_CHARS)
    v.push(`transcript kept ${entries.length} entries, ${chars} characters`);
  if (o.truthful && run.probe === 'verify') v.push(...verdictViolations(outcome.result));
  if (o.truthful && run.probe === 'caps') v.push(...censusViolations(outcome.result));
  if (o.truthful && (run.probe === 'vrfy' || run.probe === 'expn'))
    v.push(...lookupViolations(outcome.result));
  return v;
}

function outcomeViolations(outcome: ProbeOutcome<unknown>): string[] {
  const { status, error } = outcome;
  if (!(STATUSES as readonly string[]).includes(status))
    return [`status "${status}" is not in STATUSES`];
  if (status === 'ok') return error ? [`status ok with an error: ${error.code}`] : [];
  if (!(error instanceof ProbeError)) return [`status ${status} without a ProbeError`];
  const v: string[] = [];
  if (!(error.code in ERROR_CODES)) v.push(`unknown error code ${error.code}`);
  else if (ERROR_CODES[error.code].status !== status)
    v.push(`status ${status} does not match ${error.code}`);
  if (!(STAGES as readonly string[]).includes(error.stage)) v.push(`no stage: ${error.stage}`);
  return v;
}

/** sentViolations: every client line ended by CRLF, free of control bytes, and never DATA or BDAT. */
function sentViolations(server: HostileServer): string[] {
  const v: string[] = [];
  for (const [i, s] of server.sessions.entries()) {
    const pieces = Buffer.concat(s.bytes).toString('utf8').split('\r\n');
    const tail = pieces.pop();
    if (tail) v.push(`session ${i + 1}: the client sent ${JSON.stringify(tail)} without CRLF`);
    for (const line of pieces) {
      if (CONTROL.test(line)) v.push(`session ${i + 1}: a control byte in ${JSON.stringify(line)}`);
      if (/^(DATA|BDAT)\b/i.test(line)) v.push(`session ${i + 1}: the client sent ${line}`);
    }
  }
  return v;
}

function verdictViolations(result: unknown): string[] {
  const v: string[] = [];
  for (const a of (result as VerifyResult).addresses) {
    const known = a.address !== null && isKnown(a.address);
    if (a.verdict === 'deliverable' && !known)
      v.push(`${a.input}: deliverable, but the server rejects it (${evidenceOf(a)})`);
    if (a.verdict === 'undeliverable' && known)
      v.push(`${a.input}: undeliverable, but the server accepts it (${evidenceOf(a)})`);
    if (a.reason === 'sender-rejected')
      v.push(`${a.input}: sender-rejected, but the server never rejects MAIL (${evidenceOf(a)})`);
  }
  return v;
}

/** quotedCommands: every command line a result says it sent and got a reply to. */
function quotedCommands(probe: ProbeName, result: unknown): string[] {
  if (probe === 'caps')
    return ((result as CapsResult).census ?? []).flatMap((e) =>
      e.reply ? [e.command, ...(e.probe ? [e.probe.command] : [])] : [],
    );
  if (probe === 'verify')
    return (result as VerifyResult).addresses.flatMap((a) => a.evidence.map((e) => e.command));
  return (result as LookupResult).items.flatMap((i) => (i.reply && i.command ? [i.command] : []));
}

/**
 * quotedViolations: a command a result quotes as evidence is a line the client
 * really sent, byte for byte: one it wrote (the transcript; verify keeps none)
 * or the server read. A line lost to a hang-up is no finding; a quote that
 * differs from the line sent in its place (a parameter dropped) is.
 */
function quotedViolations(run: HostileRun, result: unknown): string[] {
  const written = (run.outcome?.transcript.entries ?? []).flatMap((e) =>
    e.dir === 'send' ? [e.line] : [],
  );
  const read = run.server.sessions.flatMap((s) => s.lines);
  const sent = new Set([...written, ...read]);
  return [...new Set(quotedCommands(run.probe, result))].flatMap((c) => {
    if (sent.has(c)) return [];
    const like = read.find((l) => l.startsWith(`${c} `));
    if (run.probe === 'verify' && !like) return [];
    return [
      `quotes "${c}" as the command sent, but the client never sent that line${like ? ` (it sent "${like}")` : ''}`,
    ];
  });
}

/** censusViolations: each census verb got the plain MTA's answer to it (or a 421, which may end any session). */
function censusViolations(result: unknown): string[] {
  return ((result as CapsResult).census ?? []).flatMap((e) => {
    if (!e.reply || e.support === 'unpaired') return []; // not asked, or not believed
    const verb = e.command.split(' ')[0]!;
    const cmd: Command = {
      verb,
      line: e.command,
      stage: 'census',
      main: false,
      group: [],
      index: 0,
    };
    const want = Number(plainReply(cmd, [])[0]!.slice(0, 3));
    if (e.reply.code === want || e.reply.code === 421) return [];
    return [
      `census ${e.command}: ${e.reply.code} ${e.reply.lines[0] ?? ''} (${e.support}), but the server answers ${verb} with ${want}`,
    ];
  });
}

/** lookupViolations: no "exists" for a name the plain MTA lacks, no "no-such-user" for one it has. */
function lookupViolations(result: unknown): string[] {
  const { verb, items } = result as LookupResult;
  const v: string[] = [];
  for (const item of items) {
    const arg = item.command?.slice(5) ?? item.query;
    const has = isKnown(arg) || (verb === 'EXPN' && isList(arg));
    const said = `${item.command} → ${item.reply?.code} ${item.reply?.lines[0] ?? ''}`;
    if (item.meaning === 'exists' && !has)
      v.push(`${item.query}: exists, but the server lacks it (${said})`);
    if (item.meaning === 'no-such-user' && has)
      v.push(`${item.query}: no-such-user, but the server has it (${said})`);
  }
  return v;
}

const evidenceOf = (a: VerifyResult['addresses'][number]): string =>
  a.evidence.map((e) => `${e.command} → ${e.reply.code} ${e.reply.lines[0] ?? ''}`).join('; ') ||
  'no evidence';

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
}

function describeIssues(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.')}: ${i.message}`)
    .join('; ');
}
