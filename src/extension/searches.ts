/**
 * Searches (issue 18) for the UI: the searches of each repository as their records say (re-read
 * when `refs/axiom/searches/**` move, and every couple of seconds while one runs, since a driver in
 * another process writes them), the drivers this window runs (the extension host is the driver of
 * the searches it started or continued, while the window is open), and a notification when a
 * search ends or reaches its target. A search left without a driver is driven again only when the
 * user asks (Continue): this window offers it once, after the first read.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  bestNode,
  driveSearch,
  engineSearchSlots,
  isAxiomError,
  isDriven,
  listSearches,
  type Search,
  type SearchEngine,
} from '../core';
import { engineHeadlessLauncher } from '../agents/raceLauncher';
import { CoalescedRead } from './coalescedRead';
import { Commands } from './commandIds';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';
import { explicitClaudePermissionMode } from './settings';

/** How often the record of a search that is driven is re-read besides the ref watcher (ms). */
const RUNNING_POLL_MS = 2000;

export interface SearchNotice {
  search: string;
  message: string;
}

/** Whether a search is over (it runs no more attempts). */
export function isEnded(s: Pick<Search, 'state'>): boolean {
  return s.state === 'done' || s.state === 'stopped';
}

/** "the target score 4 is reached" → a sentence about how a search ended, with its best node. */
export function describeEnd(s: Search): string {
  const best = bestNode(s.nodes, s.evaluate.score, false);
  const reached = /target score/.test(s.stopReason ?? '');
  const head = reached ? `Search ${s.name} reached its target (${s.stopReason})` : `Search ${s.name} ended: ${s.stopReason ?? s.state}`;
  return `${head}. ${best ? `Best: node #${best.id}, ${best.result?.passed ? 'passed' : 'failed'}, score ${best.result?.score ?? 'none'} (round ${best.round}).` : 'No attempt was evaluated.'}`;
}

/** The searches of one repository, as last read. */
export class RepositorySearches implements vscode.Disposable {
  private list: Search[] = [];
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly subs: vscode.Disposable[] = [];
  private readonly reads: CoalescedRead;
  private shown = '';
  /** The state of each search at the last read: an end is noticed as a change from running. */
  private states = new Map<string, string>();
  private firstRead: Promise<void> | null = null;

  constructor(
    readonly model: RepositoryModel,
    private readonly owner: Searches,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.reads = new CoalescedRead(() => this.read(), (e) => this.log.warn('Reading searches failed:', e));
    const refs = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(model.engine.repo.commonDir), '{packed-refs,refs/axiom/searches/**}'));
    const moved = (): void => this.schedule();
    this.subs.push(refs, refs.onDidCreate(moved), refs.onDidChange(moved), refs.onDidDelete(moved));
    // A search another process drives (the CLI, MCP) spawns and removes its slots: a change in the set of
    // instances is a reason to look again too, so a missed ref event (seen once in code-server, a search of
    // the CLI never shown) does not hide a search. Edits inside worktrees change no slot and cost nothing.
    let instances = '';
    this.subs.push(
      model.onDidChange(() => {
        const now = model.worktrees().map((w) => w.id ?? '').sort().join('\n');
        if (now === instances) return;
        instances = now;
        this.schedule();
      }),
    );
    this.firstRead = this.refresh();
  }

  /** The searches shown: every one that has not landed, newest first. */
  searches(): Search[] {
    return this.list.filter((s) => !s.landed);
  }

  all(): Search[] {
    return this.list;
  }

  find(name: string): Search | undefined {
    return this.list.find((s) => s.name === name);
  }

  /** Instances that are slots of a search shown (they are shown under it, not at the top). */
  slots(): Set<string> {
    return new Set(this.searches().flatMap((s) => s.nodes.map((n) => n.instance).filter((i): i is string => i !== null)));
  }

  ready(): Promise<void> {
    return this.firstRead ?? Promise.resolve();
  }

  schedule(delayMs = 200): void {
    this.reads.schedule(delayMs);
  }

  /** Re-reads now; resolves when the view shows the current records. */
  refresh(): Promise<void> {
    return this.reads.run();
  }

  private async read(): Promise<void> {
    const { git, repo } = this.model.engine;
    this.list = await listSearches(git, repo);
    const before = this.states;
    this.states = new Map(this.list.map((s) => [s.name, s.state]));
    for (const s of this.list) {
      const was = before.get(s.name);
      if (was !== undefined && !isEnded({ state: was as Search['state'] }) && isEnded(s)) this.owner.notifyEnd(this.model, s);
    }
    const now = JSON.stringify(this.list.map((s) => [s.sha, isDriven(s)]));
    if (now !== this.shown) {
      this.shown = now;
      this.emitter.fire();
    }
    // A driver writes the record (maybe in another process): look again soon while one drives a search.
    // A search with no driver does not change by itself: no polling for it.
    if (this.list.some((s) => !isEnded(s) && isDriven(s))) this.schedule(RUNNING_POLL_MS);
  }

  dispose(): void {
    this.reads.dispose();
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}

interface RunningDriver {
  controller: AbortController;
  done: Promise<Search | null>;
}

/** Every repository's searches, and the drivers this window runs. */
export class Searches implements vscode.Disposable {
  private readonly byModel = new Map<RepositoryModel, RepositorySearches>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;
  private readonly drivers = new Map<string, RunningDriver>();
  private readonly noticed = new Set<string>();
  /** The notifications shown (for tests and bug reports): newest last. */
  readonly notices: SearchNotice[] = [];
  private readonly offered = new Set<RepositoryModel>();

  constructor(
    private readonly repos: Repositories,
    private readonly hookScript: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.sub = repos.onDidChange(() => this.sync());
    this.sync();
  }

  of(model: RepositoryModel): RepositorySearches {
    let s = this.byModel.get(model);
    if (!s) {
      s = new RepositorySearches(model, this, this.log);
      s.onDidChange(() => this.emitter.fire());
      this.byModel.set(model, s);
      if (vscode.workspace.isTrusted) void this.offerOrphans(model, s);
    }
    return s;
  }

  private sync(): void {
    const live = new Set(this.repos.models());
    for (const [m, s] of this.byModel) {
      if (live.has(m)) continue;
      s.dispose();
      this.byModel.delete(m);
    }
    for (const m of live) this.of(m);
  }

  private key(model: RepositoryModel, name: string): string {
    return `${model.engine.repo.commonDir}\0${name}`;
  }

  /** Is this window driving the search? */
  drivesHere(model: RepositoryModel, name: string): boolean {
    return this.drivers.has(this.key(model, name));
  }

  /** The engine as a search's slots in this window: agents headless, through the launcher races use. */
  async slots(model: RepositoryModel): Promise<SearchEngine> {
    const permissionModes = [{ value: explicitClaudePermissionMode(vscode.Uri.file(model.root)).mode, from: 'axiom.claude.permissionMode' }];
    return engineSearchSlots(model.engine, await engineHeadlessLauncher(model.engine, { hookScript: this.hookScript, permissionModes }));
  }

  /**
   * Drives the search in this window until it ends (or the window closes: the claim goes with the
   * extension host, and another driver may take over). Returns at once; `done` resolves at the end.
   */
  drive(model: RepositoryModel, name: string): Promise<Search | null> {
    const key = this.key(model, name);
    const running = this.drivers.get(key);
    if (running) return running.done;
    const controller = new AbortController();
    const state = this.of(model);
    const done = this.slots(model)
      .then((se) =>
        driveSearch(se, name, {
          signal: controller.signal,
          onEvent: (e) => {
            if (e.kind === 'ended') this.notifyEnd(model, e.search);
            state.schedule(0);
          },
        }),
      )
      .catch((e: unknown) => {
        if (!controller.signal.aborted) {
          this.log.error(`Driving search ${name} failed:`, isAxiomError(e) ? e.message : e);
          void vscode.window.showErrorMessage(`Search ${name} stopped being driven here: ${e instanceof Error ? e.message : String(e)}`);
        }
        return null;
      })
      .finally(() => {
        this.drivers.delete(key);
        void state.refresh();
      });
    this.drivers.set(key, { controller, done });
    void state.refresh();
    return done;
  }

  /** A search ended (seen by this window's driver or in its record): one notification, with Land Best…. */
  notifyEnd(model: RepositoryModel, s: Search): void {
    const key = `${s.ref}@${s.endedAt ?? ''}`;
    if (this.noticed.has(key)) return;
    this.noticed.add(key);
    const message = describeEnd(s);
    this.notices.push({ search: s.name, message });
    this.log.info(message);
    const best = bestNode(s.nodes, s.evaluate.score, false);
    const land = 'Land Best…';
    const actions = best?.result?.passed && !s.landed ? [land] : [];
    void vscode.window.showInformationMessage(message, ...actions).then((picked) => {
      if (picked === land) return vscode.commands.executeCommand(Commands.landSearch, { repo: model.root, search: s.name });
      return undefined;
    });
  }

  /** Once per repository: searches whose driver is gone are named, and driven here if the user asks. */
  private async offerOrphans(model: RepositoryModel, state: RepositorySearches): Promise<void> {
    if (this.offered.has(model)) return;
    this.offered.add(model);
    await state.ready();
    const orphans = state.searches().filter((s) => s.state === 'running' && !isDriven(s));
    if (orphans.length === 0) return;
    const again = 'Continue';
    const names = orphans.map((s) => s.name).join(', ');
    const picked = await vscode.window.showInformationMessage(
      `${orphans.length === 1 ? 'Search' : 'Searches'} ${names} of ${path.basename(model.root)} ${orphans.length === 1 ? 'has' : 'have'} no driver any more (its window or process ended). Continue ${orphans.length === 1 ? 'it' : 'them'} here?`,
      again,
    );
    if (picked === again) for (const s of orphans) void this.drive(model, s.name);
  }

  dispose(): void {
    this.sub.dispose();
    // This process stops driving: each search records that it has no driver, and goes on with the next Continue.
    for (const d of this.drivers.values()) d.controller.abort();
    for (const s of this.byModel.values()) s.dispose();
    this.byModel.clear();
    this.emitter.dispose();
  }
}
