/** `smtp-probe send`: one test message end to end — the only command that sends DATA. */
import { readFile } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { invalidInput } from '../src/errors.js';
import { parseTarget } from '../src/net/target.js';
import type { MessageSource } from '../src/probes/send-plan.js';
import type { StartTlsPolicy } from '../src/session/establish.js';
import type { AuthMechanism } from '../src/smtp/auth.js';
import type { DsnRequest } from '../src/smtp/mail-params.js';
import { QUIT_AFTER, type QuitAfter } from '../src/vocabulary.js';
import type { CliContext } from './context.js';
import { booleanFlag, choiceFlag, customFlag, listFlag, portFlag, textFlag } from './flags.js';
import { readBytes } from './input-list.js';
import { CA_FLAG, dnsFlags, HELO_FLAG, timeoutFlags, timeoutsOf } from './options.js';
import { promptPassword, type TtyInput } from './password-prompt.js';
import { probeCommand } from './run.js';

const STARTTLS_MODES = ['opportunistic', 'required', 'off'] as const;

/** SEND_FLAGS: everything `send` takes, each flag once. */
export const SEND_FLAGS = {
  server: customFlag(
    'server',
    {
      type: 'string',
      describe:
        "send through HOST[:PORT] instead of the recipient domain's MX (a smarthost, a submission server)",
    },
    (raw) => {
      if (raw === undefined) return undefined;
      const s = String(Array.isArray(raw) ? raw.at(-1) : raw);
      try {
        // Port 0 here means "none given": --port fills it in.
        return parseTarget(s, 0);
      } catch (err) {
        throw invalidInput(
          `--server "${s}": ${(err as Error).message.replace(/^target "[^"]*": /, '')}`,
        );
      }
    },
  ),
  from: textFlag('from', 'envelope sender, MAIL FROM (required; "" for the null sender <>)', {
    group: 'Envelope:',
  }),
  to: listFlag('to', 'recipient, RCPT TO (required; repeatable)', 'Envelope:'),
  port: portFlag(
    'port',
    undefined,
    'SMTP port of --server without one, and of the MX hosts (25; 465 with --implicit-tls; 587 for submission)',
  ),
  subject: textFlag('subject', 'Subject (default "smtp-probe test message")', {
    group: 'Message:',
  }),
  header: listFlag(
    'header',
    "add a header field 'Name: value' (repeatable; replaces a default field of the same name)",
    'Message:',
  ),
  body: textFlag(
    'body',
    'the body: TEXT, @FILE, or - for stdin (default: a note naming the tool, time and route)',
    {
      group: 'Message:',
    },
  ),
  data: textFlag(
    'data',
    'send FILE (- for stdin) as the complete message, as is: no fields added',
    {
      group: 'Message:',
    },
  ),
  quitAfter: customFlag(
    'quit-after',
    {
      type: 'string',
      describe: `stop after this stage with QUIT (RSET first after mail or rcpt): ${QUIT_AFTER.join(', ')}; rcpt is a route test that sends no DATA`,
    },
    (raw): QuitAfter | undefined => {
      if (raw === undefined) return undefined;
      const v = String(Array.isArray(raw) ? raw.at(-1) : raw);
      if (!(QUIT_AFTER as readonly string[]).includes(v))
        throw invalidInput(`--quit-after "${v}" is not one of ${QUIT_AFTER.join(', ')}`);
      return v as QuitAfter;
    },
  ),
  starttls: customFlag(
    'starttls',
    {
      type: 'string',
      describe: `${STARTTLS_MODES.join(', ')}: STARTTLS when offered, insist on it (submission on 587), or stay in clear (default opportunistic)`,
      group: 'TLS:',
    },
    (raw): StartTlsPolicy => {
      // --no-starttls, as on the other commands.
      if (raw === false || raw === 'false') return 'off';
      if (raw === undefined) return 'opportunistic';
      const v = String(Array.isArray(raw) ? raw.at(-1) : raw);
      if (!(STARTTLS_MODES as readonly string[]).includes(v))
        throw invalidInput(`--starttls "${v}" is not one of ${STARTTLS_MODES.join(', ')}`);
      return v as StartTlsPolicy;
    },
  ),
  implicitTls: booleanFlag(
    'implicit-tls',
    false,
    'TLS from the first byte (port 465, RFC 8314)',
    'TLS:',
  ),
  tlsVerify: booleanFlag(
    'tls-verify',
    false,
    'refuse to go on when the certificate does not match the name or chain to a trusted root',
    'TLS:',
  ),
  tlsName: textFlag('tls-name', 'name the certificate of --server must match (and SNI)', {
    group: 'TLS:',
  }),
  ca: CA_FLAG,
  authUser: textFlag(
    'auth-user',
    'AUTH as this user (PLAIN or LOGIN; only over TLS unless --allow-plain-auth)',
    {
      group: 'AUTH:',
    },
  ),
  authPasswordEnv: textFlag(
    'auth-password-env',
    'read the password from this environment variable (never a flag); without it, asked on the terminal',
    { group: 'AUTH:' },
  ),
  authMech: choiceFlag(
    'auth-mech',
    ['auto', 'plain', 'login'] as const,
    'auto',
    'SASL mechanism',
    'AUTH:',
  ),
  allowPlainAuth: booleanFlag(
    'allow-plain-auth',
    false,
    'send credentials over a session without TLS (only on a network you trust)',
    'AUTH:',
  ),
  dsnNotify: textFlag(
    'dsn-notify',
    'DSN NOTIFY: NEVER, or any of SUCCESS,FAILURE,DELAY (RFC 3461; sent only when offered)',
    {
      group: 'DSN:',
    },
  ),
  dsnRet: customFlag(
    'dsn-ret',
    { type: 'string', describe: 'DSN RET: full or hdrs (what a bounce returns)', group: 'DSN:' },
    (raw): 'FULL' | 'HDRS' | undefined => {
      if (raw === undefined) return undefined;
      const v = String(Array.isArray(raw) ? raw.at(-1) : raw).toUpperCase();
      if (v !== 'FULL' && v !== 'HDRS')
        throw invalidInput(`--dsn-ret "${String(raw)}" is not full or hdrs`);
      return v;
    },
  ),
  envid: textFlag('envid', 'DSN ENVID: the envelope id a bounce reports back', { group: 'DSN:' }),
  ...dnsFlags(),
  helo: HELO_FLAG,
  ...timeoutFlags('target'),
};

/** sendCommand: the yargs module for `send`. */
export function sendCommand(ctx: CliContext): CommandModule {
  return probeCommand(ctx, {
    command: 'send',
    yargsCommand: 'send',
    usage: 'send --from ADDR --to ADDR [--server HOST[:PORT]] [options]',
    describe:
      'Send one test message end to end (envelope, headers, body, DATA), with stop points and AUTH; the only command that sends DATA',
    flags: SEND_FLAGS,
    examples: [
      [
        '$0 send --from me@example.com --to alice@example.net',
        "through alice's MX; prints the queue id",
      ],
      [
        '$0 send --from me@example.com --to alice@example.net --quit-after rcpt',
        'route test: MAIL and RCPT, then RSET and QUIT, no DATA',
      ],
      [
        '$0 send --server smtp.example.com --port 587 --starttls required --auth-user me --auth-password-env SMTP_PASS --from me@example.com --to you@example.org',
        'submission with AUTH',
      ],
      [
        '$0 send --server 127.0.0.10:2525 --from probe@lab.test --to alice@esmtp.lab.test --transcript',
        'in the lab, showing the conversation',
      ],
    ],
    target: (argv) => {
      const to = argv.to === undefined ? [] : [argv.to].flat().map(String);
      return to.length === 1 ? to[0]! : `${to.length} recipients`;
    },
    probe: async (a, io) => {
      if (a.from === undefined)
        throw invalidInput(
          'send needs --from ADDR (the envelope sender; --from "" for the null sender <>)',
        );
      const message = await messageOf(a, ctx);
      const password = a.authUser === undefined ? undefined : await passwordOf(a, ctx);
      const { probeSend } = await import('../src/probes/send.js');
      return probeSend({
        from: a.from,
        to: a.to,
        // A --server without a port takes --port, else 25 (465 with --implicit-tls).
        ...(a.server
          ? {
              server: {
                host: a.server.host,
                port: a.server.port || (a.port ?? (a.implicitTls ? 465 : 25)),
              },
            }
          : {}),
        ...(a.port === undefined ? {} : { port: a.port }),
        resolvers: a.resolver,
        ...(a.dnsTimeout === undefined ? {} : { dnsTimeoutMs: a.dnsTimeout }),
        ...(a.helo === undefined ? {} : { helo: a.helo }),
        starttls: a.starttls,
        implicitTls: a.implicitTls,
        tlsVerify: a.tlsVerify,
        ...(a.tlsName === undefined ? {} : { tlsName: a.tlsName }),
        message,
        ...(a.quitAfter === undefined ? {} : { quitAfter: a.quitAfter }),
        ...(a.authUser === undefined
          ? {}
          : {
              auth: {
                user: a.authUser,
                password: password!,
                ...(a.authMech === 'auto'
                  ? {}
                  : { mechanism: a.authMech.toUpperCase() as AuthMechanism }),
              },
            }),
        allowPlainAuth: a.allowPlainAuth,
        ...dsnOf(a),
        caFiles: a.ca,
        timeouts: timeoutsOf(a),
        signal: io.signal,
        ...(io.onTranscript ? { onTranscript: io.onTranscript } : {}),
      });
    },
    tables: async () => (await import('../src/output/send-table.js')).renderSend,
  });
}

type SendArgs = {
  subject: string | undefined;
  header: string[];
  body: string | undefined;
  data: string | undefined;
};

/** messageOf: --data as is, or the parts to build one from; files and stdin read here, before anything is sent. */
async function messageOf(a: SendArgs, ctx: CliContext): Promise<MessageSource> {
  if (a.data !== undefined) {
    const extra = [
      a.subject !== undefined && '--subject',
      a.header.length > 0 && '--header',
      a.body !== undefined && '--body',
    ].filter(Boolean);
    if (extra.length > 0)
      throw invalidInput(
        `--data sends the file as is: drop ${extra.join(' and ')}, or build the message without --data`,
      );
    return { kind: 'data', bytes: await readSource('--data', a.data, ctx) };
  }
  const body =
    a.body === undefined
      ? undefined
      : a.body === '-'
        ? await readSource('--body', '-', ctx)
        : a.body.startsWith('@')
          ? await readSource('--body', a.body.slice(1), ctx)
          : a.body;
  return {
    kind: 'built',
    ...(a.subject === undefined ? {} : { subject: a.subject }),
    headers: a.header,
    ...(body === undefined ? {} : { body }),
  };
}

async function readSource(flag: string, path: string, ctx: CliContext): Promise<Buffer> {
  try {
    return path === '-' ? await readBytes(ctx.stdin ?? process.stdin) : await readFile(path);
  } catch (err) {
    throw invalidInput(`${flag} ${path}: ${(err as Error).message}`);
  }
}

/** passwordOf: from the environment variable --auth-password-env names, else asked on the terminal. */
async function passwordOf(
  a: { authPasswordEnv: string | undefined; authUser: string | undefined },
  ctx: CliContext,
): Promise<string> {
  if (a.authPasswordEnv !== undefined) {
    const value = ctx.env[a.authPasswordEnv];
    if (value === undefined || value === '')
      throw invalidInput(
        `--auth-password-env ${a.authPasswordEnv}: that environment variable is not set`,
      );
    return value;
  }
  return promptPassword(
    `Password for ${a.authUser}: `,
    (ctx.stdin ?? process.stdin) as TtyInput,
    ctx.stderr,
  );
}

function dsnOf(a: {
  dsnNotify: string | undefined;
  dsnRet: 'FULL' | 'HDRS' | undefined;
  envid: string | undefined;
}): { dsn?: DsnRequest } {
  if (a.dsnNotify === undefined && a.dsnRet === undefined && a.envid === undefined) return {};
  return {
    dsn: {
      ...(a.dsnNotify === undefined
        ? {}
        : { notify: a.dsnNotify.split(',').map((n) => n.trim().toUpperCase()) }),
      ...(a.dsnRet === undefined ? {} : { ret: a.dsnRet }),
      ...(a.envid === undefined ? {} : { envid: a.envid }),
    },
  };
}
