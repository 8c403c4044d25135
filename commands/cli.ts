#!/usr/bin/env node
/**
 * The smtp-probe executable: wires main() to the real process. Ctrl-C aborts
 * the running probe (which then prints what it learned); a second Ctrl-C
 * exits at once.
 */
import { main } from './main.js';

// `smtp-probe … | head` closes our stdout early; that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
