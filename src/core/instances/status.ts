/**
 * The status snapshot: every worktree of the repository with its git facts and agent facts.
 * Cost grows with what changed (docs/ARCHITECTURE.md §6): a full snapshot runs one `worktree list` and one
 * `for-each-ref` and reads the admin dirs meanwhile; a refresh that names what changed builds the list from
 * the admin dirs and reuses their files and the refs where their stats did not move (statusCache.ts); then per
 * worktree only what moved — `status` when the caller says files changed or HEAD/index moved, `rev-list
 * --left-right` only when (branch sha, base sha) is new.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitRunner } from '../git/git';
import type { RepoInfo } from '../git/repo';
import { countStatus, parseLeftRight, parseMergeTree, parseStatusV2, parseWorktreeList, type DirtyCounts, type StatusEntry, type WorktreeRecord } from '../git/parse';
import { readProvisioned, withoutProvisioned } from '../provision/provisioned';
import { recordedLanding, type InstanceMetadata } from './metadata';
import { AdminDirCache, AgentFactsCache, RACY_MS, RefsCache, type AdminFiles } from './statusCache';
import { readAgentState, type AgentPhase, type AgentState } from '../processes/agentState';
import { mapPool } from '../pool';
import { isAncestor } from '../git/commits';
import { readSetupRecord, setupStatusOf, type SetupStatus } from '../provision/setup';
import type { ProvisionedEntry } from './metadata';
import { readHeadFile, readWorktreeRecord, type UnresolvedWorktreeRecord } from '../git/worktreeRecord';

export type WorktreeKind = 'main' | 'instance' | 'foreign';

/** Phases of an agent still at work: a HEAD read just before its latest report is simply older work in progress. */
const STILL_AT_WORK: ReadonlySet<AgentPhase> = new Set<AgentPhase>(['pending', 'starting', 'working']);

export interface LastCommit {
  sha: string;
  subject: string;
  /** Unix seconds. */
  date: number;
}

export interface WorktreeStatus {
  kind: WorktreeKind;
  /** Instance id; null for the main and foreign worktrees. */
  id: string | null;
  path: string;
  adminDir: string | null;
  branch: string | null;
  head: string | null;
  detached: boolean;
  base: string | null;
  /** null when the worktree folder is missing. */
  dirty: DirtyCounts | null;
  /** Paths with uncommitted changes (staged, unstaged, untracked or conflicted). */
  changes: StatusEntry[];
  ahead: number | null;
  behind: number | null;
  /** Would merging into the base conflict? null when not computed (nothing to merge, or no base). */
  conflictsWithBase: boolean | null;
  conflictFiles: string[];
  /** Everything HEAD has is in the base: by ancestry, or by content after a squash, rebase or cherry-pick. */
  merged: boolean;
  locked: boolean;
  lockReason?: string;
  prunable: boolean;
  prunableReason?: string;
  createdAt: string | null;
  agent: string | null;
  prompt: string | null;
  launch: InstanceMetadata['launch'] | null;
  agentState: AgentState;
  lastCommit: LastCommit | null;
  metadata: InstanceMetadata | null;
  /** Something is wrong with this worktree that a person should know (e.g. damaged metadata). */
  problem?: string;
  /** The setup commands' state (null when the instance has none). */
  setup: SetupStatus | null;
  /** The port block leased to the instance ([] when none). */
  ports: number[];
  /** Folders shared into the worktree at spawn (`mode` is what actually happened). */
  provisioned: ProvisionedEntry[];
  /** Ignored files copied from the main worktree at spawn. */
  included: string[];
}

export interface Snapshot {
  repo: RepoInfo;
  takenAt: string;
  worktrees: WorktreeStatus[];
}

export interface SnapshotOptions {
  /**
   * Worktree paths whose files may have changed ('all' = every one, the default). A worktree not
   * named here whose HEAD and index did not move reuses its last dirty counts.
   */
  changed?: 'all' | readonly string[];
  /**
   * Take `changed` as the complete list of worktrees whose own files (worktree folder, admin dir, agent
   * and setup records) may have changed — the extension, whose watchers name them: every other
   * instance is shown as last seen, without a stat (statusCache.ts says what is trusted and what the
   * backstop catches). A refresh at least `backstopMs` (default {@link TRUST_BACKSTOP_MS}) after the
   * last full validation validates everything anyway. The refs: only those of the named worktrees are
   * looked at, unless `changed` names the common dir (any ref may have moved). Off by default: the CLI and the MCP server have
   * no watchers.
   */
  trustChanged?: boolean;
  backstopMs?: number;
  /** Compute "conflicts with base" (a merge-tree per diverged instance, cached). Default true. */
  conflicts?: boolean;
}

/**
 * How stale a trusted refresh may leave what no watcher reported (a folder deleted by hand, a gitdir
 * rewritten by `git worktree move`, an event the watcher dropped): 10 s. The extension refreshes a few
 * times a second while agents work, so this is about one refresh in 20–40 paying the full stat check
 * (~1,800 stats at 300 instances, a few ms); the extension arms one more refresh
 * this long after the last of a burst, so a miss is seen within it even when nothing else happens. A
 * count of refreshes would leave a quiet view stale for minutes; a time bounds it.
 */
export const TRUST_BACKSTOP_MS = 10_000;

interface DirtyCacheEntry {
  fingerprint: string;
  counts: DirtyCounts;
  entries: StatusEntry[];
}

// %(upstream:track) gives ahead/behind of every branch that tracks its base, in this one process.
const REF_FORMAT = '%(refname)%00%(objectname)%00%(tree)%00%(committerdate:unix)%00%(upstream)%00%(upstream:track)%00%(subject)';

interface RefInfo {
  sha: string;
  tree: string;
  date: number;
  subject: string;
  upstream: string;
  track: { ahead: number; behind: number } | null;
}

/** "[ahead 2, behind 1]", "[ahead 2]", "[behind 1]", "" (in sync) or "[gone]". */
export function parseTrack(track: string): { ahead: number; behind: number } | null {
  if (track === '') return { ahead: 0, behind: 0 };
  if (track.includes('gone')) return null;
  const ahead = /ahead (\d+)/.exec(track);
  const behind = /behind (\d+)/.exec(track);
  if (!ahead && !behind) return null;
  return { ahead: Number(ahead?.[1] ?? 0), behind: Number(behind?.[1] ?? 0) };
}

function parseRefs(out: string): Map<string, RefInfo> {
  const refs = new Map<string, RefInfo>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [ref, sha, tree, date, upstream, track, ...subject] = line.split('\0');
    refs.set(ref!, { sha: sha!, tree: tree!, date: Number(date), upstream: upstream!, track: upstream ? parseTrack(track!) : null, subject: subject.join('\0') });
  }
  return refs;
}

/** One instance as {@link StatusCollector.one} needs it: where its admin dir and worktree are, and its record. */
export interface InstanceFiles {
  adminDir: string;
  metadata: InstanceMetadata;
}

export class StatusCollector {
  private readonly dirtyCache = new Map<string, DirtyCacheEntry>();
  private readonly aheadBehindCache = new Map<string, { ahead: number; behind: number }>();
  private readonly mergeCache = new Map<string, { conflicts: string[]; tree: string }>();
  private readonly ancestorCache = new Map<string, boolean>();
  private readonly adminCache: AdminDirCache;
  private readonly agentCache = new AgentFactsCache();
  private readonly refsCache: RefsCache<Map<string, RefInfo>>;
  /** Each admin dir's stats as the running snapshot read them (statusCache.ts): the dirty state's fingerprint. */
  private dirKeys = new Map<string, string>();
  /** When the last snapshot that validated everything began (the trusted refreshes' backstop). */
  private validatedAt = Number.NEGATIVE_INFINITY;
  /** Each linked worktree's last row with what it was built from: reused while every input is the same object. */
  private readonly rowCache = new Map<string, { inputs: readonly unknown[]; row: WorktreeStatus }>();
  /** The worktrees' paths in the order of the last snapshot (git's order), for a refresh built from the admin dirs. */
  private order: string[] = [];

  constructor(
    private readonly git: GitRunner,
    private readonly repo: RepoInfo,
    private readonly statusPool = 2,
  ) {
    this.adminCache = new AdminDirCache(repo.commonDir);
    this.refsCache = new RefsCache(repo.commonDir);
  }

  async snapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
    const changed = options.changed ?? 'all';
    const full = changed === 'all';
    // A refresh that trusts the caller's list looks only at what it names (plus what involves a process
    // or changed too recently to be settled), until the backstop is due.
    const trusted = full || !options.trustChanged || Date.now() - this.validatedAt >= (options.backstopMs ?? TRUST_BACKSTOP_MS) ? null : new Set(changed.map((p) => path.resolve(p)));
    if (!trusted) this.validatedAt = Date.now();
    // A full snapshot asks git for the worktree list and the refs first and reads the admin dirs
    // while those run; a refresh (named worktrees) builds the list from the admin dirs' files and
    // reuses the refs when no ref moved (statusCache.ts).
    const gitStarted = Date.now();
    const fromGit = full ? this.listAndRefs() : null;
    fromGit?.catch(() => undefined);
    const admin = this.adminCache.read(trusted);
    const adminEntries = admin.map((a) => a.entry);
    const facts = await this.agentFacts(admin, trusted);
    let records: WorktreeRecord[];
    let refs: Map<string, RefInfo>;
    if (fromGit) {
      ({ records, refs } = await fromGit);
      // Agent facts are meant to be read before git facts, so an agent that stops mid-snapshot is
      // never shown stopped (idle, exited, waiting) beside the HEAD from before its last commit: when
      // one that no longer works reported since git began, git is asked again (now after the agent
      // facts). Agents at work report all the time and are shown at work: no second read for them.
      if ([...facts.agents.values()].some((a) => !STILL_AT_WORK.has(a.phase) && a.lastActivity !== null && Date.parse(a.lastActivity) >= gitStarted - RACY_MS)) ({ records, refs } = await this.listAndRefs());
    } else {
      refs = await this.refsNow(trusted, admin);
      records = this.recordsFrom(admin, refs);
    }
    const metaByPath = new Map<string, { adminDir: string; metadata: InstanceMetadata | null; problem: string | null }>();
    for (const e of adminEntries) if (e.worktreePath) metaByPath.set(e.worktreePath, e);

    const changedSet = changed === 'all' ? null : new Set(changed.map((p) => path.resolve(p)));
    this.dirKeys = new Map(admin.map((a) => [a.entry.adminDir, a.dirKey]));
    const adminByPath = new Map(admin.flatMap((a) => (a.entry.worktreePath ? [[a.entry.worktreePath, a] as const] : [])));
    const withConflicts = options.conflicts ?? true;
    let worktrees: WorktreeStatus[];
    try {
      worktrees = await mapPool(records, this.statusPool, async (record) => {
        const key = path.resolve(record.path);
        const filesChanged = changedSet === null || changedSet.has(key);
        const a = adminByPath.get(key);
        if (!a) return this.statusOf(record, refs, metaByPath, facts.agents, facts.setups, filesChanged, withConflicts);
        // Everything a linked worktree's row is made of: the same objects as last time give the same row.
        const inputs = [a, refs, facts.agents.get(a.entry.adminDir), facts.setups.get(a.entry.adminDir), this.dirtyCache.get(key), this.git.untrusted, withConflicts];
        const last = this.rowCache.get(key);
        if (!filesChanged && last && inputs.every((x, i) => x === last.inputs[i])) return last.row;
        const row = await this.statusOf(record, refs, metaByPath, facts.agents, facts.setups, filesChanged, withConflicts);
        inputs[4] = this.dirtyCache.get(key);
        this.rowCache.set(key, { inputs, row });
        return row;
      });
    } finally {
      this.dirKeys = new Map();
    }
    const shown = new Set(worktrees.map((w) => path.resolve(w.path)));
    for (const k of this.rowCache.keys()) if (!shown.has(k)) this.rowCache.delete(k);
    this.order = worktrees.map((w) => path.resolve(w.path));
    return { repo: this.repo, takenAt: new Date().toISOString(), worktrees };
  }

  /** `git worktree list` and `for-each-ref` of the branches, together (the refs are remembered for the next refresh). */
  private async listAndRefs(): Promise<{ records: WorktreeRecord[]; refs: Map<string, RefInfo> }> {
    const [listOut, refs] = await Promise.all([this.git.out(this.repo.commonDir, ['worktree', 'list', '--porcelain', '-z'], { readOnly: true }), this.readRefs()]);
    return { records: parseWorktreeList(listOut), refs };
  }

  private async readRefs(): Promise<Map<string, RefInfo>> {
    const remember = this.refsCache.begin();
    const refs = parseRefs(await this.git.out(this.repo.commonDir, ['for-each-ref', `--format=${REF_FORMAT}`, 'refs/heads'], { readOnly: true }));
    remember(refs.keys(), refs);
    return refs;
  }

  /**
   * The refs of the last read when none moved since (no git process), else read now. A trusted refresh
   * looks only at the refs of the worktrees it names, unless it names the common dir (the extension's
   * ref watcher does: any ref may have moved).
   */
  private refsNow(trusted: ReadonlySet<string> | null, admin: readonly AdminFiles[]): Promise<Map<string, RefInfo>> {
    let only: string[] | null = null;
    if (trusted && !trusted.has(path.resolve(this.repo.commonDir))) {
      only = admin.flatMap((a) => (a.entry.worktreePath !== null && trusted.has(a.entry.worktreePath) && a.record?.symref ? [a.record.symref] : []));
      const main = this.repo.mainWorktree;
      const head = main && trusted.has(path.resolve(main)) ? readHeadFile(this.repo.commonDir) : '';
      if (head.startsWith('ref:')) only.push(head.slice(4).trim());
    }
    const cached = this.refsCache.get(only);
    return cached ? Promise.resolve(cached) : this.readRefs();
  }

  /**
   * The worktree list as `git worktree list` gives it, from the admin dirs' files (worktreeRecord.ts,
   * tested against git's own list) and the refs; in the order of the last snapshot, new ones last.
   * A bare repository, or a main worktree elsewhere, asks git.
   */
  private recordsFrom(admin: readonly AdminFiles[], refs: Map<string, RefInfo>): WorktreeRecord[] {
    const main = this.repo.mainWorktree;
    const resolve = (r: UnresolvedWorktreeRecord): WorktreeRecord => {
      const { symref, ...rest } = r;
      return symref ? { ...rest, head: refs.get(symref)?.sha ?? null } : rest;
    };
    const linked = admin.flatMap((a) => (a.record ? [resolve(a.record)] : []));
    if (!main) return linked;
    const headText = readHeadFile(this.repo.commonDir);
    const symref = headText.startsWith('ref:') ? headText.slice(4).trim() : null;
    const mainRecord = resolve({
      path: main,
      head: symref === null && headText && !/^0+$/.test(headText) ? headText : null,
      branchRef: symref,
      symref,
      bare: false,
      detached: symref === null && headText !== '',
      locked: false,
      prunable: false,
    });
    const at = new Map(this.order.map((p, i) => [p, i]));
    // Each record's rank once (not per comparison): at 300 worktrees this sort showed in a refresh's profile.
    const ranked = linked.map((r) => ({ r, rank: at.get(path.resolve(r.path)) ?? Number.MAX_SAFE_INTEGER }));
    ranked.sort((a, b) => a.rank - b.rank || (a.r.path < b.r.path ? -1 : a.r.path > b.r.path ? 1 : 0));
    return [mainRecord, ...ranked.map((x) => x.r)];
  }

  /** Each instance's agent state and setup record: reused where no file changed and no process is involved. */
  private async agentFacts(admin: readonly AdminFiles[], trusted: ReadonlySet<string> | null): Promise<{ agents: Map<string, AgentState>; setups: Map<string, SetupStatus | null> }> {
    const agents = new Map<string, AgentState>();
    const setups = new Map<string, SetupStatus | null>();
    const misses: Promise<void>[] = [];
    for (const { entry: e, dirKey } of admin) {
      const m = e.metadata;
      if (!m) continue;
      const pending = m.launch === 'terminal' && m.terminal !== undefined && !m.terminal.takenAt;
      const got = this.agentCache.get(e.adminDir, pending, dirKey, trusted !== null && e.worktreePath !== null && !trusted.has(e.worktreePath));
      if (got) {
        agents.set(e.adminDir, got.agent);
        setups.set(e.adminDir, got.setup);
        continue;
      }
      const remember = this.agentCache.begin(e.adminDir, pending);
      misses.push(
        Promise.all([readAgentState(e.adminDir, pending), readSetupRecord(e.adminDir)]).then(([agent, setup]) => {
          const facts = { agent, setup: setupStatusOf(setup) };
          remember(facts);
          agents.set(e.adminDir, agent);
          setups.set(e.adminDir, facts.setup);
        }),
      );
    }
    await Promise.all(misses);
    this.agentCache.retain(new Set(admin.map((a) => a.entry.adminDir)));
    return { agents, setups };
  }

  /**
   * The status of one instance, exactly as a snapshot would show it, from that instance's own files
   * (admin dir: HEAD, locked, gitdir; agent state; setup), one `for-each-ref` of its branch and base
   * and one `git status` (plus `rev-list`/`merge-tree` only when the snapshot would run them): the
   * cost does not grow with the number of worktrees. null when git would not list the worktree.
   */
  async one(inst: InstanceFiles, options: Pick<SnapshotOptions, 'conflicts'> = {}): Promise<WorktreeStatus | null> {
    const { adminDir } = inst;
    // Agent facts before git facts, as in a snapshot.
    const m = inst.metadata;
    const pending = m.launch === 'terminal' && m.terminal !== undefined && !m.terminal.takenAt;
    const [agent, setup] = await Promise.all([readAgentState(adminDir, pending), readSetupRecord(adminDir)]);
    const record = readWorktreeRecord(adminDir);
    if (!record) return null;
    const wanted = [...new Set([...(record.symref?.startsWith('refs/') ? [record.symref] : []), `refs/heads/${m.base}`])];
    const refs = parseRefs(await this.git.out(this.repo.commonDir, ['for-each-ref', `--format=${REF_FORMAT}`, ...wanted], { readOnly: true }));
    for (const name of [...refs.keys()]) if (!wanted.includes(name)) refs.delete(name);
    // What `worktree list` does: HEAD resolved through the branch it names (unborn: no commit).
    if (record.symref) record.head = refs.get(record.symref)?.sha ?? null;
    const byPath = new Map([[path.resolve(record.path), { adminDir, metadata: m, problem: null }]]);
    return this.statusOf(record, refs, byPath, new Map([[adminDir, agent]]), new Map([[adminDir, setupStatusOf(setup)]]), true, options.conflicts ?? true);
  }

  private async statusOf(
    record: WorktreeRecord,
    refs: Map<string, RefInfo>,
    metaByPath: Map<string, { adminDir: string; metadata: InstanceMetadata | null; problem: string | null }>,
    agentStates: Map<string, AgentState>,
    setups: Map<string, SetupStatus | null>,
    filesChanged: boolean,
    withConflicts: boolean,
  ): Promise<WorktreeStatus> {
    const isMain = record.bare || (this.repo.mainWorktree !== null && path.resolve(record.path) === path.resolve(this.repo.mainWorktree));
    const admin = metaByPath.get(path.resolve(record.path));
    const meta = admin?.metadata ?? null;
    const branch = record.branchRef?.startsWith('refs/heads/') ? record.branchRef.slice('refs/heads/'.length) : null;
    const kind: WorktreeKind = isMain ? 'main' : meta ? 'instance' : 'foreign';
    const adminDir = isMain ? this.repo.commonDir : (admin?.adminDir ?? null);
    const base = meta?.base ?? null;

    const dirty = record.prunable || record.bare ? null : await this.dirtyOf(record, adminDir, filesChanged);

    let ahead: number | null = null;
    let behind: number | null = null;
    let conflictFiles: string[] = [];
    let conflictsWithBase: boolean | null = null;
    let landedByContent = false;
    const baseRef = base ? refs.get(`refs/heads/${base}`) : undefined;
    const baseSha = baseRef?.sha;
    const ref = record.branchRef ? refs.get(record.branchRef) : undefined;
    let landedByRecord = false;
    if (baseSha && record.head) {
      // The branch tracks its base (set at spawn): for-each-ref already counted; else one rev-list, cached.
      const tracked = ref && ref.sha === record.head && ref.upstream === `refs/heads/${base}` ? ref.track : null;
      ({ ahead, behind } = tracked ?? (await this.aheadBehind(baseSha, record.head)));
      // Landed by Axiom (squash included) and unchanged since: landed while the landing commit stays
      // in the base's history, whatever the base does next (a reset that drops it ends it).
      const landing = ahead > 0 && ref?.sha === record.head ? recordedLanding(meta, base!, record.head) : null;
      landedByRecord = landing !== null && (await this.isAncestor(landing, baseSha));
      if (landedByRecord) {
        conflictsWithBase = false;
      } else if (withConflicts && !this.git.untrusted && ahead > 0 && behind > 0) {
        // Untrusted repository: merge-tree would run a merge driver its config names, so conflicts stay unknown.
        const merge = await this.mergeOf(baseSha, record.head);
        conflictFiles = merge.conflicts;
        conflictsWithBase = conflictFiles.length > 0;
        // Squashed, rebased or cherry-picked into the base: merging again would change nothing.
        landedByContent = !conflictsWithBase && merge.tree === baseRef!.tree;
      } else if (ahead === 0 || behind === 0) {
        conflictsWithBase = false;
      }
    }
    // By ancestry, by content, or by Axiom's landing record checked by ancestry: a landing undone on
    // the base (its commit no longer in the base's history) is no longer "merged".
    const merged = kind === 'instance' && record.head !== null && ((ahead === 0 && meta !== null && record.head !== meta.baseSha) || landedByContent || landedByRecord);

    const lastCommit: LastCommit | null = ref && record.head === ref.sha ? { sha: ref.sha, subject: ref.subject, date: ref.date } : null;

    const agentState: AgentState = (kind === 'instance' && adminDir && agentStates.get(adminDir)) || { phase: 'unknown', lastActivity: null };

    const status: WorktreeStatus = {
      kind,
      id: meta?.id ?? null,
      path: record.path,
      adminDir,
      branch,
      head: record.head,
      detached: record.detached,
      base,
      dirty: dirty?.counts ?? null,
      changes: dirty?.entries ?? [],
      ahead,
      behind,
      conflictsWithBase,
      conflictFiles,
      merged,
      locked: record.locked,
      prunable: record.prunable,
      createdAt: meta?.createdAt ?? null,
      agent: meta?.agent ?? null,
      prompt: meta?.prompt ?? null,
      launch: meta?.launch ?? null,
      agentState,
      lastCommit,
      metadata: meta,
      setup: (kind === 'instance' && adminDir && setups.get(adminDir)) || null,
      ports: meta?.ports ?? [],
      provisioned: meta?.provision?.provisioned ?? [],
      included: meta?.provision?.included ?? [],
    };
    if (record.lockReason) status.lockReason = record.lockReason;
    if (admin?.problem) status.problem = admin.problem;
    if (record.prunableReason) status.prunableReason = record.prunableReason;
    return status;
  }

  /** HEAD sha + the index file's (or its admin dir's) stats: if neither moved and no file event came, status is reused. */
  private fingerprint(record: WorktreeRecord, adminDir: string | null): string {
    if (!adminDir) return `${record.head}`;
    // A linked worktree's admin dir changes whenever git replaces its index (a rename): its stats, read
    // once by this snapshot, stand for the index's.
    const dirKey = this.dirKeys.get(adminDir);
    if (dirKey) return `${record.head}:${dirKey}`;
    const st = fs.statSync(path.join(adminDir, 'index'), { throwIfNoEntry: false });
    return st ? `${record.head}:${st.mtimeMs}:${st.size}` : `${record.head}:noindex`;
  }

  private async dirtyOf(record: WorktreeRecord, adminDir: string | null, filesChanged: boolean): Promise<DirtyCacheEntry | null> {
    const key = path.resolve(record.path);
    const fingerprint = this.fingerprint(record, adminDir);
    const cached = this.dirtyCache.get(key);
    if (!filesChanged && cached && cached.fingerprint === fingerprint) return cached;
    try {
      const out = await this.git.out(record.path, ['status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all'], {
        readOnly: true,
      });
      // What Axiom provisioned is not work, whatever the instance's .gitignore now says.
      const parsed = parseStatusV2(out);
      // A clean worktree has nothing to filter: its record is not read (two file reads at each of 300 in a list).
      const entries = adminDir && parsed.entries.length > 0 ? withoutProvisioned(parsed.entries, readProvisioned(adminDir)) : parsed.entries;
      const entry = { fingerprint, counts: entries.length === parsed.entries.length ? parsed.counts : countStatus(entries), entries };
      this.dirtyCache.set(key, entry);
      return entry;
    } catch {
      // The folder vanished between `worktree list` and now: report it as missing, not as an error.
      this.dirtyCache.delete(key);
      return null;
    }
  }

  private async aheadBehind(baseSha: string, head: string): Promise<{ ahead: number; behind: number }> {
    const key = `${baseSha}:${head}`;
    const cached = this.aheadBehindCache.get(key);
    if (cached) return cached;
    const out = await this.git.out(this.repo.commonDir, ['rev-list', '--left-right', '--count', `${baseSha}...${head}`], {
      readOnly: true,
    });
    const { left, right } = parseLeftRight(out);
    const value = { ahead: right, behind: left };
    this.aheadBehindCache.set(key, value);
    return value;
  }

  /** Is `commit` in the history of `of`? Cached (both are commit ids, so the answer never changes). */
  private async isAncestor(commit: string, of: string): Promise<boolean> {
    const key = `${commit}:${of}`;
    const cached = this.ancestorCache.get(key);
    if (cached !== undefined) return cached;
    const answer = await isAncestor(this.git, this.repo.commonDir, commit, of);
    this.ancestorCache.set(key, answer);
    return answer;
  }

  /** What merging `head` into the base would give: conflicting files, or the resulting tree. Cached. */
  private async mergeOf(baseSha: string, head: string): Promise<{ conflicts: string[]; tree: string }> {
    const key = `${baseSha}:${head}`;
    const cached = this.mergeCache.get(key);
    if (cached) return cached;
    const { stdout, exitCode } = await this.git.run(
      this.repo.commonDir,
      ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', '--allow-unrelated-histories', baseSha, head],
      { readOnly: true, okExitCodes: [1] },
    );
    const parsed = parseMergeTree(stdout, exitCode);
    const value = { conflicts: parsed.conflicts, tree: parsed.tree };
    this.mergeCache.set(key, value);
    return value;
  }

  /** Forgets the dirty state of one worktree so the next snapshot re-reads it. */
  invalidate(worktreePath: string): void {
    this.dirtyCache.delete(path.resolve(worktreePath));
  }
}
