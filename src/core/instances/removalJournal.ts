/**
 * A cleanup moves the worktree folder aside before it unregisters and deletes it. Each move is
 * written down first (`<common-dir>/axiom/removals/*.json`) so that a crash at any point is finished
 * or undone — by `repair`, and by the next Axiom operation that takes the repository lock (see
 * lock.ts) — : until the cleanup has recorded that it unregistered the worktree (any salvage already
 * written), the folder is moved back, nothing removed; after that, the leftover folder is deleted.
 * A worktree unregistered by someone else (`git worktree prune` of the "missing" folder) proves
 * nothing was salvaged: its folder is moved back too, never deleted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RepoInfo } from '../git/repo';
import { currentProcessIdentity, isSameProcessAlive, type ProcessIdentity } from '../processes/processIdentity';

export interface RemovalRecord {
  original: string;
  aside: string;
  adminDir: string;
  holder: ProcessIdentity;
  at: string;
  /** Set once the cleanup has unregistered the worktree (its work salvaged): only the deletion remains. */
  unregistered?: boolean;
}

function journalDir(repo: Pick<RepoInfo, 'commonDir'>): string {
  return path.join(repo.commonDir, 'axiom', 'removals');
}

function entryFile(repo: Pick<RepoInfo, 'commonDir'>, aside: string): string {
  return path.join(journalDir(repo), `${path.basename(aside)}.json`);
}

type JournalRepo = Pick<RepoInfo, 'commonDir'>;

export async function journalRemoval(repo: JournalRepo, r: Omit<RemovalRecord, 'holder' | 'at'>): Promise<void> {
  await fs.promises.mkdir(journalDir(repo), { recursive: true });
  const record: RemovalRecord = { ...r, holder: currentProcessIdentity(), at: new Date().toISOString() };
  await writeEntry(repo, record);
}

/** Records that the worktree is unregistered: from now on a crash leaves only a folder to delete. */
export async function journalUnregistered(repo: JournalRepo, aside: string): Promise<void> {
  const record = readEntry(entryFile(repo, aside));
  if (record) await writeEntry(repo, { ...record, unregistered: true });
}

async function writeEntry(repo: JournalRepo, record: RemovalRecord): Promise<void> {
  const file = entryFile(repo, record.aside);
  await fs.promises.writeFile(`${file}.tmp`, JSON.stringify(record, null, 2));
  await fs.promises.rename(`${file}.tmp`, file);
}

function readEntry(file: string): RemovalRecord | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RemovalRecord;
  } catch {
    return null; // a half-written entry: its move never happened
  }
}

export async function finishRemoval(repo: JournalRepo, aside: string): Promise<void> {
  await fs.promises.rm(entryFile(repo, aside), { force: true });
}

export interface RemovalRecovery {
  /** Folders moved back: their cleanup had not unregistered them yet. */
  restored: string[];
  /** Leftover folders of cleanups that had finished everything but the deletion. */
  deleted: string[];
}

/** Finishes or undoes the removals of processes that are gone. Call under the repository lock. */
export async function recoverRemovals(repo: JournalRepo): Promise<RemovalRecovery> {
  const report: RemovalRecovery = { restored: [], deleted: [] };
  let names: string[];
  try {
    names = (await fs.promises.readdir(journalDir(repo))).filter((n) => n.endsWith('.json'));
  } catch {
    return report;
  }
  for (const name of names) {
    const file = path.join(journalDir(repo), name);
    const r = readEntry(file);
    if (!r) continue;
    if (isSameProcessAlive(r.holder)) continue; // still running: not ours to touch
    if (fs.existsSync(r.aside)) {
      if (r.unregistered && !fs.existsSync(r.adminDir)) {
        await fs.promises.rm(r.aside, { recursive: true, force: true });
        report.deleted.push(r.aside);
      } else if (!fs.existsSync(r.original)) {
        // Not unregistered by the cleanup: whatever the folder holds may exist nowhere else.
        await fs.promises.rename(r.aside, r.original);
        report.restored.push(r.original);
      } else {
        continue; // both folders exist: leave them for a person to look at
      }
    }
    await fs.promises.rm(file, { force: true });
  }
  return report;
}
