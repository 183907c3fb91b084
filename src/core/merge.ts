/**
 * Merge an instance back into its base (or another branch), all or nothing (DESIGN.md §4).
 * Preview with `merge-tree --write-tree` first; a target checked out somewhere must be clean; a
 * target checked out nowhere is merged without a working tree (write tree, commit, move the ref).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomError } from './errors';
import type { GitRunner } from './git';
import { withRepoLock } from './lock';
import { updateMetadata } from './metadata';
import { parseMergeTree, parseRawNumstat, parseStatusV2, parseWorktreeList, type FileChange, type StatusEntry } from './parse';
import type { RepoInfo } from './repo';
import { resolveBase } from './spawn';
import { commitsBetween, revParse, type CommitInfo } from './commits';
import { identityEnv } from './identity';
import type { LocatedInstance } from './locate';
import { plural } from './text';

export const MERGE_STRATEGIES = ['merge', 'squash', 'rebase', 'cherry-pick'] as const;
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

export interface MergeOptions {
  strategy?: MergeStrategy;
  /** Target branch; default the instance's base. */
  into?: string;
  /** Report what would happen; change nothing. */
  preview?: boolean;
  /** Commit the instance's uncommitted work first with this message (else uncommitted work refuses). */
  commitMessage?: string;
  /** Message of the merge or squash commit. */
  message?: string;
  /** 'leave': on conflict, leave the merge in progress in the target's working tree (for a merge editor). */
  onConflict?: 'abort' | 'leave';
}

export interface MergePlan {
  id: string;
  branch: string;
  target: string;
  strategy: MergeStrategy;
  /** Where the target is checked out (then the merge runs there), or null (merged without a working tree). */
  targetWorktree: string | null;
  commits: CommitInfo[];
  files: FileChange[];
  conflicts: string[];
  /** Uncommitted work in the instance (blocks the merge unless commitMessage is given). */
  uncommitted: StatusEntry[];
  /** Changes in the target's working tree that block the merge. */
  targetChanges: StatusEntry[];
}

export interface MergeResult extends MergePlan {
  merged: boolean;
  previousTargetSha: string;
  newTargetSha: string | null;
  /** Set when onConflict 'leave' left a merge in progress there. */
  conflictLeftIn?: string;
}

interface Ctx {
  git: GitRunner;
  repo: RepoInfo;
}

async function statusEntries(git: GitRunner, cwd: string): Promise<StatusEntry[]> {
  const out = await git.out(cwd, ['status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all'], { readOnly: true });
  return parseStatusV2(out).entries;
}

function listPaths(entries: { path: string }[], max = 15): string {
  const shown = entries.slice(0, max).map((e) => `  ${e.path}`);
  if (entries.length > max) shown.push(`  … and ${entries.length - max} more`);
  return shown.join('\n');
}

async function plan(ctx: Ctx, inst: LocatedInstance, options: MergeOptions): Promise<MergePlan & { head: string; targetSha: string }> {
  const { git, repo } = ctx;
  const strategy = options.strategy ?? 'merge';
  if (!MERGE_STRATEGIES.includes(strategy)) {
    throw new AxiomError('InvalidArgument', `Unknown merge strategy ${JSON.stringify(strategy)}: use one of ${MERGE_STRATEGIES.join(', ')}.`);
  }
  if (inst.missing) throw new AxiomError('NotFound', `The worktree of ${inst.id} (${inst.path}) is missing. Run repair first.`);
  const target = options.into ?? inst.metadata.base;
  const targetSha = await resolveBase(git, repo, target);
  const branch = inst.metadata.branch;
  if (target === branch) throw new AxiomError('InvalidArgument', `Cannot merge ${branch} into itself.`);
  const head = await revParse(git, inst.path, 'HEAD');
  const listed = parseWorktreeList(await git.out(repo.commonDir, ['worktree', 'list', '--porcelain', '-z'], { readOnly: true }));
  const targetWt = listed.find((w) => w.branchRef === `refs/heads/${target}` && !w.prunable && !w.bare)?.path ?? null;

  const [uncommitted, targetEntries, commits, mt] = await Promise.all([
    statusEntries(git, inst.path),
    targetWt ? statusEntries(git, targetWt) : Promise.resolve([] as StatusEntry[]),
    commitsBetween(git, inst.path, targetSha, head),
    git.run(repo.commonDir, ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', targetSha, head], {
      readOnly: true,
      okExitCodes: [1],
    }),
  ]);
  const mergeBase = (await git.out(repo.commonDir, ['merge-base', targetSha, head], { readOnly: true })).trim();
  const files = parseRawNumstat(
    await git.out(repo.commonDir, ['diff', '--raw', '--numstat', '-z', '--no-renames', mergeBase, head, '--'], { readOnly: true }),
  );
  // A squash / rebase / cherry-pick leaves the instance's commits outside the target's history:
  // the merge record says this HEAD is already in, so merging it again would only add a no-op commit.
  const alreadyMerged = inst.metadata.merged?.headSha === head && inst.metadata.merged.into === target;
  return {
    id: inst.id,
    branch,
    target,
    strategy,
    targetWorktree: targetWt,
    commits: alreadyMerged ? [] : commits,
    files,
    conflicts: parseMergeTree(mt.stdout, mt.exitCode).conflicts,
    uncommitted,
    // Untracked files in the target do not block; git itself refuses if the merge would overwrite one.
    targetChanges: targetEntries.filter((e) => e.kind !== 'untracked'),
    head,
    targetSha,
  };
}

export async function mergeInstance(ctx: Ctx, inst: LocatedInstance, options: MergeOptions = {}): Promise<MergeResult | MergePlan> {
  const { git, repo } = ctx;
  if (options.preview) {
    const p = await plan(ctx, inst, options);
    const { head: _h, targetSha: _t, ...visible } = p;
    return visible;
  }
  return withRepoLock(repo.commonDir, async () => {
    let p = await plan(ctx, inst, options);
    if (p.uncommitted.length > 0) {
      if (!options.commitMessage) {
        throw new AxiomError(
          'DirtyWorktree',
          `${inst.id} has ${plural(p.uncommitted.length, 'uncommitted change')}; commit them first (or pass a commit message to commit them all):\n${listPaths(p.uncommitted)}`,
          { files: p.uncommitted.map((e) => e.path) },
        );
      }
      if (p.uncommitted.some((e) => e.kind === 'conflicted')) {
        throw new AxiomError('DirtyWorktree', `${inst.id} has unresolved conflicts; resolve them in its worktree first.`, {
          files: p.uncommitted.filter((e) => e.kind === 'conflicted').map((e) => e.path),
        });
      }
      await git.run(inst.path, ['add', '--all', '--', '.']);
      await git.run(inst.path, ['commit', '--quiet', '--no-verify', '-m', options.commitMessage], { env: await identityEnv(git, inst.path) });
      p = await plan(ctx, inst, options);
    }
    if (p.targetChanges.length > 0) {
      throw new AxiomError(
        'TargetDirty',
        `${p.target} is checked out at ${p.targetWorktree} with uncommitted changes; commit or stash them there first:\n${listPaths(p.targetChanges)}`,
        { files: p.targetChanges.map((e) => e.path), path: p.targetWorktree ?? undefined },
      );
    }
    if (p.commits.length === 0) {
      throw new AxiomError('NothingToMerge', `${inst.id} has no commits that are not already in ${p.target}.`);
    }
    const { head, targetSha, ...visible } = p;
    if (p.conflicts.length > 0) {
      if (options.onConflict === 'leave' && p.targetWorktree && (p.strategy === 'merge' || p.strategy === 'squash')) {
        const args = p.strategy === 'merge' ? ['merge', '--no-ff', '--no-commit', head] : ['merge', '--squash', head];
        await git.run(p.targetWorktree, args, { okExitCodes: [1] });
        return { ...visible, merged: false, previousTargetSha: targetSha, newTargetSha: null, conflictLeftIn: p.targetWorktree };
      }
      throw new AxiomError(
        'MergeConflict',
        `Merging ${inst.id} into ${p.target} would conflict in ${plural(p.conflicts.length, 'file')}; nothing was changed:\n${listPaths(p.conflicts.map((f) => ({ path: f })))}`,
        { conflicts: p.conflicts },
      );
    }
    const message = options.message ?? defaultMessage(p);
    const env = await identityEnv(git, repo.commonDir);
    let finalHead = head;
    let newTargetSha: string;
    switch (p.strategy) {
      case 'merge':
      case 'squash':
        newTargetSha = p.targetWorktree
          ? await mergeInWorktree(git, p.targetWorktree, p.strategy, head, targetSha, message, env)
          : await mergeWithoutWorktree(git, repo, p.strategy, p.target, head, targetSha, message, env);
        break;
      case 'cherry-pick':
        newTargetSha = await cherryPick(git, repo, p.targetWorktree, p.target, targetSha, p.commits, env);
        break;
      case 'rebase':
        finalHead = await rebaseOnto(git, inst.path, targetSha, env);
        newTargetSha = await fastForward(git, repo, p.targetWorktree, p.target, targetSha, finalHead);
        break;
    }
    await updateMetadata(inst.adminDir, (m) => ({
      ...m,
      merged: { into: p.target, strategy: p.strategy, at: new Date().toISOString(), headSha: finalHead },
    }));
    return { ...visible, merged: true, previousTargetSha: targetSha, newTargetSha };
  });
}

function defaultMessage(p: MergePlan): string {
  if (p.strategy === 'squash') {
    const lines = p.commits.map((c) => `* ${c.subject}`).join('\n');
    return `${p.id}: squash ${plural(p.commits.length, 'commit')} from ${p.branch}\n\n${lines}\n`;
  }
  return `Merge Axiom instance ${p.id} (${p.branch}) into ${p.target}`;
}

async function mergeWithoutWorktree(
  git: GitRunner,
  repo: RepoInfo,
  strategy: 'merge' | 'squash',
  target: string,
  head: string,
  targetSha: string,
  message: string,
  env: Record<string, string> | undefined,
): Promise<string> {
  const mt = await git.run(repo.commonDir, ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', targetSha, head], {
    okExitCodes: [1],
  });
  const result = parseMergeTree(mt.stdout, mt.exitCode);
  if (!result.clean) throw new AxiomError('MergeConflict', `Merging into ${target} conflicts; nothing was changed.`, { conflicts: result.conflicts });
  const parents = strategy === 'merge' ? ['-p', targetSha, '-p', head] : ['-p', targetSha];
  const commit = (await git.out(repo.commonDir, ['commit-tree', result.tree, ...parents, '-m', message], { env })).trim();
  // The old value makes this a compare-and-swap: if someone moved the target meanwhile, nothing changes.
  await git.run(repo.commonDir, ['update-ref', '-m', `axiom: ${strategy} into ${target}`, `refs/heads/${target}`, commit, targetSha]);
  return commit;
}

async function mergeInWorktree(
  git: GitRunner,
  wt: string,
  strategy: 'merge' | 'squash',
  head: string,
  targetSha: string,
  message: string,
  env: Record<string, string> | undefined,
): Promise<string> {
  try {
    if (strategy === 'merge') {
      await git.run(wt, ['merge', '--no-ff', '--no-edit', '-m', message, head], { env });
    } else {
      await git.run(wt, ['merge', '--squash', head]);
      await git.run(wt, ['commit', '--quiet', '--no-verify', '-m', message], { env });
    }
  } catch (e) {
    // Back to exactly where the target was; it was clean before we started.
    await git.run(wt, ['merge', '--abort'], { okExitCodes: [128] }).catch(() => undefined);
    await git.run(wt, ['reset', '--merge', targetSha]).catch(() => undefined);
    throw e;
  }
  return revParse(git, wt, 'HEAD');
}

async function cherryPick(
  git: GitRunner,
  repo: RepoInfo,
  targetWt: string | null,
  target: string,
  targetSha: string,
  commits: CommitInfo[],
  env: Record<string, string> | undefined,
): Promise<string> {
  const shas = commits.map((c) => c.sha);
  if (targetWt) {
    try {
      await git.run(targetWt, ['cherry-pick', '--allow-empty', '--keep-redundant-commits', ...shas], { env });
    } catch (e) {
      await git.run(targetWt, ['cherry-pick', '--abort'], { okExitCodes: [128] }).catch(() => undefined);
      await git.run(targetWt, ['reset', '--merge', targetSha]).catch(() => undefined);
      throw asConflict(e, target);
    }
    return revParse(git, targetWt, 'HEAD');
  }
  // No worktree has the target: replay in a temporary detached worktree, then move the ref.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-pick-'));
  fs.rmdirSync(tmp);
  try {
    await git.run(repo.commonDir, ['worktree', 'add', '--detach', '--quiet', tmp, targetSha]);
    try {
      await git.run(tmp, ['cherry-pick', '--allow-empty', '--keep-redundant-commits', ...shas], { env });
    } catch (e) {
      throw asConflict(e, target);
    }
    const newSha = await revParse(git, tmp, 'HEAD');
    await git.run(repo.commonDir, ['update-ref', '-m', `axiom: cherry-pick into ${target}`, `refs/heads/${target}`, newSha, targetSha]);
    return newSha;
  } finally {
    await git.run(repo.commonDir, ['worktree', 'remove', '--force', '--force', tmp], { okExitCodes: [128] }).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function rebaseOnto(git: GitRunner, instancePath: string, targetSha: string, env: Record<string, string> | undefined): Promise<string> {
  try {
    await git.run(instancePath, ['rebase', '--no-autostash', targetSha], { env });
  } catch (e) {
    await git.run(instancePath, ['rebase', '--abort'], { okExitCodes: [128] }).catch(() => undefined);
    throw asConflict(e, 'the rebased branch');
  }
  return revParse(git, instancePath, 'HEAD');
}

async function fastForward(
  git: GitRunner,
  repo: RepoInfo,
  targetWt: string | null,
  target: string,
  targetSha: string,
  newHead: string,
): Promise<string> {
  if (targetWt) await git.run(targetWt, ['merge', '--ff-only', '--quiet', newHead]);
  else await git.run(repo.commonDir, ['update-ref', '-m', `axiom: rebase into ${target}`, `refs/heads/${target}`, newHead, targetSha]);
  return newHead;
}

function asConflict(e: unknown, where: string): AxiomError {
  if (e instanceof AxiomError && e.code !== 'MergeConflict' && !/conflict/i.test(e.details.stderr ?? '')) return e;
  const stderr = e instanceof AxiomError ? (e.details.stderr ?? e.message) : String(e);
  return new AxiomError('MergeConflict', `Replaying the commits onto ${where} conflicted; nothing was changed.`, { stderr });
}
