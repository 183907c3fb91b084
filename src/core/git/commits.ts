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

/** Is `commit` in the history of `of`? False when either is unknown. */
export async function isAncestor(git: GitRunner, cwd: string, commit: string, of: string): Promise<boolean> {
  const r = await git.run(cwd, ['merge-base', '--is-ancestor', commit, of], { readOnly: true, okExitCodes: [1, 128] });
  return r.exitCode === 0;
}

/** The tree of each commit, in one process. */
export async function treesOf(git: GitRunner, cwd: string, commits: string[]): Promise<string[]> {
  if (commits.length === 0) return [];
  const out = await git.out(cwd, ['rev-parse', ...commits.map((c) => `${c}^{tree}`)], { readOnly: true });
  return out.split('\n').filter(Boolean);
}

/**
 * Is everything `commit` changed already in `target`, judged by content? True when merging it into
 * the target would change nothing (a clean `merge-tree` whose result is the target's own tree). This
 * holds after a merge, a squash, a rebase or a cherry-pick alike, and stops holding when the target
 * is reset back — unlike a record of "merged".
 */
export async function contentContained(git: GitRunner, cwd: string, target: string, commit: string, knownTargetTree?: string): Promise<boolean> {
  const [mt, [targetTree]] = await Promise.all([
    git.run(cwd, ['merge-tree', '--write-tree', '--no-messages', '--allow-unrelated-histories', target, commit], { readOnly: true, okExitCodes: [1] }),
    knownTargetTree ? Promise.resolve([knownTargetTree]) : treesOf(git, cwd, [target]),
  ]);
  return mt.exitCode === 0 && mt.stdout.split('\n')[0]!.trim() === targetTree;
}

/** A ref of the repository and the commit it names (an annotated tag peeled), with that commit's tree. */
export interface RefCommit {
  name: string;
  commit: string;
  tree: string;
}

/** Every ref that names a commit, in one process (refs naming other objects are left out). */
export async function readRefCommits(git: GitRunner, commonDir: string): Promise<RefCommit[]> {
  const out = await git.out(commonDir, ['for-each-ref', '--format=%(refname)%00%(objecttype)%00%(objectname)%00%(tree)%00%(*objecttype)%00%(*objectname)%00%(*tree)'], {
    readOnly: true,
  });
  const refs: RefCommit[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [name, type, sha, tree, peeledType, peeled, peeledTree] = line.split('\0');
    if (type === 'commit') refs.push({ name: name!, commit: sha!, tree: tree! });
    else if (peeledType === 'commit') refs.push({ name: name!, commit: peeled!, tree: peeledTree! });
  }
  return refs;
}

/**
 * Commits reachable from `tips` and from no other ref of the repository: what deleting the refs in
 * `ownRefs` (and the worktree holding `tips`) would make unreachable. Merge commits included; oldest first.
 */
export async function commitsOnlyIn(
  git: GitRunner,
  commonDir: string,
  tips: string[],
  ownRefs: ReadonlySet<string>,
  refs?: readonly RefCommit[],
): Promise<CommitInfo[]> {
  if (tips.length === 0) return [];
  const others = new Set<string>();
  for (const ref of refs ?? (await readRefCommits(git, commonDir))) if (!ownRefs.has(ref.name)) others.add(ref.commit);
  // `^sha` lines: git 2.39's --stdin takes no options (--not arrived in 2.42).
  const input = [...tips, ...[...others].map((o) => `^${o}`)].join('\n') + '\n';
  const out = await git.out(commonDir, ['log', '--reverse', '--topo-order', '--format=%H%x00%s', '--stdin'], { readOnly: true, input });
  return parseCommitList(out);
}
