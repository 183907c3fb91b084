import { plural } from '../../core/text';
import { EXIT, noExtra, type Verb } from '../context';

export const repair: Verb = {
  usage: ['repair                                                           prune, re-link, report orphans'],
  summary: 'Repairs the repository\'s worktree records: prunes vanished worktrees, re-links moved ones, removes unfinished spawns and reports orphan branches.',
  options: {},
  examples: ['axiom repair'],
  async run(ctx) {
    noExtra(ctx.args, 0);
    const r = await (await ctx.engine()).repair();
    ctx.print(r, () => {
      const lines = [
        ...r.stoppedProcesses.map((p) => `Stopped a leftover ${p.kind} process group (pid ${p.pid}): ${p.command}`),
        ...r.removedHalfSpawned.map((p) => `Removed unfinished spawn ${p}`),
        ...r.pruned.map((p) => `Pruned ${p} (folder was gone)`),
        ...r.quarantined.map((q) => `Set aside damaged record ${q.record} (${q.problem}) at ${q.movedTo}`),
        ...r.relinked.map((x) => `Re-linked ${x.id} at ${x.path}`),
        ...r.gitFilesRepaired.map((p) => `Wrote the broken .git file of ${p} again`),
        ...r.lookalikes.map((p) => `Left ${p} alone: it looks like an instance but Axiom has no record of making it (listed as another worktree)`),
        ...r.unreadable.map((u) => `Kept ${u.path}: it could not be read (${u.reason})`),
        ...r.orphanBranches.map((b) =>
          b.action === 'deleted'
            ? `Deleted empty branch ${b.branch}`
            : `Kept branch ${b.branch}: ${plural(b.unmergedCommits, 'unmerged commit')}, no worktree`,
        ),
      ];
      return (lines.length ? lines.join('\n') : 'Nothing to repair.') + '\n';
    });
    return EXIT.ok;
  },
};
