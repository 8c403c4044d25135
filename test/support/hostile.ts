/**
 * hostileServer: an SMTP server on the in-memory network that misbehaves on
 * purpose, one named way at a time (MISBEHAVIOURS), for the hostile-server
 * tier. Without a misbehaviour it is a plain Postfix-like MTA (PIPELINING,
 * ENHANCEDSTATUSCODES, VRFY and EXPN answered, alice, bob and postmaster
 * exist, the list "staff" expands); a misbehaviour replaces the greeting, any
 * command's answer, or how every byte leaves (line ends, drip-feeding). Time
 * is the world's virtual clock, so silence and drips cost no wall time. It
 * records every octet the client sent in plaintext (inside TLS after
 * STARTTLS), per connection, so a test can check what left the client.
 *
 * probeHostile and hostileViolations, below, run one probe against such a
 * server and check the tier's invariants; the fuzzer uses them too.
 */
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ERROR_CODES, ProbeError } from '../../src/errors.js';
import type { ZoneRecord } from '../../src/lab/index.js';
import { toEnvelope } from '../../src/output/envelope.js';
import { probeCaps } from '../../src/probes/caps.js';
import { probeExpn, probeVrfy } from '../../src/probes/lookup.js';
import type { ProbeOutcome } from '../../src/probes/outcome.js';
import { probeVerify } from '../../src/probes/verify.js';
import { OUTPUT_SCHEMAS } from '../../src/schema/index.js';
import type { CapsResult } from '../../src/schema/caps.js';
import type { LookupResult } from '../../src/schema/lookup.js';
import type { VerifyResult } from '../../src/schema/verify.js';
import { STAGES, STATUSES } from '../../src/vocabulary.js';
import type { MemoryStream } from './memory-net.js';
import { type MemoryWorld, memoryWorld } from './memory-world.js';

// ---------------------------------------------------------------------------
// The server

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

/** CertKind: which certificate STARTTLS presents (CA files given to probes trust good, expired and wrong-name). */
export type CertKind = 'good' | 'expired' | 'self-signed' | 'wrong-name';

/** HostileCerts: one key pair and certificate per kind, and the CA files a probe is given. */
export type HostileCerts = Record<CertKind, { key: string; cert: string }> & { caFiles: string[] };

/** Misbehaviour: a named way to break SMTP; every hook is optional (the default is a plain MTA). */
export interface Misbehaviour {
  name: string;
  what: string;
  /** Offer STARTTLS and present this certificate (default: STARTTLS not offered). */
  tls?: CertKind;
  /** EHLO's extension lines, instead of the plain MTA's. */
  ehlo?: string[];
  /** Milliseconds of virtual time between octets: every write leaves one byte at a time. */
  dripMs?: number;
  /** The opening move (default: the 220 banner). */
  greet?: (c: HostileConn) => void | Promise<void>;
  /** A command's answer; return true when handled, anything else leaves it to the plain MTA. */
  command?: (c: HostileConn, cmd: Command) => boolean | undefined | Promise<boolean | undefined>;
  /** Every octet the server writes passes through here (line ends, injected bytes). */
  encode?: (data: Buffer) => Buffer;
  /** Its answers are its own, not the plain MTA's: results cannot be checked against the plain MTA's. */
  ownAnswers?: boolean;
}

/** HostileSession: what one connection saw from the client. */
export interface HostileSession {
  /** Plaintext octets from the client: inside TLS after STARTTLS; none after ignoreInput() (a ClientHello is not lines). */
  bytes: Buffer[];
  /** The client's lines, split at LF, CR dropped. */
  lines: string[];
}

/** HostileServer: what the server did and saw. */
export interface HostileServer {
  sessions: HostileSession[];
  /** Octets written, all connections. */
  written: number;
  /** reply() calls: SMTP replies written whole. */
  replies: number;
  /** What went wrong in the server itself (a misbehaviour that threw): a broken test, not a finding. */
  errors: string[];
  /** stop: hang up every connection and end every loop (drips, floods). */
  stop(): void;
}

const GREETING = `220 ${MX_NAME} ESMTP Postfix (Debian/GNU)`;
const KNOWN = ['alice', 'bob', 'postmaster'];
const PLAIN_EHLO = [
  'PIPELINING',
  'SIZE 10240000',
  'VRFY',
  'ETRN',
  'ENHANCEDSTATUSCODES',
  '8BITMIME',
];
const CENSUS = new Set(['NOOP', 'HELP', 'ETRN', 'VERB', 'SEND', 'SOML', 'SAML', 'TURN']);
const WORK: Trigger[] = ['mail', 'rcpt', 'vrfy', 'expn', 'census'];

/** multiline: one reply of `texts` under `code` ("250-a", "250 b"). */
export const multiline = (code: number | string, texts: string[]): string[] =>
  texts.map((t, i) => `${code}${i === texts.length - 1 ? ' ' : '-'}${t}`);

/** isList: whether the plain MTA expands this name as a list (EXPN staff). */
export const isList = (name: string): boolean => name.toLowerCase() === 'staff';

/** isKnown: whether the plain MTA has this mailbox or user ("alice", "alice@example.test"). */
export const isKnown = (nameOrAddress: string): boolean =>
  KNOWN.includes(nameOrAddress.replace(/@[^@]*$/, '').toLowerCase());

function stageOf(verb: string): Trigger {
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
const pathOf = (line: string): string => line.slice(line.indexOf('<') + 1, line.lastIndexOf('>'));

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

/** HostileConn: the server's side of one connection, as a misbehaviour drives it. */
export class HostileConn {
  stream: Duplex;
  closed = false;
  tls = false;
  /** Scratch space for a misbehaviour that needs memory across commands. */
  readonly state: Record<string, unknown> = {};
  private pending = Buffer.alloc(0);
  private commands = Promise.resolve();
  private out = Promise.resolve();
  private mainSeen = false;

  constructor(
    readonly raw: MemoryStream,
    readonly index: number,
    private readonly server: ServerState,
    readonly log: HostileSession,
  ) {
    this.stream = raw;
    raw.on('error', () => undefined);
    raw.on('close', () => {
      this.closed = true;
    });
    raw.on('data', this.onData);
  }

  /** write: octets as they are, through the misbehaviour's encoder (and drip); false once closed. */
  write(data: string | Buffer): boolean {
    if (this.gone) return false;
    const m = this.server.misbehaviour;
    const raw = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const bytes = m.encode ? m.encode(raw) : raw;
    this.server.written += bytes.length;
    if (m.dripMs === undefined) {
      this.stream.write(bytes);
      return true;
    }
    const stream = this.stream;
    const ms = m.dripMs;
    this.out = this.out.then(async () => {
      for (const byte of bytes) {
        if (this.gone) return;
        stream.write(Buffer.of(byte));
        await this.server.clock.sleep(ms);
      }
    });
    return true;
  }

  /** reply: lines, each ended by CRLF, in one write. */
  reply(...lines: string[]): void {
    this.server.replies++;
    this.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  /** writeRaw: octets on the TCP stream under any TLS layer, unencoded (text outside the TLS stream). */
  writeRaw(data: string): void {
    if (!this.gone) this.raw.write(data);
  }

  /** end: FIN after what was written (a drip finishes first); the server still reads. */
  end(): void {
    this.out = this.out.then(() => {
      if (!this.gone) this.stream.end();
    });
  }

  /** reset: RST, at once. */
  reset(): void {
    this.closed = true;
    this.raw.destroy();
  }

  /** hangUp: FIN ('close') or RST ('rst'). */
  hangUp(how: 'close' | 'rst'): void {
    if (how === 'close') this.end();
    else this.reset();
  }

  /** flood: `chunk` over and over, yielding between writes, until `capOctets` or the client hangs up. Returns octets sent. */
  async flood(chunk: string, capOctets: number): Promise<number> {
    let sent = 0;
    while (sent < capOctets && !this.gone) {
      this.write(chunk);
      sent += chunk.length;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return sent;
  }

  /** sleep: `ms` of virtual time; false when the connection is gone by then. */
  async sleep(ms: number): Promise<boolean> {
    await this.server.clock.sleep(ms);
    return !this.gone;
  }

  /** ignoreInput: stop reading lines (after a STARTTLS the server will not complete); bytes are drained. */
  ignoreInput(): void {
    this.stream.off('data', this.onData);
    this.stream.on('data', () => undefined);
  }

  /** startTls: become a TLS server on the raw stream with the `kind` certificate (after the 220 to STARTTLS). */
  startTls(kind: CertKind): void {
    const creds = this.server.certs?.[kind];
    if (!creds) throw new Error(`hostile server: no ${kind} certificate (pass certs)`);
    this.raw.off('data', this.onData);
    this.pending = Buffer.alloc(0);
    const tls = new TLSSocket(this.raw, { isServer: true, key: creds.key, cert: creds.cert });
    tls.on('error', () => tls.destroy());
    tls.on('close', () => {
      this.closed = true;
    });
    tls.on('data', this.onData);
    this.stream = tls;
    this.tls = true;
  }

  /** answer: the plain MTA's move for `cmd`. */
  answer(cmd: Command): void {
    const m = this.server.misbehaviour;
    if (cmd.verb === 'QUIT') {
      this.reply('221 2.0.0 Bye');
      this.end();
    } else if (cmd.verb === 'STARTTLS' && m.tls && !this.tls) {
      this.reply('220 2.0.0 Ready to start TLS');
      this.startTls(m.tls);
    } else {
      const ehlo = [...(m.ehlo ?? PLAIN_EHLO), ...(m.tls && !this.tls ? ['STARTTLS'] : [])];
      this.reply(...plainReply(cmd, ehlo));
    }
  }

  get gone(): boolean {
    return this.closed || this.server.stopped || this.stream.destroyed || !this.stream.writable;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.log.bytes.push(chunk);
    const text = Buffer.concat([this.pending, chunk]);
    const lines: string[] = [];
    let start = 0;
    for (let lf = text.indexOf(0x0a); lf !== -1; lf = text.indexOf(0x0a, start)) {
      lines.push(text.subarray(start, lf).toString('utf8').replace(/\r$/, ''));
      start = lf + 1;
    }
    this.pending = text.subarray(start);
    for (const [index, line] of lines.entries()) {
      this.log.lines.push(line);
      const verb = (line.split(' ')[0] ?? '').toUpperCase();
      const stage = stageOf(verb);
      const main = !this.mainSeen && WORK.includes(stage);
      if (main) this.mainSeen = true;
      const cmd: Command = { verb, line, stage, main, group: lines, index };
      this.commands = this.commands.then(() => this.handle(cmd)).catch(this.server.failed);
    }
  };

  private async handle(cmd: Command): Promise<void> {
    if (this.gone) return;
    const handled = await this.server.misbehaviour.command?.(this, cmd);
    if (handled !== true && !this.gone) this.answer(cmd);
  }
}

interface ServerState {
  misbehaviour: Misbehaviour;
  clock: MemoryWorld['clock'];
  certs?: HostileCerts;
  written: number;
  replies: number;
  stopped: boolean;
  failed: (err: unknown) => void;
}

/** hostileServer: serve `misbehaviour` at MX_ADDRESS:25 in `world`. */
export function hostileServer(
  world: MemoryWorld,
  misbehaviour: Misbehaviour,
  certs?: HostileCerts,
): HostileServer {
  const errors: string[] = [];
  const state: ServerState = {
    misbehaviour,
    clock: world.clock,
    written: 0,
    replies: 0,
    stopped: false,
    failed: (err) => errors.push(err instanceof Error ? (err.stack ?? err.message) : String(err)),
    ...(certs ? { certs } : {}),
  };
  const sessions: HostileSession[] = [];
  const conns: HostileConn[] = [];
  world.net.listen(`${MX_ADDRESS}:25`, (stream) => {
    const log: HostileSession = { bytes: [], lines: [] };
    sessions.push(log);
    const conn = new HostileConn(stream, conns.length, state, log);
    conns.push(conn);
    void Promise.resolve()
      .then(() => (misbehaviour.greet ? misbehaviour.greet(conn) : conn.reply(GREETING)))
      .catch(state.failed);
  });
  return {
    sessions,
    errors,
    get written() {
      return state.written;
    },
    get replies() {
      return state.replies;
    },
    stop() {
      state.stopped = true;
      for (const c of conns) c.raw.destroy();
    },
  };
}

/** hostileCerts: the four certificates for `mx.example.test` (wrong-name: for another host), made once. */
export async function hostileCerts(dir: string): Promise<HostileCerts> {
  const { generate } = await import('selfsigned');
  const day = 86_400_000;
  const make = async (name: string, from?: Date, to?: Date) => {
    const pems = await generate([{ name: 'commonName', value: name }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: name }] }],
      ...(from ? { notBeforeDate: from } : {}),
      ...(to ? { notAfterDate: to } : {}),
    });
    return { key: pems.private, cert: pems.cert };
  };
  const now = Date.now();
  const good = await make(MX_NAME);
  const expired = await make(MX_NAME, new Date(now - 400 * day), new Date(now - 35 * day));
  const selfSigned = await make(MX_NAME);
  const wrongName = await make('other.example.net');
  const caFiles: string[] = [];
  for (const [kind, c] of Object.entries({ good, expired, wrongName })) {
    const file = join(dir, `${kind}.pem`);
    await writeFile(file, c.cert);
    caFiles.push(file);
  }
  return { good, expired, 'self-signed': selfSigned, 'wrong-name': wrongName, caFiles };
}

// ---------------------------------------------------------------------------
// The misbehaviours

const MiB = 1024 * 1024;
/** FLOOD_OCTETS: what flood-then-close and endless-continuation send at most if the client never hangs up. */
export const FLOOD_OCTETS = 16 * MiB;

type Move = (c: HostileConn, cmd: Command) => void;
type Hook = NonNullable<Misbehaviour['command']>;

/** on: `move` answers commands of `stage`; the plain MTA answers the rest. */
const on =
  (stage: Trigger, move: Move): Hook =>
  (c, cmd) => {
    if (cmd.stage !== stage) return false;
    move(c, cmd);
    return true;
  };

/** atWork: `move` answers the connection's first real command (MAIL, VRFY, EXPN or a census verb). */
const atWork =
  (move: Move): Hook =>
  (c, cmd) => {
    if (!cmd.main) return false;
    move(c, cmd);
    return true;
  };

/** swap: an encoder replacing every `from` with `to` (octet-exact). */
const swap =
  (from: string, to: string) =>
  (b: Buffer): Buffer =>
    Buffer.from(b.toString('latin1').split(from).join(to), 'latin1');

/** octets: text and raw byte values as one buffer (for bytes that are not UTF-8). */
const octets = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))),
  );

// A lone continuation byte, an overlong "/", a UTF-16 surrogate, 0xFF: none is UTF-8.
const NOT_UTF8 = [0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xfe];
const GARBAGE = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 151 + 7) % 256));
const READY = '220 2.0.0 Ready to start TLS';

/** HANG_UP_STAGES: where close-at-… and rst-at-… hang up; census is its first verb, NOOP. */
export const HANG_UP_STAGES = [
  'greeting',
  'ehlo',
  'starttls',
  'mail',
  'rcpt',
  'vrfy',
  'expn',
  'census',
] as const;

function hangUpAt(stage: (typeof HANG_UP_STAGES)[number], how: 'close' | 'rst'): Misbehaviour {
  const verb = how === 'close' ? 'closes (FIN)' : 'resets (RST)';
  const m: Misbehaviour = {
    name: `${how}-at-${stage}`,
    what: `${verb} instead of ${stage === 'greeting' ? 'greeting' : `answering the first ${stage === 'census' ? 'census verb (NOOP)' : stage.toUpperCase()}`}`,
  };
  if (stage === 'greeting') m.greet = (c) => c.hangUp(how);
  else m.command = on(stage, (c) => c.hangUp(how));
  if (stage === 'starttls') m.tls = 'good';
  return m;
}

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

/** MISBEHAVIOURS: every named way the hostile server breaks SMTP (see each `what`). */
export const MISBEHAVIOURS: Misbehaviour[] = [
  { name: 'silence', what: 'accepts the connection and never says a word', greet: () => undefined },
  {
    name: 'silent-after-hello',
    what: 'greets and answers EHLO/HELO, then never answers again',
    command: (_c, cmd) => cmd.stage !== 'ehlo' && cmd.stage !== 'helo',
  },
  {
    name: 'bare-lf',
    what: 'ends every line with LF alone, no CRLF (accepted by design)',
    encode: swap('\r\n', '\n'),
  },
  { name: 'bare-cr', what: 'ends every line with CR alone', encode: swap('\r\n', '\r') },
  {
    name: 'unterminated-greeting',
    what: 'a greeting without any line end, then silence',
    greet: (c) => void c.write(GREETING),
  },
  {
    name: 'nul-bytes',
    what: 'a NUL at the start of the text of every reply line',
    encode: (b) =>
      Buffer.from(b.toString('latin1').replace(/(^|\n)(\d{3}[ -])/g, '$1$2\u0000'), 'latin1'),
  },
  {
    name: 'line-1mb-greeting',
    what: 'a greeting line of 1 MiB',
    greet: (c) => c.reply(`220 ${'x'.repeat(MiB)}`),
  },
  {
    name: 'line-1mb-reply',
    what: 'a 1 MiB line in answer to the first real command',
    command: atWork((c) => c.reply(`250 ${'y'.repeat(MiB)}`)),
  },
  {
    name: 'endless-continuation',
    what: 'answers EHLO with "250-" lines that never end',
    command: on('ehlo', (c) => void c.flood('250-CONTINUED\r\n'.repeat(256), FLOOD_OCTETS)),
  },
  {
    name: 'code-change',
    what: "EHLO's reply changes its code mid-reply (250- then 554)",
    command: on('ehlo', (c) => c.reply(`250-${MX_NAME}`, '250-PIPELINING', '554 5.3.0 changed')),
  },
  {
    name: 'bad-code-600',
    what: 'greets with code 600',
    greet: (c) => c.reply(`600 ${MX_NAME} ESMTP`),
  },
  {
    name: 'bad-code-2x0',
    what: 'answers EHLO with code 2x0',
    command: on('ehlo', (c) => c.reply(`2x0 ${MX_NAME}`)),
  },
  {
    name: 'bad-code-abc',
    what: 'answers the first real command with code abc',
    command: atWork((c) => c.reply('abc 2.0.0 Ok')),
  },
  {
    name: 'bad-separator',
    what: 'a code followed by "_" instead of space or hyphen',
    command: atWork((c) => c.reply('250_2.0.0 Ok')),
  },
  {
    name: 'empty-line',
    what: 'an empty line before the answer to the first real command',
    command: atWork((c) => void c.write('\r\n250 2.0.0 Ok\r\n')),
  },
  {
    name: 'escape-sequences',
    what: 'terminal escapes (ESC, OSC, BEL) in the greeting and EHLO',
    greet: (c) => c.reply(`220 ${MX_NAME} \u001b[2J\u001b]0;pwned\u0007 ESMTP`),
    ehlo: ['PIPELINING', '\u001b[31mENHANCEDSTATUSCODES', 'VRFY'],
  },
  { name: 'drip-feed', what: 'every reply one byte at a time, 40 ms apart', dripMs: 40 },
  { name: 'drip-slow', what: 'every reply one byte at a time, 1.5 s apart', dripMs: 1_500 },
  ...HANG_UP_STAGES.flatMap((s) => [hangUpAt(s, 'close'), hangUpAt(s, 'rst')]),
  {
    name: 'starttls-garbage',
    what: 'answers STARTTLS with 220, then sends garbage instead of a TLS handshake',
    tls: 'good',
    command: on('starttls', (c) => {
      c.reply(READY);
      c.ignoreInput();
      c.write(GARBAGE);
    }),
  },
  {
    name: 'starttls-silence',
    what: 'answers STARTTLS with 220, then never answers the ClientHello',
    tls: 'good',
    command: on('starttls', (c) => {
      c.reply(READY);
      c.ignoreInput();
    }),
  },
  {
    name: 'rst-in-tls-handshake',
    what: 'answers STARTTLS with 220, then resets (RST) when the ClientHello arrives',
    tls: 'good',
    command: on('starttls', (c) => {
      c.reply(READY);
      c.ignoreInput();
      c.raw.once('data', () => c.reset());
    }),
  },
  { name: 'cert-expired', what: 'STARTTLS with a certificate expired 35 days ago', tls: 'expired' },
  {
    name: 'cert-self-signed',
    what: 'STARTTLS with an untrusted self-signed certificate',
    tls: 'self-signed',
  },
  {
    name: 'cert-wrong-name',
    what: 'STARTTLS with a certificate for another host',
    tls: 'wrong-name',
  },
  {
    name: 'starttls-injected-plaintext',
    what: 'fake EHLO lines (AUTH PLAIN) right after the 220 to STARTTLS, in the same write (RFC 3207 §6)',
    tls: 'good',
    command: on('starttls', (c) => {
      c.reply(READY, `250-${MX_NAME}`, '250 AUTH PLAIN');
      c.startTls('good');
    }),
  },
  {
    name: 'tls-plaintext-outside',
    what: 'after the TLS handshake, answers in plaintext outside the TLS stream',
    tls: 'good',
    command: (c) => {
      if (!c.tls) return false;
      c.writeRaw('250 2.0.0 plaintext outside TLS\r\n');
      return true;
    },
  },
  {
    name: 'unsolicited-with-greeting',
    what: 'a second reply nobody asked for, in the greeting write',
    greet: (c) => c.reply(GREETING, '250 2.0.0 nobody asked'),
  },
  {
    name: 'unsolicited-with-ehlo',
    what: "a second reply nobody asked for, in EHLO's write",
    command: on('ehlo', (c, cmd) =>
      c.reply(...plainReply(cmd, PLAIN_EHLO), '250 2.0.0 nobody asked'),
    ),
  },
  {
    name: 'unsolicited-after-reply',
    what: 'a reply nobody asked for, one write after the answer to the first real command',
    command: atWork((c, cmd) => {
      c.answer(cmd);
      setImmediate(() => c.reply('250 2.0.0 nobody asked'));
    }),
  },
  {
    name: 'invalid-utf8',
    what: 'octets that are not UTF-8 in the greeting and in EHLO',
    greet: (c) => void c.write(octets(`220 ${MX_NAME} `, NOT_UTF8, ' ESMTP\r\n')),
    command: on(
      'ehlo',
      (c) =>
        void c.write(
          octets(
            '250-mx.',
            NOT_UTF8,
            '\r\n250-PIPELINING\r\n250 X-',
            NOT_UTF8,
            ' ',
            NOT_UTF8,
            '\r\n',
          ),
        ),
    ),
  },
  {
    name: '421-at-greeting',
    what: 'greets with 421 and hangs up',
    greet: (c) => {
      c.reply(`421 4.3.2 ${MX_NAME} Service shutting down`);
      c.end();
    },
  },
  {
    name: '421-mid-session',
    what: 'answers the first real command with 421 and hangs up',
    command: atWork((c) => {
      c.reply(`421 4.7.0 ${MX_NAME} Error: too many errors`);
      c.end();
    }),
  },
  {
    name: 'refuse-all',
    what: 'answers every command after EHLO with 500, as a server that knows none of them',
    ownAnswers: true,
    command: (c, cmd) => {
      if (cmd.stage === 'ehlo' || cmd.stage === 'quit') return false;
      c.reply('500 5.5.1 Command unrecognized');
      return true;
    },
  },
  {
    name: 'late-reply',
    what: 'answers the first real command 6 s late, past the command timeout',
    command: async (c, cmd) => {
      if (!cmd.main) return false;
      if (await c.sleep(6_000)) c.answer(cmd);
      return true;
    },
  },
  {
    name: 'hello-refused',
    what: 'refuses EHLO (502) and HELO (550)',
    command: (c, cmd) => {
      if (cmd.stage === 'ehlo') c.reply('502 5.5.2 Error: command not recognized');
      else if (cmd.stage === 'helo') c.reply('550 5.7.1 Helo command rejected: Access denied');
      else return false;
      return true;
    },
  },
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
  {
    name: 'ehlo-duplicates',
    what: 'every EHLO keyword twice, SIZE and AUTH with different values',
    ehlo: [
      ...['PIPELINING', 'PIPELINING', 'SIZE 1000', 'SIZE 2000', 'AUTH PLAIN', 'AUTH=LOGIN'],
      ...['AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES', 'ENHANCEDSTATUSCODES', 'VRFY', 'VRFY'],
    ],
  },
  {
    name: 'ehlo-size-absurd',
    what: 'SIZE 99999999999999999999',
    ehlo: ['PIPELINING', 'SIZE 99999999999999999999', 'ENHANCEDSTATUSCODES'],
  },
  {
    name: 'ehlo-auth-500',
    what: 'AUTH with 500 mechanisms',
    ehlo: ['PIPELINING', `AUTH ${Array.from({ length: 500 }, (_, i) => `X-M${i}`).join(' ')}`],
  },
  {
    name: 'ehlo-10000-keywords',
    what: 'an EHLO reply of 10,000 keywords',
    ehlo: Array.from({ length: 10_000 }, (_, i) => `X-KEYWORD-${i}`),
  },
  {
    name: 'echo',
    what: 'greets, then sends back every line the client sends',
    command: (c, cmd) => {
      c.write(`${cmd.line}\r\n`);
      return true;
    },
  },
  {
    name: 'flood-then-close',
    what: 'a flood of "220-" lines instead of a greeting (16 MiB at most), then FIN',
    greet: async (c) => {
      await c.flood(`220-${'f'.repeat(60)}\r\n`.repeat(256), FLOOD_OCTETS);
      c.end();
    },
  },
  {
    name: 'half-close',
    what: 'answers EHLO and shuts its sending side (FIN) in the same turn, still reading',
    command: on('ehlo', (c, cmd) => {
      c.answer(cmd);
      c.end();
    }),
  },
];

// ---------------------------------------------------------------------------
// Probing a hostile server, and the invariants every outcome must hold

/** ProbeName: the commands the tier runs against every misbehaviour. */
export type ProbeName = 'caps' | 'vrfy' | 'expn' | 'verify';
export const PROBES: ProbeName[] = ['caps', 'vrfy', 'expn', 'verify'];

/** HOSTILE_TIMEOUTS: small, so every case is cut early; targetMs is the deadline each case must keep. */
export const HOSTILE_TIMEOUTS = {
  resolveMs: 2_000,
  connectMs: 2_000,
  tlsMs: 5_000,
  greetingMs: 5_000,
  commandMs: 5_000,
  targetMs: 20_000,
};

/** ZONE: example.test's mail goes to the hostile host. */
export const ZONE: ZoneRecord[] = [
  { name: 'example.test', type: 'MX', ttl: 300, data: { preference: 10, exchange: MX_NAME } },
  { name: MX_NAME, type: 'A', ttl: 300, data: MX_ADDRESS },
];

/** ProbeArgs: what each command is asked. */
export interface ProbeArgs {
  helo: string;
  from: string;
  /** vrfy's names, expn's lists, verify's addresses. */
  names: string[];
  lists: string[];
  addresses: string[];
}

/**
 * HOSTILE_ARGS: valid arguments that look like injection (SMTP verbs, "<>",
 * percent-encoded CRLF, quotes, backslashes) beside plain ones; every one
 * passes validation, so each must reach the server as one clean line.
 */
export const HOSTILE_ARGS: ProbeArgs = {
  helo: 'client.test',
  from: 'probe@client.test',
  names: ['alice', '"RCPT TO:<x>"', "o'brien+%0d%0a", 'nobody@example.test'],
  lists: ['staff', '"DATA\\ ."', 'nolist'],
  addresses: [
    'ghost@example.test',
    'alice@example.test',
    '"RCPT TO:<victim@evil.test>"@example.test',
    "o'brien+%0d%0aDATA@example.test",
    '"DATA\\ ."@example.test',
    'bob@example.test',
    'ñandú@example.test',
  ],
};

/** HostileRun: one probe against one server, and what came of it. */
export interface HostileRun {
  probe: ProbeName;
  target: string;
  outcome?: ProbeOutcome<unknown>;
  /** What the probe threw instead of returning an outcome (a crash). */
  thrown?: unknown;
  /** No outcome within the wall-clock limit. */
  hung: boolean;
  /** Virtual milliseconds from the start to the outcome. */
  virtualMs: number;
  server: HostileServer;
}

/** RunSetup: the certificates, arguments, timeouts and patience of one run. */
export interface RunSetup {
  certs?: HostileCerts;
  args?: ProbeArgs;
  timeouts?: typeof HOSTILE_TIMEOUTS;
  /** Wall-clock milliseconds before a run counts as hung (default 15 s). */
  wallLimitMs?: number;
}

function startProbe(
  probe: ProbeName,
  world: MemoryWorld,
  args: ProbeArgs,
  setup: RunSetup,
): Promise<ProbeOutcome<unknown>> {
  const common = {
    ...world.wiring,
    helo: args.helo,
    timeouts: setup.timeouts ?? HOSTILE_TIMEOUTS,
    ...(setup.certs ? { caFiles: setup.certs.caFiles } : {}),
  };
  switch (probe) {
    case 'caps':
      return probeCaps(MX_ADDRESS, { ...common, census: true, tlsName: MX_NAME, tlsVerify: true });
    case 'vrfy':
      return probeVrfy(MX_ADDRESS, args.names, common);
    case 'expn':
      return probeExpn(MX_ADDRESS, args.lists, common);
    case 'verify':
      return probeVerify(args.addresses, {
        ...common,
        resolvers: ['192.0.2.53'],
        dnsTransport: world.dns(ZONE),
        from: args.from,
      });
  }
}

/** targetOf: what the command's envelope names as its target. */
const targetOf = (probe: ProbeName, args: ProbeArgs): string =>
  probe !== 'verify'
    ? MX_ADDRESS
    : args.addresses.length === 1
      ? args.addresses[0]!
      : `${args.addresses.length} addresses`;

/** probeHostile: run `probe` against a fresh world serving `misbehaviour`; never throws. */
export async function probeHostile(
  probe: ProbeName,
  misbehaviour: Misbehaviour,
  setup: RunSetup = {},
): Promise<HostileRun> {
  const world = memoryWorld();
  const server = hostileServer(world, misbehaviour, setup.certs);
  const args = setup.args ?? HOSTILE_ARGS;
  const run: HostileRun = {
    probe,
    target: targetOf(probe, args),
    hung: false,
    virtualMs: 0,
    server,
  };
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), setup.wallLimitMs ?? 15_000);
  });
  try {
    const started = startProbe(probe, world, args, setup).then((outcome) => {
      run.virtualMs = world.clock.now();
      return outcome;
    });
    const first = await Promise.race([started, hung]);
    if (first === 'hung') run.hung = true;
    else run.outcome = first;
  } catch (err) {
    run.thrown = err;
    run.virtualMs = world.clock.now();
  } finally {
    clearTimeout(timer);
    // Lines still in flight (each chunk arrives one turn after it was written) are recorded first.
    for (let turn = 0; turn < 4; turn++) await new Promise<void>((r) => setImmediate(r));
    server.stop();
  }
  return run;
}

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

/**
 * heapAfterGc: the heap in use after a full collection. gc is exposed at run
 * time (npm test passes no --expose-gc); where that fails, the heap as it is.
 */
export const heapAfterGc = (() => {
  let gc: (() => void) | undefined;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  } catch {
    gc = undefined;
  }
  return (): number => {
    gc?.();
    return process.memoryUsage().heapUsed;
  };
})();
