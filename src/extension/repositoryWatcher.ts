/**
 * Narrow file watching for one repository (docs/ARCHITECTURE.md §6). Each event is turned into the set of
 * worktrees it concerns, so the next snapshot re-statuses only those:
 * - `<commonDir>/worktrees/<name>/…` (HEAD, index, axiom.json, axiom-status.jsonl, locked, setup) and the
 *   admin dir itself → that worktree (a new admin dir: nothing to name, every refresh lists `worktrees/`);
 * - `<commonDir>/{HEAD,index}` → the main worktree; `refs/heads/**`, `packed-refs` → the common dir (any ref
 *   may have moved);
 * - any file inside a worktree folder (but its `.git`) → that worktree.
 * `axiom-terminal-input.jsonl` events are handed to the terminal manager. Refreshes trust these names
 * (engine `trustChanged`; statusCache.ts says what its timed backstop catches when an event is missed).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TERMINAL_INPUT_FILE } from '../core';
import type { RepositoryModel } from './repositoryModel';

const ADMIN_FILES = `{HEAD,index,locked,axiom.json,axiom-status.jsonl,axiom-setup.json,${TERMINAL_INPUT_FILE}}`;

export class RepositoryWatcher implements vscode.Disposable {
  private readonly shared: vscode.Disposable[] = [];
  private readonly perWorktree = new Map<string, vscode.Disposable>();
  private readonly terminalInput = new vscode.EventEmitter<string>();
  /** Fires with an admin dir whose terminal input file appeared or grew. */
  readonly onTerminalInput = this.terminalInput.event;

  constructor(private readonly model: RepositoryModel) {
    const common = vscode.Uri.file(model.engine.repo.commonDir);
    this.watch(common, `worktrees/*/${ADMIN_FILES}`, (uri) => this.adminEvent(uri));
    this.watch(common, 'worktrees/*', (uri) => model.changed(this.worktreeOf(uri.fsPath)));
    this.watch(common, '{HEAD,index}', () => model.changed(model.engine.repo.mainWorktree ? [model.engine.repo.mainWorktree] : []));
    this.watch(common, '{packed-refs,refs/heads/**}', () => model.changed([model.engine.repo.commonDir]));
    this.shared.push(model.onDidChange(() => this.syncWorktrees()));
  }

  private watch(base: vscode.Uri, glob: string, onEvent: (uri: vscode.Uri) => void): vscode.FileSystemWatcher {
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(base, glob));
    w.onDidCreate(onEvent);
    w.onDidChange(onEvent);
    w.onDidDelete(onEvent);
    this.shared.push(w);
    return w;
  }

  private adminEvent(uri: vscode.Uri): void {
    const file = path.basename(uri.fsPath);
    const adminDir = path.dirname(uri.fsPath);
    if (file === TERMINAL_INPUT_FILE) {
      this.terminalInput.fire(adminDir);
      return;
    }
    this.model.changed(this.worktreeOf(adminDir));
  }

  /** The worktree of an admin dir, as a list to name in a refresh ([] for one not shown yet). */
  private worktreeOf(adminDir: string): string[] {
    const wt = this.model.byAdminDir(adminDir);
    return wt ? [wt.path] : [];
  }

  /** One recursive watcher per worktree folder; created and dropped as worktrees come and go. */
  private syncWorktrees(): void {
    const live = new Set(this.model.worktrees().filter((w) => w.dirty !== null).map((w) => path.resolve(w.path)));
    for (const [p, d] of this.perWorktree) {
      if (!live.has(p)) {
        d.dispose();
        this.perWorktree.delete(p);
      }
    }
    for (const p of live) {
      if (this.perWorktree.has(p)) continue;
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(p), '**'));
      const onEvent = (uri: vscode.Uri): void => {
        const rel = path.relative(p, uri.fsPath);
        // Git's own files are covered by the admin-dir watchers; `.git` of the main worktree is busy.
        if (rel === '.git' || rel.startsWith(`.git${path.sep}`)) return;
        this.model.changed([p]);
      };
      this.perWorktree.set(p, vscode.Disposable.from(w, w.onDidCreate(onEvent), w.onDidChange(onEvent), w.onDidDelete(onEvent)));
    }
  }

  /** Test and diagnostics aid: the worktree folders being watched. */
  watchedWorktrees(): string[] {
    return [...this.perWorktree.keys()];
  }

  dispose(): void {
    for (const d of this.shared) d.dispose();
    for (const d of this.perWorktree.values()) d.dispose();
    this.perWorktree.clear();
    this.terminalInput.dispose();
  }
}
