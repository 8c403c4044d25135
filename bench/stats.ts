/** Small statistics for benchmarks: medians and percentiles of samples in ms. */

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
