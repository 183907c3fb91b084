/** Shared helpers of the extension-host tests: the extension's API, real git, waiting on model events. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AxiomExtensionApi } from '../../src/extension/extension';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import type { Node } from '../../src/extension/tree';
import type { SpawnedInstance, WorktreeStatus } from '../../src/core';
export { BASIC_PROGRAMS, pathWithOnly } from '../core/programPath';

export const EXTENSION_ID = 'axiom.axiom-worktrees';

export async function api(): Promise<AxiomExtensionApi> {
  const ext = vscode.extensions.getExtension<AxiomExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this extension host.`);
  return ext.activate();
}

export async function theModel(): Promise<RepositoryModel> {
  const a = await api();
  await a.ready;
  const models = a.repositories.models();
  if (models.length !== 1) throw new Error(`Expected one repository in the workspace, found ${models.length}.`);
  await models[0]!.ready();
  return models[0]!;
}

export function repoRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('The tests need a workspace folder that is a git repository (--folder).');
  return fs.realpathSync(folder.uri.fsPath);
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
}

export function commitFile(cwd: string, file: string, content: string, message: string): string {
  fs.mkdirSync(path.dirname(path.join(cwd, file)), { recursive: true });
  fs.writeFileSync(path.join(cwd, file), content);
  git(cwd, 'add', '--', file);
  git(cwd, '-c', 'user.name=Axiom Test', '-c', 'user.email=test@axiom.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', message);
  return git(cwd, 'rev-parse', 'HEAD').trim();
}

/** Node (not Electron) for child processes: the extension host's runtime in node mode. */
export function runCli(repo: string, ...args: string[]): string {
  const cli = path.resolve(__dirname, '../../../dist/cli.js');
  return execFileSync(process.execPath, [cli, '-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
}

/** What a test file works with: the workspace's model and repository, and a scratch folder beside the repository. */
export interface TestWorkspace {
  model: RepositoryModel;
  repo: string;
  scratch: string;
}

/** The shared setup of a test file (in its `before`): the model once ready, the repository, a new scratch folder named `<prefix>…`. */
export async function testWorkspace(prefix: string): Promise<TestWorkspace> {
  const model = await theModel();
  const repo = repoRoot();
  return { model, repo, scratch: fs.mkdtempSync(path.join(path.dirname(repo), prefix)) };
}

const spawnedForTests = new Set<string>();

/**
 * Spawns an instance through the Spawn command (headless: no terminal unless `openTerminal: true` is
 * passed), resolved once its row is in the model; `cleanUpSpawned` removes it.
 */
export async function spawnForTest(id: string, args: Record<string, unknown> = {}): Promise<SpawnedInstance> {
  const r = await vscode.commands.executeCommand<SpawnedInstance>('axiom.spawn', { id, openTerminal: false, ...args });
  spawnedForTests.add(id);
  const model = await theModel();
  await waitFor(model, () => model.find(id), `instance ${id}`);
  return r;
}

/** Forced cleanup of what spawnForTest made that is still there (after a file, or a failure half-way). */
export async function cleanUpSpawned(): Promise<void> {
  const model = await theModel();
  for (const id of spawnedForTests) {
    if (model.find(id)) await vscode.commands.executeCommand('axiom.cleanup', { id, force: true }).then(undefined, () => undefined);
    spawnedForTests.delete(id);
  }
}

/** Resolves when `check` holds, re-checking on every model change (and every 250 ms as a backstop). */
export function waitFor<T>(model: RepositoryModel, check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, value?: T): void => {
      if (done) return;
      done = true;
      sub.dispose();
      clearInterval(poll);
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    };
    const attempt = async (): Promise<void> => {
      try {
        const v = await check();
        if (v) finish(null, v);
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
      }
    };
    const sub = model.onDidChange(() => void attempt());
    const poll = setInterval(() => void attempt(), 250);
    const timer = setTimeout(() => finish(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`)), timeoutMs);
    void attempt();
  });
}

/** Waits for a file to exist (agents in terminals write markers). */
export async function waitForFile(file: string, timeoutMs = 60_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, 'utf8');
      if (text.trim()) return text;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${file}.`);
}

/** The tree's rows (root level, one repository) with their rendered items. */
export async function rows(): Promise<{ node: Node; item: vscode.TreeItem; status?: WorktreeStatus }[]> {
  const a = await api();
  const nodes = await a.tree.getChildren();
  return nodes.map((node) => ({ node, item: a.tree.getTreeItem(node), status: node.kind === 'worktree' ? node.status : undefined }));
}

export async function row(id: string): Promise<{ item: vscode.TreeItem; status: WorktreeStatus } | undefined> {
  const r = (await rows()).find((x) => x.status?.id === id);
  return r && r.status ? { item: r.item, status: r.status } : undefined;
}

export function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

/** Prints a measurement in a form that survives the launcher's log reformatting. */
export function measure(name: string, value: number, unit = 'ms'): void {
  console.log(`AXIOM-MEASURE ${name}=${value.toFixed(1)}${unit}`);
}

export function errorCode(e: unknown): string | undefined {
  return (e as { code?: string } | undefined)?.code;
}

/** The terminal PATH the extension looks agents up on (`terminal.integrated.env.<platform>`). */
export async function setTerminalPath(value: string | undefined): Promise<void> {
  const key = process.platform === 'darwin' ? 'osx' : 'linux';
  await vscode.workspace.getConfiguration('terminal.integrated.env').update(key, value === undefined ? undefined : { PATH: value }, vscode.ConfigurationTarget.Global);
}

/** Every `axiom.*` setting this extension contributes (read from its package.json). */
function axiomSettingKeys(): string[] {
  const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { configuration: { properties: Record<string, unknown> } | { properties: Record<string, unknown> }[] } };
  const sections = ([] as { properties: Record<string, unknown> }[]).concat(pkg.contributes.configuration);
  return sections.flatMap((s) => Object.keys(s.properties)).map((k) => k.replace(/^axiom\./, ''));
}

/**
 * Brings the workbench and the workspace repository back to a known state, so that what one test
 * file leaves behind (or a failure half-way through it) cannot fail the next file: no terminal, no
 * open or modified editor, no notification, default settings, no instance or foreign worktree, and
 * the main worktree on main, clean, with no merge or rebase in progress.
 */
export async function resetWorkspace(): Promise<void> {
  const model = await theModel();
  const repo = repoRoot();
  for (const t of vscode.window.terminals) t.dispose();
  await closeEditorsWithoutSaving();
  await vscode.commands.executeCommand('notifications.clearAll');
  const axiom = vscode.workspace.getConfiguration('axiom');
  for (const key of axiomSettingKeys()) if (axiom.inspect(key)?.globalValue !== undefined) await axiom.update(key, undefined, vscode.ConfigurationTarget.Global);
  await setTerminalPath(undefined);
  await model.refreshNow();
  for (const w of model.instances()) {
    await model.operation(() => model.engine.cleanup(w.id!, { force: true })).catch((e) => console.log(`reset: could not clean up ${w.id}: ${e instanceof Error ? e.message : String(e)}`));
  }
  const gitDir = path.join(repo, '.git');
  if (fs.existsSync(path.join(gitDir, 'MERGE_HEAD'))) git(repo, 'merge', '--abort');
  if (fs.existsSync(path.join(gitDir, 'CHERRY_PICK_HEAD'))) git(repo, 'cherry-pick', '--abort');
  if (fs.existsSync(path.join(gitDir, 'rebase-merge')) || fs.existsSync(path.join(gitDir, 'rebase-apply'))) git(repo, 'rebase', '--abort');
  if (git(repo, 'symbolic-ref', '-q', '--short', 'HEAD').trim() !== 'main') git(repo, 'checkout', '-q', '-f', 'main');
  git(repo, 'reset', '-q', '--hard');
  git(repo, 'clean', '-fdq');
  // Worktrees a test made by hand (not Axiom's) and any whose folder is gone.
  for (const block of git(repo, 'worktree', 'list', '--porcelain').split('\n\n').slice(1)) {
    const wt = /^worktree (.*)$/m.exec(block)?.[1];
    if (wt) git(repo, 'worktree', 'remove', '--force', '--force', wt);
  }
  git(repo, 'worktree', 'prune');
  await model.refreshNow();
}

/**
 * Closes every editor, reverting modified ones first: closing a modified editor would ask, and a
 * modified document (a merge editor's result, an edited file) could otherwise be saved into a
 * repository later.
 */
export async function closeEditorsWithoutSaving(): Promise<void> {
  for (let i = 0; i < 100 && vscode.window.tabGroups.all.some((g) => g.tabs.length > 0); i++) {
    const group = vscode.window.tabGroups.all.find((g) => g.tabs.length > 0)!;
    const tab = group.activeTab ?? group.tabs[0]!;
    if (tab.isDirty && tab.isActive) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    else if (tab.isDirty) await vscode.commands.executeCommand('workbench.action.openEditorAtIndex', group.tabs.indexOf(tab));
    else await vscode.window.tabGroups.close(tab);
  }
}
