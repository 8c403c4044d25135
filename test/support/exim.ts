/**
 * Where CI's real Exim runs (.ci/exim.sh writes $SMTP_PROBE_EXIM_DIR/env), and a
 * bare SMTP conversation for pinning what Exim itself says. A missing file is a
 * failure, never a skip: the interop tier must not pass silently without its peer.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { need, readEnvFile } from './env-file.js';

/** EximEnv: the addresses and files of the running instance. */
export interface EximEnv {
  /** Debian's defaults: VRFY and EXPN neither offered nor answered. */
  addr: string;
  /** acl_smtp_vrfy and acl_smtp_expn set to accept. */
  vrfyAddr: string;
  certFile: string;
  hostname: string;
  domain: string;
  version: string;
  mainlog: string;
  /** mbox files {alice,bob}: Exim delivers each accepted message at once (no queue runner). */
  mailDir: string;
  /** The test account of the plaintext authenticators (AUTH PLAIN and LOGIN, after STARTTLS only). */
  authUser: string;
  authPassword: string;
}

/** eximEnv: reads the env file or throws with what to do. */
export function eximEnv(): EximEnv {
  const file = join(process.env.SMTP_PROBE_EXIM_DIR ?? '/tmp/smtp-probe-exim', 'env');
  const kv = readEnvFile(file, 'sudo bash .ci/exim.sh install && sudo bash .ci/exim.sh start');
  return {
    addr: need(kv, 'EXIM_ADDR', file),
    vrfyAddr: need(kv, 'EXIM_VRFY_ADDR', file),
    certFile: need(kv, 'EXIM_CERT', file),
    hostname: need(kv, 'EXIM_HOSTNAME', file),
    domain: need(kv, 'EXIM_DOMAIN', file),
    version: need(kv, 'EXIM_VERSION', file),
    mainlog: need(kv, 'EXIM_MAINLOG', file),
    mailDir: need(kv, 'EXIM_MAILDIR', file),
    authUser: need(kv, 'EXIM_AUTH_USER', file),
    authPassword: need(kv, 'EXIM_AUTH_PASSWORD', file),
  };
}

/** Exchange: one command and the reply lines to it (empty when the server hung up instead). */
export interface Exchange {
  command: string;
  reply: string[];
  ms: number;
}

/**
 * talk: greeting, then each command in turn, one reply each, over plain TCP; stops early when
 * the server hangs up. The greeting is the first exchange, with command ''. No parsing beyond
 * "a line with a space after the code ends the reply": this pins Exim's own words.
 */
export function talk(addr: string, commands: string[], timeoutMs = 5000): Promise<Exchange[]> {
  const i = addr.lastIndexOf(':');
  const socket = connect({ host: addr.slice(0, i), port: Number(addr.slice(i + 1)) });
  const out: Exchange[] = [];
  const queue = ['', ...commands];
  let buffer = '';
  let lines: string[] = [];
  let t0 = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${JSON.stringify(queue[0])} within ${timeoutMs} ms`));
    }, timeoutMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (queue.length > 0)
        out.push({ command: queue[0]!, reply: lines, ms: performance.now() - t0 });
      resolve(out);
    };
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('data', (chunk) => {
      buffer += String(chunk);
      for (let n = buffer.indexOf('\r\n'); n >= 0; n = buffer.indexOf('\r\n')) {
        lines.push(buffer.slice(0, n));
        buffer = buffer.slice(n + 2);
        if (lines.at(-1)![3] !== ' ') continue;
        out.push({ command: queue.shift()!, reply: lines, ms: performance.now() - t0 });
        lines = [];
        if (queue.length === 0) return finish();
        t0 = performance.now();
        socket.write(`${queue[0]}\r\n`);
      }
    });
  });
}
