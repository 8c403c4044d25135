/** renderLab: the lab's hosts as a table (what runs where). */
import { formatEndpoint } from '../core/target.js';
import type { LabHost } from '../lab/index.js';
import { table } from './caps-table.js';
import type { RenderContext } from './render.js';

/** renderLab: one row per host: name, address, personality, what it does. */
export function renderLab(hosts: LabHost[], rc: RenderContext): string {
  const t = table(rc, ['host', 'listens on', 'personality', 'behaviour'], [24, 17, 15]);
  for (const h of hosts) t.push([h.name, formatEndpoint(h.address, h.port), h.personality, h.description]);
  return `${t.toString()}\n`;
}
