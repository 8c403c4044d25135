/** Small helpers for benchmarks: medians and percentiles of samples in ms, and a counting relay. */
import { connect, createServer } from 'node:net';

/** median: the middle sample (mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** percentile: the p-th percentile (nearest rank). */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** row: one printed benchmark line with the ratio to its baseline. */
export function row(name: string, samples: number[], baseline?: number): string {
  const med = median(samples);
  const ratio = baseline ? `  ×${(med / baseline).toFixed(2)}` : '';
  return `${name.padEnd(44)} median ${med.toFixed(1).padStart(8)} ms  p90 ${percentile(samples, 90).toFixed(1).padStart(8)} ms  (n=${samples.length})${ratio}`;
}

/** range: "lo" or "lo–hi" of counts that may vary between runs. */
export function range(xs: number[]): string {
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  return lo === hi ? `${lo}` : `${lo}–${hi}`;
}

/** RelayedSession: what a Relay saw of one connection: round trips waited for, 4xx/5xx replies. */
export interface RelayedSession {
  trips: number;
  errors: number;
}

/** Relay: a listening relay (127.0.0.1) and its sessions, oldest first; close() stops listening. */
export interface Relay {
  port: number;
  sessions: RelayedSession[];
  close(): Promise<void>;
}

/**
 * startRelay: relays each connection to `target`, counting per connection its round trips (one
 * for the TCP handshake, one per server flight that follows a client flight: a pipelined group is
 * one, and the greeting one) and the SMTP replies whose final line is 4xx or 5xx. Put it on the
 * client's side of a latency proxy; at 0 ms a reply can overtake a group and count twice.
 */
export async function startRelay(target: { address: string; port: number }): Promise<Relay> {
  const sessions: RelayedSession[] = [];
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const seen: RelayedSession = { trips: 1, errors: 0 };
    sessions.push(seen);
    const up = connect({ host: target.address, port: target.port, allowHalfOpen: true });
    let [last, partial] = ['', ''];
    for (const s of [client, up]) {
      s.setNoDelay(true); // Nagle against delayed ACKs would add waits of the relay's own
      s.on('error', () => {
        client.destroy();
        up.destroy();
      });
    }
    client.on('data', (d) => {
      last = 'client';
      up.write(d);
    });
    up.on('data', (d: Buffer) => {
      if (last !== 'server') seen.trips++;
      last = 'server';
      const lines = (partial + d.toString('latin1')).split('\r\n');
      partial = lines.pop()!;
      seen.errors += lines.filter((l) => /^[45]\d\d /.test(l)).length;
      client.write(d);
    });
    client.on('end', () => up.end());
    up.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, sessions, close: () => new Promise((r) => server.close(() => r())) };
}
