/**
 * An existing instance's setup and teardown: `axiom setup <id>` (run or re-run the setup), the
 * teardown that cleanup runs first, and what cleanup releases afterwards (the port block).
 */
import * as path from 'node:path';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { instanceProcessEnv } from './instanceEnv';
import type { LocatedInstance } from '../instances/locate';
import type { InstanceMetadata } from '../instances/metadata';
import { isOrphan, stopOwnedProcesses } from '../processes/ownedProcesses';
import { releasePorts } from './ports';
import type { RepoInfo } from '../git/repo';
import { readWorktreeConfig } from './repoConfig';
import { TEARDOWN_LOG, logTail, runCommands, runSetup, type CommandStep, type SetupRecord } from './setup';

/** The whole environment of an instance's processes, from its metadata (ports and `env` fixed at spawn). */
export function environmentOf(
  inst: { path: string; metadata: InstanceMetadata },
  inherited: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const m = inst.metadata;
  return instanceProcessEnv(
    { id: m.id, worktree: inst.path, base: m.base, ports: m.ports ?? [], env: m.env ?? {} },
    inherited,
  );
}

function refuseUntrusted(git: GitRunner, what: string): void {
  if (git.untrusted)
    throw new AxiomError(
      'Untrusted',
      `This repository is not trusted: its ${what} commands do not run. Trust the workspace first.`,
    );
}

export interface SetupRunHooks {
  echo?: (chunk: string) => void;
  onStep?: (event: { command: string; index: number; total: number; done?: CommandStep }) => void;
  ranBy?: 'engine' | 'terminal';
}

/** Runs the configuration's setup commands in the instance (again). Null when there are none. */
export async function setupInstance(
  git: GitRunner,
  repo: RepoInfo,
  inst: LocatedInstance,
  hooks: SetupRunHooks = {},
): Promise<SetupRecord | null> {
  if (inst.missing)
    throw new AxiomError('NotFound', `The worktree of ${inst.id} (${inst.path}) is missing. Run repair.`, {
      path: inst.path,
    });
  const config = await readWorktreeConfig(git, repo.commonDir, repo.mainWorktree);
  if (config.setup.length === 0) return null;
  refuseUntrusted(git, 'setup');
  // A setup run again replaces the last one: what that one left running (its servers) stops first.
  await stopOwnedProcesses(inst.adminDir, (rec) => rec.kind === 'setup' || isOrphan(rec));
  return runSetup({
    adminDir: inst.adminDir,
    commands: config.setup,
    cwd: inst.path,
    env: environmentOf(inst),
    timeoutMs: config.setupTimeoutSeconds * 1000,
    ...hooks,
  });
}

export interface TeardownResult {
  state: 'succeeded' | 'failed' | 'skipped';
  commands: string[];
  steps: CommandStep[];
  /** Why it was skipped (missing folder, forced while untrusted). */
  reason?: string;
  logTail?: string;
}

/**
 * Cleanup's first step: the teardown commands in the worktree. A failing teardown refuses the cleanup
 * (TeardownFailed, with the log's last lines) unless `force`. Null when no teardown is configured.
 */
export async function teardownBeforeCleanup(
  git: GitRunner,
  repo: RepoInfo,
  inst: LocatedInstance,
  force: boolean,
  /** Runs right before the first teardown command (a forced cleanup salvages what it could destroy). */
  beforeRun?: () => Promise<void>,
): Promise<TeardownResult | null> {
  let config;
  try {
    config = await readWorktreeConfig(git, repo.commonDir, repo.mainWorktree);
  } catch (e) {
    if (force)
      return {
        state: 'skipped',
        commands: [],
        steps: [],
        reason: `the configuration cannot be read: ${(e as Error).message.split('\n')[0]}`,
      };
    throw e;
  }
  const commands = config.teardown;
  if (commands.length === 0) return null;
  if (inst.missing)
    return { state: 'skipped', commands, steps: [], reason: 'the worktree folder is missing' };
  if (git.untrusted) {
    if (force) return { state: 'skipped', commands, steps: [], reason: 'the repository is not trusted' };
    refuseUntrusted(git, 'teardown');
  }
  const logFile = path.join(inst.adminDir, TEARDOWN_LOG);
  await beforeRun?.();
  const steps = await runCommands('teardown', commands, {
    cwd: inst.path,
    env: environmentOf(inst),
    timeoutMs: config.setupTimeoutSeconds * 1000,
    logFile,
    adminDir: inst.adminDir,
  });
  const failed = steps.find((s) => s.exitCode !== 0);
  if (!failed) return { state: 'succeeded', commands, steps };
  const tail = await logTail(logFile);
  if (!force) {
    throw new AxiomError(
      'TeardownFailed',
      `The teardown of ${inst.id} failed (${failed.timedOut ? 'timed out' : `exit ${failed.exitCode}`}: ${failed.command}), so the instance was not cleaned up. Fix it and clean up again, or force the cleanup.\n${tail}`,
      {
        path: inst.path,
        logFile,
        logTail: tail,
        ...(failed.exitCode !== null ? { exitCode: failed.exitCode } : {}),
      },
    );
  }
  return { state: 'failed', commands, steps, logTail: tail };
}

/** Cleanup's last step: the instance's port block goes back to the pool. */
export async function releaseAfterCleanup(repo: RepoInfo, inst: LocatedInstance): Promise<void> {
  await releasePorts(repo.commonDir, inst.id, inst.metadata.ports ?? []);
}
