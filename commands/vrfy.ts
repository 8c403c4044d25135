/** `smtp-probe vrfy <target> [names..]`: VRFY each name and say what the server gives away (RFC 5321 §3.5). */
import type { CommandModule } from 'yargs';
import { lookupCommand } from './lookup-command.js';
import type { CliContext } from './context.js';

/** vrfyCommand: the yargs module for `vrfy`. */
export function vrfyCommand(ctx: CliContext): CommandModule {
  return lookupCommand(ctx, {
    verb: 'VRFY',
    positional: 'names',
    describe:
      'VRFY names or addresses in one session: exists / cannot-verify (252) / no-such-user / disabled …, with each reply as evidence',
    positionalDescribe: 'user names or addresses to VRFY (or --file)',
    examples: [
      [
        '$0 vrfy mx.example.com postmaster alice',
        'one session, one VRFY per name, a disclosure finding',
      ],
      [
        '$0 vrfy 127.0.0.16:2525 alice nobody --both-forms',
        'in the lab: alice and alice@vrfy-open.lab.test, …',
      ],
      [
        '$0 vrfy mx.example.com --file names.txt --json',
        'many names (- reads stdin); JSON (see `smtp-probe schema vrfy`)',
      ],
    ],
  });
}
