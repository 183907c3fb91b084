/**
 * Conflict forecast across live instances: for every pair of instances that land on the same base,
 * `git merge-tree --write-tree` of their two tips says whether (and in which files) they conflict —
 * no working tree is touched. Results are cached by the two tip SHAs (in memory and in a small file
 * in the git dir, so the CLI's next run reuses them). From the conflict graph comes a landing order
 * that lands the most instances cleanly: a largest set of instances that conflict neither with
 * their base nor with each other, then the rest (they are expected to conflict).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { parseMergeTree } from '../git/parse';
import { mapPool } from '../pool';
import type { RepoInfo } from '../git/repo';
import type { WorktreeStatus } from '../instances/status';

export const FORECAST_CACHE_FILE = 'axiom-forecast-cache.json';
const MAX_CACHE_ENTRIES = 20_000;

export interface ConflictPair {
  a: string;
  b: string;
  files: string[];
}

export interface Forecast {
  /** Instances considered: live, with commits that are not in their base. */
  instances: string[];
  /** Pairs that conflict (a < b by id), in files where neither conflicts with the base already. */
  pairs: ConflictPair[];
  /** Instances whose merge into their own base already conflicts. */
  withBase: { id: string; files: string[] }[];
  /** A landing order: the largest clean set first, then the rest. */
  order: string[];
  /** Instances expected to land cleanly in that order (the prefix of `order`). */
  clean: string[];
  checkedPairs: number;
  /** Of those, answered from the cache. */
  cachedPairs: number;
}

/** merge-tree results by the two tips: in memory, persisted to the git dir between processes. */
export class MergeTreeCache {
  private readonly map = new Map<string, string[]>();
  private loaded = false;
  private dirty = false;

  constructor(private readonly file: string | null) {}

  static forRepo(repo: RepoInfo): MergeTreeCache {
    return new MergeTreeCache(path.join(repo.commonDir, FORECAST_CACHE_FILE));
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.file) return;
    try {
      const data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, string[]>;
      for (const [k, v] of Object.entries(data)) if (Array.isArray(v)) this.map.set(k, v);
    } catch {
      /* no cache yet, or a torn one: start empty */
    }
  }

  static key(a: string, b: string): string {
    return a < b ? `${a}:${b}` : `${b}:${a}`;
  }

  get(a: string, b: string): string[] | undefined {
    this.load();
    return this.map.get(MergeTreeCache.key(a, b));
  }

  set(a: string, b: string, files: string[]): void {
    this.load();
    this.map.set(MergeTreeCache.key(a, b), files);
    this.dirty = true;
  }

  /** Writes the cache (newest entries kept) with temp file + rename, so a reader never sees half of it. */
  save(): void {
    if (!this.file || !this.dirty) return;
    this.dirty = false;
    const entries = [...this.map.entries()].slice(-MAX_CACHE_ENTRIES);
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries(entries)));
      fs.renameSync(tmp, this.file);
    } catch {
      fs.rmSync(tmp, { force: true });
    }
  }
}

async function conflictsBetween(git: GitRunner, repo: RepoInfo, cache: MergeTreeCache, a: string, b: string): Promise<{ files: string[]; cached: boolean }> {
  const hit = cache.get(a, b);
  if (hit) return { files: hit, cached: true };
  const r = await git.run(repo.commonDir, ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', a, b], {
    readOnly: true,
    okExitCodes: [1],
  });
  const files = parseMergeTree(r.stdout, r.exitCode).conflicts;
  cache.set(a, b, files);
  return { files, cached: false };
}

/**
 * A largest set of nodes with no edge between them (exact by branch and bound for the sizes a
 * repository's live instances have; greedy beyond 40 nodes in one connected component). Nodes are
 * indices 0…n-1; lower indices win ties, so the answer is deterministic.
 */
export function largestCleanSet(n: number, edges: readonly (readonly [number, number])[]): number[] {
  const adj = Array.from({ length: n }, () => new Set<number>());
  for (const [a, b] of edges) {
    adj[a]!.add(b);
    adj[b]!.add(a);
  }
  const chosen: number[] = [];
  const seen = new Set<number>();
  for (let start = 0; start < n; start++) {
    if (seen.has(start)) continue;
    const component: number[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length) {
      const v = stack.pop()!;
      component.push(v);
      for (const w of adj[v]!) {
        if (seen.has(w)) continue;
        seen.add(w);
        stack.push(w);
      }
    }
    component.sort((x, y) => x - y);
    chosen.push(...(component.length <= 40 ? exactSet(component, adj) : greedySet(component, adj)));
  }
  return chosen.sort((x, y) => x - y);
}

function exactSet(nodes: number[], adj: Set<number>[]): number[] {
  let best: number[] = [];
  const search = (candidates: number[], taken: number[]): void => {
    if (taken.length + candidates.length <= best.length) return;
    if (candidates.length === 0) {
      best = taken;
      return;
    }
    // Branch on the candidate with the most neighbours among the candidates; none: take them all.
    let pivot = candidates[0]!;
    let degree = -1;
    for (const v of candidates) {
      let d = 0;
      for (const w of candidates) if (adj[v]!.has(w)) d++;
      if (d > degree) {
        pivot = v;
        degree = d;
      }
    }
    if (degree === 0) {
      search([], [...taken, ...candidates]);
      return;
    }
    search(candidates.filter((v) => v !== pivot && !adj[pivot]!.has(v)), [...taken, pivot]);
    search(candidates.filter((v) => v !== pivot), taken);
  };
  search(nodes, []);
  return best;
}

function greedySet(nodes: number[], adj: Set<number>[]): number[] {
  const left = new Set(nodes);
  const out: number[] = [];
  while (left.size) {
    let pick = -1;
    let degree = Infinity;
    for (const v of left) {
      let d = 0;
      for (const w of adj[v]!) if (left.has(w)) d++;
      if (d < degree || (d === degree && v < pick)) {
        pick = v;
        degree = d;
      }
    }
    out.push(pick);
    left.delete(pick);
    for (const w of adj[pick]!) left.delete(w);
  }
  return out;
}

/** How deep an instance sits in the expand tree (children land into their parent before it lands). */
function depthOf(w: WorktreeStatus, byId: Map<string, WorktreeStatus>): number {
  let depth = 0;
  let parent = w.metadata?.parent ?? null;
  const seen = new Set<string>();
  while (parent && !seen.has(parent)) {
    seen.add(parent);
    depth++;
    parent = byId.get(parent)?.metadata?.parent ?? null;
  }
  return depth;
}

export async function forecastConflicts(git: GitRunner, repo: RepoInfo, worktrees: readonly WorktreeStatus[], cache: MergeTreeCache): Promise<Forecast> {
  if (git.untrusted) throw new AxiomError('Untrusted', 'This workspace is not trusted: the conflict forecast runs merges (merge drivers) and is off here.');
  const live = worktrees.filter((w) => w.kind === 'instance' && w.id && w.head && w.dirty !== null && w.base);
  const byId = new Map(live.map((w) => [w.id!, w]));
  const baseShas = new Map<string, string | null>();
  await Promise.all(
    [...new Set(live.map((w) => w.base!))].map(async (base) => {
      const r = await git.run(repo.commonDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${base}`], { readOnly: true, okExitCodes: [1] });
      baseShas.set(base, r.exitCode === 0 ? r.stdout.trim() : null);
    }),
  );
  // Only instances with commits of their own are landing candidates.
  const candidates = live.filter((w) => (w.ahead ?? 0) > 0 && baseShas.get(w.base!)).sort((a, b) => a.id!.localeCompare(b.id!));
  const groups = new Map<string, WorktreeStatus[]>();
  for (const w of candidates) groups.set(w.base!, [...(groups.get(w.base!) ?? []), w]);

  const jobs: { a: WorktreeStatus; b: WorktreeStatus | null }[] = [];
  for (const members of groups.values()) {
    for (let i = 0; i < members.length; i++) {
      jobs.push({ a: members[i]!, b: null });
      for (let j = i + 1; j < members.length; j++) jobs.push({ a: members[i]!, b: members[j]! });
    }
  }
  let cachedPairs = 0;
  const answers = await mapPool(jobs, 4, async (job) => {
    const other = job.b ? job.b.head! : baseShas.get(job.a.base!)!;
    const r = await conflictsBetween(git, repo, cache, job.a.head!, other);
    if (r.cached && job.b) cachedPairs++;
    return r.files;
  });
  cache.save();

  const withBase: Forecast['withBase'] = [];
  jobs.forEach((job, i) => {
    const files = answers[i]!;
    if (!job.b && files.length > 0) withBase.push({ id: job.a.id!, files });
  });
  // A pair is named only for what it conflicts in beyond each one's conflicts with the base: an
  // instance that conflicts with its base conflicts in those files with every instance made after
  // the base moved, though that other instance never touched them.
  const baseFiles = new Map(withBase.map((w) => [w.id, new Set(w.files)]));
  const pairs: ConflictPair[] = [];
  jobs.forEach((job, i) => {
    if (!job.b) return;
    const [a, b] = [job.a.id!, job.b.id!];
    const files = answers[i]!.filter((f) => !baseFiles.get(a)?.has(f) && !baseFiles.get(b)?.has(f));
    if (files.length > 0) pairs.push({ a, b, files });
  });

  // Children land into their parent first (deepest groups first), then each group in its clean order.
  const groupOrder = [...groups.values()].sort((x, y) => depthOf(y[0]!, byId) - depthOf(x[0]!, byId) || x[0]!.base!.localeCompare(y[0]!.base!));
  const order: string[] = [];
  const clean: string[] = [];
  const blocked = new Set(withBase.map((w) => w.id));
  for (const members of groupOrder) {
    const landable = members.filter((w) => !blocked.has(w.id!));
    const index = new Map(landable.map((w, i) => [w.id!, i]));
    const edges = pairs
      .filter((p) => index.has(p.a) && index.has(p.b))
      .map((p) => [index.get(p.a)!, index.get(p.b)!] as const);
    const set = largestCleanSet(landable.length, edges).map((i) => landable[i]!.id!);
    const degree = (id: string): number => pairs.filter((p) => p.a === id || p.b === id).length;
    const rest = members
      .map((w) => w.id!)
      .filter((id) => !set.includes(id))
      .sort((x, y) => degree(x) - degree(y) || x.localeCompare(y));
    order.push(...set, ...rest);
    clean.push(...set);
  }
  return {
    instances: candidates.map((w) => w.id!),
    pairs,
    withBase,
    order,
    clean,
    checkedPairs: jobs.filter((j) => j.b).length,
    cachedPairs,
  };
}

/**
 * `items` in a forecast's landing order: those the order names first, in its order, then the rest
 * as they came (a stable sort, so a selection in view order keeps it after the known ones).
 */
export function inLandingOrder<T extends { id: string | null }>(items: readonly T[], order: readonly string[]): T[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  const place = (item: T): number => rank.get(item.id ?? '') ?? order.length;
  return [...items].sort((a, b) => place(a) - place(b));
}
