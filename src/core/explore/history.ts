/**
 * History ("learn from all attempts"): every attempt — each member of each race, and each other
 * instance that was ever evaluated — with its result and what became of it (landed, salvaged,
 * cleaned, open), cleaned-up ones included; and per-agent totals. Built only from what git keeps:
 * race records, evaluation notes, salvage refs and the live instances' metadata.
 */
import type { DiffSize, EvaluationRecord } from './attempts';
import type { InstanceMetadata } from '../instances/metadata';
import type { Race } from './raceRecord';
import type { SalvageRef } from '../instances/salvage';
import type { ArmStats } from '../search/agentBandit';

export type AttemptOutcome = 'landed' | 'salvaged' | 'cleaned' | 'open';

export interface AttemptRow {
  /** The race's task, null for an instance evaluated outside a race. */
  race: string | null;
  raceRef: string | null;
  id: string;
  agent: string | null;
  prompt: string | null;
  base: string | null;
  createdAt: string | null;
  /** null: never evaluated. */
  passed: boolean | null;
  score: number | null;
  /** How long the agent worked (null when unknown). */
  durationMs: number | null;
  /** How long its latest evaluation ran. */
  evaluationMs: number | null;
  diff: DiffSize | null;
  evaluatedAt: string | null;
  /** The evaluated commit (HEAD, or the snapshot of uncommitted work), kept in git. */
  commit: string | null;
  outcome: AttemptOutcome;
  salvageRef: string | null;
}

export interface AgentStats {
  agent: string;
  attempts: number;
  evaluated: number;
  passed: number;
  /** passed / evaluated, null when none was evaluated. */
  passRate: number | null;
  /** Attempts that landed. */
  wins: number;
  medianDurationMs: number | null;
  /** What a search's agent choice (agentBandit.ts) learned: the mean score gain of its search attempts, its mean reward and UCB1 value (null: none). */
  meanGain: number | null;
  reward: number | null;
  ucb: number | null;
}

export interface HistoryInputs {
  races: readonly Race[];
  evaluations: readonly EvaluationRecord[];
  live: readonly InstanceMetadata[];
  salvage: readonly SalvageRef[];
  /**
   * Is this evaluated state (its commit) in its base after all (a landing outside a race)? Asked
   * only of attempts that changed something: the base always "contains" an attempt that changed nothing.
   */
  landedOutside?: (e: EvaluationRecord) => boolean;
}

function salvageOf(salvage: readonly SalvageRef[], id: string, since: string | null): SalvageRef | null {
  const after = since ? Date.parse(since) / 1000 - 1 : 0;
  return salvage.filter((s) => s.id === id && s.date >= after).sort((a, b) => a.date - b.date)[0] ?? null;
}

/** The evaluated state differs from where it started (an attempt that changed nothing never landed). */
function changedSomething(e: EvaluationRecord): boolean {
  return e.diff.files > 0;
}

function outcomeOf(
  inputs: HistoryInputs,
  id: string,
  race: Race | null,
  createdAt: string | null,
  latest: EvaluationRecord | null,
  isLive: boolean,
): { outcome: AttemptOutcome; salvageRef: string | null } {
  const landed = race?.landed;
  if (landed?.winner === id) return { outcome: 'landed', salvageRef: null };
  const recorded = landed?.salvaged.find((s) => s.id === id);
  if (recorded) return { outcome: 'salvaged', salvageRef: recorded.ref };
  if (isLive) return { outcome: 'open', salvageRef: null };
  if (landed?.cleaned.includes(id)) return { outcome: 'cleaned', salvageRef: null };
  const salvaged = salvageOf(inputs.salvage, id, createdAt ?? race?.createdAt ?? null);
  if (salvaged) return { outcome: 'salvaged', salvageRef: salvaged.ref };
  if (latest && changedSomething(latest) && inputs.landedOutside?.(latest)) return { outcome: 'landed', salvageRef: null };
  return { outcome: 'cleaned', salvageRef: null };
}

function fromEvaluation(e: EvaluationRecord | null): Pick<AttemptRow, 'passed' | 'score' | 'durationMs' | 'evaluationMs' | 'diff' | 'evaluatedAt' | 'commit'> {
  return {
    passed: e ? e.passed : null,
    score: e?.score ?? null,
    durationMs: e?.agentMs ?? null,
    evaluationMs: e?.durationMs ?? null,
    diff: e?.diff ?? null,
    evaluatedAt: e?.at ?? null,
    commit: e?.commit ?? null,
  };
}

/** Every attempt, oldest first. */
export function attemptRows(inputs: HistoryInputs): AttemptRow[] {
  const rows: AttemptRow[] = [];
  const latestOf = new Map<string, EvaluationRecord>();
  for (const e of inputs.evaluations) latestOf.set(e.race ? `${e.race}\0${e.id}` : `\0${e.id}\0${e.createdAt}`, e);
  for (const race of inputs.races) {
    for (const m of race.members) {
      const latest = latestOf.get(`${race.ref}\0${m.id}`) ?? null;
      const live = inputs.live.find((l) => l.id === m.id && l.race === race.ref) ?? null;
      const createdAt = live?.createdAt ?? latest?.createdAt ?? null;
      rows.push({
        race: race.task,
        raceRef: race.ref,
        id: m.id,
        agent: m.agent,
        prompt: race.prompt,
        base: race.base || null,
        createdAt: createdAt ?? race.createdAt,
        ...fromEvaluation(latest),
        ...outcomeOf(inputs, m.id, race, createdAt, latest, live !== null),
      });
    }
  }
  for (const [key, e] of latestOf) {
    if (!key.startsWith('\0')) continue;
    const live = inputs.live.some((l) => l.id === e.id && l.createdAt === e.createdAt);
    rows.push({
      race: null,
      raceRef: null,
      id: e.id,
      agent: e.agent,
      prompt: e.prompt,
      base: e.base,
      createdAt: e.createdAt,
      ...fromEvaluation(e),
      ...outcomeOf(inputs, e.id, null, e.createdAt, e, live),
    });
  }
  // A race's members stay together and in their race's order (they are spawned a few at once, so
  // their creation times interleave); races and single attempts follow each other in time.
  const races = new Map(inputs.races.map((r) => [r.ref, r]));
  const when = (row: AttemptRow): string => (row.raceRef ? races.get(row.raceRef)!.createdAt : (row.createdAt ?? ''));
  const place = (row: AttemptRow): number => (row.raceRef ? races.get(row.raceRef)!.members.findIndex((m) => m.id === row.id) : 0);
  return rows.sort((a, b) => when(a).localeCompare(when(b)) || (a.raceRef ?? '').localeCompare(b.raceRef ?? '') || place(a) - place(b) || a.id.localeCompare(b.id));
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

export function agentStats(rows: readonly AttemptRow[], learned: readonly ArmStats[] = []): AgentStats[] {
  const byAgent = new Map<string, AttemptRow[]>();
  for (const r of rows) {
    const name = r.agent ?? '(none)';
    byAgent.set(name, [...(byAgent.get(name) ?? []), r]);
  }
  return [...byAgent.entries()]
    .map(([agent, list]) => {
      const evaluated = list.filter((r) => r.passed !== null).length;
      const passed = list.filter((r) => r.passed === true).length;
      const arm = learned.find((a) => a.agent === agent);
      return {
        agent,
        attempts: list.length,
        evaluated,
        passed,
        passRate: evaluated ? passed / evaluated : null,
        wins: list.filter((r) => r.outcome === 'landed').length,
        medianDurationMs: median(list.map((r) => r.durationMs).filter((d): d is number => d !== null)),
        meanGain: arm?.meanGain ?? null,
        reward: arm?.reward ?? null,
        ucb: arm?.ucb ?? null,
      };
    })
    .sort((a, b) => b.attempts - a.attempts || a.agent.localeCompare(b.agent));
}
