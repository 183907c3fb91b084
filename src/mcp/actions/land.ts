/** `land`: merge (or publish) a race's winner and salvage the rest (or preview it), or land every instance in the forecast order. */
import { landingPreviewDocument } from '../../core';
import type { LandArgs } from '../exploreSchema';
import type { ExploreMcpContext } from './exploreContext';

export async function land(ctx: ExploreMcpContext, args: LandArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  if (args.all) {
    const { forecast: _forecast, ...r } = await engine.explore.landAll(args.strategy ?? 'merge');
    return { ...r };
  }
  const options = {
    ...(args.pick !== undefined ? { pick: args.pick } : {}),
    ...(args.strategy !== undefined ? { strategy: args.strategy } : {}),
    ...(args.keepLosers ? { keepLosers: true } : {}),
  };
  if (args.publish) {
    const r = await engine.explore.landPublished(args.task!, options, { ...(args.remote !== undefined ? { remote: args.remote } : {}), draft: args.draft === true });
    return { ...r, ...(r.salvaged.length ? { restore: r.salvaged.map((s) => `axiom salvage restore ${s.ref}`) } : {}) };
  }
  if (args.preview) {
    const plan = await engine.explore.planLanding(args.task!, options);
    return { preview: true, ...landingPreviewDocument(plan) };
  }
  const r = await engine.explore.land(args.task!, options);
  return { ...r, ...(r.salvaged.length ? { restore: r.salvaged.map((s) => `axiom salvage restore ${s.ref}`) } : {}) };
}
