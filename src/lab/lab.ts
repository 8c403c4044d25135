/**
 * startLab: the simulated mail network. Each personality listens on its own
 * 127.0.0.x address (all on one port, or each on a free port), runs the one
 * engine, and records every command line it hears in `lab.log`. Nothing
 * listens beyond 127.0.0.0/8 and ::1, and nothing needs root.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { invalidInput } from '../errors.js';
import { formatEndpoint } from '../core/target.js';
import { createLabPki, type LabPki } from './certs.js';
import { LabConnection } from './connection.js';
import { PERSONALITIES } from './personalities.js';
import { hostnameOf, isLoopback, type Personality } from './personality.js';

/** DEFAULT_LAB_PORT: the submission-alternate port, unprivileged and familiar to mail admins. */
export const DEFAULT_LAB_PORT = 2525;
/** MAX_LOG_ENTRIES: `lab.log` keeps the newest entries up to this many, so a long-running lab stays small. */
export const MAX_LOG_ENTRIES = 10_000;
// Per host: enough for parallel tests and benchmarks, few enough that a runaway client cannot exhaust file descriptors.
const MAX_CONNECTIONS_PER_HOST = 64;
// Where a port is held when only hosts that start no listener were asked for (see closedHostPort).
const RESERVE_ADDRESS = '127.0.0.2';

/** LabHost: one host of the lab. `listening` is false for a host that refuses connections (the `closed` personality). */
export interface LabHost {
  /** name: the host name it answers as (`esmtp.lab.test`). */
  name: string;
  address: string;
  port: number;
  /** personality: the Personality's name (`esmtp`), what `lab.host()` takes. */
  personality: string;
  description: string;
  listening: boolean;
}

/** LabLogEntry: one command line a lab host received, as received (CRLF removed). */
export interface LabLogEntry {
  /** at: Date.now() when it arrived. */
  at: number;
  /** host: the host name (`esmtp.lab.test`). */
  host: string;
  personality: string;
  /** conn: the connection's number, counting from 1 across the lab. */
  conn: number;
  /** remote: the client's "address:port". */
  remote: string;
  /** tls: whether the line came over TLS. */
  tls: boolean;
  line: string;
}

/** Lab: a running lab. Call close() when done: it holds sockets and a temp file. */
export interface Lab {
  hosts: LabHost[];
  /** caCertPem: the lab CA that signed every TLS host's certificate; trust it to see chains verify. */
  caCertPem: string;
  /** caCertFile: the same PEM in a temp file (for `--ca` / `caFiles`); deleted by close(). */
  caCertFile: string;
  /** log: every command line received, oldest first (bounded by MAX_LOG_ENTRIES). */
  log: readonly LabLogEntry[];
  /** host: the host of a personality; throws if the lab was started without it. */
  host(personality: string): LabHost;
  /** close: drop every connection, stop listening, delete the CA file. Safe to call twice. */
  close(): Promise<void>;
}

/** LabOptions: what to start and where. */
export interface LabOptions {
  /** port: for every host; default 2525; 0 gives each host a free port (parallel tests). */
  port?: number;
  /** hosts: personality names to start; default all. */
  hosts?: string[];
  /** personalities: the catalogue to draw from (default PERSONALITIES), e.g. one with a shorter slow-greeting delay. */
  personalities?: readonly Personality[];
}

/** LabRow: one line of the `lab` table, as data. */
export interface LabRow {
  name: string;
  endpoint: string;
  personality: string;
  description: string;
}

function choose(opts: LabOptions): Personality[] {
  const catalogue = opts.personalities ?? PERSONALITIES;
  const known = new Set(catalogue.map((p) => p.name));
  const unknown = (opts.hosts ?? []).filter((h) => !known.has(h));
  if (unknown.length > 0) throw invalidInput(`unknown lab host ${unknown.join(', ')}; choose from ${[...known].join(', ')}`);
  const chosen = opts.hosts ? catalogue.filter((p) => opts.hosts!.includes(p.name)) : [...catalogue];
  const outside = chosen.find((p) => !isLoopback(p.address));
  // The lab must never listen where another machine could reach it.
  if (outside) throw invalidInput(`lab host ${outside.name}: ${outside.address} is not a loopback address (127.0.0.0/8 or ::1)`);
  return chosen;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidInput(`lab port ${port} is not a whole number from 0 to 65535`);
  return port;
}

/** listen: a TCP server on address:port, resolved once it listens; the error says what to do on the usual failures. */
function listen(address: string, port: number, onSocket: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onSocket);
    server.maxConnections = MAX_CONNECTIONS_PER_HOST;
    const onError = (err: NodeJS.ErrnoException): void => reject(listenError(address, port, err));
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

function listenError(address: string, port: number, err: NodeJS.ErrnoException): Error {
  const hint = err.code === 'EADDRINUSE' ? 'the port is taken (another lab running?); try port 0 for free ports'
    : err.code === 'EADDRNOTAVAIL' ? `${address} is not configured; Linux routes all of 127.0.0.0/8 to loopback, macOS needs \`sudo ifconfig lo0 alias ${address}\``
    : err.code === 'EACCES' ? 'ports below 1024 need privileges; use the default 2525 or 0'
    : err.message;
  return new Error(`lab cannot listen on ${address}:${port}: ${err.code ?? 'error'}: ${hint}`, { cause: err });
}

/** Running: the lab's moving parts, for close(). */
interface Running {
  servers: Server[];
  connections: Set<LabConnection>;
  pki?: LabPki;
}

async function shutdown(r: Running): Promise<void> {
  for (const c of r.connections) c.destroy();
  await Promise.all(r.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await r.pki?.dispose();
}

/**
 * closedHostPort: the port a non-listening host reports. With a fixed port it
 * is that port. With port 0 it borrows a port a lab listener holds on another
 * address: while that listener exists nothing can take the port on 0.0.0.0, so
 * a connect to the closed host's address is certain to be refused.
 */
async function closedHostPort(port: number, ports: number[], r: Running): Promise<number> {
  if (port !== 0) return port;
  if (ports[0] !== undefined) return ports[0];
  const reserve = await listen(RESERVE_ADDRESS, 0, (s) => s.destroy());
  r.servers.push(reserve);
  return (reserve.address() as { port: number }).port;
}

/** startLab: see the module comment. Rejects (having released everything) if any host cannot listen. */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const port = checkPort(opts.port ?? DEFAULT_LAB_PORT);
  const chosen = choose(opts);
  const listening = chosen.filter((p) => p.listen !== false);
  const log: LabLogEntry[] = [];
  const r: Running = { servers: [], connections: new Set() };
  let conns = 0;
  try {
    r.pki = await createLabPki(listening.filter((p) => p.starttls));
    const accept = (p: Personality) => (socket: Socket): void => {
      const entry = { host: hostnameOf(p), personality: p.name, conn: ++conns, remote: `${socket.remoteAddress}:${socket.remotePort}` };
      const c = new LabConnection(socket, {
        personality: p,
        secureContext: r.pki!.contexts.get(p.name),
        log: (line, tls) => record(log, { ...entry, at: Date.now(), tls, line }),
        onClose: () => r.connections.delete(c),
      });
      r.connections.add(c);
      c.start();
    };
    const started = await Promise.allSettled(listening.map((p) => listen(p.address, port, accept(p))));
    for (const s of started) if (s.status === 'fulfilled') r.servers.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const ports = new Map(listening.map((p, i) => [p.name, (r.servers[i]!.address() as { port: number }).port]));
    const closedPort = chosen.length > listening.length ? await closedHostPort(port, [...ports.values()], r) : port;
    const hosts = chosen.map((p): LabHost => ({
      name: hostnameOf(p), address: p.address, port: ports.get(p.name) ?? closedPort,
      personality: p.name, description: p.description, listening: ports.has(p.name),
    }));
    return makeLab(hosts, log, r);
  } catch (err) {
    await shutdown(r);
    throw err;
  }
}

function record(log: LabLogEntry[], entry: LabLogEntry): void {
  // Drop the oldest half at once: one splice per 5,000 lines instead of a shift per line.
  if (log.length >= MAX_LOG_ENTRIES) log.splice(0, MAX_LOG_ENTRIES / 2);
  log.push(entry);
}

function makeLab(hosts: LabHost[], log: LabLogEntry[], r: Running): Lab {
  let closing: Promise<void> | undefined;
  return {
    hosts,
    caCertPem: r.pki!.caCertPem,
    caCertFile: r.pki!.caCertFile,
    log,
    host(personality: string): LabHost {
      const h = hosts.find((x) => x.personality === personality);
      if (!h) throw new Error(`lab has no ${personality} host (started: ${hosts.map((x) => x.personality).join(', ') || 'none'})`);
      return h;
    },
    close: () => (closing ??= shutdown(r)),
  };
}

/** describeLab: one row per host (name, address:port, personality, what it does) for a table or JSON; prints nothing. */
export function describeLab(lab: Pick<Lab, 'hosts'>): LabRow[] {
  return lab.hosts.map((h) => ({
    name: h.name,
    endpoint: `${formatEndpoint(h.address, h.port)}${h.listening ? '' : ' (nothing listens)'}`,
    personality: h.personality,
    description: h.description,
  }));
}
