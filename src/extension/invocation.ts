/**
 * The test seam and the prompts. Every command takes either a tree node (from a menu), nothing
 * (palette), or an argument object that answers its prompts. With an argument object the command
 * is "headless": it never opens UI and a missing confirmation means "no".
 */
import * as vscode from 'vscode';
import { AxiomError, mapPool, type MergeStrategy, type WorktreeStatus } from '../core';
import { viewOrder, type Node, type WorktreeNode } from './tree';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';
import { descriptionFor } from './presentation';
import { isOpenHere } from './thisWindow';

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
  /** Squash merge: the commit message's first line (the commits' subjects follow it); default the generated one. */
  squashMessage?: string;
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
  /** Bulk actions (Clean Up, Merge, Send to Agents): the instances, instead of a selection in the view. */
  ids?: string[];
  /** Send to Agents: the message. */
  text?: string;
  /** Restore: delete the salvage ref once its work is back. */
  dropSalvage?: boolean;
  /** Sort By: name, created, state or activity. */
  sortBy?: string;
  /** Instance Actions: the command id to run on the instance. */
  action?: string;
  /** Publish…: the remote to push to (default: the engine's choice), a draft pull request, its title and body. */
  remote?: string;
  draft?: boolean;
  title?: string;
  body?: string;
  /** Search commands: the search's name. */
  search?: string;
  /** Search…, Continue: attempts (Search…: the budget; Continue: how many more). */
  attempts?: number;
  /** Search…: the time budget in minutes (optional). */
  minutes?: number;
  /** Search…: a passing attempt with this score (or better) ends the search (optional). */
  targetScore?: number;
  /** Search…: live instances at most, and children per expansion (engine defaults otherwise). */
  parallel?: number;
  width?: number;
  /** Search…: which nodes to expand, 'uct' (default) or 'best'. */
  select?: 'uct' | 'best';
  /** Land Best…, Compare with Parent, Open as Instance: the node (Land Best…: instead of the best). */
  node?: number;
  /** Land Best…: with `confirm`, publish the node as a pull request (its remote: `remote`; `draft`) instead of merging it. */
  publish?: boolean;
  /** Search…: drive it in this window (default true; false only records it). */
  drive?: boolean;
}

/** Quick picks and input boxes always say what they are for. */
type TitledPickOptions = vscode.QuickPickOptions & { title: string };
type TitledInputOptions = vscode.InputBoxOptions & { title: string };

const NODE_KINDS: readonly string[] = ['repository', 'group', 'race', 'search', 'searchAttempt', 'worktree', 'file'];

/** A row of the view (by shape: a second copy of these classes, e.g. in tests, passes too). */
function isNode(x: unknown): x is Node {
  return !!x && typeof x === 'object' && 'model' in x && NODE_KINDS.includes((x as { kind?: unknown }).kind as string);
}

/** What a keybinding of the Instances view passes (package.json keybindings): "the view's selection". */
export const FROM_VIEW = 'axiom.instances.selection';

export class Invocation {
  /** The Instances view's selection (set when the view is made): what a keybinding acts on. */
  static viewSelection: () => readonly Node[] = () => [];

  readonly node: Node | undefined;
  /** The view's selection when the command came from a row of a multi-selection (else just the row). */
  readonly selection: Node[];
  readonly args: CommandArgs | undefined;

  readonly raw: unknown[];

  constructor(raw: unknown[]) {
    // A key pressed in the Instances view (Enter, Delete) acts on its selection, as its context menu does.
    if (raw.length === 1 && raw[0] === FROM_VIEW) {
      const selection = [...Invocation.viewSelection()];
      raw = selection.length ? [selection[0], selection] : [];
    }
    this.raw = raw;
    const first = raw[0];
    this.node = isNode(first) ? first : undefined;
    // A menu on a multi-selection passes (clicked row, all selected rows).
    const second = raw[1];
    this.selection = Array.isArray(second) && second.every(isNode) && second.length > 0 ? second : this.node ? [this.node] : [];
    this.args = !this.node && first !== null && typeof first === 'object' && !(first instanceof vscode.Uri) ? (first as CommandArgs) : undefined;
  }

  get headless(): boolean {
    return this.args !== undefined;
  }

  /** A text answer: from the arguments, else an input box. undefined = cancelled. */
  async text(key: keyof CommandArgs, options: TitledInputOptions): Promise<string | undefined> {
    if (this.headless) {
      const v = this.args![key];
      return typeof v === 'string' ? v : undefined;
    }
    return vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
  }

  /** A choice: from the arguments (matched against item values), else a quick pick. */
  async pick<T>(key: keyof CommandArgs, items: (vscode.QuickPickItem & { value: T })[], options: TitledPickOptions): Promise<T | undefined> {
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
      { title: 'Axiom: Choose a Repository', placeHolder: 'Which repository?' },
    );
    if (!chosen) throw new Cancelled();
    return chosen.value;
  }

  /** The instance this invocation is about (a row, `args.id`, or a quick pick). */
  async instance(repos: Repositories, filter: (w: WorktreeStatus) => boolean = () => true, title?: string): Promise<{ model: RepositoryModel; status: WorktreeStatus }> {
    if (this.node?.kind === 'worktree' || this.node?.kind === 'file') {
      const status = this.node.kind === 'worktree' ? this.node.status : this.node.worktree;
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
    const candidates = pickOrder(model).filter(filter);
    if (candidates.length === 0) throw new AxiomError('NotFound', 'There is no instance to pick. Spawn one first.');
    const chosen = await vscode.window.showQuickPick(instanceItems(model, candidates), { title: title ?? 'Axiom: Choose an Instance', placeHolder: 'Which instance?', matchOnDescription: true });
    if (!chosen) throw new Cancelled();
    return { model, status: chosen.value };
  }

  /**
   * The instances a bulk action is about: the view's selection, `args.ids`, or a multi-select pick.
   * In view order; rows that are not instances (the main worktree, a file) are left out.
   */
  async instances(repos: Repositories, title: string, filter: (w: WorktreeStatus) => boolean = () => true): Promise<{ model: RepositoryModel; statuses: WorktreeStatus[] }> {
    const rows = this.selection.filter((n): n is WorktreeNode => n.kind === 'worktree' && n.status.kind === 'instance' && n.status.id !== null);
    if (rows.length > 0) {
      const model = rows[0]!.model;
      const ids = new Set(rows.filter((r) => r.model === model).map((r) => r.status.id!));
      return { model, statuses: viewOrder(model).filter((w) => ids.has(w.id!)) };
    }
    const model = await this.model(repos);
    await model.ready();
    if (this.args?.ids) {
      const missing = this.args.ids.filter((id) => !model.find(id));
      if (missing.length) throw new AxiomError('NotFound', `No instance named ${missing.join(', ')} in ${model.name}.`);
      const ids = new Set(this.args.ids);
      return { model, statuses: viewOrder(model).filter((w) => ids.has(w.id!)) };
    }
    if (this.args?.id) return { model, statuses: [(await this.instance(repos)).status] };
    if (this.headless) throw new AxiomError('InvalidArgument', 'Which instances? Pass { ids }.');
    const candidates = pickOrder(model).filter(filter);
    if (candidates.length === 0) throw new AxiomError('NotFound', 'There is no instance to pick. Spawn one first.');
    const chosen = await vscode.window.showQuickPick(instanceItems(model, candidates), { title, placeHolder: 'Which instances?', canPickMany: true, matchOnDescription: true });
    if (!chosen || chosen.length === 0) throw new Cancelled();
    return { model, statuses: chosen.map((c) => c.value) };
  }

  /** Any worktree row (instances, main and foreign worktrees) for read-only actions. */
  async worktree(repos: Repositories): Promise<{ model: RepositoryModel; status: WorktreeStatus }> {
    if (this.node?.kind === 'worktree') return { model: this.node.model, status: this.node.status };
    return this.instance(repos);
  }
}

/** View order, with the instances this window is open on first. */
function pickOrder(model: RepositoryModel): WorktreeStatus[] {
  const all = viewOrder(model);
  return [...all.filter((w) => isOpenHere(w.path)), ...all.filter((w) => !isOpenHere(w.path))];
}

/** Picker rows that show each instance's state as its row does ("2 files · ↑1 · claude working"). */
async function instanceItems(model: RepositoryModel, list: WorktreeStatus[]): Promise<(vscode.QuickPickItem & { value: WorktreeStatus })[]> {
  const files = await mapPool(list, 2, (w) => model.fileCount(w));
  return list.map((w, i) => ({
    label: w.id!,
    description: (isOpenHere(w.path) ? 'this window · ' : '') + descriptionFor(w, files[i]),
    detail: w.path,
    value: w,
  }));
}

/** The user closed a prompt: not an error, nothing to report. */
export class Cancelled extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'Cancelled';
  }
}
