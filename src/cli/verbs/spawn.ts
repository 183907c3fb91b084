import { EXIT, need, noExtra, stringOption, type Verb } from '../context';

export const spawn: Verb = {
  usage: [
    'spawn <id> [--base <branch> | --from <instance>] [--agent <name>] [--prompt <text>]',
    '                                                                 create an instance (branch + worktree); --from branches from an instance',
  ],
  options: { base: { type: 'string' }, from: { type: 'string' }, agent: { type: 'string' }, prompt: { type: 'string' } },
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom spawn <id>)');
    noExtra(ctx.args, 1);
    const base = stringOption(ctx.values, 'base');
    const from = stringOption(ctx.values, 'from');
    const inst = await (
      await ctx.engine()
    ).spawn(id, {
      ...(base !== undefined ? { base } : {}),
      ...(from !== undefined ? { from } : {}),
      agent: stringOption(ctx.values, 'agent') ?? null,
      prompt: stringOption(ctx.values, 'prompt') ?? null,
    });
    ctx.print(
      inst,
      () =>
        `Spawned ${inst.id} on ${inst.branch} (from ${from !== undefined ? `instance ${from}, ` : ''}${inst.base}) at ${inst.path}\nNext: cd ${JSON.stringify(inst.path)} and start your agent, or open it in VS Code.\n`,
    );
    return EXIT.ok;
  },
};
