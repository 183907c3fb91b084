/**
 * Crash points for the crash-recovery tests: with AXIOM_TEST_HOOKS=1 and
 * AXIOM_TEST_CRASH_AFTER=<step>, the process dies right after that step, as a kill -9 would.
 * Both variables are needed, so a stray setting in a user's shell does nothing.
 */
export type SpawnStep = 'validated' | 'worktree-added' | 'metadata-written' | 'checked-out' | 'provisioned';

export function crashPoint(step: SpawnStep): void {
  if (process.env.AXIOM_TEST_HOOKS === '1' && process.env.AXIOM_TEST_CRASH_AFTER === step) {
    process.kill(process.pid, 'SIGKILL');
  }
}
