/**
 * caps against real Exim 4.96 from Debian (started by .ci/exim.sh): :2527 keeps
 * Debian's defaults (VRFY and EXPN refused, the 4th unrecognised command drops
 * the session), :2528 accepts VRFY and EXPN. The census must finish on both,
 * status ok, with no session ever collecting more than DROP_LIMIT replies that
 * count toward Exim's limits: it moves to a new session before that.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { probeCaps } from '../../src/probes/caps.js';
import { CapsOutputSchema, type CapsResult } from '../../src/schema/caps.js';
import { EXIT } from '../../src/output/exit-codes.js';
import type { TranscriptEntry } from '../../src/session/transcript.js';
import { DROP_LIMIT } from '../../src/smtp/census.js';
import { eximEnv, talk } from '../support/exim.js';

const ex = eximEnv();
const CLI = fileURLToPath(new URL('../../commands/cli.js', import.meta.url));
const HELO = 'interop.smtp-probe.test';
const dropped = (): string[] =>
  readFileSync(ex.mainlog, 'utf8')
    .split('\n')
    .filter((l) => /dropped: too many/.test(l));

const census = (r: CapsResult): [string, string, number | undefined][] =>
  (r.census ?? []).map((e) => [e.verb, e.support, e.reply?.code]);

/**
 * perSession: for each session in the transcript (each ends with QUIT), the commands sent and how
 * many final reply lines were 500, 501 or 503 (what Exim counts toward its limits).
 */
function perSession(entries: TranscriptEntry[]): { sent: string[]; counted: number }[] {
  const out = [{ sent: [] as string[], counted: 0 }];
  for (const e of entries) {
    const s = out.at(-1)!;
    if (e.dir === 'send') s.sent.push(e.line);
    if (e.dir === 'recv' && /^50[013] /.test(e.line)) s.counted++;
    if (e.dir === 'send' && e.line === 'QUIT') out.push({ sent: [], counted: 0 });
  }
  return out.filter((s) => s.sent.length > 0);
}
const verbs = (sent: string[]): string[] =>
  sent.map((l) => l.split(' ')[0]!).filter((v) => !['EHLO', 'STARTTLS', 'QUIT'].includes(v));

test("Exim's defaults are in force: the 4th unrecognised command ends the session", async () => {
  const x = await talk(ex.addr, [
    `EHLO ${HELO}`,
    'VERB',
    'SEND FROM:<>',
    'SOML FROM:<>',
    'TURN',
    'NOOP',
  ]);
  assert.deepEqual(
    x.slice(2).map((e) => [e.command, e.reply]),
    [
      ['VERB', ['500 unrecognized command']],
      ['SEND FROM:<>', ['500 unrecognized command']],
      ['SOML FROM:<>', ['500 unrecognized command']],
      ['TURN', ['500 Too many unrecognized commands']],
      ['NOOP', []],
    ],
  );
  assert.ok(dropped().some((l) => l.includes('too many unrecognized commands (last was "TURN")')));
});

test('caps on Debian-default Exim: status ok, the whole census in three sessions, none dropped', async () => {
  const before = dropped().length;
  const { status, result, error, transcript } = await probeCaps(ex.addr, {
    caFiles: [ex.certFile],
    tlsName: ex.hostname,
    helo: HELO,
  });
  assert.equal(status, 'ok', error?.message);
  assert.equal(error, undefined);
  assert.equal(result.banner?.hostname, ex.hostname);
  assert.match(result.banner!.reply.lines[0]!, new RegExp(`ESMTP Exim ${ex.version} `));
  const caps = result.capabilities!;
  assert.equal(caps.starttls, true);
  assert.equal(caps.pipelining, true);
  assert.equal(caps.size, 52428800, "Exim's default message_size_limit, 50M");
  // Without acl_smtp_vrfy / acl_smtp_expn, Exim does not offer VRFY or EXPN.
  assert.equal(caps.vrfy, false);
  assert.ok(!caps.extensions.some((x) => x.keyword === 'EXPN'));
  assert.equal(result.tls?.outcome, 'ok');
  assert.deepEqual([result.tls?.info?.nameMatch.ok, result.tls?.info?.trusted.ok], [true, true]);

  assert.deepEqual(census(result), [
    ['NOOP', 'implemented', 250],
    ['HELP', 'implemented', 214],
    // "252 Administrative prohibition" to postmaster; Exim wants a domain on any other name, so the
    // made-up one gets 501 and the pair tells nothing.
    ['VRFY', 'unknown', 252],
    ['EXPN', 'disabled', 550],
    // No acl_smtp_etrn: "458 Administrative prohibition", RFC 1985's code, so recognised.
    ['ETRN', 'implemented', 458],
    ['VERB', 'not-implemented', 500],
    ['SEND', 'not-implemented', 500],
    ['SOML', 'not-implemented', 500],
    ['SAML', 'not-implemented', 500],
    ['RSET', 'implemented', 250],
    ['TURN', 'not-implemented', 500],
  ]);
  const vrfy = result.census!.find((e) => e.verb === 'VRFY')!;
  assert.deepEqual(vrfy.reply?.lines, ['Administrative prohibition']);
  assert.equal(vrfy.probe?.reply.code, 501);
  assert.match(vrfy.probe!.reply.lines[0]!, /recipient address must contain a domain$/);
  assert.deepEqual(result.census!.find((e) => e.verb === 'EXPN')!.reply?.lines, [
    'Administrative prohibition',
  ]);

  const sessions = perSession(transcript.entries);
  assert.deepEqual(
    sessions.map((s) => verbs(s.sent)),
    [
      ['NOOP', 'HELP', 'VRFY', 'VRFY', 'EXPN', 'ETRN', 'VERB'],
      ['SEND', 'SOML'],
      ['SAML', 'RSET', 'TURN'],
    ],
  );
  for (const s of sessions) {
    assert.ok(s.counted <= DROP_LIMIT, `${s.counted} in ${s.sent.join(', ')}`);
    assert.equal(s.sent.filter((l) => l === 'STARTTLS').length, 1, 'every session over TLS');
    assert.ok(!s.sent.some((l) => /^DATA\b/.test(l)));
  }
  assert.equal(dropped().length, before, 'Exim never dropped a session');
  const ids = result.findings.map((f) => f.id);
  assert.ok(!ids.includes('vrfy-enabled') && !ids.includes('expn-enabled'));
  assert.ok(ids.includes('cert-self-signed'));
});

test('caps on Exim with VRFY and EXPN open: they answer, and the census needs three sessions too', async () => {
  const before = dropped().length;
  const { status, result, error, transcript } = await probeCaps(ex.vrfyAddr, {
    caFiles: [ex.certFile],
    tlsName: ex.hostname,
    helo: HELO,
  });
  assert.equal(status, 'ok', error?.message);
  assert.equal(result.capabilities?.vrfy, true);
  assert.ok(result.capabilities?.extensions.some((x) => x.keyword === 'EXPN'));
  assert.deepEqual(census(result), [
    ['NOOP', 'implemented', 250],
    ['HELP', 'implemented', 214],
    ['VRFY', 'implemented', 250],
    ['EXPN', 'implemented', 250],
    ['ETRN', 'implemented', 458],
    ['VERB', 'not-implemented', 500],
    ['SEND', 'not-implemented', 500],
    ['SOML', 'not-implemented', 500],
    ['SAML', 'not-implemented', 500],
    ['RSET', 'implemented', 250],
    ['TURN', 'not-implemented', 500],
  ]);
  const line = (verb: string) => result.census!.find((e) => e.verb === verb)!.reply?.lines;
  assert.deepEqual(line('VRFY'), [`<postmaster@${ex.domain}> is deliverable`]);
  assert.deepEqual(line('EXPN'), [`<alice@${ex.domain}>`]);
  const sessions = perSession(transcript.entries);
  assert.deepEqual(
    sessions.map((s) => verbs(s.sent)),
    [
      ['NOOP', 'HELP', 'VRFY', 'EXPN', 'ETRN', 'VERB', 'SEND'],
      ['SOML', 'SAML'],
      ['RSET', 'TURN'],
    ],
  );
  for (const s of sessions) assert.ok(s.counted <= DROP_LIMIT);
  const ids = result.findings.map((f) => f.id);
  assert.ok(ids.includes('vrfy-enabled') && ids.includes('expn-enabled'));
  assert.equal(dropped().length, before, 'Exim never dropped a session');
});

test("Exim's own VRFY and EXPN answers, pinned (with the ACLs open)", async () => {
  const x = await talk(ex.vrfyAddr, [
    `EHLO ${HELO}`,
    `VRFY alice@${ex.domain}`,
    `VRFY nobody@${ex.domain}`,
    'VRFY alice',
    'EXPN staff',
    'EXPN nobody',
    'VRFY someone@elsewhere.test',
    'QUIT',
  ]);
  assert.deepEqual(
    x.slice(2).map((e) => [e.command, e.reply]),
    [
      [`VRFY alice@${ex.domain}`, [`250 <alice@${ex.domain}> is deliverable`]],
      [`VRFY nobody@${ex.domain}`, [`550 <nobody@${ex.domain}> Unrouteable address`]],
      // Only postmaster may come without a domain.
      ['VRFY alice', ['501 alice: recipient address must contain a domain']],
      ['EXPN staff', [`250-<alice@${ex.domain}>`, `250 <bob@${ex.domain}>`]],
      // A list that does not exist is 553 "undeliverable": not found, not ambiguous.
      ['EXPN nobody', [`553 nobody@${ex.domain} is undeliverable`]],
      ['VRFY someone@elsewhere.test', ['550 <someone@elsewhere.test> Unrouteable address']],
      ['QUIT', [`221 ${ex.hostname} closing connection`]],
    ],
  );
  assert.ok(x.at(-1)!.ms >= 150, `QUIT answered after ${x.at(-1)!.ms} ms`);
});

test('in clear text Exim holds its 221 to QUIT until the client closes (up to 200 ms, as the raw client above saw); caps sends its FIN with QUIT and is answered at once', async () => {
  const { status, result } = await probeCaps(ex.addr, {
    helo: HELO,
    starttls: false,
    census: false,
  });
  assert.equal(status, 'ok');
  assert.equal(result.tls, null);
  assert.ok(result.timings.quit! < 150, `QUIT took ${result.timings.quit} ms`);
});

test('the CLI: caps against Debian-default Exim exits 0 with a schema-valid envelope', () => {
  const run = spawnSync(
    process.execPath,
    [CLI, 'caps', ex.addr, '--json', '--ca', ex.certFile, '--tls-name', ex.hostname],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, EXIT.OK, run.stderr);
  const env = CapsOutputSchema.parse(JSON.parse(run.stdout));
  assert.equal(env.status, 'ok');
  assert.equal(env.error, null);
  assert.equal(env.result?.census?.length, 11);
  assert.ok(env.result?.census?.every((e) => e.reply !== undefined));
});
