/**
 * `smtp-probe audit [targets..]`: which of many sites expose VRFY/EXPN, relay, or weak TLS, and
 * whether a domain's MX hosts agree; `smtp-probe audit merge FILES..` combines shard outputs.
 * Streams NDJSON, resumes from its own output, shards by a stable hash, writes an HTML report.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { invalidInput } from '../src/errors.js';
import { EXIT } from '../src/output/exit-codes.js';
import type { AuditAddress, AuditResult, AuditSite } from '../src/schema/audit.js';
import { AUDIT_CHECKS, type AuditCheck, SEVERITIES, type Severity } from '../src/vocabulary.js';
import type { CliContext } from './context.js';
import { parseShard } from '../src/probes/audit-shard.js';
import { choiceFlag, countFlag, customFlag, portFlag, positionalList, textFlag } from './flags.js';
import { readArgumentList } from './input-list.js';
import {
  CA_FLAG,
  dnsFlags,
  HELO_FLAG,
  MTA_STS_PORT_FLAG,
  timeoutFlags,
  timeoutsOf,
} from './options.js';
import { probeCommand } from './run.js';

/** commaList: "a,b,c" (repeatable) as a list, each item checked by `ok`. */
function commaList<T extends string>(
  name: string,
  fallback: readonly T[],
  ok: (item: string) => item is T,
  what: string,
): (raw: unknown) => T[] {
  return (raw) => {
    if (raw === undefined) return [...fallback];
    const items = (Array.isArray(raw) ? raw : [raw])
      .flatMap((r) => String(r).split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const bad = items.find((i) => !ok(i));
    if (bad !== undefined || items.length === 0) {
      throw invalidInput(`--${name} "${bad ?? ''}" is not ${what}`);
    }
    return [...new Set(items)] as T[];
  };
}

const isCheck = (s: string): s is AuditCheck => (AUDIT_CHECKS as readonly string[]).includes(s);
// A list name is sent as EXPN's argument: the guard in the probe refuses control bytes; here
// only what no list name has (spaces, angle brackets) is refused early.
const isListName = (s: string): s is string => /^[^\s<>]{1,64}$/.test(s);

/** AUDIT_FLAGS: everything `audit` takes, each flag once. */
export const AUDIT_FLAGS = {
  targets: positionalList('targets', 'domains (MX walked), hosts with :port, or IPs (or --file)'),
  file: textFlag(
    'file',
    'read targets from a file, one per line (- for stdin; # comments); a bad line becomes a site with status invalid',
    { requiresArg: true },
  ),
  checks: customFlag(
    'checks',
    {
      type: 'string',
      describe: `checks to run, comma-separated (${AUDIT_CHECKS.join(', ')}; default all; mta-sts and dane run tls too)`,
      group: 'Checks:',
    },
    commaList('checks', AUDIT_CHECKS, isCheck, `a list of ${AUDIT_CHECKS.join(', ')}`),
  ),
  expnLists: customFlag(
    'expn-lists',
    {
      type: 'string',
      describe: 'lists to EXPN, comma-separated (default postmaster,root,staff,all)',
      group: 'Checks:',
    },
    commaList(
      'expn-lists',
      ['postmaster', 'root', 'staff', 'all'],
      isListName,
      'a list of names (no spaces or < >)',
    ),
  ),
  relayFrom: textFlag(
    'relay-from',
    'outside sender of the relay trials (default relay-test@example.com)',
    {
      group: 'Checks:',
    },
  ),
  relayTo: textFlag(
    'relay-to',
    'outside recipient of the relay trials (default relay-test@example.com)',
    {
      group: 'Checks:',
    },
  ),
  concurrency: countFlag(
    'concurrency',
    { min: 1, max: 1024, fallback: 64, what: 'a number of sessions' },
    'sessions in flight (never more than one per address)',
    'Pace:',
  ),
  rate: countFlag(
    'rate',
    { min: 0, max: 100_000, fallback: 0, what: 'connections a second (0: no limit)' },
    'new connections a second, overall (0: no limit)',
    'Pace:',
  ),
  port: portFlag('port', 25, 'SMTP port of MX hosts and of targets given without one'),
  mtaStsPort: MTA_STS_PORT_FLAG,
  resume: textFlag(
    'resume',
    'append NDJSON lines to FILE and skip what it already holds (use it from the first run; rerun after a kill)',
    { requiresArg: true, group: 'Scale:' },
  ),
  shard: customFlag(
    'shard',
    {
      type: 'string',
      describe: 'only slice i of n (0-based, by a stable hash of the target), e.g. 0/4',
      group: 'Scale:',
    },
    (raw) => (raw === undefined ? undefined : parseShard(String(raw))),
  ),
  html: textFlag('html', 'write a self-contained HTML report to FILE', {
    requiresArg: true,
    group: 'Output:',
  }),
  failOn: choiceFlag(
    'fail-on',
    ['none', ...SEVERITIES] as const,
    'none',
    'exit 9 when a finding at or above this severity exists',
    'Output:',
  ),
  ca: CA_FLAG,
  helo: HELO_FLAG,
  ...dnsFlags(),
  ...timeoutFlags('address'),
};

/** MERGE_FLAGS: what `audit merge` takes. */
const MERGE_FLAGS = {
  files: positionalList('files', 'NDJSON outputs of audit runs or shards'),
  html: AUDIT_FLAGS.html,
  failOn: AUDIT_FLAGS.failOn,
};

/** failsOn: whether `summary` holds a finding at or above `level`. */
function failsOn(r: AuditResult, level: 'none' | Severity): boolean {
  if (level === 'none') return false;
  const from = SEVERITIES.indexOf(level);
  return SEVERITIES.slice(from).some((s) => r.summary.bySeverity[s] > 0);
}

/** auditCommand: the yargs module for `audit` (and its `merge`). */
export function auditCommand(ctx: CliContext): CommandModule {
  let failOn: 'none' | Severity = 'none';
  const module = probeCommand(ctx, {
    command: 'audit',
    yargsCommand: 'audit [targets..]',
    usage: 'audit [targets..] [options]',
    describe:
      'Which of many sites expose VRFY/EXPN, relay, or weak TLS; how a domain’s MX hosts differ',
    flags: AUDIT_FLAGS,
    examples: [
      ['$0 audit example.com example.org', 'every MX address of both, all checks'],
      [
        '$0 audit --file domains.txt --resume audit.ndjson --html report.html',
        'thousands of sites; rerun the same line after a kill to finish',
      ],
      [
        '$0 audit --file domains.txt --checks connect,caps --format ndjson',
        'a fast census, streamed',
      ],
      ['$0 audit --file domains.txt --shard 0/4 --resume part0.ndjson', 'one of four machines'],
      ['$0 audit merge part*.ndjson --html report.html', 'the shards as one report'],
    ],
    target: (argv) =>
      typeof argv.file === 'string'
        ? `--file ${argv.file}`
        : ([] as unknown[]).concat(argv.targets ?? []).join(' ') || 'audit',
    probe: async (a, io) => {
      failOn = a.failOn;
      const [{ runAudit }, lines] = await Promise.all([
        import('../src/probes/audit.js'),
        import('../src/output/audit-lines.js'),
      ]);
      const targets = await readArgumentList(a.targets, a.file, ctx.stdin ?? process.stdin);
      if (targets.length === 0) {
        throw invalidInput(
          'audit needs targets, e.g. smtp-probe audit example.com, or --file domains.txt',
        );
      }
      const done = {
        sites: new Map<string, AuditSite>(),
        addresses: new Map<string, AuditAddress>(),
      };
      let fd: number | undefined;
      if (a.resume !== undefined) {
        const read = await lines.readAuditFile(a.resume, done, true);
        if (read.trimmed) await lines.rewriteAuditFile(a.resume, read.kept);
        fd = openSync(a.resume, 'a');
      }
      // One write per line: a kill leaves whole lines (and at worst one cut short, dropped on resume).
      const toFile = (record: object): void => {
        if (fd !== undefined) writeSync(fd, `${JSON.stringify(record)}\n`);
      };
      const line = (record: object): void => {
        io.emit?.(record);
        toFile(record);
      };
      const keep = io.emit === undefined || a.html !== undefined;
      const sites: AuditSite[] = keep ? [...done.sites.values()] : [];
      const addresses = new Map<string, AuditAddress>(keep ? done.addresses : []);
      const progress =
        ctx.stderr.isTTY && !ctx.env.CI
          ? (await import('../src/output/audit-progress.js')).progressBar(ctx.stderr)
          : undefined;
      try {
        const outcome = await runAudit(targets, {
          checks: a.checks,
          expnLists: a.expnLists,
          port: a.port,
          mtaStsPort: a.mtaStsPort,
          concurrency: a.concurrency,
          rate: a.rate,
          ...(a.relayFrom === undefined ? {} : { relayFrom: a.relayFrom }),
          ...(a.relayTo === undefined ? {} : { relayTo: a.relayTo }),
          ...(a.shard ? { shard: a.shard } : {}),
          ...(a.helo === undefined ? {} : { helo: a.helo }),
          resolvers: a.resolver,
          ...(a.dnsTimeout === undefined ? {} : { dnsTimeoutMs: a.dnsTimeout }),
          caFiles: a.ca,
          timeouts: timeoutsOf(a),
          done,
          signal: io.signal,
          ...(io.onTranscript ? { onTranscript: io.onTranscript } : {}),
          onAddress: (r) => {
            line({ type: 'address', ...r });
            if (keep) addresses.set(r.key, r);
          },
          onSite: (s) => {
            line({ type: 'site', ...s });
            if (keep) sites.push(s);
          },
          ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
        });
        const result: AuditResult = {
          summary: outcome.result,
          ...(io.emit ? {} : { sites, addresses: [...addresses.values()] }),
        };
        if (a.html !== undefined) await writeReport(a.html, result.summary, sites, addresses);
        if (fd !== undefined) {
          const { toEnvelope } = await import('../src/output/envelope.js');
          // The file's own closing envelope; stdout gets the command's (run.ts prints it).
          toFile(
            toEnvelope(
              'audit',
              'audit',
              { ...outcome, result: { summary: result.summary } },
              false,
            ),
          );
        }
        return { ...outcome, result };
      } finally {
        progress?.stop();
        if (fd !== undefined) closeSync(fd);
      }
    },
    tables: async () => (await import('../src/output/audit-table.js')).renderAudit,
    exitCode: (r) => (failsOn(r, failOn) ? EXIT.FINDINGS : EXIT.OK),
  });
  const builder = module.builder as (y: Argv) => Argv;
  return {
    ...module,
    builder: (y: Argv) => builder(y).command(mergeCommand(ctx)),
  };
}

async function writeReport(
  file: string,
  summary: AuditResult['summary'],
  sites: AuditSite[],
  addresses: Map<string, AuditAddress>,
): Promise<void> {
  const { renderAuditHtml } = await import('../src/output/audit-html.js');
  try {
    await writeFile(file, renderAuditHtml({ summary, sites, addresses, generatedAt: new Date() }));
  } catch (err) {
    throw invalidInput(`--html ${file}: ${(err as Error).message}`);
  }
}

/** mergeCommand: `audit merge FILES..`: shard outputs as one run. */
function mergeCommand(ctx: CliContext): CommandModule {
  let failOn: 'none' | Severity = 'none';
  return probeCommand(ctx, {
    command: 'audit',
    yargsCommand: 'merge [files..]',
    usage: 'audit merge <files..> [options]',
    describe: 'Combine NDJSON outputs of audit runs or shards into one summary (and report)',
    flags: MERGE_FLAGS,
    examples: [
      ['$0 audit merge part0.ndjson part1.ndjson --html report.html', 'two shards, one report'],
    ],
    target: (argv) => ([] as unknown[]).concat(argv.files ?? []).join(' ') || 'merge',
    probe: async (a, io) => {
      failOn = a.failOn;
      if (a.files.length === 0) {
        throw invalidInput(
          'audit merge needs files, e.g. smtp-probe audit merge part0.ndjson part1.ndjson',
        );
      }
      const [{ readAuditFile }, { SummaryBuilder }] = await Promise.all([
        import('../src/output/audit-lines.js'),
        import('../src/probes/audit-summary.js'),
      ]);
      const records = {
        sites: new Map<string, AuditSite>(),
        addresses: new Map<string, AuditAddress>(),
      };
      const startedAt = new Date();
      const t0 = performance.now();
      const checks = new Set<AuditCheck>();
      for (const f of a.files) {
        for (const c of (await readAuditFile(f, records)).checks) checks.add(c);
      }
      // A shard killed before its end has no closing envelope: its records show what it ran.
      for (const r of records.addresses.values()) for (const c of checksOf(r)) checks.add(c);
      for (const s of records.sites.values()) for (const c of siteChecksOf(s)) checks.add(c);
      const summary = new SummaryBuilder(AUDIT_CHECKS.filter((c) => checks.has(c)));
      for (const r of records.addresses.values()) summary.address(r);
      // Sites in target order: what a single run over the same input would list, whatever the shards.
      const sites = [...records.sites.values()].sort((x, y) => x.target.localeCompare(y.target));
      for (const s of sites) summary.site(s);
      for (const r of records.addresses.values()) io.emit?.({ type: 'address', ...r });
      for (const s of sites) io.emit?.({ type: 'site', ...s });
      const result: AuditResult = {
        summary: summary.summary(),
        ...(io.emit ? {} : { sites, addresses: [...records.addresses.values()] }),
      };
      if (a.html !== undefined) await writeReport(a.html, result.summary, sites, records.addresses);
      const { Transcript } = await import('../src/session/transcript.js');
      return {
        status: 'ok',
        result,
        startedAt,
        durationMs: performance.now() - t0,
        transcript: new Transcript(),
      };
    },
    tables: async () => (await import('../src/output/audit-table.js')).renderAudit,
    exitCode: (r) => (failsOn(r, failOn) ? EXIT.FINDINGS : EXIT.OK),
  });
}

/** siteChecksOf: which policy checks a site record shows were run. */
function siteChecksOf(s: AuditSite): AuditCheck[] {
  const out: AuditCheck[] = [];
  if (s.policy?.mtaSts) out.push('mta-sts');
  if (s.policy?.dane) out.push('dane');
  return out;
}

/** checksOf: which checks an address record shows were run. */
function checksOf(r: AuditAddress): AuditCheck[] {
  const out: AuditCheck[] = ['connect'];
  if (r.caps) out.push('caps');
  if (r.tls) out.push('tls');
  if (r.vrfy) out.push('vrfy');
  if (r.expn) out.push('expn');
  if (r.relay) out.push('relay');
  if (r.recipients.length > 0) out.push('mx-consistency');
  return out;
}
