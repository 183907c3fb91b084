/**
 * The exploration loop over one repository (race → evaluate → rank → land, expand, forecast,
 * history), as one object the front ends reach through `engine.explore`. It joins the modules
 * (race records, evaluation notes, ranking, landing, forecast, history); each does the real work.
 */
import type { AxiomEngine } from '../engine';
import { latestByMember, readEvaluations, type EvaluationRecord } from './attempts';
import { isAncestor } from '../git/commits';
import { AxiomError, isAxiomError } from '../errors';
import { evaluateInstance, resolveEvaluation, type EvaluateOptions } from './evaluate';
import { forecastConflicts, MergeTreeCache, type Forecast } from '../merge/forecast';
import { agentStats, attemptRows, type AgentStats, type AttemptRow } from './history';
import { agentOutcomes, learnedArms } from '../search/agentBandit';
import { listSearches } from '../search/searchRecord';
import { executeLanding, executePublishLanding, landAll, resumeLanding, planLanding, type LandAllResult, type LandingPlan, type LandingPreview, type LandOptions, type LandResult, type PublishLandResult } from './land';
import type { PublishOptions } from '../publish/publish';
import type { MergeStrategy } from '../merge/merge';
import { withRepoLock } from '../instances/lock';
import { withOperationMemo } from '../instances/operationMemo';
import { readAdminEntries, type InstanceMetadata } from '../instances/metadata';
import { Limiter, mapPool, Waker } from '../pool';
import { factsOf, membersUnfinished, raceSettled, readMemberFacts, startRace, type MemberLauncher, type RaceOptions } from './race';
import { RaceDriver, type RaceDriverOptions } from './raceDriver';
import type { AgentPhase } from '../processes/agentState';
import { stopHeadlessAgent } from '../processes/processes';
import { findRace, listRaces, type EvaluationSpec, type Race } from './raceRecord';
import { raceRows, type RankRow } from './rank';
import type { SpawnedInstance } from '../instances/spawn';
import type { WorktreeStatus } from '../instances/status';
import type { LocatedInstance } from '../instances/locate';
import { worktreeTree } from '../git/worktreeSnapshot';

export type EvaluationOutcome = { id: string; result: EvaluationRecord } | { id: string; error: AxiomError };

export interface WaitOptions {
  pollMs?: number;
  parallel?: number;
  signal?: AbortSignal;
  /** Called after each member's evaluation (or its failure). */
  onEvaluated?: (outcome: EvaluationOutcome) => void;
  /** Agents this process started: each one's exit is looked at at once instead of at the next poll. */
  exits?: readonly Promise<unknown>[];
  /**
   * How long to wait at most (default {@link DEFAULT_RACE_WAIT_MS}): members whose agent has not
   * finished by then (still working, or waiting for a person) are returned as `unfinished` and count
   * as failed — the wait always returns.
   */
  timeoutMs?: number;
  /** Called once each time a member's agent starts waiting for a person (an approval, an answer). */
  onWaiting?: (member: UnfinishedMember) => void;
}

/** A member whose agent had not finished when the wait ended. */
export interface UnfinishedMember {
  id: string;
  phase: AgentPhase;
  reason?: string;
}

/** `race --wait` gives up on agents still at work (or waiting for a person) after this long. */
export const DEFAULT_RACE_WAIT_MS = 60 * 60 * 1000;

export interface History {
  attempts: AttemptRow[];
  agents: AgentStats[];
}

/** Evaluations run the project's own checks: two at a time keeps a small machine responsive. */
export const DEFAULT_EVALUATION_PARALLELISM = 2;

export class Explorer {
  private readonly mergeTrees: MergeTreeCache;

  constructor(private readonly engine: AxiomEngine) {
    this.mergeTrees = MergeTreeCache.forRepo(engine.repo);
  }

  races(): Promise<Race[]> {
    return listRaces(this.engine.git, this.engine.repo);
  }

  race(task: string): Promise<Race> {
    return findRace(this.engine.git, this.engine.repo, task);
  }

  async startRace(options: RaceOptions, launcher: MemberLauncher | null): Promise<{ race: Race; members: SpawnedInstance[] }> {
    // One read of the configuration for the whole race (every member's spawn would read it again).
    return withOperationMemo(async () => startRace(this.engine, options, launcher, await this.configuredEvaluation()));
  }

  /** The evaluation `.axiom.json` (or `git config axiom.evaluate`) configures, or null. */
  async configuredEvaluation(): Promise<EvaluationSpec | null> {
    return (await this.engine.worktreeConfig()).evaluate;
  }

  /** Evaluates one instance (with its race's command when it is a member; `races` saves reading them again). */
  async evaluate(id: string, options: EvaluateOptions = {}, races?: readonly Race[]): Promise<EvaluationRecord> {
    const inst = await this.engine.locate(id);
    const raceRef = inst.metadata.race ?? null;
    const race = raceRef ? ((races ?? (await this.races())).find((r) => r.ref === raceRef) ?? null) : null;
    // The configuration is read only when nothing closer says what to run.
    const configured = options.command || race?.evaluate.command ? null : await this.configuredEvaluation();
    return evaluateInstance({ git: this.engine.git, repo: this.engine.repo, race, configured }, inst, options);
  }

  /** Evaluates several instances, `parallel` at a time; a failure is reported for its instance, not thrown. */
  async evaluateMany(ids: readonly string[], options: EvaluateOptions = {}, parallel = DEFAULT_EVALUATION_PARALLELISM, onEvaluated?: (o: EvaluationOutcome) => void): Promise<EvaluationOutcome[]> {
    const races = await this.races();
    return mapPool(ids, parallel, async (id): Promise<EvaluationOutcome> => {
      let outcome: EvaluationOutcome;
      try {
        outcome = { id, result: await this.evaluate(id, options, races) };
      } catch (e) {
        if (!isAxiomError(e)) throw e;
        outcome = { id, error: e };
      }
      onEvaluated?.(outcome);
      return outcome;
    });
  }

  /** The live members of a race. */
  async liveMembers(race: Race, worktrees?: readonly WorktreeStatus[]): Promise<string[]> {
    const live = worktrees ?? (await this.engine.snapshot({ conflicts: false, changed: [] })).worktrees;
    return race.members.filter((m) => live.some((w) => w.id === m.id && w.metadata?.race === race.ref && w.dirty !== null)).map((m) => m.id);
  }

  async rank(task: string): Promise<{ race: Race; rows: RankRow[] }> {
    return this.rankOf(await this.race(task));
  }

  private async rankOf(race: Race): Promise<{ race: Race; rows: RankRow[] }> {
    const [snap, evaluations] = await Promise.all([this.engine.snapshot(), readEvaluations(this.engine.git, this.engine.repo)]);
    return { race, rows: raceRows(race, latestByMember(evaluations, race.ref), snap.worktrees) };
  }

  /** What landing the race would do (winner, merge preview, what each other member's cleanup keeps); changes nothing. */
  async planLanding(task: string, options: LandOptions = {}): Promise<LandingPreview> {
    return (await this.plan(task, options, true)) as LandingPreview;
  }

  private async plan(task: string, options: LandOptions, detail: boolean): Promise<LandingPlan> {
    const race = await this.race(task);
    const latest = latestByMember(await readEvaluations(this.engine.git, this.engine.repo), race.ref);
    if (detail) {
      // A preview shows the ranking with each member's live state (changes, staleness): a snapshot.
      const snap = await this.engine.snapshot({ conflicts: false });
      return planLanding(this.engine, { race, ranking: raceRows(race, latest, snap.worktrees), latest, live: factsOf(snap.worktrees), graceMs: await this.graceMs() }, options, detail);
    }
    // Landing itself needs only who is live, running and whose child: the admin dirs say that
    // without a git process (the winner's state is checked exactly, by tree, in planLanding).
    const live = await readMemberFacts(this.engine.repo.commonDir);
    const ranking = raceRows(race, latest, []).map((r) => {
      const member = live.find((w) => w.id === r.id && w.race === race.ref);
      return { ...r, live: member !== undefined, agentPhase: member?.agentState.phase ?? null };
    });
    return planLanding(this.engine, { race, ranking, latest, live, graceMs: await this.graceMs() }, options, detail);
  }

  /** Decides and lands under one hold of the repository lock (merge and cleanups take it re-entrantly). */
  async land(task: string, options: LandOptions = {}): Promise<LandResult> {
    return withRepoLock(this.engine.repo.commonDir, () =>
      withOperationMemo(async () => (await resumeLanding(this.engine, await this.race(task))) ?? executeLanding(this.engine, await this.plan(task, options, false))),
    );
  }

  /** `land --publish`: decides as `land` does, then publishes the winner instead of merging it (land.ts). */
  async landPublished(task: string, options: LandOptions = {}, publish: Omit<PublishOptions, 'expectedTip'> = {}): Promise<PublishLandResult | LandResult> {
    return withRepoLock(this.engine.repo.commonDir, () =>
      withOperationMemo(async () => (await resumeLanding(this.engine, await this.race(task))) ?? executePublishLanding(this.engine, await this.plan(task, options, false), publish)),
    );
  }

  async landAll(strategy: MergeStrategy = 'merge'): Promise<LandAllResult & { forecast: Forecast }> {
    return withRepoLock(this.engine.repo.commonDir, () => withOperationMemo(async () => {
      const snap = await this.engine.snapshot({ conflicts: false });
      const forecast = await this.conflicts(snap.worktrees);
      return { ...(await landAll(this.engine, forecast, snap.worktrees, strategy, await this.graceMs())), forecast };
    }));
  }

  /** How long after a failed turn a member's agent counts as finished and failed (git config axiom.agentFailureGraceSeconds). */
  async graceMs(): Promise<number> {
    return (await this.engine.settings()).agentFailureGraceSeconds * 1000;
  }

  async conflicts(worktrees?: readonly WorktreeStatus[]): Promise<Forecast> {
    const live = worktrees ?? (await this.engine.snapshot({ conflicts: false })).worktrees;
    return forecastConflicts(this.engine.git, this.engine.repo, live, this.mergeTrees);
  }

  async history(options: { task?: string } = {}): Promise<History> {
    const { git, repo } = this.engine;
    const [races, evaluations, entries, salvage, searches] = await Promise.all([
      listRaces(git, repo),
      readEvaluations(git, repo),
      readAdminEntries(repo.commonDir),
      this.engine.listSalvage(),
      options.task ? [] : listSearches(git, repo),
    ]);
    const live = entries.map((e) => e.metadata).filter((m): m is InstanceMetadata => m !== null);
    // An evaluated state (HEAD, or the snapshot of uncommitted work) that changed something and is
    // in its base now landed, even when it was merged by hand.
    const inBase = new Map<string, boolean>();
    const gone = evaluations.filter((e) => e.diff.files > 0 && !live.some((l) => l.id === e.id && l.createdAt === e.createdAt));
    await mapPool(gone, 4, async (e) => {
      const key = `${e.commit}:${e.base}`;
      if (inBase.has(key)) return;
      inBase.set(key, await isAncestor(git, repo.commonDir, e.commit, `refs/heads/${e.base}`));
    });
    const selected = options.task ? races.filter((r) => r.task === options.task) : races;
    if (options.task && selected.length === 0) await this.race(options.task); // NotFound with the list of races
    let attempts = attemptRows({ races: selected, evaluations, live, salvage, landedOutside: (e) => inBase.get(`${e.commit}:${e.base}`) === true });
    if (options.task) attempts = attempts.filter((a) => a.race === options.task);
    // What a search's agent choice learned from them (the searches' nodes with their score gains).
    return { attempts, agents: agentStats(attempts, learnedArms(agentOutcomes(attempts, searches))) };
  }

  /**
   * What differs between two instances' current states (committed and uncommitted work, ignored
   * files aside): the files to show side by side when comparing two attempts.
   */
  async compare(a: string, b: string): Promise<{ a: LocatedInstance; b: LocatedInstance; files: { path: string; status: string }[] }> {
    const [ia, ib] = await Promise.all([this.engine.locate(a), this.engine.locate(b)]);
    for (const i of [ia, ib]) if (i.missing) throw new AxiomError('NotFound', `The worktree of ${i.id} (${i.path}) is missing.`);
    const [ta, tb] = await Promise.all([worktreeTree(this.engine.git, ia.path, ia.adminDir), worktreeTree(this.engine.git, ib.path, ib.adminDir)]);
    const out = await this.engine.git.out(this.engine.repo.commonDir, ['diff', '--name-status', '-z', '--no-renames', ta.tree, tb.tree, '--'], { readOnly: true });
    const fields = out.split('\0');
    const files: { path: string; status: string }[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) files.push({ status: fields[i]!, path: fields[i + 1]! });
    return { a: ia, b: ib, files };
  }

  /**
   * The driver of races' automatic evaluation (raceDriver.ts) on this engine: its evaluations' commands
   * run `parallel` at a time (default {@link DEFAULT_EVALUATION_PARALLELISM}).
   */
  raceDriver(options: { parallel?: number; onOutcome?: RaceDriverOptions['onOutcome'] } = {}): RaceDriver {
    return new RaceDriver(
      {
        evaluate: (id, evaluateOptions, race) => this.evaluate(id, evaluateOptions, [race]),
        stopAgent: async (id) => stopHeadlessAgent((await this.engine.locate(id)).adminDir),
      },
      { slots: new Limiter(options.parallel ?? DEFAULT_EVALUATION_PARALLELISM), ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}) },
    );
  }

  /**
   * Blocks until every member's agent has finished and been evaluated; then the ranking. Each
   * member is evaluated as soon as its agent finishes (`parallel` at a time), not in batches.
   */
  async waitForRace(task: string, options: WaitOptions = {}): Promise<{ race: Race; rows: RankRow[]; unfinished: UnfinishedMember[] }> {
    const race = await this.race(task);
    resolveEvaluation({}, race, await this.configuredEvaluation()); // no command: say so now, not after the agents finished
    const graceMs = await this.graceMs();
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_RACE_WAIT_MS);
    const waitingNow = new Set<string>();
    // Agents this process started wake the loop when they exit: then polling is only a backstop
    // (for hooks and terminals), and it does not compete with the agents for the machine.
    const allWatched = (options.exits?.length ?? 0) >= race.members.length;
    const pollMs = options.pollMs ?? (allWatched ? 3000 : 500);
    void import('execa').catch(() => undefined); // loaded while the agents work, not when the first one finishes
    const waker = new Waker();
    for (const exit of options.exits ?? []) void exit.then(() => waker.poke(), () => waker.poke());
    let failure: unknown = null;
    // Evaluations are read from git once; then this loop's own results are added as they come. Only
    // when another process holds a member's evaluation are the notes read again (to see its result).
    const { git, repo } = this.engine;
    let latest = latestByMember(await readEvaluations(git, repo), race.ref);
    let reread = false;
    // Every due member is claimed and checked at once; their commands share `parallel` slots.
    const driver = this.raceDriver({
      ...(options.parallel !== undefined ? { parallel: options.parallel } : {}),
      onOutcome: (o) => {
        // Another process evaluating the same member is not a failure of ours: look again at the next poll, not at once.
        if ('locked' in o) {
          reread = true;
          return;
        }
        if ('result' in o) latest.set(o.id, o.result);
        if ('fault' in o) failure ??= o.fault;
        if ('error' in o) failure ??= o.error;
        try {
          if (!('fault' in o)) options.onEvaluated?.(o);
        } catch (e) {
          failure ??= e;
        }
        waker.poke();
      },
    });
    let unfinished: UnfinishedMember[] = [];
    for (;;) {
      if (options.signal?.aborted) throw new AxiomError('InvalidArgument', 'Waiting for the race was cancelled.');
      if (failure) throw failure;
      if (reread) {
        latest = latestByMember(await readEvaluations(git, repo), race.ref);
        reread = false;
      }
      // Who finished comes from the admin dirs (file reads): polling costs no git process.
      const members = await readMemberFacts(repo.commonDir);
      const timedOut = Date.now() >= deadline;
      if (!timedOut) void driver.evaluateDue(race, members, latest, graceMs);
      const open = membersUnfinished(race, members, graceMs);
      unfinished = open.map((m) => ({ id: m.id, phase: m.agentState.phase, ...(m.agentState.reason ? { reason: m.agentState.reason } : {}) }));
      for (const [i, m] of unfinished.entries()) {
        // A failed turn is not a question for a person: it counts as failed after its grace period.
        const forPerson = (m.phase === 'needs-approval' || m.phase === 'waiting') && !open[i]!.agentState.turnFailedAt;
        if (forPerson && !waitingNow.has(m.id)) options.onWaiting?.(m);
        if (forPerson) waitingNow.add(m.id);
        else waitingNow.delete(m.id);
      }
      if (driver.busy === 0 && (timedOut || raceSettled(race, members, latest, graceMs))) break;
      await waker.sleep(Math.max(0, Math.min(pollMs, deadline - Date.now())));
    }
    return { ...(await this.rankOf(race)), unfinished };
  }
}
