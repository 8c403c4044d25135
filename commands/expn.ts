/** `smtp-probe expn <target> [lists..]`: EXPN each list and show its members (RFC 5321 §3.5), or that EXPN is off. */
import type { CommandModule } from 'yargs';
import { lookupCommand } from './lookup-command.js';
import type { CliContext } from './context.js';

/** expnCommand: the yargs module for `expn`. */
export function expnCommand(ctx: CliContext): CommandModule {
  return lookupCommand(ctx, {
    verb: 'EXPN',
    positional: 'lists',
    describe:
      'EXPN mailing lists in one session: the members of each (name and address), or how the server refuses',
    positionalDescribe: 'lists (or addresses) to EXPN (or --file)',
    examples: [
      ['$0 expn mx.example.com staff', 'the members of staff, or how EXPN is refused'],
      [
        '$0 expn 127.0.0.16:2525 staff --json',
        'in the lab: members as JSON (see `smtp-probe schema expn`)',
      ],
    ],
  });
}
