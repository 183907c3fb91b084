import { EXIT, noExtra, stringOption, type Verb } from '../context';
import { formatHistory, formatStats } from '../exploreFormat';

export const history: Verb = {
  usage: ['history [--race <task>] [--stats]                                every attempt and its outcome; per-agent totals'],
  summary: 'Lists every attempt (race members and evaluated instances) and its outcome, or per-agent totals.',
  options: {
    race: { type: 'string', value: '<task>', description: 'Only the attempts of this race.', complete: 'race' },
    stats: { type: 'boolean', description: 'Per-agent totals (attempts, passed, landed) instead of the attempts.' },
  },
  examples: ['axiom history --stats  # which agent wins most often'],
  async run(ctx) {
    noExtra(ctx.args, 0);
    const task = stringOption(ctx.values, 'race');
    const h = await (await ctx.engine()).explore.history(task !== undefined ? { task } : {});
    if (ctx.values.stats) ctx.print(h.agents, () => formatStats(h.agents));
    else ctx.print(h.attempts, () => formatHistory(h.attempts));
    return EXIT.ok;
  },
};
