/** The exploration actions, keyed by action name (the server's table takes them as they are). */
import type { ExploreMcpContext } from './exploreContext';
import type { EvaluateArgs, HistoryArgs, LandArgs, RaceArgs, RankArgs } from '../exploreSchema';
import { conflicts } from './conflicts';
import { evaluate } from './evaluate';
import { history } from './history';
import { land } from './land';
import { race } from './race';
import { rank } from './rank';

export const EXPLORE_HANDLERS: {
  race: (ctx: ExploreMcpContext, args: RaceArgs) => Promise<Record<string, unknown>>;
  evaluate: (ctx: ExploreMcpContext, args: EvaluateArgs) => Promise<Record<string, unknown>>;
  rank: (ctx: ExploreMcpContext, args: RankArgs) => Promise<Record<string, unknown>>;
  land: (ctx: ExploreMcpContext, args: LandArgs) => Promise<Record<string, unknown>>;
  conflicts: (ctx: ExploreMcpContext) => Promise<Record<string, unknown>>;
  history: (ctx: ExploreMcpContext, args: HistoryArgs) => Promise<Record<string, unknown>>;
} = { race, evaluate, rank, land, conflicts, history };
