/**
 * Repair: make the repository consistent after crashes or folders deleted by hand.
 * - prune worktrees whose folders are gone;
 * - remove spawns that never finished (locked with our spawn reason, their process dead);
 * - re-link worktrees on an axiom branch whose metadata is missing;
 * - axiom branches with no worktree: deleted when they hold nothing that is not in the default
 *   branch; branches with unmerged commits are reported and kept (a branch already keeps the work).
 */
import * as path from 'node:path';
import type { GitRunner } from './git';
import { idFromBranch } from './ids';
import { withRepoLock } from './lock';
import { readAdminEntries, writeMetadata, type InstanceMetadata } from './metadata';
import { parseWorktreeList } from './parse';
import type { RepoInfo } from './repo';
import { isSameProcessAlive, parseProcessIdentity } from './processIdentity';
import { removeHalfSpawned, SPAWN_LOCK_PREFIX } from './spawn';
import { unmergedCommits } from './commits';

export interface RepairReport {
  pruned: string[];
  removedHalfSpawned: string[];
  relinked: { id: string; path: string }[];
  orphanBranches: { branch: string; action: 'deleted' | 'kept'; unmergedCommits: number }[];
}

export async function repair(git: GitRunner, repo: RepoInfo): Promise<RepairReport> {
  return withRepoLock(repo.commonDir, async () => {
    const report: RepairReport = { pruned: [], removedHalfSpawned: [], relinked: [], orphanBranches: [] };

    // 1. Spawns that never finished: their worktree is locked with our reason and the pid is dead.
    let listed = parseWorktreeList(await git.out(repo.commonDir, ['worktree', 'list', '--porcelain', '-z'], { readOnly: true }));
    for (const w of listed) {
      const spawner = w.lockReason?.startsWith(SPAWN_LOCK_PREFIX) ? parseProcessIdentity(w.lockReason) : null;
      if (!spawner || isSameProcessAlive(spawner)) continue;
      const branch = w.branchRef?.replace(/^refs\/heads\//, '') ?? null;
      await removeHalfSpawned(git, repo, w.path, branch, w.head);
      report.removedHalfSpawned.push(w.path);
    }

    // 2. Worktrees whose folder is gone (this also drops their metadata, which lived in the admin dir).
    listed = parseWorktreeList(await git.out(repo.commonDir, ['worktree', 'list', '--porcelain', '-z'], { readOnly: true }));
    report.pruned = listed.filter((w) => w.prunable).map((w) => w.path);
    if (report.pruned.length > 0) await git.run(repo.commonDir, ['worktree', 'prune']);

    // 3. Worktrees on an axiom branch without metadata: write it back from what git knows.
    listed = parseWorktreeList(await git.out(repo.commonDir, ['worktree', 'list', '--porcelain', '-z'], { readOnly: true }));
    const admin = await readAdminEntries(repo.commonDir);
    const byPath = new Map(admin.filter((a) => a.worktreePath).map((a) => [a.worktreePath!, a]));
    for (const w of listed) {
      const branch = w.branchRef?.replace(/^refs\/heads\//, '') ?? '';
      const id = idFromBranch(branch);
      const entry = byPath.get(path.resolve(w.path));
      if (!id || !entry || entry.metadata) continue;
      const base = repo.defaultBranch ?? 'main';
      const baseSha = (await git.out(repo.commonDir, ['merge-base', `refs/heads/${base}`, w.head ?? 'HEAD'], { readOnly: true, okExitCodes: [1] })).trim();
      const meta: InstanceMetadata = {
        version: 1,
        id,
        branch,
        base,
        baseSha: baseSha || (w.head ?? ''),
        agent: null,
        prompt: null,
        launch: 'none',
        createdAt: new Date(Number(branch.split('/').pop())).toISOString(),
      };
      await writeMetadata(entry.adminDir, meta);
      report.relinked.push({ id, path: w.path });
    }

    // 4. Axiom branches checked out nowhere: delete the empty ones, report the ones holding work.
    const checkedOut = new Set(listed.map((w) => w.branchRef).filter(Boolean));
    const refsOut = await git.out(repo.commonDir, ['for-each-ref', '--format=%(refname)%00%(objectname)', 'refs/heads/axiom/'], { readOnly: true });
    for (const line of refsOut.split('\n').filter(Boolean)) {
      const [ref, sha] = line.split('\0') as [string, string];
      if (checkedOut.has(ref)) continue;
      const branch = ref.slice('refs/heads/'.length);
      const id = idFromBranch(branch);
      if (!id) continue;
      const base = repo.defaultBranch;
      const unmerged = base ? await unmergedCommits(git, repo.commonDir, `refs/heads/${base}`, sha) : [{ sha, subject: '' }];
      if (unmerged.length > 0) {
        report.orphanBranches.push({ branch, action: 'kept', unmergedCommits: unmerged.length });
      } else {
        await git.run(repo.commonDir, ['branch', '-D', '--', branch]);
        report.orphanBranches.push({ branch, action: 'deleted', unmergedCommits: 0 });
      }
    }
    return report;
  });
}
