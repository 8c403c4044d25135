/** renderCapsSummary: many caps outcomes, one row each — the at-a-glance view of a set of hosts. */
import type { CapsResult } from '../schema/caps.js';
import { formatDuration } from '../time/duration.js';
import type { Envelope } from './envelope.js';
import { table } from './caps-table.js';
import type { RenderContext } from './render.js';
import { printable } from './terminal.js';

type CapsEnvelope = Envelope<'caps', CapsResult>;

function tlsCell(r: CapsResult | null): string {
  if (!r?.tls) return r?.capabilities ? 'none' : '';
  if (r.tls.outcome !== 'ok') return r.tls.outcome;
  const info = r.tls.info;
  return info ? `${info.protocol}${info.trusted.ok ? '' : ', untrusted'}` : 'ok';
}

const SHORT = {
  implemented: 'yes',
  disabled: 'policy',
  'not-implemented': 'no',
  unknown: '?',
  'not-asked': '-',
} as const;

function censusCell(r: CapsResult | null, verb: 'VRFY' | 'EXPN'): string {
  const e = r?.census?.find((c) => c.verb === verb);
  if (!e) return '';
  return e.reply ? `${SHORT[e.support]} ${e.reply.code}` : SHORT[e.support];
}

/** renderCapsSummary: see the module comment. */
export function renderCapsSummary(
  rows: { label: string; env: CapsEnvelope }[],
  rc: RenderContext,
): string {
  const p = rc.paint;
  const t = table(
    rc,
    ['host', 'status', 'TLS', 'VRFY', 'EXPN', 'time', 'banner, hello / error'],
    [24, 20, 9, 9, 9, 9],
  );
  for (const { label, env } of rows) {
    const r = env.result;
    const banner = r?.banner
      ? `${r.banner.reply.code} ${printable(r.banner.hostname ?? r.banner.reply.lines[0] ?? '')}`
      : '';
    const hello = r?.hello ? `${r.hello.verb} ${r.hello.reply.code}` : '';
    const detail = [
      [banner, hello].filter(Boolean).join(', '),
      env.error ? `${env.error.code} at ${env.error.stage}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    t.push([
      label,
      env.status === 'ok' ? p.green(env.status) : p.yellow(env.status),
      tlsCell(r),
      censusCell(r, 'VRFY'),
      censusCell(r, 'EXPN'),
      formatDuration(env.durationMs),
      detail,
    ]);
  }
  return `${t.toString()}\n`;
}
