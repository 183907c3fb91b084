/**
 * What a status refresh may reuse from the last one (issue 19: a refresh after one edit at 300
 * instances costs about what it costs at 1): each admin dir's files, the worktree list built from
 * them, and the branch refs. Everything is validated by the file system's own record of change —
 * mtime, size and inode, as git validates its index — and read again when that moved:
 *
 * - an admin dir's record (`gitdir`, `HEAD`, `locked`, `axiom.json`): by the stats of the dir (git
 *   and Axiom replace `HEAD`, `index`, `axiom.json`, `axiom-agent.json`, `axiom-setup.json` by a
 *   rename, and create or delete `locked`, all of which change the dir) and of the files written in
 *   place (`gitdir`, `axiom.json` edited by hand, `axiom-status.jsonl`, which grows);
 * - the agent's state and the setup record: the same stats, and only while no process is involved
 *   (a running agent or setup is looked at again every time: a process can end without a write);
 * - whether the worktree folder is still there (prunable): checked every time (deleting a folder by
 *   hand touches nothing in the admin dir);
 * - the refs (`for-each-ref` of `refs/heads`, with ahead/behind): by the stats of every folder that
 *   holds one of them (a ref is written by a rename into its folder), `packed-refs` and `config`
 *   (upstreams).
 *
 * Racy entries: a file changed within {@link RACY_MS} of when it was read may have changed again in
 * the same clock tick, so such an entry is read again next time (git's "racily clean" rule).
 *
 * These caches only feed what the status shows. No refusal or cleanup decides on them: every
 * operation that protects work reads fresh under the lock (docs/ARCHITECTURE.md §4.3).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readMetadataFileSync, type AdminEntry } from './metadata';
import { readWorktreeRecord, type UnresolvedWorktreeRecord } from '../git/worktreeRecord';
import { STATUS_FILE, type AgentState } from '../processes/agentState';
import type { SetupStatus } from '../provision/setup';

/** A change this close to the read may have been followed by another one in the same tick. */
export const RACY_MS = 1000;

/** Stats of files as one comparable string, and the newest mtime among them. */
function stamp(files: readonly string[]): { key: string; newest: number } {
  let key = '';
  let newest = 0;
  for (const f of files) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (!st) {
      key += '-|';
      continue;
    }
    key += `${st.mtimeMs}:${st.size}:${st.ino}|`;
    if (st.mtimeMs > newest) newest = st.mtimeMs;
  }
  return { key, newest };
}

interface Stamped<T> {
  key: string;
  /** Trusted next time only when nothing changed close to the read. */
  settled: boolean;
  value: T;
}

function settled(newest: number, readAt: number): boolean {
  return newest < readAt - RACY_MS;
}

/** One admin dir as a snapshot reads it: its record for the worktree list and its metadata. */
export interface AdminFiles {
  entry: AdminEntry;
  /** The admin dir's own stats as read by this refresh: any file git or Axiom replaces by a rename changes it (the index too). */
  dirKey: string;
  /** null when git would not list it (no `gitdir`). */
  record: UnresolvedWorktreeRecord | null;
}

export class AdminDirCache {
  private readonly dirs = new Map<string, Stamped<AdminFiles>>();
  /** How many admin dirs the last {@link read} read again (tests and the bench look at it). */
  lastReads = 0;

  constructor(private readonly commonDir: string) {}

  /** Every admin dir's files, read again only where they changed (synchronous reads: a few bytes each). */
  read(): AdminFiles[] {
    const root = path.join(this.commonDir, 'worktrees');
    let names: string[];
    try {
      names = fs.readdirSync(root);
    } catch {
      names = [];
    }
    const live = new Set<string>();
    const out: AdminFiles[] = [];
    this.lastReads = 0;
    for (const name of names) {
      const adminDir = path.join(root, name);
      live.add(adminDir);
      const files = [adminDir, path.join(adminDir, 'gitdir'), path.join(adminDir, 'axiom.json')];
      const cached = this.dirs.get(adminDir);
      const now = stamp(files);
      const dirKey = now.key.slice(0, now.key.indexOf('|') + 1);
      if (cached && cached.settled && cached.key === now.key) {
        out.push({ ...withFreshPrunable(cached.value), dirKey });
        continue;
      }
      const readAt = Date.now();
      this.lastReads++;
      const record = readWorktreeRecord(adminDir);
      const meta = readMetadataFileSync(adminDir);
      const gitdir = readGitdir(adminDir);
      const value: AdminFiles = { entry: { adminDir, worktreePath: gitdir === null ? null : path.dirname(path.resolve(adminDir, gitdir)), ...meta }, record, dirKey };
      const after = stamp(files);
      this.dirs.set(adminDir, { key: after.key, settled: after.key === now.key && settled(after.newest, readAt), value });
      out.push(value);
    }
    for (const k of this.dirs.keys()) if (!live.has(k)) this.dirs.delete(k);
    return out;
  }
}

function readGitdir(adminDir: string): string | null {
  try {
    return fs.readFileSync(path.join(adminDir, 'gitdir'), 'utf8').trim();
  } catch {
    return null;
  }
}

/** The cached record with `prunable` looked at now: a folder deleted by hand leaves the admin dir as it was. */
function withFreshPrunable(files: AdminFiles): AdminFiles {
  const r = files.record;
  if (!r || r.locked) return files;
  const gone = !fs.existsSync(path.join(r.path, '.git'));
  if (gone === r.prunable) return files;
  const record: UnresolvedWorktreeRecord = { ...r, prunable: gone };
  if (gone) record.prunableReason = 'gitdir file points to non-existent location';
  else delete record.prunableReason;
  return { ...files, record };
}

/** The agent's state and the setup record of one admin dir, while no process is involved. */
export class AgentFactsCache {
  private readonly dirs = new Map<string, Stamped<{ agent: AgentState; setup: SetupStatus | null }>>();

  // The admin dir covers `axiom-agent.json` and `axiom-setup.json` (replaced by a rename); the status
  // file grows in place. The agent's log is read only for an agent that ended, after which it is final.
  private static files(adminDir: string): string[] {
    return [adminDir, path.join(adminDir, STATUS_FILE)];
  }

  /** The facts last read, when no file changed since and they did not depend on a process; `dirKey`: the admin dir's stats of this refresh. */
  get(adminDir: string, pending: boolean, dirKey: string): { agent: AgentState; setup: SetupStatus | null } | null {
    const cached = this.dirs.get(adminDir);
    if (!cached || !cached.settled) return null;
    return cached.key === `${pending}|${dirKey}${stamp([path.join(adminDir, STATUS_FILE)]).key}` ? cached.value : null;
  }

  /** Stamps the files before a read; `remember` keeps what that read found. */
  begin(adminDir: string, pending: boolean): (facts: { agent: AgentState; setup: SetupStatus | null }) => void {
    const readAt = Date.now();
    const before = stamp(AgentFactsCache.files(adminDir));
    return (facts) => {
      const after = stamp(AgentFactsCache.files(adminDir));
      // A running agent or setup can end without writing anything: never reused.
      const running = (facts.agent.pid !== undefined && facts.agent.phase !== 'exited' && facts.agent.phase !== 'failed-to-start') || facts.setup?.state === 'running';
      this.dirs.set(adminDir, { key: `${pending}|${after.key}`, settled: !running && after.key === before.key && settled(after.newest, readAt), value: facts });
    };
  }

  retain(live: ReadonlySet<string>): void {
    for (const k of this.dirs.keys()) if (!live.has(k)) this.dirs.delete(k);
  }
}

/** The refs of the last `for-each-ref`, with the folders and files that say whether they moved. */
export class RefsCache<T> {
  private cached: (Stamped<T> & { files: string[] }) | null = null;

  constructor(private readonly commonDir: string) {}

  /** The refs last read when no ref folder, `packed-refs` or `config` changed since; else null. */
  get(): T | null {
    const c = this.cached;
    if (!c || !c.settled) return null;
    return stamp(c.files).key === c.key ? c.value : null;
  }

  /** Call before running `for-each-ref`; `remember` with its refs (names) and parsed value once it returned. */
  begin(): (refNames: Iterable<string>, value: T) => void {
    const readAt = Date.now();
    return (refNames, value) => {
      const dirs = new Set<string>([path.join(this.commonDir, 'refs', 'heads')]);
      for (const name of refNames) {
        // Every folder from the ref's own up to refs/heads: a new or deleted ref changes one of them.
        for (let d = path.dirname(name); d.startsWith('refs/heads/') && !dirs.has(path.join(this.commonDir, d)); d = path.dirname(d)) {
          dirs.add(path.join(this.commonDir, d));
        }
      }
      const files = [...dirs, path.join(this.commonDir, 'packed-refs'), path.join(this.commonDir, 'config')];
      const now = stamp(files);
      this.cached = { key: now.key, settled: settled(now.newest, readAt), value, files };
    };
  }
}
