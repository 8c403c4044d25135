/**
 * send against real servers (issue 11): through CI's Postfix 3.7 (.ci/postfix.sh, 127.0.0.1:2525,
 * STARTTLS) into a mailbox of its own (carol), where the delivered message is compared with what
 * was sent — header fields, the body octet for octet after dot-stuffing and unstuffing, the
 * Message-ID and Postfix's queue id in its log; stop points and refused recipients; and AUTH
 * PLAIN and LOGIN after STARTTLS against CI's Exim 4.96 (.ci/exim.sh: built-in plaintext
 * authenticators on one test account), with the password nowhere in what the CLI prints. The
 * CLI runs as users run it (dist/smtp-probe.mjs), the password through --auth-password-env only.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../src/output/exit-codes.js';
import { type SendOutput, SendOutputSchema, type SendResult } from '../../src/schema/send.js';
import { CLI_PATH } from '../support/cli-run.js';
import { eximEnv } from '../support/exim.js';
import { postfixEnv } from '../support/postfix.js';
import {
  bareId,
  fieldValues,
  type MboxMessage,
  readMbox,
  waitForLogLine,
  waitForMessage,
} from '../support/postfix-mbox.js';

const pf = postfixEnv();
const ex = eximEnv();
const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-send-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** A tag unique to this run, so nothing from an earlier run can satisfy a wait. */
const run = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const FROM = 'probe@smtp-probe.test';
/**
 * carol: .ci/postfix.sh's user for these tests alone. Not alice: the tests that prove verify,
 * vrfy, caps and audit deliver nothing compare alice's and bob's mailboxes, and test files run
 * in parallel.
 */
const CAROL = `carol@${pf.domain}`;
const CAROL_MBOX = join(pf.mailDir, 'carol');
/** Delivery is asynchronous; on an idle CI machine it takes well under a second. */
const DELIVERY_MS = 20_000;
const PASSWORD_VAR = 'SMTP_PROBE_INTEROP_PASSWORD';

/** Sent: one CLI run, its exit code, raw output and the parsed envelope. */
interface Sent {
  code: number | null;
  stdout: string;
  stderr: string;
  out: SendOutput;
  r: SendResult;
  /** sent: the lines the client wrote, from the envelope's transcript. */
  sent: string[];
  startedMs: number;
  endedMs: number;
}

/** send: `smtp-probe send WORDS --json --transcript`, `env` added to this process's environment. */
function send(words: string[], env: Record<string, string> = {}): Sent {
  const startedMs = Date.now();
  const p = spawnSync(process.execPath, [CLI_PATH, 'send', ...words, '--json', '--transcript'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
  const endedMs = Date.now();
  const what = `send ${words.join(' ')}: exit ${p.status}\nstdout:\n${p.stdout}\nstderr:\n${p.stderr}`;
  let out: SendOutput;
  try {
    out = SendOutputSchema.parse(JSON.parse(p.stdout));
  } catch (e) {
    throw new Error(`${what}\nno schema-valid envelope: ${(e as Error).message}`);
  }
  assert.ok(out.result, what);
  assert.ok(out.transcript, `--transcript under --json gives the envelope a transcript\n${what}`);
  const sent = out.transcript.filter((e) => e.dir === 'send').map((e) => e.line);
  const { status: code, stdout, stderr } = p;
  return { code, stdout, stderr, out, r: out.result, sent, startedMs, endedMs };
}

/** Flags: `send` flags without the dashes; an array repeats the flag, an empty one is a switch. */
type Flags = Record<string, string | string[]>;

/** args: Flags as command-line words, in the order given. */
const args = (flags: Flags): string[] =>
  Object.entries(flags).flatMap(([k, v]) =>
    Array.isArray(v) && v.length === 0
      ? [`--${k}`]
      : (Array.isArray(v) ? v : [v]).flatMap((x) => [`--${k}`, x]),
  );

/** tls: STARTTLS when offered, the certificate checked against its own file and name. */
const tls = (ca: string, name: string): Flags => ({ ca, 'tls-name': name, 'tls-verify': [] });

/** viaPostfix: send from FROM through Postfix's STARTTLS port, trusting its certificate. */
const viaPostfix = (flags: Flags): Sent =>
  send(args({ server: pf.vrfyAddr, from: FROM, ...tls(pf.certFile, pf.hostname), ...flags }));

/** explain: a failed assertion's message shows the whole run. */
const explain = (s: Sent): string => `exit ${s.code}\nstdout:\n${s.stdout}\nstderr:\n${s.stderr}`;

/** only: the one value of a header field; fails when it is missing or repeated. */
function only(m: MboxMessage, name: string): string {
  const v = fieldValues(m, name);
  assert.equal(v.length, 1, `${name} fields in the delivered header:\n${m.header}`);
  return v[0]!;
}

/** re: `text` as a literal inside a RegExp. */
const re = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** assertAddress: `value` names `addr` as an addr-spec (bare or in angle brackets). */
function assertAddress(value: string, addr: string): void {
  assert.match(value, new RegExp(`(^|<|, )${re(addr)}(>|,|$)`));
}

/** A body every part of DATA's framing can get wrong: dots, spaces at the end, a long line, a tab. */
const BODY = [
  'smtp-probe send interop test: each line below must arrive as written.',
  '.',
  '..x',
  '.leading dot',
  'trailing spaces   ',
  '\tstarts with a tab',
  '',
  `long: ${'0123456789abcdef'.repeat(56)}`,
  '..',
  'a dot at the end .',
  'last line',
  '',
].join('\n');

test("Postfix: a built message arrives in carol's mbox with its fields and the body octet for octet", async (t) => {
  const bodyFile = join(dir, 'body.txt');
  writeFileSync(bodyFile, BODY, 'latin1');
  const subject = `send interop ${run}`;
  const header = `X-Smtp-Probe-Run: ${run}`;
  const s = viaPostfix({ to: CAROL, subject, header, body: `@${bodyFile}` });
  assert.equal(s.code, EXIT.OK, explain(s));
  assert.deepEqual([s.out.status, s.out.error, s.r.outcome], ['ok', null, 'accepted']);
  assert.equal(s.r.tls?.outcome, 'ok', 'the message went over STARTTLS');
  assert.equal(s.r.final?.code, 250);
  assert.match(s.r.queueId ?? '', /^[0-9A-F]{6,}$/, explain(s));
  assert.match(s.r.final!.lines.join(' '), new RegExp(`queued as ${s.r.queueId}\\b`));
  assert.deepEqual([s.r.message.source, s.r.message.subject], ['built', subject]);
  assert.ok(s.r.message.messageId, 'a built message has a Message-ID');
  assert.ok(s.sent.includes('DATA') && s.sent.at(-1) === 'QUIT', s.sent.join('\n'));

  const id = s.r.queueId!;
  const { value: m, ms } = await waitForMessage(CAROL_MBOX, s.r.message.messageId!, DELIVERY_MS);
  t.diagnostic(`delivered to the mbox ${Math.round(ms)} ms after the CLI exited`);
  const sentLine = await waitForLogLine(
    pf.maillog,
    new RegExp(
      `${id}: to=<${CAROL}>, relay=local, .*status=sent \\(delivered to file: ${CAROL_MBOX}\\)`,
    ),
    DELIVERY_MS,
  );
  t.diagnostic(sentLine.value);
  assert.ok(
    readFileSync(pf.maillog, 'utf8').includes(
      `${id}: message-id=<${bareId(s.r.message.messageId!)}>`,
    ),
    "cleanup logged the message's Message-ID under the queue id the CLI reported",
  );

  // Postfix's own fields: mbox separator, Return-Path, Delivered-To, Received naming the queue id.
  assert.match(m.separator, new RegExp(`^From ${re(FROM)} `));
  assert.equal(only(m, 'Return-Path'), `<${FROM}>`);
  assert.equal(only(m, 'Delivered-To'), CAROL);
  assert.match(
    only(m, 'Received'),
    new RegExp(`by ${pf.hostname} \\(Postfix\\) with ESMTPS id ${id}\\b`),
  );
  // The fields sent, each once: Postfix adds Date, From and Message-ID only when missing.
  assertAddress(only(m, 'From'), FROM);
  assertAddress(only(m, 'To'), CAROL);
  assert.equal(only(m, 'Subject'), subject);
  assert.equal(only(m, 'X-Smtp-Probe-Run'), run);
  assert.equal(bareId(only(m, 'Message-ID')), bareId(s.r.message.messageId!));
  const date = Date.parse(only(m, 'Date'));
  assert.ok(
    date >= s.startedMs - 1000 && date <= s.endedMs + 1000,
    `Date ${only(m, 'Date')} is within the run`,
  );
  assert.equal(
    m.body,
    BODY,
    'the body arrives octet for octet (dot-stuffing undone, CRLF back to LF)',
  );
});

test('Postfix: --data FILE goes as is, its own header and Message-ID included', async () => {
  const header = [
    `From: Data File <${FROM}>`,
    `To: Carol <${CAROL}>`,
    `Subject: data file ${run}`,
    'Date: Tue, 01 Dec 2026 10:00:00 +0000',
    `Message-ID: <data-${run}@smtp-probe.test>`,
    'X-Sent-As: is',
  ].join('\n');
  const body = ['Sent with --data.', '.', '..two dots', 'end', ''].join('\n');
  const file = join(dir, 'message.eml');
  writeFileSync(file, `${header}\n\n${body}`, 'latin1');
  const s = viaPostfix({ to: CAROL, data: file });
  assert.equal(s.code, EXIT.OK, explain(s));
  assert.equal(s.r.outcome, 'accepted');
  assert.equal(s.r.message.source, 'data-file');
  assert.equal(bareId(s.r.message.messageId ?? ''), `data-${run}@smtp-probe.test`);
  assert.equal(s.r.message.subject, `data file ${run}`);
  assert.match(s.r.queueId ?? '', /^[0-9A-F]{6,}$/, explain(s));

  const { value: m } = await waitForMessage(CAROL_MBOX, `data-${run}@smtp-probe.test`, DELIVERY_MS);
  // Postfix prepends its trace fields and adds nothing else: the file's header follows unchanged.
  assert.deepEqual(
    m.fields.map(([n]) => n),
    [
      'Return-Path',
      'X-Original-To',
      'Delivered-To',
      'Received',
      'From',
      'To',
      'Subject',
      'Date',
      'Message-ID',
      'X-Sent-As',
    ],
  );
  assert.ok(m.header.endsWith(`\n${header}`), m.header);
  assert.equal(m.body, body);
});

test('Postfix: --quit-after rcpt ends with RSET and QUIT, never DATA, and delivers nothing', async () => {
  const s = viaPostfix({ to: CAROL, subject: `stopped ${run}`, 'quit-after': 'rcpt' });
  assert.equal(s.code, EXIT.OK, explain(s));
  assert.deepEqual([s.r.outcome, s.r.quitAfter], ['stopped', 'rcpt']);
  assert.deepEqual(
    s.r.recipients.map((r) => [r.address, r.accepted, r.reply?.code]),
    [[CAROL, true, 250]],
  );
  assert.deepEqual([s.r.data, s.r.final, s.r.queueId], [null, null, null]);
  assert.ok(!s.sent.some((l) => /^DATA\b/i.test(l)), s.sent.join('\n'));
  assert.deepEqual(s.sent.slice(-2), ['RSET', 'QUIT']);
  assert.ok(
    s.sent.some((l) => /^RCPT TO:<carol@/i.test(l)),
    s.sent.join('\n'),
  );

  // A message sent after it is the fence: once it is in, the stopped one would be too, had it gone.
  const fence = viaPostfix({ to: CAROL, subject: `fence ${run}` });
  assert.equal(fence.code, EXIT.OK, explain(fence));
  await waitForMessage(CAROL_MBOX, fence.r.message.messageId!, DELIVERY_MS);
  // By its unique subject, not by a count: anyone may mail carol meanwhile.
  const stopped = readMbox(CAROL_MBOX).filter((m) =>
    fieldValues(m, 'Subject').includes(`stopped ${run}`),
  );
  assert.deepEqual(stopped, [], 'the stopped message was never delivered');
});

test('Postfix: an unknown recipient is refused at RCPT with 550 5.1.1, exit 12; the DATA that rode in the group is refused too', () => {
  const nobody = `nobody-${run}@${pf.domain}`;
  const s = viaPostfix({ to: nobody });
  assert.equal(s.code, EXIT.RECIPIENT, explain(s));
  assert.equal(s.out.error?.code, 'RECIPIENT_REFUSED');
  assert.equal(s.r.outcome, 'refused');
  assert.deepEqual(
    s.r.recipients.map((r) => [r.address, r.accepted, r.reply?.code, r.reply?.enhanced]),
    [[nobody, false, 550, '5.1.1']],
  );
  assert.deepEqual([s.r.final, s.r.queueId], [null, null]);
  // RFC 2920 §3.1: DATA may end the MAIL/RCPT group; with no valid recipient Postfix refuses it,
  // and the message itself is never sent.
  assert.deepEqual([s.r.data?.reply?.code, s.r.data?.reply?.enhanced], [554, '5.5.1']);
  assert.ok(!s.sent.includes('.'), 'no end-of-data line: no message was sent');
});

test('Postfix: one recipient refused of two: exit 12, outcome partial, carol still gets it', async () => {
  const nobody = `nobody-${run}@${pf.domain}`;
  const s = viaPostfix({ to: [nobody, CAROL], subject: `partial ${run}` });
  assert.equal(s.code, EXIT.RECIPIENT, explain(s));
  assert.equal(s.r.outcome, 'partial');
  assert.deepEqual(
    s.r.recipients.map((r) => [r.address, r.accepted, r.reply?.code]),
    [
      [nobody, false, 550],
      [CAROL, true, 250],
    ],
  );
  assert.match(s.r.queueId ?? '', /^[0-9A-F]{6,}$/, explain(s));
  const { value: m } = await waitForMessage(CAROL_MBOX, s.r.message.messageId!, DELIVERY_MS);
  assert.equal(only(m, 'Subject'), `partial ${run}`);
});

// ---------------------------------------------------------------- AUTH against Exim
const EXIM_ALICE = `alice@${ex.domain}`;
const WRONG = 'not-the-Pa55word';
/** Every form the secrets could leak in: as typed, in LOGIN's base64, and in PLAIN's (RFC 4616). */
const SECRETS = [ex.authPassword, WRONG].flatMap((pw) => [
  pw,
  Buffer.from(pw).toString('base64'),
  Buffer.from(`\0${ex.authUser}\0${pw}`).toString('base64'),
  Buffer.from(`${ex.authUser}\0${ex.authUser}\0${pw}`).toString('base64'),
]);
const eximRuns: Sent[] = [];

/** sendAuth: send through Exim's STARTTLS port as the test account, the password from the env only. */
function sendAuth(mech: 'plain' | 'login', password: string, flags: Flags = {}): Sent {
  const s = send(
    args({
      server: ex.addr,
      from: FROM,
      to: EXIM_ALICE,
      ...tls(ex.certFile, ex.hostname),
      starttls: 'required',
      'auth-user': ex.authUser,
      'auth-password-env': PASSWORD_VAR,
      'auth-mech': mech,
      ...flags,
    }),
    { [PASSWORD_VAR]: password },
  );
  eximRuns.push(s);
  return s;
}

/**
 * assertAuthRedacted: the AUTH exchange is in the transcript (envelope and stderr) with every
 * payload, an initial response included, as <redacted>: one for PLAIN, the user and the password
 * for LOGIN.
 */
function assertAuthRedacted(s: Sent, mech: 'PLAIN' | 'LOGIN'): void {
  const at = s.sent.findIndex((l) => l.toUpperCase().startsWith(`AUTH ${mech}`));
  assert.ok(at >= 0, s.sent.join('\n'));
  const initial = s.sent[at]!.slice(`AUTH ${mech}`.length).trim();
  const payloads = [...(initial ? [initial] : []), ...s.sent.slice(at + 1)];
  const n = mech === 'PLAIN' ? 1 : 2;
  assert.deepEqual(payloads.slice(0, n), Array(n).fill('<redacted>'), s.sent.join('\n'));
  assert.notEqual(payloads[n], '<redacted>', 'only the payloads are redacted');
  assert.match(s.stderr, new RegExp(`AUTH ${mech}`), 'the transcript on stderr shows the AUTH');
  assert.ok(s.stderr.includes('<redacted>'), s.stderr);
}

test('Exim: AUTH PLAIN after STARTTLS is accepted and the message is delivered to alice', async (t) => {
  const s = sendAuth('plain', ex.authPassword, { subject: `auth plain ${run}` });
  assert.equal(s.code, EXIT.OK, explain(s));
  assert.equal(s.r.capabilities?.auth, undefined, 'no AUTH before TLS');
  assert.deepEqual(s.r.capabilitiesAfterTls?.auth, ['PLAIN', 'LOGIN']);
  assert.deepEqual(
    [s.r.auth?.mechanism, s.r.auth?.user, s.r.auth?.accepted, s.r.auth?.reply.code],
    ['PLAIN', ex.authUser, true, 235],
  );
  assert.equal(s.r.outcome, 'accepted');
  assert.equal(s.r.final?.code, 250);
  assertAuthRedacted(s, 'PLAIN');
  const msgId = bareId(s.r.message.messageId!);
  const { value: m, ms } = await waitForMessage(join(ex.mailDir, 'alice'), msgId, DELIVERY_MS);
  t.diagnostic(`Exim delivered it ${Math.round(ms)} ms after the CLI exited`);
  assert.equal(only(m, 'Subject'), `auth plain ${run}`);
  // Exim logs the arrival under its message id (the queue id of its "250 OK id=…"), with the
  // authenticator and the name the client authenticated as.
  assert.match(s.r.queueId ?? '', /^\w{6}-\w{6}-\w{2}$/, explain(s));
  await waitForLogLine(
    ex.mainlog,
    new RegExp(
      ` ${re(s.r.queueId!)} <= ${re(FROM)} .* P=esmtpsa .*A=plain:${ex.authUser} .*id=${re(msgId)}`,
    ),
    DELIVERY_MS,
  );
});

test('Exim: AUTH LOGIN after STARTTLS, --quit-after auth: accepted, then QUIT without MAIL', () => {
  const s = sendAuth('login', ex.authPassword, { 'quit-after': 'auth' });
  assert.equal(s.code, EXIT.OK, explain(s));
  assert.deepEqual(
    [s.r.auth?.mechanism, s.r.auth?.user, s.r.auth?.accepted, s.r.auth?.reply.code],
    ['LOGIN', ex.authUser, true, 235],
  );
  assert.deepEqual([s.r.outcome, s.r.quitAfter, s.r.mail], ['stopped', 'auth', null]);
  assert.ok(!s.sent.some((l) => /^MAIL\b/i.test(l)), s.sent.join('\n'));
  assert.equal(s.sent.at(-1), 'QUIT');
  assertAuthRedacted(s, 'LOGIN');
});

for (const mech of ['plain', 'login'] as const) {
  test(`Exim: AUTH ${mech.toUpperCase()} with a wrong password: 535, exit 10, no MAIL`, () => {
    const refusals = (): number =>
      readFileSync(ex.mainlog, 'utf8').split(`${mech} authenticator failed`).length;
    const before = refusals();
    const s = sendAuth(mech, WRONG);
    assert.equal(s.code, EXIT.AUTH, explain(s));
    assert.equal(s.out.error?.code, 'AUTH_FAILED');
    assert.equal(s.r.outcome, 'refused');
    assert.deepEqual(
      [s.r.auth?.mechanism, s.r.auth?.accepted, s.r.auth?.reply.code],
      [mech.toUpperCase(), false, 535],
    );
    assert.ok(!s.sent.some((l) => /^MAIL\b/i.test(l)), s.sent.join('\n'));
    assertAuthRedacted(s, mech === 'plain' ? 'PLAIN' : 'LOGIN');
    assert.equal(refusals(), before + 1, 'Exim logged one refusal');
  });
}

test('Exim: without TLS no AUTH is offered: exit 10 and the credentials are never sent', () => {
  const s = sendAuth('plain', ex.authPassword, { starttls: 'off' });
  assert.equal(s.code, EXIT.AUTH, explain(s));
  assert.equal(s.out.error?.code, 'AUTH_UNAVAILABLE');
  assert.deepEqual([s.r.tls, s.r.auth, s.r.mail], [null, null, null]);
  assert.ok(!s.sent.some((l) => /^(AUTH|MAIL)\b/i.test(l)), s.sent.join('\n'));
});

test('Exim: the password and its base64 forms appear nowhere in stdout, stderr or the JSON', () => {
  assert.equal(eximRuns.length, 5, 'the AUTH tests above ran first');
  for (const s of eximRuns)
    for (const [i, secret] of SECRETS.entries()) {
      // The message names the form by its index, not the secret itself.
      assert.ok(
        !s.stdout.includes(secret),
        `stdout of an exit-${s.code} run holds secret form ${i}`,
      );
      assert.ok(
        !s.stderr.includes(secret),
        `stderr of an exit-${s.code} run holds secret form ${i}`,
      );
      assert.ok(!JSON.stringify(s.out).includes(secret), `the JSON holds secret form ${i}`);
    }
});
