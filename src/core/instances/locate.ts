/** Finds an instance by id from the admin dirs' metadata: file reads only, no git process. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomError } from '../errors';
import { validateId } from './ids';
import { readAdminEntries, readAdminEntry, type AdminEntry, type InstanceMetadata } from './metadata';
import type { RepoInfo } from '../git/repo';

export interface LocatedInstance {
  id: string;
  path: string;
  adminDir: string;
  metadata: InstanceMetadata;
  /** The worktree folder is gone (deleted by hand): only repair or a forced cleanup apply. */
  missing: boolean;
}

/**
 * The admin dir names git most likely gave the instance's worktree: git names it after the folder
 * (`axiom-<id>` with the default template, `<id>` with `…/{id}`). A guess only saves reading every
 * admin dir; what decides is the record inside (its id), as for any other admin dir.
 */
function likelyAdminDirs(commonDir: string, id: string): string[] {
  return [`axiom-${id}`, id].map((name) => path.join(commonDir, 'worktrees', name));
}

async function findEntry(commonDir: string, id: string): Promise<{ found: AdminEntry | undefined; entries: AdminEntry[] | null }> {
  for (const dir of likelyAdminDirs(commonDir, id)) {
    const entry = await readAdminEntry(dir);
    if (entry.metadata?.id === id && entry.worktreePath) return { found: entry, entries: null };
  }
  const entries = await readAdminEntries(commonDir);
  return { found: entries.find((e) => e.metadata?.id === id), entries };
}

/**
 * Finds an instance by the id its record holds: the admin dir git most likely named after it first
 * (O(1) in the number of instances), every admin dir when that is not it.
 */
export async function locateInstance(repo: RepoInfo, rawId: string): Promise<LocatedInstance> {
  const id = validateId(rawId);
  const { found, entries } = await findEntry(repo.commonDir, id);
  if (!found || !found.metadata || !found.worktreePath) {
    const known = (entries ?? []).map((e) => e.metadata?.id).filter((x): x is string => !!x).sort();
    throw new AxiomError(
      'NotFound',
      `No instance named ${JSON.stringify(id)}.` + (known.length ? ` Known instances: ${known.join(', ')}.` : ' There are no instances yet.'),
    );
  }
  return {
    id,
    path: found.worktreePath,
    adminDir: found.adminDir,
    metadata: found.metadata,
    missing: !fs.existsSync(found.worktreePath),
  };
}

/**
 * Runs a read of an instance that does not take the lock (a preview, a diff): when another process
 * removes the instance meanwhile, the read fails inside git; that is the instance being gone
 * (`NotFound`), not a git failure.
 */
export async function readWhilePresent<T>(inst: Pick<LocatedInstance, 'id' | 'path' | 'missing'>, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    // A folder already gone when the read began is not this case (repair and forced cleanup handle it).
    if (inst.missing || fs.existsSync(inst.path) || (e instanceof AxiomError && e.code === 'NotFound')) throw e;
    throw new AxiomError('NotFound', `${inst.id} was removed while it was being read (another Axiom process cleaned it up).`, { path: inst.path });
  }
}
