/**
 * Flags, each declared once: its yargs option (how it is read and how --help
 * shows it) and the reader that turns the raw text into a typed value or one
 * clear line naming the flag, the value and what is accepted. A command lists
 * its flags in one record; `parseFlags` validates them all with one zod
 * schema before anything is resolved or dialled, and a bad value becomes
 * INVALID_INPUT (exit 2, and an envelope under --json). Numbers are read as
 * text and parsed here, never by yargs (which turns "abc" into NaN).
 * zod/mini keeps this off the start-up bill (the full zod loads only for `schema`).
 */
import type { Argv, Options, PositionalOptions } from 'yargs';
import * as z from 'zod/mini';
import { invalidInput, ProbeError } from '../src/errors.js';
import { formatEndpoint, parseTarget } from '../src/net/target.js';
import { parseDuration, formatDurationFlag } from '../src/time/duration.js';

/** Flag: one flag (or positional) of a command. */
export interface Flag<T> {
  /** The name on the command line (and the yargs key). */
  name: string;
  positional?: PositionalOptions;
  /** For a required positional: what to say when it is missing. */
  missing?: string;
  option?: Options;
  /**
   * Reads the raw yargs value (text, boolean, list or undefined); throws INVALID_INPUT. A function,
   * not a zod schema: every command's flags are declared at start-up, and only the running
   * command's become schemas (in parseFlags).
   */
  read: (raw: unknown) => T;
}

/** FlagSet: a command's flags by the name its handler uses. */
export type FlagSet = Record<string, Flag<unknown>>;
/** Parsed: the typed values of a FlagSet. */
export type Parsed<F extends FlagSet> = { [K in keyof F]: F[K] extends Flag<infer T> ? T : never };

/** reader: a zod schema from a parse function that throws INVALID_INPUT with the message to show. */
function reader<T>(parse: (raw: unknown) => T): z.ZodMiniType<T, unknown> {
  return z.transform((raw: unknown, ctx) => {
    try {
      return parse(raw);
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      ctx.issues.push({ code: 'custom', message: err.message, input: raw });
      return z.NEVER;
    }
  }) as unknown as z.ZodMiniType<T, unknown>;
}

const text = (raw: unknown): string | undefined =>
  raw === undefined ? undefined : Array.isArray(raw) ? String(raw.at(-1)) : String(raw);

/** integer: `raw` as a whole number in [min, max], or INVALID_INPUT naming the flag and the range. */
function integer(flag: string, raw: string, min: number, max: number, what: string): number {
  const n = /^[+]?\d{1,9}$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw invalidInput(
      `--${flag} "${raw}" is not ${what}: give a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

/** booleanFlag: --name / --no-name. */
export function booleanFlag(
  name: string,
  fallback: boolean,
  describe: string,
  group?: string,
): Flag<boolean> {
  return {
    name,
    option: { type: 'boolean', default: fallback, describe, ...(group ? { group } : {}) },
    read: (raw) => (raw === undefined ? fallback : raw === true || raw === 'true'),
  };
}

/** textFlag: a string, checked later by the probe that knows its syntax (a HELO name, a domain). */
export function textFlag(
  name: string,
  describe: string,
  extra: Options = {},
): Flag<string | undefined> {
  return { name, option: { type: 'string', describe, ...extra }, read: text };
}

/** listFlag: a repeatable string flag. */
export function listFlag(name: string, describe: string, group?: string): Flag<string[]> {
  return {
    name,
    option: { type: 'string', array: true, describe, ...(group ? { group } : {}) },
    read: (raw) =>
      raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map((v) => String(v)),
  };
}

/** portFlag: a TCP port, 1-65535 (0 too when `allowZero`: "any free port"). */
export function portFlag(
  name: string,
  fallback: number | undefined,
  describe: string,
  allowZero = false,
): Flag<number> {
  const min = allowZero ? 0 : 1;
  const shown = fallback === undefined ? '' : `; default ${fallback}`;
  return {
    name,
    option: { type: 'string', describe: `${describe} (${min}-65535${shown})` },
    read: (raw) => {
      const value = text(raw);
      if (value === undefined) {
        if (fallback === undefined) return undefined as unknown as number;
        return fallback;
      }
      return integer(name, value, min, 65535, 'a port');
    },
  };
}

/** countFlag: a whole number in a range that --help shows. */
export function countFlag(
  name: string,
  range: { min: number; max: number; fallback?: number; what: string },
  describe: string,
  group?: string,
): Flag<number | undefined> {
  const shown = range.fallback === undefined ? '' : `; default ${range.fallback}`;
  return {
    name,
    option: {
      type: 'string',
      describe: `${describe} (${range.min}-${range.max}${shown})`,
      ...(group ? { group } : {}),
    },
    read: (raw) => {
      const value = text(raw);
      if (value === undefined) return range.fallback;
      return integer(name, value, range.min, range.max, range.what);
    },
  };
}

/** durationFlag: 500ms, 5s, 2m (a bare number is seconds), in milliseconds. */
export function durationFlag(
  name: string,
  fallbackMs: number | undefined,
  describe: string,
  group?: string,
): Flag<number | undefined> {
  const shown = fallbackMs === undefined ? '' : ` (default ${formatDurationFlag(fallbackMs)})`;
  return {
    name,
    option: { type: 'string', describe: `${describe}${shown}`, ...(group ? { group } : {}) },
    read: (raw) => {
      const value = text(raw);
      return value === undefined ? undefined : parseDuration(value, `--${name}`);
    },
  };
}

/** choiceFlag: one of a closed set, checked here so a wrong one still gets an envelope under --json. */
export function choiceFlag<const C extends readonly string[]>(
  name: string,
  choices: C,
  fallback: C[number],
  describe: string,
  group?: string,
): Flag<C[number]> {
  return {
    name,
    option: {
      type: 'string',
      describe: `${describe} (${choices.join(', ')}; default ${fallback})`,
      ...(group ? { group } : {}),
    },
    read: (raw) => {
      const value = text(raw);
      if (value === undefined) return fallback;
      if (!choices.includes(value)) {
        throw invalidInput(`--${name} "${value}" is not one of ${choices.join(', ')}`);
      }
      return value as C[number];
    },
  };
}

/**
 * positional: a required positional; missing, it says what is needed with an
 * example ("caps needs a target, e.g. smtp-probe caps mx.example.com").
 */
export function positional(
  name: string,
  describe: string,
  missing: { command: string; what: string; example: string },
): Flag<string> {
  const message = `${missing.command} needs ${missing.what}, e.g. smtp-probe ${missing.command} ${missing.example}`;
  return {
    name,
    positional: { type: 'string', describe },
    missing: message,
    read: (raw) => {
      const value = text(raw);
      if (value === undefined || value === '') throw invalidInput(message);
      return value;
    },
  };
}

/** customFlag: a flag with its own syntax: `parse` gets the raw value and throws INVALID_INPUT naming the flag. */
export function customFlag<T>(name: string, option: Options, parse: (raw: unknown) => T): Flag<T> {
  return { name, option, read: parse };
}

/**
 * targetShown: how the envelope names a target: as given, but an IPv6 address
 * always in brackets with its port ("[::1]:25", never "::1:25").
 */
export function targetShown(raw: unknown, defaultPort: number): string {
  const given = text(raw) ?? '';
  try {
    const t = parseTarget(given, defaultPort);
    return t.family === 6 ? formatEndpoint(t.host, t.port) : given;
  } catch {
    return given;
  }
}

/** positionalList: zero or more positionals (with --file, the command decides whether none is enough). */
export function positionalList(name: string, describe: string): Flag<string[]> {
  return {
    name,
    positional: { type: 'string', array: true, describe },
    read: (raw) =>
      raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map((v) => String(v)),
  };
}

/**
 * declare: every flag of `flags` on the yargs builder (positionals first, as
 * yargs needs). A missing required positional is yargs' to report; its message
 * becomes ours ("caps needs a target, e.g. …"). yargs formats it with two
 * numbers (got, need): the two %c take them and print nothing.
 */
export function declare<T>(y: Argv<T>, flags: FlagSet): Argv<T> {
  const missing = Object.values(flags).find((f) => f.missing)?.missing;
  let built = missing
    ? y.updateStrings({
        'Not enough non-option arguments: got %s, need at least %s': {
          one: `${missing}%c%c`,
          other: `${missing}%c%c`,
        } as unknown as string,
      })
    : y;
  for (const f of Object.values(flags)) {
    if (f.positional) built = built.positional(f.name, f.positional) as Argv<T>;
  }
  for (const f of Object.values(flags)) {
    if (f.option) built = built.option(f.name, f.option) as Argv<T>;
  }
  return built;
}

/**
 * parseFlags: every flag of `flags` from yargs' argv through one zod object
 * schema (of the flags' readers); the first problem becomes INVALID_INPUT
 * (nothing sent yet).
 */
export function parseFlags<F extends FlagSet>(flags: F, argv: Record<string, unknown>): Parsed<F> {
  const shape = Object.fromEntries(Object.entries(flags).map(([key, f]) => [key, reader(f.read)]));
  const raw = Object.fromEntries(Object.entries(flags).map(([key, f]) => [key, argv[f.name]]));
  const parsed = z.object(shape).safeParse(raw);
  if (!parsed.success) throw invalidInput(parsed.error.issues[0]?.message ?? 'invalid arguments');
  return parsed.data as Parsed<F>;
}
