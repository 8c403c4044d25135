/**
 * An MX walk over three hosts — refused, blackhole, good (the lab's
 * blackhole.test) — at a 2 s connect timeout. Addresses are probed in
 * parallel, so the wall time should be one timeout, not the sum: printed as
 * a ratio to the timeout (goal ≤ 1.1).
 */
import { startLab } from '../src/lab/index.js';
import { probeMx } from '../src/probes/mx.js';
import { median } from './stats.js';

const CONNECT_TIMEOUT_MS = 2_000;

/** benchWalk: runs the walk `runs` times and prints the ratio of wall time to the connect timeout. */
export async function benchWalk(runs = 5): Promise<void> {
  const lab = await startLab({ port: 0, hosts: ['blackhole.test'] });
  try {
    const resolver = `${lab.dns.address}:${lab.dns.port}`;
    const walls: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const { result } = await probeMx('blackhole.test', {
        resolvers: [resolver],
        port: lab.port,
        caFiles: [lab.caCertFile],
        timeouts: { connectMs: CONNECT_TIMEOUT_MS },
      });
      walls.push(performance.now() - t);
      const outcomes = result.hosts.flatMap((h) => h.addresses.map((a) => a.status)).join(',');
      if (outcomes !== 'connection-refused,connection-timeout,ok')
        throw new Error(`unexpected walk: ${outcomes}`);
    }
    const med = median(walls);
    console.log(
      `MX walk of blackhole.test (refused, blackhole via ${lab.blackhole?.method}, good) at a ${CONNECT_TIMEOUT_MS} ms connect timeout:`,
    );
    console.log(
      `  wall median ${med.toFixed(0)} ms, max ${Math.max(...walls).toFixed(0)} ms (n=${runs})  ratio to the timeout ×${(med / CONNECT_TIMEOUT_MS).toFixed(3)} (goal ≤ 1.1; the serial sum would be ×1.0 + the other hosts, and ×N with N dead hosts)`,
    );
  } finally {
    await lab.close();
  }
}
