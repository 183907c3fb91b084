/**
 * The Instances view. It renders the models' snapshots and nothing else: rows are built from
 * WorktreeStatus, children of an instance are its changed files against the merge-base.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RankRow, WorktreeStatus } from '../core';
import { Commands, ContextValues } from './commandIds';
import type { RepositoryModel } from './repositoryModel';
import type { Repositories } from './repositories';
import { contextValueFor, descriptionFor, iconFor, labelFor, letterFor, tooltipFor } from './presentation';
import type { Explorations } from './exploration';
import { RaceNode, childrenOf, decorateInstance, groupRows, membersOf, raceTreeItem } from './raceNodes';

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

export { RaceNode };
export type Node = RepositoryNode | GroupNode | RaceNode | WorktreeNode | FileNode;

export class InstancesTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: vscode.Disposable;

  private readonly exploreSub: vscode.Disposable | undefined;

  constructor(
    private readonly repos: Repositories,
    private readonly explorations?: Explorations,
  ) {
    this.sub = repos.onDidChange(() => this.emitter.fire(undefined));
    this.exploreSub = explorations?.onDidChange(() => this.emitter.fire(undefined));
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
        return membersOf(node).map((m) => new WorktreeNode(node.model, m.status, m.rank));
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
    const all = model.worktrees();
    const instances = all.filter((w) => w.kind === 'instance').sort((a, b) => (a.id ?? '').localeCompare(b.id ?? ''));
    const others = all.filter((w) => w.kind !== 'instance');
    const { races, loose } = groupRows(model, instances, this.explorations?.of(model));
    const rows: Node[] = [...races, ...loose.map((w) => new WorktreeNode(model, w))];
    // The main worktree alone is no news: an empty view shows the "Spawn" welcome instead.
    if (others.some((w) => w.kind === 'foreign') || (rows.length > 0 && others.length > 0)) rows.push(new GroupNode(model, others));
    return rows;
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
        item.tooltip = 'The main worktree and worktrees made by git or other tools. Axiom lists them but never cleans them up.';
        item.iconPath = new vscode.ThemeIcon('folder-library');
        item.contextValue = ContextValues.group;
        return item;
      }
      case 'worktree': {
        const w = node.status;
        const item = new vscode.TreeItem(labelFor(w), w.dirty === null ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `wt:${w.path}`;
        item.description = descriptionFor(w);
        item.tooltip = tooltipFor(w);
        item.iconPath = iconFor(w);
        item.contextValue = contextValueFor(w);
        item.resourceUri = undefined;
        decorateInstance(item, node.model, w, this.explorations?.of(node.model), node.rank);
        return item;
      }
      case 'race':
        return raceTreeItem(node, this.explorations?.of(node.model));
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
    this.sub.dispose();
    this.exploreSub?.dispose();
    this.emitter.dispose();
  }
}
