import { MERGE_STRATEGIES, type MergeStrategy } from '../../core/choices';
import { plural } from '../../core/text';
import type { MergePlan, MergeResult } from '../../core';
import { EXIT, UsageError, need, noExtra, stringOption, type Verb } from '../context';

export const merge: Verb = {
  usage: [
    'merge <id> [--strategy merge|squash|rebase|cherry-pick] [--into <branch>] [--preview] [--commit-message <m>]',
  ],
  summary: 'Brings an instance\'s branch back into its base (or another branch); refuses on conflicts or uncommitted work, and --preview shows what would happen.',
  options: {
    strategy: { type: 'string', value: 'merge|squash|rebase|cherry-pick', description: 'How the work is brought back.', default: 'merge', complete: MERGE_STRATEGIES },
    into: { type: 'string', value: '<branch>', description: 'The branch to merge into.', default: 'the instance\'s base' },
    preview: { type: 'boolean', description: 'Report commits, files and conflicts without changing anything.' },
    'commit-message': { type: 'string', value: '<m>', description: 'Commit the instance\'s uncommitted work first with this message (else uncommitted work refuses the merge).' },
  },
  operands: 'instance',
  examples: ['axiom merge fix-login --preview', 'axiom merge fix-login --strategy squash'],
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom merge <id>)');
    noExtra(ctx.args, 1);
    const strategy = (stringOption(ctx.values, 'strategy') ?? 'merge') as MergeStrategy;
    if (!MERGE_STRATEGIES.includes(strategy))
      throw new UsageError(`--strategy must be one of ${MERGE_STRATEGIES.join(', ')}.`);
    const into = stringOption(ctx.values, 'into');
    const commitMessage = stringOption(ctx.values, 'commit-message');
    const preview = ctx.values.preview === true;
    const r = await (
      await ctx.engine()
    ).merge(id, {
      strategy,
      ...(into !== undefined ? { into } : {}),
      ...(preview ? { preview: true } : {}),
      ...(commitMessage !== undefined ? { commitMessage } : {}),
    });
    ctx.print(r, () => describeMerge(r));
    return preview && r.conflicts.length > 0 ? EXIT.conflict : EXIT.ok;
  },
};

function describeMerge(r: MergePlan | MergeResult): string {
  const head = `${r.strategy} ${r.id} (${plural(r.commits.length, 'commit')}, ${plural(r.files.length, 'file')}) into ${r.target}`;
  // A provisioned file the agent changed is never committed or merged: said in words either way.
  const notKept = r.provisionedChanged.map((line) => `${line}\n`).join('');
  if ('merged' in r)
    return `Merged: ${head} → ${r.newTargetSha?.slice(0, 10)}\n${notKept}Next: axiom cleanup ${r.id}\n`;
  const lines = [
    `Preview: ${head}${r.targetWorktree ? ` (checked out at ${r.targetWorktree})` : ' (not checked out: merged without a working tree)'}`,
  ];
  if (r.conflicts.length)
    lines.push(`Conflicts in ${plural(r.conflicts.length, 'file')}:`, ...r.conflicts.map((f) => `  ${f}`));
  else lines.push('No conflicts.');
  if (r.uncommitted.length)
    lines.push(
      `${plural(r.uncommitted.length, 'uncommitted change')} in the instance: pass --commit-message to commit them first.`,
    );
  if (r.targetChanges.length)
    lines.push(`${r.target} has uncommitted changes at ${r.targetWorktree}: commit or stash them first.`);
  return lines.join('\n') + '\n' + notKept;
}
