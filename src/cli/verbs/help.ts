import { EXIT, noExtra, UnknownCommandError, type Verb } from '../context';
import { globalHelp, verbHelp } from '../help';
// The table lists this verb too: read it when run, not when this module loads.
import { VERBS } from '.';

export const help: Verb = {
  usage: ['help [<command>]                                                 how to use one command (same as axiom <command> --help)'],
  summary: 'Shows how to use one command: its usage, what it does, each option with its meaning and default, and an example.',
  options: {},
  examples: ['axiom help land  # the options of axiom land'],
  operands: 'verb',
  async run(ctx) {
    noExtra(ctx.args, 1);
    const name = ctx.args[0];
    if (name === undefined) {
      ctx.io.out(`${globalHelp(VERBS)}\n`);
      return EXIT.ok;
    }
    const verb = Object.hasOwn(VERBS, name) ? VERBS[name] : undefined;
    if (!verb) throw new UnknownCommandError(name);
    ctx.io.out(`${verbHelp(verb)}\n`);
    return EXIT.ok;
  },
};
