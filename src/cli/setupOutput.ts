/** How the CLI shows setup and teardown: step times, and a failed setup with the last lines of its log. */
import type { SetupRecord } from '../core';
import { EXIT, type ExitCode, type VerbContext } from './context';
import { backend } from './lazy';

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A failed setup: the instance stays (state `failed`); stderr gets what failed and the log's last
 * lines (as `{"error": …}` with --json, code SetupFailed). Exit code 3.
 */
export async function setupFailure(ctx: VerbContext, id: string, setup: SetupRecord): Promise<ExitCode> {
  const tail = await backend().logTail(setup.logFile);
  const what = setup.timedOut ? 'timed out' : `exit ${setup.exitCode ?? '?'}`;
  const message = `The setup of ${id} failed (${what}: ${setup.failedCommand ?? '?'}). The instance is kept in state "setup failed": fix the cause and run axiom setup ${id}, or clean it up.`;
  const error = new (backend().AxiomError)('SetupFailed', message, {
    logFile: setup.logFile,
    logTail: tail,
    ...(setup.exitCode !== null ? { exitCode: setup.exitCode } : {}),
  });
  ctx.io.err(
    ctx.json
      ? JSON.stringify({ error: error.toJSON() }, null, 2) + '\n'
      : `axiom: ${message}\nLast lines of ${setup.logFile}:\n${tail.replace(/^/gm, '  ')}\n`,
  );
  return EXIT.refused;
}
