/**
 * A module-loader hook that appends the URL of every module Node loads to the file named by
 * SMTP_PROBE_LOAD_LOG, so a test can see which chunks a command pulled in. Register it with
 * `node --import <data: URL calling module.register(this file)>`; see loadLogFlags.
 */
import { appendFileSync } from 'node:fs';

type Next = (url: string, context: unknown) => Promise<unknown>;

/** load: the hook; records the URL, then loads as usual. */
export async function load(url: string, context: unknown, next: Next): Promise<unknown> {
  const log = process.env.SMTP_PROBE_LOAD_LOG;
  if (log) appendFileSync(log, `${url}\n`);
  return next(url, context);
}

/** loadLogFlags: the node flags that install this hook in a child process. */
export function loadLogFlags(): string[] {
  const code = `import { register } from 'node:module'; register(${JSON.stringify(import.meta.url)});`;
  return ['--import', `data:text/javascript,${encodeURIComponent(code)}`];
}
