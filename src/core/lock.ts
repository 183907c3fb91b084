/** One writer at a time per repository, across processes: a lock in the git common dir. */
import * as lockfile from 'proper-lockfile';
import * as path from 'node:path';
import { AxiomError } from './errors';

export const LOCK_NAME = 'axiom.lock';

export interface LockOptions {
  /** How long to wait for another writer before giving up (ms). */
  waitMs?: number;
}

export async function withRepoLock<T>(commonDir: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const waitMs = options.waitMs ?? 120_000;
  const step = 25;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(commonDir, {
      lockfilePath: path.join(commonDir, LOCK_NAME),
      realpath: false,
      // A crashed holder's lock is taken over after `stale` ms; a live holder refreshes it.
      stale: 15_000,
      update: 5_000,
      retries: { retries: Math.ceil(waitMs / step), factor: 1, minTimeout: step, maxTimeout: step * 2, randomize: true },
      onCompromised: () => {
        /* the lock dir was removed under us (e.g. by repair); the operation still finishes */
      },
    });
  } catch (e) {
    throw new AxiomError(
      'Locked',
      `Another Axiom operation is still changing this repository (lock ${path.join(commonDir, LOCK_NAME)}). Try again in a moment.`,
      { stderr: e instanceof Error ? e.message : String(e) },
    );
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
