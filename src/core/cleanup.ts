/**
 * Safe cleanup (DESIGN.md §4): refuse when work would be lost and say exactly what; with `force`,
 * write a salvage ref first. Removal moves the folder aside, unregisters it under the lock, and
 * deletes the files outside the lock.
 */
import * as fs from 'node:fs';
import { AxiomError } from './errors';
import type { GitRunner } from './git';
import { withRepoLock } from './lock';
import { parseStatusV2, type StatusEntry } from './parse';
import type { RepoInfo } from './repo';
import { revParse, unmergedCommits, type CommitInfo } from './commits';
import { writeSalvage } from './salvage';
import { stopHeadlessAgent } from './processes';
import type { LocatedInstance } from './locate';
import { plural } from './text';

export interface CleanupOptions {
  force?: boolean;
  keepBranch?: boolean;
}

export interface WorkAtRisk {
  files: StatusEntry[];
  commits: CommitInfo[];
}

export interface CleanupResult {
  id: string;
  path: string;
  branch: string;
  branchDeleted: boolean;
  salvageRef: string | null;
  atRisk: WorkAtRisk;
}

/** Uncommitted files and commits that are not in the base (by patch id, or merged by Axiom at this HEAD). */
export async function workAtRisk(git: GitRunner, repo: RepoInfo, inst: LocatedInstance): Promise<WorkAtRisk> {
  if (inst.missing) {
    // Only committed work can be at risk when the folder is gone.
    const head = await revParse(git, repo.commonDir, `refs/heads/${inst.metadata.branch}`).catch(() => null);
    return { files: [], commits: head ? await committedAtRisk(git, repo, inst, head) : [] };
  }
  const [statusOut, head] = await Promise.all([
    git.out(inst.path, ['status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all'], { readOnly: true }),
    revParse(git, inst.path, 'HEAD'),
  ]);
  return { files: parseStatusV2(statusOut).entries, commits: await committedAtRisk(git, repo, inst, head) };
}

async function committedAtRisk(git: GitRunner, repo: RepoInfo, inst: LocatedInstance, head: string): Promise<CommitInfo[]> {
  if (inst.metadata.merged?.headSha === head) return [];
  const baseExists = await revParse(git, repo.commonDir, `refs/heads/${inst.metadata.base}`).then(
    () => true,
    () => false,
  );
  const upstream = baseExists ? `refs/heads/${inst.metadata.base}` : inst.metadata.baseSha;
  return unmergedCommits(git, repo.commonDir, upstream, head);
}

export function describeRisk(id: string, risk: WorkAtRisk, max = 15): string {
  const lines: string[] = [];
  if (risk.files.length) {
    lines.push(`${plural(risk.files.length, 'uncommitted file')}:`);
    for (const f of risk.files.slice(0, max)) lines.push(`  ${f.kind === 'untracked' ? '?' : f.kind === 'conflicted' ? 'U' : f.worktree !== '.' ? f.worktree : f.index} ${f.path}`);
    if (risk.files.length > max) lines.push(`  … and ${risk.files.length - max} more`);
  }
  if (risk.commits.length) {
    lines.push(`${plural(risk.commits.length, 'commit')} not in the base:`);
    for (const c of risk.commits.slice(0, max)) lines.push(`  ${c.sha.slice(0, 10)} ${c.subject}`);
    if (risk.commits.length > max) lines.push(`  … and ${risk.commits.length - max} more`);
  }
  return `Cleaning up ${id} would lose work:\n${lines.join('\n')}\nMerge or commit it first, or force the cleanup (a salvage ref keeps everything; restore it later).`;
}

function refuseIfAtRisk(inst: LocatedInstance, risk: WorkAtRisk): void {
  if (risk.files.length === 0 && risk.commits.length === 0) return;
  throw new AxiomError(risk.files.length ? 'DirtyWorktree' : 'UnmergedCommits', describeRisk(inst.id, risk), {
    files: risk.files.map((f) => f.path),
    commits: risk.commits,
    path: inst.path,
  });
}

export async function cleanupInstance(git: GitRunner, repo: RepoInfo, inst: LocatedInstance, options: CleanupOptions = {}): Promise<CleanupResult> {
  // A refused cleanup must not stop a working agent: check first, then stop it, then check again
  // (it may have written something meanwhile) before anything is removed.
  let risk = await workAtRisk(git, repo, inst);
  if (!options.force) refuseIfAtRisk(inst, risk);
  if (await stopHeadlessAgent(inst.adminDir)) risk = await workAtRisk(git, repo, inst);
  const atRisk = risk.files.length > 0 || risk.commits.length > 0;
  if (!options.force) refuseIfAtRisk(inst, risk);
  const branch = inst.metadata.branch;
  const aside = `${inst.path}.axiom-removing-${process.pid}-${Date.now()}`;
  const result = await withRepoLock(repo.commonDir, async () => {
    let salvageRef: string | null = null;
    if (atRisk) {
      salvageRef = inst.missing
        ? await salvageBranchTip(git, repo, inst)
        : await writeSalvage(git, repo, inst.id, inst.path, branch, inst.metadata.base, inst.metadata);
    }
    if (!inst.missing) fs.renameSync(inst.path, aside);
    await git.run(repo.commonDir, ['worktree', 'remove', '--force', '--force', inst.path]);
    let branchDeleted = false;
    if (!options.keepBranch) {
      const r = await git.run(repo.commonDir, ['branch', '-D', '--', branch], { okExitCodes: [1] });
      branchDeleted = r.exitCode === 0;
    }
    return { salvageRef, branchDeleted };
  });
  if (fs.existsSync(aside)) await fs.promises.rm(aside, { recursive: true, force: true, maxRetries: 3 });
  return { id: inst.id, path: inst.path, branch, atRisk: risk, ...result };
}

async function salvageBranchTip(git: GitRunner, repo: RepoInfo, inst: LocatedInstance): Promise<string> {
  const sha = await revParse(git, repo.commonDir, `refs/heads/${inst.metadata.branch}`);
  const ref = `refs/axiom/salvage/${inst.id}/${Date.now()}`;
  await git.run(repo.commonDir, ['update-ref', ref, sha, '']);
  return ref;
}

export interface CleanupAllResult {
  cleaned: CleanupResult[];
  refused: { id: string; code: string; message: string }[];
  skipped: { id: string; reason: string }[];
}
