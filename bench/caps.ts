/**
 * A caps probe against the lab's ESMTP host (STARTTLS, EHLO twice, census,
 * QUIT) compared with the least any client can do there: connect, read the
 * greeting, QUIT. Both in this process, interleaved.
 */
import { connect } from 'node:net';
import { startLab } from '../src/lab/index.js';
import { probeCaps } from '../src/probes/caps.js';
import { median, row } from './stats.js';

function greetAndQuit(address: string, port: number): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port });
    let buf = '';
    let quitSent = false;
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!quitSent && /^220 [^\n]*\n/m.test(buf)) {
        quitSent = true;
        s.write('QUIT\r\n');
      }
      if (/^221 /m.test(buf)) {
        s.destroy();
        resolve(performance.now() - t);
      }
    });
    s.on('error', reject);
  });
}

/** benchCaps: prints caps timings (full, --no-census) against the greet+QUIT baseline. */
export async function benchCaps(runs = 30): Promise<void> {
  const lab = await startLab({ port: 0, hosts: ['esmtp'] });
  try {
    const h = lab.host('esmtp');
    const target = `${h.address}:${h.port}`;
    const opts = { caFiles: [lab.caCertFile], helo: 'bench.smtp-probe.test' };
    const base: number[] = [];
    const full: number[] = [];
    const noCensus: number[] = [];
    for (let i = 0; i < runs; i++) {
      base.push(await greetAndQuit(h.address, h.port));
      const a = await probeCaps(target, opts);
      if (a.status !== 'ok') throw new Error(`caps failed: ${a.error?.message}`);
      full.push(a.durationMs);
      noCensus.push((await probeCaps(target, { ...opts, census: false })).durationMs);
    }
    const b = median(base);
    console.log(`caps against the lab (${target}; ratio to connect+greeting+QUIT):`);
    console.log(`  ${row('connect + greeting + QUIT (baseline)', base, b)}`);
    console.log(`  ${row('caps --no-census (STARTTLS, 2×EHLO)', noCensus, b)}`);
    console.log(`  ${row('caps (STARTTLS, 2×EHLO, 11-verb census)', full, b)}`);
  } finally {
    await lab.close();
  }
}
