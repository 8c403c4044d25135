/** renderLab: what runs where in the lab — SMTP hosts, the DNS server, the blackhole, the MX scenarios to walk. */
import { formatEndpoint } from '../net/target.js';
import type { Lab, LabScenario } from '../lab/index.js';
import { table } from './caps-table.js';
import type { RenderContext } from './render.js';

/** renderLab: the personality hosts, the scenarios, and how to probe them. */
export function renderLab(lab: Lab, scenarios: readonly LabScenario[], rc: RenderContext): string {
  const p = rc.paint;
  const hosts = table(rc, ['host', 'listens on', 'personality', 'behaviour'], [24, 17, 15]);
  for (const h of lab.hosts.filter((x) => x.scenario === null))
    hosts.push([h.name, formatEndpoint(h.address, h.port), h.personality, h.description]);
  const walks = table(rc, ['domain', 'what a walk of it shows'], [22]);
  for (const s of scenarios) walks.push([s.domain, s.description]);
  const dns = formatEndpoint(lab.dns.address, lab.dns.port);
  const bh = lab.blackhole
    ? `${formatEndpoint(lab.blackhole.address, lab.blackhole.port)} (connects time out; made with ${lab.blackhole.method})`
    : 'not started';
  const sample =
    lab.hosts.find((h) => h.personality === 'esmtp') ?? lab.hosts.find((h) => h.listening);
  return [
    p.bold('SMTP hosts'),
    hosts.toString(),
    '',
    `${p.bold('DNS')} for the .test zone: ${dns} (UDP and TCP)   ${p.bold('Blackhole:')} ${bh}`,
    '',
    p.bold(
      `MX scenarios (${lab.hosts.filter((h) => h.scenario !== null).length} more hosts on port ${lab.port})`,
    ),
    walks.toString(),
    '',
    `Trusted CA for the TLS hosts: ${lab.caCertFile}`,
    `Try: smtp-probe caps ${sample ? formatEndpoint(sample.address, lab.port) : `127.0.0.10:${lab.port}`} --ca ${lab.caCertFile}`,
    `     smtp-probe mx blackhole.test --resolver ${dns} --port ${lab.port} --connect-timeout 2s`,
    `     smtp-probe failover noao.test --resolver ${dns} --port ${lab.port} --assume-down mx.noao.test`,
    'Ctrl-C stops the lab.',
    '',
  ].join('\n');
}
