/** Repository discovery from any path inside a repository or one of its worktrees. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomError, isAxiomError } from '../errors';
import type { GitRunner } from './git';

export interface RepoInfo {
  /** Top level of the worktree the path was in. */
  topLevel: string;
  /** The shared git dir (`.git` of the main worktree), absolute. */
  commonDir: string;
  /** The main worktree's top level (where `../axiom-{id}` is resolved from); null for a bare repo. */
  mainWorktree: string | null;
  /** `main`, else `master`, else the main worktree's current branch. */
  defaultBranch: string | null;
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

export async function discoverRepo(git: GitRunner, fromPath: string): Promise<RepoInfo> {
  const start = path.resolve(fromPath);
  if (!fs.existsSync(start)) throw new AxiomError('NotARepository', `${start} does not exist.`, { path: start });
  let out: string;
  try {
    // --show-toplevel fails in a bare repository: ask for it separately.
    out = await git.out(start, ['rev-parse', '--path-format=absolute', '--git-common-dir', '--is-bare-repository'], {
      readOnly: true,
    });
  } catch (e) {
    if (isAxiomError(e, 'Untrusted')) throw e;
    throw new AxiomError('NotARepository', `${start} is not inside a git repository.`, {
      path: start,
      stderr: e instanceof AxiomError ? e.details.stderr : String(e),
    });
  }
  const [commonDirRaw, bare] = out.split('\n');
  const commonDir = realpathOrSelf(commonDirRaw!.trim());
  const top = bare?.trim() === 'true' ? null : await git.run(start, ['rev-parse', '--show-toplevel'], { readOnly: true, okExitCodes: [128] });
  const topLevel = top && top.exitCode === 0 && top.stdout.trim() ? realpathOrSelf(top.stdout.trim()) : start;
  // The main worktree holds the common dir as its `.git` (non-bare layout).
  const mainWorktree = path.basename(commonDir) === '.git' && fs.existsSync(commonDir) && !isBareConfig(commonDir) ? path.dirname(commonDir) : null;

  const refs = await git.out(commonDir, ['for-each-ref', '--format=%(refname)', 'refs/heads/main', 'refs/heads/master'], {
    readOnly: true,
  });
  let defaultBranch: string | null = null;
  if (refs.includes('refs/heads/main\n')) defaultBranch = 'main';
  else if (refs.includes('refs/heads/master\n')) defaultBranch = 'master';
  else {
    const head = await git.run(mainWorktree ?? commonDir, ['symbolic-ref', '-q', '--short', 'HEAD'], {
      readOnly: true,
      okExitCodes: [1, 128],
    });
    defaultBranch = head.exitCode === 0 ? head.stdout.trim() || null : null;
  }
  return { topLevel, commonDir, mainWorktree, defaultBranch };
}

/** `core.bare = true` in a repository's config (a `.git` folder can be bare too). */
function isBareConfig(commonDir: string): boolean {
  try {
    return /^\s*bare\s*=\s*true\s*$/im.test(fs.readFileSync(path.join(commonDir, 'config'), 'utf8'));
  } catch {
    return false;
  }
}
