/**
 * promptPassword: ask for a password on the terminal with echo off — the one way besides an
 * environment variable that a secret reaches `send` (a flag would leave it in the shell history
 * and in `ps`). Only on a TTY; Ctrl-C is an interruption (exit 130), Ctrl-D gives up.
 */
import { invalidInput, ProbeError } from '../src/errors.js';

/** TtyInput: the terminal side of stdin this needs (process.stdin on a terminal). */
export interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
}

/** promptPassword: see the module comment; resolves with the password typed (Enter ends it). */
export function promptPassword(
  question: string,
  input: TtyInput,
  output: NodeJS.WritableStream,
): Promise<string> {
  const setRaw = input.setRawMode?.bind(input);
  if (!input.isTTY || !setRaw)
    return Promise.reject(
      invalidInput(
        '--auth-user needs a password: name an environment variable that holds it with --auth-password-env VAR (never a flag), or run on a terminal to be asked',
      ),
    );
  output.write(question);
  setRaw(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error): void => {
      input.off('data', onData);
      setRaw(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        const end = endOf(ch);
        if (end !== undefined) {
          done(end === 'enter' ? undefined : end);
          return;
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    input.on('data', onData);
  });
}

/** endOf: what a key ends the prompt with: Enter, or the error for Ctrl-C and Ctrl-D. */
function endOf(ch: string): 'enter' | ProbeError | undefined {
  if (ch === '\r' || ch === '\n') return 'enter';
  // Raw mode turns Ctrl-C into a byte instead of SIGINT: it still means "stop".
  if (ch === '\u0003')
    return new ProbeError({
      code: 'ABORTED',
      stage: 'input',
      message: 'interrupted at the password prompt; nothing was sent',
    });
  if (ch === '\u0004') return invalidInput('no password given; nothing was sent');
  return undefined;
}
