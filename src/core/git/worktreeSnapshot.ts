/**
 * The exact state of a worktree as a commit: HEAD itself when nothing is uncommitted, else a
 * snapshot commit (parent = HEAD) of every tracked and untracked file that git does not ignore and
 * that Axiom did not provision (provisioned.ts: never work, never a git object).
 * Made with a private index (a copy of the worktree's, so unchanged files are not re-hashed): the
 * user's index and staging stay untouched, and ignored files (secrets, dependencies) never become
 * git objects.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GitRunner } from './git';
import { identityEnv } from './identity';
import { addWork, readProvisioned } from '../provision/provisioned';

export interface WorktreeState {
  head: string;
  /** The tree of the state (HEAD's tree when clean). */
  tree: string;
  /** HEAD when clean, else the snapshot commit. */
  commit: string;
  /** True when the state had uncommitted work and `commit` is a snapshot. */
  snapshot: boolean;
}

/** HEAD, its tree, and the tree of the worktree's current state (tracked + untracked, not ignored, not provisioned). */
export async function worktreeTree(git: GitRunner, worktree: string, adminDir: string): Promise<{ head: string; headTree: string; tree: string }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-state-'));
  const env = { GIT_INDEX_FILE: path.join(tmp, 'index') };
  try {
    // HEAD is read while the private index is filled: the two do not depend on each other.
    const readHead = git.out(worktree, ['rev-parse', 'HEAD', 'HEAD^{tree}'], { readOnly: true });
    const writeTree = (async () => {
      try {
        fs.copyFileSync(path.join(adminDir, 'index'), env.GIT_INDEX_FILE);
      } catch {
        await git.run(worktree, ['read-tree', 'HEAD'], { env });
      }
      await addWork(git, worktree, env, 'HEAD', readProvisioned(adminDir));
      return (await git.out(worktree, ['write-tree'], { env })).trim();
    })();
    const [headOut, tree] = await Promise.all([readHead, writeTree]);
    const [head, headTree] = headOut.trim().split('\n');
    return { head: head!, headTree: headTree!, tree };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export async function captureWorktreeState(git: GitRunner, worktree: string, adminDir: string, message: string): Promise<WorktreeState> {
  const { head, headTree, tree } = await worktreeTree(git, worktree, adminDir);
  if (tree === headTree) return { head, tree, commit: head, snapshot: false };
  const env = await identityEnv(git, worktree);
  const commit = (await git.out(worktree, ['commit-tree', tree, '-p', head, '-m', message], { ...(env ? { env } : {}) })).trim();
  return { head, tree, commit, snapshot: true };
}
