import { EXIT, noExtra, type Verb } from '../context';
import { formatForecast } from '../exploreFormat';

export const conflicts: Verb = {
  usage: ['conflicts                                                        which live instances conflict with each other; a landing order'],
  summary: 'Forecasts which live instances conflict with each other (without touching any worktree) and suggests a landing order.',
  options: {},
  examples: ['axiom conflicts --json  # the forecast as one JSON document'],
  async run(ctx) {
    noExtra(ctx.args, 0);
    const forecast = await (await ctx.engine()).explore.conflicts();
    ctx.print(forecast, () => formatForecast(forecast));
    return EXIT.ok;
  },
};
