/** Shared helpers of the extension-host tests: the extension's API, real git, waiting on model events. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AxiomExtensionApi } from '../../src/extension/extension';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import type { Node } from '../../src/extension/tree';
import type { WorktreeStatus } from '../../src/core';

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

/** Resolves when `check` holds, re-checking on every model change (and every 250 ms as a backstop). */
export function waitFor<T>(model: RepositoryModel, check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
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
export async function waitForFile(file: string, timeoutMs = 20_000): Promise<string> {
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
