/**
 * One linked worktree's facts read from its own admin dir, the way `git worktree list --porcelain`
 * reads them (git's worktree.c), without a git process and without looking at any other worktree:
 * what makes `status <id>` cost the same at 300 instances as at 1 (issue 19).
 *
 * - HEAD: `<admin dir>/HEAD`, a symbolic ref (`ref: refs/heads/…`: the branch, resolved by the
 *   caller's `for-each-ref`) or a commit id (detached).
 * - locked: `<admin dir>/locked` exists; its content, trimmed, is the reason.
 * - prunable (never when locked): the `.git` file the `gitdir` file names does not exist
 *   ("gitdir file points to non-existent location", git's own words).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { WorktreeRecord } from './parse';

/** The record of one worktree, its HEAD's branch still unresolved (`head` is set only when detached). */
export interface UnresolvedWorktreeRecord extends WorktreeRecord {
  /** The ref HEAD points to (refs/heads/…), whose commit the caller resolves; null when detached. */
  symref: string | null;
}

const ZERO = /^0+$/;

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the record of the worktree whose admin dir is `adminDir`; null when git would not list it
 * (no readable, non-empty `gitdir` file, or no HEAD).
 */
export async function readWorktreeRecord(adminDir: string): Promise<UnresolvedWorktreeRecord | null> {
  const [gitdirText, headText, lockText] = await Promise.all([
    readOrNull(path.join(adminDir, 'gitdir')),
    readOrNull(path.join(adminDir, 'HEAD')),
    readOrNull(path.join(adminDir, 'locked')),
  ]);
  const gitdir = gitdirText?.trimEnd() ?? '';
  if (!gitdir || headText === null) return null;
  const dotGit = path.resolve(adminDir, gitdir);
  const worktreePath = dotGit.endsWith(`${path.sep}.git`) ? path.dirname(dotGit) : dotGit;
  const head = headText.trim();
  const symref = head.startsWith('ref:') ? head.slice(4).trim() : null;
  const record: UnresolvedWorktreeRecord = {
    path: worktreePath,
    head: symref === null && !ZERO.test(head) ? head : null,
    branchRef: symref,
    symref,
    bare: false,
    detached: symref === null,
    locked: lockText !== null,
    prunable: false,
  };
  const reason = lockText?.trim();
  if (reason) record.lockReason = reason;
  if (lockText === null && !(await exists(dotGit))) {
    record.prunable = true;
    record.prunableReason = 'gitdir file points to non-existent location';
  }
  return record;
}
