/**
 * A window opened on an instance's worktree (Open in New Window, Add to Workspace) says which
 * instance it is: a status-bar item "Axiom: try-3" whose click offers that instance's actions,
 * and its row stands out in the view.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorktreeStatus } from '../core';
import { Commands } from './commandIds';
import { Cancelled, type Invocation } from './invocation';
import { descriptionFor } from './presentation';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';
import type { Services } from './services';
import { WorktreeNode } from './tree';

/** Is this worktree one of this window's workspace folders? */
export function isOpenHere(worktreePath: string): boolean {
  const resolved = path.resolve(worktreePath);
  return (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === 'file' && path.resolve(f.uri.fsPath) === resolved);
}

export interface HereInstance {
  model: RepositoryModel;
  status: WorktreeStatus;
}

export class ThisWindow implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subs: vscode.Disposable[];

  constructor(private readonly repos: Repositories) {
    this.item = vscode.window.createStatusBarItem('axiom.thisWindow', vscode.StatusBarAlignment.Left, 20);
    this.item.name = 'Axiom: Instance of This Window';
    this.item.command = Commands.instanceActions;
    this.subs = [repos.onDidChange(() => this.update()), vscode.workspace.onDidChangeWorkspaceFolders(() => this.update())];
    this.update();
  }

  /** The instances whose worktree this window has open. */
  instances(): HereInstance[] {
    return this.repos.models().flatMap((model) => model.instances().filter((w) => isOpenHere(w.path)).map((status) => ({ model, status })));
  }

  /** The status-bar text, or null when the item is hidden. */
  get text(): string | null {
    return this.shown ? this.item.text : null;
  }

  private shown = false;

  private update(): void {
    const here = this.instances();
    if (here.length === 0) {
      this.item.hide();
      this.shown = false;
      return;
    }
    const ids = here.map((h) => h.status.id!);
    this.item.text = `$(robot) Axiom: ${ids.join(', ')}`;
    this.item.tooltip =
      here.length === 1
        ? `This window is open on the worktree of instance ${ids[0]} (an agent's worktree of ${here[0]!.model.name}). Click for its actions: Show Changes, Merge into Base…`
        : `This window has the worktrees of ${ids.join(', ')} open. Click for their actions.`;
    this.item.show();
    this.shown = true;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}

/** Instance Actions…: what one can do with an instance, for the one this window is open on (its status-bar item). */
export async function instanceActionsCommand(s: Services, inv: Invocation): Promise<string> {
  const here = s.thisWindow.instances();
  const { model, status } = here.length === 1 && !inv.node && !inv.args?.id ? here[0]! : await inv.instance(s.repos, () => true, 'Instance Actions');
  const node = new WorktreeNode(model, model.find(status.id!) ?? status);
  const actions = [
    { label: '$(diff-multiple) Show Changes', detail: `${status.id} against the merge-base with ${status.base}`, value: Commands.showChanges },
    { label: '$(git-merge) Merge into Base…', detail: `preview, then merge ${status.id} into ${status.base}`, value: Commands.merge },
    { label: '$(terminal) Open Terminal', detail: 'the agent terminal of this instance', value: Commands.openTerminal },
    { label: '$(comment) Send Review to Agent', detail: 'the review comments on its diff', value: Commands.sendReview },
    { label: '$(trash) Clean Up Instance', detail: 'refuses if work would be lost', value: Commands.cleanup },
  ];
  const picked = await inv.pick('action', actions, { title: `Axiom: ${status.id}`, placeHolder: descriptionFor(status) });
  if (picked === undefined) throw new Cancelled();
  await vscode.commands.executeCommand(picked, node);
  return picked;
}
