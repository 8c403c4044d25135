/**
 * verify across domains that share a dead host: each domain is told to try
 * the lab's blackhole first, then a good host (--server). Domains run in
 * parallel and a host that failed once in the run is not dialled again, so
 * N domains should cost one connect timeout, not N: printed as the ratio of
 * N domains' wall time to one domain's (goal ≈ 1; dialling the dead host per
 * domain, one domain after another, would be ≈ N).
 */
import { startLab } from '../src/lab/index.js';
import { probeVerify } from '../src/probes/verify.js';
import { median } from './stats.js';

const CONNECT_TIMEOUT_MS = 1_000;
const DOMAINS = ['mlfarm.test', 'noao.test', 'catchall.test', 'tuc.test'];

/** benchVerifyDomains: one domain, then all of them, `runs` times each; prints the ratio. */
export async function benchVerifyDomains(runs = 3): Promise<void> {
  const lab = await startLab({ port: 0 });
  try {
    if (!lab.blackhole) throw new Error('the lab started without its blackhole');
    const servers = [
      { host: lab.blackhole.address, port: lab.port },
      { host: lab.host('esmtp').address, port: lab.port },
    ];
    const wall = async (domains: string[]): Promise<number> => {
      const t = performance.now();
      const { result } = await probeVerify(
        domains.map((d) => `alice@${d}`),
        {
          servers,
          port: lab.port,
          catchAll: false,
          caFiles: [lab.caCertFile],
          timeouts: { connectMs: CONNECT_TIMEOUT_MS },
        },
      );
      const ms = performance.now() - t;
      // Every address must have been asked at the good host: a verdict from a reply, not a lost session.
      const lost = result.addresses.filter((a) => a.evidence.length === 0);
      if (lost.length > 0) throw new Error(`no reply for ${lost.map((a) => a.input).join(', ')}`);
      return ms;
    };
    const one: number[] = [];
    const all: number[] = [];
    for (let i = 0; i < runs; i++) {
      one.push(await wall(DOMAINS.slice(0, 1)));
      all.push(await wall(DOMAINS));
    }
    const [m1, mN] = [median(one), median(all)];
    console.log(
      `verify, ${DOMAINS.length} domains sharing a dead host (blackhole via ${lab.blackhole.method}, then a good one) at a ${CONNECT_TIMEOUT_MS} ms connect timeout:`,
    );
    console.log(
      `  1 domain median ${m1.toFixed(0)} ms, ${DOMAINS.length} domains median ${mN.toFixed(0)} ms (n=${runs})  ratio ×${(mN / m1).toFixed(2)} (goal ≈ 1; serial with a redial per domain ≈ ×${DOMAINS.length})`,
    );
  } finally {
    await lab.close();
  }
}
