/**
 * A cleanup moves the worktree folder aside before it unregisters and deletes it. Each move is
 * written down first (`<common-dir>/axiom/removals/*.json`) so that a crash at any point is finished
 * or undone by `repair`: while the worktree is still registered the folder is moved back (nothing
 * was removed); once it is unregistered (any salvage already written), the leftover folder is deleted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RepoInfo } from './repo';
import { currentProcessIdentity, isSameProcessAlive, type ProcessIdentity } from './processIdentity';

export interface RemovalRecord {
  original: string;
  aside: string;
  adminDir: string;
  holder: ProcessIdentity;
  at: string;
}

function journalDir(repo: RepoInfo): string {
  return path.join(repo.commonDir, 'axiom', 'removals');
}

function entryFile(repo: RepoInfo, aside: string): string {
  return path.join(journalDir(repo), `${path.basename(aside)}.json`);
}

export async function journalRemoval(repo: RepoInfo, r: Omit<RemovalRecord, 'holder' | 'at'>): Promise<void> {
  await fs.promises.mkdir(journalDir(repo), { recursive: true });
  const record: RemovalRecord = { ...r, holder: currentProcessIdentity(), at: new Date().toISOString() };
  const file = entryFile(repo, r.aside);
  await fs.promises.writeFile(`${file}.tmp`, JSON.stringify(record, null, 2));
  await fs.promises.rename(`${file}.tmp`, file);
}

export async function finishRemoval(repo: RepoInfo, aside: string): Promise<void> {
  await fs.promises.rm(entryFile(repo, aside), { force: true });
}

export interface RemovalRecovery {
  /** Folders moved back: their cleanup had not unregistered them yet. */
  restored: string[];
  /** Leftover folders of cleanups that had finished everything but the deletion. */
  deleted: string[];
}

/** Finishes or undoes the removals of processes that are gone. Call under the repository lock. */
export async function recoverRemovals(repo: RepoInfo): Promise<RemovalRecovery> {
  const report: RemovalRecovery = { restored: [], deleted: [] };
  let names: string[];
  try {
    names = (await fs.promises.readdir(journalDir(repo))).filter((n) => n.endsWith('.json'));
  } catch {
    return report;
  }
  for (const name of names) {
    const file = path.join(journalDir(repo), name);
    let r: RemovalRecord;
    try {
      r = JSON.parse(await fs.promises.readFile(file, 'utf8')) as RemovalRecord;
    } catch {
      continue; // a half-written entry: its move never happened
    }
    if (isSameProcessAlive(r.holder)) continue; // still running: not ours to touch
    if (fs.existsSync(r.aside)) {
      if (fs.existsSync(r.adminDir) && !fs.existsSync(r.original)) {
        await fs.promises.rename(r.aside, r.original);
        report.restored.push(r.original);
      } else if (!fs.existsSync(r.adminDir)) {
        await fs.promises.rm(r.aside, { recursive: true, force: true });
        report.deleted.push(r.aside);
      } else {
        continue; // both folders exist: leave them for a person to look at
      }
    }
    await fs.promises.rm(file, { force: true });
  }
  return report;
}
