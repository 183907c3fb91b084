/** `evaluate`: run the evaluation in one instance, or in every live member of a race (two at a time). */
import type { EvaluateOptions } from '../../core';
import type { EvaluateArgs } from '../exploreSchema';
import type { ExploreMcpContext } from './exploreContext';

export async function evaluate(ctx: ExploreMcpContext, args: EvaluateArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  const options: EvaluateOptions = {};
  if (args.evaluate !== undefined) options.command = args.evaluate;
  if (args.score !== undefined) options.score = args.score;
  if (args.timeoutSec !== undefined) options.timeoutSec = args.timeoutSec;
  if (args.instanceId !== undefined) return { results: [await engine.explore.evaluate(args.instanceId, options)] };
  const race = await engine.explore.race(args.task!);
  const outcomes = await engine.explore.evaluateMany(await engine.explore.liveMembers(race), options);
  const results = outcomes.map((o) => ('error' in o ? { id: o.id, error: o.error.toJSON() } : o.result));
  return { task: race.task, results, next: `{"action":"rank","task":"${race.task}"}` };
}
