/**
 * Crash points for the crash-recovery tests: with AXIOM_TEST_HOOKS=1 and
 * AXIOM_TEST_CRASH_AFTER=<step>, the process dies right after that step, as a kill -9 would.
 * Both variables are needed, so a stray setting in a user's shell does nothing.
 */
export type SpawnStep = 'validated' | 'worktree-added' | 'metadata-written' | 'checked-out' | 'provisioned';
export type CleanupStep = 'cleanup-moved-aside' | 'cleanup-unregistered';
export type LandStep = 'land-merged';

export function crashPoint(step: SpawnStep | CleanupStep | LandStep): void {
  if (process.env.AXIOM_TEST_HOOKS === '1' && process.env.AXIOM_TEST_CRASH_AFTER === step) {
    process.kill(process.pid, 'SIGKILL');
  }
}

/**
 * In-process pauses for tests that must act at an exact moment of an operation (a user committing
 * on the target between a merge's plan and its move). Only tests register hooks; nothing else does.
 */
export type HookPoint = 'merge:before-advance' | 'cleanup:after-assess' | 'cleanup:before-salvage' | 'land:before-merge';
const hooks = new Map<HookPoint, () => Promise<void> | void>();

export function setTestHook(point: HookPoint, hook: (() => Promise<void> | void) | null): void {
  if (hook) hooks.set(point, hook);
  else hooks.delete(point);
}

export async function testHook(point: HookPoint): Promise<void> {
  await hooks.get(point)?.();
}
