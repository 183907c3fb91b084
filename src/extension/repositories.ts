/**
 * The repositories of the workspace: one model (and one watcher) per git repository, found from
 * the workspace folders and kept in step with them. Two folders of the same repository (or a
 * folder that is one of its worktrees) share one model.
 */
import * as vscode from 'vscode';
import { AxiomEngine, isAxiomError } from '../core';
import { RepositoryModel } from './repositoryModel';
import { RepositoryWatcher } from './repositoryWatcher';
import { HAS_INSTANCES_CONTEXT_KEY, STATE_CONTEXT_KEY } from './commandIds';
import { readSettings } from './settings';

export interface Repository {
  model: RepositoryModel;
  watcher: RepositoryWatcher;
}

export class Repositories implements vscode.Disposable {
  private readonly byCommonDir = new Map<string, Repository & { folders: Set<string>; subs: vscode.Disposable[] }>();
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Fires when a repository is added or removed, or any model changes. */
  readonly onDidChange = this.emitter.event;
  private readonly repoAdded = new vscode.EventEmitter<Repository>();
  readonly onDidAddRepository = this.repoAdded.event;
  private readonly subs: vscode.Disposable[] = [];
  private scanning: Promise<void> = Promise.resolve();
  private contextKey = '';

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly gitBinary: string | undefined,
  ) {
    this.subs.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.scan()),
      // Trust granted: git may now run what the repository configures (fsmonitor, filters, merge drivers).
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        for (const r of this.byCommonDir.values()) {
          r.model.engine.git.untrusted = false;
          void r.model.refreshNow('all');
        }
      }),
    );
  }

  list(): Repository[] {
    return [...this.byCommonDir.values()].sort((a, b) => a.model.name.localeCompare(b.model.name));
  }

  models(): RepositoryModel[] {
    return this.list().map((r) => r.model);
  }

  /** The repository at or containing this path (repository root, worktree or common dir). */
  find(p: string): Repository | undefined {
    for (const r of this.byCommonDir.values()) {
      if (r.model.root === p || r.model.engine.repo.commonDir === p || r.model.byPath(p)) return r;
    }
    return undefined;
  }

  /** Resolves when the discovery under way (if any) is done. */
  settled(): Promise<void> {
    return this.scanning;
  }

  /** (Re)discovers repositories from the workspace folders. */
  scan(): Promise<void> {
    this.scanning = this.scanning.then(() => this.doScan());
    return this.scanning;
  }

  private async doScan(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const seen = new Set<string>();
    for (const folder of folders) {
      if (folder.uri.scheme !== 'file') continue;
      try {
        // Untrusted workspace: the tree still lists, so git reads run with the repository's programs switched off.
        const engine = await AxiomEngine.open(folder.uri.fsPath, { ...(this.gitBinary ? { binary: this.gitBinary } : {}), untrusted: !vscode.workspace.isTrusted });
        const key = engine.repo.commonDir;
        seen.add(key);
        const existing = this.byCommonDir.get(key);
        if (existing) {
          existing.folders.add(folder.uri.fsPath);
          continue;
        }
        this.add(engine, folder.uri.fsPath);
      } catch (e) {
        if (isAxiomError(e, 'NotARepository')) this.log.info(`${folder.uri.fsPath} is not in a git repository.`);
        else this.log.error(`Could not open ${folder.uri.fsPath}:`, e);
      }
    }
    for (const [key, repo] of this.byCommonDir) {
      if (seen.has(key)) continue;
      this.byCommonDir.delete(key);
      this.disposeRepo(repo);
    }
    await this.updateContext();
    this.emitter.fire();
  }

  private add(engine: AxiomEngine, folder: string): void {
    const unsubscribe = engine.git.onTrace((t) =>
      this.log.trace(`git ${t.args.join(' ')} (${t.ms.toFixed(0)} ms${t.exitCode ? `, exit ${t.exitCode}` : ''}) in ${t.cwd}`),
    );
    const model = new RepositoryModel(engine, () => readSettings(vscode.Uri.file(folder)).refreshDebounceMs, this.log);
    const watcher = new RepositoryWatcher(model);
    const entry = {
      model,
      watcher,
      folders: new Set([folder]),
      subs: [{ dispose: unsubscribe }, model.onDidChange(() => void this.updateContext().then(() => this.emitter.fire()))],
    };
    this.byCommonDir.set(engine.repo.commonDir, entry);
    this.log.info(`Repository ${model.root} (git dir ${engine.repo.commonDir}, default branch ${engine.repo.defaultBranch ?? 'none'}).`);
    this.repoAdded.fire(entry);
    void model.ready();
  }

  private async updateContext(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const state = folders.length === 0 ? 'noFolder' : this.byCommonDir.size === 0 ? 'noRepository' : 'ready';
    const hasInstances = this.models().some((m) => m.instances().length > 0);
    const key = `${state}:${hasInstances}`;
    if (key === this.contextKey) return;
    this.contextKey = key;
    await vscode.commands.executeCommand('setContext', STATE_CONTEXT_KEY, state);
    await vscode.commands.executeCommand('setContext', HAS_INSTANCES_CONTEXT_KEY, hasInstances);
  }

  private disposeRepo(r: Repository & { subs: vscode.Disposable[] }): void {
    for (const s of r.subs) s.dispose();
    r.watcher.dispose();
    r.model.dispose();
  }

  dispose(): void {
    for (const r of this.byCommonDir.values()) this.disposeRepo(r);
    this.byCommonDir.clear();
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
    this.repoAdded.dispose();
  }
}
