/** readEnvFile: KEY=VALUE lines written by a .ci script; a missing file fails with how to start the peer. */
import { readFileSync } from 'node:fs';

/** readEnvFile: the file's keys; throws naming the command that creates it. */
export function readEnvFile(file: string, startHint: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no env file at ${file}: start the peer with \`${startHint}\``);
  }
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** need: one key or a clear failure. */
export function need(env: Record<string, string>, key: string, file: string): string {
  const v = env[key];
  if (!v) throw new Error(`${file} lacks ${key}`);
  return v;
}
