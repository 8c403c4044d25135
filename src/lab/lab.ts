/**
 * startLab: the simulated mail network. Every host of the host table
 * (hosts.ts: the personality hosts, then the MX-walk scenario hosts, then
 * the audit sites' hosts when asked for: sites.ts) listens
 * on its own loopback address(es), all on one port, and runs the one engine;
 * a DNS server answers for the zone `test.` (zone.ts) on 127.0.0.1; an HTTPS
 * server (https-server.ts) on 127.0.0.49 serves the MTA-STS policies and DNS
 * over HTTPS; one blackhole address drops connects. Every SMTP command line
 * and DNS question (over DoH too) is logged, and every message a host
 * accepts is kept (`messages`; only `esmtp` takes mail). Nothing listens beyond
 * 127.0.0.0/8 and ::1; root is used only for the nftables blackhole, and
 * only when we already are root. LabOptions are read in lab-options.ts.
 */
import type { Server } from 'node:net';
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
import { MessageStore, type StoredMessage } from './messages.js';
import {
  DEFAULT_LAB_DNS_PORT,
  startDnsServer,
  type DnsQueryLog,
  type LabDnsServer,
} from './dns-server.js';
import { labHostTable, type LabHostSpec } from './hosts.js';
import { checkPort, choose, tune, type LabOptions } from './lab-options.js';
import {
  DEFAULT_LAB_HTTPS_PORT,
  DOH_PATH,
  httpsTlsHost,
  startHttpsServer,
  type LabHttpsServer,
} from './https-server.js';
import {
  certificateHosts,
  checkDescriptors,
  labSites,
  type LabSiteHost,
  type LabSites,
} from './lab-sites.js';
import { PERSONALITIES } from './personalities.js';
import { LAB_SCENARIOS } from './scenarios.js';
import { planSites, SITES_ZONE } from './sites.js';
import { tlsaRecords } from './tlsa.js';
import { buildZone, Zone } from './zone.js';

export {
  MAX_LOG_ENTRIES,
  type LabLogEntry,
  type LabSession,
  type LabSiteHost,
  type LabSites,
  type StoredMessage,
};
export type { LabOptions };

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
  /**
   * https: the lab's HTTPS server (127.0.0.49): `mta-sts.<domain>` of the
   * policy scenarios (a client needs the lab CA and this port for the policy
   * fetch) and DNS over HTTPS at `dohUrl`.
   */
  https: { address: string; port: number };
  /** dohUrl: the lab zone over DNS over HTTPS (RFC 8484): `https://127.0.0.49:<https port>/dns-query`. */
  dohUrl: string;
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
  /**
   * messages: every message a host accepted (only hosts with
   * Personality.acceptsMail do: `esmtp`), oldest first; the newest
   * MAX_STORED_MESSAGES, at most MAX_STORED_OCTETS in all. Nothing is delivered.
   */
  messages: readonly StoredMessage[];
  /** sites: the audit sites (LabOptions.sites): their domains and hosts, which `hosts` does not list. */
  sites: LabSites;
  /**
   * host: the host named `key` (`mx1.mlfarm.test`, `mx-s1.sites.test`), else a
   * personality's own host (`esmtp`), else the first host playing that
   * personality (`mx`, `site-mute`); throws if the lab was started without it.
   */
  host(key: string): LabHost;
  /** close: drop every connection, stop listening (SMTP, DNS, HTTPS), remove the blackhole, delete the CA file. Safe to call twice. */
  close(): Promise<void>;
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

/** Running: the lab's moving parts, for close(). */
interface Running {
  servers: Server[];
  connections: Set<LabConnection>;
  pki?: LabPki;
  dns?: LabDnsServer;
  https?: LabHttpsServer;
  blackhole?: Blackhole;
}

async function shutdown(r: Running): Promise<void> {
  for (const c of r.connections) c.destroy();
  await Promise.all([
    ...r.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    r.dns?.close(),
    r.https?.close(),
    r.blackhole?.close(),
  ]);
  await r.pki?.dispose();
}

/** allStarted: wait for every part; then throw the first failure, if any (the rest are up, for shutdown to release). */
async function allStarted(parts: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(parts)).find(
    (s): s is PromiseRejectedResult => s.status === 'rejected',
  );
  if (failed) throw failed.reason;
}

/**
 * startLab: see the module comment. The CA and the SMTP listeners start in
 * parallel, then the blackhole (it needs the port); then the DNS and HTTPS
 * servers, whose zone holds TLSA records made of that port and the CA's
 * leaves, so no client ever sees the zone without them. Rejects, having
 * released everything, if any part cannot start.
 */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const port = checkPort(opts.port ?? DEFAULT_LAB_PORT, 'lab port');
  const dnsPort = checkPort(
    opts.dnsPort ?? (port === 0 ? 0 : DEFAULT_LAB_DNS_PORT),
    'lab DNS port',
  );
  const httpsPort = checkPort(
    opts.httpsPort ?? (port === 0 ? 0 : DEFAULT_LAB_HTTPS_PORT),
    'lab HTTPS port',
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
  const records = [...buildZone(table, LAB_SCENARIOS), ...plan.records];
  const httpsHost = httpsTlsHost(LAB_SCENARIOS);
  const logs: Logs = { log: [], dnsLog: [], sessions: [], messages: new MessageStore() };
  const r: Running = { servers: [], connections: new Set() };
  const hole = chosen.find((h) => h.personality.listen === 'blackhole');
  let smtpPort = port;
  try {
    await allStarted([
      // Up front: the personality hosts' certificates (esmtp's first STARTTLS is timed by the demo), the
      // two every site host shares, those TLSA records digest and the HTTPS server's; the other scenario
      // hosts' on first use.
      createLabPki([
        ...chosen.filter((h) => serves(h) && h.personality.starttls && h.scenario === null),
        ...certificateHosts(siteHosts.filter(serves)),
        ...table.filter((h) => h.tlsa === 'leaf'),
        httpsHost,
      ]).then((pki) => {
        r.pki = pki;
      }),
      listenHosts(listening, port, acceptor(r, logs), r.servers).then(async (p) => {
        smtpPort = p;
        if (hole) r.blackhole = await startBlackhole(hole.addresses[0]!, p, opts.blackhole);
      }),
    ]);
    const pki = r.pki!;
    const zone = new Zone([...records, ...(await tlsaRecords(table, smtpPort, pki))]);
    const logDns = (e: DnsQueryLog): void => record(logs.dnsLog, e);
    await allStarted([
      startDnsServer(zone, dnsPort, logDns).then((dns) => {
        r.dns = dns;
      }),
      pki
        .leaf(httpsHost)
        .then((leaf) =>
          startHttpsServer({ port: httpsPort, leaf, zone, scenarios: LAB_SCENARIOS, log: logDns }),
        )
        .then((https) => {
          r.https = https;
        }),
    ]);
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
    https: { address: r.https!.address, port: r.https!.port },
    dohUrl: `https://${formatEndpoint(r.https!.address, r.https!.port)}${DOH_PATH}`,
    blackhole: b ? { address: b.address, port: b.port, method: b.method } : null,
    caCertPem: r.pki!.caCertPem,
    caCertFile: r.pki!.caCertFile,
    log: logs.log,
    dnsLog: logs.dnsLog,
    sessions: logs.sessions,
    messages: logs.messages.messages,
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
