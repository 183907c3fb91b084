import { EXIT, need, noExtra, type Verb } from '../context';
import { backend } from '../lazy';

export const stop: Verb = {
  usage: ['stop <id>                                                        stop the agent of an instance (keeps the instance)'],
  summary: 'Stops the agent of an instance (its headless process group) without cleaning up: the worktree, its branch and its work stay.',
  examples: ['axiom stop fix-login'],
  operands: 'instance',
  options: {},
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom stop <id>)');
    noExtra(ctx.args, 1);
    const r = await (await ctx.engine()).stopAgent(id);
    ctx.print(r, () => `${r.stopped ? `Stopped the agent of ${r.id}` : `The agent of ${r.id} was not running`} (${backend().describeAgentState(r.agentState)}).\n`);
    return EXIT.ok;
  },
};
