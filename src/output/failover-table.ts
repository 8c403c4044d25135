/**
 * The sender's timeline in the terminal: one bar per attempt on a shared
 * time axis, so a blackholed primary's cost is seen at a glance; then where
 * the mail lands, or the queue it waits in.
 */
import type { FailoverResult, TimelineAttempt } from '../schema/failover.js';
import { formatDuration } from '../time/duration.js';
import { renderMx } from './mx-table.js';
import type { TableStyle } from './caps-table.js';
import { printable, type Paint } from './terminal.js';

/** BAR_WIDTH_MIN: narrowest time axis drawn. */
const BAR_WIDTH_MIN = 20;

/** renderFailover: the measured walk, then the timeline, the delivery line and the queue. */
export function renderFailover(r: FailoverResult, style: TableStyle, dnsTrace = false): string {
  const p = style.paint;
  const out = [renderMx(r.walk, style, { dnsTrace }).trimEnd(), ''];
  const pr = r.profile;
  const limits = [
    `connect timeout ${formatDuration(pr.connectTimeoutMs)}`,
    `greeting timeout ${formatDuration(pr.greetingTimeoutMs)}`,
    pr.maxAddresses !== null ? `${pr.maxAddresses} addresses` : 'all addresses',
    pr.maxSessions !== null ? `${pr.maxSessions} sessions` : 'no session limit',
  ];
  out.push(
    `${p.bold(`Timeline of a ${pr.name} sender`)} (${pr.description}: ${limits.join(', ')})`,
  );
  for (const a of r.assumptions)
    out.push(
      p.yellow(
        `  assuming ${a.target} is down (${a.mode}): ${a.matched.length ? a.matched.join(', ') : 'matched nothing'}`,
      ),
    );
  if (r.attempts.length > 0) out.push(drawTimeline(r.attempts, style));
  for (const n of r.notTried)
    out.push(p.dim(`  not tried: ${printable(n.host)} ${n.address} (${n.reason})`));
  const colour =
    r.delivery.kind === 'delivered' ? p.green : r.delivery.kind === 'delayed' ? p.yellow : p.red;
  out.push('', `${p.bold('Delivery:')} ${colour(printable(r.delivery.text))}`);
  if (r.queue) out.push(queueText(r.queue, p));
  for (const n of r.notes) out.push(p.dim(`note: ${n}`));
  return `${out.join('\n')}\n`;
}

function drawTimeline(attempts: TimelineAttempt[], style: TableStyle): string {
  const p = style.paint;
  const total = Math.max(...attempts.map((a) => a.startMs + a.costMs), 1);
  const labels = attempts.map((a) => `${printable(a.host)} ${a.address}`);
  const labelWidth = Math.min(44, Math.max(...labels.map((l) => l.length)));
  const statusWidth = Math.max(...attempts.map((a) => a.status.length + (a.assumed ? 10 : 0)));
  const width = Math.max(BAR_WIDTH_MIN, (style.width ?? 120) - labelWidth - statusWidth - 20);
  // Rows are "  label  status  bar": the axis starts where the bars do.
  const axis = `${' '.repeat(labelWidth + statusWidth + 6)}0${formatDuration(total).padStart(width - 1)}`;
  const rows = attempts.map((a, i) => {
    const start = Math.min(width - 1, Math.floor((a.startMs / total) * width));
    const len = Math.max(1, Math.round((a.costMs / total) * width));
    const bar = `${' '.repeat(start)}${'█'.repeat(Math.min(len, width - start))}`.padEnd(width);
    const colour = a.status === 'ok' ? p.green : a.basis === 'measured' ? p.yellow : p.red;
    const label =
      labels[i]!.length > labelWidth
        ? `${labels[i]!.slice(0, labelWidth - 1)}…`
        : labels[i]!.padEnd(labelWidth);
    const status = `${a.status}${a.assumed ? ' (assumed)' : ''}`.padEnd(statusWidth);
    return `  ${label}  ${status}  ${colour(bar)} ${formatDuration(a.costMs)}`;
  });
  return [p.dim(axis), ...rows].join('\n');
}

function queueText(q: NonNullable<FailoverResult['queue']>, p: Paint): string {
  const shown = q.retriesAtMs.slice(0, 6).map(formatDuration).join(', ');
  const more = q.retriesAtMs.length > 6 ? `, … (${q.retriesAtMs.length} retries in all)` : '';
  return `${p.bold('Queue:')} retries at ${shown || '(none)'}${more}; bounce at ${formatDuration(q.bounceAtMs)}`;
}
