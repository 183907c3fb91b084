/**
 * The engine's front door: one object per repository that the extension, the CLI and the MCP
 * server all use. It owns the git runner and the status caches; every operation is in its module.
 */
import { AxiomError, isAxiomError } from './errors';
import { GitRunner, type GitRunnerOptions } from './git/git';
import { discoverRepo, type RepoInfo } from './git/repo';
import { readSettings, type AxiomSettings } from './provision/config';
import { resolveBase, spawnInstance, spawnMany, type SpawnedInstance, type SpawnManyOptions, type SpawnOptions } from './instances/spawn';
import { StatusCollector, type Snapshot, type SnapshotOptions, type WorktreeStatus } from './instances/status';
import { locateInstance, readWhilePresent, type LocatedInstance } from './instances/locate';
import { diffInstance, fileAtCommit, patchOf, type InstanceDiff } from './git/diff';
import { mergeInstance, type MergeOptions, type MergePlan, type MergeResult } from './merge/merge';
import { cleanupInstance, previewRisk, type CleanupAllResult, type CleanupOptions, type CleanupResult, type WorkAtRisk } from './instances/cleanup';
import { deleteSalvage, expireSalvage, findSalvage, listSalvage, restorePoint, restoredId, writeTreeExactly, type SalvageRef } from './instances/salvage';
import { repair, type RepairReport } from './instances/repair';
import { updateMetadata, type InstanceMetadata } from './instances/metadata';
import { changeAgent, type ChangeAgentOptions, type ChangeAgentResult } from './instances/changeAgent';
import { Explorer } from './explore/explore';
import { readWorktreeConfig, type WorktreeConfig } from './provision/repoConfig';
import { environmentOf, setupInstance, type SetupRunHooks } from './provision/instanceSetup';
import type { SetupRecord } from './provision/setup';
import { withOperationMemo } from './instances/operationMemo';
import { stopAgent, type StopAgentResult } from './processes/processes';
import { listRemotes, publishInstance, type PublishOptions, type PublishResult } from './publish/publish';
import { refreshPullRequest, type RefreshOptions, type RefreshResult } from './publish/prRefresh';

export interface EngineOptions extends GitRunnerOptions {
  runner?: GitRunner;
}

export class AxiomEngine {
  private readonly collector: StatusCollector;
  private explorer: Explorer | undefined;

  private constructor(
    readonly git: GitRunner,
    readonly repo: RepoInfo,
  ) {
    this.collector = new StatusCollector(git, repo);
  }

  /** Opens the repository that contains `fromPath` (any folder of the repository or of a worktree). */
  static async open(fromPath: string, options: EngineOptions = {}): Promise<AxiomEngine> {
    const git = options.runner ?? new GitRunner(options);
    return new AxiomEngine(git, await discoverRepo(git, fromPath));
  }

  /** Races, evaluation, ranking, landing, the conflict forecast and history (explore.ts). */
  get explore(): Explorer {
    return (this.explorer ??= new Explorer(this));
  }

  settings(): Promise<AxiomSettings> {
    return readSettings(this.git, this.repo.commonDir);
  }

  async spawn(id: string, options: SpawnOptions = {}): Promise<SpawnedInstance> {
    return spawnInstance(this.git, this.repo, () => this.settings(), id, options);
  }

  /**
   * Several instances in one call: `<prefix>-1` … `<prefix>-<count>`, decided and registered under one
   * hold of the lock, checked out two at a time (spawn.ts `spawnMany`); bad input creates nothing.
   */
  spawnMany(prefix: string, count: number, options: SpawnManyOptions = {}): Promise<SpawnedInstance[]> {
    return spawnMany(this.git, this.repo, () => this.settings(), prefix, count, options);
  }

  snapshot(options?: SnapshotOptions): Promise<Snapshot> {
    return this.collector.snapshot(options);
  }

  /** Local branches that can serve as a base (instance branches `axiom/…` left out), default branch first. */
  async branches(): Promise<string[]> {
    const out = await this.git.out(this.repo.commonDir, ['for-each-ref', '--format=%(refname:short)', 'refs/heads'], { readOnly: true });
    const names = out.split('\n').filter((b) => b && !b.startsWith('axiom/'));
    const first = this.repo.defaultBranch;
    return first && names.includes(first) ? [first, ...names.filter((b) => b !== first)] : names;
  }

  /** The status of one instance. */
  async status(id: string): Promise<WorktreeStatus> {
    // Its own files, its refs and one `git status`: the same at 300 instances as at 1 (never a snapshot of all).
    const inst = await locateInstance(this.repo, id);
    const found = await this.collector.one(inst);
    if (!found) throw new AxiomError('NotFound', `No instance named ${JSON.stringify(id)}.`);
    return found;
  }

  locate(id: string): Promise<LocatedInstance> {
    return locateInstance(this.repo, id);
  }

  async diff(id: string): Promise<InstanceDiff> {
    const inst = await this.requirePresent(id);
    return readWhilePresent(inst, () => diffInstance(this.git, inst.id, inst.path, inst.metadata.base));
  }

  /** A unified patch of the instance against its merge-base, cut at `maxBytes`. */
  async patch(id: string, maxBytes = 64 * 1024): Promise<{ patch: string; truncated: boolean; mergeBase: string }> {
    const inst = await this.requirePresent(id);
    return readWhilePresent(inst, async () => {
      const d = await diffInstance(this.git, inst.id, inst.path, inst.metadata.base);
      return { ...(await patchOf(this.git, inst.path, d.mergeBase, maxBytes)), mergeBase: d.mergeBase };
    });
  }

  /** A file's content at a commit (e.g. the merge-base), null when it does not exist there. */
  fileAt(commit: string, file: string): Promise<string | null> {
    return fileAtCommit(this.git, this.repo.commonDir, commit, file);
  }

  async merge(id: string, options: MergeOptions = {}): Promise<MergeResult | MergePlan> {
    return mergeInstance({ git: this.git, repo: this.repo }, id, options);
  }

  /** Pushes the instance's branch (never forced) and opens a pull request or offers the compare page (publish.ts). */
  async publish(id: string, options: PublishOptions = {}): Promise<PublishResult> {
    const result = await publishInstance(this.git, this.repo, id, options);
    this.collector.invalidate(result.path);
    return result;
  }

  /** Reads the state of the instance's recorded pull request with `gh pr view` and records it (prRefresh.ts). */
  async refreshPullRequest(id: string, options: RefreshOptions = {}): Promise<RefreshResult> {
    const result = await refreshPullRequest(this.git, this.repo, id, options);
    this.collector.invalidate(result.path);
    return result;
  }

  /** The repository's remotes by name. */
  remotes(): Promise<string[]> {
    return listRemotes(this.git, this.repo);
  }

  /** What a cleanup would lose now (for a dialog); the cleanup itself decides again under the lock. */
  atRisk(id: string): Promise<WorkAtRisk> {
    return previewRisk(this.git, this.repo, id);
  }

  /** Stops the instance's agent without cleaning anything up (processes.ts). */
  async stopAgent(id: string, stopTerminalAgent?: () => Promise<void>): Promise<StopAgentResult> {
    const inst = await locateInstance(this.repo, id);
    const result = await stopAgent(inst, stopTerminalAgent);
    this.collector.invalidate(inst.path);
    return result;
  }

  /** Records another agent for the instance, run by its next launch; refused while the current one runs (changeAgent.ts). */
  async changeAgent(id: string, agent: string, options: ChangeAgentOptions = {}): Promise<ChangeAgentResult> {
    const result = await changeAgent(this.repo, id, agent, options);
    this.collector.invalidate(result.path);
    return result;
  }

  async cleanup(id: string, options: CleanupOptions = {}): Promise<CleanupResult> {
    const result = await cleanupInstance(this.git, this.repo, id, options);
    this.collector.invalidate(result.path);
    return result;
  }

  /** Cleans up every instance (never foreign worktrees) that can go without losing work. */
  cleanupAll(options: { mergedOnly?: boolean; stopTerminalAgent?: (id: string) => Promise<void> } = {}): Promise<CleanupAllResult> {
    return withOperationMemo(() => this.cleanupEach(options));
  }

  private async cleanupEach(options: { mergedOnly?: boolean; stopTerminalAgent?: (id: string) => Promise<void> }): Promise<CleanupAllResult> {
    // With the merge check: a squash-merged instance is merged by content only.
    const snap = await this.snapshot();
    const result: CleanupAllResult = { cleaned: [], refused: [], skipped: [] };
    for (const w of snap.worktrees) {
      if (w.kind !== 'instance' || !w.id) continue;
      if (options.mergedOnly && !w.merged) {
        result.skipped.push({ id: w.id, reason: 'not merged' });
        continue;
      }
      try {
        const stop = options.stopTerminalAgent;
        result.cleaned.push(await this.cleanup(w.id, stop ? { stopTerminalAgent: () => stop(w.id!) } : {}));
      } catch (e) {
        if (!isAxiomError(e)) throw e;
        result.refused.push({ id: w.id, code: e.code, message: e.message });
      }
    }
    return result;
  }

  listSalvage(): Promise<SalvageRef[]> {
    return listSalvage(this.git, this.repo);
  }

  /** Brings a salvage back as a new instance: same files, untracked included. */
  async restore(
    refOrId: string,
    options: { as?: string } & Pick<SpawnOptions, 'limit' | 'dirTemplate'> = {},
  ): Promise<SpawnedInstance & { salvage: SalvageRef }> {
    const salvage = await findSalvage(this.git, this.repo, refOrId);
    const id = restoredId(salvage, options.as);
    const point = await restorePoint(this.git, this.repo, salvage);
    const base = salvage.base && (await resolveBase(this.git, this.repo, salvage.base).then(() => true, () => false)) ? salvage.base : undefined;
    // Spawn from the base (with the original agent and prompt), point the new branch at the salvaged
    // branch tip, then write the salvaged files back byte for byte (uncommitted work uncommitted again).
    const { as: _as, ...spawnOptions } = options;
    const spawned = await this.spawn(id, { ...spawnOptions, ...(base ? { base } : {}), agent: salvage.agent, prompt: salvage.prompt });
    if (point) await this.git.run(spawned.path, ['reset', '--hard', '--quiet', point]);
    await writeTreeExactly(this.git, this.repo, spawned.path, `${salvage.sha}^{tree}`);
    return { ...spawned, salvage };
  }

  /** Deletes a salvage ref once its work is back (or no longer wanted). */
  dropSalvage(refOrId: string): Promise<SalvageRef> {
    return deleteSalvage(this.git, this.repo, refOrId);
  }

  async expireSalvage(days?: number): Promise<SalvageRef[]> {
    return expireSalvage(this.git, this.repo, days ?? (await this.settings()).salvageDays);
  }

  repair(): Promise<RepairReport> {
    return repair(this.git, this.repo);
  }

  /** The worktree configuration (`.axiom.json`, `.worktreeinclude`, `git config axiom.*`); InvalidConfig when broken. */
  worktreeConfig(): Promise<WorktreeConfig> {
    return readWorktreeConfig(this.git, this.repo.commonDir, this.repo.mainWorktree);
  }

  /** Runs (or re-runs) the instance's setup commands; null when the configuration has none. */
  async setup(id: string, hooks: SetupRunHooks = {}): Promise<SetupRecord | null> {
    return setupInstance(this.git, this.repo, await locateInstance(this.repo, id), hooks);
  }

  /** The whole environment for a process of the instance (its agent, terminal, evaluation). */
  async environment(id: string, inherited: Readonly<Record<string, string | undefined>> = process.env): Promise<Record<string, string>> {
    return environmentOf(await locateInstance(this.repo, id), inherited);
  }

  /** Changes an instance's metadata (terminal requests, merge records) atomically. */
  async updateMetadata(id: string, change: (m: InstanceMetadata) => InstanceMetadata): Promise<InstanceMetadata | null> {
    const inst = await locateInstance(this.repo, id);
    return updateMetadata(inst.adminDir, change);
  }

  private async requirePresent(id: string): Promise<LocatedInstance> {
    const inst = await locateInstance(this.repo, id);
    if (inst.missing) throw new AxiomError('NotFound', `The worktree of ${inst.id} (${inst.path}) is missing. Run repair.`, { path: inst.path });
    return inst;
  }
}
