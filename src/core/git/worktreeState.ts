/**
 * Facts about one worktree that live in its git dir (the main `.git`, or `<common>/worktrees/<name>`
 * for a linked worktree): an operation left in progress, refs that exist only for this worktree, and
 * a lock the user set. File reads only, except for the per-worktree refs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SPAWN_LOCK_PREFIX } from '../instances/spawn';
import type { RepoInfo } from './repo';
import { parseProcessIdentity, type ProcessIdentity } from '../processes/processIdentity';

/** Markers git leaves in a worktree's git dir while an operation waits for the user. */
const IN_PROGRESS: { file: string; operation: string }[] = [
  { file: 'rebase-merge', operation: 'rebase' },
  { file: 'rebase-apply', operation: 'rebase or am' },
  { file: 'MERGE_HEAD', operation: 'merge' },
  { file: 'CHERRY_PICK_HEAD', operation: 'cherry-pick' },
  { file: 'REVERT_HEAD', operation: 'revert' },
  { file: 'BISECT_LOG', operation: 'bisect' },
];

/** The operation a worktree is in the middle of ("rebase", "merge", …), or null. */
export function operationInProgress(gitDir: string): string | null {
  return IN_PROGRESS.find((m) => fs.existsSync(path.join(gitDir, m.file)))?.operation ?? null;
}

/** The git dir of the worktree checked out at `worktree` (read from its `.git` file or folder). */
export function gitDirOf(worktree: string): string | null {
  const dotGit = path.join(worktree, '.git');
  try {
    const st = fs.statSync(dotGit);
    if (st.isDirectory()) return dotGit;
    const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
    return m ? path.resolve(worktree, m[1]!.trim()) : null;
  } catch {
    return null;
  }
}

/**
 * Why the `.git` of an instance's folder does not lead git to the instance's admin dir — deleted,
 * overwritten, pointing elsewhere — or null when it does. Git cannot read such a worktree (or reads
 * another repository), so nothing that must keep its work may go on: `git worktree repair` (axiom
 * repair) writes the file again.
 */
export function brokenGitFile(worktree: string, adminDir: string): string | null {
  const dotGit = path.join(worktree, '.git');
  let text: string;
  try {
    if (!fs.statSync(dotGit).isFile()) return 'its .git is not a file';
    text = fs.readFileSync(dotGit, 'utf8');
  } catch {
    return 'its .git file is missing';
  }
  const m = /^gitdir: (.+)/.exec(text);
  if (!m) return 'its .git file does not name a git dir';
  const target = path.resolve(worktree, m[1]!.trim());
  return sameFolder(target, adminDir) ? null : `its .git file names ${target}, not its git dir ${adminDir}`;
}

function sameFolder(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/** A lock set on the worktree by someone other than an unfinished Axiom spawn (reason, possibly ''), or null. */
export function userLockReason(adminDir: string): string | null {
  let reason: string;
  try {
    reason = fs.readFileSync(path.join(adminDir, 'locked'), 'utf8').trim();
  } catch {
    return null;
  }
  return reason.startsWith(SPAWN_LOCK_PREFIX) ? null : reason;
}

/** The process still creating this worktree (its spawn marker lock), or null. */
export function spawnInProgress(adminDir: string): ProcessIdentity | null {
  try {
    const reason = fs.readFileSync(path.join(adminDir, 'locked'), 'utf8').trim();
    return reason.startsWith(SPAWN_LOCK_PREFIX) ? parseProcessIdentity(reason) : null;
  } catch {
    return null;
  }
}

/**
 * Refs that belong to this worktree alone (`refs/bisect/*`, `refs/worktree/*`, `refs/rewritten/*`):
 * git deletes them with the worktree, so the commits they hold are at risk like its HEAD. They are
 * loose files in the worktree's git dir (git never packs per-worktree refs), read without a process.
 */
export function perWorktreeRefs(gitDir: string): { name: string; sha: string }[] {
  const found: { name: string; sha: string }[] = [];
  const walk = (rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(gitDir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const name = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(name);
      else {
        const sha = fs.readFileSync(path.join(gitDir, name), 'utf8').trim();
        if (/^[0-9a-f]{40,64}$/.test(sha)) found.push({ name, sha });
      }
    }
  };
  for (const top of ['refs/bisect', 'refs/worktree', 'refs/rewritten']) walk(top);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Where a worktree folder went when someone moved it (`mv`): a folder near its old place or near the
 * main worktree whose `.git` file still points at this worktree's admin dir.
 */
export function findMovedWorktree(repo: RepoInfo, adminDir: string, oldPath: string): string | null {
  const roots = [...new Set([path.dirname(oldPath), ...(repo.mainWorktree ? [path.dirname(repo.mainWorktree), repo.mainWorktree] : [])])];
  const target = path.resolve(adminDir);
  let budget = 5000;
  const look = (dir: string): boolean => {
    try {
      const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(path.join(dir, '.git'), 'utf8'));
      return !!m && path.resolve(dir, m[1]!.trim()) === target;
    } catch {
      return false;
    }
  };
  for (const root of roots) {
    for (const depth1 of subdirs(root)) {
      if (--budget < 0) return null;
      if (look(depth1)) return depth1;
      for (const depth2 of subdirs(depth1)) {
        if (--budget < 0) return null;
        if (path.basename(depth2) !== '.git' && path.basename(depth2) !== 'node_modules' && look(depth2)) return depth2;
      }
    }
  }
  return null;
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== '.git' && e.name !== 'node_modules')
      .map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}
