/**
 * Which agent of a search's mix expands a node (issue 18, "learn from all attempts"): UCB1 over the
 * recorded history of attempts — every evaluated race member and instance, and every evaluated node
 * of every search. Pure: the history in, the choice out.
 *
 * Each evaluated attempt is one play of its agent's arm with a reward in [0, 1]: whether it passed
 * and, when its score gain is known (a search node: its score against its parent's, in the search's
 * direction), whether it gained — reward = (passed + gained) / 2; without a known gain (a race
 * member) reward = passed. An arm's UCB value is its mean reward + C·√(ln N / n), where n counts its
 * plays and the attempts of it still at work in the search (so parallel expansions spread over the
 * arms), and N is the sum of n over the mix's arms; an arm without a play is tried first. A mix of
 * one agent is just that agent.
 */
import type { AttemptRow } from '../explore/history';
import type { ScoreDirection } from '../explore/raceRecord';
import { nodeInstanceId, type SearchNode, type SearchRecord } from './searchRecord';

export const DEFAULT_BANDIT_EXPLORATION = Math.SQRT2;
/** The mean reward assumed for an arm whose only plays are still at work. */
const PRIOR_REWARD = 0.5;

/** One evaluated attempt of an agent. */
export interface AgentOutcome {
  agent: string;
  passed: boolean;
  /** Score gain over where the attempt started (better = positive); null when unknown. */
  gain: number | null;
}

/** What the bandit knows of one agent. */
export interface ArmStats {
  agent: string;
  /** Evaluated attempts (plays). */
  attempts: number;
  passed: number;
  passRate: number | null;
  /** Attempts with a known score gain, and its mean. */
  gains: number;
  meanGain: number | null;
  /** Mean reward of the plays, null without one. */
  reward: number | null;
  /** Attempts of it still at work (counted as plays in the exploration term). */
  pending: number;
  /** Mean reward + exploration; null for an arm never tried (it is chosen first). */
  ucb: number | null;
}

export function rewardOf(o: AgentOutcome): number {
  const passed = o.passed ? 1 : 0;
  return o.gain === null ? passed : (passed + (o.gain > 0 ? 1 : 0)) / 2;
}

type SearchLike = Pick<SearchRecord, 'name' | 'nodes' | 'evaluate'>;

function gainOf(node: SearchNode, parent: SearchNode | undefined, direction: ScoreDirection): number | null {
  const s = node.result?.score;
  const p = parent?.result?.score;
  if (s === null || s === undefined || p === null || p === undefined) return null;
  return direction === 'higher' ? s - p : p - s;
}

/** The evaluated attempts of a search (its root, the base, is no attempt). */
export function searchOutcomes(s: SearchLike): AgentOutcome[] {
  const byId = new Map(s.nodes.map((n) => [n.id, n]));
  return s.nodes
    .filter((n) => n.parent !== null && n.agent !== null && n.state === 'evaluated' && n.result)
    .map((n) => ({ agent: n.agent!, passed: n.result!.passed, gain: gainOf(n, byId.get(n.parent!), s.evaluate.score) }));
}

/**
 * Every evaluated attempt of `rows` (history) and `searches`. A search node is evaluated as an
 * instance outside any race, so it is in `rows` too: that row is left out for the node's own outcome
 * (which knows its gain); so are the nodes of the search named `without` (the driver adds its own live).
 */
export function agentOutcomes(rows: readonly Pick<AttemptRow, 'id' | 'race' | 'agent' | 'passed' | 'commit'>[], searches: readonly SearchLike[], without?: string): AgentOutcome[] {
  const nodeRows = new Set(searches.flatMap((s) => s.nodes.map((n) => `${nodeInstanceId(s.name, n.id)}\0${n.commit}`)));
  const fromRows = rows
    .filter((r) => r.agent !== null && r.passed !== null && !(r.race === null && nodeRows.has(`${r.id}\0${r.commit}`)))
    .map((r) => ({ agent: r.agent!, passed: r.passed!, gain: null }));
  return [...fromRows, ...searches.filter((s) => s.name !== without).flatMap(searchOutcomes)];
}

/** The bandit's view of each arm (in the order given). */
export function armStats(arms: readonly string[], outcomes: readonly AgentOutcome[], pending: ReadonlyMap<string, number> = new Map(), exploration = DEFAULT_BANDIT_EXPLORATION): ArmStats[] {
  const plays = (agent: string): AgentOutcome[] => outcomes.filter((o) => o.agent === agent);
  const total = arms.reduce((sum, a) => sum + plays(a).length + (pending.get(a) ?? 0), 0);
  const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return arms.map((agent) => {
    const mine = plays(agent);
    const gains = mine.flatMap((o) => (o.gain === null ? [] : [o.gain]));
    const reward = mean(mine.map(rewardOf));
    const waiting = pending.get(agent) ?? 0;
    const n = mine.length + waiting;
    const passed = mine.filter((o) => o.passed).length;
    return {
      agent,
      attempts: mine.length,
      passed,
      passRate: mine.length ? passed / mine.length : null,
      gains: gains.length,
      meanGain: mean(gains),
      reward,
      pending: waiting,
      ucb: n === 0 ? null : (reward ?? PRIOR_REWARD) + exploration * Math.sqrt(Math.log(Math.max(total, 1)) / n),
    };
  });
}

/**
 * The agent of the mix (e.g. claude, claude, codex) that expands the next node: an untried arm
 * first, else the highest UCB value; ties go to the agent the mix names more often, then to the
 * one it names first.
 */
export function chooseAgent(mix: readonly string[], outcomes: readonly AgentOutcome[], pending: ReadonlyMap<string, number> = new Map(), exploration = DEFAULT_BANDIT_EXPLORATION): { agent: string; arms: ArmStats[] } {
  const arms = [...new Set(mix)];
  const stats = armStats(arms, outcomes, pending, exploration);
  if (arms.length === 1) return { agent: arms[0]!, arms: stats };
  const weight = (a: string): number => mix.filter((x) => x === a).length;
  const value = (s: ArmStats): number => s.ucb ?? Infinity;
  const best = [...stats].sort((a, b) => value(b) - value(a) || weight(b.agent) - weight(a.agent) || arms.indexOf(a.agent) - arms.indexOf(b.agent))[0]!;
  return { agent: best.agent, arms: stats };
}

/** What the bandit learned of every agent in the history (most plays first). */
export function learnedArms(outcomes: readonly AgentOutcome[]): ArmStats[] {
  const agents = [...new Set(outcomes.map((o) => o.agent))];
  return armStats(agents, outcomes).sort((a, b) => b.attempts - a.attempts || a.agent.localeCompare(b.agent));
}
