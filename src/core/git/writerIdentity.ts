/**
 * The identity for Axiom's own bookkeeping commits (race records, evaluation notes, snapshots, salvage),
 * looked up once per repository and process: these writes come in bursts (a race of N members
 * writes N notes) and the identity does not change in between.
 */
import type { GitRunner } from './git';
import { identityEnv } from './identity';

const known = new Map<string, Promise<Record<string, string> | undefined>>();

export function writerIdentity(git: GitRunner, commonDir: string): Promise<Record<string, string> | undefined> {
  let found = known.get(commonDir);
  if (!found) {
    found = identityEnv(git, commonDir);
    found.catch(() => known.delete(commonDir));
    known.set(commonDir, found);
  }
  return found;
}
