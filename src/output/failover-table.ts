/**
 * The sender's timeline in the terminal: one bar per attempt on a shared
 * time axis, so a blackholed primary's cost is seen at a glance; then where
 * the mail lands, or the queue it waits in.
 */
import type { FailoverResult, TimelineAttempt } from '../schema/failover.js';
import { formatDuration } from '../time/duration.js';
import { renderMx } from './mx-table.js';
import { DEFAULT_WIDTH, type TableStyle } from './table.js';
import { printable, type Paint } from './terminal.js';
import { displayWidth, wrapText } from './wrap.js';

/** BAR_WIDTH_MIN: narrowest time axis drawn. */
const BAR_WIDTH_MIN = 20;

/** renderFailover: the measured walk, then the timeline, the delivery line and the queue. */
export function renderFailover(r: FailoverResult, style: TableStyle, dnsTrace = false): string {
  const p = style.paint;
  const width = style.width ?? DEFAULT_WIDTH;
  const prose = (text: string, hang = '  '): string => wrapText(text, width, hang);
  const out = [renderMx(r.walk, style, { dnsTrace }).trimEnd(), ''];
  const pr = r.profile;
  const limits = [
    `connect timeout ${formatDuration(pr.connectTimeoutMs)}`,
    `greeting timeout ${formatDuration(pr.greetingTimeoutMs)}`,
    pr.maxAddresses !== null ? `${pr.maxAddresses} addresses` : 'all addresses',
    pr.maxSessions !== null ? `${pr.maxSessions} sessions` : 'no session limit',
  ];
  out.push(
    prose(`${p.bold(`Timeline of a ${pr.name} sender`)} (${pr.description}: ${limits.join(', ')})`),
  );
  for (const a of r.assumptions)
    out.push(
      p.yellow(
        prose(
          `  assuming ${a.target} is down (${a.mode}): ${a.matched.length ? a.matched.join(', ') : 'matched nothing'}`,
          '    ',
        ),
      ),
    );
  if (r.attempts.length > 0) out.push(drawTimeline(r.attempts, style));
  for (const a of r.attempts)
    if (a.policy)
      out.push(
        p.yellow(
          prose(
            `  MTA-STS: ${printable(a.host)} ${a.address} left: ${printable(a.policy)}`,
            '    ',
          ),
        ),
      );
  for (const n of r.notTried)
    out.push(p.dim(prose(`  not tried: ${printable(n.host)} ${n.address} (${n.reason})`, '    ')));
  const colour =
    r.delivery.kind === 'delivered' ? p.green : r.delivery.kind === 'delayed' ? p.yellow : p.red;
  out.push('', prose(`${p.bold('Delivery:')} ${colour(printable(r.delivery.text))}`));
  if (r.queue) out.push(prose(queueText(r.queue, p)));
  for (const n of r.notes) out.push(p.dim(prose(`note: ${n}`)));
  return `${out.join('\n')}\n`;
}

/**
 * drawTimeline: the axis, then one row per attempt: "  label  status  bar cost".
 * When a label and status leave less than BAR_WIDTH_MIN for the bar, each
 * attempt takes two lines, the label alone above its status and bar: a host
 * name is never cut to make room.
 */
function drawTimeline(attempts: TimelineAttempt[], style: TableStyle): string {
  const p = style.paint;
  const width = style.width ?? DEFAULT_WIDTH;
  const total = Math.max(...attempts.map((a) => a.startMs + a.costMs), 1);
  const labels = attempts.map((a) => `${printable(a.host)} ${a.address}`);
  const statuses = attempts.map((a) => `${a.status}${a.assumed ? ' (assumed)' : ''}`);
  const costs = attempts.map((a) => formatDuration(a.costMs));
  const labelWidth = Math.max(...labels.map(displayWidth));
  const statusWidth = Math.max(...statuses.map((s) => s.length));
  const costWidth = Math.max(...costs.map((c) => c.length));
  const inline = width - labelWidth - statusWidth - 20;
  const stacked = inline < BAR_WIDTH_MIN;
  // Where bars start: after "  label  status  " on one line, or "    status  " under the label.
  const lead = stacked ? 4 + statusWidth + 2 : 2 + labelWidth + 2 + statusWidth + 2;
  const bars = stacked ? Math.max(10, width - lead - 1 - costWidth) : inline;
  const axis = `${' '.repeat(lead)}0${formatDuration(total).padStart(bars - 1)}`;
  const rows = attempts.flatMap((a, i) => {
    const start = Math.min(bars - 1, Math.floor((a.startMs / total) * bars));
    const len = Math.max(1, Math.round((a.costMs / total) * bars));
    const bar = `${' '.repeat(start)}${'█'.repeat(Math.min(len, bars - start))}`.padEnd(bars);
    const colour = a.status === 'ok' ? p.green : a.basis === 'measured' ? p.yellow : p.red;
    const status = statuses[i]!.padEnd(statusWidth);
    const label = labels[i]!;
    return stacked
      ? [`  ${label}`, `    ${status}  ${colour(bar)} ${costs[i]}`]
      : [
          `  ${label}${' '.repeat(labelWidth - displayWidth(label))}  ${status}  ${colour(bar)} ${costs[i]}`,
        ];
  });
  return [p.dim(axis), ...rows].join('\n');
}

function queueText(q: NonNullable<FailoverResult['queue']>, p: Paint): string {
  const shown = q.retriesAtMs.slice(0, 6).map(formatDuration).join(', ');
  const more = q.retriesAtMs.length > 6 ? `, … (${q.retriesAtMs.length} retries in all)` : '';
  return `${p.bold('Queue:')} retries at ${shown || '(none)'}${more}; bounce at ${formatDuration(q.bounceAtMs)}`;
}
