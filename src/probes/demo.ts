/**
 * runDemo: the tour behind `smtp-probe demo` — the full caps report of the
 * lab's ESMTP host, then one row per personality so every status in the
 * catalogue shows up once. Lives in src/ so the tour is also a library call.
 */
import { startLab, type Lab, type LabHost } from '../lab/index.js';
import { formatEndpoint } from '../core/target.js';
import { toEnvelope } from '../output/envelope.js';
import { renderEnvelope, type RenderContext } from '../output/render.js';
import { renderCaps } from '../output/caps-table.js';
import { renderCapsSummary } from '../output/caps-summary.js';
import { EXIT } from '../output/exit-codes.js';
import { probeCaps } from './caps.js';

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
    const rows = await Promise.all(lab.hosts.map((h) => probeHost(lab, h, signal)));
    if (rc.format !== 'table') {
      for (const { env } of rows) renderEnvelope(env, rc, () => '');
      return signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
    }
    const p = rc.paint;
    const esmtp = lab.host('esmtp');
    const main = rows[lab.hosts.indexOf(esmtp)]!;
    rc.out.write(`${p.bold('smtp-probe demo')}: a simulated mail network of ${lab.hosts.length} hosts is running on loopback.\n\n`);
    rc.out.write(`${p.bold(`1. smtp-probe caps ${main.env.target}`)} (${esmtp.description})\n\n`);
    renderEnvelope(main.env, rc, (r) => renderCaps(r, rc));
    rc.out.write(`\n${p.bold('2. Every lab host, one row each')} — each status is what a real server of that kind gives you\n\n`);
    rc.out.write(renderCapsSummary(rows, rc));
    rc.out.write(`\nNext: run ${p.cyan('smtp-probe lab')} in one terminal and ${p.cyan('smtp-probe caps 127.0.0.10:2525 --transcript')} in another,\nor point ${p.cyan('smtp-probe caps')} at a mail server you are allowed to probe.\n`);
    return signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
  } finally {
    await lab.close();
  }
}
