/**
 * One repository's state for the UI: the engine, its latest Snapshot, and change events.
 * The model owns the state; the tree and the terminals only read it and listen to onDidChange.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AxiomEngine, InstanceDiff, Snapshot, WorktreeStatus } from '../core';
import { RefreshScheduler, type Changed } from './refreshScheduler';
import { plural, TRUST_BACKSTOP_MS } from '../core';

export class RepositoryModel implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Snapshot>();
  readonly onDidChange = this.emitter.event;
  private current: Snapshot | undefined;
  private first: Promise<void> | undefined;
  private readonly scheduler: RefreshScheduler;
  private readonly diffCache = new Map<string, { key: string; diff: Promise<InstanceDiff> }>();
  /** The backstop's own refresh, due when a trusted refresh is not followed by another within the backstop. */
  private backstop: ReturnType<typeof setTimeout> | undefined;
  /** The backstop's refresh is requested: the refresh that runs it validates everything and arms no other. */
  private backstopDue = false;

  constructor(
    readonly engine: AxiomEngine,
    debounceMs: () => number,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.scheduler = new RefreshScheduler((changed) => this.take(changed), debounceMs, (e) => this.log.error('refresh failed:', e));
  }

  /** The repository's main worktree (or the common dir of a bare repository): its identity in the UI. */
  get root(): string {
    return this.engine.repo.mainWorktree ?? this.engine.repo.commonDir;
  }

  get name(): string {
    return path.basename(this.root);
  }

  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  /** Resolves once the first snapshot exists. */
  ready(): Promise<void> {
    this.first ??= this.scheduler.flush('all');
    return this.first;
  }

  /**
   * A change was seen in these worktrees (paths; the common dir when a ref moved) or in nothing a
   * worktree owns ([]): refresh after the debounce. The refresh trusts this list (engine
   * `trustChanged`): a change to a worktree's files, admin dir or agent records must name it.
   */
  changed(changed: Changed): void {
    this.scheduler.request(changed);
  }

  /** Refreshes now and resolves when the model shows the current state. */
  refreshNow(changed: Changed = 'all'): Promise<void> {
    return this.scheduler.flush(changed);
  }

  /** Runs a mutating operation with refreshes held, then refreshes everything. */
  operation<T>(fn: () => Promise<T>): Promise<T> {
    return this.scheduler.whileHeld(fn);
  }

  worktrees(): WorktreeStatus[] {
    return this.current?.worktrees ?? [];
  }

  instances(): WorktreeStatus[] {
    return this.worktrees().filter((w) => w.kind === 'instance' && w.id !== null);
  }

  find(id: string): WorktreeStatus | undefined {
    return this.worktrees().find((w) => w.kind === 'instance' && w.id === id);
  }

  byPath(p: string): WorktreeStatus | undefined {
    const resolved = path.resolve(p);
    return this.worktrees().find((w) => path.resolve(w.path) === resolved);
  }

  byAdminDir(adminDir: string): WorktreeStatus | undefined {
    const resolved = path.resolve(adminDir);
    return this.worktrees().find((w) => w.adminDir !== null && path.resolve(w.adminDir) === resolved);
  }

  /** The instance's changes against its merge-base, cached while its HEAD and dirty files stay the same. */
  diffOf(status: WorktreeStatus): Promise<InstanceDiff> {
    const id = status.id!;
    const key = `${status.head}:${JSON.stringify(status.changes)}`;
    const hit = this.diffCache.get(id);
    if (hit && hit.key === key) return hit.diff;
    const diff = this.engine.diff(id);
    this.diffCache.set(id, { key, diff });
    diff.catch(() => this.diffCache.delete(id));
    return diff;
  }

  /**
   * How many files an instance's row expands to (its changes against the merge-base): no git call
   * when it has no commits of its own (then they are its uncommitted files); null when unknown.
   */
  async fileCount(status: WorktreeStatus): Promise<number | null> {
    if (status.dirty === null || !status.id) return null;
    if (status.ahead === 0 || status.ahead === null) return status.changes.length;
    try {
      return (await this.diffOf(status)).files.length;
    } catch {
      return null;
    }
  }

  private async take(changed: Changed): Promise<void> {
    const started = performance.now();
    const isBackstop = this.backstopDue;
    this.backstopDue = false;
    // The watchers name what changed: other instances are shown as last seen, with the engine's timed
    // backstop for what a watcher misses (statusCache.ts).
    const snap = await this.engine.snapshot({ changed, trustChanged: true });
    this.current = snap;
    // What a watcher missed is seen within the backstop even when nothing else refreshes: one refresh
    // after the last one of a burst (it validates everything, the backstop being due), none while idle.
    clearTimeout(this.backstop);
    if (changed !== 'all' && !isBackstop) {
      this.backstop = setTimeout(() => {
        this.backstopDue = true;
        this.changed([]);
      }, TRUST_BACKSTOP_MS + 100);
    }
    const live = new Set(snap.worktrees.map((w) => w.id).filter(Boolean));
    for (const id of this.diffCache.keys()) if (!live.has(id)) this.diffCache.delete(id);
    this.log.debug(
      `snapshot of ${this.name}: ${plural(snap.worktrees.length, 'worktree')}, changed=${changed === 'all' ? 'all' : `[${changed.join(', ')}]`}, ${(performance.now() - started).toFixed(0)} ms`,
    );
    this.emitter.fire(snap);
  }

  dispose(): void {
    clearTimeout(this.backstop);
    this.scheduler.dispose();
    this.emitter.dispose();
  }
}
