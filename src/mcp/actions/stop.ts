/** `stop`: stops an instance's agent without cleaning anything up (the worktree and its work stay). */
import { describeAgentState } from '../../core';
import type { McpContext } from '../context';

export async function stop(ctx: McpContext, args: { instanceId: string }): Promise<Record<string, unknown>> {
  const r = await (await ctx.engine()).stopAgent(args.instanceId);
  return {
    instanceId: r.id,
    stopped: r.stopped,
    agentPhase: r.agentState.phase,
    agentState: describeAgentState(r.agentState),
    next: `The instance and its work stay: diff, merge or cleanup it.`,
  };
}
