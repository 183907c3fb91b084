/** `cleanup`: remove the instance (the engine refuses when work would be lost); drop our end of its agent's input. */
import type { McpContext } from '../context';
import type { CleanupArgs } from '../schema';

export async function cleanup(ctx: McpContext, args: CleanupArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  const inst = await engine.locate(args.instanceId);
  const handle = ctx.handles.get(inst.adminDir);
  const r = await engine.cleanup(args.instanceId, { force: args.force === true, keepBranch: args.keepBranch === true });
  if (handle) {
    handle.stdin?.destroy();
    ctx.handles.delete(inst.adminDir);
  }
  return {
    ...r,
    ...(r.salvageRef ? { restore: `axiom salvage restore ${r.salvageRef}` } : {}),
  };
}
