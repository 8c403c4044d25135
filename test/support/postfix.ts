/**
 * Where CI's real Postfix runs (.ci/postfix.sh writes $SMTP_PROBE_POSTFIX_DIR/env).
 * A missing file is a failure, never a skip: the interop tier must not pass
 * silently without its peer.
 */
import { join } from 'node:path';
import { need, readEnvFile } from './env-file.js';

/** PostfixEnv: the addresses and files of the running instance. */
export interface PostfixEnv {
  vrfyAddr: string;
  noVrfyAddr: string;
  mailDir: string;
  certFile: string;
  hostname: string;
  domain: string;
  /** maillog_file: smtpd's "client=", qmgr's and local's lines per queue id. */
  maillog: string;
}

/** postfixEnv: reads the env file or throws with what to do. */
export function postfixEnv(): PostfixEnv {
  const file = join(process.env.SMTP_PROBE_POSTFIX_DIR ?? '/tmp/smtp-probe-postfix', 'env');
  const kv = readEnvFile(
    file,
    'sudo bash .ci/postfix.sh install && sudo bash .ci/postfix.sh start',
  );
  return {
    vrfyAddr: need(kv, 'POSTFIX_VRFY_ADDR', file),
    noVrfyAddr: need(kv, 'POSTFIX_NOVRFY_ADDR', file),
    mailDir: need(kv, 'POSTFIX_MAILDIR', file),
    certFile: need(kv, 'POSTFIX_CERT', file),
    hostname: need(kv, 'POSTFIX_HOSTNAME', file),
    domain: need(kv, 'POSTFIX_DOMAIN', file),
    maillog: need(kv, 'POSTFIX_MAILLOG', file),
  };
}
