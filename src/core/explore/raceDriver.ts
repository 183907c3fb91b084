/**
 * The one driver of a race's automatic evaluation (issue 18, "one driver in the engine"): given a race
 * and the current facts of its members, it evaluates each member that is due — its agent finished
 * after its latest evaluation — once. `race --wait` (CLI, MCP) feeds it by polling; the extension feeds
 * it on events. What it does with a due member is the same for all of them:
 *
 * - a member whose agent's turn failed (past its grace) is over: its headless agent, alive and waiting
 *   for a next message, is stopped before its state is evaluated ({@link attemptEnd}, which the
 *   search's driver uses too);
 * - one evaluation per member at a time in this process, and not again for the same finish: a result
 *   it got counts even when the caller's view of the notes is older;
 * - the evaluation is decided again once it holds the member (`onlyIfDue`, with the same grace), so
 *   one another process evaluates (or just evaluated) is refused as `Locked` — reported as such,
 *   not as a failure;
 * - the commands of the evaluations it runs share its slots.
 *
 * It reaches the engine only through {@link RaceDriverEngine}, so it is tested with a fake engine.
 */
import type { EvaluationRecord } from './attempts';
import type { EvaluateOptions } from './evaluate';
import { AxiomError, isAxiomError } from '../errors';
import { agentFailed, finishedAt, membersDue, type MemberFacts } from './race';
import type { Race } from './raceRecord';
import type { Limiter } from '../pool';

/** What the driver needs from the engine. */
export interface RaceDriverEngine {
  /** Evaluates one member of `race` (the race's command) and records the result. */
  evaluate(id: string, options: EvaluateOptions, race: Race): Promise<EvaluationRecord>;
  /** Stops the member's headless agent (its turn failed; it would wait alive forever). */
  stopAgent(id: string): Promise<unknown>;
}

/**
 * Whether an agent's attempt is over — the one rule of both drivers, a race's (below) and a
 * search's (search/searchEngine.ts): null while its agent is at work; else when it finished, and
 * whether its agent must be stopped first: its turn failed (past its grace), and alive and waiting
 * for a next message it would never end by itself; its state is evaluated as the attempt's end.
 */
export function attemptEnd(member: Pick<MemberFacts, 'agentState' | 'launch' | 'createdAt'>, graceMs: number): { at: string; stopAgent: boolean } | null {
  const at = finishedAt(member.agentState, member, graceMs);
  return at === null ? null : { at, stopAgent: agentFailed(member.agentState, graceMs) };
}

/** How one due member's evaluation ended. */
export type DueOutcome =
  | { id: string; result: EvaluationRecord }
  /** The evaluation failed (reported for its member). */
  | { id: string; error: AxiomError }
  /** Another process holds this member's evaluation, or did it since: not a failure; look again later. */
  | { id: string; locked: AxiomError }
  /** Not an AxiomError: a fault of this process, for the caller to raise. */
  | { id: string; fault: unknown };

export interface RaceDriverOptions {
  /** The evaluations' commands share these (a {@link Limiter}); none: each runs at once. */
  slots?: Limiter;
  /** Called as each evaluation ends, after its member is no longer in flight. */
  onOutcome?: (outcome: DueOutcome) => void;
}

export class RaceDriver {
  private readonly inFlight = new Set<string>();
  /** The results this driver got, by member: newer than the caller's notes until it reads them again. */
  private readonly own = new Map<string, EvaluationRecord>();

  constructor(
    private readonly engine: RaceDriverEngine,
    private readonly options: RaceDriverOptions = {},
  ) {}

  /** The members whose evaluation this driver runs now. */
  evaluating(): string[] {
    return [...this.inFlight];
  }

  isEvaluating(id: string): boolean {
    return this.inFlight.has(id);
  }

  /** How many evaluations run now. */
  get busy(): number {
    return this.inFlight.size;
  }

  /**
   * The members of `race` that are due and not being evaluated here: `latest` is the caller's view of
   * the evaluations (latest per member), to which this driver's own results are added.
   */
  due(race: Race, members: readonly MemberFacts[], latest: ReadonlyMap<string, EvaluationRecord>, graceMs: number): MemberFacts[] {
    return membersDue(race, members, this.withOwn(latest), graceMs).filter((m) => !this.inFlight.has(m.id));
  }

  /**
   * Starts the evaluation of every member that is {@link due}; returns one promise per evaluation
   * started (it never rejects: its outcome says how it ended).
   */
  evaluateDue(race: Race, members: readonly MemberFacts[], latest: ReadonlyMap<string, EvaluationRecord>, graceMs: number): Promise<DueOutcome>[] {
    return this.due(race, members, latest, graceMs).map((m) => {
      this.inFlight.add(m.id);
      return this.evaluateOne(race, m, graceMs);
    });
  }

  private async evaluateOne(race: Race, member: MemberFacts, graceMs: number): Promise<DueOutcome> {
    const { id } = member;
    let outcome: DueOutcome;
    try {
      // A due member's attempt is over; a failed turn's agent (alive, waiting) is stopped first.
      if (attemptEnd(member, graceMs)?.stopAgent) await this.engine.stopAgent(id);
      const result = await this.engine.evaluate(id, { onlyIfDue: true, agentFailureGraceMs: graceMs, ...(this.options.slots ? { slots: this.options.slots } : {}) }, race);
      this.own.set(id, result);
      outcome = { id, result };
    } catch (e) {
      outcome = !isAxiomError(e) ? { id, fault: e } : e.code === 'Locked' ? { id, locked: e } : { id, error: e };
    }
    this.inFlight.delete(id);
    this.options.onOutcome?.(outcome);
    return outcome;
  }

  private withOwn(latest: ReadonlyMap<string, EvaluationRecord>): ReadonlyMap<string, EvaluationRecord> {
    if (this.own.size === 0) return latest;
    const merged = new Map(latest);
    for (const [id, r] of this.own) {
      const theirs = merged.get(id);
      if (!theirs || theirs.at < r.at) merged.set(id, r);
      else this.own.delete(id); // the caller's notes have it (or newer): no need to keep it
    }
    return merged;
  }
}
