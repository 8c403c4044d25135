/**
 * runDemo: the tour behind `smtp-probe demo` — the full caps report of the
 * lab's ESMTP host, then one row per personality so every status in the
 * catalogue shows up once. Lives in src/ so the tour is also a library call.
 */
import { startLab, type Lab, type LabHost } from '../lab/index.js';
import { formatEndpoint } from '../net/target.js';
import { toEnvelope } from '../output/envelope.js';
import { renderEnvelope, type RenderContext } from '../output/render.js';
import { renderCaps } from '../output/caps-table.js';
import { renderCapsSummary } from '../output/caps-summary.js';
import { EXIT } from '../output/exit-codes.js';
import { probeCaps } from '../probes/caps.js';
import { probeMx } from '../probes/mx.js';
import { probeFailover } from '../probes/failover.js';
import { renderMx } from '../output/mx-table.js';
import { renderFailover } from '../output/failover-table.js';

/** DEMO_CONNECT_TIMEOUT_MS: the blackhole costs the tour this much, not the 10 s default. */
const DEMO_CONNECT_TIMEOUT_MS = 2_000;
/** The lab scenarios the tour walks: three MX (refused, blackhole, good), and the seed's sun/noao case. */
const DEMO_WALK_DOMAIN = 'blackhole.test';
const DEMO_FAILOVER_DOMAIN = 'noao.test';
const DEMO_ASSUME_DOWN = 'mx.noao.test';

/** DEMO_GREETING_TIMEOUT_MS: long enough for the slow-greeting host, short enough that the silent one does not drag the tour. */
const DEMO_GREETING_TIMEOUT_MS = 4_000;

async function probeHost(lab: Lab, host: LabHost, signal: AbortSignal) {
  const target = formatEndpoint(host.address, host.port);
  const outcome = await probeCaps(target, {
    caFiles: [lab.caCertFile],
    helo: 'demo.smtp-probe.test',
    timeouts: { connectMs: 2_000, greetingMs: DEMO_GREETING_TIMEOUT_MS, commandMs: 2_000 },
    signal,
  });
  return { label: `${host.name}\n${target}`, env: toEnvelope('caps', target, outcome) };
}

/** runDemo: see the module comment. Returns the exit code (0 unless interrupted). */
export async function runDemo(rc: RenderContext, signal: AbortSignal): Promise<number> {
  const lab = await startLab({ port: 0 });
  try {
    const personalities = lab.hosts.filter((h) => h.scenario === null);
    const walkOpts = {
      resolvers: [formatEndpoint(lab.dns.address, lab.dns.port)],
      port: lab.port,
      caFiles: [lab.caCertFile],
      helo: 'demo.smtp-probe.test',
      timeouts: {
        connectMs: DEMO_CONNECT_TIMEOUT_MS,
        greetingMs: DEMO_GREETING_TIMEOUT_MS,
        commandMs: 2_000,
      },
      signal,
    };
    const [rows, walk, failover] = await Promise.all([
      Promise.all(personalities.map((h) => probeHost(lab, h, signal))),
      probeMx(DEMO_WALK_DOMAIN, walkOpts),
      probeFailover(DEMO_FAILOVER_DOMAIN, {
        ...walkOpts,
        profile: 'bsd-tcp',
        assumeDown: [DEMO_ASSUME_DOWN],
      }),
    ]);
    const walkEnv = toEnvelope('mx', DEMO_WALK_DOMAIN, walk);
    const failoverEnv = toEnvelope('failover', DEMO_FAILOVER_DOMAIN, failover);
    if (rc.format !== 'table') {
      for (const { env } of rows) renderEnvelope(env, rc, () => '');
      renderEnvelope(walkEnv, rc, () => '');
      renderEnvelope(failoverEnv, rc, () => '');
      return signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
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
      `\nNext: run ${p.cyan('smtp-probe lab')} in one terminal, then in another ${p.cyan('smtp-probe caps 127.0.0.10:2525 --transcript')}\nor ${p.cyan('smtp-probe mx mlfarm.test --resolver 127.0.0.1:2553 --port 2525')}; or point them at mail servers you are allowed to probe.\n`,
    );
    return signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
  } finally {
    await lab.close();
  }
}
