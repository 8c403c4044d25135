/** renderCapsSummary: many caps outcomes, one row each — the at-a-glance view of a set of hosts. */
import type { CapsResult } from '../schema/caps.js';
import { formatDuration } from '../time/duration.js';
import type { Envelope } from './envelope.js';
import { fitTable, type CellInput } from './table.js';
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
  unpaired: '??',
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
  const body = rows.map(({ label, env }): CellInput[] => {
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
    return [
      label,
      { text: env.status, paint: env.status === 'ok' ? p.green : p.yellow },
      tlsCell(r),
      censusCell(r, 'VRFY'),
      censusCell(r, 'EXPN'),
      formatDuration(env.durationMs),
      detail,
    ];
  });
  // Narrow terminals: the banner and error move under the row, then the time joins the status.
  const t = fitTable(
    rc,
    [
      { head: 'host' },
      { head: 'status', fit: 'keep' },
      { head: 'TLS' },
      { head: 'VRFY' },
      { head: 'EXPN' },
      { head: 'time', fit: 'keep', fold: 1, foldOrder: 2 },
      { head: 'banner, hello / error', min: 24, fold: 'under', foldOrder: 1 },
    ],
    body,
  );
  return `${t}\n`;
}
