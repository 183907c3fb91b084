/**
 * Diffs against the merge-base: a read-only content provider for the base side (`axiom-base:`),
 * VS Code's multi-file diff editor for a whole instance and the diff editor for one file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { InstanceDiff } from '../core';
import { BASE_SCHEME } from './commandIds';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';

interface BaseQuery {
  /** Repository root (identifies the model). */
  repo: string;
  commit: string;
  file: string;
  /** Instead of a commit: the file as it is now in this worktree of the repository (Compare With…). */
  worktree?: string;
}

/**
 * `shownAs`: the path the editor shows for the base side. Give the worktree file's own path, so the
 * multi-file diff sees one file changed (M), not a rename from `/<file>` (R with the name struck out).
 */
export function baseUri(model: RepositoryModel, commit: string, file: string, shownAs = `/${file}`): vscode.Uri {
  const query: BaseQuery = { repo: model.root, commit, file };
  // The path carries the file name so the editor picks the right language and tab title.
  return vscode.Uri.from({ scheme: BASE_SCHEME, path: shownAs, query: JSON.stringify(query) });
}

/**
 * A worktree's file, read-only, shown under another path (`shownAs`): the left side of a comparison
 * of two worktrees, under the right side's path, so the multi-file diff sees the same file modified
 * (M) rather than a rename from one worktree's folder to the other's (R).
 */
export function worktreeFileUri(model: RepositoryModel, worktree: string, file: string, shownAs: string): vscode.Uri {
  const query: BaseQuery = { repo: model.root, commit: '', file, worktree };
  return vscode.Uri.from({ scheme: BASE_SCHEME, path: shownAs, query: JSON.stringify(query) });
}

export class BaseContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly repos: Repositories) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = JSON.parse(uri.query) as BaseQuery;
    const repo = this.repos.find(q.repo);
    if (!repo) throw new Error(`No repository at ${q.repo}.`);
    if (q.worktree !== undefined) return readWorktreeFile(repo.model, q.worktree, q.file);
    if (!q.commit) return '';
    return (await repo.model.engine.fileAt(q.commit, q.file)) ?? '';
  }
}

/** A file of one of the repository's worktrees (only those, and only inside it); '' when it is not there. */
async function readWorktreeFile(model: RepositoryModel, worktree: string, file: string): Promise<string> {
  const w = model.byPath(worktree);
  if (!w) throw new Error(`${worktree} is not a worktree of ${model.name}.`);
  const full = path.resolve(w.path, file);
  if (path.relative(w.path, full).startsWith('..') || path.isAbsolute(path.relative(w.path, full))) throw new Error(`${file} is outside ${w.path}.`);
  try {
    return await fs.readFile(full, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The multi-file diff's rows (file, left, right): the left side from the merge-base, none for a file
 * the instance added (not an empty document: an added file has no left side), no right side for one it deleted.
 */
export function changeResources(model: RepositoryModel, worktree: string, d: Pick<InstanceDiff, 'mergeBase' | 'files'>): [vscode.Uri, vscode.Uri | undefined, vscode.Uri | undefined][] {
  return d.files.map((f) => {
    const onDisk = vscode.Uri.file(path.join(worktree, f.path));
    return [onDisk, f.status === 'A' ? undefined : baseUri(model, d.mergeBase, f.path, onDisk.path), f.status === 'D' ? undefined : onDisk];
  });
}

/** Opens every changed file of an instance against the merge-base; returns how many files. */
export async function showInstanceChanges(model: RepositoryModel, id: string): Promise<{ files: number; mergeBase: string }> {
  const status = model.find(id);
  if (!status) throw new Error(`No instance named ${id}.`);
  const d = await model.engine.diff(id);
  if (d.files.length === 0) {
    void vscode.window.showInformationMessage(`${id} has no changes against ${d.base}.`);
    return { files: 0, mergeBase: d.mergeBase };
  }
  await vscode.commands.executeCommand('vscode.changes', `${id} ↔ ${d.base} (merge-base ${d.mergeBase.slice(0, 8)})`, changeResources(model, status.path, d));
  return { files: d.files.length, mergeBase: d.mergeBase };
}

/** One file: base side from the given commit (null = the file is new), right side on disk. */
export async function showFileChange(model: RepositoryModel, worktree: string, file: string, commit: string | null, label: string): Promise<void> {
  const right = vscode.Uri.file(path.join(worktree, file));
  // An empty commit stands for "the file did not exist": the base side is empty.
  await vscode.commands.executeCommand('vscode.diff', baseUri(model, commit ?? '', file, right.path), right, `${path.basename(file)} (${label})`);
}
