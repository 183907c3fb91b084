/**
 * Safe cleanup (docs/ARCHITECTURE.md §4.11). Everything that decides runs under the repository lock,
 * on the state it then changes:
 * 1. find the instance again (a concurrent cleanup may have removed it: NotFound);
 * 2. a worktree lock the user set, or a running agent, refuses (a headless agent Axiom started is
 *    stopped first — but never when the cleanup would be refused anyway);
 * 3. assess what would be lost (risk.ts); refuse unless forced; run the configuration's teardown
 *    (.axiom.json) and assess again, as it may have written something;
 * 4. move the folder aside (atomic; recorded in a journal so a crash is undone by repair) and look
 *    again: whatever an agent wrote until that instant is seen;
 * 5. forced: write the salvage ref; then unregister the worktree and delete its branch
 *    compare-and-swap (a branch that moved meanwhile is kept);
 * 6. outside the lock: delete the folder, release the instance's ports.
 */
import * as fs from 'node:fs';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { withRepoLock } from './lock';
import type { RepoInfo } from '../git/repo';
import { writeSalvage, type SalvageInput } from './salvage';
import { writeWorktreeTree } from '../git/worktreeTree';
import { readProvisioned } from '../provision/provisioned';
import { agentRunning, stopAgentLeftovers, stopHeadlessAgent } from '../processes/processes';
import { stopOwnedProcesses } from '../processes/ownedProcesses';
import { locateInstance, readWhilePresent, type LocatedInstance } from './locate';
import { plural } from '../text';
import { assessRisk, hasWorkAtRisk, type WorkAtRisk } from './risk';
import { brokenGitFile, findMovedWorktree, spawnInProgress, userLockReason } from '../git/worktreeState';
import { isSameProcessAlive } from '../processes/processIdentity';
import { readProcessRecord } from '../processes/agentState';
import { finishRemoval, journalRemoval, journalUnregistered } from './removalJournal';
import type { StatusEntry } from '../git/parse';
import { crashPoint, testHook } from '../testHooks';
import { releaseAfterCleanup, teardownBeforeCleanup, type TeardownResult } from '../provision/instanceSetup';
import { readAdminEntries, updateMetadata, type AdminEntry } from './metadata';

export type { WorkAtRisk } from './risk';

export interface CleanupOptions {
  force?: boolean;
  keepBranch?: boolean;
  /**
   * The instance's agent runs in a terminal this front end owns: called (under the lock, only when
   * the cleanup is going ahead) to close it. Without it a running terminal agent refuses the cleanup
   * unless forced.
   */
  stopTerminalAgent?: () => Promise<void>;
  /** Count the ignored files deleted with the worktree, for the result (default true; a landing does not report them). */
  countIgnored?: boolean;
  /**
   * Delete the folder (already moved aside and unregistered, its removal journalled) in the
   * background and hand the deletion here, instead of waiting for it: a landing deletes one member's
   * files while it judges the next one, and waits for all deletions at its end.
   */
  deleteInBackground?: (deletion: Promise<void>) => void;
  /**
   * Go ahead although instances were spawned from this one (a landed winner): without it (or force)
   * live children refuse the cleanup. Either way the children that stay are re-based.
   */
  withChildren?: boolean;
}

export interface CleanupResult {
  id: string;
  path: string;
  branch: string;
  branchDeleted: boolean;
  /** The salvage of the instance's work (taken before its teardown, when it has one). */
  salvageRef: string | null;
  /** A second salvage, after the teardown, when the teardown changed what was at risk. */
  laterSalvageRefs?: string[];
  atRisk: WorkAtRisk;
  /** The teardown of the worktree configuration, or null when it has none. */
  teardown: TeardownResult | null;
  /** Live instances spawned from this one, now based on its base (their base branch went with it). */
  rebasedChildren: string[];
}

export interface CleanupAllResult {
  cleaned: CleanupResult[];
  refused: { id: string; code: string; message: string }[];
  skipped: { id: string; reason: string }[];
}

/** Whether the instance's agent still runs, and where: a process Axiom started (headless) or a terminal. */
async function runningAgent(inst: LocatedInstance): Promise<'headless' | 'terminal' | null> {
  if (!(await agentRunning(inst.adminDir))) return null;
  return (await readProcessRecord(inst.adminDir)) ? 'headless' : 'terminal';
}

export async function cleanupInstance(git: GitRunner, repo: RepoInfo, id: string, options: CleanupOptions = {}): Promise<CleanupResult> {
  const force = options.force === true;
  let aside: string | null = null;
  const result = await withRepoLock(repo.commonDir, async () => {
    const inst = await locateInstance(repo, id);
    const spawner = spawnInProgress(inst.adminDir);
    if (spawner && isSameProcessAlive(spawner)) {
      throw new AxiomError('Locked', `${inst.id} is still being created (by process ${spawner.pid}). Try again in a moment.`, { path: inst.path });
    }
    if (inst.missing) {
      const movedTo = findMovedWorktree(repo, inst.adminDir, inst.path);
      if (movedTo) {
        throw new AxiomError(
          'WorktreeMoved',
          `The worktree of ${inst.id} was moved to ${movedTo}. Run repair (axiom repair) to link it there, then clean it up.`,
          { path: movedTo },
        );
      }
    }
    refuseIfGitFileBroken(inst);
    // Families hold together: the children's base is this instance's branch.
    const children = await liveChildren(repo, inst);
    if (children.length && !force && !options.withChildren) {
      throw new AxiomError(
        'HasChildren',
        `${inst.id} has ${plural(children.length, 'live instance')} spawned from it (${children.map((c) => c.metadata!.id).join(', ')}), based on its branch ${inst.metadata.branch}. Land or clean up ${children.length === 1 ? 'that one' : 'those'} first, or force the cleanup (${children.length === 1 ? 'it is' : 'they are'} then re-based onto ${inst.metadata.base}). Nothing was changed.`,
        { path: inst.path },
      );
    }
    const lockReason = userLockReason(inst.adminDir);
    if (lockReason !== null && !force) {
      throw new AxiomError(
        'WorktreeLocked',
        `${inst.id} is locked${lockReason ? ` (${lockReason})` : ''}: someone asked git to keep this worktree. Unlock it (git worktree unlock ${JSON.stringify(inst.path)}) or force the cleanup.`,
        { path: inst.path },
      );
    }
    // A forced cleanup refuses nothing, so it judges once, on the folder moved aside (step 4); an
    // unforced one judges here, where a refusal still changes nothing. A missing folder: here too.
    const judgeInPlace = !force || inst.missing;
    const judge = async (): Promise<WorkAtRisk | null> => (judgeInPlace ? assessRisk(git, repo, inst) : null);
    let risk = await judge();
    const refuseIfAtRisk = (): void => {
      if (risk && hasWorkAtRisk(risk) && !force) refuse(inst, risk);
    };
    const agent = await runningAgent(inst);
    if (agent) {
      // A cleanup that will be refused must not stop a working agent.
      refuseIfAtRisk();
      if (agent === 'headless') await stopHeadlessAgent(inst.adminDir);
      else if (options.stopTerminalAgent) await options.stopTerminalAgent();
      else if (!force) {
        throw new AxiomError(
          'AgentRunning',
          `The agent of ${inst.id} is still running in a VS Code terminal. Close it first, or force the cleanup (its work is salvaged first).`,
          { path: inst.path },
        );
      }
      risk = await judge();
    }
    refuseIfAtRisk();
    // The teardown runs only for a cleanup that is going ahead; failing, it refuses unless forced.
    // Salvage first: a forced cleanup keeps what the teardown could destroy (it may `git clean`)
    // in a salvage ref before the teardown's first command runs.
    const early: { salvage: { ref: string; tree: string; tips: string } | null } = { salvage: null };
    const salvageBeforeTeardown = async (): Promise<void> => {
      if (!force) return; // an unforced cleanup got here only with nothing at risk
      const before = await assessRisk(git, repo, inst, { skipIgnored: true });
      if (!hasWorkAtRisk(before)) return;
      const ref = await writeSalvage(git, repo, salvageInput(inst, inst.path, before, `salvage of ${inst.id} before its teardown`));
      early.salvage = { ref, tree: (await git.out(repo.commonDir, ['rev-parse', `${ref}^{tree}`], { readOnly: true })).trim(), tips: JSON.stringify(before.tips) };
    };
    const teardown = await teardownBeforeCleanup(git, repo, inst, force, salvageBeforeTeardown);
    if (teardown?.steps.length) {
      risk = await judge();
      refuseIfAtRisk();
    }
    // What the setup (or a crashed step) left running ends with the instance: nothing Axiom started
    // runs on in a deleted folder.
    await stopOwnedProcesses(inst.adminDir);
    await stopAgentLeftovers(inst.adminDir);
    await testHook('cleanup:after-assess');

    if (!inst.missing) {
      const moved = `${inst.path}.axiom-removing-${process.pid}-${Date.now()}`;
      await journalRemoval(repo, { original: inst.path, aside: moved, adminDir: inst.adminDir });
      try {
        fs.renameSync(inst.path, moved);
      } catch (e) {
        await finishRemoval(repo, moved);
        throw new AxiomError('IoFailed', `Could not move ${inst.path} out of the way to remove it (${(e as Error).message}); nothing was changed.`, {
          path: inst.path,
        });
      }
      aside = moved;
      crashPoint('cleanup-moved-aside');
    }
    // From here until the worktree is unregistered, any failure puts the folder back.
    let salvageRef: string | null;
    const extraSalvage: string[] = [];
    // A forced cleanup, which refuses nothing, writes the tree of the moved folder for its salvage
    // while it judges that folder (both only read it): most forced cleanups salvage something (a
    // landing's losers always do). Unused, it leaves only unreferenced objects of files git does not ignore.
    const speculativeTree = force && aside ? writeWorktreeTree(git, repo.commonDir, aside, readProvisioned(inst.adminDir)) : undefined;
    // Its failure is the salvage's (awaited below), never an unhandled rejection while the folder is judged.
    void speculativeTree?.catch(() => undefined);
    const treeWritten = async (): Promise<void> => void (await speculativeTree?.catch(() => undefined));
    try {
      if (aside) {
        // Look again, at the folder now out of everyone's way: what an agent wrote until the move counts.
        const after = await assessRisk(git, repo, inst, { folder: aside, skipIgnored: risk !== null || options.countIgnored === false, ...(risk ? { previous: risk } : {}) });
        if (hasWorkAtRisk(after) && !force) refuse(inst, after);
        risk = after;
      }
      // Judged in place when the folder is missing, else on the moved folder just above.
      if (!risk) throw new Error('cleanup: the work at risk was never judged');
      await testHook('cleanup:before-salvage');
      const atRisk = risk;
      // After a salvage before the teardown, another only when something differs (a commit, a file).
      const already = early.salvage;
      const sameAsEarly = async (): Promise<boolean> =>
        already !== null && already.tips === JSON.stringify(atRisk.tips) && (speculativeTree ? (await speculativeTree).tree === already.tree : false);
      const late = hasWorkAtRisk(atRisk) && !(await sameAsEarly())
        ? await writeSalvage(git, repo, { ...salvageInput(inst, aside, atRisk, `salvage of ${inst.id} before cleanup`), ...(speculativeTree ? { worktreeTree: speculativeTree } : {}) })
        : null;
      // What the instance held before its teardown is what a restore should bring back.
      salvageRef = already?.ref ?? late;
      if (already && late) extraSalvage.push(late);
      await treeWritten(); // not needed after all: no git process may still read the folder below
    } catch (e) {
      await treeWritten();
      if (aside) {
        fs.renameSync(aside, inst.path);
        await finishRemoval(repo, aside);
        aside = null;
      }
      throw e;
    }
    // Unregister exactly this worktree (what `git worktree prune` does for one entry): its admin dir
    // goes. Journalled first: from here a crash leaves only a folder whose work is kept (salvaged, or none).
    // An agent still running git in the moved folder may write into the admin dir meanwhile
    // (ENOTEMPTY): Node retries the removal for that.
    // The children's base goes with this instance: from now on they are based on its base.
    const rebasedChildren = await rebaseChildren(inst, children);
    if (aside) await journalUnregistered(repo, aside);
    await fs.promises.rm(inst.adminDir, { recursive: true, force: true, maxRetries: 5 });
    crashPoint('cleanup-unregistered');
    const branchDeleted = options.keepBranch ? false : await deleteBranchIfUnmoved(git, repo, inst.metadata.branch, risk.branchTip);
    return { id: inst.id, path: inst.path, branch: inst.metadata.branch, branchDeleted, salvageRef, ...(extraSalvage.length ? { laterSalvageRefs: extraSalvage } : {}), atRisk: risk, teardown, rebasedChildren, inst };
  });
  if (aside !== null) {
    const movedAside = aside;
    const deletion = fs.promises.rm(movedAside, { recursive: true, force: true, maxRetries: 3 }).then(() => finishRemoval(repo, movedAside));
    if (options.deleteInBackground) options.deleteInBackground(deletion);
    else await deletion;
  }
  const { inst, ...cleaned } = result;
  await releaseAfterCleanup(repo, inst);
  return cleaned;
}

/**
 * A folder whose `.git` no longer leads to its git dir (the agent deleted or overwrote it): git cannot
 * read its work, so it cannot be judged or salvaged — refused before the first change. (A folder that
 * is gone altogether is not this: its commits are judged and kept without it.)
 */
export function refuseIfGitFileBroken(inst: Pick<LocatedInstance, 'id' | 'path' | 'adminDir' | 'missing'>): void {
  const problem = inst.missing ? null : brokenGitFile(inst.path, inst.adminDir);
  if (problem === null) return;
  throw new AxiomError(
    'WorktreeDamaged',
    `The worktree of ${inst.id} at ${inst.path} is damaged: ${problem}, so git cannot read the work in it. Run repair (axiom repair) to link it again, then try again. Nothing was changed.`,
    { path: inst.path },
  );
}

/** What writeSalvage needs to keep the instance's work, read from `folder` as judged in `risk`. */
function salvageInput(inst: LocatedInstance, folder: string | null, risk: WorkAtRisk, reason: string): SalvageInput {
  return {
    id: inst.id,
    adminDir: inst.adminDir,
    worktree: folder,
    branch: inst.metadata.branch,
    branchTip: risk.branchTip,
    head: risk.head,
    otherTips: risk.tips.filter((t) => t.name !== 'HEAD' && t.name !== `refs/heads/${inst.metadata.branch}`),
    base: inst.metadata.base,
    agent: inst.metadata.agent,
    prompt: inst.metadata.prompt,
    reason,
  };
}

/** Live instances spawned from `inst` (their recorded parent, based on its branch). */
async function liveChildren(repo: RepoInfo, inst: LocatedInstance): Promise<AdminEntry[]> {
  const entries = await readAdminEntries(repo.commonDir);
  return entries.filter((e) => e.metadata && e.metadata.parent === inst.id && e.metadata.base === inst.metadata.branch && e.adminDir !== inst.adminDir);
}

/** Re-bases each child (its recorded base) onto the parent's own base; returns their ids. */
async function rebaseChildren(parent: LocatedInstance, children: readonly AdminEntry[]): Promise<string[]> {
  const done: string[] = [];
  for (const child of children) {
    const m = await updateMetadata(child.adminDir, (meta) => ({ ...meta, base: parent.metadata.base, baseSha: parent.metadata.baseSha, parent: parent.metadata.parent ?? null }));
    if (m) done.push(m.id);
  }
  return done;
}

/** Deletes a branch only if it still points where the checks saw it (compare-and-swap), with its config. */
async function deleteBranchIfUnmoved(git: GitRunner, repo: RepoInfo, branch: string, seen: string | null): Promise<boolean> {
  if (!seen) return false;
  const r = await git.run(repo.commonDir, ['update-ref', '-m', 'axiom: cleanup', '-d', `refs/heads/${branch}`, seen], { okExitCodes: [1, 128] });
  if (r.exitCode !== 0) return false;
  await git.run(repo.commonDir, ['config', '--remove-section', `branch.${branch}`], { okExitCodes: [1, 128] });
  return true;
}

const FILE_WORDS: Record<string, string> = { M: 'modified', A: 'added', D: 'deleted', T: 'type changed', U: 'conflicted' };

/** "modified", "untracked", "deleted", … for one status entry (staged changes say so). */
export function describeChange(f: StatusEntry): string {
  if (f.kind === 'untracked') return f.path.endsWith('/') ? 'untracked folder' : 'untracked';
  if (f.kind === 'conflicted') return 'conflicted';
  const letter = f.worktree !== '.' ? f.worktree : f.index;
  const word = FILE_WORDS[letter] ?? 'changed';
  return f.worktree === '.' ? `${word} (staged)` : word;
}

export function describeRisk(id: string, risk: WorkAtRisk, max = 15): string {
  const lines: string[] = [];
  if (risk.files.length) {
    lines.push(`${plural(risk.files.length, 'uncommitted file')}:`);
    for (const f of risk.files.slice(0, max)) lines.push(`  ${f.path} (${describeChange(f)})`);
    if (risk.files.length > max) lines.push(`  … and ${risk.files.length - max} more`);
  }
  if (risk.commits.length) {
    lines.push(`${plural(risk.commits.length, 'commit')} not in the base:`);
    for (const c of risk.commits.slice(0, max)) lines.push(`  ${c.sha.slice(0, 10)} ${c.subject}`);
    if (risk.commits.length > max) lines.push(`  … and ${risk.commits.length - max} more`);
  }
  for (const s of risk.submodules) lines.push(`submodule ${s.path}: ${plural(s.commits, 'commit')} that exist only in this worktree`);
  for (const p of risk.provisionedChanged ?? []) lines.push(`${p} (Axiom put it there from the main worktree; never salvaged)`);
  const ignored = describeIgnored(risk);
  const pushed = describePushed(risk);
  return (
    `Cleaning up ${id} would lose work:\n${lines.join('\n')}\n` +
    (pushed ? `${pushed}\n` : '') +
    `Merge or commit it first, or force the cleanup (a salvage ref keeps everything; restore it later).` +
    (ignored ? `\n${ignored}` : '')
  );
}

/**
 * "2 commits are on origin (refs/remotes/origin/axiom/x/1): safe on the remote, not counted as work." or ''.
 * Commits made after the push are listed as work at risk like any others.
 */
export function describePushed(risk: Pick<WorkAtRisk, 'pushed'>): string {
  const p = risk.pushed;
  if (!p || p.commits === 0) return '';
  return `${plural(p.commits, 'commit')} ${p.commits === 1 ? 'is' : 'are'} on ${p.remote} (${p.ref.replace(/^refs\/remotes\//, '')}, pushed by publish): safe on the remote, not counted as work.`;
}

/** "Also deleted, never salvaged: 3 ignored files (12 kB): .env, node_modules/ …" or ''. */
export function describeIgnored(risk: WorkAtRisk): string {
  const i = risk.ignored;
  if (i.count === 0) return '';
  return `Ignored files are deleted with the worktree and never salvaged (they may hold secrets): ${i.partial ? 'at least ' : ''}${plural(i.count, 'file')} (${formatBytes(i.bytes)}): ${i.sample.join(', ')}${i.sample.length < i.count ? ' …' : ''}`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

function refuse(inst: LocatedInstance, risk: WorkAtRisk): never {
  throw new AxiomError(risk.files.length ? 'DirtyWorktree' : 'UnmergedCommits', describeRisk(inst.id, risk), {
    files: risk.files.map((f) => f.path),
    commits: risk.commits,
    path: inst.path,
    ignored: { count: risk.ignored.count, bytes: risk.ignored.bytes, sample: risk.ignored.sample },
  });
}

/** What cleanup would lose, for a front end's dialog (not a decision: cleanup decides again under the lock). */
export async function previewRisk(git: GitRunner, repo: RepoInfo, id: string): Promise<WorkAtRisk> {
  const inst = await locateInstance(repo, id);
  return readWhilePresent(inst, () => assessRisk(git, repo, inst));
}
