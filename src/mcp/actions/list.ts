/** `list`: every instance's cheap row, and the worktrees Axiom did not make. */
import type { McpContext } from '../context';
import { listRow } from '../views';

export async function list(ctx: McpContext): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  const snap = await engine.snapshot({ conflicts: false });
  const instances = snap.worktrees.filter((w) => w.kind === 'instance');
  return {
    repository: snap.repo.mainWorktree,
    takenAt: snap.takenAt,
    instances: instances.map(listRow),
    otherWorktrees: snap.worktrees.filter((w) => w.kind !== 'instance').map((w) => ({ kind: w.kind, worktreePath: w.path, branch: w.branch })),
    limit: (await engine.settings()).maxInstances,
  };
}
