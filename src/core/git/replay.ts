/**
 * Replays commits onto another commit without a working tree (what cherry-pick and rebase do), so a
 * preview and the real merge run the very same replay, and nothing is touched until it all worked.
 *
 * Git 2.39 has no `git replay` and no `merge-tree --merge-base`; one cherry-pick of C (parent P) onto
 * X is done as a three-way merge with base P: a throw-away commit X' with X's tree and parent P makes
 * P the merge-base of X' and C, and `merge-tree --write-tree X' C` gives exactly the cherry-picked
 * tree (renames included). Each replayed commit keeps its author, date and message.
 */
import type { GitRunner } from './git';
import { parseMergeTree } from './parse';

export interface ReplayedCommit {
  original: string;
  /** The new commit, or null when the change was already there (an empty duplicate, skipped). */
  replayed: string | null;
}

export type ReplayResult =
  | { ok: true; tip: string; tree: string; commits: ReplayedCommit[] }
  | { ok: false; conflictAt: string; conflicts: string[] };

interface CommitFacts {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authorDate: string;
  message: string;
}

/** Author, date, parents and the raw message of each commit, in one process. */
async function commitFacts(git: GitRunner, cwd: string, shas: string[]): Promise<Map<string, CommitFacts>> {
  const out = await git.out(cwd, ['log', '--no-walk=unsorted', '--format=%H%x00%P%x00%an%x00%ae%x00%ad%x00%B%x00%x01', '--date=raw', '--stdin'], {
    readOnly: true,
    input: shas.join('\n') + '\n',
  });
  const facts = new Map<string, CommitFacts>();
  for (const record of out.split('\0\x01')) {
    const [sha, parents, authorName, authorEmail, authorDate, message] = record.replace(/^\n/, '').split('\0');
    if (!sha) continue;
    facts.set(sha, { sha, parents: parents ? parents.split(' ') : [], authorName: authorName!, authorEmail: authorEmail!, authorDate: authorDate!, message: message ?? '' });
  }
  return facts;
}

/**
 * Replays `commits` (oldest first, none of them a merge) onto `onto`. Nothing but objects is written:
 * no ref moves, no worktree changes.
 */
export async function replayCommits(
  git: GitRunner,
  cwd: string,
  onto: string,
  commits: string[],
  env: Record<string, string> | undefined,
): Promise<ReplayResult> {
  const facts = await commitFacts(git, cwd, commits);
  let tip = onto;
  let tree = (await git.out(cwd, ['rev-parse', `${onto}^{tree}`], { readOnly: true })).trim();
  const done: ReplayedCommit[] = [];
  for (const sha of commits) {
    const c = facts.get(sha)!;
    const parent = c.parents[0];
    // X': the current tree on top of C's parent (no parent for a root commit: then the base is empty).
    const fake = (await git.out(cwd, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', 'axiom replay base'], { env })).trim();
    const mt = await git.run(cwd, ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', '--allow-unrelated-histories', fake, sha], {
      okExitCodes: [1],
    });
    const merged = parseMergeTree(mt.stdout, mt.exitCode);
    if (!merged.clean) return { ok: false, conflictAt: sha, conflicts: merged.conflicts };
    if (merged.tree === tree) {
      done.push({ original: sha, replayed: null });
      continue;
    }
    const authorEnv = { ...env, GIT_AUTHOR_NAME: c.authorName, GIT_AUTHOR_EMAIL: c.authorEmail, GIT_AUTHOR_DATE: c.authorDate };
    tip = (await git.out(cwd, ['commit-tree', merged.tree, '-p', tip, '-F', '-'], { env: authorEnv, input: c.message })).trim();
    tree = merged.tree;
    done.push({ original: sha, replayed: tip });
  }
  return { ok: true, tip, tree, commits: done };
}
