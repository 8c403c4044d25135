/**
 * runDemo: the tour behind `smtp-probe demo` — the full caps report of the
 * lab's ESMTP host, then one row per personality so every status in the
 * catalogue shows up once, an MX walk, a failover rehearsal, what a sender
 * enforcing MTA-STS does, a short audit, and one test message sent end to end (its queue id
 * read back). Lives in src/ so the tour is also a library call.
 */
import { setMaxListeners } from 'node:events';
import { startLab, type Lab, type LabHost } from '../lab/index.js';
import { formatEndpoint } from '../net/target.js';
import { toEnvelope } from '../output/envelope.js';
import { renderEnvelope, type RenderContext } from '../output/render.js';
import type { z } from 'zod';
import { renderCaps } from '../output/caps-table.js';
import { renderCapsSummary } from '../output/caps-summary.js';
import { EXIT } from '../output/exit-codes.js';
import { probeCaps } from '../probes/caps.js';
import { probeMx } from '../probes/mx.js';
import { probeFailover } from '../probes/failover.js';
import type { AuditSite } from '../schema/audit.js';
import type { DemoStepSchema } from '../schema/lines.js';
import { Transcript, type TranscriptEntry } from '../session/transcript.js';
import { ProbeError } from '../errors.js';
import { renderMx } from '../output/mx-table.js';
import { renderFailover } from '../output/failover-table.js';
import { renderAudit } from '../output/audit-table.js';
import { runAudit } from '../probes/audit.js';
import { probeSend } from '../probes/send.js';
import { renderSend } from '../output/send-table.js';

/** DEMO_CONNECT_TIMEOUT_MS: the blackhole costs the tour this much, not the 10 s default. */
const DEMO_CONNECT_TIMEOUT_MS = 2_000;
/** The lab scenarios the tour walks: three MX (refused, blackhole, good), and the seed's sun/noao case. */
const DEMO_WALK_DOMAIN = 'blackhole.test';
const DEMO_FAILOVER_DOMAIN = 'noao.test';
const DEMO_ASSUME_DOWN = 'mx.noao.test';
/** An MTA-STS failure: the primary's certificate does not name it, so an enforcing sender moves on. */
const DEMO_STS_DOMAIN = 'sts-badcert.test';
/** The tour's audit: three lookup policies side by side, and a domain with two MX hosts. */
const DEMO_AUDIT_HOSTS = ['esmtp', 'vrfy-open', 'vrfy-closed'];
const DEMO_AUDIT_DOMAIN = 'mlfarm.test';
/** The tour's test message: to the ESMTP host's mailbox, through its (implicit) MX, from a sender of our own. */
const DEMO_SEND_TO = 'alice@esmtp.lab.test';
const DEMO_SEND_FROM = 'demo@smtp-probe.test';

/** DEMO_GREETING_TIMEOUT_MS: long enough for the slow-greeting host, short enough that the silent one does not drag the tour. */
const DEMO_GREETING_TIMEOUT_MS = 4_000;

/** DemoOptions: Ctrl-C, and --transcript's live sink (each line labelled with its host). */
export interface DemoOptions {
  signal: AbortSignal;
  onTranscript?: (entry: TranscriptEntry, label?: string) => void;
}

/** Step: one command of the tour and its envelope. */
type Step = z.infer<typeof DemoStepSchema>['envelope'];

async function probeHost(lab: Lab, host: LabHost, o: DemoOptions) {
  const target = formatEndpoint(host.address, host.port);
  const live = o.onTranscript;
  const outcome = await probeCaps(target, {
    caFiles: [lab.caCertFile],
    helo: 'demo.smtp-probe.test',
    timeouts: { connectMs: 2_000, greetingMs: DEMO_GREETING_TIMEOUT_MS, commandMs: 2_000 },
    signal: o.signal,
    ...(live ? { onTranscript: (e: TranscriptEntry) => live(e, `${host.name} ${target}`) } : {}),
  });
  return {
    label: `${host.name}\n${target}`,
    host,
    env: toEnvelope('caps', target, outcome, live !== undefined),
  };
}

/**
 * runDemo: see the module comment. Returns the exit code (0, or 130 when
 * interrupted). As JSON it prints one document; as NDJSON one line per step.
 */
export async function runDemo(rc: RenderContext, o: DemoOptions): Promise<number> {
  const startedAt = new Date();
  // Every probe of the tour runs at once under the one Ctrl-C signal (a dozen and more).
  setMaxListeners(0, o.signal);
  const lab = await startLab({ port: 0 });
  try {
    const personalities = lab.hosts.filter((h) => h.scenario === null);
    const dns = formatEndpoint(lab.dns.address, lab.dns.port);
    const walkOpts = {
      resolvers: [dns],
      port: lab.port,
      mtaStsPort: lab.https.port,
      caFiles: [lab.caCertFile],
      helo: 'demo.smtp-probe.test',
      timeouts: {
        connectMs: DEMO_CONNECT_TIMEOUT_MS,
        greetingMs: DEMO_GREETING_TIMEOUT_MS,
        commandMs: 2_000,
      },
      signal: o.signal,
      ...(o.onTranscript ? { onTranscript: o.onTranscript } : {}),
    };
    const withTranscript = o.onTranscript !== undefined;
    const auditSites: AuditSite[] = [];
    const auditTargets = [
      ...DEMO_AUDIT_HOSTS.map((h) => formatEndpoint(lab.host(h).address, lab.port)),
      DEMO_AUDIT_DOMAIN,
    ];
    const [rows, walk, failover, sts, audit, sent] = await Promise.all([
      Promise.all(personalities.map((h) => probeHost(lab, h, o))),
      probeMx(DEMO_WALK_DOMAIN, walkOpts),
      probeFailover(DEMO_FAILOVER_DOMAIN, {
        ...walkOpts,
        profile: 'bsd-tcp',
        assumeDown: [DEMO_ASSUME_DOWN],
      }),
      probeFailover(DEMO_STS_DOMAIN, { ...walkOpts, mtaSts: true }),
      runAudit(
        auditTargets.map((text) => ({ text })),
        {
          ...walkOpts,
          checks: ['connect', 'vrfy', 'expn', 'relay'],
          onSite: (s) => auditSites.push(s),
        },
      ),
      probeSend({
        ...walkOpts,
        from: DEMO_SEND_FROM,
        to: [DEMO_SEND_TO],
        message: { kind: 'built', subject: 'smtp-probe demo' },
      }),
    ]);
    const sendTitle = `smtp-probe send --from ${DEMO_SEND_FROM} --to ${DEMO_SEND_TO} --subject 'smtp-probe demo'`;
    const sendEnv = toEnvelope('send', DEMO_SEND_TO, sent, withTranscript);
    const auditTitle = `smtp-probe audit ${auditTargets.join(' ')} --checks connect,vrfy,expn,relay`;
    const auditEnv = toEnvelope(
      'audit',
      auditTargets.join(' '),
      { ...audit, result: { summary: audit.result, sites: auditSites } },
      withTranscript,
    );
    const walkEnv = toEnvelope('mx', DEMO_WALK_DOMAIN, walk, withTranscript);
    const failoverEnv = toEnvelope('failover', DEMO_FAILOVER_DOMAIN, failover, withTranscript);
    const stsEnv = toEnvelope('failover', DEMO_STS_DOMAIN, sts, withTranscript);
    const exit = o.signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
    if (rc.format !== 'table') {
      const titled: [string, Step][] = [
        ...rows.map((r): [string, Step] => [
          `smtp-probe caps ${r.env.target} (${r.host.name})`,
          r.env,
        ]),
        [`smtp-probe mx ${DEMO_WALK_DOMAIN}`, walkEnv],
        [
          `smtp-probe failover ${DEMO_FAILOVER_DOMAIN} --profile bsd-tcp --assume-down ${DEMO_ASSUME_DOWN}`,
          failoverEnv,
        ],
        [`smtp-probe failover ${DEMO_STS_DOMAIN} --mta-sts`, stsEnv],
        [auditTitle, auditEnv],
        [sendTitle, sendEnv],
      ];
      const steps = titled.map(([title, envelope], i) => ({
        type: 'step' as const,
        step: i + 1,
        title,
        envelope,
      }));
      // The tour's own envelope, like every command's: a step's trouble is in that step's envelope.
      const interrupted = o.signal.aborted
        ? new ProbeError({ code: 'ABORTED', stage: 'connect', message: 'interrupted' })
        : undefined;
      const env = toEnvelope('demo', 'lab', {
        status: interrupted ? 'aborted' : 'ok',
        result: { lab: { hosts: lab.hosts.length, dns }, steps },
        ...(interrupted ? { error: interrupted } : {}),
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
        transcript: new Transcript(),
      });
      if (rc.format === 'ndjson') {
        for (const s of steps) rc.out.write(`${JSON.stringify(s)}\n`);
        rc.out.write(`${JSON.stringify(env)}\n`);
      } else rc.out.write(`${JSON.stringify(env, null, 2)}\n`);
      return exit;
    }
    const p = rc.paint;
    const esmtp = lab.host('esmtp');
    const main = rows[personalities.indexOf(esmtp)]!;
    rc.out.write(
      `${p.bold('smtp-probe demo')}: a simulated mail network of ${lab.hosts.length} SMTP hosts and a DNS server (${formatEndpoint(lab.dns.address, lab.dns.port)}) is running on loopback.\n\n`,
    );
    rc.out.write(`${p.bold(`1. smtp-probe caps ${main.env.target}`)} (${esmtp.description})\n\n`);
    renderEnvelope(main.env, rc, (r) => renderCaps(r, rc));
    rc.out.write(
      `\n${p.bold('2. Every lab personality, one row each')} — each status is what a real server of that kind gives you\n\n`,
    );
    rc.out.write(renderCapsSummary(rows, rc));
    rc.out.write(
      `\n${p.bold(`3. smtp-probe mx ${DEMO_WALK_DOMAIN}`)} — the MX hosts in the order a sender tries them: one refuses, one is a blackhole\n\n`,
    );
    renderEnvelope(walkEnv, rc, (r) => renderMx(r, rc));
    rc.out.write(
      `\n${p.bold(`4. smtp-probe failover ${DEMO_FAILOVER_DOMAIN} --profile bsd-tcp --assume-down ${DEMO_ASSUME_DOWN}`)} — rehearse losing a host\n\n`,
    );
    renderEnvelope(failoverEnv, rc, (r) => renderFailover(r, rc));
    rc.out.write(
      `\n${p.bold(`5. smtp-probe failover ${DEMO_STS_DOMAIN} --mta-sts`)} — a sender that enforces the domain's MTA-STS policy skips an MX whose certificate does not name it\n\n`,
    );
    renderEnvelope(stsEnv, rc, (r) => renderFailover(r, rc));
    rc.out.write(
      `\n${p.bold(`6. ${auditTitle}`)} — many sites at once: who gives names away, who relays\n\n`,
    );
    renderEnvelope(auditEnv, rc, (r) => renderAudit(r, rc));
    rc.out.write(
      `\n${p.bold(`7. ${sendTitle}`)} — one test message end to end through the MX; the server's queue id is read back\n\n`,
    );
    renderEnvelope(sendEnv, rc, (r) => renderSend(r, rc));
    rc.out.write(
      `\nNext: run ${p.cyan('smtp-probe lab')} in one terminal, then in another ${p.cyan('smtp-probe caps 127.0.0.10:2525 --transcript')}\nor ${p.cyan('smtp-probe mx mlfarm.test --resolver 127.0.0.1:2553 --port 2525')}; or point them at mail servers you are allowed to probe.\n`,
    );
    return exit;
  } finally {
    await lab.close();
  }
}
