/**
 * One writer at a time per repository, across processes: a lock in the git common dir
 * (proper-lockfile: an atomic mkdir of `<common-dir>/axiom.lock`, kept fresh while held).
 *
 * Two additions to proper-lockfile:
 * - The holder writes who it is (pid + process start time) into the lock dir. A lock whose holder is
 *   provably dead (killed with SIGKILL, crashed) is taken over at once instead of after the staleness
 *   timeout (STALE_MS, 10 min); a holder that cannot be proven dead keeps its lock, however starved.
 * - The first hold finishes what killed operations left: removals (removalJournal.ts) and landings
 *   (landingJournal.ts).
 * - Re-entrant within one async call chain: an operation made of operations (land = merge, then
 *   cleanups) holds the lock once, so its checks and changes see one consistent repository.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { AxiomError } from '../errors';
import { currentProcessIdentity, isSameProcessAlive, type ProcessIdentity } from '../processes/processIdentity';
import { recoverRemovals } from './removalJournal';
import { hasLandingJournal, recoverLandings } from '../explore/landingJournal';
import { GitRunner } from '../git/git';

export const LOCK_NAME = 'axiom.lock';
const OWNER_FILE = 'owner.json';
/** How long a lock whose holder is not provably dead stays its holder's without a refresh. */
export const STALE_MS = 10 * 60_000;
/** How long a lock with no owner record (its holder killed before it wrote one) waits to be taken over. */
export const OWNERLESS_STALE_MS = 15_000;

export interface LockOptions {
  /** How long to wait for another writer before giving up (ms). */
  waitMs?: number;
  /** Finish or undo the removals of dead cleanups first (default true; repair does it itself). */
  recoverRemovals?: boolean;
}

/** The common dirs whose lock this async call chain holds. */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/** proper-lockfile removes its lock with rmdir; the owner file inside has to go first. */
const lockFs = {
  ...fs,
  rmdir: (p: string, cb: (err: NodeJS.ErrnoException | null) => void) => fs.rm(p, { recursive: true, force: true }, cb),
  rmdirSync: (p: string) => fs.rmSync(p, { recursive: true, force: true }),
};

export function holdsRepoLock(commonDir: string): boolean {
  return held.getStore()?.has(commonDir) ?? false;
}

export async function withRepoLock<T>(commonDir: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  if (holdsRepoLock(commonDir)) return work();
  const lockDir = path.join(commonDir, LOCK_NAME);
  const waitMs = options.waitMs ?? 120_000;
  // The wait is per holder: while the lock passes from one operation to the next (a queue of twenty
  // cleanups), every new holder restarts it. Only one holder keeping the lock that long is "Locked".
  let deadline = Date.now() + waitMs;
  let lastHolder = '';
  let release: (() => Promise<void>) | undefined;
  let lastError: unknown;
  for (let attempt = 0; !release; attempt++) {
    try {
      release = await lockfile.lock(commonDir, {
        lockfilePath: lockDir,
        realpath: false,
        fs: lockFs,
        // A holder that stopped refreshing loses its lock after `stale` ms. Not 15 s: on a starved machine
        // (load 45 on 2 cores) a live holder went that long without a refresh, a second landing took the
        // lock and ran beside the first. A dead holder is taken over at once by its identity (below);
        // a live one that hangs keeps the lock this long, and waiters are told "Locked" meanwhile.
        stale: STALE_MS,
        update: 5_000,
        retries: 0,
        onCompromised: () => {
          /* the lock dir was removed under us (taken over as stale); the operation still finishes */
        },
      });
    } catch (e) {
      lastError = e;
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') break;
      if (takeOverFromDeadHolder(lockDir)) continue;
      const holder = holderStamp(lockDir);
      if (holder !== lastHolder) {
        lastHolder = holder;
        deadline = Date.now() + waitMs;
      }
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, Math.min(25 + attempt * 5, 100) + Math.random() * 25));
    }
  }
  if (!release) {
    throw new AxiomError('Locked', `Another Axiom operation is still changing this repository (lock ${lockDir}). Try again in a moment.`, {
      stderr: lastError instanceof Error ? lastError.message : String(lastError),
    });
  }
  const ownerRecord = writeOwner(lockDir);
  try {
    // A cleanup killed between moving a folder aside and finishing is finished or undone here, by
    // the next operation, not left for the user to notice (repair does it itself, to report it).
    if (options.recoverRemovals !== false) await recoverRemovals({ commonDir }).catch(() => undefined);
    // A landing killed after its merge is recorded as landed (with its winner) before anything else
    // runs, so no later operation can land another member of that race. Git only, no repository code.
    if (hasLandingJournal({ commonDir })) await recoverLandings(new GitRunner({ untrusted: true }), { commonDir }).catch(() => undefined);
    return await held.run(new Set([...(held.getStore() ?? []), commonDir]), work);
  } finally {
    await release().catch(() => removeOwnLock(lockDir, ownerRecord));
  }
}

/**
 * Names the holder inside the lock dir. proper-lockfile refreshes the lock only while the dir's mtime
 * is the one it set, and writing a file into the dir changes that mtime: left so, the first refresh
 * (5 s in) took the lock as compromised, its release left the dir behind with a live owner, and every
 * later operation waited for the 10 min staleness. So the dir's mtime is put back as it was.
 * Returns the record written ('' when none could be).
 */
function writeOwner(lockDir: string): string {
  const tmp = path.join(lockDir, `${OWNER_FILE}.${process.pid}.tmp`);
  const record = JSON.stringify({ ...currentProcessIdentity(), at: new Date().toISOString(), token: Math.random().toString(36).slice(2) });
  try {
    const { atime, mtime } = fs.statSync(lockDir);
    fs.writeFileSync(tmp, record);
    fs.renameSync(tmp, path.join(lockDir, OWNER_FILE));
    fs.utimesSync(lockDir, atime, mtime);
    return record;
  } catch {
    /* without an owner record the lock is only taken over after the staleness timeout */
    return '';
  }
}

/**
 * proper-lockfile would not release (the lock was taken as compromised): remove the lock dir only
 * while it still holds this holding's own record — moved aside first, so a holder that took it over
 * meanwhile keeps it.
 */
function removeOwnLock(lockDir: string, ownerRecord: string): void {
  if (!ownerRecord || holderStamp(lockDir) !== ownerRecord) return;
  removeLockIf(lockDir, 'released', (moved) => holderStamp(moved) === ownerRecord);
}

/**
 * Removes the lock dir if it is still the one `isSame` expects: moved aside first (atomic, so only
 * one process gets it), checked there, deleted — or moved back when another holder took the lock
 * between the caller's check and the move. 'gone': someone else moved it first.
 */
function removeLockIf(lockDir: string, why: string, isSame: (movedDir: string) => boolean): 'removed' | 'kept' | 'gone' {
  const aside = `${lockDir}.${why}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  try {
    fs.renameSync(lockDir, aside);
  } catch {
    return 'gone';
  }
  if (isSame(aside)) {
    fs.rmSync(aside, { recursive: true, force: true });
    return 'removed';
  }
  try {
    fs.renameSync(aside, lockDir);
  } catch {
    /* a third process locked meanwhile; the moved holder's lock is compromised and it finishes anyway */
  }
  return 'kept';
}

/** Who holds the lock since when, as text (changes with every new holding). */
function holderStamp(lockDir: string): string {
  try {
    return fs.readFileSync(path.join(lockDir, OWNER_FILE), 'utf8');
  } catch {
    return '';
  }
}

function readOwner(dir: string): ProcessIdentity | null {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as Partial<ProcessIdentity>;
    return typeof o.pid === 'number' ? { pid: o.pid, startTime: typeof o.startTime === 'string' ? o.startTime : null } : null;
  } catch {
    return null;
  }
}

/**
 * The lock is held by a process that is provably gone: move the lock dir aside (atomic, so only one
 * waiter succeeds), check it is still the dead holder's, and delete it. Returns true when the caller
 * should try to lock again at once.
 */
function takeOverFromDeadHolder(lockDir: string): boolean {
  const owner = readOwner(lockDir);
  // No owner record: the holder died between creating the lock and naming itself (a kill in that
  // window), or is in that window now. A live holder refreshes the lock's time every 5 s, so one that
  // is ownerless and unrefreshed for OWNERLESS_STALE_MS is taken as dead.
  const dead = owner ? owner.startTime !== null && !isSameProcessAlive(owner) : unrefreshedMs(lockDir) > OWNERLESS_STALE_MS;
  if (!dead) return false;
  const same = (moved: ProcessIdentity | null): boolean => (owner ? moved !== null && moved.pid === owner.pid && moved.startTime === owner.startTime : moved === null);
  // 'gone': another waiter moved it first, just try again; 'kept': a new holder took it meanwhile.
  return removeLockIf(lockDir, 'dead', (movedDir) => same(readOwner(movedDir))) !== 'kept';
}

/** How long ago the lock dir was created or last refreshed (0 when it is gone). */
function unrefreshedMs(lockDir: string): number {
  try {
    return Date.now() - fs.statSync(lockDir).mtimeMs;
  } catch {
    return 0;
  }
}
