/**
 * verify of 500 addresses (2 real, 498 unknown) at one host behind a 20 ms
 * round trip (the lab's latency proxy), pipelined vs one at a time, on two
 * servers: one that takes any number of rejections, and one that throttles
 * like stock Postfix (1 s per reply after 10 rejections, 421 at 20). Each
 * time is also given as a ratio to its round-trip lower bound.
 */
import { connect } from 'node:net';
import { startLab, startLatencyProxy } from '../src/lab/index.js';
import { DEFAULT_MAX_ERRORS } from '../src/probes/error-budget.js';
import { type HostOutcome, verifyOnHost } from '../src/probes/verify-host.js';
import { MAX_RCPT_PER_TRANSACTION } from '../src/probes/verify-session.js';
import { parseMailbox } from '../src/smtp/address.js';
import { loadTrustStore } from '../src/net/tls.js';
import { DEFAULT_TIMEOUTS } from '../src/session/timeouts.js';
import { Deadline } from '../src/time/deadline.js';
import { median } from './stats.js';

const RTT_MS = 20;
const ADDRESSES = 500;
// Mailboxes every lab host and the interop Postfix have (bob exists only on some).
const REAL = ['postmaster', 'alice'];

/** measureRtt: NOOP round trips through the proxy (the greeting first), median of five. */
async function measureRtt(port: number): Promise<number> {
  const s = connect({ host: '127.0.0.1', port });
  const lines: string[] = [];
  let wake = (): void => undefined;
  s.on('data', (d) => {
    lines.push(...d.toString().split('\r\n').filter(Boolean));
    wake();
  });
  const next = () =>
    new Promise<void>((r) => {
      wake = r;
    });
  await next();
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    s.write('NOOP\r\n');
    await next();
    samples.push(performance.now() - t);
  }
  s.end('QUIT\r\n');
  return median(samples);
}

async function run(
  port: number,
  host: string,
  domain: string,
  pipelining: boolean,
): Promise<{ ms: number; out: HostOutcome }> {
  const boxes = Array.from({ length: ADDRESSES }, (_, i) =>
    parseMailbox(`${REAL[i] ?? `nobody${i}`}@${domain}`),
  );
  const t = performance.now();
  const out = await verifyOnHost(boxes, {
    host,
    address: '127.0.0.1',
    port,
    from: '',
    starttls: false,
    pipelining,
    maxErrors: DEFAULT_MAX_ERRORS,
    adaptive: true,
    trust: loadTrustStore(),
    timeouts: DEFAULT_TIMEOUTS,
    deadline: new Deadline(),
    catchAllDomain: domain,
  });
  const ms = performance.now() - t;
  if (out.results.size !== ADDRESSES)
    throw new Error(`${out.results.size} results for ${ADDRESSES} addresses`);
  return { ms, out };
}

/** Server: one host to verify at, and whether to expect it to throttle. */
interface Server {
  label: string;
  name: string;
  domain: string;
  address: string;
  port: number;
  throttles: boolean;
}

/** benchVerify: prints, per lab server, pipelined and one-at-a-time times, sessions, and ratios to the lower bounds. */
export async function benchVerify(): Promise<void> {
  const lab = await startLab({ port: 0, hosts: ['mlfarm.test', 'throttle.test'] });
  try {
    await benchServers([
      {
        label: 'unthrottled',
        name: 'mx1.mlfarm.test',
        domain: 'mlfarm.test',
        address: lab.host('mx1.mlfarm.test').address,
        port: lab.port,
        throttles: false,
      },
      {
        label: 'Postfix-like throttling',
        name: 'mx.throttle.test',
        domain: 'throttle.test',
        address: lab.host('mx.throttle.test').address,
        port: lab.port,
        throttles: true,
      },
    ]);
  } finally {
    await lab.close();
  }
}

/** benchServers: the verify benchmark against any hosts (the lab's, or a real Postfix). */
export async function benchServers(servers: Server[]): Promise<void> {
  console.log(
    `verify ${ADDRESSES} addresses (${REAL.length} real) through a ${RTT_MS} ms round trip, no STARTTLS:`,
  );
  for (const { label, name, domain, address, port: serverPort, throttles } of servers) {
    const proxy = await startLatencyProxy({
      target: { address, port: serverPort },
      delayMs: RTT_MS,
    });
    try {
      const rtt = await measureRtt(proxy.port);
      const piped = await run(proxy.port, name, domain, true);
      const single = await run(proxy.port, name, domain, false);
      const rejections = ADDRESSES - REAL.length + 1;
      // One session, greeting + EHLO + a batch per 100 recipients + QUIT; throttled: sessions of at most limit-1 rejections.
      const bound = !throttles
        ? (3 + Math.ceil((ADDRESSES + 1) / MAX_RCPT_PER_TRANSACTION)) * rtt
        : Math.ceil(rejections / DEFAULT_MAX_ERRORS) * 4 * rtt;
      console.log(
        `  ${label} (measured RTT ${rtt.toFixed(1)} ms; lower bound ${bound.toFixed(0)} ms):`,
      );
      console.log(
        `    pipelined       ${piped.ms.toFixed(0).padStart(6)} ms  ×${(piped.ms / bound).toFixed(2)} of the bound  sessions ${piped.out.sessions}, RCPT round trips ${piped.out.rcptBatches}, throttled ${piped.out.throttled}`,
      );
      console.log(
        `    one at a time   ${single.ms.toFixed(0).padStart(6)} ms  ×${(single.ms / bound).toFixed(2)} of the bound  sessions ${single.out.sessions}, RCPT round trips ${single.out.rcptBatches}`,
      );
      console.log(
        `    pipelined is ×${(single.ms / piped.ms).toFixed(1)} faster than one at a time`,
      );
    } finally {
      await proxy.close();
    }
  }
}
