/**
 * Spawn: a new instance = branch `axiom/{id}/{timestamp}` + worktree + metadata, all or nothing.
 * Only the metadata step (worktree add --no-checkout, locked) runs under the repository lock; the
 * checkout runs outside it (docs/ARCHITECTURE.md §4.2: 20 concurrent spawns, 0 failures, unlocked speed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomError, isAxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { branchFor, isPlausibleRefName, validateId, worktreePathFor } from './ids';
import { withRepoLock } from './lock';
import { adminDirOf, readAdminEntries, readAdminEntry, readMetadataFile, writeMetadata, type AgentSession, type InstanceMetadata, type InstanceSource, type LaunchMode } from './metadata';
import type { RepoInfo } from '../git/repo';
import { crashPoint } from '../testHooks';
import { currentProcessIdentity, formatProcessIdentity } from '../processes/processIdentity';
import { locateInstance } from './locate';
import type { AxiomSettings } from '../provision/config';
// Ready-to-run instances (issue 9): provisioning, ports, environment and setup.
import { isEmptyPlan, planProvision, provisionWorktree, type ProvisionEvent } from '../provision/provision';
import { leasePorts, releasePorts } from '../provision/ports';
import { fillPlaceholders, instanceProcessEnv } from '../provision/instanceEnv';
import { recordSetup, runSetup, type SetupRecord } from '../provision/setup';
import type { ProvisionRecord } from './metadata';
import { writeProvisioned } from '../provision/provisioned';

export interface SpawnOptions {
  base?: string;
  /** Expand an instance: the new one starts from that instance's branch (and merges back into it). */
  from?: string;
  /** The race this instance is a member of. */
  race?: string | null;
  agent?: string | null;
  prompt?: string | null;
  launch?: LaunchMode;
  dirTemplate?: string;
  limit?: number;
  /**
   * The setup commands of the worktree configuration: `run` them before spawn returns (default),
   * `defer` them to the instance's terminal (recorded as pending), or `skip` them (recorded as skipped).
   */
  setup?: 'run' | 'defer' | 'skip';
  /** More include patterns (VS Code's `git.worktreeIncludeFiles`). */
  includePatterns?: readonly string[];
  /** Who asked for the instance when not Axiom's own front ends (Claude Code's worktree hook). */
  source?: InstanceSource;
  /** The agent conversation the instance belongs to (recorded as the metadata's session). */
  session?: AgentSession;
  /** Each provisioning and setup step as it happens. */
  onProgress?: (event: ProvisionEvent) => void;
}

export interface SpawnedInstance {
  id: string;
  branch: string;
  base: string;
  baseSha: string;
  path: string;
  adminDir: string;
  metadata: InstanceMetadata;
  /** The leased port block ([] without `ports` in the configuration). */
  ports: number[];
  /** What was shared and copied into the worktree; null when the configuration asks for nothing. */
  provision: ProvisionRecord | null;
  /** The setup's record; null without setup commands. A `failed` setup leaves the instance in place. */
  setup: SetupRecord | null;
  /** Things worth saying about the configuration (unknown keys). */
  warnings: string[];
}

/** The lock reason that marks a worktree whose spawn has not finished (repair removes it if its process died). */
export const SPAWN_LOCK_PREFIX = 'axiom-spawn ';

export async function resolveBase(git: GitRunner, repo: RepoInfo, base: string): Promise<string> {
  if (!isPlausibleRefName(base)) {
    throw new AxiomError('InvalidArgument', `${JSON.stringify(base.slice(0, 80))} is not a valid branch name.`);
  }
  const r = await git.run(repo.commonDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/heads/${base}^{commit}`], {
    readOnly: true,
    okExitCodes: [1],
  });
  if (r.exitCode !== 0) {
    const anyBranch = await git.out(repo.commonDir, ['for-each-ref', '--count=1', '--format=%(refname)', 'refs/heads'], { readOnly: true });
    throw new AxiomError(
      'BaseNotFound',
      anyBranch.trim() === ''
        ? 'This repository has no commit yet, so there is nothing to start an instance from. Make a first commit (git commit --allow-empty -m "initial commit"), then spawn.'
        : `The base branch ${JSON.stringify(base)} does not exist in this repository.`,
      { branch: base },
    );
  }
  return r.stdout.trim();
}

export async function spawnInstance(
  git: GitRunner,
  repo: RepoInfo,
  loadSettings: () => Promise<AxiomSettings>,
  rawId: string,
  options: SpawnOptions = {},
): Promise<SpawnedInstance> {
  const id = validateId(rawId);
  if (!repo.mainWorktree) {
    throw new AxiomError(
      'NotARepository',
      `${repo.commonDir} is a bare repository: Axiom places instances beside a main worktree. Clone it (git clone ${JSON.stringify(repo.commonDir)}) and run Axiom in the clone.`,
    );
  }
  if (options.from !== undefined) options = { ...options, base: await parentBranch(repo, options.from, options.base) };
  // Settings and the likely base are read in parallel: two git processes, one round trip.
  const likelyBase = options.base ?? repo.defaultBranch;
  const mainWorktree = repo.mainWorktree;
  const [settings, likelySha, plan] = await Promise.all([
    loadSettings(),
    likelyBase ? resolveBase(git, repo, likelyBase).then((sha) => sha, (e: unknown) => e) : Promise.resolve(null),
    // The worktree configuration is read and checked before anything is created (a bad one changes nothing).
    planProvision(git, repo.commonDir, mainWorktree, options.includePatterns ? { includePatterns: options.includePatterns } : {}),
  ]);
  const setupMode = plan.config.setup.length === 0 ? null : (options.setup ?? 'run');
  if (setupMode === 'run' && git.untrusted) {
    throw new AxiomError('Untrusted', 'This repository is not trusted: its setup commands do not run. Trust the workspace, or spawn without setup.');
  }
  const base = options.base ?? settings.defaultBase ?? repo.defaultBranch;
  if (!base) throw new AxiomError('BaseNotFound', 'This repository has no branch to start from yet: make a first commit.');
  const limit = options.limit ?? settings.maxInstances;
  const wtPath = worktreePathFor(options.dirTemplate ?? settings.worktreeDir, id, repo.mainWorktree);
  if (base === likelyBase && likelySha instanceof Error) throw likelySha;
  const baseSha = base === likelyBase && typeof likelySha === 'string' ? likelySha : await resolveBase(git, repo, base);
  crashPoint('validated');

  const now = new Date();
  const branch = branchFor(id, now);
  // Ports are leased first (machine-wide lock) so the metadata records them; any failure below releases them.
  const ports = await leasePorts(repo.commonDir, id, plan.config.ports, plan.config.portRange);
  const releaseOnFailure = async (e: unknown): Promise<never> => {
    await releasePorts(repo.commonDir, id, ports).catch(() => undefined);
    throw e;
  };
  if (ports.length > 0) options.onProgress?.({ step: 'ports', ports });
  let env: Record<string, string>;
  try {
    const values = { id, worktree: wtPath, base, ports };
    env = Object.fromEntries(Object.entries(plan.config.env).map(([k, v]) => [k, fillPlaceholders(v, values, `env.${k}`)]));
  } catch (e) {
    return releaseOnFailure(e);
  }
  const created = await withRepoLock(repo.commonDir, async () => {
    const scan = await scanAdminDirs(repo.commonDir, id);
    if (scan.taken) {
      throw new AxiomError('AlreadyExists', `An instance named ${JSON.stringify(id)} already exists. Pick another id or clean it up first.`);
    }
    if (scan.live >= limit) {
      throw new AxiomError(
        'LimitReached',
        `${scan.live} instances are live and the limit is ${limit}. Clean up finished instances or raise the limit (git config axiom.maxInstances).`,
      );
    }
    if (fs.existsSync(wtPath)) {
      throw new AxiomError('AlreadyExists', `The worktree folder ${wtPath} already exists. Remove or rename it, or pick another id.`, {
        path: wtPath,
      });
    }
    const clash = scan.clash;
    if (clash) {
      throw new AxiomError('BranchCheckedOut', `A branch of instance ${JSON.stringify(id)} is checked out at ${clash}. Run repair or pick another id.`, {
        path: clash,
      });
    }
    try {
      // --track makes the base the branch's upstream: one for-each-ref then gives every
      // instance's ahead/behind (docs/ARCHITECTURE.md §6). --lock marks the spawn unfinished until checkout.
      await git.run(repo.commonDir, [
        'worktree', 'add', '--no-checkout', '--lock', '--reason', `${SPAWN_LOCK_PREFIX}${formatProcessIdentity(currentProcessIdentity())}`,
        '--track', '-b', branch, wtPath, `refs/heads/${base}`,
      ]);
    } catch (e) {
      await rollbackBranch(git, repo, branch);
      throw isAxiomError(e) && e.code === 'AlreadyExists'
        ? new AxiomError('AlreadyExists', `Cannot create ${branch} at ${wtPath}: ${e.details.stderr ?? e.message}`, e.details)
        : e;
    }
    crashPoint('worktree-added');
    const adminDir = await adminDirOf(wtPath);
    const metadata: InstanceMetadata = {
      version: 1,
      id,
      branch,
      base,
      baseSha,
      agent: options.agent ?? null,
      prompt: options.prompt ?? null,
      launch: options.launch ?? 'none',
      createdAt: now.toISOString(),
      ...(options.from !== undefined ? { parent: options.from } : {}),
      ...(options.race ? { race: options.race } : {}),
      ...(ports.length > 0 ? { ports } : {}),
      ...(Object.keys(env).length > 0 ? { env } : {}),
      ...(options.source ? { source: options.source } : {}),
      ...(options.session ? { session: options.session } : {}),
    };
    if (metadata.launch === 'terminal') metadata.terminal = { requestedAt: now.toISOString() };
    try {
      if (!adminDir) throw new AxiomError('GitFailed', `git created ${wtPath} without a .git file.`);
      await writeMetadata(adminDir, metadata);
    } catch (e) {
      await removeHalfSpawned(git, repo, wtPath, branch);
      throw e;
    }
    crashPoint('metadata-written');
    return { adminDir: adminDir!, metadata };
  }).catch(releaseOnFailure);

  // The checkout runs outside the lock: it is the slow part and touches only this worktree.
  let metadata = created.metadata;
  let provision: ProvisionRecord | null = null;
  try {
    await git.run(wtPath, ['reset', '--hard', '--quiet']);
    crashPoint('checked-out');
    // Provisioning runs while the spawn lock still marks the worktree unfinished: a crash here is repaired like a crash in checkout.
    if (!isEmptyPlan(plan)) {
      provision = await provisionWorktree(git, plan, mainWorktree, wtPath, options.onProgress);
      // Axiom's own record of what it put there (path + hash): never work, never a git object.
      writeProvisioned(created.adminDir, wtPath, provision);
      metadata = { ...metadata, provision };
      await writeMetadata(created.adminDir, metadata);
      crashPoint('provisioned');
    }
    // What `git worktree unlock` does (gitrepository-layout: worktrees/<id>/locked), minus a process.
    await fs.promises.rm(path.join(created.adminDir, 'locked'), { force: true });
  } catch (e) {
    await withRepoLock(repo.commonDir, () => removeHalfSpawned(git, repo, wtPath, branch));
    return releaseOnFailure(e);
  }
  // Setup runs on the finished instance: a failing setup leaves it in place, in state "failed".
  let setup: SetupRecord | null = null;
  if (setupMode === 'run') {
    setup = await runSetup({
      adminDir: created.adminDir,
      commands: plan.config.setup,
      cwd: wtPath,
      env: instanceProcessEnv({ id, worktree: wtPath, base, ports, env }),
      timeoutMs: plan.config.setupTimeoutSeconds * 1000,
      onStep: (s) => options.onProgress?.({ step: 'setup', ...s }),
    });
  } else if (setupMode) {
    setup = await recordSetup(created.adminDir, plan.config.setup, setupMode === 'defer' ? 'pending' : 'skipped');
  }
  return { id, branch, base, baseSha, path: wtPath, adminDir: created.adminDir, metadata, ports, provision, setup, warnings: plan.config.warnings };
}

/** Expand: the branch of the instance `from` (the child's base); `base`, when also given, must name it. */
async function parentBranch(repo: RepoInfo, from: string, base: string | undefined): Promise<string> {
  const parent = await locateInstance(repo, from);
  if (parent.missing) throw new AxiomError('NotFound', `The worktree of ${parent.id} (${parent.path}) is missing; repair it before branching from it.`);
  if (base !== undefined && base !== parent.metadata.branch) {
    throw new AxiomError('InvalidArgument', `Give either a base or an instance to start from, not both (${base} vs ${from}).`);
  }
  return parent.metadata.branch;
}

/**
 * What spawn decides on, read fresh under the lock in one parallel pass over the admin dirs (file
 * reads, no git process; the admin dir git makes for the new worktree is not among them yet): how
 * many instances are live (have a record), whether one of them is `id`, and the path of a worktree
 * (made by anyone) that has a branch of this id checked out.
 */
async function scanAdminDirs(commonDir: string, id: string): Promise<{ live: number; taken: boolean; clash: string | null }> {
  const root = path.join(commonDir, 'worktrees');
  const names = await fs.promises.readdir(root).catch(() => [] as string[]);
  const onBranch = `ref: refs/heads/axiom/${id}/`;
  const dirs = await Promise.all(
    names.map(async (name) => {
      const adminDir = path.join(root, name);
      const [{ metadata }, head] = await Promise.all([readMetadataFile(adminDir), fs.promises.readFile(path.join(adminDir, 'HEAD'), 'utf8').catch(() => '')]);
      return { adminDir, id: metadata?.id ?? null, onBranch: head.startsWith(onBranch) };
    }),
  );
  const clashing = dirs.find((d) => d.onBranch);
  return {
    live: dirs.filter((d) => d.id !== null).length,
    taken: dirs.some((d) => d.id === id),
    clash: clashing ? ((await readAdminEntry(clashing.adminDir)).worktreePath ?? clashing.adminDir) : null,
  };
}

/** Deletes a branch this spawn created (`branch -D` also drops its upstream config). */
async function rollbackBranch(git: GitRunner, repo: RepoInfo, branch: string): Promise<void> {
  await git.run(repo.commonDir, ['branch', '-D', '--', branch], { okExitCodes: [1, 128] }).catch(() => undefined);
}

/**
 * Undoes a spawn that did not finish: exactly its worktree (never a global prune, which would drop
 * other worktrees' registrations too) and the branch it created.
 */
export async function removeHalfSpawned(git: GitRunner, repo: RepoInfo, wtPath: string, branch: string | null): Promise<void> {
  await git.run(repo.commonDir, ['worktree', 'remove', '--force', '--force', wtPath], { okExitCodes: [128] }).catch(() => undefined);
  if (fs.existsSync(wtPath)) fs.rmSync(wtPath, { recursive: true, force: true });
  // A registration whose folder is already gone: remove its admin dir (what prune does for one entry).
  for (const e of await readAdminEntries(repo.commonDir)) {
    if (e.worktreePath === path.resolve(wtPath)) await fs.promises.rm(e.adminDir, { recursive: true, force: true });
  }
  if (branch) await rollbackBranch(git, repo, branch);
}
