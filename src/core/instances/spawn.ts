/**
 * Spawn: a new instance = branch `axiom/{id}/{timestamp}` + worktree + metadata, all or nothing.
 * Only the metadata step (worktree add --no-checkout, locked) runs under the repository lock; the
 * checkout runs outside it (docs/ARCHITECTURE.md §4.2: 20 concurrent spawns, 0 failures, unlocked speed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomError, isAxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { branchFor, isPlausibleRefName, severalIds, validateId, worktreePathFor } from './ids';
import { withRepoLock } from './lock';
import { adminDirOf, readAdminEntries, readAdminEntry, readMetadataFile, writeMetadata, type AgentSession, type InstanceMetadata, type InstanceSource, type LaunchMode } from './metadata';
import type { RepoInfo } from '../git/repo';
import { crashPoint } from '../testHooks';
import { currentProcessIdentity, formatProcessIdentity } from '../processes/processIdentity';
import { locateInstance } from './locate';
import type { AxiomSettings } from '../provision/config';
// Ready-to-run instances (issue 9): provisioning, ports, environment and setup.
import { isEmptyPlan, planProvision, provisionWorktree, type ProvisionEvent, type ProvisionPlan } from '../provision/provision';
import { mapPool } from '../pool';
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
  const [one] = await spawnIds(git, repo, loadSettings, [validateId(rawId)], options);
  return one!;
}

export interface SpawnManyOptions extends SpawnOptions {
  /** Each instance once it is ready (checked out, provisioned, its setup run or recorded), in the order they finish. */
  onSpawned?: (instance: SpawnedInstance, done: number, total: number) => void;
}

/** How many instances are checked out and provisioned at once (git is the bottleneck: 2 on 2 cores, docs/ARCHITECTURE.md §6). */
const CHECKOUTS_AT_ONCE = 2;

/**
 * Several instances in one call (`<prefix>-1` … `<prefix>-<count>`, {@link severalIds}): the
 * configuration, the base, the limit and the ids are decided once; one hold of the lock registers
 * them all (`worktree add --no-checkout`, one at a time: git's metadata step is not safe in
 * parallel); then the checkouts, provisioning and setups run two at a time outside the lock.
 * Bad input (an invalid prefix or count, the limit, an id or folder that exists) is refused before
 * anything is created. A failure in the registration removes every worktree this call registered
 * (nothing was checked out yet); a failure in a checkout or provisioning removes that instance and
 * the ones not yet checked out, and keeps the ones already finished, which the error lists
 * (`details.spawned`).
 */
export async function spawnMany(
  git: GitRunner,
  repo: RepoInfo,
  loadSettings: () => Promise<AxiomSettings>,
  prefix: string,
  count: number,
  options: SpawnManyOptions = {},
): Promise<SpawnedInstance[]> {
  return spawnIds(git, repo, loadSettings, severalIds(prefix, count), options);
}

/** One instance being made: where, and what it was given. */
interface Target {
  id: string;
  wtPath: string;
  branch: string;
  ports: number[];
  env: Record<string, string>;
}

/** A target registered under the lock (worktree added, record written), not yet checked out. */
interface Registered extends Target {
  adminDir: string;
  metadata: InstanceMetadata;
}

async function spawnIds(
  git: GitRunner,
  repo: RepoInfo,
  loadSettings: () => Promise<AxiomSettings>,
  ids: readonly string[],
  options: SpawnManyOptions,
): Promise<SpawnedInstance[]> {
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
  const paths = ids.map((id) => worktreePathFor(options.dirTemplate ?? settings.worktreeDir, id, mainWorktree));
  if (base === likelyBase && likelySha instanceof Error) throw likelySha;
  const baseSha = base === likelyBase && typeof likelySha === 'string' ? likelySha : await resolveBase(git, repo, base);
  crashPoint('validated');

  const now = new Date();
  // Ports are leased first (machine-wide lock) so the metadata records them; any failure below releases
  // the ports of every instance that was not made.
  const targets: Target[] = [];
  const release = (of: readonly Target[]): Promise<void> =>
    Promise.all(of.map((t) => releasePorts(repo.commonDir, t.id, t.ports).catch(() => undefined))).then(() => undefined);
  const releaseOnFailure = async (e: unknown): Promise<never> => {
    await release(targets);
    throw e;
  };
  try {
    for (const [i, id] of ids.entries()) {
      const wtPath = paths[i]!;
      const ports = await leasePorts(repo.commonDir, id, plan.config.ports, plan.config.portRange);
      targets.push({ id, wtPath, branch: branchFor(id, now), ports, env: {} });
      if (ports.length > 0) options.onProgress?.({ step: 'ports', ports });
      const values = { id, worktree: wtPath, base, ports };
      targets[i]!.env = Object.fromEntries(Object.entries(plan.config.env).map(([k, v]) => [k, fillPlaceholders(v, values, `env.${k}`)]));
    }
  } catch (e) {
    return releaseOnFailure(e);
  }
  const registered = await withRepoLock(repo.commonDir, async () => {
    refuseUnlessRoom(await scanAdminDirs(repo.commonDir, ids), targets, limit);
    const made: Registered[] = [];
    try {
      // One at a time: git's metadata step (branch, config, admin dir) is not safe in parallel.
      for (const t of targets) made.push(await register(git, repo, t, base, baseSha, now, options));
    } catch (e) {
      // Nothing of this call is checked out yet: take back every worktree it registered.
      for (const m of made) await removeHalfSpawned(git, repo, m.wtPath, m.branch);
      throw e;
    }
    return made;
  }).catch(releaseOnFailure);

  // The checkouts run outside the lock, two at a time: they are the slow part and each touches only its worktree.
  const done: SpawnedInstance[] = [];
  const undone: Registered[] = [];
  let failure: { id: string; error: unknown } | null = null;
  await mapPool(registered, CHECKOUTS_AT_ONCE, async (r) => {
    if (failure) {
      undone.push(r);
      return;
    }
    let finished: { metadata: InstanceMetadata; provision: ProvisionRecord | null };
    try {
      finished = await checkOut(git, r, plan, mainWorktree, options.onProgress);
    } catch (e) {
      failure ??= { id: r.id, error: e };
      undone.push(r);
      return;
    }
    const setup = await setUp(r, plan, setupMode, base, options.onProgress);
    const inst: SpawnedInstance = {
      id: r.id, branch: r.branch, base, baseSha, path: r.wtPath, adminDir: r.adminDir, metadata: finished.metadata,
      ports: r.ports, provision: finished.provision, setup, warnings: plan.config.warnings,
    };
    done.push(inst);
    options.onSpawned?.(inst, done.length, ids.length);
  });
  if (undone.length > 0) {
    await withRepoLock(repo.commonDir, async () => {
      for (const u of undone) await removeHalfSpawned(git, repo, u.wtPath, u.branch);
    });
    await release(undone);
  }
  if (failure) {
    const { id, error } = failure as { id: string; error: unknown };
    if (ids.length === 1) throw error;
    const kept = done.map((d) => d.id).sort(byNumber);
    const why = error instanceof Error ? error.message : String(error);
    throw new AxiomError(
      isAxiomError(error) ? error.code : 'IoFailed',
      `${id} could not be made (${why}); it and the ${undone.length - 1} not yet checked out were removed. ` +
        (kept.length ? `Spawned ${kept.length} of ${ids.length}: ${kept.join(', ')}.` : `None of the ${ids.length} was spawned.`),
      { ...(isAxiomError(error) ? error.details : {}), spawned: kept, failed: id },
    );
  }
  return [...done].sort((a, b) => byNumber(a.id, b.id));
}

/** `try-2` before `try-10`: by the number after the last `-`, then by name. */
function byNumber(a: string, b: string): number {
  const n = (s: string): number => Number(/-(\d+)$/.exec(s)?.[1] ?? NaN);
  return n(a) - n(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Refuses, before anything is created, when any target cannot be made: taken id, the limit, an existing folder, a checked-out branch. */
function refuseUnlessRoom(scan: AdminScan, targets: readonly Target[], limit: number): void {
  const one = targets.length === 1;
  if (scan.taken.length > 0) {
    throw new AxiomError(
      'AlreadyExists',
      one
        ? `An instance named ${JSON.stringify(scan.taken[0])} already exists. Pick another id or clean it up first.`
        : `Instances named ${scan.taken.join(', ')} already exist. Pick another prefix or clean them up first; nothing was created.`,
      { ids: scan.taken },
    );
  }
  if (scan.live + targets.length > limit) {
    throw new AxiomError(
      'LimitReached',
      one
        ? `${scan.live} instances are live and the limit is ${limit}. Clean up finished instances or raise the limit (git config axiom.maxInstances).`
        : `${targets.length} more would make ${scan.live + targets.length} live instances and the limit is ${limit} (${scan.live} live, ${Math.max(0, limit - scan.live)} free); nothing was created. Clean up finished instances, spawn fewer, or raise the limit (git config axiom.maxInstances).`,
      { live: scan.live, limit, requested: targets.length },
    );
  }
  const existing = targets.filter((t) => fs.existsSync(t.wtPath)).map((t) => t.wtPath);
  if (existing.length > 0) {
    throw new AxiomError(
      'AlreadyExists',
      one
        ? `The worktree folder ${existing[0]} already exists. Remove or rename it, or pick another id.`
        : `The worktree folders ${existing.join(', ')} already exist. Remove or rename them, or pick another prefix; nothing was created.`,
      { path: existing[0]!, paths: existing },
    );
  }
  const clash = scan.clashes[0];
  if (clash) {
    throw new AxiomError('BranchCheckedOut', `A branch of instance ${JSON.stringify(clash.id)} is checked out at ${clash.path}. Run repair or pick another id.`, {
      path: clash.path,
    });
  }
}

/** Under the lock: the worktree (no checkout yet, locked as an unfinished spawn) and its record. */
async function register(git: GitRunner, repo: RepoInfo, t: Target, base: string, baseSha: string, now: Date, options: SpawnOptions): Promise<Registered> {
  try {
    // --track makes the base the branch's upstream: one for-each-ref then gives every
    // instance's ahead/behind (docs/ARCHITECTURE.md §6). --lock marks the spawn unfinished until checkout.
    await git.run(repo.commonDir, [
      'worktree', 'add', '--no-checkout', '--lock', '--reason', `${SPAWN_LOCK_PREFIX}${formatProcessIdentity(currentProcessIdentity())}`,
      '--track', '-b', t.branch, t.wtPath, `refs/heads/${base}`,
    ]);
  } catch (e) {
    await rollbackBranch(git, repo, t.branch);
    throw isAxiomError(e) && e.code === 'AlreadyExists'
      ? new AxiomError('AlreadyExists', `Cannot create ${t.branch} at ${t.wtPath}: ${e.details.stderr ?? e.message}`, e.details)
      : e;
  }
  crashPoint('worktree-added');
  const adminDir = await adminDirOf(t.wtPath);
  const metadata: InstanceMetadata = {
    version: 1,
    id: t.id,
    branch: t.branch,
    base,
    baseSha,
    agent: options.agent ?? null,
    prompt: options.prompt ?? null,
    launch: options.launch ?? 'none',
    createdAt: now.toISOString(),
    ...(options.from !== undefined ? { parent: options.from } : {}),
    ...(options.race ? { race: options.race } : {}),
    ...(t.ports.length > 0 ? { ports: t.ports } : {}),
    ...(Object.keys(t.env).length > 0 ? { env: t.env } : {}),
    ...(options.source ? { source: options.source } : {}),
    ...(options.session ? { session: options.session } : {}),
  };
  if (metadata.launch === 'terminal') metadata.terminal = { requestedAt: now.toISOString() };
  try {
    if (!adminDir) throw new AxiomError('GitFailed', `git created ${t.wtPath} without a .git file.`);
    await writeMetadata(adminDir, metadata);
  } catch (e) {
    await removeHalfSpawned(git, repo, t.wtPath, t.branch);
    throw e;
  }
  crashPoint('metadata-written');
  return { ...t, adminDir: adminDir!, metadata };
}

/** Outside the lock: checkout, provisioning and its record, then the spawn's own lock comes off. */
async function checkOut(
  git: GitRunner,
  r: Registered,
  plan: ProvisionPlan,
  mainWorktree: string,
  onProgress: SpawnOptions['onProgress'],
): Promise<{ metadata: InstanceMetadata; provision: ProvisionRecord | null }> {
  let metadata = r.metadata;
  let provision: ProvisionRecord | null = null;
  await git.run(r.wtPath, ['reset', '--hard', '--quiet']);
  crashPoint('checked-out');
  // Provisioning runs while the spawn lock still marks the worktree unfinished: a crash here is repaired like a crash in checkout.
  if (!isEmptyPlan(plan)) {
    provision = await provisionWorktree(git, plan, mainWorktree, r.wtPath, onProgress);
    // Axiom's own record of what it put there (path + hash): never work, never a git object.
    writeProvisioned(r.adminDir, r.wtPath, provision);
    metadata = { ...metadata, provision };
    await writeMetadata(r.adminDir, metadata);
    crashPoint('provisioned');
  }
  // What `git worktree unlock` does (gitrepository-layout: worktrees/<id>/locked), minus a process.
  await fs.promises.rm(path.join(r.adminDir, 'locked'), { force: true });
  return { metadata, provision };
}

/** Setup runs on the finished instance: a failing setup leaves it in place, in state "failed". */
async function setUp(
  r: Registered,
  plan: ProvisionPlan,
  setupMode: 'run' | 'defer' | 'skip' | null,
  base: string,
  onProgress: SpawnOptions['onProgress'],
): Promise<SetupRecord | null> {
  if (setupMode === 'run') {
    return runSetup({
      adminDir: r.adminDir,
      commands: plan.config.setup,
      cwd: r.wtPath,
      env: instanceProcessEnv({ id: r.id, worktree: r.wtPath, base, ports: r.ports, env: r.env }),
      timeoutMs: plan.config.setupTimeoutSeconds * 1000,
      onStep: (s) => onProgress?.({ step: 'setup', ...s }),
    });
  }
  if (setupMode) return recordSetup(r.adminDir, plan.config.setup, setupMode === 'defer' ? 'pending' : 'skipped');
  return null;
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

interface AdminScan {
  live: number;
  /** The ids asked for that a live instance already has. */
  taken: string[];
  /** Worktrees (made by anyone) with a branch of one of the ids checked out. */
  clashes: { id: string; path: string }[];
}

/**
 * What spawn decides on, read fresh under the lock in one parallel pass over the admin dirs (file
 * reads, no git process; the admin dirs git makes for the new worktrees are not among them yet): how
 * many instances are live (have a record), which of `ids` one of them has, and the worktrees (made by
 * anyone) that have a branch of one of the ids checked out.
 */
async function scanAdminDirs(commonDir: string, ids: readonly string[]): Promise<AdminScan> {
  const root = path.join(commonDir, 'worktrees');
  const names = await fs.promises.readdir(root).catch(() => [] as string[]);
  const wanted = new Set(ids);
  const dirs = await Promise.all(
    names.map(async (name) => {
      const adminDir = path.join(root, name);
      const [{ metadata }, head] = await Promise.all([readMetadataFile(adminDir), fs.promises.readFile(path.join(adminDir, 'HEAD'), 'utf8').catch(() => '')]);
      const onId = /^ref: refs\/heads\/axiom\/([^/\s]+)\//.exec(head)?.[1];
      return { adminDir, id: metadata?.id ?? null, clash: onId !== undefined && wanted.has(onId) ? onId : null };
    }),
  );
  const clashing = dirs.filter((d): d is typeof d & { clash: string } => d.clash !== null);
  return {
    live: dirs.filter((d) => d.id !== null).length,
    taken: ids.filter((id) => dirs.some((d) => d.id === id)),
    clashes: await Promise.all(clashing.map(async (d) => ({ id: d.clash, path: (await readAdminEntry(d.adminDir)).worktreePath ?? d.adminDir }))),
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
