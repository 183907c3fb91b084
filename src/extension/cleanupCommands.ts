/** Clean Up Instance, Clean Up Merged Instances, Restore Salvaged…, Repair / Prune. */
import * as vscode from 'vscode';
import { AxiomError, isAxiomError, type CleanupAllResult, type CleanupResult, type RepairReport, type SpawnedInstance } from '../core';
import { ActionableError } from './commandWrapper';
import { Cancelled, type Invocation } from './invocation';
import type { Services } from './services';
import { Commands } from './commandIds';
import { spawnOptionsFromSettings } from './settings';
import { plural } from '../core';

export async function cleanupCommand(s: Services, inv: Invocation): Promise<CleanupResult> {
  const { model, status } = await inv.instance(s.repos);
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
      if (r.salvageRef) {
        void vscode.window.showInformationMessage(`Cleaned up ${id}. Its work is kept in ${r.salvageRef}.`, 'Restore').then((p) =>
          p === 'Restore' ? vscode.commands.executeCommand(Commands.restoreSalvage) : undefined,
        );
      }
      return r;
    });
  try {
    return await run(force);
  } catch (e) {
    // The engine's refusal lists what would be lost: offer the salvage-keeping way out.
    if (isAxiomError(e, 'DirtyWorktree') || isAxiomError(e, 'UnmergedCommits') || isAxiomError(e, 'WorktreeLocked')) {
      throw new ActionableError(e, [{ title: 'Clean Up Anyway (salvage kept)', run: () => run(true) }], true);
    }
    throw e;
  }
}

export async function cleanupMergedCommand(s: Services, inv: Invocation): Promise<CleanupAllResult> {
  const model = await inv.model(s.repos);
  await model.refreshNow();
  const merged = model.instances().filter((w) => w.merged);
  if (merged.length === 0) {
    void vscode.window.showInformationMessage('No merged instance to clean up.');
    return { cleaned: [], refused: [], skipped: [] };
  }
  const ok = await inv.confirm(
    `Clean up ${plural(merged.length, 'merged instance')}?`,
    `Their worktrees and branches are removed; anything not merged is refused and kept:\n${merged.map((w) => `• ${w.id}`).join('\n')}`,
    'Clean Up',
  );
  if (!ok) throw new Cancelled();
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Cleaning up merged instances…' }, () =>
    model.operation(() => model.engine.cleanupAll({ mergedOnly: true, stopTerminalAgent: async (id) => s.terminals.close(model, id) })),
  );
  for (const c of result.cleaned) s.terminals.close(model, c.id);
  const refused = result.refused.map((r) => `${r.id} (${r.code})`).join(', ');
  void vscode.window.showInformationMessage(`Cleaned up ${plural(result.cleaned.length, 'instance')}.${refused ? ` Kept: ${refused}.` : ''}`);
  return result;
}

export async function restoreCommand(s: Services, inv: Invocation): Promise<SpawnedInstance> {
  const model = await inv.model(s.repos);
  const all = await model.engine.listSalvage();
  if (all.length === 0) throw new AxiomError('NotFound', 'There is no salvaged work to restore.');
  const ref = await inv.pick(
    'salvage',
    all.map((x) => ({ label: x.id, description: new Date(x.date * 1000).toLocaleString(), detail: `${x.ref}${x.base ? ` · base ${x.base}` : ''}`, value: x.ref })),
    { placeHolder: 'Salvaged work to bring back as a new instance' },
  );
  if (ref === undefined) throw new Cancelled();
  const chosen = all.find((x) => x.ref === ref)!;
  await model.ready();
  const taken = (id: string): boolean => model.find(id) !== undefined;
  let as = inv.args?.as;
  if (!inv.headless || (as === undefined && taken(chosen.id))) {
    const suggestion = taken(chosen.id) ? `${chosen.id}-restored` : chosen.id;
    as = inv.headless
      ? suggestion
      : await vscode.window.showInputBox({ prompt: 'Id of the restored instance', value: suggestion, validateInput: (v) => (taken(v) ? `${v} exists.` : null) });
    if (as === undefined) throw new Cancelled();
  }
  const restored = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Restoring ${chosen.ref}…` }, () =>
    model.operation(() => {
      // The instance limit and worktree folder from VS Code settings apply to restores too.
      const { limit, dirTemplate } = spawnOptionsFromSettings(vscode.Uri.file(model.root));
      return model.engine.restore(chosen.ref, { ...(as ? { as } : {}), ...(limit ? { limit } : {}), ...(dirTemplate ? { dirTemplate } : {}) });
    }),
  );
  void vscode.window.showInformationMessage(`Restored ${chosen.id} as ${restored.id} at ${restored.path}.`);
  return restored;
}

export async function repairCommand(s: Services, inv: Invocation): Promise<RepairReport> {
  const model = await inv.model(s.repos);
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Repairing worktrees…' }, () =>
    model.operation(() => model.engine.repair()),
  );
  const parts = [
    r.pruned.length && `pruned ${plural(r.pruned.length, 'missing worktree')}`,
    r.removedHalfSpawned.length && `removed ${plural(r.removedHalfSpawned.length, 'unfinished spawn')}`,
    r.relinked.length && `re-linked ${plural(r.relinked.length, 'instance')}`,
    r.orphanBranches.length && `${r.orphanBranches.filter((b) => b.action === 'deleted').length} empty branch(es) deleted, ${r.orphanBranches.filter((b) => b.action === 'kept').length} with work kept`,
  ].filter(Boolean);
  s.log.info('Repair:', JSON.stringify(r));
  void vscode.window.showInformationMessage(parts.length ? `Repair: ${parts.join('; ')}.` : 'Repair: everything is consistent.');
  return r;
}
