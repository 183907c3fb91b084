/**
 * Merge into Base…: strategy, the engine's preview (files, conflicts) before anything changes, a
 * modal confirm, progress, and a result with "Clean Up Instance". Uncommitted work: offer to
 * commit it all first. Conflicts: change nothing, or leave the merge in the target's working tree
 * for the merge editor when the user asks for it. On a selection of rows: one strategy, one
 * confirmation, then each instance in turn (see `mergeOrder`).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AxiomError, MERGE_STRATEGIES, inLandingOrder, isAxiomError, type MergePlan, type MergeResult, type MergeStrategy, type WorktreeStatus } from '../core';
import { Commands } from './commandIds';
import { Cancelled, type Invocation } from './invocation';
import { WorktreeNode } from './tree';
import type { Services } from './services';
import type { RepositoryModel } from './repositoryModel';
import { readSettings } from './settings';
import { plural } from '../core';
import { descriptionFor } from './presentation';
import { headline } from './refusals';

/** Other live instances that will conflict with the base once this one has landed (the conflict forecast's pairs). */
export interface ConflictsAfter {
  conflictsAfter: { id: string; files: string[] }[];
}

export type MergeCommandResult =
  | ({ outcome: 'merged' } & MergeResult & ConflictsAfter)
  | ({ outcome: 'conflicts' } & MergePlan)
  | ({ outcome: 'conflictLeft'; conflictLeftIn: string } & MergeResult)
  | { outcome: 'cancelled' };

const STRATEGY_HELP: Record<MergeStrategy, string> = {
  merge: 'A merge commit keeps every commit of the instance',
  squash: 'One new commit with all the changes',
  rebase: 'Replay the commits on the base and fast-forward it (linear history)',
  'cherry-pick': 'Copy the commits onto the base',
};

function list(items: string[], max = 20): string {
  const shown = items.slice(0, max).map((f) => `• ${f}`);
  if (items.length > max) shown.push(`… and ${items.length - max} more`);
  return shown.join('\n');
}

/** Nothing to merge, said before any question: no commits of its own and no changes, or already landed. */
function nothingToMerge(w: WorktreeStatus): AxiomError | null {
  if (w.changes.length > 0) return null;
  if (w.merged) {
    const how = w.metadata?.merged?.headSha === w.head ? ` (${w.metadata.merged.strategy})` : '';
    return new AxiomError('NothingToMerge', `${w.id} has already landed in ${w.base}${how}: there is nothing new to merge.`);
  }
  if (w.ahead === 0) return new AxiomError('NothingToMerge', `${w.id} has no commits and no changes that are not in ${w.base}: there is nothing to merge.`);
  return null;
}

/** The merge confirmation's warning: the live instances the forecast says will conflict with the target after this merge. */
export function conflictsAfterWords(conflictsAfter: readonly { id: string; files: readonly string[] }[], target: string): string {
  return `After this merge ${conflictsAfter.map((c) => `${c.id} (${c.files.join(', ')})`).join(', ')} will conflict with ${target}.`;
}

export async function mergeCommand(s: Services, inv: Invocation): Promise<MergeCommandResult | BulkMergeResult> {
  if (inv.selection.length > 1 || inv.args?.ids) return bulkMergeCommand(s, inv);
  const { model, status } = await inv.instance(s.repos, (w) => w.dirty !== null, 'Merge into Base');
  const id = status.id!;
  // The row may lag a commit made a moment ago: judge "nothing to merge" on the worktree as it is now.
  await model.refreshNow([status.path]);
  const nothing = nothingToMerge(model.find(id) ?? status);
  if (nothing) throw nothing;
  const strategy = await inv.pick(
    'strategy',
    MERGE_STRATEGIES.map((st) => ({ label: st, detail: STRATEGY_HELP[st], value: st })),
    { title: `Merge ${id} into ${status.base}`, placeHolder: 'How should the work land on the base?' },
  );
  if (strategy === undefined) throw new Cancelled();

  const plan = (await model.engine.merge(id, { strategy, preview: true })) as MergePlan;
  let commitMessage: string | undefined;
  if (plan.uncommitted.length > 0) {
    const commitAll = 'Commit All and Merge';
    const ok = inv.headless
      ? inv.args?.commitMessage !== undefined
      : (await vscode.window.showWarningMessage(
          `${id} has ${plural(plan.uncommitted.length, 'uncommitted change')}.`,
          { modal: true, detail: `Commit them all first, then merge:\n${list(plan.uncommitted.map((e) => e.path))}` },
          commitAll,
        )) === commitAll;
    if (!ok) return { outcome: 'cancelled' };
    commitMessage = await inv.text('commitMessage', {
      title: `Merge ${id}: Commit All`,
      prompt: `Commit message for the uncommitted work of ${id}`,
      value: `${id}: work in progress`,
    });
    if (!commitMessage) return { outcome: 'cancelled' };
  }

  if (plan.conflicts.length > 0) {
    const canLeave = plan.targetWorktree !== null && (strategy === 'merge' || strategy === 'squash') && commitMessage === undefined;
    const openIt = 'Open in Merge Editor';
    const detail =
      `Nothing was changed. Conflicting files:\n${list(plan.conflicts)}` +
      (canLeave ? `\n\n"${openIt}" starts the merge in ${plan.targetWorktree} and leaves it there for you to resolve.` : '');
    const choice = inv.headless
      ? inv.args?.onConflict === 'open' && canLeave
      : (await vscode.window.showWarningMessage(`Merging ${id} into ${plan.target} would conflict in ${plural(plan.conflicts.length, 'file')}.`, { modal: true, detail }, ...(canLeave ? [openIt] : []))) === openIt;
    if (!choice) return { outcome: 'conflicts', ...plan };
    const left = (await model.operation(() => model.engine.merge(id, { strategy, onConflict: 'leave' }))) as MergeResult;
    if (left.conflictLeftIn) await openConflict(left.conflictLeftIn, plan.conflicts[0]!);
    return { outcome: 'conflictLeft', conflictLeftIn: left.conflictLeftIn ?? plan.targetWorktree!, ...left };
  }

  // Refusals the engine would give after the confirmation: give them before it.
  if (plan.commits.length === 0 && commitMessage === undefined) {
    throw new AxiomError('NothingToMerge', `${id} has no commits that are not already in ${plan.target}.`);
  }
  if (plan.problem) throw new AxiomError(plan.problem.code, plan.problem.message);
  if (plan.overwrites.length > 0) {
    throw new AxiomError(
      'TargetDirty',
      `Merging ${id} would overwrite ${plural(plan.overwrites.length, 'file')} that ${plan.target}'s working tree at ${plan.targetWorktree} has but does not track (untracked or ignored, e.g. a local .env); move them away first. Nothing was changed:\n${list(plan.overwrites)}`,
      { files: plan.overwrites },
    );
  }
  if (plan.targetChanges.length > 0) {
    throw new AxiomError(
      'TargetDirty',
      `${plan.target} is checked out at ${plan.targetWorktree} with uncommitted changes; commit or stash them there first:\n${list(plan.targetChanges.map((e) => e.path))}`,
      { files: plan.targetChanges.map((e) => e.path) },
    );
  }

  const conflictsAfter = (s.explorations.of(model)?.conflictsOf(id) ?? []).filter((c) => model.find(c.other)).map((c) => ({ id: c.other, files: c.files }));
  const settings = readSettings(vscode.Uri.file(model.root));
  if (settings.confirmBeforeMerge || inv.headless) {
    const what = `${plural(plan.commits.length, 'commit')} touching ${plural(plan.files.length, 'file')}`;
    const where = plan.targetWorktree ? `in ${plan.targetWorktree}` : '(not checked out: no working tree is touched)';
    const after = conflictsAfter.length ? `\n\n${conflictsAfterWords(conflictsAfter, plan.target)}` : '';
    const ok = await inv.confirm(
      `Merge ${id} into ${plan.target} (${strategy})?`,
      `${what}${commitMessage ? ' plus the uncommitted work (committed first)' : ''}, into ${plan.target} ${where}:\n${list(plan.files.map((f) => `${f.status} ${f.path}`))}${after}`,
      'Merge',
    );
    if (!ok) return { outcome: 'cancelled' };
  }
  // A squash is one new commit on the base: its message is asked for, prefilled (the commits' subjects follow it).
  let squashMessage: string | undefined;
  if (strategy === 'squash') {
    const subject = `${id}: squash ${plural(plan.commits.length, 'commit')} from ${plan.branch}`;
    const typed = inv.headless
      ? (inv.args?.squashMessage ?? subject)
      : await vscode.window.showInputBox({ title: `Squash ${id} into ${plan.target}`, prompt: 'The squash commit\'s message (the commits\' subjects are added below it)', value: subject, ignoreFocusOut: true });
    if (!typed?.trim()) return { outcome: 'cancelled' };
    squashMessage = `${typed.trim()}\n\n${plan.commits.map((c) => `* ${c.subject}`).join('\n')}\n`;
  }

  const result = (await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Merging ${id} into ${plan.target} (${strategy})…` },
    () => model.operation(() => model.engine.merge(id, { strategy, ...(commitMessage ? { commitMessage } : {}), ...(squashMessage ? { message: squashMessage } : {}) })),
  )) as MergeResult;
  s.log.info(`Merged ${id} into ${result.target} (${strategy}): ${result.previousTargetSha.slice(0, 10)} → ${result.newTargetSha?.slice(0, 10)}.`);
  const cleanUp = 'Clean Up Instance';
  const message = `Merged ${id} into ${result.target} (${strategy}, ${plural(result.commits.length, 'commit')}, ${plural(result.files.length, 'file')}).`;
  // Not awaited: the command returns now, the action runs whenever it is picked.
  void vscode.window.showInformationMessage(message, cleanUp).then((picked) => {
    // A row node (not an argument object) makes the cleanup interactive, with its own dialogs.
    if (picked === cleanUp) return vscode.commands.executeCommand(Commands.cleanup, new WorktreeNode(model, model.find(id) ?? status));
    return undefined;
  });
  if (conflictsAfter.length) s.log.info(`After merging ${id}, ${conflictsAfter.map((c) => c.id).join(', ')} will conflict with ${result.target}.`);
  return { outcome: 'merged', ...result, conflictsAfter };
}

/**
 * Resolve in Merge Editor… (Clean Up of an instance that conflicts with its base): starts a merge of
 * it into its base's working tree and leaves the conflicts there, in the merge editor. Anything
 * that needs a question first (uncommitted work, no conflict any more, the base not checked out)
 * goes through Merge into Base… instead.
 */
export async function resolveInMergeEditor(model: RepositoryModel, id: string): Promise<void> {
  const status = model.find(id);
  if (!status) throw new AxiomError('NotFound', `No instance named ${JSON.stringify(id)}.`);
  const plan = (await model.engine.merge(id, { strategy: 'merge', preview: true })) as MergePlan;
  if (plan.conflicts.length === 0 || plan.uncommitted.length > 0 || plan.targetWorktree === null) {
    await vscode.commands.executeCommand(Commands.merge, new WorktreeNode(model, status));
    return;
  }
  const left = (await model.operation(() => model.engine.merge(id, { strategy: 'merge', onConflict: 'leave' }))) as MergeResult;
  if (left.conflictLeftIn) await openConflict(left.conflictLeftIn, plan.conflicts[0]!);
}

/** Opens a conflicted file in the merge editor (through the git extension), else as a text editor. */
async function openConflict(worktree: string, file: string): Promise<void> {
  const uri = vscode.Uri.file(path.join(worktree, file));
  try {
    await vscode.commands.executeCommand('git.openMergeEditor', uri);
  } catch {
    await vscode.commands.executeCommand('vscode.open', uri);
  }
}

export interface BulkMergeResult {
  strategy: MergeStrategy;
  /** In the order they were merged. */
  merged: { id: string; newTargetSha: string | null }[];
  skipped: { id: string; code: string; reason: string }[];
}

/**
 * The order a batch of instances is merged in: the conflict forecast's landing order (the largest
 * set that lands cleanly first) where it knows the instances, then the rest in the view's order
 * (the selection arrives in it).
 */
export function mergeOrder(statuses: readonly WorktreeStatus[], forecastOrder: readonly string[] = []): WorktreeStatus[] {
  return inLandingOrder(statuses, forecastOrder);
}

async function bulkMergeCommand(s: Services, inv: Invocation): Promise<BulkMergeResult> {
  const { model, statuses } = await inv.instances(s.repos, 'Merge Instances into Base', (w) => w.dirty !== null);
  const order = mergeOrder(statuses, s.explorations.of(model)?.forecast?.order);
  const strategy = await inv.pick(
    'strategy',
    MERGE_STRATEGIES.map((st) => ({ label: st, detail: STRATEGY_HELP[st], value: st })),
    { title: `Merge ${plural(order.length, 'instance')} into Base`, placeHolder: 'How should the work land on the base?' },
  );
  if (strategy === undefined) throw new Cancelled();
  const ok = await inv.confirm(
    `Merge ${plural(order.length, 'instance')} (${strategy}), one after the other in this order?`,
    `${order.map((w, i) => `${i + 1}. ${w.id} into ${w.base} — ${descriptionFor(w)}`).join('\n')}\n\nEach merge is all or nothing. One that would conflict, has uncommitted work or nothing to merge is skipped and listed.`,
    'Merge All',
  );
  if (!ok) throw new Cancelled();
  const result: BulkMergeResult = { strategy, merged: [], skipped: [] };
  await model.refreshNow(order.map((w) => w.path));
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Merging ${plural(order.length, 'instance')} (${strategy})` }, async (progress) => {
    for (const w of order) {
      const id = w.id!;
      progress.report({ message: id, increment: 100 / order.length });
      try {
        const nothing = nothingToMerge(model.find(id) ?? w);
        if (nothing) throw nothing;
        const r = (await model.operation(() => model.engine.merge(id, { strategy }))) as MergeResult;
        result.merged.push({ id, newTargetSha: r.newTargetSha });
      } catch (e) {
        if (!isAxiomError(e)) throw e;
        result.skipped.push({ id, code: e.code, reason: headline(e) });
      }
    }
  });
  s.log.info(`Bulk merge (${strategy}): merged ${result.merged.map((m) => m.id).join(', ') || 'none'}; skipped ${result.skipped.map((x) => `${x.id} (${x.code})`).join(', ') || 'none'}.`);
  const merged = result.merged.length ? `Merged ${result.merged.map((m) => m.id).join(', ')} (${strategy}).` : 'Merged nothing.';
  if (result.skipped.length === 0) void vscode.window.showInformationMessage(merged);
  else void vscode.window.showWarningMessage(`${merged} Not merged: ${result.skipped.map((x) => `${x.id} — ${x.reason}`).join('; ')}`);
  return result;
}
