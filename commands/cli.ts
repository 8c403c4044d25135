#!/usr/bin/env node
/**
 * The smtp-probe executable: wires main() to the real process. Ctrl-C or
 * SIGTERM aborts the running probe, which then prints what it learned with
 * status `aborted` (exit 130); a second one exits at once.
 */
import { readFileSync } from 'node:fs';

// `smtp-probe … | head` closes our stdout early; that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// scripts/bundle.mjs writes the version into the bundle (dist/smtp-probe.mjs), which does not sit
// two folders below package.json; the tsc output reads it from there.
declare const SMTP_PROBE_VERSION: string | undefined;

function version(): string {
  if (typeof SMTP_PROBE_VERSION === 'string') return SMTP_PROBE_VERSION;
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    controller.abort();
    process.once(signal, () => process.exit(130));
  });
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Scripts call --version to check the tool is there; answer without loading yargs (a third of start-up).
  process.stdout.write(`${version()}\n`);
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(args, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  });
}
