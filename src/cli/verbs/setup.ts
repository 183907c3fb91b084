import { EXIT, need, noExtra, type Verb } from '../context';
import { formatProgress } from './spawn';
import { setupFailure } from '../setupOutput';

export const setup: Verb = {
  usage: [
    'setup <id>                                                       run (again) the setup commands of .axiom.json in an instance',
  ],
  summary: 'Runs (again) the setup commands of .axiom.json in an instance, showing their output.',
  options: {},
  operands: 'instance',
  examples: ['axiom setup fix-login'],
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom setup <id>)');
    noExtra(ctx.args, 1);
    // Human mode shows the commands' output as it comes (this is what runs in an instance's VS Code terminal).
    const rec = await (
      await ctx.engine()
    ).setup(
      id,
      ctx.json
        ? {}
        : {
            echo: (chunk) => ctx.io.out(chunk),
            onStep: (s) => ctx.io.out(formatProgress({ step: 'setup', ...s })),
          },
    );
    if (rec === null) {
      ctx.print(
        { id, setup: null },
        () => `${id}: no setup commands are configured (.axiom.json "setup", git config axiom.setup).\n`,
      );
      return EXIT.ok;
    }
    ctx.print({ id, setup: rec }, () => (rec.state === 'succeeded' ? `Setup of ${id} succeeded.\n` : ''));
    return rec.state === 'failed' ? setupFailure(ctx, id, rec) : EXIT.ok;
  },
};
