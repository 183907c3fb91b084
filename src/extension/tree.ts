/**
 * The Instances view. It renders the models' snapshots and nothing else: rows are built from
 * WorktreeStatus, children of an instance are its changed files against the merge-base.
 * Order: the main worktree (the base) first, then the instances in the chosen order, then the
 * worktrees Axiom did not make in a group of their own. Searches and live races are nodes of their
 * own (a search's attempt tree, a race's members ranked under them); an instance spawned from
 * another one is shown under its parent.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { mapPool, type RankRow, type WorktreeStatus } from '../core';
import { Commands, ContextValues } from './commandIds';
import type { RepositoryModel } from './repositoryModel';
import type { Repositories } from './repositories';
import { contextValueFor, descriptionFor, iconFor, isSettling, labelFor, letterFor, sortInstances, STARTING_GRACE_MS, tooltipFor } from './presentation';
import { readSettings } from './settings';
import { isOpenHere } from './thisWindow';
import type { Explorations } from './exploration';
import type { Review } from './review';
import { RaceNode, childrenOf, decorateInstance, groupRows, membersOf, raceTreeItem } from './raceNodes';
import type { Searches } from './searches';
import { SearchAttemptRow, SearchRow, attemptChildren, attemptTreeItem, searchTreeItem } from './searchRows';

export class RepositoryNode {
  readonly kind = 'repository';
  constructor(readonly model: RepositoryModel) {}
}

export class GroupNode {
  readonly kind = 'group';
  constructor(
    readonly model: RepositoryModel,
    readonly worktrees: WorktreeStatus[],
  ) {}
}

export class WorktreeNode {
  readonly kind = 'worktree';
  constructor(
    readonly model: RepositoryModel,
    readonly status: WorktreeStatus,
    /** Changed files against the merge-base (what the row expands to); null when not counted. */
    readonly files: number | null = null,
    /** Its place in its race (members under a race node). */
    readonly rank?: RankRow,
  ) {}
}

export class FileNode {
  readonly kind = 'file';
  constructor(
    readonly model: RepositoryModel,
    readonly worktree: WorktreeStatus,
    readonly file: string,
    readonly letter: string,
    /** The commit to compare against (merge-base with the base), null for "against HEAD". */
    readonly baseCommit: string | null,
    readonly stats: string,
  ) {}
}

export { RaceNode, SearchRow, SearchAttemptRow };
export type Node = RepositoryNode | GroupNode | RaceNode | SearchRow | SearchAttemptRow | WorktreeNode | FileNode;

/** The instances of a repository in view order (pickers and bulk actions use this order too). */
export function viewOrder(model: RepositoryModel): WorktreeStatus[] {
  return sortInstances(
    model.worktrees().filter((w) => w.kind === 'instance'),
    readSettings(vscode.Uri.file(model.root)).sortBy,
  );
}

export class InstancesTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subs: vscode.Disposable[];
  private settleTimer: NodeJS.Timeout | undefined;
  /** The worktrees last rendered, serialised (see refreshIfChanged). */
  private rendered = '';

  constructor(
    private readonly repos: Repositories,
    private readonly explorations?: Explorations,
    private readonly searches?: Searches,
    /** Pending review comments (a row's context value offers Send Review to Agent only then). */
    private readonly review?: Review,
  ) {
    this.subs = [
      ...(review ? [review.onDidChange(() => this.emitter.fire(undefined))] : []),
      repos.onDidChange(() => this.refreshIfChanged()),
      ...(explorations ? [explorations.onDidChange(() => this.emitter.fire(undefined))] : []),
      ...(searches ? [searches.onDidChange(() => this.emitter.fire(undefined))] : []),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('axiom.sortBy') && this.emitter.fire(undefined)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.emitter.fire(undefined)),
    ];
  }

  /**
   * Re-renders only when a repository's worktrees differ from what was last rendered. A refresh
   * drops the view's handles to its rows, and a context-menu command that arrives in that moment
   * gets no row (it then asks which instance): an unchanged snapshot must not cause one.
   */
  private refreshIfChanged(): void {
    const fingerprint = JSON.stringify(this.repos.models().map((m) => [m.root, m.worktrees()]));
    if (fingerprint === this.rendered) return;
    this.rendered = fingerprint;
    this.emitter.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const models = this.repos.models();
      if (models.length === 1) return this.rowsOf(models[0]!);
      return models.map((m) => new RepositoryNode(m));
    }
    switch (node.kind) {
      case 'repository':
        return this.rowsOf(node.model);
      case 'group':
        return node.worktrees.map((w) => new WorktreeNode(node.model, w));
      case 'race':
        return membersOf(node).map((m) => new WorktreeNode(node.model, m.status, null, m.rank));
      case 'search':
      case 'searchAttempt':
        return attemptChildren(node);
      case 'worktree': {
        const children = childrenOf(node.model, node.status, this.explorations?.of(node.model)).map((w) => new WorktreeNode(node.model, w));
        return [...children, ...(await this.filesOf(node))];
      }
      case 'file':
        return [];
    }
  }

  private async rowsOf(model: RepositoryModel): Promise<Node[]> {
    await model.ready();
    const instances = viewOrder(model);
    // A search's slots (instances of attempts at work) are shown by its attempt rows.
    const searches = this.searches?.of(model);
    const slots = searches?.slots() ?? new Set<string>();
    const { races, loose } = groupRows(model, instances.filter((w) => !slots.has(w.id!)), this.explorations?.of(model));
    const counts = await mapPool(loose, 2, (w) => model.fileCount(w));
    const searchRows = (searches?.searches() ?? []).map((x) => new SearchRow(model, x, this.searches!.drivesHere(model, x.name)));
    const rows: Node[] = [...searchRows, ...races, ...loose.map((w, i) => new WorktreeNode(model, w, counts[i]!))];
    const main = model.worktrees().find((w) => w.kind === 'main');
    const foreign = model.worktrees().filter((w) => w.kind === 'foreign');
    // The main worktree alone is no news: an empty view shows the "Spawn" welcome instead.
    if (main && (rows.length > 0 || foreign.length > 0)) rows.unshift(new WorktreeNode(model, main));
    if (foreign.length > 0) rows.push(new GroupNode(model, foreign));
    this.wakeWhenSettled(instances);
    return rows;
  }

  /** A row shown as "starting" turns into its real state after the grace time even if nothing else changes. */
  private wakeWhenSettled(instances: WorktreeStatus[]): void {
    if (this.settleTimer || !instances.some((w) => isSettling(w))) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.emitter.fire(undefined);
    }, STARTING_GRACE_MS + 100);
  }

  private async filesOf(node: WorktreeNode): Promise<Node[]> {
    const w = node.status;
    if (w.dirty === null) return [];
    if (w.kind === 'instance' && w.id) {
      try {
        const d = await node.model.diffOf(w);
        return d.files.map((f) => {
          const stats = f.added === null ? 'binary' : `+${f.added} −${f.deleted}`;
          return new FileNode(node.model, w, f.path, letterFor(f), f.status === 'A' ? null : d.mergeBase, stats);
        });
      } catch {
        return [];
      }
    }
    // Main and foreign worktrees have no base: their uncommitted changes against HEAD.
    return w.changes.map((c) => new FileNode(node.model, w, c.path, letterFor(c), c.kind === 'untracked' ? null : w.head, ''));
  }

  /** Where a row sits (TreeView.reveal needs it): a file under its worktree, a member under its race, a child under its parent. */
  getParent(node: Node): Node | undefined {
    const top = this.repos.models().length > 1 ? new RepositoryNode(node.model) : undefined;
    switch (node.kind) {
      case 'repository':
        return undefined;
      case 'group':
      case 'race':
      case 'search':
        return top;
      case 'searchAttempt': {
        const parent = node.node.parent === null ? undefined : node.search.nodes.find((n) => n.id === node.node.parent);
        return parent ? new SearchAttemptRow(node.model, node.search, parent) : new SearchRow(node.model, node.search, false);
      }
      case 'file':
        return new WorktreeNode(node.model, node.worktree);
      case 'worktree': {
        const w = node.status;
        if (w.kind === 'foreign') return new GroupNode(node.model, node.model.worktrees().filter((x) => x.kind === 'foreign'));
        const race = w.id ? this.explorations?.of(node.model).raceOf(w.id) : undefined;
        if (race) return new RaceNode(node.model, race);
        const parent = w.metadata?.parent ? node.model.find(w.metadata.parent) : undefined;
        return parent ? new WorktreeNode(node.model, parent) : top;
      }
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'repository': {
        const item = new vscode.TreeItem(node.model.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `repo:${node.model.root}`;
        item.description = node.model.root;
        item.iconPath = new vscode.ThemeIcon('repo');
        item.contextValue = ContextValues.repository;
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem('Other worktrees', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `group:${node.model.root}`;
        item.description = `${node.worktrees.length} · not made by Axiom`;
        item.tooltip = 'Worktrees made by git or other tools (e.g. claude -w). Axiom lists them but never cleans them up.';
        item.iconPath = new vscode.ThemeIcon('folder-library');
        item.contextValue = ContextValues.group;
        return item;
      }
      case 'worktree': {
        const w = node.status;
        const here = w.kind !== 'main' && isOpenHere(w.path);
        const label = labelFor(w);
        // The worktree this window is open on stands out: its name highlighted, "this window" first.
        const item = new vscode.TreeItem(
          here ? { label, highlights: [[0, label.length]] } : label,
          w.dirty === null ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = `wt:${w.path}`;
        const description = descriptionFor(w, node.files);
        item.description = here ? `this window · ${description}` : description;
        item.tooltip = tooltipFor(w);
        item.iconPath = iconFor(w);
        item.contextValue = contextValueFor(w, { review: this.review?.hasPending(w) });
        item.resourceUri = undefined;
        decorateInstance(item, node.model, w, this.explorations?.of(node.model), node.rank);
        return item;
      }
      case 'race':
        return raceTreeItem(node, this.explorations?.of(node.model));
      case 'search':
        return searchTreeItem(node);
      case 'searchAttempt':
        return attemptTreeItem(node);
      case 'file': {
        const uri = vscode.Uri.file(path.join(node.worktree.path, node.file));
        const item = new vscode.TreeItem(uri, vscode.TreeItemCollapsibleState.None);
        item.id = `file:${node.worktree.path}:${node.file}`;
        item.label = path.basename(node.file);
        const dir = path.dirname(node.file);
        item.description = [node.letter, dir === '.' ? '' : dir, node.stats].filter(Boolean).join('  ');
        item.contextValue = ContextValues.file;
        item.command = { command: Commands.openFileDiff, title: 'Open Changes', arguments: [node] };
        return item;
      }
    }
  }

  dispose(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
