import { completionScript, SHELLS, type Shell } from '../completion';
import { EXIT, need, noExtra, UsageError, type Verb } from '../context';
// The table lists this verb too: read it when run, not when this module loads.
import { VERBS } from '.';

export const completion: Verb = {
  usage: ['completion bash|zsh|fish                                         a shell completion script (verbs, options, instance ids, races)'],
  summary: 'Prints a script that completes axiom\'s commands, options, instance ids, race, search and salvage names in your shell.',
  options: {},
  examples: [
    'source <(axiom completion bash)  # in ~/.bashrc (zsh: ~/.zshrc with zsh)',
    'axiom completion fish > ~/.config/fish/completions/axiom.fish',
  ],
  operands: SHELLS,
  async run(ctx) {
    const shell = need(ctx.args, 0, 'shell (axiom completion bash|zsh|fish)');
    noExtra(ctx.args, 1);
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`Unknown shell ${JSON.stringify(shell)} (use ${SHELLS.join(', ')}).`);
    ctx.io.out(completionScript(shell as Shell, VERBS));
    return EXIT.ok;
  },
};
