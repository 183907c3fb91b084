/** What an instance changed, against the merge-base with its base (committed and uncommitted work). */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { AxiomError } from '../errors';
import type { GitRunner } from './git';
import { parseRawNumstat, parseStatusV2, type FileChange } from './parse';

export interface InstanceDiff {
  id: string;
  base: string;
  mergeBase: string;
  head: string;
  files: FileChange[];
  /** Totals over text files. */
  added: number;
  deleted: number;
}

export async function mergeBaseOf(git: GitRunner, cwd: string, base: string, head: string): Promise<string> {
  return (await git.out(cwd, ['merge-base', `refs/heads/${base}`, head], { readOnly: true })).trim();
}

async function countLines(file: string): Promise<number | null> {
  try {
    const buf = await fs.readFile(file);
    if (buf.includes(0)) return null;
    if (buf.length === 0) return 0;
    let n = 0;
    for (const b of buf) if (b === 10) n++;
    return buf[buf.length - 1] === 10 ? n : n + 1;
  } catch {
    return null;
  }
}

/** Tracked changes from the merge-base to the working tree, plus untracked files as additions. */
export async function diffInstance(git: GitRunner, id: string, worktree: string, base: string): Promise<InstanceDiff> {
  const head = (await git.out(worktree, ['rev-parse', 'HEAD'], { readOnly: true })).trim();
  const mergeBase = await mergeBaseOf(git, worktree, base, head);
  const [rawOut, statusOut] = await Promise.all([
    git.out(worktree, ['diff', '--raw', '--numstat', '-z', '--no-renames', mergeBase, '--'], { readOnly: true }),
    git.out(worktree, ['status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all'], { readOnly: true }),
  ]);
  const files = parseRawNumstat(rawOut);
  for (const entry of parseStatusV2(statusOut).entries) {
    if (entry.kind !== 'untracked') continue;
    const lines = await countLines(path.join(worktree, entry.path));
    files.push({ path: entry.path, status: 'A', added: lines, deleted: lines === null ? null : 0 });
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  const added = files.reduce((n, f) => n + (f.added ?? 0), 0);
  const deleted = files.reduce((n, f) => n + (f.deleted ?? 0), 0);
  return { id, base, mergeBase, head, files, added, deleted };
}

/** A file's bytes at a commit, or null when the file does not exist there. */
export async function fileAtCommit(git: GitRunner, cwd: string, commit: string, file: string): Promise<string | null> {
  if (path.isAbsolute(file) || file.split(/[\\/]/).includes('..')) {
    throw new AxiomError('InvalidArgument', `${JSON.stringify(file)} is not a path inside the repository.`);
  }
  const r = await git.run(cwd, ['cat-file', 'blob', `${commit}:${file}`], { readOnly: true, okExitCodes: [128] });
  return r.exitCode === 0 ? r.stdout : null;
}

/** A unified patch from the merge-base to the working tree (tracked files), cut at `maxBytes`. */
export async function patchOf(git: GitRunner, worktree: string, mergeBase: string, maxBytes: number): Promise<{ patch: string; truncated: boolean }> {
  const out = await git.out(worktree, ['diff', '--no-color', '--no-ext-diff', '--no-renames', mergeBase, '--'], { readOnly: true });
  if (Buffer.byteLength(out) <= maxBytes) return { patch: out, truncated: false };
  return { patch: Buffer.from(out).subarray(0, maxBytes).toString('utf8'), truncated: true };
}
