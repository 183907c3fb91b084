import { plural } from '../../core/text';
import { EXIT, noExtra, type Verb } from '../context';
import { formatStatusLine } from '../format';

export const list: Verb = {
  usage: ['list                                                             every worktree with its status'],
  summary: 'Lists every worktree of the repository with its status (changes, ahead/behind, agent state).',
  options: {},
  examples: ['axiom list --json  # the snapshot as one JSON document'],
  async run(ctx) {
    noExtra(ctx.args, 0);
    const snap = await (await ctx.engine()).snapshot();
    ctx.print(snap, () => {
      if (snap.worktrees.length === 0) return 'No worktrees.\n';
      const instances = snap.worktrees.filter((w) => w.kind === 'instance').length;
      return (
        snap.worktrees.map(formatStatusLine).join('\n') +
        `\n${plural(instances, 'instance')}. Spawn one with: axiom spawn <id>\n`
      );
    });
    return EXIT.ok;
  },
};
