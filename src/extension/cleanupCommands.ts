/** Clean Up Instance (one or a selection), Clean Up Merged Instances, Restore Salvaged…, Repair Worktrees. */
import * as vscode from 'vscode';
import { AxiomError, REFUSAL_CODES, describePushed, isAxiomError, plural, type AxiomErrorDetails, type CleanupResult, type RepairReport, type SpawnedInstance, type WorktreeStatus } from '../core';
import { ActionableError, type UiAction } from './commandWrapper';
import { Cancelled, type Invocation } from './invocation';
import type { Services } from './services';
import { Commands } from './commandIds';
import { readSettings, spawnOptionsFromSettings } from './settings';
import { WorktreeNode } from './tree';
import type { RepositoryModel } from './repositoryModel';
import { agentWords, descriptionFor, isEmpty, landedWords } from './presentation';
import { headline, refusalLines } from './refusals';
import { resolveInMergeEditor } from './mergeCommand';

export const CLEAN_UP_ANYWAY = 'Clean Up Anyway (salvage kept)';
export const MERGE_FIRST = 'Merge…';
export const RESOLVE_IN_MERGE_EDITOR = 'Resolve in Merge Editor…';

export interface BulkCleanupResult {
  cleaned: CleanupResult[];
  refused: { id: string; code: string; message: string; details: AxiomErrorDetails }[];
}

export async function cleanupCommand(s: Services, inv: Invocation): Promise<CleanupResult | BulkCleanupResult> {
  if (inv.selection.length > 1 || inv.args?.ids) return bulkCleanupCommand(s, inv);
  const { model, status } = await inv.instance(s.repos, () => true, 'Clean Up Instance');
  const id = status.id!;
  const force = inv.args?.force === true;
  const run = async (withForce: boolean): Promise<CleanupResult> =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Cleaning up ${id}…` }, async () => {
      // The engine closes the agent's terminal only once it has decided to go ahead (under its lock):
      // a refused cleanup must not kill the agent's session.
      const r = await model.operation(() =>
        model.engine.cleanup(id, { force: withForce, stopTerminalAgent: async () => s.terminals.close(model, id) }),
      );
      s.terminals.close(model, id);
      s.log.info(`Cleaned up ${id}${r.salvageRef ? `; its work is kept in ${r.salvageRef}` : ''}.`);
      const restore = 'Restore';
      const pushed = describePushed(r.atRisk);
      const text = (r.salvageRef ? `Cleaned up ${id}. Its work is kept in ${r.salvageRef}.` : `Cleaned up ${id}.`) + (pushed ? ` ${pushed}` : '');
      void vscode.window.showInformationMessage(text, ...(r.salvageRef ? [restore] : [])).then((p) =>
        p === restore ? vscode.commands.executeCommand(Commands.restoreSalvage) : undefined,
      );
      return r;
    });
  try {
    return await run(force);
  } catch (e) {
    if (!isAxiomError(e) || !REFUSAL_CODES.has(e.code)) throw e;
    const current = model.find(id) ?? status;
    const choice = cleanupRefusalChoice(current, e.code);
    const actions: UiAction[] = [
      choice.first === RESOLVE_IN_MERGE_EDITOR
        ? { title: RESOLVE_IN_MERGE_EDITOR, run: () => resolveInMergeEditor(model, id) }
        : { title: MERGE_FIRST, run: () => vscode.commands.executeCommand(Commands.merge, new WorktreeNode(model, current)) },
    ];
    if (choice.canForce) actions.push({ title: CLEAN_UP_ANYWAY, run: () => run(true) });
    const detail = [choice.lead, ...refusalLines(e, current)].filter(Boolean).join('\n') + (choice.advice ? `\n\n${choice.advice}` : '');
    throw new ActionableError(e, actions, { modal: true, detail });
  }
}

export interface CleanupRefusalChoice {
  /** The dialog's default (first) button: the safe way out. */
  first: typeof MERGE_FIRST | typeof RESOLVE_IN_MERGE_EDITOR;
  /** Clean Up Anyway (salvage kept) is offered second. */
  canForce: boolean;
  /** The dialog's first line under the refusal: what the row already said ("conflicts with main in …"). */
  lead: string;
  advice: string;
}

/**
 * The buttons of a refused Clean Up. The default is the safe way out, so Enter never throws work
 * away: Merge…, or — when the row already says it conflicts with its base, where a merge would stop
 * three steps later — Resolve in Merge Editor…. Forcing is second.
 */
export function cleanupRefusalChoice(w: WorktreeStatus, code: string): CleanupRefusalChoice {
  // A lock you set and an agent still at work can be overridden too: the forced cleanup salvages first.
  const canForce = ['DirtyWorktree', 'UnmergedCommits', 'WorktreeLocked', 'AgentRunning'].includes(code);
  const base = w.base ?? 'its base';
  const conflict = w.conflictsWithBase && code === 'UnmergedCommits';
  const first = conflict ? RESOLVE_IN_MERGE_EDITOR : MERGE_FIRST;
  const lead = conflict ? `It conflicts with ${base}${w.conflictFiles.length ? ` in ${w.conflictFiles.join(', ')}` : ''}.` : '';
  const how = conflict ? `${RESOLVE_IN_MERGE_EDITOR} starts merging it into ${base} and opens the conflicts for you to resolve.` : `${MERGE_FIRST} lands it on ${base} first.`;
  return { first, canForce, lead, advice: canForce ? `${how} ${CLEAN_UP_ANYWAY} keeps everything in a salvage ref you can restore.` : '' };
}

/** Cleans up each instance in turn; the engine refuses any that would lose work, and they are listed. */
async function cleanUpEach(s: Services, model: RepositoryModel, ids: string[], title: string): Promise<BulkCleanupResult> {
  const result: BulkCleanupResult = { cleaned: [], refused: [] };
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, (progress) =>
    model.operation(async () => {
      for (const id of ids) {
        progress.report({ message: id, increment: 100 / ids.length });
        try {
          result.cleaned.push(await model.engine.cleanup(id, { stopTerminalAgent: async () => s.terminals.close(model, id) }));
          s.terminals.close(model, id);
        } catch (e) {
          if (!isAxiomError(e)) throw e;
          result.refused.push({ id, code: e.code, message: e.message, details: e.details });
        }
      }
    }),
  );
  s.log.info(`Cleaned up ${result.cleaned.map((c) => c.id).join(', ') || 'nothing'}; kept ${result.refused.map((r) => `${r.id} (${r.code})`).join(', ') || 'none'}.`);
  return result;
}

/** One message for the whole batch: what went, and each one kept with why (in words). */
function reportBulk(inv: Invocation, model: RepositoryModel, total: number, r: BulkCleanupResult): void {
  const done = `Cleaned up ${r.cleaned.length} of ${plural(total, 'instance')}.`;
  if (r.refused.length === 0) {
    void vscode.window.showInformationMessage(done);
    return;
  }
  const kept = `${done} Kept ${r.refused.map((x) => x.id).join(', ')}: cleaning ${r.refused.length === 1 ? 'it' : 'them'} up would lose work.`;
  const detail = r.refused
    .map((x) => {
      const error = new AxiomError(x.code as AxiomError['code'], x.message, x.details);
      return [`${x.id}: ${headline(error)}`, ...refusalLines(error, model.find(x.id))].join('\n');
    })
    .join('\n\n');
  const oneByOne = r.refused.length === 1 ? 'Clean it up on its own to merge or salvage its work.' : 'Clean them up one by one to merge or salvage their work.';
  void vscode.window.showWarningMessage(kept, inv.headless ? {} : { modal: true, detail: `${detail}\n\n${oneByOne}` });
}

async function bulkCleanupCommand(s: Services, inv: Invocation): Promise<BulkCleanupResult> {
  const { model, statuses } = await inv.instances(s.repos, 'Clean Up Instances');
  const ok = await inv.confirm(
    `Clean up ${plural(statuses.length, 'instance')}?`,
    `Their worktrees and branches are removed. Any that would lose work is kept and listed afterwards:\n${statuses.map((w) => `• ${w.id} — ${descriptionFor(w)}`).join('\n')}`,
    'Clean Up',
  );
  if (!ok) throw new Cancelled();
  const result = await cleanUpEach(s, model, statuses.map((w) => w.id!), `Cleaning up ${plural(statuses.length, 'instance')}`);
  reportBulk(inv, model, statuses.length, result);
  return result;
}

/** Merged (landed) or empty (no commits, no changes) and no agent at work: nothing would be lost. */
function cleanable(w: WorktreeStatus): boolean {
  const busy = ['starting', 'pending', 'working', 'waiting'].includes(w.agentState.phase);
  return w.dirty !== null && w.changes.length === 0 && (w.merged || isEmpty(w)) && !busy;
}

export async function cleanupMergedCommand(s: Services, inv: Invocation): Promise<BulkCleanupResult> {
  const model = await inv.model(s.repos);
  await model.refreshNow();
  const candidates = model.instances().filter((w) => w.dirty !== null && w.changes.length === 0 && (w.merged || isEmpty(w)));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('No merged or empty instance to clean up.');
    return { cleaned: [], refused: [] };
  }
  let ids: string[];
  if (inv.headless) {
    if (inv.args?.confirm !== true) throw new Cancelled();
    ids = candidates.filter(cleanable).map((w) => w.id!);
  } else {
    const picked = await vscode.window.showQuickPick(
      candidates.map((w) => ({
        label: w.id!,
        description: [w.merged ? landedWords(w) : 'empty: no commits, no changes', agentWords(w)].filter(Boolean).join(' · '),
        picked: cleanable(w),
        value: w.id!,
      })),
      { title: 'Clean Up Merged and Empty Instances', placeHolder: 'Their worktrees and branches are removed; anything not merged is refused and kept', canPickMany: true, ignoreFocusOut: true },
    );
    if (!picked || picked.length === 0) throw new Cancelled();
    ids = picked.map((p) => p.value);
  }
  const result = await cleanUpEach(s, model, ids, 'Cleaning up merged and empty instances');
  reportBulk(inv, model, ids.length, result);
  return result;
}

export interface RestoreCommandResult extends SpawnedInstance {
  salvageRef: string;
  /** The salvage ref was deleted after the restore (it stays otherwise, until it expires). */
  salvageDropped: boolean;
}

export async function restoreCommand(s: Services, inv: Invocation): Promise<RestoreCommandResult> {
  const model = await inv.model(s.repos);
  const all = await model.engine.listSalvage();
  if (all.length === 0) throw new AxiomError('NotFound', 'There is no salvaged work to restore.');
  const ref = await inv.pick(
    'salvage',
    all.map((x) => ({
      label: x.id,
      description: [new Date(x.date * 1000).toLocaleString(), x.agent, x.base ? `base ${x.base}` : ''].filter(Boolean).join(' · '),
      detail: x.prompt ? `${x.ref} · prompt: ${x.prompt.slice(0, 120)}` : x.ref,
      value: x.ref,
    })),
    { title: 'Restore Salvaged Work', placeHolder: 'Salvaged work to bring back as a new instance' },
  );
  if (ref === undefined) throw new Cancelled();
  const chosen = all.find((x) => x.ref === ref || x.id === ref)!;
  await model.ready();
  const taken = (id: string): boolean => model.find(id) !== undefined;
  let as = inv.args?.as;
  if (!inv.headless || (as === undefined && taken(chosen.id))) {
    const suggestion = taken(chosen.id) ? `${chosen.id}-restored` : chosen.id;
    as = inv.headless
      ? suggestion
      : await vscode.window.showInputBox({
          title: 'Restore Salvaged Work',
          prompt: 'Id of the restored instance',
          value: suggestion,
          ignoreFocusOut: true,
          validateInput: (v) => (taken(v) ? `${v} exists.` : null),
        });
    if (as === undefined) throw new Cancelled();
  }
  const restored = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Restoring ${chosen.ref}…` }, () =>
    model.operation(() => {
      // The instance limit and worktree folder from VS Code settings apply to restores too.
      const { limit, dirTemplate } = spawnOptionsFromSettings(vscode.Uri.file(model.root));
      return model.engine.restore(chosen.ref, { ...(as ? { as } : {}), ...(limit ? { limit } : {}), ...(dirTemplate ? { dirTemplate } : {}) });
    }),
  );
  const drop = async (): Promise<boolean> => {
    await model.engine.dropSalvage(chosen.ref);
    s.log.info(`Deleted ${chosen.ref} after restoring it as ${restored.id}.`);
    return true;
  };
  let salvageDropped = false;
  if (inv.headless) {
    if (inv.args?.dropSalvage === true) salvageDropped = await drop();
  } else {
    // The salvage ref is a second copy now: say that it stays (and until when), and offer to drop it.
    const days = readSettings(vscode.Uri.file(model.root)).salvageRetentionDays;
    const stays = days > 0 ? `until it expires ${plural(days, 'day')} after the cleanup (axiom.salvageRetentionDays)` : 'for good (axiom.salvageRetentionDays is 0)';
    const deleteIt = 'Delete Salvage Ref';
    void vscode.window
      .showInformationMessage(`Restored ${chosen.id} as ${restored.id} at ${restored.path}. The salvage ref ${chosen.ref} stays ${stays}.`, deleteIt)
      .then((p) => (p === deleteIt ? drop() : undefined))
      .then(undefined, (e: unknown) => s.log.error('Deleting the salvage ref failed:', e));
  }
  return { ...restored, salvageRef: chosen.ref, salvageDropped };
}

export async function repairCommand(s: Services, inv: Invocation): Promise<RepairReport> {
  const model = await inv.model(s.repos);
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Repairing worktrees…' }, () =>
    model.operation(() => model.engine.repair()),
  );
  const deleted = r.orphanBranches.filter((b) => b.action === 'deleted').length;
  const kept = r.orphanBranches.filter((b) => b.action === 'kept').length;
  const parts = [
    r.pruned.length && `pruned ${plural(r.pruned.length, 'missing worktree')}`,
    r.removedHalfSpawned.length && `removed ${plural(r.removedHalfSpawned.length, 'unfinished spawn')}`,
    r.quarantined.length && `set aside ${plural(r.quarantined.length, 'damaged record')} (see the log)`,
    r.relinked.length && `re-linked ${plural(r.relinked.length, 'instance')}`,
    r.gitFilesRepaired.length && `wrote ${plural(r.gitFilesRepaired.length, 'broken .git file')} again`,
    r.lookalikes.length && `left ${plural(r.lookalikes.length, 'worktree')} Axiom has no record of making alone`,
    deleted && `deleted ${plural(deleted, 'empty branch')}`,
    kept && `kept ${plural(kept, 'orphan branch')} that hold work`,
  ].filter(Boolean);
  s.log.info('Repair:', JSON.stringify(r));
  void vscode.window.showInformationMessage(parts.length ? `Repair: ${parts.join('; ')}.` : 'Repair: everything is consistent.');
  return r;
}
