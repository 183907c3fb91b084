/** Small git queries about commits shared by merge and cleanup. */
import type { GitRunner } from './git';

export interface CommitInfo {
  sha: string;
  subject: string;
}

export function parseCommitList(out: string): CommitInfo[] {
  return out
    .split('\n')
    .filter((l) => l.includes('\0'))
    .map((l) => {
      const [sha, ...subject] = l.split('\0');
      return { sha: sha!, subject: subject.join(' ') };
    });
}

/** Commits reachable from `head` but not from `upstream`, oldest first, merges skipped. */
export async function commitsBetween(git: GitRunner, cwd: string, upstream: string, head: string): Promise<CommitInfo[]> {
  const out = await git.out(cwd, ['log', '--reverse', '--no-merges', '--format=%H%x00%s', `${upstream}..${head}`, '--'], {
    readOnly: true,
  });
  return parseCommitList(out);
}

/** Commits of `head` whose change is not in `upstream` (by patch id: cherry-picked ones count as in). */
export async function unmergedCommits(git: GitRunner, cwd: string, upstream: string, head: string): Promise<CommitInfo[]> {
  const out = await git.out(
    cwd,
    ['log', '--reverse', '--no-merges', '--cherry-pick', '--right-only', '--format=%H%x00%s', `${upstream}...${head}`, '--'],
    { readOnly: true },
  );
  return parseCommitList(out);
}

export async function revParse(git: GitRunner, cwd: string, rev: string): Promise<string> {
  return (await git.out(cwd, ['rev-parse', '--verify', '--end-of-options', rev], { readOnly: true })).trim();
}
