import { EXIT, noExtra, type Verb } from '../context';
import { formatForecast } from '../exploreFormat';

export const conflicts: Verb = {
  usage: ['conflicts                                                        which live instances conflict with each other; a landing order'],
  options: {},
  async run(ctx) {
    noExtra(ctx.args, 0);
    const forecast = await (await ctx.engine()).explore.conflicts();
    ctx.print(forecast, () => formatForecast(forecast));
    return EXIT.ok;
  },
};
