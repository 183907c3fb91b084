import { EXIT, need, noExtra, stringOption, type Verb } from '../context';

export const spawn: Verb = {
  usage: [
    'spawn <id> [--base <branch>] [--agent <name>] [--prompt <text>]   create an instance (branch + worktree)',
  ],
  options: { base: { type: 'string' }, agent: { type: 'string' }, prompt: { type: 'string' } },
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom spawn <id>)');
    noExtra(ctx.args, 1);
    const base = stringOption(ctx.values, 'base');
    const inst = await (
      await ctx.engine()
    ).spawn(id, {
      ...(base !== undefined ? { base } : {}),
      agent: stringOption(ctx.values, 'agent') ?? null,
      prompt: stringOption(ctx.values, 'prompt') ?? null,
    });
    ctx.print(
      inst,
      () =>
        `Spawned ${inst.id} on ${inst.branch} (from ${inst.base}) at ${inst.path}\nNext: cd ${JSON.stringify(inst.path)} and start your agent, or open it in VS Code.\n`,
    );
    return EXIT.ok;
  },
};
