/**
 * Ranking a race's members from their latest evaluations: passed first, then score (higher or
 * lower is better, as the race says), then the smaller diff, then the faster evaluation; ties go
 * to the smaller id. Members not evaluated yet come last. Pure: rows in, ranked rows out.
 */
import type { DiffSize, EvaluationRecord } from './attempts';
import type { Race, ScoreDirection } from './raceRecord';
import type { WorktreeStatus } from '../instances/status';

export interface RankRow {
  id: string;
  /** 1 = best. */
  rank: number;
  /** null: not evaluated yet. */
  passed: boolean | null;
  exitCode: number | null;
  timedOut: boolean;
  score: number | null;
  /** How long the evaluation ran. */
  durationMs: number | null;
  /** How long the agent worked before it was evaluated (null when unknown). */
  agentMs: number | null;
  diff: DiffSize | null;
  conflictsWithBase: boolean | null;
  agent: string | null;
  evaluatedAt: string | null;
  /** The member still exists. */
  live: boolean;
  /** Its HEAD or its uncommitted work changed since it was evaluated: evaluate again before trusting the rank. */
  stale: boolean;
  /** The agent's phase (live members), e.g. working, exited. */
  agentPhase: string | null;
}

export type UnrankedRow = Omit<RankRow, 'rank'>;

function diffWeight(d: DiffSize | null): number {
  return d ? d.added + d.deleted : Infinity;
}

export function compareRows(direction: ScoreDirection): (a: UnrankedRow, b: UnrankedRow) => number {
  const passOrder = (r: UnrankedRow): number => (r.passed === true ? 0 : r.passed === false ? 1 : 2);
  return (a, b) => {
    const byPass = passOrder(a) - passOrder(b);
    if (byPass !== 0) return byPass;
    if (a.score !== b.score) {
      if (a.score === null) return 1;
      if (b.score === null) return -1;
      return direction === 'higher' ? b.score - a.score : a.score - b.score;
    }
    const byDiff = diffWeight(a.diff) - diffWeight(b.diff);
    if (byDiff !== 0 && Number.isFinite(byDiff)) return byDiff;
    const byTime = (a.durationMs ?? Infinity) - (b.durationMs ?? Infinity);
    if (byTime !== 0 && Number.isFinite(byTime)) return byTime;
    return a.id.localeCompare(b.id);
  };
}

export function rankRows(rows: readonly UnrankedRow[], direction: ScoreDirection): RankRow[] {
  return [...rows].sort(compareRows(direction)).map((r, i) => {
    const { id, ...rest } = r;
    return { id, rank: i + 1, ...rest }; // id and rank lead the JSON row
  });
}

/** Was the member changed after its evaluation? (HEAD moved, or uncommitted work appeared or went.) */
function isStale(e: EvaluationRecord, w: WorktreeStatus): boolean {
  if (w.head !== e.head) return true;
  const dirtyNow = w.changes.length > 0;
  return dirtyNow !== e.snapshot;
}

/** One row per member of the race: its latest evaluation joined with its live status. */
export function raceRows(race: Race, latest: ReadonlyMap<string, EvaluationRecord>, worktrees: readonly WorktreeStatus[]): RankRow[] {
  const rows: UnrankedRow[] = race.members.map((m) => {
    const e = latest.get(m.id) ?? null;
    const w = worktrees.find((x) => x.kind === 'instance' && x.id === m.id && x.metadata?.race === race.ref) ?? null;
    return {
      id: m.id,
      passed: e ? e.passed : null,
      exitCode: e?.exitCode ?? null,
      timedOut: e?.timedOut ?? false,
      score: e?.score ?? null,
      durationMs: e?.durationMs ?? null,
      agentMs: e?.agentMs ?? null,
      diff: e?.diff ?? null,
      conflictsWithBase: w?.conflictsWithBase ?? null,
      agent: m.agent,
      evaluatedAt: e?.at ?? null,
      live: w !== null && w.dirty !== null,
      stale: !!(e && w && w.dirty !== null && isStale(e, w)),
      agentPhase: w ? w.agentState.phase : null,
    };
  });
  return rankRows(rows, race.evaluate.score);
}
