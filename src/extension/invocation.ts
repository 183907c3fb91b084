/**
 * The test seam and the prompts. Every command takes either a tree node (from a menu), nothing
 * (palette), or an argument object that answers its prompts. With an argument object the command
 * is "headless": it never opens UI and a missing confirmation means "no".
 */
import * as vscode from 'vscode';
import { AxiomError, type MergeStrategy, type WorktreeStatus } from '../core';
import { FileNode, GroupNode, RaceNode, RepositoryNode, WorktreeNode, type Node } from './tree';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';

export interface CommandArgs {
  /** Repository (root, worktree or git dir path); optional with one repository. */
  repo?: string;
  id?: string;
  base?: string;
  agent?: string;
  prompt?: string;
  strategy?: MergeStrategy;
  /** Answers a modal confirmation; absent = not confirmed. */
  confirm?: boolean;
  /** Cleanup: lose nothing but clean up anyway (a salvage ref keeps the work). */
  force?: boolean;
  /** Merge with uncommitted work: commit it all with this message first. */
  commitMessage?: string;
  /** Merge conflict: 'open' leaves the merge in the target for the merge editor; default cancel. */
  onConflict?: 'open' | 'cancel';
  /** Restore: a salvage ref (or an id, the newest salvage of it). */
  salvage?: string;
  /** Restore, Branch From Here: the new instance's id. */
  as?: string;
  /** Open File Diff: a path inside the instance. */
  file?: string;
  /** Spawn Several: how many instances (named `<id>-1` … `<id>-<count>`). */
  count?: number;
  /** Spawn: open the agent's terminal (default true). */
  openTerminal?: boolean;
  /** Copy MCP Configuration: 'claude' (a `claude mcp add` command, the default) or 'json' (.mcp.json). */
  format?: 'claude' | 'json';
  /** Explore / Land Winner / Evaluate: the race's task name. */
  task?: string;
  /** Explore: the agent mix (`claude:2,codex:1`, or one agent with `count`). */
  agents?: string;
  /** Explore: the evaluation command template ('' = none). */
  evaluate?: string;
  /** Compare With…: the other instance. */
  other?: string;
  /** Land Winner…: land this member instead of the top-ranked passing one. */
  pick?: string;
  /** Land Winner…: leave the other members in place. */
  keepLosers?: boolean;
}

export class Invocation {
  readonly node: Node | undefined;
  readonly args: CommandArgs | undefined;

  constructor(raw: unknown[]) {
    const first = raw[0];
    const isNode = first instanceof WorktreeNode || first instanceof FileNode || first instanceof RepositoryNode || first instanceof GroupNode || first instanceof RaceNode;
    this.node = isNode ? first : undefined;
    this.args = !isNode && first !== null && typeof first === 'object' && !(first instanceof vscode.Uri) ? (first as CommandArgs) : undefined;
  }

  get headless(): boolean {
    return this.args !== undefined;
  }

  /** A text answer: from the arguments, else an input box. undefined = cancelled. */
  async text(key: keyof CommandArgs, options: vscode.InputBoxOptions): Promise<string | undefined> {
    if (this.headless) {
      const v = this.args![key];
      return typeof v === 'string' ? v : undefined;
    }
    return vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
  }

  /** A choice: from the arguments (matched against item values), else a quick pick. */
  async pick<T>(key: keyof CommandArgs, items: (vscode.QuickPickItem & { value: T })[], options: vscode.QuickPickOptions): Promise<T | undefined> {
    if (this.headless) {
      const v = this.args![key];
      if (v === undefined) return items[0]?.value; // the default is listed first
      const hit = items.find((i) => i.value === v || i.label === v);
      if (!hit) throw new AxiomError('InvalidArgument', `${String(key)} ${JSON.stringify(v)} is not one of ${items.map((i) => i.label).join(', ')}.`);
      return hit.value;
    }
    const chosen = await vscode.window.showQuickPick(items, { ignoreFocusOut: true, ...options });
    return chosen?.value;
  }

  /** A modal yes/no: `args.confirm` (or another boolean key) when headless. */
  async confirm(message: string, detail: string, button: string, key: keyof CommandArgs = 'confirm'): Promise<boolean> {
    if (this.headless) return this.args![key] === true;
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, button)) === button;
  }

  /** The repository this invocation is about. */
  async model(repos: Repositories): Promise<RepositoryModel> {
    if (this.node) return this.node.model;
    await repos.settled();
    const models = repos.models();
    if (this.args?.repo) {
      const found = repos.find(this.args.repo);
      if (!found) throw new AxiomError('NotARepository', `${this.args.repo} is not one of the workspace's repositories.`);
      return found.model;
    }
    if (models.length === 0) throw new AxiomError('NotARepository', 'Open a folder that is inside a git repository to use Axiom.');
    if (models.length === 1) return models[0]!;
    if (this.headless) throw new AxiomError('InvalidArgument', 'There are several repositories: pass { repo }.');
    const chosen = await vscode.window.showQuickPick(
      models.map((m) => ({ label: m.name, description: m.root, value: m })),
      { placeHolder: 'Which repository?' },
    );
    if (!chosen) throw new Cancelled();
    return chosen.value;
  }

  /** The instance this invocation is about (a row, `args.id`, or a quick pick). */
  async instance(repos: Repositories, filter: (w: WorktreeStatus) => boolean = () => true): Promise<{ model: RepositoryModel; status: WorktreeStatus }> {
    if (this.node instanceof WorktreeNode || this.node instanceof FileNode) {
      const status = this.node instanceof WorktreeNode ? this.node.status : this.node.worktree;
      if (status.kind !== 'instance' || !status.id) throw new AxiomError('ForeignWorktree', `${status.path} was not made by Axiom: only read-only actions apply.`);
      return { model: this.node.model, status: this.node.model.find(status.id) ?? status };
    }
    const model = await this.model(repos);
    await model.ready();
    if (this.args?.id !== undefined) {
      let status = model.find(this.args.id);
      if (!status) {
        // Made a moment ago by another process: the watcher may not have fired yet.
        await model.refreshNow([]);
        status = model.find(this.args.id);
      }
      if (!status) throw new AxiomError('NotFound', `No instance named ${JSON.stringify(this.args.id)} in ${model.name}.`);
      return { model, status };
    }
    if (this.headless) throw new AxiomError('InvalidArgument', 'Which instance? Pass { id }.');
    const candidates = model.instances().filter(filter);
    if (candidates.length === 0) throw new AxiomError('NotFound', 'There is no instance to pick. Spawn one first.');
    const chosen = await vscode.window.showQuickPick(
      candidates.map((w) => ({ label: w.id!, description: w.branch ?? '', detail: w.path, value: w })),
      { placeHolder: 'Which instance?' },
    );
    if (!chosen) throw new Cancelled();
    return { model, status: chosen.value };
  }

  /** Any worktree row (instances, main and foreign worktrees) for read-only actions. */
  async worktree(repos: Repositories): Promise<{ model: RepositoryModel; status: WorktreeStatus }> {
    if (this.node instanceof WorktreeNode) return { model: this.node.model, status: this.node.status };
    return this.instance(repos);
  }
}

/** The user closed a prompt: not an error, nothing to report. */
export class Cancelled extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'Cancelled';
  }
}
