/**
 * A window opened on an instance's worktree (Open in New Window, Add to Workspace) says which
 * instance it is: a status-bar item "Axiom: try-3" whose click offers that instance's actions,
 * and its row stands out in the view.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorktreeStatus } from '../core';
import { Commands } from './commandIds';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';

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
