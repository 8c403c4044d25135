/**
 * A seeded fuzzer for everything that reads a server: random replies — codes
 * good and bad, separators, continuation patterns, lengths around the reader's
 * caps, arbitrary bytes, line ends, fragments with gaps of virtual time,
 * hang-ups, silences, floods — each script played to caps, and a share of
 * them to verify, vrfy and expn, with the hostile tier's invariants (closed
 * status, ProbeError with code and stage, inside --timeout, schema-valid
 * envelope, clean CRLF lines and never DATA, evidence quoting only lines
 * sent, bounded transcript and heap). Every reply carries a token, so a run
 * that ended in step with the server must show each answer beside the
 * command it was sent for.
 *
 * At least MIN_REPLIES replies per run. The seed is random unless
 * SMTP_PROBE_FUZZ_SEED is set (decimal or 0x hex), and every failure prints
 * it; SMTP_PROBE_FUZZ_CASE=n replays case n alone. A small PRNG
 * (mulberry32) keeps it free of dependencies and the same on every machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CapsResult } from '../../src/schema/caps.js';
import type { LookupResult } from '../../src/schema/lookup.js';
import type { VerifyResult } from '../../src/schema/verify.js';
import { heapAfterGc } from '../support/heap.js';
import { hostileViolations } from '../support/hostile-checks.js';
import type { Command } from '../support/hostile-plain-mta.js';
import {
  HOSTILE_TIMEOUTS,
  type HostileRun,
  type ProbeName,
  probeHostile,
} from '../support/hostile-run.js';
import type { HostileConn, Misbehaviour } from '../support/hostile-server.js';

/** MIN_REPLIES / MIN_CASES / MAX_CASES: the run's size (cases go on until both minimums are met). */
const MIN_REPLIES = 1_500;
const MIN_CASES = 300;
const MAX_CASES = 2_000;

const SEED =
  intFromEnv('SMTP_PROBE_FUZZ_SEED', 0xffffffff) ?? (Date.now() ^ (process.pid << 16)) >>> 0;
const ONLY_CASE = intFromEnv('SMTP_PROBE_FUZZ_CASE', MAX_CASES - 1);

/** intFromEnv: an integer 0..max from the environment (decimal or 0x hex), undefined when unset. */
function intFromEnv(name: string, max: number): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new Error(`${name}=${text}: give an integer 0..${max} (decimal or 0x…)`);
  return n;
}

/** Rng: mulberry32, a 32-bit state PRNG: tiny, fast, and the same sequence everywhere. */
class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** next: a float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** int: an integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** odd: a misbehaviour's chance, scaled by the case's heat (calm cases break SMTP less often). */
  odd(p: number): boolean {
    return this.chance(p * this.heat);
  }

  /** heat: 1 for a wild case, small for a calm one that mostly plays SMTP straight. */
  heat = 1;

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
}

/** streamSeed: the seed of one case's server for one probe, so each can be replayed alone. */
function streamSeed(seed: number, index: number, stream: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f) ^ Math.imul(stream + 1, 0x165667b1);
  return (h ^ (h >>> 15)) >>> 0;
}

// ---------------------------------------------------------------------------
// Random replies

const VALID_CODES = [
  211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 500, 501, 502, 503, 504, 530, 550,
  551, 552, 553, 554,
];
const BAD_CODES = ['600', '2x0', 'abc', '99', '', '1234', ' 250', '٢٥٠', '199', '260', '2', '-'];
const KEYWORDS = [
  'PIPELINING',
  'SIZE 10240000',
  'SIZE',
  'SIZE 0x10',
  'SIZE 99999999999999999999',
  '8BITMIME',
  'SMTPUTF8',
  'ENHANCEDSTATUSCODES',
  'AUTH PLAIN LOGIN',
  'AUTH=LOGIN',
  'VRFY',
  'ETRN',
  'CHUNKING',
  'DSN',
  'STARTTLS',
];
/** INTENTS: the codes a command usually gets (anything else is drawn from all codes). */
const INTENTS: Record<string, number[]> = {
  GREETING: [220],
  EHLO: [250],
  HELO: [250],
  STARTTLS: [220, 454],
  MAIL: [250],
  RCPT: [250, 550, 450, 553, 251, 252],
  VRFY: [250, 252, 550, 502, 551, 553],
  EXPN: [250, 550, 502],
  NOOP: [250],
  HELP: [214, 502],
  ETRN: [250, 458, 502],
  RSET: [250],
  QUIT: [221],
  DATA: [354, 554],
};

/** Stats: what the fuzz servers did, for the assertions and the rate. */
interface Stats {
  replies: number;
}

/** Ledger: for each reply token, the command line it answered (null: the greeting or a reply nobody asked for). */
type Ledger = (string | null)[];

function codeOf(r: Rng, intent: number[]): string {
  if (!r.odd(0.25)) return String(r.pick(intent));
  return r.chance(0.8) ? String(r.pick(VALID_CODES)) : r.pick(BAD_CODES);
}

function textOf(r: Rng): Buffer {
  // Around the reader's caps: 8 KiB a line, 64 KiB a reply.
  const length = r.odd(0.06)
    ? r.chance(0.66)
      ? r.int(8_100, 8_300)
      : r.int(60_000, 70_000)
    : r.chance(0.85)
      ? r.int(0, 40)
      : r.int(41, 600);
  const raw = r.odd(0.08);
  // A random pattern of up to 64 octets, repeated: long lines cost no more PRNG calls than short ones.
  const pattern = Buffer.alloc(Math.min(length, 64));
  for (let i = 0; i < pattern.length; i++) pattern[i] = raw ? r.int(0, 255) : r.int(0x20, 0x7e);
  return length === 0 ? pattern : Buffer.alloc(length, pattern);
}

function lineCount(r: Rng): number {
  // Around the reader's cap of 512 lines a reply, or far past it.
  if (r.odd(0.07)) return r.chance(0.6) ? r.int(505, 520) : r.int(1_000, 3_000);
  return r.chance(0.65) ? 1 : r.int(2, 6);
}

const REPLY_CAP = 256 * 1024;
const ENDINGS = ['\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r', '', '\r\r\n'];

/**
 * replyOf: one random reply (the usual form most of the time) as octets.
 * With a `token`, every line's text ends with "~t<token>~", so a reply found
 * in a result can be traced to the command it was sent for.
 */
function replyOf(r: Rng, verb: string, token?: number): Buffer {
  const mark = token === undefined ? '' : ` ~t${token}~`;
  const intent = INTENTS[verb] ?? [500, 502];
  const code = codeOf(r, intent);
  const n = lineCount(r);
  const parts: Buffer[] = [];
  let octets = 0;
  // Past REPLY_CAP the client must have given up (64 KiB a reply): more would only cost time.
  for (let i = 0; i < n && octets < REPLY_CAP; i++) {
    const last = i === n - 1;
    let lineCode = r.odd(0.03) ? codeOf(r, intent) : code;
    if (i > 0 && r.odd(0.04)) lineCode = '';
    let sep = last ? ' ' : '-';
    if (lineCode === '') sep = '';
    else if (r.odd(0.05)) sep = r.pick(['', '\t', '_', 'x', '--', last ? '-' : ' ']);
    const text =
      verb === 'EHLO' && !r.odd(0.05)
        ? Buffer.from(i === 0 ? 'mx.fuzz.test' : r.pick(KEYWORDS))
        : textOf(r);
    const enhanced = r.chance(0.4)
      ? `${code.charAt(0) || '2'}.${r.int(0, 9)}.${r.int(0, 20)} `
      : '';
    const ending = r.odd(0.1) ? r.pick(ENDINGS) : '\r\n';
    parts.push(
      Buffer.from(`${lineCode}${sep}${enhanced}`, 'utf8'),
      text,
      Buffer.from(`${mark}${ending}`),
    );
    octets += text.length + 8;
  }
  return Buffer.concat(parts);
}

/** deliver: `bytes` whole or in fragments, with gaps of virtual time; false once the client is gone. */
async function deliver(c: HostileConn, r: Rng, bytes: Buffer): Promise<boolean> {
  if (r.odd(0.12) && !(await c.sleep(r.int(1, 8_000)))) return false;
  if (!r.chance(0.3)) return c.write(bytes);
  let at = 0;
  while (at < bytes.length) {
    // About a dozen fragments a reply, whatever its length (one octet at a time is drip-feed's job).
    const size = r.int(1, Math.ceil(bytes.length / 12) * 2);
    if (!c.write(bytes.subarray(at, at + size))) return false;
    at += size;
    const gap = r.chance(0.5) ? 0 : r.odd(0.15) ? r.int(3_000, 30_000) : r.int(1, 2_000);
    if (gap > 0 && !(await c.sleep(gap))) return false;
  }
  return true;
}

/** answer: one random reply to `cmd` (null: the greeting), then perhaps a hang-up, a silence, a flood or an extra reply. */
async function answer(
  c: HostileConn,
  r: Rng,
  cmd: Command | null,
  stats: Stats,
  ledger: Ledger,
): Promise<void> {
  if (c.state.silent) return;
  if (cmd && r.odd(0.015)) {
    c.state.silent = true;
    return;
  }
  const verb = cmd?.verb ?? 'GREETING';
  stats.replies++;
  ledger.push(cmd?.line ?? null);
  const bytes = replyOf(r, verb, verb === 'EHLO' ? undefined : ledger.length - 1);
  // The client starts TLS on a 220 to STARTTLS: what it sends next is a ClientHello, not lines.
  if (verb === 'STARTTLS' && bytes.subarray(0, 3).toString() === '220') c.ignoreInput();
  if (!(await deliver(c, r, bytes))) return;
  // Scaled by the heat like odd(): a calm case's roll lands past every threshold but rarely.
  const roll = r.next() / r.heat;
  if (verb === 'QUIT' || roll < 0.025) c.end();
  else if (roll < 0.05) c.reset();
  else if (roll < 0.06) {
    await c.flood(`250-${'z'.repeat(40)}\r\n`.repeat(64), 1024 * 1024);
    c.end();
  } else if (roll < 0.08) {
    stats.replies++;
    ledger.push(null);
    await deliver(c, r, replyOf(r, 'NOOP', ledger.length - 1));
  }
}

/** fuzzServer: a Misbehaviour whose every reply comes from `r`, each recorded in `ledger`. */
function fuzzServer(r: Rng, stats: Stats, ledger: Ledger): Misbehaviour {
  return {
    name: 'fuzz',
    what: 'random replies',
    greet: (c) => answer(c, r, null, stats, ledger),
    command: async (c: HostileConn, cmd: Command) => {
      await answer(c, r, cmd, stats, ledger);
      return true;
    },
  };
}

/** Pairing: a command the result shows, believed, with the reply it was given. */
interface Pairing {
  command: string;
  reply?: { lines: string[] };
}

/** pairingsOf: every command/reply pair a result presents as an answer (vrfy/expn: not the unpaired). */
function pairingsOf(probe: ProbeName, result: unknown): Pairing[] {
  if (probe === 'caps')
    return ((result as CapsResult).census ?? []).flatMap((e) =>
      e.support === 'unpaired' ? [] : e.probe ? [e, e.probe] : [e],
    );
  if (probe === 'verify') return (result as VerifyResult).addresses.flatMap((a) => a.evidence);
  return (result as LookupResult).items.flatMap((i) =>
    i.command && i.meaning !== 'unpaired' ? [i as Pairing] : [],
  );
}

const tokensIn = (lines: string[]): number[] => [
  ...new Set([...lines.join('\n').matchAll(/~t(\d+)~/g)].map((m) => Number(m[1]))),
];

/**
 * inSync: caps, vrfy or expn ended ok, QUIT got the reply sent for QUIT, and
 * no reply carries two replies' tokens — the client had all it needed to
 * notice a shift. (A reply nobody asked for that lands after the next command
 * left, in a session that then dies, cannot be told from an answer.)
 */
function inSync(run: HostileRun, ledger: Ledger): boolean {
  const outcome = run.outcome;
  if (run.probe === 'verify' || outcome?.status !== 'ok') return false;
  const entries = outcome.transcript.entries;
  const quit = entries.findLastIndex((e) => e.dir === 'send' && e.line === 'QUIT');
  const quitReply = tokensIn(
    entries.slice(quit + 1).flatMap((e) => (e.dir === 'recv' ? [e.line] : [])),
  );
  return (
    quit >= 0 &&
    quitReply.length === 1 &&
    ledger[quitReply[0]!] === 'QUIT' &&
    pairingsOf(run.probe, outcome.result).every((p) => tokensIn(p.reply?.lines ?? []).length <= 1)
  );
}

/**
 * mispaired: in a run that ended in sync, each reply a result pairs with a
 * command although the server sent it for another command, or for none
 * (traced by its token; a reply whose token was lost is skipped).
 */
function mispaired(run: HostileRun, ledger: Ledger): string[] {
  if (!run.outcome) return [];
  return pairingsOf(run.probe, run.outcome.result).flatMap(({ command, reply }) => {
    const wrong = tokensIn(reply?.lines ?? []).filter((t) => ledger[t] !== command);
    return wrong.length === 0
      ? []
      : [
          `"${command}" paired with the reply sent for ${JSON.stringify(ledger[wrong[0]!] ?? 'nothing (unsolicited or the greeting)')}`,
        ];
  });
}

// ---------------------------------------------------------------------------
// The run

/** CALM_SHARE / CALM_HEAT: the cases that mostly play SMTP straight, deep into census, lookups and RCPTs. */
const CALM_SHARE = 0.4;
const CALM_HEAT = 0.05;

/** probesFor: caps always; a share of the cases also through verify, vrfy or expn. */
function probesFor(r: Rng): ProbeName[] {
  const probes: ProbeName[] = ['caps'];
  if (r.chance(0.3)) probes.push('verify');
  if (r.chance(0.1)) probes.push('vrfy');
  if (r.chance(0.1)) probes.push('expn');
  return probes;
}

interface Failure {
  index: number;
  probe: ProbeName;
  violations: string[];
  run: HostileRun;
}

const reproduce = (index?: number): string =>
  `seed ${SEED} (replay: SMTP_PROBE_FUZZ_SEED=${SEED}${index === undefined ? '' : ` SMTP_PROBE_FUZZ_CASE=${index}`} node --test dist/test/behaviour/fuzz.js)`;

function describeFailure(f: Failure): string {
  const o = f.run.outcome;
  const error = o?.error ? ` ${o.error.code}@${o.error.stage}` : '';
  return `case ${f.index} ${f.probe} (${o?.status ?? 'no outcome'}${error}, ${f.run.virtualMs} virtual ms): ${f.violations.join('; ')} — ${reproduce(f.index)}`;
}

/**
 * KNOWN_BUGS: violations of known bugs, kept apart (each gets a todo test
 * below) so they neither fail the run nor hide new ones. None is open.
 */
const KNOWN_BUGS: {
  title: string;
  todo: string;
  matches: (probe: ProbeName, violation: string) => boolean;
  runs: Failure[];
}[] = [];

test('the PRNG is deterministic: one seed, one sequence; streams differ', () => {
  const a = new Rng(streamSeed(SEED, 7, 0));
  const b = new Rng(streamSeed(SEED, 7, 0));
  const c = new Rng(streamSeed(SEED, 7, 1));
  const take = (r: Rng) => Array.from({ length: 8 }, () => r.int(0, 1_000_000));
  const first = take(a);
  assert.deepEqual(take(b), first, reproduce());
  assert.notDeepEqual(take(c), first, reproduce());
  assert.deepEqual(take(new Rng(1)), take(new Rng(1)));
});

test(`at least ${MIN_REPLIES} random replies: every outcome keeps the invariants`, async (t) => {
  const stats: Stats = { replies: 0 };
  const failures: Failure[] = [];
  const runs: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const heapBefore = heapAfterGc();
  const started = performance.now();
  let cases = 0;
  let inStep = 0;
  for (let index = ONLY_CASE ?? 0; index < MAX_CASES; index++) {
    const plan = new Rng(streamSeed(SEED, index, 99));
    const heat = plan.chance(CALM_SHARE) ? CALM_HEAT : 1;
    for (const [stream, probe] of probesFor(plan).entries()) {
      const ledger: Ledger = [];
      const r = new Rng(streamSeed(SEED, index, stream));
      r.heat = heat;
      const server = fuzzServer(r, stats, ledger);
      const run = await probeHostile(probe, server);
      runs[probe] = (runs[probe] ?? 0) + 1;
      const status = run.outcome?.status ?? 'none';
      statuses[status] = (statuses[status] ?? 0) + 1;
      const violations = [...hostileViolations(run, { targetMs: HOSTILE_TIMEOUTS.targetMs })];
      if (inSync(run, ledger)) {
        inStep++;
        violations.push(...mispaired(run, ledger));
      }
      for (const bug of KNOWN_BUGS) {
        const known = violations.filter((v) => bug.matches(probe, v));
        if (known.length > 0) bug.runs.push({ index, probe, violations: known, run });
      }
      const rest = violations.filter((v) => !KNOWN_BUGS.some((bug) => bug.matches(probe, v)));
      if (rest.length > 0) failures.push({ index, probe, violations: rest, run });
    }
    cases++;
    if (ONLY_CASE !== undefined) break;
    if (cases >= MIN_CASES && stats.replies >= MIN_REPLIES) break;
  }
  const seconds = (performance.now() - started) / 1000;
  const growth = heapAfterGc() - heapBefore;
  t.diagnostic(
    `${reproduce()}: ${cases} cases, runs ${JSON.stringify(runs)}, ${stats.replies} replies in ${seconds.toFixed(1)} s (${Math.round(stats.replies / seconds)} replies/s), ${inStep} runs in step checked for pairing, heap +${Math.round(growth / 1024)} KiB; statuses ${JSON.stringify(statuses)}`,
  );
  assert.deepEqual(
    failures.slice(0, 5).map(describeFailure),
    [],
    `${failures.length} failing run(s) — ${reproduce()}`,
  );
  if (ONLY_CASE === undefined)
    assert.ok(stats.replies >= MIN_REPLIES, `${stats.replies} replies — ${reproduce()}`);
  assert.ok(growth < 32 * 1024 * 1024, `heap grew by ${growth} octets — ${reproduce()}`);
});

for (const bug of KNOWN_BUGS) {
  test(bug.title, { todo: bug.todo }, () => {
    assert.deepEqual(bug.runs.slice(0, 3).map(describeFailure), [], reproduce());
  });
}
