/**
 * lookupCommand: the yargs module `vrfy` and `expn` share — the same flags,
 * one probe, one renderer; only the verb and the words differ. Exit 0 whenever
 * the probe ran: "no such user" or "disabled" are data, not failures.
 */
import type { CommandModule } from 'yargs';
import type { CliContext } from './context.js';
import { booleanFlag, positional, positionalList, targetShown, textFlag } from './flags.js';
import { readArgumentList } from './input-list.js';
import { CA_FLAG, HELO_FLAG, starttlsFlag, timeoutFlags, timeoutsOf } from './options.js';
import { probeCommand } from './run.js';

/** LookupSpec: what differs between `vrfy` and `expn`. */
export interface LookupSpec {
  verb: 'VRFY' | 'EXPN';
  /** The positional's name: `names` or `lists`. */
  positional: string;
  describe: string;
  positionalDescribe: string;
  examples: [string, string][];
}

/** lookupFlags: the flags of `vrfy` and `expn`, each once. */
export function lookupFlags(spec: LookupSpec) {
  const command = spec.verb.toLowerCase();
  return {
    target: positional(
      'target',
      'host, host:port, IPv4, [IPv6] or [IPv6]:port (port 25 by default)',
      {
        command,
        what: 'a target',
        example: spec.verb === 'VRFY' ? 'mx.example.com postmaster' : 'mx.example.com staff',
      },
    ),
    names: positionalList(spec.positional, spec.positionalDescribe),
    // requiresArg: without it yargs reads `--file -` as an empty --file and a positional "-".
    file: textFlag(
      'file',
      'read more from a file, one per line (- for stdin; blank lines and # comments skipped)',
      { requiresArg: true },
    ),
    bothForms: booleanFlag('both-forms', false, 'ask each argument as user and as user@domain'),
    domain: textFlag(
      'domain',
      'the domain for the user@domain form (implies --both-forms; default: the host name in the banner)',
      { requiresArg: true },
    ),
    starttls: starttlsFlag(
      'STARTTLS when offered, so a policy that differs after TLS is seen (--no-starttls stays in clear)',
    ),
    ca: CA_FLAG,
    control: booleanFlag(
      'control',
      true,
      `when every answer is 252, ${spec.verb} one made-up name to tell a blanket 252 from a real lookup`,
    ),
    helo: HELO_FLAG,
    ...timeoutFlags('target'),
  };
}

/** lookupCommand: see the module comment. */
export function lookupCommand(ctx: CliContext, spec: LookupSpec): CommandModule {
  const command = spec.verb.toLowerCase() as 'vrfy' | 'expn';
  return probeCommand(ctx, {
    command,
    yargsCommand: `${command} <target> [${spec.positional}..]`,
    usage: `${command} <target> [${spec.positional}..] [options]`,
    describe: spec.describe,
    flags: lookupFlags(spec),
    examples: spec.examples,
    target: (argv) => targetShown(argv.target, 25),
    probe: async (a, io) => {
      const { probeLookup } = await import('../src/probes/lookup.js');
      const items = await readArgumentList(a.names, a.file, ctx.stdin ?? process.stdin);
      return probeLookup(
        spec.verb,
        a.target,
        items.map((i) => i.text),
        {
          ...(a.helo === undefined ? {} : { helo: a.helo }),
          starttls: a.starttls,
          caFiles: a.ca,
          bothForms: a.bothForms || a.domain !== undefined,
          ...(a.domain === undefined ? {} : { domain: a.domain }),
          control: a.control,
          timeouts: timeoutsOf(a),
          signal: io.signal,
          ...(io.onTranscript ? { onTranscript: io.onTranscript } : {}),
        },
      );
    },
    tables: async () => (await import('../src/output/lookup-table.js')).renderLookup,
  });
}
