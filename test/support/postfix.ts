/**
 * Where CI's real Postfix runs (.ci/postfix.sh writes $SMTP_PROBE_POSTFIX_DIR/env).
 * A missing file is a failure, never a skip: the interop tier must not pass
 * silently without its peer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** PostfixEnv: the addresses and files of the running instance. */
export interface PostfixEnv {
  vrfyAddr: string;
  noVrfyAddr: string;
  mailDir: string;
  certFile: string;
  hostname: string;
  domain: string;
}

/** postfixEnv: reads the env file or throws with what to do. */
export function postfixEnv(): PostfixEnv {
  const dir = process.env.SMTP_PROBE_POSTFIX_DIR ?? '/tmp/smtp-probe-postfix';
  const file = join(dir, 'env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no Postfix env at ${file}: start it with \`sudo bash .ci/postfix.sh install && sudo bash .ci/postfix.sh start\``);
  }
  const kv = Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const need = (k: string): string => {
    const v = kv[k];
    if (!v) throw new Error(`${file} lacks ${k}`);
    return v;
  };
  return {
    vrfyAddr: need('POSTFIX_VRFY_ADDR'),
    noVrfyAddr: need('POSTFIX_NOVRFY_ADDR'),
    mailDir: need('POSTFIX_MAILDIR'),
    certFile: need('POSTFIX_CERT'),
    hostname: need('POSTFIX_HOSTNAME'),
    domain: need('POSTFIX_DOMAIN'),
  };
}
