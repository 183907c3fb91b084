import { EXIT, need, noExtra, type Verb } from '../context';
import { formatRanking } from '../exploreFormat';

export const rank: Verb = {
  usage: ['rank <task>                                                      the race members, best first (passed, score, diff, time)'],
  summary: 'Ranks the members of a race, best first: passed, then score, then smaller diff, then time.',
  options: {},
  operands: 'race',
  examples: ['axiom rank login'],
  async run(ctx) {
    const task = need(ctx.args, 0, 'task name (axiom rank <task>)');
    noExtra(ctx.args, 1);
    const { race, rows } = await (await ctx.engine()).explore.rank(task);
    ctx.print(rows, () => formatRanking(race, rows));
    return EXIT.ok;
  },
};
