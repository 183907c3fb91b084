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
 * A refresh that trusts the caller's list of what changed (`trustChanged`, the extension only: its
 * watchers name the worktrees whose files, admin-dir files or agent records changed) goes further: an
 * instance it does not name is taken as last seen, without a stat (no admin-dir stamp, no status-file
 * stamp, no check that the folder is there), so it costs the one `git status` of what changed plus a
 * `readdir` of `worktrees/` and the few stats of the refs. What it still looks at every time:
 *
 * - the `worktrees/` listing: an instance added or removed by another process (its admin dir appears
 *   or goes) is seen at once;
 * - the refs, validated as above (a handful of stats): a ref written by another process, `packed-refs`
 *   rewritten by `git pack-refs` or `gc`, an upstream changed in `config`;
 * - anything live: an agent or setup whose process runs, and any entry
 *   read within the racy window (never settled), exactly as an untrusted refresh does;
 * - the main worktree (its HEAD file and index, one stat).
 *
 * What it trusts the watchers for, and the backstop catches when they miss it: a folder deleted by
 * hand (the per-worktree watcher usually reports the deletions inside it), `axiom.json`, `locked`,
 * `HEAD` or the index of an admin dir (the admin-dir watcher names that worktree), an agent's status
 * or process file (the watcher and the extension's one-second poll name it), `gitdir` rewritten by
 * `git worktree move`/`repair` (no watcher: only the backstop). The backstop: a trusted refresh at
 * least `TRUST_BACKSTOP_MS` (status.ts) after the last full validation validates everything as an
 * untrusted one does, and so does every `changed: 'all'` (the extension's first snapshot, after each
 * of its operations, on trust changes).
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
  /** How many admin dirs the last {@link read} read again, and how many it looked at (stat) at all. */
  lastReads = 0;
  lastChecked = 0;

  constructor(private readonly commonDir: string) {}

  /**
   * Every admin dir's files, read again only where they changed (synchronous reads: a few bytes each).
   * `trusted` (a refresh that trusts the caller's list of what changed, see the header): an admin dir
   * whose worktree is not in it and whose last read settled is taken as last seen, without a stat.
   */
  read(trusted: ReadonlySet<string> | null = null): AdminFiles[] {
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
    this.lastChecked = 0;
    for (const name of names) {
      const adminDir = path.join(root, name);
      live.add(adminDir);
      const cached = this.dirs.get(adminDir);
      if (trusted && cached?.settled && cached.value.entry.worktreePath !== null && !trusted.has(cached.value.entry.worktreePath)) {
        out.push(cached.value);
        continue;
      }
      this.lastChecked++;
      const files = [adminDir, path.join(adminDir, 'gitdir'), path.join(adminDir, 'axiom.json')];
      const now = stamp(files);
      const dirKey = now.key.slice(0, now.key.indexOf('|') + 1);
      if (cached && cached.settled && cached.key === now.key) {
        // The same object while nothing moved: a row built from it can be reused (status.ts).
        const fresh = withFreshPrunable(cached.value);
        if (fresh !== cached.value || cached.value.dirKey !== dirKey) cached.value = { ...fresh, dirKey };
        out.push(cached.value);
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

  /**
   * The facts last read, when no file changed since and they did not depend on a process; `dirKey`: the
   * admin dir's stats of this refresh; `trusted`: the caller says nothing of this instance changed.
   */
  get(adminDir: string, pending: boolean, dirKey: string, trusted = false): { agent: AgentState; setup: SetupStatus | null } | null {
    const cached = this.dirs.get(adminDir);
    if (!cached || !cached.settled) return null;
    // Trusted unchanged (no process involved, settled): as last read, without a stat.
    if (trusted) return cached.key.startsWith(`${pending}|`) ? cached.value : null;
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
  private cached: (Stamped<T> & { files: string[]; keys: Map<string, string> }) | null = null;

  constructor(private readonly commonDir: string) {}

  /**
   * The refs last read when no ref folder, `packed-refs` or `config` changed since; else null. With
   * `only` (a trusted refresh: the caller says no other ref moved), only the folders of those refs,
   * `refs/heads`, `packed-refs` and `config` are looked at.
   */
  get(only: Iterable<string> | null = null): T | null {
    const c = this.cached;
    if (!c || !c.settled) return null;
    if (only === null) return stamp(c.files).key === c.key ? c.value : null;
    const files = this.filesOf(only);
    for (const f of files) if (c.keys.get(f) !== stamp([f]).key) return null;
    return c.value;
  }

  /** Every folder from each ref's own up to refs/heads (a new or deleted ref changes one of them), packed-refs and config. */
  private filesOf(refNames: Iterable<string>): string[] {
    const dirs = new Set<string>([path.join(this.commonDir, 'refs', 'heads')]);
    for (const name of refNames) {
      for (let d = path.dirname(name); d.startsWith('refs/heads/') && !dirs.has(path.join(this.commonDir, d)); d = path.dirname(d)) {
        dirs.add(path.join(this.commonDir, d));
      }
    }
    return [...dirs, path.join(this.commonDir, 'packed-refs'), path.join(this.commonDir, 'config')];
  }

  /** Call before running `for-each-ref`; `remember` with its refs (names) and parsed value once it returned. */
  begin(): (refNames: Iterable<string>, value: T) => void {
    const readAt = Date.now();
    return (refNames, value) => {
      const files = this.filesOf(refNames);
      const keys = new Map<string, string>();
      let key = '';
      let newest = 0;
      for (const f of files) {
        const one = stamp([f]);
        keys.set(f, one.key);
        key += one.key;
        newest = Math.max(newest, one.newest);
      }
      this.cached = { key, settled: settled(newest, readAt), value, files, keys };
    };
  }
}
