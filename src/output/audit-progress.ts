/**
 * The audit's progress bar on stderr (cli-progress): done/total, rate, ETA and failures. Only
 * for a person at a terminal — the caller decides that (stderr a TTY, not CI); pipes and CI logs
 * get nothing, so machine output stays clean.
 */
import { SingleBar } from 'cli-progress';
import type { AuditProgress } from '../probes/audit.js';

/** Progress: update with each count; stop before the result is printed. */
export interface Progress {
  update(p: AuditProgress): void;
  stop(): void;
}

/** progressBar: a bar on `stream`. */
export function progressBar(stream: NodeJS.WritableStream): Progress {
  const bar = new SingleBar({
    stream: stream as NodeJS.WriteStream,
    format:
      'audit |{bar}| {value}/{total} addresses · {rate}/s · ETA {eta_formatted} · {failures} failed',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 200,
    fps: 8,
  });
  const t0 = performance.now();
  let started = false;
  return {
    update(p) {
      const rate = (p.done / Math.max(0.001, (performance.now() - t0) / 1000)).toFixed(0);
      const payload = { failures: p.failures, rate };
      if (!started) {
        bar.start(p.total, p.done, payload);
        started = true;
      } else {
        bar.setTotal(p.total);
        bar.update(p.done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
