/**
 * Repair: make the repository consistent after crashes, kills and hand-made changes — without ever
 * deleting work (docs/ARCHITECTURE.md §4.11). Under the repository lock:
 * 1. cleanups that died half-way (removalJournal.ts): the folder moved back, or its leftover deleted;
 * 2. spawns that never finished (locked with the spawn marker, their process gone): removed;
 * 3. instances whose folder is gone: re-linked where the folder was moved (`git worktree repair`);
 *    else a detached HEAD's commits are salvaged before the registration is dropped (the branch stays);
 *    worktrees Axiom did not make are only reported, never touched;
 * 4. worktrees whose metadata file is damaged, or whose spawn journal (the spawn lock) says Axiom
 *    made them: metadata written back. A worktree is Axiom's only by Axiom's own record: one on an
 *    `axiom/…` branch or in an `axiom-…` folder without it is a look-alike, reported and never adopted;
 * 5. Axiom branches checked out nowhere: deleted only when nothing on them is lost (content already
 *    in the default branch, or reachable from another ref); the others are kept and reported.
 * First of all, setup/teardown/evaluation processes whose Axiom process died are stopped
 * (ownedProcesses.ts).
 * Then damaged records (damage.ts) are quarantined: a notes ref, race ref or salvage ref git
 * cannot read as Axiom's is moved under `refs/axiom/damaged/`, a bad metadata file renamed aside.
 * Fails closed: a worktree it cannot read counts as holding work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitRunner } from '../git/git';
import { idFromBranch, SALVAGE_PREFIX } from './ids';
import { withRepoLock } from './lock';
import { METADATA_FILE, readAdminEntries, writeMetadata, type InstanceMetadata } from './metadata';
import { damagedNotes } from '../explore/attempts';
import { quarantineRef } from './damage';
import { readRaceRefs } from '../explore/raceRecord';
import { parseWorktreeList, type WorktreeRecord } from '../git/parse';
import type { RepoInfo } from '../git/repo';
import { isSameProcessAlive, parseProcessIdentity } from '../processes/processIdentity';
import { removeHalfSpawned, SPAWN_LOCK_PREFIX } from './spawn';
import { commitsOnlyIn, contentContained } from '../git/commits';
import { recoverRemovals } from './removalJournal';
import { stopOrphans, stopOwnedProcesses, type StoppedProcess } from '../processes/ownedProcesses';
import { brokenGitFile, findMovedWorktree } from '../git/worktreeState';
import { locateInstance } from './locate';
import { assessRisk } from './risk';
import { writeSalvage } from './salvage';

export interface RepairReport {
  pruned: string[];
  removedHalfSpawned: string[];
  /** Unfinished spawns that hold work anyway (a commit or a new file): unlocked and kept. */
  finishedSpawns: string[];
  relinked: { id: string; path: string }[];
  /** Worktrees found where the user had moved them, linked there again. */
  moved: { from: string; to: string }[];
  /** Work kept before a missing worktree's registration was dropped. */
  salvaged: { id: string; ref: string }[];
  /** Half-done cleanups finished or undone. */
  removals: { restored: string[]; deleted: string[] };
  /** Worktrees Axiom did not make whose folder is gone: reported, left to `git worktree prune`. */
  foreignMissing: string[];
  orphanBranches: { branch: string; action: 'deleted' | 'kept'; unmergedCommits: number }[];
  /** Damaged records set aside: the ref or file, where it went, and what was wrong with it. */
  quarantined: { record: string; movedTo: string; problem: string }[];
  /** Worktrees that look like Axiom's (branch or folder name) without Axiom's record: left alone, listed as other worktrees. */
  lookalikes: string[];
  /** Instance folders whose `.git` file was deleted or overwritten: written again (`git worktree repair`). */
  gitFilesRepaired: string[];
  /** Worktrees repair could not read: counted as holding work and left as they are. */
  unreadable: { path: string; reason: string }[];
  /** Setup, teardown or evaluation processes whose Axiom process died (or whose folder is gone): stopped. */
  stoppedProcesses: StoppedProcess[];
}

async function listWorktrees(git: GitRunner, repo: RepoInfo): Promise<WorktreeRecord[]> {
  return parseWorktreeList(await git.out(repo.commonDir, ['worktree', 'list', '--porcelain', '-z'], { readOnly: true }));
}

export async function repair(git: GitRunner, repo: RepoInfo): Promise<RepairReport> {
  return withRepoLock(repo.commonDir, async () => {
    const report: RepairReport = {
      pruned: [],
      removedHalfSpawned: [],
      finishedSpawns: [],
      relinked: [],
      moved: [],
      salvaged: [],
      removals: await recoverRemovals(repo),
      foreignMissing: [],
      orphanBranches: [],
      stoppedProcesses: [],
      quarantined: await quarantineDamaged(git, repo),
      lookalikes: [],
      unreadable: [],
      gitFilesRepaired: [],
    };
    // Steps whose Axiom process was killed: their process groups end here.
    for (const p of await stopOrphans(repo.commonDir)) report.stoppedProcesses.push(p);
    // Worktrees whose record says Axiom made them although their metadata is not there (yet).
    const byRecord = new Set(report.quarantined.filter((q) => q.record.endsWith(METADATA_FILE)).map((q) => path.dirname(q.record)));

    for (const w of await listWorktrees(git, repo)) {
      const spawner = w.lockReason?.startsWith(SPAWN_LOCK_PREFIX) ? parseProcessIdentity(w.lockReason) : null;
      if (!spawner || isSameProcessAlive(spawner)) continue;
      // The spawn lock is Axiom's journal of this spawn: its worktree is Axiom's.
      const own = (await readAdminEntries(repo.commonDir)).find((a) => a.worktreePath === path.resolve(w.path));
      if (own) byRecord.add(own.adminDir);
      if (await holdsWork(git, repo, w)) {
        // Someone worked in it although its spawn never finished: finish the spawn instead (unlock).
        await git.run(repo.commonDir, ['worktree', 'unlock', w.path], { okExitCodes: [128] });
        report.finishedSpawns.push(w.path);
        continue;
      }
      await removeHalfSpawned(git, repo, w.path, w.branchRef?.replace(/^refs\/heads\//, '') ?? null);
      report.removedHalfSpawned.push(w.path);
    }

    const admin = await readAdminEntries(repo.commonDir);
    // An instance folder whose .git file the agent deleted or overwrote: git can read it again.
    for (const entry of admin) {
      if (!entry.metadata || !entry.worktreePath || !fs.existsSync(entry.worktreePath)) continue;
      if (brokenGitFile(entry.worktreePath, entry.adminDir) === null) continue;
      await git.run(repo.commonDir, ['worktree', 'repair', entry.worktreePath], { okExitCodes: [1] });
      if (brokenGitFile(entry.worktreePath, entry.adminDir) === null) report.gitFilesRepaired.push(entry.worktreePath);
      else report.unreadable.push({ path: entry.worktreePath, reason: 'its .git file is broken and git worktree repair could not write it again' });
    }
    for (const w of (await listWorktrees(git, repo)).filter((x) => x.prunable)) {
      const entry = admin.find((a) => a.worktreePath === path.resolve(w.path));
      if (!entry) continue;
      const movedTo = findMovedWorktree(repo, entry.adminDir, w.path);
      if (movedTo) {
        await git.run(repo.commonDir, ['worktree', 'repair', movedTo]);
        report.moved.push({ from: w.path, to: movedTo });
        continue;
      }
      if (!entry.metadata) {
        report.foreignMissing.push(w.path);
        continue;
      }
      // The branch stays (step 5 decides about it); what only the worktree held is salvaged first.
      const inst = await locateInstance(repo, entry.metadata.id);
      const risk = await assessRisk(git, repo, inst, { skipIgnored: true }).catch((e: unknown) => {
        report.unreadable.push({ path: w.path, reason: e instanceof Error ? e.message : String(e) });
        return null;
      });
      if (!risk) continue; // fails closed: what cannot be judged is kept
      const detached = risk.head && risk.head !== risk.branchTip ? risk.head : null;
      if ((detached && risk.commits.length > 0) || risk.submodules.length > 0) {
        const ref = await writeSalvage(git, repo, {
          id: inst.id,
          adminDir: inst.adminDir,
          worktree: null,
          branch: inst.metadata.branch,
          branchTip: risk.branchTip,
          head: detached,
          otherTips: [],
          base: inst.metadata.base,
          agent: inst.metadata.agent,
          prompt: inst.metadata.prompt,
          reason: `salvage of ${inst.id} before repair dropped its missing worktree`,
        });
        report.salvaged.push({ id: inst.id, ref });
      }
      await stopOwnedProcesses(entry.adminDir);
      await fs.promises.rm(entry.adminDir, { recursive: true, force: true });
      report.pruned.push(w.path);
    }

    const entries = await readAdminEntries(repo.commonDir);
    const byPath = new Map(entries.filter((a) => a.worktreePath).map((a) => [a.worktreePath!, a]));
    const liveIds = new Set(entries.map((e) => e.metadata?.id).filter(Boolean));
    const listed = await listWorktrees(git, repo);
    for (const w of listed) {
      const branch = w.branchRef?.replace(/^refs\/heads\//, '') ?? '';
      const id = idFromBranch(branch);
      const entry = byPath.get(path.resolve(w.path));
      if (!entry || entry.metadata || w.prunable) continue;
      // Axiom's only by Axiom's own record (a damaged metadata file, a spawn journal); a name is no proof.
      if (!byRecord.has(entry.adminDir)) {
        if (id || /^axiom-/.test(path.basename(w.path))) report.lookalikes.push(w.path);
        continue;
      }
      if (!id || liveIds.has(id)) continue;
      liveIds.add(id);
      const base = repo.defaultBranch ?? 'main';
      const baseSha = (await git.run(repo.commonDir, ['merge-base', `refs/heads/${base}`, w.head ?? 'HEAD'], { readOnly: true, okExitCodes: [1, 128] })).stdout.trim();
      const stamp = Number(branch.split('/').pop());
      const meta: InstanceMetadata = {
        version: 1,
        id,
        branch,
        base,
        baseSha: baseSha || (w.head ?? ''),
        agent: null,
        prompt: null,
        launch: 'none',
        createdAt: new Date(Number.isFinite(stamp) ? stamp : Date.now()).toISOString(),
      };
      await writeMetadata(entry.adminDir, meta);
      report.relinked.push({ id, path: w.path });
    }

    const checkedOut = new Set(listed.map((w) => w.branchRef).filter(Boolean));
    const refsOut = await git.out(repo.commonDir, ['for-each-ref', '--format=%(refname)%00%(objectname)', 'refs/heads/axiom/'], { readOnly: true });
    for (const line of refsOut.split('\n').filter(Boolean)) {
      const [ref, sha] = line.split('\0') as [string, string];
      if (checkedOut.has(ref)) continue;
      const branch = ref.slice('refs/heads/'.length);
      if (!idFromBranch(branch)) continue;
      // Judged against the base alone (a salvage ref that also reaches these commits is no reason to
      // drop the branch): nothing beyond the base, or all of it already in the base by content.
      const base = repo.defaultBranch ? `refs/heads/${repo.defaultBranch}` : null;
      const beyond = base ? Number((await git.out(repo.commonDir, ['rev-list', '--count', `${base}..${sha}`], { readOnly: true })).trim()) : 1;
      const landed = beyond === 0 || (base !== null && (await contentContained(git, repo.commonDir, base, sha)));
      if (!landed) {
        report.orphanBranches.push({ branch, action: 'kept', unmergedCommits: beyond });
        continue;
      }
      const r = await git.run(repo.commonDir, ['update-ref', '-m', 'axiom: repair', '-d', ref, sha], { okExitCodes: [1, 128] });
      if (r.exitCode === 0) {
        await git.run(repo.commonDir, ['config', '--remove-section', `branch.${branch}`], { okExitCodes: [1, 128] });
        report.orphanBranches.push({ branch, action: 'deleted', unmergedCommits: 0 });
      }
    }
    return report;
  }, { recoverRemovals: false }); // it recovers them itself, first, to report them
}

/**
 * A worktree with a commit no other ref has, or an untracked (not ignored) file. Fails closed: one
 * whose commits or files cannot be read holds work.
 */
async function holdsWork(git: GitRunner, repo: RepoInfo, w: WorktreeRecord): Promise<boolean> {
  const tips = [w.head, w.branchRef].filter((t): t is string => !!t && !/^0+$/.test(t));
  const own = new Set(w.branchRef ? [w.branchRef] : []);
  const unreadable = [{ sha: '', subject: 'unreadable' }];
  if ((await commitsOnlyIn(git, repo.commonDir, tips, own).catch(() => unreadable)).length > 0) return true;
  if (!fs.existsSync(w.path)) return false;
  const status = await git.out(w.path, ['status', '--porcelain', '-z', '--no-renames', '--untracked-files=all'], { readOnly: true }).catch(() => null);
  if (status === null) return true;
  // Before its checkout a spawn's index is empty, so every file reads as a staged deletion ("D "):
  // that is no work. Anything else is — an untracked file, or a change to a checked-out file.
  return status.split('\0').some((e) => e.length > 3 && !e.startsWith('D  '));
}

/**
 * Sets aside every damaged record (the caller holds the lock): the notes ref, race and salvage refs
 * git cannot read as Axiom's (moved under refs/axiom/damaged/, compare-and-swap), and metadata files
 * that do not parse (renamed aside in their admin dir).
 */
async function quarantineDamaged(git: GitRunner, repo: RepoInfo): Promise<RepairReport['quarantined']> {
  const out: RepairReport['quarantined'] = [];
  const refs: { ref: string; sha: string; problem: string }[] = [];
  const notes = await damagedNotes(git, repo.commonDir);
  if (notes) refs.push({ ref: notes.record.name, sha: notes.sha, problem: notes.record.problem });
  for (const d of (await readRaceRefs(git, repo)).damaged) refs.push({ ref: d.name, sha: d.sha, problem: d.problem });
  const salvage = await git.out(repo.commonDir, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(objecttype)', SALVAGE_PREFIX], { readOnly: true });
  for (const line of salvage.split('\n').filter(Boolean)) {
    const [ref, sha, type] = line.split('\0') as [string, string, string];
    if (type !== 'commit') refs.push({ ref, sha, problem: `it names a ${type}, not a commit` });
  }
  for (const r of refs) out.push({ record: r.ref, movedTo: await quarantineRef(git, repo.commonDir, r.ref, r.sha), problem: r.problem });
  for (const e of await readAdminEntries(repo.commonDir)) {
    if (!e.problem) continue;
    const file = path.join(e.adminDir, METADATA_FILE);
    const movedTo = `${file}.damaged-${Date.now()}`;
    await fs.promises.rename(file, movedTo);
    out.push({ record: file, movedTo, problem: 'not a metadata file Axiom can read' });
  }
  return out;
}
