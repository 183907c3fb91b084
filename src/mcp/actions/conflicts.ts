/** `conflicts`: which live instances conflict with each other (and in which files), and a landing order. */
import type { ExploreMcpContext } from './exploreContext';

export async function conflicts(ctx: ExploreMcpContext): Promise<Record<string, unknown>> {
  return { ...(await (await ctx.engine()).explore.conflicts()) };
}
