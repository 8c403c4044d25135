/**
 * Audit NDJSON files read back: `--resume FILE` continues the file, `audit merge` combines shard
 * files. Lines are written whole (one write each), so only the last line of a killed run can be
 * cut short; it is dropped, as is the closing envelope (a resumed run writes its own). Every
 * other line must be an address or site line of the schema, or the file is refused by line.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { invalidInput } from '../errors.js';
import { AUDIT_CHECKS, type AuditCheck } from '../vocabulary.js';
import type { AuditAddress, AuditSite } from '../schema/audit.js';
import { parseAuditRecord } from '../schema/full-zod.js';

/** AuditRecords: every address by key and every site by target, first seen kept. */
export interface AuditRecords {
  addresses: Map<string, AuditAddress>;
  sites: Map<string, AuditSite>;
}

/** FileRead: what one file held, and what was left out of it. */
export interface FileRead {
  /** The whole lines kept, to rewrite the file without the rest. */
  kept: string[];
  /** A cut-short last line or a closing envelope was left out. */
  trimmed: boolean;
  /** The checks its closing envelope names (none without one). */
  checks: AuditCheck[];
}

/** readAuditFile: add `file`'s records to `into`; a missing file is an empty one when `missingOk`. */
export async function readAuditFile(
  file: string,
  into: AuditRecords,
  missingOk = false,
): Promise<FileRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { kept: [], trimmed: false, checks: [] };
    }
    throw invalidInput(`${file}: ${(err as Error).message}`);
  }
  const lines = text.split('\n');
  // Whatever follows the last newline is a line cut short (or nothing).
  let trimmed = lines.pop() !== '';
  const kept: string[] = [];
  const checks = new Set<AuditCheck>();
  lines.forEach((line, i) => {
    const envelope = take(line.replace(/\r$/, ''), i + 1, file, into, kept);
    if (envelope === undefined) return;
    trimmed = true;
    for (const c of envelope.result?.summary?.checks ?? []) {
      if ((AUDIT_CHECKS as readonly string[]).includes(c)) checks.add(c as AuditCheck);
    }
  });
  return { kept, trimmed, checks: [...checks] };
}

/** rewriteAuditFile: `file` with only `lines`, replaced at once (a kill leaves the old or the new). */
export async function rewriteAuditFile(file: string, lines: readonly string[]): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, lines.map((l) => `${l}\n`).join(''));
  await rename(temp, file);
}

/** Envelope: the parts of a closing envelope line read back. */
interface Envelope {
  result?: { summary?: { checks?: string[] } } | null;
}

/** take: one line into `into`; a closing envelope is returned instead (and left out). */
function take(
  text: string,
  number: number,
  file: string,
  into: AuditRecords,
  kept: string[],
): Envelope | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidInput(`${file} line ${number}: not JSON; is this an audit --format ndjson file?`);
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (type === undefined && (value as { command?: unknown } | null)?.command === 'audit') {
    return value as Envelope;
  }
  const parsed = parseAuditRecord(value);
  if (!parsed) {
    throw invalidInput(
      `${file} line ${number}: not an audit address, site or envelope line of this version (smtp-probe schema audit --format ndjson)`,
    );
  }
  if (parsed.type === 'address') {
    if (!into.addresses.has(parsed.record.key))
      into.addresses.set(parsed.record.key, parsed.record);
  } else if (!into.sites.has(parsed.record.target))
    into.sites.set(parsed.record.target, parsed.record);
  kept.push(text);
  return undefined;
}
