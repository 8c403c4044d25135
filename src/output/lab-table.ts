/** renderLab: what runs where in the lab — SMTP hosts, the DNS and HTTPS servers, the blackhole, the MX scenarios to walk. */
import { formatEndpoint } from '../net/target.js';
import type { Lab, LabScenario } from '../lab/index.js';
import { DEFAULT_WIDTH, fitTable } from './table.js';
import type { RenderContext } from './render.js';
import { displayWidth, wrapLine, wrapText } from './wrap.js';

/**
 * shellLines: a command after `prefix`, broken at spaces with a trailing
 * backslash when it does not fit, so it still pastes into a shell.
 */
function shellLines(prefix: string, command: string, width: number): string {
  const pad = ' '.repeat(displayWidth(prefix));
  const lines = wrapLine(command, width - pad.length - 2, '  ');
  return lines
    .map((l, i) => `${i === 0 ? prefix : pad}${l}${i < lines.length - 1 ? ' \\' : ''}`)
    .join('\n');
}

/** scenarioHeading: how many domains the table lists and how many of their hosts run (fewer with --host). */
function scenarioHeading(lab: Lab, scenarios: readonly LabScenario[]): string {
  const planned = scenarios.reduce((n, s) => n + s.hosts.length, 0);
  const running = lab.hosts.filter((h) => h.scenario !== null).length;
  const hosts =
    running === planned
      ? `${running} more host${running === 1 ? '' : 's'}`
      : `${running} of their ${planned} host${planned === 1 ? '' : 's'}`;
  return `MX scenarios: ${scenarios.length} domain${scenarios.length === 1 ? '' : 's'} in the lab's DNS, served by ${hosts} on port ${lab.port}`;
}

/** renderLab: the personality hosts, the scenarios, and how to probe them. */
export function renderLab(lab: Lab, scenarios: readonly LabScenario[], rc: RenderContext): string {
  const p = rc.paint;
  const width = rc.width ?? DEFAULT_WIDTH;
  // Narrow terminals: the endpoint, then the personality, join the host name's cell.
  const hosts = fitTable(
    rc,
    [
      { head: 'host' },
      { head: 'listens on', fit: 'keep', fold: 0, foldOrder: 1 },
      { head: 'personality', fit: 'keep', fold: 0, foldOrder: 2 },
      { head: 'behaviour', min: 30 },
    ],
    lab.hosts
      .filter((x) => x.scenario === null)
      .map((h) => [h.name, formatEndpoint(h.address, h.port), h.personality, h.description]),
  );
  const walks = fitTable(
    rc,
    [
      { head: 'domain', fit: 'keep' },
      { head: 'what a walk of it shows', min: 30 },
    ],
    scenarios.map((s) => [s.domain, s.description]),
  );
  const dns = formatEndpoint(lab.dns.address, lab.dns.port);
  const bh = lab.blackhole
    ? `${formatEndpoint(lab.blackhole.address, lab.blackhole.port)} (connects time out; made with ${lab.blackhole.method})`
    : 'not started';
  const sample =
    lab.hosts.find((h) => h.personality === 'esmtp') ?? lab.hosts.find((h) => h.listening);
  const prose = (text: string): string => wrapText(text, width, '  ');
  return [
    p.bold('SMTP hosts'),
    hosts,
    '',
    prose(`${p.bold('DNS')} for the .test zone: ${dns} (UDP and TCP)`),
    prose(
      `${p.bold('HTTPS')} for the MTA-STS policies (mta-sts.<domain>): ${formatEndpoint(lab.https.address, lab.https.port)}; DNS over HTTPS: ${lab.dohUrl}`,
    ),
    prose(`${p.bold('Blackhole:')} ${bh}`),
    '',
    p.bold(prose(scenarioHeading(lab, scenarios))),
    walks,
    '',
    prose(`Trusted CA for the TLS hosts: ${lab.caCertFile}`),
    shellLines(
      'Try: ',
      `smtp-probe caps ${sample ? formatEndpoint(sample.address, lab.port) : `127.0.0.10:${lab.port}`} --ca ${lab.caCertFile}`,
      width,
    ),
    shellLines(
      '     ',
      `smtp-probe mx blackhole.test --resolver ${dns} --port ${lab.port} --connect-timeout 2s`,
      width,
    ),
    shellLines(
      '     ',
      `smtp-probe failover noao.test --resolver ${dns} --port ${lab.port} --assume-down mx.noao.test`,
      width,
    ),
    'Ctrl-C stops the lab.',
    '',
  ].join('\n');
}
