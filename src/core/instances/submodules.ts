/**
 * Submodule repositories initialised inside a linked worktree live in that worktree's admin dir
 * (`<common>/worktrees/<name>/modules/<submodule>`), so they are deleted with it. Their commits may
 * exist nowhere else. Commands on them name GIT_DIR and GIT_WORK_TREE explicitly: their own config
 * points at the worktree folder, which may have been moved aside or deleted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GitRunner } from '../git/git';

export interface WorktreeSubmodule {
  /** The submodule's name (may contain slashes). */
  name: string;
  gitDir: string;
  /** Its working folder if it still exists, else null. */
  folder: string | null;
}

export function worktreeSubmodules(adminDir: string): WorktreeSubmodule[] {
  const modulesDir = path.join(adminDir, 'modules');
  return names(modulesDir).map((name) => {
    const gitDir = path.join(modulesDir, name);
    const folder = configuredWorktree(gitDir);
    return { name, gitDir, folder: folder && fs.existsSync(folder) ? folder : null };
  });
}

/** Environment for git commands on a submodule repository, whatever became of its folder. */
export function submoduleEnv(sm: WorktreeSubmodule): Record<string, string> {
  return { GIT_DIR: sm.gitDir, GIT_WORK_TREE: sm.folder ?? os.tmpdir() };
}

/** HEAD and branch tips of a submodule repository. */
export async function submoduleTips(git: GitRunner, sm: WorktreeSubmodule): Promise<{ name: string; sha: string }[]> {
  const env = submoduleEnv(sm);
  const [head, refs] = await Promise.all([
    git.run(sm.gitDir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { readOnly: true, okExitCodes: [1, 128], env }),
    git.out(sm.gitDir, ['for-each-ref', '--format=%(refname)%00%(objectname)', 'refs/heads'], { readOnly: true, env }).catch(() => ''),
  ]);
  const tips = head.exitCode === 0 && head.stdout.trim() ? [{ name: 'HEAD', sha: head.stdout.trim() }] : [];
  for (const line of refs.split('\n').filter(Boolean)) {
    const [name, sha] = line.split('\0') as [string, string];
    tips.push({ name, sha });
  }
  return tips;
}

/**
 * The submodules checked out in a worktree folder that was moved from `original` to `moved`: each
 * one's repository, its path in the worktree and where its files are now.
 */
export function submodulesMovedWith(adminDir: string, original: string, moved: string): { gitDir: string; path: string; folder: string }[] {
  const found: { gitDir: string; path: string; folder: string }[] = [];
  for (const name of names(path.join(adminDir, 'modules'))) {
    const gitDir = path.join(adminDir, 'modules', name);
    const configured = configuredWorktree(gitDir);
    if (!configured) continue;
    const rel = path.relative(original, configured);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    const folder = path.join(moved, rel);
    if (fs.existsSync(folder)) found.push({ gitDir, path: rel.split(path.sep).join('/'), folder });
  }
  return found;
}

/** Submodule names under a modules dir: any folder holding a HEAD file. */
function names(modulesDir: string, prefix = ''): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(modulesDir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  if (entries.some((e) => e.name === 'HEAD' && e.isFile())) return [prefix];
  return entries.filter((e) => e.isDirectory()).flatMap((e) => names(modulesDir, prefix ? `${prefix}/${e.name}` : e.name));
}

function configuredWorktree(gitDir: string): string | null {
  try {
    const m = /^\s*worktree\s*=\s*(.+)$/m.exec(fs.readFileSync(path.join(gitDir, 'config'), 'utf8'));
    return m ? path.resolve(gitDir, m[1]!.trim()) : null;
  } catch {
    return null;
  }
}
