/** readArgumentList: positional arguments plus a --file of them (one per line, "-" for stdin, # comments and blank lines skipped). */
import { readFile } from 'node:fs/promises';
import { invalidInput } from '../src/errors.js';

/** readArgumentList: see the module comment; a missing file is INVALID_INPUT naming it. */
export async function readArgumentList(
  args: string[],
  file: string | undefined,
  stdin: NodeJS.ReadableStream,
): Promise<string[]> {
  if (file === undefined) return args;
  let text: string;
  try {
    text = file === '-' ? await readAll(stdin) : await readFile(file, 'utf8');
  } catch (err) {
    throw invalidInput(`--file ${file}: ${(err as Error).message}`);
  }
  // Only CR before LF is a line ending here; any other control byte stays and is refused later, loudly.
  const fromFile = text
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  return [...args, ...fromFile];
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
