/**
 * Which nodes of a search to expand next (issue 18). Pure: the tree in, the choice out.
 *
 * A node's value is its evaluation normalised within the search to [0, 1]: a passing node is worth
 * 0.5 + 0.5·s, a failing one 0.49·s, where s is its score's place between the worst and the best
 * score seen in the search (1 when the scores do not differ, 0 without a score) — so a failing
 * evaluation is below every passing one. A node whose agent or evaluation could not run is worth 0.
 *
 * `uct`: every evaluated node is a candidate, scored Q + C·√(ln N(parent) / N), where N counts the
 * node and all its descendants (unfinished ones too, so parallel expansions spread out) and Q is the
 * mean value of its finished subtree. `best`: the current best node only. Either way an expansion
 * gets `width` children (fewer when fewer slots are free).
 */
import type { ScoreDirection } from '../explore/raceRecord';
import type { SearchNode, SelectMode } from './searchRecord';

export const DEFAULT_EXPLORATION = Math.SQRT2;

type TreeNode = Pick<SearchNode, 'id' | 'parent' | 'state' | 'result'>;

/** The values of the finished nodes (evaluated or failed), by id. */
export function nodeValues(nodes: readonly TreeNode[], direction: ScoreDirection): Map<number, number> {
  const scores = nodes.flatMap((n) => (n.state === 'evaluated' && n.result?.score !== null && n.result?.score !== undefined ? [n.result.score] : []));
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const place = (score: number | null): number => {
    if (score === null || scores.length === 0) return 0;
    if (hi === lo) return 1;
    return direction === 'higher' ? (score - lo) / (hi - lo) : (hi - score) / (hi - lo);
  };
  const values = new Map<number, number>();
  for (const n of nodes) {
    if (n.state === 'failed') values.set(n.id, 0);
    else if (n.state === 'evaluated' && n.result) values.set(n.id, n.result.passed ? 0.5 + 0.5 * place(n.result.score) : 0.49 * place(n.result.score));
  }
  return values;
}

interface Stats {
  /** The node and its descendants, finished or not. */
  visits: number;
  /** Sum and count of the values of its finished subtree. */
  sum: number;
  finished: number;
}

function subtreeStats(nodes: readonly TreeNode[], values: ReadonlyMap<number, number>): Map<number, Stats> {
  const stats = new Map<number, Stats>(nodes.map((n) => [n.id, { visits: 0, sum: 0, finished: 0 }]));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) {
    const v = values.get(n.id);
    // Every node counts once for itself and each of its ancestors.
    for (let at: TreeNode | undefined = n; at; at = at.parent === null ? undefined : byId.get(at.parent)) {
      const s = stats.get(at.id)!;
      s.visits++;
      if (v !== undefined) {
        s.sum += v;
        s.finished++;
      }
    }
  }
  return stats;
}

/** The UCT score of each expandable node (evaluated, with a commit). */
export function uctScores(nodes: readonly (TreeNode & Pick<SearchNode, 'commit'>)[], direction: ScoreDirection, exploration: number): Map<number, number> {
  const values = nodeValues(nodes, direction);
  const stats = subtreeStats(nodes, values);
  const scores = new Map<number, number>();
  for (const n of nodes) {
    if (n.state !== 'evaluated' || !n.commit) continue;
    const s = stats.get(n.id)!;
    const parentVisits = n.parent === null ? s.visits : stats.get(n.parent)?.visits ?? s.visits;
    const q = s.finished ? s.sum / s.finished : 0;
    scores.set(n.id, q + exploration * Math.sqrt(Math.log(Math.max(parentVisits, 1)) / s.visits));
  }
  return scores;
}

/** The best evaluated node (highest value, then the earliest); null when none. `withRoot` false leaves the root out. */
export function bestNode<N extends TreeNode>(nodes: readonly N[], direction: ScoreDirection, withRoot = true): N | null {
  const values = nodeValues(nodes, direction);
  let best: N | null = null;
  for (const n of nodes) {
    if (n.state !== 'evaluated' || (!withRoot && n.parent === null)) continue;
    if (!best || values.get(n.id)! > values.get(best.id)!) best = n;
  }
  return best;
}

export interface Expansion {
  node: number;
  children: number;
}

export interface SelectInput {
  nodes: readonly SearchNode[];
  select: SelectMode;
  exploration: number;
  width: number;
  direction: ScoreDirection;
}

/**
 * Which nodes to expand with `slots` new children (their sum). Each pick counts its children as
 * unfinished visits before the next pick, so one round of parallel picks spreads over the tree.
 */
export function selectExpansions(input: SelectInput, slots: number): Expansion[] {
  const nodes: SearchNode[] = [...input.nodes];
  const picks: Expansion[] = [];
  let nextId = Math.max(-1, ...nodes.map((n) => n.id)) + 1;
  while (slots > 0) {
    let pick: number | null;
    if (input.select === 'best') {
      pick = bestNode(nodes, input.direction)?.id ?? null;
    } else {
      const scores = uctScores(nodes, input.direction, input.exploration);
      pick = null;
      for (const [id, score] of scores) if (pick === null || score > scores.get(pick)! || (score === scores.get(pick)! && id < pick)) pick = id;
    }
    if (pick === null) break;
    const children = Math.min(input.width, slots);
    picks.push({ node: pick, children });
    slots -= children;
    const parent = nodes.find((n) => n.id === pick)!;
    for (let i = 0; i < children; i++) {
      nodes.push({ id: nextId++, parent: pick, round: parent.round + 1, agent: null, prompt: null, instance: null, commit: null, result: null, state: 'pending', createdAt: '' });
    }
  }
  return picks;
}
