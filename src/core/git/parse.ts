/**
 * Pure parsers for git's porcelain / -z output. No I/O here: each is unit-tested on strings.
 */

export interface WorktreeRecord {
  path: string;
  head: string | null;
  /** Full ref (refs/heads/…) or null when detached or bare. */
  branchRef: string | null;
  bare: boolean;
  detached: boolean;
  locked: boolean;
  lockReason?: string;
  prunable: boolean;
  prunableReason?: string;
}

/** `git worktree list --porcelain -z`: attributes NUL-terminated, records separated by an empty one. */
export function parseWorktreeList(out: string): WorktreeRecord[] {
  const records: WorktreeRecord[] = [];
  let current: WorktreeRecord | null = null;
  for (const field of out.split('\0')) {
    if (field === '') {
      if (current) records.push(current);
      current = null;
      continue;
    }
    const space = field.indexOf(' ');
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? '' : field.slice(space + 1);
    if (key === 'worktree') {
      if (current) records.push(current);
      current = { path: value, head: null, branchRef: null, bare: false, detached: false, locked: false, prunable: false };
      continue;
    }
    if (!current) continue;
    switch (key) {
      case 'HEAD':
        // An unborn branch (git switch --orphan) lists HEAD as all zeros: there is no commit.
        current.head = /^0+$/.test(value) ? null : value;
        break;
      case 'branch':
        current.branchRef = value;
        break;
      case 'bare':
        current.bare = true;
        break;
      case 'detached':
        current.detached = true;
        break;
      case 'locked':
        current.locked = true;
        if (value) current.lockReason = value;
        break;
      case 'prunable':
        current.prunable = true;
        if (value) current.prunableReason = value;
        break;
    }
  }
  if (current) records.push(current);
  return records;
}

export interface DirtyCounts {
  staged: number;
  unstaged: number;
  untracked: number;
  conflicted: number;
}

export interface StatusEntry {
  path: string;
  /** Index (staged) status letter, '.' when unchanged; '?' for untracked; 'U' for conflicts. */
  index: string;
  /** Worktree (unstaged) status letter. */
  worktree: string;
  kind: 'changed' | 'untracked' | 'conflicted';
}

export interface ParsedStatus {
  counts: DirtyCounts;
  entries: StatusEntry[];
}

/** `git status --porcelain=v2 -z --no-renames` (with or without --branch headers). */
export function parseStatusV2(out: string): ParsedStatus {
  const entries: StatusEntry[] = [];
  const fields = out.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f === '' || f.startsWith('#')) continue;
    const type = f[0];
    if (type === '?') {
      entries.push({ path: f.slice(2), index: '?', worktree: '?', kind: 'untracked' });
    } else if (type === '1' || type === '2') {
      // "1 XY sub mH mI mW hH hI path"; type 2 (rename/copy) has one more field and the origin path follows.
      const parts = f.split(' ');
      const xy = parts[1] ?? '..';
      const path = parts.slice(type === '1' ? 8 : 9).join(' ');
      entries.push({ path, index: xy[0]!, worktree: xy[1]!, kind: 'changed' });
      if (type === '2') i++;
    } else if (type === 'u') {
      // "u XY sub m1 m2 m3 mW h1 h2 h3 path"
      const parts = f.split(' ');
      entries.push({ path: parts.slice(10).join(' '), index: 'U', worktree: 'U', kind: 'conflicted' });
    }
  }
  return { counts: countStatus(entries), entries };
}

/** The dirty counts of status entries (also of a filtered list: provisioned paths are not work). */
export function countStatus(entries: readonly StatusEntry[]): DirtyCounts {
  const counts: DirtyCounts = { staged: 0, unstaged: 0, untracked: 0, conflicted: 0 };
  for (const e of entries) {
    if (e.kind === 'untracked') counts.untracked++;
    else if (e.kind === 'conflicted') counts.conflicted++;
    else {
      if (e.index !== '.') counts.staged++;
      if (e.worktree !== '.') counts.unstaged++;
    }
  }
  return counts;
}

export type FileChangeStatus = 'A' | 'M' | 'D' | 'T' | 'R' | 'C' | 'U' | 'X';

export interface FileChange {
  path: string;
  status: FileChangeStatus;
  /** null for binary files. */
  added: number | null;
  deleted: number | null;
}

/** `git diff --raw --numstat -z --no-renames A B`: raw records first, then numstat records. */
export function parseRawNumstat(out: string): FileChange[] {
  const fields = out.split('\0');
  const byPath = new Map<string, FileChange>();
  let i = 0;
  while (i < fields.length) {
    const f = fields[i]!;
    if (f.startsWith(':')) {
      const status = (f.split(' ')[4] ?? 'X')[0] as FileChangeStatus;
      const path = fields[i + 1] ?? '';
      byPath.set(path, { path, status, added: null, deleted: null });
      i += 2;
    } else if (f.includes('\t')) {
      const [a, d, ...rest] = f.split('\t');
      const path = rest.join('\t');
      const change = byPath.get(path);
      if (change) {
        change.added = a === '-' ? null : Number(a);
        change.deleted = d === '-' ? null : Number(d);
      }
      i += 1;
    } else {
      i += 1;
    }
  }
  return [...byPath.values()];
}

export interface MergeTreeResult {
  tree: string;
  clean: boolean;
  conflicts: string[];
  messages: string;
}

/** `git merge-tree --write-tree --name-only -z A B` (exit 0 clean, 1 conflicted). */
export function parseMergeTree(out: string, exitCode: number): MergeTreeResult {
  const fields = out.split('\0');
  const tree = fields[0] ?? '';
  const conflicts: string[] = [];
  let i = 1;
  if (exitCode !== 0) {
    for (; i < fields.length && fields[i] !== ''; i++) conflicts.push(fields[i]!);
    i++;
  }
  const messages = fields.slice(i).filter((m) => m !== '').join('\n');
  return { tree, clean: exitCode === 0, conflicts: [...new Set(conflicts)], messages };
}

/** `git rev-list --left-right --count A...B` → "left\tright". */
export function parseLeftRight(out: string): { left: number; right: number } {
  const [l, r] = out.trim().split(/\s+/);
  return { left: Number(l ?? 0), right: Number(r ?? 0) };
}

export interface TreeEntry {
  mode: string;
  sha: string;
  path: string;
}

/** `git ls-tree -z` (recursive or not): mode, object id and path of each entry. */
export function parseLsTree(out: string): TreeEntry[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((record) => {
      const tab = record.indexOf('\t');
      const [mode, , sha] = record.slice(0, tab).split(' ');
      return { mode: mode!, sha: sha!, path: record.slice(tab + 1) };
    });
}
