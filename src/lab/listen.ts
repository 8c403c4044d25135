/**
 * listenHosts: every address of every serving lab host on one TCP port. One
 * port for all is what lets an MX walk reach the lab: DNS gives addresses,
 * never ports. With port 0 the port is chosen by first binding an anchor on
 * 127.0.0.2 — every lab anchors there, so two labs can never be handed the
 * same port — and retried if some other program holds it on a host address.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { LabHostSpec } from './hosts.js';

// Per host: enough for parallel tests and benchmarks, few enough that a runaway client cannot exhaust file descriptors.
const MAX_CONNECTIONS_PER_HOST = 64;
/**
 * ANCHOR_ADDRESS: where a lab started with port 0 holds its port. While it is
 * held there (and on the hosts' addresses) nothing can bind the port on
 * 0.0.0.0, so a connect to a `closed` host's address is certain to be refused.
 */
export const ANCHOR_ADDRESS = '127.0.0.2';
const PORT_ATTEMPTS = 8;

/** listen: a TCP server on address:port, resolved once it listens; rejects with the raw error. */
function listen(address: string, port: number, onSocket: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Half-open, as an MTA's socket is: a client's FIN right after QUIT still gets its replies.
    const server = createServer({ allowHalfOpen: true }, onSocket);
    server.maxConnections = MAX_CONNECTIONS_PER_HOST;
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

/** listenError: the error a user sees, saying what to do on the usual failures. */
function listenError(address: string, port: number, err: NodeJS.ErrnoException): Error {
  const hint =
    err.code === 'EADDRINUSE'
      ? 'the port is taken (another lab running?); try port 0 for a free one'
      : err.code === 'EADDRNOTAVAIL'
        ? `${address} is not configured; Linux routes all of 127.0.0.0/8 to loopback, macOS needs \`sudo ifconfig lo0 alias ${address}\``
        : err.code === 'EACCES'
          ? 'ports below 1024 need privileges; use the default 2525 or 0'
          : err.message;
  return new Error(`lab cannot listen on ${address}:${port}: ${err.code ?? 'error'}: ${hint}`, {
    cause: err,
  });
}

const close = async (servers: Server[]): Promise<void> => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
};

/**
 * listenHosts: see the module comment. Pushes every server it keeps to
 * `servers` (the caller closes them) and resolves with the port.
 */
export async function listenHosts(
  hosts: readonly LabHostSpec[],
  port: number,
  accept: (h: LabHostSpec) => (s: Socket) => void,
  servers: Server[],
): Promise<number> {
  const endpoints = hosts.flatMap((h) =>
    h.addresses.map((address) => ({ address, onSocket: accept(h) })),
  );
  for (let attempt = 1; ; attempt++) {
    const held: Server[] = [];
    let chosen = port;
    if (port === 0) {
      const anchor = await listen(ANCHOR_ADDRESS, 0, (s) => s.destroy()).catch((err) => {
        throw listenError(ANCHOR_ADDRESS, 0, err);
      });
      held.push(anchor);
      chosen = (anchor.address() as { port: number }).port;
    }
    const started = await Promise.allSettled(
      endpoints.map((e) => listen(e.address, chosen, e.onSocket)),
    );
    for (const s of started) if (s.status === 'fulfilled') held.push(s.value);
    const i = started.findIndex((s) => s.status === 'rejected');
    if (i === -1) {
      servers.push(...held);
      return chosen;
    }
    await close(held);
    const err = (started[i] as PromiseRejectedResult).reason as NodeJS.ErrnoException;
    if (port !== 0 || err.code !== 'EADDRINUSE' || attempt >= PORT_ATTEMPTS)
      throw listenError(endpoints[i]!.address, chosen, err);
  }
}
