/** `history`: every attempt (race members and evaluated instances) with its outcome, and per-agent totals. */
import type { HistoryArgs } from '../exploreSchema';
import type { ExploreMcpContext } from './exploreContext';

export async function history(ctx: ExploreMcpContext, args: HistoryArgs): Promise<Record<string, unknown>> {
  const h = await (await ctx.engine()).explore.history(args.task !== undefined ? { task: args.task } : {});
  return args.stats ? { agents: h.agents } : { attempts: h.attempts, agents: h.agents };
}
