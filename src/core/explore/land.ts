/**
 * Land a race in one step: merge the winner (top-ranked passing member, or the one picked) into its
 * base through the engine's merge (preview first, all or nothing), then clean up every other member
 * through the engine's cleanup with force, so each one's work is kept in a salvage ref, and record
 * the outcome in the race. Nothing is cleaned up unless the merge succeeded. `landAll` lands every
 * live instance with commits in the forecast's order and says which it skipped and why.
 *
 * Only finished members land: while any member's agent is still at work the landing is refused.
 */
import type { AxiomEngine } from '../engine';
import { AxiomError, isAxiomError, type NextStep } from '../errors';
import { describeStaleness, refuseBusyTargets, type MergePlan, type MergeResult, type MergeStrategy } from '../merge/merge';
import { refuseIfGitFileBroken, type WorkAtRisk } from '../instances/cleanup';
import type { Forecast } from '../merge/forecast';
import { updateRace, type LandingRemainder, type Race } from './raceRecord';
import { finishLanding, journalLanding, journalNext, landedRecord, recordIfLanded } from './landingJournal';
import { crashPoint, testHook } from '../testHooks';
import { readAdminEntries } from '../instances/metadata';
import { DEFAULT_AGENT_FAILURE_GRACE_MS, isRunning, membersRunning, type MemberFacts } from './race';
import type { RankRow } from './rank';
import type { WorktreeStatus } from '../instances/status';
import { worktreeTree } from '../git/worktreeSnapshot';
import type { EvaluationRecord } from './attempts';
import { plural } from '../text';

export interface LandOptions {
  /** Land this member instead of the top-ranked passing one. */
  pick?: string;
  strategy?: MergeStrategy;
  /** Leave the other members in place. */
  keepLosers?: boolean;
}

export type LoserAction = 'salvage' | 'remove' | 'keep';

export interface LandingPlan {
  race: Race;
  winner: string;
  into: string;
  strategy: MergeStrategy;
  /** The merge preview (commits, files); null when the plan was made without details (land itself). */
  merge: MergePlan | null;
  /** The winner's evaluated state has uncommitted work: it is committed first, then merged. */
  commitsUncommitted: boolean;
  /** The evaluated state that lands, exactly (null: a picked member lands its current state). */
  evaluated: { head: string; tree: string; commit: string } | null;
  losers: { id: string; action: LoserAction; reason?: string; atRisk: { files: number; commits: number } }[];
  /** Live instances spawned from the winner: it stays for them after the merge. */
  winnerChildren: string[];
  ranking: RankRow[];
}

/** A plan made with details (for a confirmation): the merge preview is there. */
export type LandingPreview = LandingPlan & { merge: MergePlan };

export interface LandResult {
  race: string;
  task: string;
  winner: string;
  merged: { into: string; strategy: MergeStrategy; newTargetSha: string | null; commits: number; files: number };
  salvaged: { id: string; ref: string }[];
  cleaned: string[];
  kept: { id: string; reason: string }[];
  /** Set when this finished a landing that was interrupted after its merge (nothing was merged now). */
  resumed?: boolean;
}

export interface LandAllResult {
  order: string[];
  landed: { id: string; into: string; newTargetSha: string | null }[];
  cleaned: string[];
  /** Landed but not cleaned up, with the reason. */
  kept: { id: string; reason: string }[];
  skipped: { id: string; reason: string }[];
}

/** What land needs besides the engine: the race, its ranking, the members' evaluations and the live instances. */
export interface LandInputs {
  race: Race;
  ranking: RankRow[];
  latest: ReadonlyMap<string, EvaluationRecord>;
  /** Every live instance (from a snapshot, or read from the admin dirs alone). */
  live: readonly MemberFacts[];
  /** How long after a failed turn a member's agent counts as finished (git config axiom.agentFailureGraceSeconds). */
  graceMs: number;
}

function refuseWhileRunning(race: Race, live: readonly MemberFacts[], graceMs: number): void {
  const running = membersRunning(race, live, graceMs);
  if (running.length === 0) return;
  throw new AxiomError(
    'AgentRunning',
    `${plural(running.length, 'member')} of race ${race.task} still ${running.length === 1 ? 'has its agent' : 'have their agents'} at work (${running.map((w) => `${w.id}: ${w.agentState.phase}`).join(', ')}). Wait for ${running.length === 1 ? 'it' : 'them'} to finish, or stop ${running.length === 1 ? 'it' : 'them'}, then land.`,
  );
}

/** A race lands once: a landed race says which member landed, when and as which commit. */
function refuseIfLanded(race: Race): void {
  const l = race.landed;
  if (!l) return;
  throw new AxiomError(
    'AlreadyLanded',
    `Race ${race.task} has already landed: ${l.winner ?? 'a member'} was merged into ${l.into ?? 'its base'} at ${l.at}${l.mergedSha ? ` as commit ${l.mergedSha}` : ''}. Nothing was changed.` +
      (l.pending?.length ? ` Its landing was interrupted before the other members were cleaned up: axiom land ${race.task} finishes that.` : ''),
  );
}

function pickWinner(inputs: LandInputs, options: LandOptions): RankRow {
  const { race, ranking } = inputs;
  if (options.pick !== undefined) {
    const row = ranking.find((r) => r.id === options.pick);
    if (!row) throw new AxiomError('NotFound', `${options.pick} is not a member of race ${race.task} (members: ${race.members.map((m) => m.id).join(', ')}).`);
    if (!row.live) throw new AxiomError('NotFound', `${options.pick} is no longer live: there is nothing of it to land.`);
    return row;
  }
  const winner = ranking.find((r) => r.live && r.passed === true);
  if (!winner) {
    const evaluated = ranking.filter((r) => r.passed !== null).length;
    const pick: NextStep = { option: 'pick' };
    throw new AxiomError(
      'NoWinner',
      evaluated === 0
        ? `No member of race ${race.task} has been evaluated yet: evaluate its members, or choose the member to land.`
        : `No live member of race ${race.task} passed its evaluation; nothing lands on its own. Choose a member to land it anyway.`,
      { hint: { next: evaluated === 0 ? [{ run: 'evaluate', task: race.task }, pick] : [pick] } },
    );
  }
  return winner;
}

/** Everything `land` would do, decided before anything changes (the extension shows it in one modal). */
export async function planLanding(engine: AxiomEngine, inputs: LandInputs, options: LandOptions = {}, detail = true): Promise<LandingPlan> {
  const { race, live, latest } = inputs;
  refuseIfLanded(race);
  refuseWhileRunning(race, live, inputs.graceMs);
  // A member git cannot read (its .git file deleted or overwritten) could be neither merged nor
  // salvaged: refused before the target moves, never found out half-way through the cleanups.
  for (const m of live.filter((x) => x.race === race.ref)) refuseIfGitFileBroken(await engine.locate(m.id));
  const winner = pickWinner(inputs, options);
  const evaluation = latest.get(winner.id);
  const inst = await engine.locate(winner.id);
  // The state that lands must still be the state that was evaluated (re-checked exactly, by tree,
  // here and again by the merge under the lock, which then merges that very tree).
  const now = await worktreeTree(engine.git, inst.path, inst.adminDir);
  const fresh = evaluation !== undefined && now.head === evaluation.head && now.tree === evaluation.tree;
  if (evaluation && options.pick === undefined && !fresh) {
    throw new AxiomError(
      'StaleEvaluation',
      `${winner.id} changed after it was evaluated (${await describeStaleness(engine.git, inst.path, evaluation, now)}): evaluate it again, or choose it explicitly to land it anyway. Nothing was changed.`,
      { path: inst.path, hint: { next: [{ run: 'evaluate', id: winner.id }, { option: 'pick', value: winner.id }] } },
    );
  }
  const commitsUncommitted = now.tree !== now.headTree;
  const strategy = options.strategy ?? 'merge';
  // The preview (files, conflicts) is for a confirmation; landing itself relies on the merge, which refuses the same way.
  const merge = detail ? ((await engine.merge(winner.id, { strategy, preview: true })) as MergePlan) : null;
  if (merge && merge.conflicts.length > 0) throw landingConflict(winner.id, merge.target, merge.conflicts);
  // Whatever else the merge would refuse (a file it would overwrite, an operation in progress…) refuses the landing now.
  if (merge?.problem) throw new AxiomError(merge.problem.code, `Landing ${winner.id} is not possible: ${merge.problem.message}`);
  if (merge && merge.overwrites.length > 0) {
    throw new AxiomError('TargetDirty', `Landing ${winner.id} would overwrite ${plural(merge.overwrites.length, 'file')} that ${merge.target}'s working tree has but does not track (${merge.overwrites.slice(0, 5).join(', ')}); move them away first. Nothing was changed.`, { files: merge.overwrites });
  }
  if (merge && merge.commits.length === 0 && !commitsUncommitted) {
    throw new AxiomError('NothingToMerge', `${winner.id} has nothing that is not already in ${merge.target}; nothing was changed.`);
  }
  const losers: LandingPlan['losers'] = [];
  for (const m of race.members) {
    if (m.id === winner.id) continue;
    const w = live.find((x) => x.id === m.id && x.race === race.ref);
    if (!w) continue;
    const children = live.filter((x) => x.parent === m.id).map((x) => x.id);
    // What each cleanup will keep is shown before a confirmation (detail); the cleanup itself decides again.
    const risk: WorkAtRisk | null = detail ? await engine.atRisk(m.id) : null;
    const atRisk = { files: risk?.files.length ?? 0, commits: risk?.commits.length ?? 0 };
    if (options.keepLosers) losers.push({ id: m.id, action: 'keep', reason: 'kept (--keep-losers)', atRisk });
    else if (children.length) losers.push({ id: m.id, action: 'keep', reason: `has live children (${children.join(', ')})`, atRisk });
    else losers.push({ id: m.id, action: !detail || atRisk.files + atRisk.commits > 0 ? 'salvage' : 'remove', atRisk });
  }
  const winnerChildren = live.filter((x) => x.parent === winner.id).map((x) => x.id);
  return {
    race,
    winner: winner.id,
    into: merge?.target ?? inst.metadata.base,
    strategy,
    merge,
    commitsUncommitted,
    evaluated: fresh ? { head: evaluation.head, tree: evaluation.tree, commit: evaluation.commit } : null,
    losers,
    winnerChildren,
    ranking: inputs.ranking,
  };
}

/** A landing plan as the JSON the CLI and the MCP server answer a preview with. */
export function landingPreviewDocument(plan: LandingPreview): Record<string, unknown> {
  return {
    race: plan.race.ref,
    winner: plan.winner,
    into: plan.into,
    strategy: plan.strategy,
    commitsUncommitted: plan.commitsUncommitted,
    commits: plan.merge.commits,
    files: plan.merge.files,
    losers: plan.losers,
  };
}

function landingConflict(winner: string, target: string, conflicts: string[]): AxiomError {
  return new AxiomError(
    'MergeConflict',
    `Landing ${winner} into ${target} would conflict in ${plural(conflicts.length, 'file')} (${conflicts.slice(0, 10).join(', ')}); nothing was changed and no member was cleaned up.`,
    { conflicts },
  );
}

/**
 * Carries out a plan: journal the intent, merge (all or nothing) exactly the evaluated state, mark
 * the race landed at once (what remains to do with it), then the other members, then the record.
 */
export async function executeLanding(engine: AxiomEngine, plan: LandingPlan): Promise<LandResult> {
  const { race, winner } = plan;
  const remainder: LandingRemainder[] = [
    ...plan.losers.map((l) => ({ id: l.id, action: l.action, ...(l.reason ? { reason: l.reason } : {}) })),
    plan.winnerChildren.length ? { id: winner, action: 'keep' as const, reason: `has live children (${plan.winnerChildren.join(', ')})` } : { id: winner, action: 'winner' as const },
  ];
  const targetBefore = (await engine.git.out(engine.repo.commonDir, ['rev-parse', '--verify', `refs/heads/${plan.into}^{commit}`], { readOnly: true })).trim();
  const intent = await journalLanding(engine.repo, {
    race: race.ref,
    task: race.task,
    winner,
    strategy: plan.strategy,
    into: plan.into,
    targetBefore,
    evaluated: plan.evaluated?.commit ?? null,
    remainder,
  });
  let merged: MergeResult;
  try {
    await testHook('land:before-merge');
    merged = (await engine.merge(winner, {
      strategy: plan.strategy,
      ...(plan.evaluated ? { exact: { head: plan.evaluated.head, tree: plan.evaluated.tree } } : {}),
      ...(plan.commitsUncommitted || plan.evaluated ? { commitMessage: `${winner}: work ${plan.evaluated ? 'evaluated' : 'picked'} in race ${race.task}` } : {}),
      message: `Land ${winner}, winner of race ${race.task}`,
      beforeAdvance: (next) => journalNext(engine.repo, intent, next),
    })) as MergeResult;
  } catch (e) {
    // A failure after the target moved (the merge's own bookkeeping) still landed the race: say so in its record.
    await recordIfLanded(engine.git, engine.repo, intent);
    await finishLanding(engine.repo, race.ref);
    if (isAxiomError(e, 'MergeConflict')) throw landingConflict(winner, plan.into, e.details.conflicts ?? []);
    throw e;
  }
  crashPoint('land-merged');
  const landed = await updateRace(engine.git, engine.repo, race, (r) => ({ ...r, landed: landedRecord(intent, merged.newTargetSha ?? intent.next ?? '', new Date().toISOString()) }));
  await finishLanding(engine.repo, race.ref);
  const rest = await finishCleanups(engine, landed);
  return {
    race: race.ref,
    task: race.task,
    winner,
    merged: { into: merged.target, strategy: plan.strategy, newTargetSha: merged.newTargetSha, commits: merged.commits.length, files: merged.files.length },
    ...rest,
  };
}

/**
 * The rest of a landing whose merge is done (the race record says what is pending): forced cleanups
 * of the other members (each one's work in a salvage ref first), the winner's own cleanup, then the
 * record. Also what the next `land` of a race runs when the landing was killed after its merge.
 */
async function finishCleanups(engine: AxiomEngine, race: Race): Promise<Pick<LandResult, 'salvaged' | 'cleaned' | 'kept'>> {
  const pending = race.landed?.pending ?? [];
  const salvaged: LandResult['salvaged'] = [...(race.landed?.salvaged ?? [])];
  const cleaned: string[] = [...(race.landed?.cleaned ?? [])];
  const kept: LandResult['kept'] = [...(race.landed?.kept ?? [])];
  // One at a time: each cleanup judges which commits no other ref holds, and the one before may
  // just have deleted such a ref (two members sharing commits must not each count on the other).
  // Only the deletion of their files (moved aside, nothing left to judge) runs on behind them.
  const deletions: Promise<void>[] = [];
  const deleteInBackground = (deletion: Promise<void>): void => {
    deletion.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    deletions.push(deletion);
  };
  const live = new Set((await readAdminEntries(engine.repo.commonDir)).flatMap((e) => (e.metadata?.race === race.ref ? [e.metadata.id] : [])));
  for (const step of pending) {
    if (step.action === 'keep') {
      kept.push({ id: step.id, reason: step.reason ?? 'kept' });
      continue;
    }
    if (!live.has(step.id)) continue; // cleaned up before the landing was interrupted
    try {
      const r = await engine.cleanup(step.id, { force: step.action !== 'winner', countIgnored: false, deleteInBackground });
      cleaned.push(step.id);
      if (r.salvageRef) salvaged.push({ id: step.id, ref: r.salvageRef });
    } catch (e) {
      if (!isAxiomError(e)) throw e;
      kept.push({ id: step.id, reason: e.message.split('\n')[0]! });
    }
  }
  await Promise.all(deletions);
  await updateRace(engine.git, engine.repo, race, (r) => {
    const { pending: _done, ...landed } = r.landed!;
    return { ...r, landed: { ...landed, salvaged, cleaned, kept } };
  });
  return { salvaged, cleaned, kept };
}

/** Finishes a landing killed after its merge (the race is marked landed with cleanups pending); null when none is. */
export async function resumeLanding(engine: AxiomEngine, race: Race): Promise<LandResult | null> {
  const l = race.landed;
  if (!l?.pending) return null;
  const rest = await finishCleanups(engine, race);
  return {
    race: race.ref,
    task: race.task,
    winner: l.winner ?? '',
    merged: { into: l.into ?? '', strategy: (l.strategy ?? 'merge') as MergeStrategy, newTargetSha: l.mergedSha, commits: 0, files: 0 },
    ...rest,
    resumed: true,
  };
}

/** Lands every instance of the forecast's order that can land; cleans each landed one up (nothing to lose). */
export async function landAll(engine: AxiomEngine, forecast: Forecast, worktrees: readonly WorktreeStatus[], strategy: MergeStrategy = 'merge', graceMs = DEFAULT_AGENT_FAILURE_GRACE_MS): Promise<LandAllResult> {
  const result: LandAllResult = { order: forecast.order, landed: [], cleaned: [], kept: [], skipped: [] };
  // A target that a worktree is rebasing (or merging, bisecting…) refuses the whole run, before anything lands.
  await refuseBusyTargets(engine, forecast.order.flatMap((id) => worktrees.find((x) => x.id === id)?.base ?? []));
  const baseConflicts = new Map(forecast.withBase.map((w) => [w.id, w.files]));
  for (const id of forecast.order) {
    const w = worktrees.find((x) => x.id === id);
    if (!w) continue;
    if (baseConflicts.has(id)) {
      result.skipped.push({ id, reason: `conflicts with its base ${w.base} in ${baseConflicts.get(id)!.join(', ')}` });
      continue;
    }
    const landedBefore = result.landed.map((l) => l.id);
    const clash = forecast.pairs.filter((p) => (p.a === id && landedBefore.includes(p.b)) || (p.b === id && landedBefore.includes(p.a)));
    if (isRunning(w.agentState, graceMs)) {
      result.skipped.push({ id, reason: `its agent is still at work (${w.agentState.phase})` });
      continue;
    }
    try {
      const r = (await engine.merge(id, { strategy })) as MergeResult;
      result.landed.push({ id, into: r.target, newTargetSha: r.newTargetSha });
    } catch (e) {
      if (!isAxiomError(e)) throw e;
      const why =
        e.code === 'MergeConflict' && clash.length
          ? `conflicts with ${clash.map((p) => (p.a === id ? p.b : p.a)).join(', ')} (landed before) in ${[...new Set(clash.flatMap((p) => p.files))].join(', ')}`
          : e.message.split('\n')[0]!;
      result.skipped.push({ id, reason: why });
      continue;
    }
    const children = worktrees.filter((x) => x.metadata?.parent === id && !result.cleaned.includes(x.id!));
    if (children.length) {
      result.kept.push({ id, reason: `landed; stays for its live children (${children.map((c) => c.id).join(', ')})` });
      continue;
    }
    try {
      await engine.cleanup(id);
      result.cleaned.push(id);
    } catch (e) {
      if (!isAxiomError(e)) throw e;
      result.kept.push({ id, reason: `landed, not cleaned up: ${e.message.split('\n')[0]!}` });
    }
  }
  return result;
}
