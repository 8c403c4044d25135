/** readArgumentList: positional arguments plus a --file of them (one per line, "-" for stdin, # comments and blank lines skipped). */
import { readFile } from 'node:fs/promises';
import { invalidInput } from '../src/errors.js';

/** Argument: one argument and where it came from (the line of --file, for a message that points at it). */
export interface Argument {
  text: string;
  /** The line number in --file; absent for a positional. */
  line?: number;
}

/** readArgumentList: see the module comment; a missing file is INVALID_INPUT naming it. */
export async function readArgumentList(
  args: string[],
  file: string | undefined,
  stdin: NodeJS.ReadableStream,
): Promise<Argument[]> {
  const given = args.map((text) => ({ text }));
  if (file === undefined) return given;
  let text: string;
  try {
    text = file === '-' ? await readAll(stdin) : await readFile(file, 'utf8');
  } catch (err) {
    throw invalidInput(`--file ${file}: ${(err as Error).message}`);
  }
  // Only CR before LF is a line ending here; any other control byte stays and is refused later, loudly.
  const fromFile = text
    .split('\n')
    .map((l, i) => ({ text: l.replace(/\r$/, '').trim(), line: i + 1 }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'));
  return [...given, ...fromFile];
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return (await readBytes(stream)).toString('utf8');
}

/** readBytes: everything a stream gives until it ends, as it came (a message body need not be UTF-8). */
export async function readBytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}
