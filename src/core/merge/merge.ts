/**
 * Merge an instance back into its base (or another branch), all or nothing (docs/ARCHITECTURE.md
 * §4.4, §4.11).
 *
 * Every strategy first computes the target's new commit without touching any working tree or ref:
 * merge and squash from `merge-tree --write-tree`, rebase and cherry-pick by replaying the commits
 * (replay.ts). A preview runs exactly the same computation, so "no conflicts" is never followed by a
 * conflict. Only then, under the repository lock and after every check, the target moves in one
 * step: a fast-forward of its working tree (`merge --ff-only`, which git refuses rather than
 * overwrite a change) when it is checked out, else a compare-and-swap of its ref. A target that
 * moved meanwhile (a user's commit) is never reset: the merge is planned again once, or refused.
 * The instance branch itself is never rewritten.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomError, isAxiomError, type AxiomErrorCode } from '../errors';
import type { GitRunner } from '../git/git';
import { withRepoLock } from '../instances/lock';
import { recordLanding } from '../instances/metadata';
import { parseMergeTree, parseRawNumstat, parseStatusV2, type FileChange, type StatusEntry } from '../git/parse';
import { listCheckouts, type WorktreeCheckout } from '../git/worktreeRecord';
import { worktreeTree } from '../git/worktreeSnapshot';
import type { RepoInfo } from '../git/repo';
import { resolveBase } from '../instances/spawn';
import { revParse, treesOf, type CommitInfo } from '../git/commits';
import { identityEnv } from '../git/identity';
import { locateInstance, readWhilePresent, type LocatedInstance } from '../instances/locate';
import { plural } from '../text';
import { replayCommits } from '../git/replay';
import { gitDirOf, operationInProgress } from '../git/worktreeState';
import { testHook } from '../testHooks';
import { addWork, describeProvisionedChanges, isProvisioned, provisionedChanges, readProvisioned, withoutProvisioned } from '../provision/provisioned';

import { MERGE_STRATEGIES, type MergeStrategy } from '../choices';
export { MERGE_STRATEGIES, type MergeStrategy };

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
  /**
   * Merge exactly this evaluated state (HEAD + the tree of the worktree as it was evaluated), never
   * a fresh `add --all` of the folder: under the lock, a worktree that differs from it now refuses
   * (`StaleEvaluation`, saying what changed); uncommitted work in it is committed as that very tree.
   */
  exact?: { head: string; tree: string };
  /** Called with the target's next commit just before the target moves (a landing journals it). */
  beforeAdvance?: (next: string) => Promise<void>;
}

export interface MergePlan {
  id: string;
  branch: string;
  target: string;
  strategy: MergeStrategy;
  /** Where the target is checked out (then that working tree is fast-forwarded), or null (its ref moves alone). */
  targetWorktree: string | null;
  /** Commits that would land (empty when everything is already in the target). */
  commits: CommitInfo[];
  files: FileChange[];
  conflicts: string[];
  /** Uncommitted work in the instance (blocks the merge unless commitMessage is given); never a provisioned path. */
  uncommitted: StatusEntry[];
  /** Provisioned files the agent changed, in words ("`.env` — provisioned, changed, not kept"): never committed or merged. */
  provisionedChanged: string[];
  /** Changes in the target's working tree that block the merge. */
  targetChanges: StatusEntry[];
  /** Untracked or ignored files in the target's working tree that the merge would overwrite (it refuses). */
  overwrites: string[];
  /** Everything the instance has is already in the target (by content). */
  nothingToMerge: boolean;
  /** A reason the merge cannot run as asked, already known to the preview. */
  problem: { code: AxiomErrorCode; message: string } | null;
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

/** The plan plus what the real merge needs (never shown). */
interface FullPlan extends MergePlan {
  head: string;
  targetSha: string;
  /** The target's next tree (merge, squash) or commit (rebase, cherry-pick); null when there is none. */
  resultTree: string | null;
  replayTip: string | null;
}

async function statusEntries(git: GitRunner, cwd: string): Promise<StatusEntry[]> {
  const out = await git.out(cwd, ['status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all'], { readOnly: true });
  return parseStatusV2(out).entries;
}

function listPaths(paths: string[], max = 15): string {
  const shown = paths.slice(0, max).map((p) => `  ${p}`);
  if (paths.length > max) shown.push(`  … and ${paths.length - max} more`);
  return shown.join('\n');
}

async function plan(ctx: Ctx, inst: LocatedInstance, options: MergeOptions, headOverride?: string): Promise<FullPlan> {
  const { git, repo } = ctx;
  const strategy = options.strategy ?? 'merge';
  if (!MERGE_STRATEGIES.includes(strategy)) {
    throw new AxiomError('InvalidArgument', `Unknown merge strategy ${JSON.stringify(strategy)}: use one of ${MERGE_STRATEGIES.join(', ')}.`);
  }
  if (inst.missing) throw new AxiomError('NotFound', `The worktree of ${inst.id} (${inst.path}) is missing. Run repair first.`);
  const target = options.into ?? inst.metadata.base;
  const branch = inst.metadata.branch;
  if (target === branch) throw new AxiomError('InvalidArgument', `Cannot merge ${branch} into itself.`);
  const targetSha = await resolveBase(git, repo, target).catch((e: unknown) => {
    if (!isAxiomError(e, 'BaseNotFound') || options.into !== undefined) throw e;
    const other = repo.defaultBranch && repo.defaultBranch !== target ? repo.defaultBranch : '<branch>';
    throw new AxiomError(
      'BaseNotFound',
      `The base branch of ${inst.id}, ${target}, no longer exists${inst.metadata.parent ? ` (it was the branch of ${inst.metadata.parent}, which is gone)` : ''}. Merge it into another branch: axiom merge ${inst.id} --into ${other}.`,
      { branch: target },
    );
  });
  const headRaw = await git.run(inst.path, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { readOnly: true, okExitCodes: [1, 128] });
  if (headRaw.exitCode !== 0) throw new AxiomError('NothingToMerge', `${inst.id} has no commit yet.`);
  const head = headOverride ?? headRaw.stdout.trim();
  const listed = await listCheckouts(git, repo);
  const targetWt = listed.find((w) => w.branchRef === `refs/heads/${target}` && !w.prunable && !w.bare)?.path ?? null;

  let problem = (await instanceProblem(git, repo, inst, headRaw.stdout.trim())) ?? targetBusyProblem(listed, target);

  const provisioned = readProvisioned(inst.adminDir);
  const [instanceEntries, targetEntries, commitsOut, mt, mergeBase] = await Promise.all([
    statusEntries(git, inst.path),
    targetWt ? statusEntries(git, targetWt) : Promise.resolve([] as StatusEntry[]),
    git.out(repo.commonDir, ['log', '--reverse', '--topo-order', '--format=%H%x00%s%x00%P', `${targetSha}..${head}`, '--'], { readOnly: true }),
    git.run(repo.commonDir, ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', '--allow-unrelated-histories', targetSha, head], { readOnly: true, okExitCodes: [1] }),
    git.run(repo.commonDir, ['merge-base', targetSha, head], { readOnly: true, okExitCodes: [1] }).then((r) => r.stdout.trim()),
  ]);
  const commitsWithParents = commitsOut
    .split('\n')
    .filter((l) => l.includes('\0'))
    .map((l) => {
      const [sha, subject, parents] = l.split('\0') as [string, string, string];
      return { sha, subject, merge: parents.trim().includes(' ') };
    });
  const commits: CommitInfo[] = commitsWithParents.map((c) => ({ sha: c.sha, subject: c.subject }));
  const merged = parseMergeTree(mt.stdout, mt.exitCode);
  const [targetTree] = await treesOf(git, repo.commonDir, [targetSha]);

  let conflicts = merged.conflicts;
  let resultTree: string | null = merged.clean ? merged.tree : null;
  let replayTip: string | null = null;
  if (strategy === 'rebase' || strategy === 'cherry-pick') {
    const plain = commitsWithParents.filter((c) => !c.merge).map((c) => c.sha);
    const replay = await replayCommits(git, repo.commonDir, targetSha, plain, await identityEnv(git, repo.commonDir));
    if (!replay.ok) {
      conflicts = replay.conflicts;
      resultTree = null;
    } else {
      conflicts = [];
      const hasMerges = commitsWithParents.some((c) => c.merge);
      // Without merge commits a replay is faithful by construction; with them, only if it ends
      // with the very files a merge of the branch would give (else it would drop their changes).
      if (hasMerges && (!merged.clean || replay.tree !== merged.tree) && !problem) {
        problem = {
          code: 'StrategyUnsupported',
          message:
            `${inst.id} has merge commits whose changes a ${strategy} (one commit at a time) would not keep. ` +
            `Use the merge or squash strategy, which keep everything.`,
        };
      }
      resultTree = replay.tree;
      replayTip = replay.tip;
    }
  }
  const nothingToMerge = conflicts.length === 0 && resultTree === targetTree;
  const files = mergeBase
    ? parseRawNumstat(await git.out(repo.commonDir, ['diff', '--raw', '--numstat', '-z', '--no-renames', mergeBase, head, '--'], { readOnly: true }))
    : [];
  const overwrites = targetWt && resultTree && !nothingToMerge ? await wouldOverwrite(git, targetWt, targetTree!, resultTree) : [];
  const uncommitted = withoutProvisioned(instanceEntries, provisioned);
  // A provisioned file (a secret from the main worktree) that the agent committed never lands.
  const committedProvisioned = files.filter((f) => isProvisioned(f.path, provisioned)).map((f) => f.path);
  if (!problem && committedProvisioned.length > 0) {
    problem = {
      code: 'ProvisionedCommitted',
      message: `${inst.id}'s commits contain ${plural(committedProvisioned.length, 'path')} that Axiom provisioned from the main worktree (never work, never merged): ${committedProvisioned.map((f) => `\`${f}\` — provisioned, committed, not landed`).join('; ')}. Remove ${committedProvisioned.length === 1 ? 'it' : 'them'} from the branch's commits first.`,
    };
  }
  return {
    id: inst.id,
    branch,
    target,
    strategy,
    targetWorktree: targetWt,
    commits: nothingToMerge ? [] : commits,
    files,
    conflicts,
    uncommitted,
    provisionedChanged: describeProvisionedChanges(provisionedChanges(inst.path, provisioned)),
    // Untracked files do not block by themselves; those the merge would overwrite do (overwrites).
    targetChanges: targetEntries.filter((e) => e.kind !== 'untracked'),
    overwrites,
    nothingToMerge,
    problem,
    head,
    targetSha,
    resultTree,
    replayTip,
  };
}

/**
 * A target that some worktree is in the middle of an operation on must not move under it: one
 * rebasing it (its HEAD is detached meanwhile, so `worktree list` does not show the branch), bisecting
 * from it, or having it checked out mid-merge, cherry-pick, revert or bisect.
 */
export function targetBusyProblem(listed: readonly WorktreeCheckout[], target: string): MergePlan['problem'] {
  for (const w of listed) {
    if (w.prunable || w.bare) continue;
    // The admin dir, where git itself looks for a rebase or bisect of the branch (is_worktree_being_rebased).
    const gitDir = w.gitDir ?? gitDirOf(w.path);
    if (!gitDir) continue;
    const op = w.branchRef === `refs/heads/${target}` ? operationInProgress(gitDir) : operationOnBranch(gitDir, target);
    if (op) {
      return {
        code: 'OperationInProgress',
        message: `${target} is in the middle of a ${op} at ${w.path}; finish or abort it there first (git ${op.split(' ')[0]} --continue or --abort), then try again. Nothing was changed.`,
      };
    }
  }
  return null;
}

/** Whether every target in `targets` is free; the first busy one refuses (`OperationInProgress`). */
export async function refuseBusyTargets(ctx: Ctx, targets: Iterable<string>): Promise<void> {
  const listed = await listCheckouts(ctx.git, ctx.repo);
  for (const target of new Set(targets)) {
    const problem = targetBusyProblem(listed, target);
    if (problem) throw new AxiomError(problem.code, problem.message);
  }
}

/** What the worktree whose git dir this is has under way on `branch` while its HEAD is detached. */
function operationOnBranch(gitDir: string, branch: string): string | null {
  const read = (file: string): string | null => {
    try {
      return fs.readFileSync(path.join(gitDir, file), 'utf8').trim();
    } catch {
      return null;
    }
  };
  for (const [file, op] of [['rebase-merge/head-name', 'rebase'], ['rebase-apply/head-name', 'rebase or am'], ['BISECT_START', 'bisect']] as const) {
    const name = read(file);
    if (name !== null && (name === `refs/heads/${branch}` || name === branch)) return op;
  }
  return null;
}

/** In words, what differs between an evaluated state and the worktree now (for a StaleEvaluation). */
export async function describeStaleness(git: GitRunner, cwd: string, evaluated: { head: string; tree: string }, now: { head: string; tree: string }): Promise<string> {
  const parts: string[] = [];
  if (now.head !== evaluated.head) {
    const log = await git.run(cwd, ['log', '--format=%h %s', `${evaluated.head}..${now.head}`, '--'], { readOnly: true, okExitCodes: [128] });
    const commits = log.exitCode === 0 ? log.stdout.split('\n').filter(Boolean) : [];
    parts.push(commits.length ? `new commits: ${commits.slice(0, 5).join('; ')}${commits.length > 5 ? ' …' : ''}` : `HEAD moved from ${evaluated.head.slice(0, 10)} to ${now.head.slice(0, 10)}`);
  }
  if (now.tree !== evaluated.tree) {
    const out = await git.out(cwd, ['diff', '--name-status', '-z', '--no-renames', evaluated.tree, now.tree, '--'], { readOnly: true });
    const fields = out.split('\0');
    const files: string[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) files.push(`${fields[i + 1]!} (${FILE_CHANGE_WORDS[fields[i]!] ?? fields[i]!})`);
    parts.push(`files changed since: ${files.slice(0, 10).join(', ')}${files.length > 10 ? ` … and ${files.length - 10} more` : ''}`);
  }
  return parts.join('; ');
}

const FILE_CHANGE_WORDS: Record<string, string> = { A: 'added', M: 'modified', D: 'deleted', T: 'type changed' };

/** An instance in the middle of something, or whose HEAD left its branch, cannot be merged as it is. */
async function instanceProblem(git: GitRunner, repo: RepoInfo, inst: LocatedInstance, head: string): Promise<MergePlan['problem']> {
  const op = operationInProgress(inst.adminDir);
  if (op) {
    return {
      code: 'OperationInProgress',
      message: `${inst.id} is in the middle of a ${op}; finish or abort it in its worktree first (git ${op.split(' ')[0]} --continue or --abort).`,
    };
  }
  const tip = await git.run(repo.commonDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${inst.metadata.branch}`], { readOnly: true, okExitCodes: [1] });
  if (tip.exitCode === 0 && tip.stdout.trim() !== head) {
    const onBranch = await git.run(inst.path, ['symbolic-ref', '-q', 'HEAD'], { readOnly: true, okExitCodes: [1] });
    if (onBranch.stdout.trim() !== `refs/heads/${inst.metadata.branch}`) {
      return {
        code: 'OperationInProgress',
        message: `The worktree of ${inst.id} is not on its branch ${inst.metadata.branch} (HEAD is ${onBranch.stdout.trim() || `detached at ${head.slice(0, 10)}`}). Switch back (git switch ${inst.metadata.branch}) so it is clear what to merge.`,
      };
    }
  }
  return null;
}

/** Files the merge would write over that the target's working tree has untracked or ignored. */
async function wouldOverwrite(git: GitRunner, targetWt: string, fromTree: string, toTree: string): Promise<string[]> {
  const changed = (await git.out(targetWt, ['diff-tree', '-r', '-z', '--no-renames', '--name-only', '--diff-filter=AMT', fromTree, toTree], { readOnly: true }))
    .split('\0')
    .filter(Boolean);
  if (changed.length === 0) return [];
  // A path that is on disk, or a parent folder of it that is a file on disk, and is not tracked there.
  const candidates = new Set<string>();
  for (const file of changed) {
    const parts = file.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      let st: fs.Stats;
      try {
        st = fs.lstatSync(path.join(targetWt, p));
      } catch {
        break;
      }
      if (i === parts.length || !st.isDirectory()) candidates.add(p);
      if (!st.isDirectory()) break;
    }
  }
  if (candidates.size === 0) return [];
  const trackedList = (await git.out(targetWt, ['ls-files', '-z', '--', ...[...candidates].map((c) => `:(literal)${c}`)], { readOnly: true }))
    .split('\0')
    .filter(Boolean);
  const tracked = new Set(trackedList);
  // A folder counts as tracked when git tracks files in it.
  for (const t of trackedList) for (let i = t.indexOf('/'); i !== -1; i = t.indexOf('/', i + 1)) tracked.add(t.slice(0, i));
  return [...candidates].filter((c) => !tracked.has(c)).sort();
}

export async function mergeInstance(ctx: Ctx, id: string, options: MergeOptions = {}): Promise<MergeResult | MergePlan> {
  const { repo } = ctx;
  if (options.preview) {
    // Read-only, so without the lock: an instance removed meanwhile is NotFound.
    const inst = await locateInstance(repo, id);
    return visible(await readWhilePresent(inst, () => plan(ctx, inst, options)));
  }
  return withRepoLock(repo.commonDir, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await mergeOnce(ctx, await locateInstance(repo, id), options);
      } catch (e) {
        // The target moved between our plan and our move (a user's commit): plan again, once.
        if (isAxiomError(e, 'TargetMoved') && attempt < 2) continue;
        throw e;
      }
    }
  });
}

function visible(p: FullPlan): MergePlan {
  const { head: _h, targetSha: _t, resultTree: _r, replayTip: _p, ...shown } = p;
  return shown;
}

async function mergeOnce(ctx: Ctx, inst: LocatedInstance, options: MergeOptions): Promise<MergeResult> {
  const { git, repo } = ctx;
  let p = await plan(ctx, inst, options);
  if (p.problem) throw new AxiomError(p.problem.code, p.problem.message, { path: inst.path });
  // Uncommitted work: committed as an object first; the instance's branch moves only after the target did.
  let commitAll: { from: string; to: string } | null = null;
  if (options.exact) {
    const exact = options.exact;
    const now = await worktreeTree(git, inst.path, inst.adminDir);
    if (now.head !== exact.head || now.tree !== exact.tree) {
      throw new AxiomError(
        'StaleEvaluation',
        `${inst.id} changed after it was evaluated (${await describeStaleness(git, inst.path, exact, now)}); nothing was changed. Evaluate it again, or choose it explicitly to land its current state.`,
        { path: inst.path, hint: { next: [{ run: 'evaluate', id: inst.id }, { option: 'pick', value: inst.id }] } },
      );
    }
    if (exact.tree !== now.headTree) {
      // The evaluated tree itself, on the evaluated HEAD: nothing written since can slip in.
      const env = await identityEnv(git, inst.path);
      const to = (await git.out(inst.path, ['commit-tree', exact.tree, '-p', exact.head, '-F', '-'], { env, input: options.commitMessage ?? `${inst.id}: evaluated work\n` })).trim();
      commitAll = { from: exact.head, to };
      p = await plan(ctx, inst, options, to);
      if (p.problem) throw new AxiomError(p.problem.code, p.problem.message, { path: inst.path });
    }
  } else if (p.uncommitted.length > 0) {
    if (!options.commitMessage) {
      throw new AxiomError(
        'DirtyWorktree',
        `${inst.id} has ${plural(p.uncommitted.length, 'uncommitted change')}; commit them first (or pass a commit message to commit them all):\n${listPaths(p.uncommitted.map((e) => e.path))}`,
        { files: p.uncommitted.map((e) => e.path) },
      );
    }
    const to = await commitAllAsObject(git, inst, p.head, p.uncommitted, options.commitMessage);
    commitAll = { from: p.head, to };
    p = await plan(ctx, inst, options, to);
    if (p.problem) throw new AxiomError(p.problem.code, p.problem.message, { path: inst.path });
  }
  if (p.targetChanges.length > 0) {
    throw new AxiomError(
      'TargetDirty',
      `${p.target} is checked out at ${p.targetWorktree} with uncommitted changes; commit or stash them there first:\n${listPaths(p.targetChanges.map((e) => e.path))}`,
      { files: p.targetChanges.map((e) => e.path), path: p.targetWorktree ?? undefined },
    );
  }
  if (p.conflicts.length > 0) {
    if (options.onConflict === 'leave' && p.targetWorktree && (p.strategy === 'merge' || p.strategy === 'squash') && !commitAll) {
      // The user chose to resolve in VS Code's merge editor: start the merge there and leave it.
      const args = p.strategy === 'merge' ? ['merge', '--no-ff', '--no-commit', p.head] : ['merge', '--squash', p.head];
      await git.run(p.targetWorktree, args, { okExitCodes: [1] });
      return { ...visible(p), merged: false, previousTargetSha: p.targetSha, newTargetSha: null, conflictLeftIn: p.targetWorktree };
    }
    throw new AxiomError(
      'MergeConflict',
      `Merging ${inst.id} into ${p.target} (${p.strategy}) would conflict in ${plural(p.conflicts.length, 'file')}; nothing was changed:\n${listPaths(p.conflicts)}`,
      { conflicts: p.conflicts },
    );
  }
  if (p.nothingToMerge || !p.resultTree) {
    throw new AxiomError('NothingToMerge', `${inst.id} has nothing that is not already in ${p.target}.`);
  }
  if (p.overwrites.length > 0) {
    throw new AxiomError(
      'TargetDirty',
      `Merging ${inst.id} would overwrite ${plural(p.overwrites.length, 'file')} that ${p.target}'s working tree at ${p.targetWorktree} has but does not track (untracked or ignored, e.g. a local .env); move them away first:\n${listPaths(p.overwrites)}`,
      { files: p.overwrites, path: p.targetWorktree ?? undefined },
    );
  }
  const env = await identityEnv(git, repo.commonDir);
  const message = options.message ?? defaultMessage(p);
  const next =
    p.strategy === 'merge' ? await commitTree(git, repo, p.resultTree, [p.targetSha, p.head], message, env)
    : p.strategy === 'squash' ? await commitTree(git, repo, p.resultTree, [p.targetSha], message, env)
    : p.replayTip!;
  await testHook('merge:before-advance');
  await options.beforeAdvance?.(next);
  await advanceTarget(git, repo, p, next);
  if (commitAll) await moveInstanceBranch(git, inst, commitAll);
  // The landing is recorded with the commit it made: a squash leaves no ancestry to judge it by later.
  await recordLanding(inst.adminDir, { into: p.target, strategy: p.strategy, headSha: commitAll?.to ?? p.head, landingSha: next });
  return { ...visible(p), merged: true, previousTargetSha: p.targetSha, newTargetSha: next };
}

async function commitTree(git: GitRunner, repo: RepoInfo, tree: string, parents: string[], message: string, env: Record<string, string> | undefined): Promise<string> {
  return (await git.out(repo.commonDir, ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], { env, input: message })).trim();
}

/**
 * Moves the target to `next`, which has the target's current commit as an ancestor: a fast-forward
 * of its working tree (git refuses rather than overwrite a local change) or a compare-and-swap of
 * its ref. Either fails as a whole when the target moved meanwhile.
 */
async function advanceTarget(git: GitRunner, repo: RepoInfo, p: FullPlan, next: string): Promise<void> {
  if (!p.targetWorktree) {
    const r = await git.run(repo.commonDir, ['update-ref', '-m', `axiom: ${p.strategy} ${p.id} into ${p.target}`, `refs/heads/${p.target}`, next, p.targetSha], {
      okExitCodes: [1, 128],
    });
    if (r.exitCode !== 0) throw targetMoved(p);
    return;
  }
  const now = await revParse(git, p.targetWorktree, 'HEAD');
  if (now !== p.targetSha) throw targetMoved(p);
  try {
    await git.run(p.targetWorktree, ['merge', '--ff-only', '--quiet', next]);
  } catch (e) {
    if (isAxiomError(e) && /not possible to fast-forward|non-fast-forward/i.test(e.details.stderr ?? '')) throw targetMoved(p);
    if (isAxiomError(e)) {
      throw new AxiomError(
        e.code === 'GitFailed' ? 'TargetDirty' : e.code,
        `Could not bring ${p.target} at ${p.targetWorktree} forward; nothing was changed. ${e.message}`,
        { ...e.details, path: p.targetWorktree },
      );
    }
    throw e;
  }
}

function targetMoved(p: FullPlan): AxiomError {
  return new AxiomError('TargetMoved', `${p.target} moved while ${p.id} was being merged (a commit was made there); nothing was changed. Try again.`);
}

/**
 * The instance's uncommitted work as a commit object on top of its HEAD, made with a private index
 * (the worktree's own index and files are not touched). Nested repositories are refused: `git add`
 * would store them as a link to commits that exist nowhere else.
 */
async function commitAllAsObject(git: GitRunner, inst: LocatedInstance, head: string, uncommitted: StatusEntry[], message: string): Promise<string> {
  if (uncommitted.some((e) => e.kind === 'conflicted')) {
    throw new AxiomError('DirtyWorktree', `${inst.id} has unresolved conflicts; resolve them in its worktree first.`, {
      files: uncommitted.filter((e) => e.kind === 'conflicted').map((e) => e.path),
    });
  }
  const nested = uncommitted.filter((e) => e.kind === 'untracked' && gitDirOf(path.join(inst.path, e.path.replace(/\/$/, ''))) !== null).map((e) => e.path);
  if (nested.length > 0) {
    throw new AxiomError(
      'NestedRepository',
      `${inst.id} contains ${plural(nested.length, 'nested git repository')} (${nested.join(', ')}); committing would store only a link to commits that live nowhere else. Commit its files as plain files (remove its .git) or add it as a submodule first.`,
      { files: nested },
    );
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-commit-all-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(scratch, 'index'), ...(await identityEnv(git, inst.path)) };
    await git.run(inst.path, ['read-tree', head], { env });
    await addWork(git, inst.path, env, head, readProvisioned(inst.adminDir));
    const tree = (await git.out(inst.path, ['write-tree'], { env })).trim();
    return (await git.out(inst.path, ['commit-tree', tree, '-p', head, '-F', '-'], { env, input: message })).trim();
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Puts the commit-all commit on the instance's branch (only if the branch did not move) and syncs its index. */
async function moveInstanceBranch(git: GitRunner, inst: LocatedInstance, move: { from: string; to: string }): Promise<void> {
  const r = await git.run(inst.path, ['update-ref', '-m', 'axiom: commit all before merge', `refs/heads/${inst.metadata.branch}`, move.to, move.from], {
    okExitCodes: [1, 128],
  });
  // Moved meanwhile (the agent committed): its work stays as it is; the merged snapshot is in the target.
  if (r.exitCode === 0) await git.run(inst.path, ['reset', '--quiet']);
}

function defaultMessage(p: MergePlan): string {
  if (p.strategy === 'squash') {
    const lines = p.commits.map((c) => `* ${c.subject}`).join('\n');
    return `${p.id}: squash ${plural(p.commits.length, 'commit')} from ${p.branch}\n\n${lines}\n`;
  }
  return `Merge Axiom instance ${p.id} (${p.branch}) into ${p.target}\n`;
}
