import { plural } from '../../core/text';
import { EXIT, need, noExtra, type Verb } from '../context';

export const diff: Verb = {
  usage: [
    'diff <id>                                                        files changed against the merge-base',
  ],
  summary: 'Lists the files an instance changed against its merge-base with the base branch, with line counts.',
  options: {},
  operands: 'instance',
  examples: ['axiom diff fix-login'],
  async run(ctx) {
    const id = need(ctx.args, 0, 'instance id (axiom diff <id>)');
    noExtra(ctx.args, 1);
    const d = await (await ctx.engine()).diff(id);
    ctx.print(d, () =>
      d.files.length === 0
        ? `${id} has no changes against ${d.base}.\n`
        : d.files
            .map((f) => `${f.status} ${f.added === null ? 'bin' : `+${f.added} -${f.deleted}`}\t${f.path}`)
            .join('\n') +
          `\n${plural(d.files.length, 'file')}, +${d.added} -${d.deleted} against the merge-base with ${d.base} (${d.mergeBase.slice(0, 10)}).\n`,
    );
    return EXIT.ok;
  },
};
