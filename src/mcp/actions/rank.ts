/** `rank`: a race's members best first (passed, score, smaller diff, faster evaluation, id). */
import type { RankArgs } from '../exploreSchema';
import type { ExploreMcpContext } from './exploreContext';

export async function rank(ctx: ExploreMcpContext, args: RankArgs): Promise<Record<string, unknown>> {
  const { race, rows } = await (await ctx.engine()).explore.rank(args.task);
  const pending = rows.filter((r) => r.live && r.passed === null).map((r) => r.id);
  return {
    task: race.task,
    race: race.ref,
    scoreDirection: race.evaluate.score,
    ranking: rows,
    ...(pending.length ? { pending, note: `${pending.join(', ')} not evaluated yet (agent still at work, or no evaluation ran).` } : {}),
  };
}
