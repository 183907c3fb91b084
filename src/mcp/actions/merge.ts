/** `merge`: preview (what would block it) or merge, then point at cleanup. */
import { plural } from '../../core';
import type { McpContext } from '../context';
import type { MergeArgs } from '../schema';

export async function merge(ctx: McpContext, args: MergeArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  const r = await engine.merge(args.instanceId, {
    ...(args.strategy ? { strategy: args.strategy } : {}),
    ...(args.preview ? { preview: true } : {}),
    ...(args.into ? { into: args.into } : {}),
    ...(args.commitMessage ? { commitMessage: args.commitMessage } : {}),
  });
  const out: Record<string, unknown> = { ...r, preview: !('merged' in r) };
  if (!('merged' in r)) {
    const blockers: string[] = [];
    if (r.conflicts.length) blockers.push(`${plural(r.conflicts.length, 'file')} would conflict: ${r.conflicts.join(', ')}`);
    if (r.uncommitted.length) blockers.push(`${plural(r.uncommitted.length, 'uncommitted change')} in the instance: pass commitMessage to commit them first`);
    if (r.targetChanges.length) blockers.push(`${r.target} has uncommitted changes at ${r.targetWorktree}: they must be committed or stashed first`);
    if (r.overwrites.length) blockers.push(`the merge would overwrite untracked or ignored files in ${r.target}'s working tree: ${r.overwrites.join(', ')}`);
    if (r.problem) blockers.push(`${r.problem.code}: ${r.problem.message}`);
    if (r.nothingToMerge && r.uncommitted.length === 0) blockers.push('nothing to merge');
    out.canMerge = blockers.length === 0;
    out.blockers = blockers;
  } else {
    out.next = `{"action":"cleanup","instanceId":"${r.id}"}`;
  }
  return out;
}
