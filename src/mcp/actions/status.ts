/** `status`: one instance, with final git facts when its agent exits during the call. */
import { readProcessRecord, type WorktreeStatus } from '../../core';
import type { McpContext } from '../context';
import { statusView } from '../views';

/**
 * One instance's status. The snapshot reads git facts before agent facts, so an agent that exits
 * in between would read as "exited" with the HEAD from before its last commit: when the exit
 * happened during the call, take the status once more so "exited" always comes with final git facts.
 */
export async function readStatus(ctx: McpContext, id: string): Promise<WorktreeStatus> {
  const engine = await ctx.engine();
  const inst = await engine.locate(id);
  const before = await readProcessRecord(inst.adminDir);
  const s = await engine.status(id);
  const exitedDuring = s.agentState.phase === 'exited' && before !== null && before.endedAt === undefined;
  return exitedDuring ? engine.status(id) : s;
}

export async function status(ctx: McpContext, args: { instanceId: string }): Promise<Record<string, unknown>> {
  return statusView(await readStatus(ctx, args.instanceId));
}
