/**
 * startLab: the simulated mail network. Every host of the host table
 * (hosts.ts: the personality hosts, then the MX-walk scenario hosts, then
 * the audit sites' hosts when asked for: sites.ts) listens
 * on its own loopback address(es), all on one port, and runs the one engine;
 * a DNS server answers for the zone `test.` (zone.ts) on 127.0.0.1; one
 * blackhole address drops connects. Every SMTP command line and DNS question
 * is logged. Nothing listens beyond 127.0.0.0/8 and ::1; root is used only
 * for the nftables blackhole, and only when we already are root.
 */
import type { Server } from 'node:net';
import { invalidInput } from '../errors.js';
import { formatEndpoint } from '../net/target.js';
import { startBlackhole, type Blackhole, type BlackholeMethod } from './blackhole.js';
import { createLabPki, type LabPki } from './certs.js';
import {
  acceptor,
  record,
  MAX_LOG_ENTRIES,
  type LabLogEntry,
  type LabSession,
  type Logs,
} from './accept.js';
import type { LabConnection } from './connection.js';
import { listenHosts } from './listen.js';
import {
  DEFAULT_LAB_DNS_PORT,
  startDnsServer,
  type DnsQueryLog,
  type LabDnsServer,
} from './dns-server.js';
import { labHostTable, type LabHostSpec } from './hosts.js';
import {
  certificateHosts,
  checkDescriptors,
  labSites,
  type LabSiteHost,
  type LabSites,
} from './lab-sites.js';
import { PERSONALITIES } from './personalities.js';
import type { Personality } from './personality.js';
import { LAB_SCENARIOS } from './scenarios.js';
import { planSites, SITES_ZONE } from './sites.js';
import { buildZone, Zone } from './zone.js';

export { MAX_LOG_ENTRIES, type LabLogEntry, type LabSession, type LabSiteHost, type LabSites };

/** DEFAULT_LAB_PORT: the submission-alternate port, unprivileged and familiar to mail admins. */
export const DEFAULT_LAB_PORT = 2525;

/**
 * LabHost: one host of the lab. `listening` is false for a host where no
 * SMTP server runs: connects are refused (`closed`) or time out (`blackhole`).
 */
export interface LabHost {
  /** name: the host name it answers as (`esmtp.lab.test`, `mx1.mlfarm.test`). */
  name: string;
  /** address: its first address (the one to show and to probe). */
  address: string;
  /** addresses: all of them (sun.noao.test has two, mx.v6.test 127.0.0.32 and ::1); every one listens alike. */
  addresses: string[];
  /** port: the lab's one SMTP port (`lab.port`). */
  port: number;
  /** personality: the Personality's name (`esmtp`, `mx`, `closed`, `blackhole`). */
  personality: string;
  description: string;
  listening: boolean;
  /**
   * scenario: the LAB_SCENARIOS domain this host was made for
   * (`mlfarm.test`), or null for a personality's own host (`*.lab.test`):
   * the demo tours the null ones, MX walks reach the others through DNS.
   */
  scenario: string | null;
}

/** Lab: a running lab. Call close() when done: it holds sockets, a temp file, and for the blackhole a child process or an nftables table. */
export interface Lab {
  hosts: LabHost[];
  /** port: the SMTP port every host listens on (a free one when started with port 0). */
  port: number;
  /** dns: where the lab's DNS server answers for `test.` over UDP and TCP (`dig @127.0.0.1 -p <port> mlfarm.test MX`). */
  dns: { address: string; port: number };
  /** blackhole: the address whose connects time out and how that was done; null when its host was not started. */
  blackhole: { address: string; port: number; method: BlackholeMethod } | null;
  /** caCertPem: the lab CA that signed every TLS host's certificate; trust it to see chains verify. */
  caCertPem: string;
  /** caCertFile: the same PEM in a temp file (for `--ca` / `caFiles`); deleted by close(). */
  caCertFile: string;
  /** log: every SMTP command line received, oldest first (bounded by MAX_LOG_ENTRIES). */
  log: readonly LabLogEntry[];
  /** dnsLog: every DNS query received, oldest first (bounded by MAX_LOG_ENTRIES). */
  dnsLog: readonly DnsQueryLog[];
  /** sessions: every SMTP connection accepted, oldest first (bounded by MAX_LOG_ENTRIES). */
  sessions: readonly LabSession[];
  /** sites: the audit sites (LabOptions.sites): their domains and hosts, which `hosts` does not list. */
  sites: LabSites;
  /**
   * host: the host named `key` (`mx1.mlfarm.test`, `mx-s1.sites.test`), else a
   * personality's own host (`esmtp`), else the first host playing that
   * personality (`mx`, `site-mute`); throws if the lab was started without it.
   */
  host(key: string): LabHost;
  /** close: drop every connection, stop listening (SMTP and DNS), remove the blackhole, delete the CA file. Safe to call twice. */
  close(): Promise<void>;
}

/** LabOptions: what to start and where. */
export interface LabOptions {
  /** port: the SMTP port of every host; default 2525; 0: one free port for all of them (parallel tests). */
  port?: number;
  /** dnsPort: the DNS port (UDP and TCP); default 2553, or a free one when `port` is 0; 0: a free one. */
  dnsPort?: number;
  /**
   * hosts: what to start: personality names (`esmtp`: its own host), host
   * names (`mx1.mlfarm.test`) or scenario domains (`blackhole.test`: all its
   * hosts); default all. DNS always serves the whole zone.
   */
  hosts?: string[];
  /** personalities: the catalogue to draw from (default PERSONALITIES), e.g. one with a shorter slow-greeting delay. */
  personalities?: readonly Personality[];
  /** blackhole: how to make the blackhole; default 'auto' (nftables when root with nft, else a full accept queue). */
  blackhole?: BlackholeMethod | 'auto';
  /** greylistDelayMs: how long greylisting hosts (greylist.test) defer a new triplet; default GREYLIST_DELAY_MS (2 s). */
  greylistDelayMs?: number;
  /** throttleSleepMs: the per-reply sleep of hosts with error limits (throttle.test) once over the soft limit; default 1 s, as Postfix. */
  throttleSleepMs?: number;
  /**
   * sites: how many audit sites to add (0 to MAX_SITES; default 0): the domains
   * siteDomains(sites) names, under sites.test, with their hosts on 127.1.0.0/16
   * and up, whatever `hosts` says. Each SMTP host is a listening socket, so the
   * open-file limit must allow them (see docs/lab.md).
   */
  sites?: number;
}

/** LabRow: one line of the `lab` table, as data. */
export interface LabRow {
  name: string;
  /** endpoint: every address with the port, and what a connect gets when nothing serves SMTP there. */
  endpoint: string;
  personality: string;
  description: string;
  scenario: string | null;
}

const serves = (h: LabHostSpec): boolean => (h.personality.listen ?? true) === true;

function selects(h: LabHostSpec, key: string): boolean {
  return (
    h.name === key || h.scenario === key || (h.scenario === null && h.personality.name === key)
  );
}

function choose(table: LabHostSpec[], keys: string[] | undefined): LabHostSpec[] {
  if (!keys) return table;
  const domains = new Set(LAB_SCENARIOS.map((s) => s.domain));
  const unknown = keys.filter((k) => !domains.has(k) && !table.some((h) => selects(h, k)));
  if (unknown.length > 0) {
    const choices = [
      ...table.filter((h) => h.scenario === null).map((h) => h.personality.name),
      ...domains,
    ];
    throw invalidInput(
      `unknown lab host ${unknown.join(', ')}; choose from ${choices.join(', ')}, or a host name`,
    );
  }
  return table.filter((h) => keys.some((k) => selects(h, k)));
}

function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalidInput(`${what} ${port} is not a whole number from 0 to 65535`);
  return port;
}

function checkMs(ms: number | undefined, what: string): number | undefined {
  if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0))
    throw invalidInput(`${what} ${ms} is not a duration in milliseconds (0 or more)`);
  return ms;
}

/** tune: the catalogue with the LabOptions timings applied to the personalities that have them. */
function tune(catalogue: readonly Personality[], opts: LabOptions): readonly Personality[] {
  const grey = checkMs(opts.greylistDelayMs, 'greylistDelayMs');
  const sleep = checkMs(opts.throttleSleepMs, 'throttleSleepMs');
  return catalogue.map((p) => ({
    ...p,
    ...(grey !== undefined && p.rcpt?.greylist
      ? { rcpt: { ...p.rcpt, greylist: { ...p.rcpt.greylist, delayMs: grey } } }
      : {}),
    ...(sleep !== undefined && p.errorLimits
      ? { errorLimits: { ...p.errorLimits, sleepMs: sleep } }
      : {}),
  }));
}

/** Running: the lab's moving parts, for close(). */
interface Running {
  servers: Server[];
  connections: Set<LabConnection>;
  pki?: LabPki;
  dns?: LabDnsServer;
  blackhole?: Blackhole;
}

async function shutdown(r: Running): Promise<void> {
  for (const c of r.connections) c.destroy();
  await Promise.all([
    ...r.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    r.dns?.close(),
    r.blackhole?.close(),
  ]);
  await r.pki?.dispose();
}

/**
 * startLab: see the module comment. The CA, the DNS server and the SMTP
 * listeners start in parallel, then the blackhole (it needs the port). Rejects,
 * having released everything, if any part cannot start.
 */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const port = checkPort(opts.port ?? DEFAULT_LAB_PORT, 'lab port');
  const dnsPort = checkPort(
    opts.dnsPort ?? (port === 0 ? 0 : DEFAULT_LAB_DNS_PORT),
    'lab DNS port',
  );
  const plan = planSites(opts.sites ?? 0);
  const table = labHostTable(tune(opts.personalities ?? PERSONALITIES, opts), LAB_SCENARIOS, plan);
  const siteHosts = table.filter((h) => h.scenario === SITES_ZONE);
  const chosen = choose(
    table.filter((h) => h.scenario !== SITES_ZONE),
    opts.hosts,
  );
  const listening = [...chosen, ...siteHosts].filter(serves);
  if (plan.count > 0) checkDescriptors(listening.length, plan.count);
  const zone = new Zone([...buildZone(table, LAB_SCENARIOS), ...plan.records]);
  const logs: Logs = { log: [], dnsLog: [], sessions: [] };
  const r: Running = { servers: [], connections: new Set() };
  const hole = chosen.find((h) => h.personality.listen === 'blackhole');
  let smtpPort = port;
  try {
    const parts = await Promise.allSettled([
      // Up front: the personality hosts' certificates (esmtp's first STARTTLS is timed by the demo) and the
      // two every site host shares; the scenario hosts' on first use.
      createLabPki([
        ...chosen.filter((h) => serves(h) && h.personality.starttls && h.scenario === null),
        ...certificateHosts(siteHosts.filter(serves)),
      ]).then((pki) => {
        r.pki = pki;
      }),
      startDnsServer(zone, dnsPort, (e) => record(logs.dnsLog, e)).then((dns) => {
        r.dns = dns;
      }),
      listenHosts(listening, port, acceptor(r, logs), r.servers).then(async (p) => {
        smtpPort = p;
        if (hole) r.blackhole = await startBlackhole(hole.addresses[0]!, p, opts.blackhole);
      }),
    ]);
    const failed = parts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const hosts = chosen.map(
      (h): LabHost => ({
        name: h.name,
        address: h.addresses[0]!,
        addresses: [...h.addresses],
        port: smtpPort,
        personality: h.personality.name,
        description: h.description,
        listening: serves(h),
        scenario: h.scenario,
      }),
    );
    return makeLab(hosts, labSites(plan, siteHosts, smtpPort, serves), smtpPort, logs, r);
  } catch (err) {
    await shutdown(r);
    throw err;
  }
}

function makeLab(hosts: LabHost[], sites: LabSites, port: number, logs: Logs, r: Running): Lab {
  let closing: Promise<void> | undefined;
  const b = r.blackhole;
  return {
    hosts,
    port,
    dns: { address: r.dns!.address, port: r.dns!.port },
    blackhole: b ? { address: b.address, port: b.port, method: b.method } : null,
    caCertPem: r.pki!.caCertPem,
    caCertFile: r.pki!.caCertFile,
    ...logs,
    sites,
    host(key: string): LabHost {
      const h =
        hosts.find((x) => x.name === key) ??
        hosts.find((x) => x.scenario === null && x.personality === key) ??
        hosts.find((x) => x.personality === key) ??
        sites.hosts.find((x) => x.name === key || x.personality === key);
      if (!h)
        throw new Error(
          `lab has no ${key} host (started: ${hosts.map((x) => x.name).join(', ') || 'none'})`,
        );
      return h;
    },
    close: () => (closing ??= shutdown(r)),
  };
}

/** describeLab: one row per host (name, addresses:port, personality, what it does, its scenario) for a table or JSON; prints nothing. */
export function describeLab(lab: Pick<Lab, 'hosts'>): LabRow[] {
  return lab.hosts.map((h) => {
    const endpoints = h.addresses.map((a) => formatEndpoint(a, h.port)).join(', ');
    const note = h.listening
      ? ''
      : h.personality === 'blackhole'
        ? ' (connects time out)'
        : ' (nothing listens)';
    return {
      name: h.name,
      endpoint: `${endpoints}${note}`,
      personality: h.personality,
      description: h.description,
      scenario: h.scenario,
    };
  });
}
