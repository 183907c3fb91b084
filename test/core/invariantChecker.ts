/**
 * The independent checker of the safety invariant (issue 8, docs/ARCHITECTURE.md §4.1, §8.2).
 *
 * It imports nothing from src/core — raw git through execFileSync and the file system only — so the
 * engine's own idea of "work" cannot hide a loss from it. Use: `const before = record(repo)`, run one
 * operation, then `verify(before, repo)` lists every loss (an empty list means the invariant held):
 *  - every commit reachable before from a ref or from a live worktree's HEAD is still reachable from
 *    a ref or a live worktree's HEAD (reflogs and HEADs of removed worktrees do not count), or its work
 *    is in such a commit by content (squash, cherry-pick, rebase: merging it there changes nothing);
 *  - every uncommitted non-ignored file of an instance worktree (nested repositories and submodules
 *    included) is still at its path with the same bytes, or is a blob at the same path in a tree
 *    reachable from a ref (a salvage ref), in the superproject or in a submodule's repository;
 *  - every commit of a nested repository or submodule is still reachable from a ref there, in the
 *    superproject or in `<common dir>/modules/…`;
 *  - each target branch (main) only moved forward, and commits the user made during the operation are in it;
 *  - the main worktree's uncommitted changes, untracked and ignored files are byte-identical;
 *  - no ignored file's content was written into the object store (they may hold secrets).
 * With `unchanged` (a refusal or a preview), it also checks that nothing changed at all.
 *
 * The second surface (issue 17) adds, each a property that can be switched off while its fix is pending
 * (see {@link pendingProperties}):
 *  - `provisioned-blob`: no content of a provisioned path (the copied `.env`, the cache link) is
 *    reachable from a ref unless it was before (the agent committed it itself); provisioned paths
 *    are never work, whatever the instance's `.gitignore` says;
 *  - `process-alive`: no process started for an instance (setup daemons, evaluation leftovers) is
 *    alive after its cleanup or after its evaluation ended ({@link processesAlive});
 *  - `landing-once`: at most one landing per race;
 *  - `target-unasked`: a target branch moves only by the merge or landing the sequence asked for;
 *  - `live-visible`: every live instance is seen by `list`, `conflicts` and `land --all` ({@link visibility}).
 *
 * Searches (issue 18) add:
 *  - `search-node`: every node commit a search's record names is reachable from a ref, and no slot of an
 *    ended search is still live ({@link searchLosses}: the records are read from git as blobs);
 *  - `search-landing`: the nodes of one search that reached its base form one path (one landing: two
 *    landings of different nodes would bring two branches of the tree in);
 *  - `search-resumable`: a search whose driver was killed has no live driver left in its record (the
 *    claim names a dead process, or none), and the next `search resume` takes it over
 *    ({@link searchDrivers}).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const GIT_ENV: NodeJS.ProcessEnv = Object.fromEntries([
  ...Object.entries(process.env).filter(([k]) => !k.toUpperCase().startsWith('GIT_')),
  ['LC_ALL', 'C'],
]);

/** Raw git, read-only (no optional locks: an agent may be committing in the worktree meanwhile). */
function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', ['--no-optional-locks', ...args], {
    cwd,
    input,
    encoding: 'utf8',
    env: GIT_ENV,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
}

function tryGit(cwd: string, args: string[], input?: string): string | null {
  try {
    return git(cwd, args, input);
  } catch {
    return null;
  }
}

const lines = (out: string | null): string[] => (out ?? '').split('\n').filter(Boolean);

export interface FileRecord {
  /** Absolute path of the file in its worktree. */
  file: string;
  blob: string;
  /** Paths under which a salvage tree may hold it: relative to the worktree, then to each nested repository. */
  treePaths: string[];
}

export interface NestedTip {
  /** The nested repository's or submodule's folder. */
  dir: string;
  sha: string;
  label: string;
}

export interface Snapshot {
  repo: string;
  commonDir: string;
  refs: Map<string, string>;
  /** Live worktree folder → its HEAD. */
  worktrees: Map<string, string>;
  /** Commits that must stay reachable → what pointed at them. */
  tips: Map<string, string[]>;
  files: FileRecord[];
  nested: NestedTip[];
  targets: Map<string, string>;
  /** Main worktree: file → blob of each modified, untracked or ignored file (null: deleted by the user). */
  mainFiles: Map<string, string | null>;
  /** Blobs of ignored files that were not in the object store → where the file was. */
  secrets: Map<string, string>;
  /** Contents of provisioned paths → where they were. */
  provisioned: Map<string, string>;
  /** Objects reachable from the refs before (what the agent committed itself is not the operation's doing); null: not guarded. */
  provisionedInRefs: Set<string> | null;
}

export type LossKind =
  | 'commit'
  | 'file'
  | 'nested-commit'
  | 'target'
  | 'main-file'
  | 'ignored-stored'
  | 'refusal-changed'
  | 'provisioned-blob'
  | 'process-alive'
  | 'landing-once'
  | 'target-unasked'
  | 'live-visible'
  | 'search-node'
  | 'search-landing'
  | 'search-resumable'
  | 'spawn-many';

/**
 * Properties whose fixes are not merged yet: the suite still computes the others, and these only when
 * switched on. `AXIOM_PROPERTY_PENDING=a,b` replaces the list (`AXIOM_PROPERTY_PENDING=` switches every
 * property on), so the lead turns each on as its fix lands.
 */
export const PENDING_BY_DEFAULT: readonly LossKind[] = [];

export function pendingProperties(env: NodeJS.ProcessEnv = process.env): Set<string> {
  const raw = env.AXIOM_PROPERTY_PENDING;
  return new Set(raw === undefined ? PENDING_BY_DEFAULT : raw.split(',').map((s) => s.trim()).filter(Boolean));
}

export interface Loss {
  kind: LossKind;
  what: string;
}

export interface RecordOptions {
  /** Branches the user owns (merge targets): they may only move forward. Default: main. */
  targets?: string[];
  /** Worktree folders git may no longer list (moved with `mv`): still the agent's work. */
  extraWorktrees?: string[];
  /**
   * Paths (relative to each worktree) that Axiom provisions into every instance: never work, never in
   * a ref. The main worktree's own files at these paths are the originals (their content counts too).
   */
  provisioned?: string[];
  /** false: provisioned paths are only left out of the work (the provisioned-blob property is off). */
  guardProvisioned?: boolean;
  /** Targets of symbolic links Axiom provisions (a shared folder): as git would store such a link, never in a ref. */
  provisionedLinks?: string[];
}

export interface VerifyOptions {
  extraWorktrees?: string[];
  /** Refs the test deleted on purpose (salvage it expired): what only they held may go. */
  expiredRefs?: string[];
  /** Commits made while the operation ran: the user's must be in their branch, the agent's reachable. */
  userCommits?: { branch: string; sha: string }[];
  agentCommits?: string[];
  /** The operation refused or only previewed: nothing may have changed. */
  unchanged?: boolean;
  /** Targets the operation was asked to move (a merge's target, a landing's base); the others must not move. Absent: not checked. */
  mayMove?: string[];
  /** A landing of this race (its target branch): with `earlier` landings already seen, moving the target again is a second landing. */
  landing?: { race: string; branch: string; earlier: number };
  /** Properties not checked (their fixes are pending). */
  pending?: ReadonlySet<string>;
  /** Files outside the repository holding what a provisioned path became during the operation (an agent's edits of `.env`): never in a ref either. */
  provisionedAlso?: string[];
  /** Files outside the repository holding what ignored files written during the operation held (a search agent's `.log`): never a git object. */
  secretsAlso?: string[];
}

const commonDirs = new Map<string, string>();

export function record(repo: string, options: RecordOptions = {}): Snapshot {
  let commonDir = commonDirs.get(repo);
  if (!commonDir) commonDirs.set(repo, (commonDir = path.resolve(repo, git(repo, ['rev-parse', '--git-common-dir']).trim())));
  const refs = readRefs(commonDir);
  const worktrees = liveWorktrees(repo, commonDir, refs, options.extraWorktrees ?? []);
  const tips = new Map<string, string[]>();
  const addTip = (sha: string, label: string): void => void tips.set(sha, [...(tips.get(sha) ?? []), label]);
  for (const [ref, sha] of refs) addTip(sha, ref);
  for (const [dir, head] of worktrees) addTip(head, `HEAD of ${dir}`);

  const scan: Scan = { candidates: [], ignored: [], nested: [] };
  const instanceDirs = [...worktrees.keys()].filter((dir) => path.resolve(dir) !== path.resolve(repo));
  for (const dir of instanceDirs) scanRepo(dir, [], scan);
  // Provisioned paths are never work: not even when the agent made git see them (un-ignored).
  const provisionedFiles = new Set(instanceDirs.flatMap((dir) => (options.provisioned ?? []).map((rel) => path.join(dir, rel))));
  const underProvisioned = (file: string): boolean => [...provisionedFiles].some((p) => file === p || file.startsWith(p + path.sep));
  scan.candidates = scan.candidates.filter((c) => !underProvisioned(c.file));
  const main = mainStatus(repo);

  const hashes = hashFiles(repo, [...scan.candidates.map((c) => c.file), ...scan.ignored, ...main.filter((e) => e.exists).map((e) => e.file)]);
  const files = scan.candidates
    .filter((c) => hashes.has(c.file) && hashes.get(c.file) !== c.headBlob)
    .map(({ file, treePaths }) => ({ file, treePaths, blob: hashes.get(file)! }));
  const mainFiles = new Map(main.map((e) => [e.file, e.exists ? (hashes.get(e.file) ?? null) : null]));
  const ignoredBlobs = new Map<string, string>();
  for (const f of [...scan.ignored, ...main.filter((e) => e.ignored).map((e) => e.file)]) if (hashes.has(f)) ignoredBlobs.set(hashes.get(f)!, f);
  const present = objectsPresent(commonDir, [...ignoredBlobs.keys()]);
  const secrets = new Map([...ignoredBlobs].filter(([blob]) => !present.has(blob)));
  const targets = new Map<string, string>();
  for (const t of options.targets ?? ['main']) {
    const sha = refs.get(`refs/heads/${t}`);
    if (sha) targets.set(t, sha);
  }
  const provisioned = provisionedContents(repo, [...(options.provisioned ?? []).map((rel) => path.join(repo, rel)), ...provisionedFiles]);
  for (const target of options.provisionedLinks ?? []) provisioned.set(blobOf(Buffer.from(target)), `a provisioned link to ${target}`);
  const provisionedInRefs = provisioned.size && options.guardProvisioned !== false ? reachableObjects(repo, [...refs.values()]) : null;
  return { repo, commonDir, refs, worktrees, tips, files, nested: scan.nested, targets, mainFiles, secrets, provisioned, provisionedInRefs };
}

/** Blob ids of provisioned paths: a file's bytes, a symbolic link's target (as git would store it). */
function provisionedContents(repo: string, files: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, blob] of hashFiles(repo, files)) out.set(blob, file);
  for (const file of files) {
    let target: string;
    try {
      target = fs.readlinkSync(file);
    } catch {
      continue;
    }
    out.set(blobOf(Buffer.from(target)), `${file} (a link to ${target})`);
  }
  return out;
}

/** The blob id git gives these bytes. */
function blobOf(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Every object reachable from these commits (small repositories: one rev-list). */
function reachableObjects(repo: string, tips: string[]): Set<string> {
  const shas = unique(tips);
  if (shas.length === 0) return new Set();
  return new Set(lines(tryGit(repo, ['rev-list', '--objects', ...shas, '--'])).map((l) => l.slice(0, 40)));
}

export function verify(before: Snapshot, repo: string, options: VerifyOptions = {}): Loss[] {
  const losses: Loss[] = [];
  const refs = readRefs(before.commonDir);
  const worktrees = liveWorktrees(repo, before.commonDir, refs, options.extraWorktrees ?? []);
  const keepers = unique([...refs.values(), ...worktrees.values()]);
  const expired = new Set(options.expiredRefs ?? []);
  const superproject = Store.superproject(repo, keepers);

  // Commits: each tip still reachable, or its work merged in by content.
  const mustKeep = new Map([...before.tips].filter(([, labels]) => !labels.every((l) => expired.has(l))));
  for (const sha of options.agentCommits ?? []) mustKeep.set(sha, [...(mustKeep.get(sha) ?? []), 'a commit the agent made during the operation']);
  const pending = [...mustKeep.keys()].filter((sha) => !keepers.includes(sha));
  const unreachable = new Set(pending.length ? lines(tryGit(repo, ['rev-list', ...pending, '--not', ...keepers, '--'])) : []);
  for (const [sha, labels] of mustKeep) {
    if (!unreachable.has(sha) || contentKept(repo, sha, refs)) continue;
    const lost = lines(tryGit(repo, ['log', '--format=%h %s', sha, '--not', ...keepers, '--']));
    losses.push({ kind: 'commit', what: `${sha.slice(0, 10)} (${labels.join(', ')}): ${lost.length} commit(s) no longer reachable from any ref: ${lost.join('; ')}` });
  }

  // Uncommitted files: in place, or at the same path in a tree reachable from a ref.
  const current = hashFiles(repo, [...before.files.map((f) => f.file), ...before.mainFiles.keys()]);
  const moved = before.files.filter((f) => current.get(f.file) !== f.blob);
  const liveNested = unique(before.nested.map((n) => n.dir)).filter((d) => fs.existsSync(path.join(d, '.git')));
  const stores = [superproject, ...moduleStores(before.commonDir), ...liveNested.map((d) => Store.live(d))];
  let missing = moved;
  for (const store of stores) missing = missing.length ? store.withoutKept(missing) : missing;
  for (const f of missing) losses.push({ kind: 'file', what: `${f.file} (blob ${f.blob.slice(0, 10)}) is gone from its worktree and from every ref` });

  // Commits of nested repositories and submodules.
  for (const n of before.nested) {
    if (!stores.some((s) => s.reachable().has(n.sha))) {
      losses.push({ kind: 'nested-commit', what: `${n.sha.slice(0, 10)} (${n.label} in ${n.dir}) is reachable from no ref any more` });
    }
  }

  // Targets only move forward and keep the user's commits made during the operation.
  const inTarget = [...before.targets].map(([branch, sha]) => ({ branch, sha, what: 'its tip before the operation' }));
  for (const c of options.userCommits ?? []) inTarget.push({ ...c, what: 'a commit the user made during the operation' });
  for (const { branch, sha, what } of inTarget) {
    const now = refs.get(`refs/heads/${branch}`);
    if (now === sha) continue;
    const missing = now ? lines(tryGit(repo, ['rev-list', sha, '--not', now, '--'])) : [sha];
    if (missing.length) losses.push({ kind: 'target', what: `${branch} no longer contains ${what} ${sha.slice(0, 10)} (${missing.length} commit(s) dropped; now ${now?.slice(0, 10) ?? 'deleted'})` });
  }

  // The user's uncommitted, untracked and ignored files in the main worktree.
  for (const [file, blob] of before.mainFiles) {
    const now = current.get(file) ?? null;
    if (now !== blob) losses.push({ kind: 'main-file', what: `${file} in the main worktree changed (${blob?.slice(0, 10) ?? 'deleted'} → ${now?.slice(0, 10) ?? 'deleted'})` });
  }

  // Ignored files never become git objects (those written during the operation too).
  const secrets = new Map(before.secrets);
  for (const [file, blob] of hashFiles(repo, options.secretsAlso ?? [])) if (blob && !secrets.has(blob)) secrets.set(blob, `${path.basename(file)} (written by an agent during the operation)`);
  const stored = objectsPresent(before.commonDir, [...secrets.keys()]);
  // A provisioned copy of an ignored file (the agent un-ignored it) breaks the provisioned rule first.
  for (const blob of stored) {
    const provisioned = before.provisioned.has(blob);
    losses.push({ kind: provisioned ? 'provisioned-blob' : 'ignored-stored', what: `the ignored file ${secrets.get(blob)} was written into the object store (${blob.slice(0, 10)})${provisioned ? ', as the content of a provisioned path' : ''}` });
  }

  if (options.unchanged) losses.push(...changes(before, refs, worktrees, current, options));

  const off = options.pending ?? new Set<string>();
  // What the provisioned paths became during the operation (an agent edited the copied .env) counts as provisioned too.
  const provisioned = new Map(before.provisioned);
  for (const [file, blob] of hashFiles(repo, options.provisionedAlso ?? [])) if (!provisioned.has(blob)) provisioned.set(blob, `${file} (what an agent made of a provisioned file)`);
  // Provisioned contents never reach a ref (salvage, commit-all, evaluation snapshots, search nodes, landings).
  if (!off.has('provisioned-blob') && before.provisionedInRefs) {
    const reachable = reachableObjects(repo, [...refs.values()]);
    for (const [blob, where] of provisioned) {
      if (reachable.has(blob) && !before.provisionedInRefs.has(blob)) losses.push({ kind: 'provisioned-blob', what: `the provisioned ${where} (${blob.slice(0, 10)}) is reachable from a ref` });
    }
  }
  // Targets move only when asked (by what moved them: not a commit the user made meanwhile).
  const targetMoved = (branch: string): boolean => {
    const was = before.refs.get(`refs/heads/${branch}`);
    const now = refs.get(`refs/heads/${branch}`);
    return now !== was && !(options.userCommits ?? []).some((c) => c.branch === branch && c.sha === now);
  };
  if (options.mayMove && !off.has('target-unasked')) {
    for (const branch of before.targets.keys()) {
      if (!options.mayMove.includes(branch) && targetMoved(branch)) losses.push({ kind: 'target-unasked', what: `${branch} moved (${before.targets.get(branch)!.slice(0, 10)} → ${refs.get(`refs/heads/${branch}`)?.slice(0, 10) ?? 'deleted'}) although the operation was not asked to move it` });
    }
  }
  if (options.landing && !off.has('landing-once') && options.landing.earlier > 0 && targetMoved(options.landing.branch)) {
    losses.push({ kind: 'landing-once', what: `race ${options.landing.race} landed again on ${options.landing.branch} (landing number ${options.landing.earlier + 1})` });
  }
  return losses.filter((l) => !off.has(l.kind));
}

/** A search's record as git holds it (`refs/axiom/searches/<name>/record`: `search.json` and `nodes/<id>.json`), read as blobs. */
export interface SearchSeen {
  name: string;
  base: string;
  baseSha: string;
  state: string;
  /** The process the record says drives the search (its pid), if any. */
  driver: { pid: number } | null;
  nodes: { id: number; parent: number | null; commit: string | null; instance: string | null; state: string }[];
}

export function readSearchRecords(repo: string): SearchSeen[] {
  const records = lines(tryGit(repo, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/axiom/searches/']))
    .map((line) => line.split(' ') as [string, string])
    .flatMap(([ref, sha]) => {
      const m = /^refs\/axiom\/searches\/(.+)\/record$/.exec(ref);
      return m ? [{ name: m[1]!, sha }] : [];
    });
  const specs = records.map((r) => ({ ...r, paths: lines(tryGit(repo, ['ls-tree', '-r', '--name-only', r.sha])).filter((p) => p === 'search.json' || /^nodes\/\d+\.json$/.test(p)) }));
  const blobs = catBlobs(repo, specs.flatMap((r) => r.paths.map((p) => `${r.sha}:${p}`)));
  const out: SearchSeen[] = [];
  for (const r of specs) {
    const docs = r.paths.map((p) => JSON.parse(blobs.get(`${r.sha}:${p}`) ?? 'null') as Record<string, unknown> | null);
    const search = docs[r.paths.indexOf('search.json')] as { base: string; baseSha: string; state: string; driver: { pid: number } | null } | null | undefined;
    if (!search) continue;
    const nodes = docs.filter((d, i) => d && r.paths[i] !== 'search.json') as unknown as SearchSeen['nodes'];
    out.push({ name: r.name, base: search.base, baseSha: search.baseSha, state: search.state, driver: search.driver ?? null, nodes: nodes.sort((x, y) => x.id - y.id) });
  }
  return out;
}

/** The contents of `<rev>:<path>` blobs, in one `git cat-file --batch`. */
function catBlobs(repo: string, specs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (specs.length === 0) return out;
  const raw = execFileSync('git', ['--no-optional-locks', 'cat-file', '--batch'], { cwd: repo, input: specs.join('\n') + '\n', env: GIT_ENV, maxBuffer: 64 * 1024 * 1024 });
  let at = 0;
  for (const spec of specs) {
    const nl = raw.indexOf(0x0a, at);
    const header = raw.subarray(at, nl).toString('utf8');
    at = nl + 1;
    if (header.endsWith(' missing')) continue;
    const size = Number(header.split(' ')[2]);
    out.set(spec, raw.subarray(at, at + size).toString('utf8'));
    at += size + 1;
  }
  return out;
}

/**
 * What the searches' records say, checked against git: every node commit is reachable from a ref; the
 * nodes of one search that reached its base (beyond its base commit) lie on one path of the tree (one
 * landing); no slot (`<name>-n<id>`) of an ended search is still a live instance.
 */
export function searchLosses(repo: string, live: Iterable<string>): Loss[] {
  const losses: Loss[] = [];
  const searches = readSearchRecords(repo);
  if (searches.length === 0) return losses;
  let commonDir = commonDirs.get(repo);
  if (!commonDir) commonDirs.set(repo, (commonDir = path.resolve(repo, git(repo, ['rev-parse', '--git-common-dir']).trim())));
  const refs = readRefs(commonDir);
  const commits = unique(searches.flatMap((s) => s.nodes.flatMap((n) => (n.commit ? [n.commit] : []))));
  const unreachable = commits.length ? tryGit(repo, ['rev-list', ...commits, '--not', ...unique([...refs.values()]), '--']) : '';
  if (unreachable === null) losses.push({ kind: 'search-node', what: `a node commit of a search is missing from the object store (${commits.map((c) => c.slice(0, 10)).join(', ')})` });
  const lost = new Set(lines(unreachable));
  const liveIds = [...live];
  for (const s of searches) {
    for (const n of s.nodes) if (n.commit && lost.has(n.commit)) losses.push({ kind: 'search-node', what: `node ${n.id} of search ${s.name} (${n.commit.slice(0, 10)}) is reachable from no ref` });
    if (s.state === 'done' || s.state === 'stopped') {
      for (const id of liveIds) if (new RegExp(`^${s.name}-n\\d+$`).test(id)) losses.push({ kind: 'search-node', what: `the slot ${id} of search ${s.name} is still live although the search has ended (${s.state})` });
    }
    const base = refs.get(`refs/heads/${s.base}`);
    if (!base || base === s.baseSha) continue;
    // The commits the base gained since the search started; the nodes among them lie on one path.
    const gained = new Set(lines(tryGit(repo, ['rev-list', base, '--not', s.baseSha, '--'])));
    const inBase = s.nodes.filter((n) => n.parent !== null && n.commit && gained.has(n.commit));
    const tips = unique(inBase.map((n) => n.commit!)).filter((c) => !inBase.some((b) => b.commit !== c && isAncestorOf(repo, c, b.commit!)));
    if (tips.length > 1) {
      losses.push({ kind: 'search-landing', what: `search ${s.name} landed more than once: nodes ${inBase.filter((n) => tips.includes(n.commit!)).map((n) => n.id).join(', ')} (on different paths of its tree) are all in ${s.base}` });
    }
  }
  return losses;
}

/**
 * After its driver was killed, a search is resumable: no process the record names as its driver is
 * alive (nothing is left to wait for; the next `resume` may claim it). A search that was never
 * recorded (killed before it was) is fine too.
 */
export function searchDrivers(repo: string, name: string): Loss[] {
  const s = readSearchRecords(repo).find((x) => x.name === name);
  if (!s?.driver || !isAlive(s.driver.pid)) return [];
  return [{ kind: 'search-resumable', what: `search ${name}: its record still names process ${s.driver.pid} as its driver, alive after the driver was killed` }];
}

function isAncestorOf(repo: string, a: string, b: string): boolean {
  return tryGit(repo, ['merge-base', '--is-ancestor', a, b]) !== null;
}

/** Whether a landing of the race moved its target (for the count of landings per race). */
export function landed(before: Snapshot, branch: string, userCommits: { branch: string; sha: string }[] = []): boolean {
  const now = readRefs(before.commonDir).get(`refs/heads/${branch}`);
  return now !== before.refs.get(`refs/heads/${branch}`) && !userCommits.some((c) => c.branch === branch && c.sha === now);
}

/**
 * Processes recorded by an instance's setup or evaluation (one pid a line in `<dir>/<kind>.<id>`)
 * that are still alive although they must not be: `gone` instances (all their processes) and
 * `finished` evaluations (their leftovers). Alive = /proc says so and it is not a zombie.
 */
export function processesAlive(pidDir: string, options: { gone: string[]; finishedEvaluations?: string[]; ignore?: ReadonlySet<number> }): Loss[] {
  const losses: Loss[] = [];
  const check = (file: string, what: string): void => {
    for (const pid of (readText(path.join(pidDir, file)) ?? '').split('\n').map(Number).filter((n) => n > 0)) {
      if (!options.ignore?.has(pid) && isAlive(pid)) losses.push({ kind: 'process-alive', what: `${what}: process ${pid} (${readText(`/proc/${pid}/cmdline`)?.replace(/\0/g, ' ').trim()}) is still alive` });
    }
  };
  for (const id of options.gone) {
    check(`setup.${id}`, `a setup process of ${id}, which was cleaned up`);
    check(`eval.${id}`, `an evaluation process of ${id}, which was cleaned up`);
    check(`agent.${id}`, `a process left by the agent of ${id}, which was cleaned up`);
  }
  for (const id of options.finishedEvaluations ?? []) if (!options.gone.includes(id)) check(`eval.${id}`, `a process left by the evaluation of ${id}, which has ended`);
  return losses;
}

/** A process that exists and is not a zombie (Linux /proc; elsewhere: signal 0). */
export function isAlive(pid: number): boolean {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat !== null) return !/^\d+ \(.*\) [ZX]/s.test(stat);
  if (fs.existsSync('/proc/self')) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The live instances as the repository's records say (admin dir with Axiom's metadata, folder present): id → whether it has commits its base lacks (not computed with `ahead: false`). */
export function liveInstances(repo: string, options: { ahead?: boolean } = {}): Map<string, { ahead: boolean; dir: string }> {
  let commonDir = commonDirs.get(repo);
  if (!commonDir) commonDirs.set(repo, (commonDir = path.resolve(repo, git(repo, ['rev-parse', '--git-common-dir']).trim())));
  const refs = readRefs(commonDir);
  const out = new Map<string, { ahead: boolean; dir: string }>();
  const admin = path.join(commonDir, 'worktrees');
  for (const name of fs.existsSync(admin) ? fs.readdirSync(admin) : []) {
    let meta: { id?: string; base?: string };
    try {
      meta = JSON.parse(fs.readFileSync(path.join(admin, name, 'axiom.json'), 'utf8')) as { id?: string; base?: string };
    } catch {
      continue;
    }
    const dotGit = readText(path.join(admin, name, 'gitdir'));
    if (!meta.id || !dotGit || !fs.existsSync(path.resolve(admin, name, dotGit))) continue;
    const dir = path.dirname(path.resolve(admin, name, dotGit));
    const head = readText(path.join(admin, name, 'HEAD'));
    const sha = head?.startsWith('ref: ') ? refs.get(head.slice(5)) : head;
    const ahead = options.ahead !== false && !!sha && !!meta.base && lines(tryGit(repo, ['rev-list', '--max-count=1', sha, '--not', `refs/heads/${meta.base}`, '--'])).length > 0;
    out.set(meta.id, { ahead, dir });
  }
  return out;
}

/**
 * `spawn <prefix> --count N` (spawnMany) is all or finished, read from git's worktree records alone:
 * - when it succeeded, each of its ids is a live instance whose spawn finished: checked out (git wrote
 *   its index) and not locked as a spawn in progress (git's lock reason `axiom-spawn <process>`);
 * - when it was refused, none of its ids that was not live before is there now, finished or not
 *   (the limit, a taken id, a bad base refuse the whole batch before anything is created).
 * A killed one may leave unfinished worktrees for `repair`; the general checks cover what it must not lose.
 */
export function spawnManyLosses(repo: string, ids: string[], outcome: 'ok' | 'refused', liveBefore: ReadonlySet<string>): Loss[] {
  const commonDir = path.resolve(repo, git(repo, ['rev-parse', '--git-common-dir']).trim());
  const admin = path.join(commonDir, 'worktrees');
  const found = new Map<string, { finished: boolean }>();
  for (const name of fs.existsSync(admin) ? fs.readdirSync(admin) : []) {
    const meta = readText(path.join(admin, name, 'axiom.json'));
    let id: unknown;
    try {
      id = meta === null ? undefined : (JSON.parse(meta) as { id?: unknown }).id;
    } catch {
      continue;
    }
    const dotGit = readText(path.join(admin, name, 'gitdir'));
    if (typeof id !== 'string' || !ids.includes(id) || !dotGit || !fs.existsSync(path.resolve(admin, name, dotGit))) continue;
    const inProgress = readText(path.join(admin, name, 'locked'))?.startsWith('axiom-spawn ') ?? false;
    found.set(id, { finished: !inProgress && fs.existsSync(path.join(admin, name, 'index')) });
  }
  const losses: Loss[] = [];
  for (const id of ids) {
    const f = found.get(id);
    if (outcome === 'ok' && !f) losses.push({ kind: 'spawn-many', what: `spawn --count succeeded but ${id} is not a live instance` });
    else if (outcome === 'ok' && !f!.finished) losses.push({ kind: 'spawn-many', what: `spawn --count succeeded but ${id} is not finished (not checked out, or still locked as a spawn in progress)` });
    else if (outcome === 'refused' && f && !liveBefore.has(id)) losses.push({ kind: 'spawn-many', what: `spawn --count was refused but created ${id}${f.finished ? '' : ' (unfinished)'}` });
  }
  return losses;
}

/**
 * Every live instance is seen by `list`; each with commits its base lacks by `conflicts` and (when it
 * ran) by `land --all` (landed or skipped with a reason).
 */
export function visibility(live: Map<string, { ahead: boolean }>, seen: { list: string[]; conflicts?: string[]; landAll?: string[] }): Loss[] {
  const losses: Loss[] = [];
  for (const [id, { ahead }] of live) {
    if (!seen.list.includes(id)) losses.push({ kind: 'live-visible', what: `the live instance ${id} is missing from list` });
    if (ahead && seen.conflicts && !seen.conflicts.includes(id)) losses.push({ kind: 'live-visible', what: `the live instance ${id} (with commits) is missing from conflicts` });
    if (ahead && seen.landAll && !seen.landAll.includes(id)) losses.push({ kind: 'live-visible', what: `the live instance ${id} (with commits) is neither landed nor skipped by land --all` });
  }
  return losses;
}

/** What a refusal or a preview changed (it may change nothing). */
function changes(before: Snapshot, refs: Map<string, string>, worktrees: Map<string, string>, files: Map<string, string>, options: VerifyOptions): Loss[] {
  const out: Loss[] = [];
  const movedByUser = new Set((options.userCommits ?? []).map((c) => `refs/heads/${c.branch}`));
  // A search record is a history of versions: a refusal that wrote an intent and took it back leaves its content (its tree) as it was.
  const sameRecord = (ref: string, a: string | undefined, b: string | undefined): boolean =>
    !!a && !!b && /^refs\/axiom\/searches\/.+\/record$/.test(ref) && new Set(lines(tryGit(before.repo, ['rev-parse', `${a}^{tree}`, `${b}^{tree}`]))).size === 1;
  for (const ref of unique([...before.refs.keys(), ...refs.keys()])) {
    if (!movedByUser.has(ref) && before.refs.get(ref) !== refs.get(ref) && !sameRecord(ref, before.refs.get(ref), refs.get(ref))) out.push({ kind: 'refusal-changed', what: `${ref}: ${before.refs.get(ref)?.slice(0, 10) ?? 'absent'} → ${refs.get(ref)?.slice(0, 10) ?? 'deleted'}` });
  }
  for (const dir of unique([...before.worktrees.keys(), ...worktrees.keys()])) {
    if (before.worktrees.get(dir) !== worktrees.get(dir) && !options.agentCommits?.length) out.push({ kind: 'refusal-changed', what: `worktree ${dir}: HEAD ${before.worktrees.get(dir)?.slice(0, 10) ?? 'absent'} → ${worktrees.get(dir)?.slice(0, 10) ?? 'gone'}` });
  }
  for (const f of before.files) if (files.get(f.file) !== f.blob) out.push({ kind: 'refusal-changed', what: `${f.file} changed or moved` });
  return out;
}

// ---- reading the repository ----

/** Every ref of the repository → its object, read from the files (loose refs win over packed ones). */
function readRefs(commonDir: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of (readText(path.join(commonDir, 'packed-refs')) ?? '').split('\n')) {
    if (/^[0-9a-f]{40} /.test(line)) refs.set(line.slice(41), line.slice(0, 40));
  }
  const walk = (dir: string, prefix: string): void => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const name = `${prefix}/${e.name}`;
      if (e.isDirectory()) walk(path.join(dir, e.name), name);
      else if (!e.name.endsWith('.lock')) {
        const sha = readText(path.join(dir, e.name));
        if (sha && /^[0-9a-f]{40}$/.test(sha)) refs.set(name, sha);
      }
    }
  };
  walk(path.join(commonDir, 'refs'), 'refs');
  return new Map([...refs].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Worktree folders that exist, with their HEAD, read from the admin dirs (as `git worktree list`
 * would, minus prunable ones), plus extra folders whose `.git` file still leads to an admin dir.
 */
function liveWorktrees(repo: string, commonDir: string, refs: Map<string, string>, extra: string[]): Map<string, string> {
  const live = new Map<string, string>();
  const headOf = (gitDir: string): string | null => {
    const head = readText(path.join(gitDir, 'HEAD'));
    if (head?.startsWith('ref: ')) return refs.get(head.slice(5)) ?? null;
    return head && /^[0-9a-f]{40}$/.test(head) ? head : null;
  };
  const add = (dir: string, gitDir: string): void => {
    const head = headOf(gitDir);
    if (head && !live.has(dir)) live.set(dir, head);
  };
  add(repo, commonDir);
  const admin = path.join(commonDir, 'worktrees');
  for (const name of fs.existsSync(admin) ? fs.readdirSync(admin) : []) {
    const dotGit = readText(path.join(admin, name, 'gitdir'));
    if (dotGit && fs.existsSync(path.resolve(admin, name, dotGit))) add(path.dirname(path.resolve(admin, name, dotGit)), path.join(admin, name));
  }
  for (const dir of extra) {
    const link = readText(path.join(dir, '.git'));
    if (!link?.startsWith('gitdir: ')) continue;
    const gitDir = path.resolve(dir, link.slice('gitdir: '.length));
    // A moved folder's admin dir still points to the old place; if it points to another live folder, it is not ours.
    const owner = readText(path.join(gitDir, 'gitdir'));
    if (owner && path.resolve(gitDir, owner) !== path.join(dir, '.git') && fs.existsSync(path.resolve(gitDir, owner))) continue;
    add(dir, gitDir);
  }
  return live;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

interface Scan {
  candidates: { file: string; headBlob: string | null; treePaths: string[] }[];
  ignored: string[];
  nested: NestedTip[];
}

/** Uncommitted and ignored files of one repository folder, then of the repositories nested in it. */
function scanRepo(dir: string, outer: string[], scan: Scan): void {
  const ignoredDirs: string[] = [];
  const status = tryGit(dir, ['status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all', '--ignored=traditional']) ?? '';
  for (const entry of status.split('\0').filter(Boolean)) {
    const kind = entry[0];
    const f = entry.split(' ');
    let rel: string;
    let headBlob: string | null = null;
    if (kind === '1' && !f[2]!.startsWith('S') && f[5] !== '000000') {
      rel = f.slice(8).join(' ');
      headBlob = f[6]!;
    } else if (kind === 'u' && !f[2]!.startsWith('S')) {
      rel = f.slice(10).join(' ');
      headBlob = f[8]!;
    } else if (kind === '?' && !entry.endsWith('/')) {
      rel = entry.slice(2);
    } else if (kind === '!') {
      if (entry.endsWith('/')) ignoredDirs.push(entry.slice(2));
      else scan.ignored.push(path.join(dir, entry.slice(2)));
      continue;
    } else {
      continue; // deleted files, submodules and nested repositories (found below)
    }
    scan.candidates.push({ file: path.join(dir, rel), headBlob, treePaths: [...outer.map((o) => path.posix.join(o, rel)), rel] });
  }
  for (const nested of nestedRepos(dir, ignoredDirs)) {
    const rel = path.relative(dir, nested).split(path.sep).join('/');
    // Remote-tracking refs mirror another repository, which still has those commits.
    const tips = new Map<string, string[]>();
    for (const line of lines(tryGit(nested, ['show-ref', '--head']))) {
      const [sha, ref] = [line.slice(0, 40), line.slice(41)];
      if (!ref.startsWith('refs/remotes/')) tips.set(sha, [...(tips.get(sha) ?? []), ref]);
    }
    for (const [sha, refs] of tips) scan.nested.push({ dir: nested, sha, label: refs.join(', ') });
    scanRepo(nested, [...outer.map((o) => path.posix.join(o, rel)), rel], scan);
  }
}

/** Folders below `dir` that are repositories of their own (a `.git` folder or file), outside ignored folders. */
function nestedRepos(dir: string, ignoredDirs: string[]): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name === '.git') continue;
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p).split(path.sep).join('/') + '/';
      if (ignoredDirs.some((i) => rel.startsWith(i))) continue;
      if (fs.existsSync(path.join(p, '.git'))) found.push(p);
      else walk(p);
    }
  };
  walk(dir);
  return found;
}

/** Main worktree: each modified, deleted, untracked or ignored file (absolute path). */
function mainStatus(repo: string): { file: string; exists: boolean; ignored: boolean }[] {
  const out: { file: string; exists: boolean; ignored: boolean }[] = [];
  const status = git(repo, ['status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all', '--ignored=traditional']);
  for (const entry of status.split('\0').filter(Boolean)) {
    const f = entry.split(' ');
    if (entry.endsWith('/')) continue;
    if (entry[0] === '1') out.push({ file: path.join(repo, f.slice(8).join(' ')), exists: f[5] !== '000000', ignored: false });
    else if (entry[0] === 'u') out.push({ file: path.join(repo, f.slice(10).join(' ')), exists: true, ignored: false });
    else if (entry[0] === '?' || entry[0] === '!') out.push({ file: path.join(repo, entry.slice(2)), exists: true, ignored: entry[0] === '!' });
  }
  return out;
}

/** Blob ids of the files' bytes (no filters: exactly what is on disk); missing files are left out. */
function hashFiles(repo: string, files: string[]): Map<string, string> {
  const existing = unique(files).filter((f) => fs.existsSync(f) && fs.lstatSync(f).isFile());
  if (existing.length === 0) return new Map();
  const out = lines(git(repo, ['hash-object', '--no-filters', '--stdin-paths'], existing.join('\n') + '\n'));
  return new Map(existing.map((f, i) => [f, out[i]!]));
}

function objectsPresent(cwd: string, shas: string[], prefix: string[] = []): Set<string> {
  if (shas.length === 0) return new Set();
  const out = lines(tryGit(cwd, [...prefix, 'cat-file', '--batch-check=%(objectname) %(objecttype)'], shas.join('\n') + '\n'));
  return new Set(out.filter((l) => !l.endsWith(' missing')).map((l) => l.slice(0, 40)));
}

/** The tip's work is in a commit reachable from a ref: merging the tip there would change nothing. */
function contentKept(repo: string, tip: string, refs: Map<string, string>): boolean {
  const candidates = lines(tryGit(repo, ['log', '--format=%H %T', '--max-count=60', ...unique([...refs.values()]), '--not', tip, '--']));
  return candidates.some((c) => {
    const [commit, tree] = c.split(' ');
    return tryGit(repo, ['merge-tree', '--write-tree', '--no-messages', commit!, tip])?.split('\n')[0] === tree;
  });
}

/** Submodules' own repositories under `<common dir>/modules` (their refs count, not their HEAD). */
function moduleStores(commonDir: string): Store[] {
  const stores: Store[] = [];
  const walk = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (fs.existsSync(path.join(p, 'HEAD')) && fs.existsSync(path.join(p, 'objects'))) {
        stores.push(Store.gitDir(p));
        walk(path.join(p, 'modules'));
      } else {
        walk(p); // module names may contain '/'
      }
    }
  };
  walk(path.join(commonDir, 'modules'));
  return stores;
}

/** One object store and the commits reachable in it. */
class Store {
  private commits: Set<string> | null = null;

  private constructor(
    private readonly cwd: string,
    private readonly prefix: string[],
    private readonly tips: () => string[],
  ) {}

  /** The superproject: reachable from its refs and live worktrees' HEADs. */
  static superproject(repo: string, keepers: string[]): Store {
    return new Store(repo, [], () => keepers);
  }

  /** A nested repository or submodule still in place: its refs and its HEAD. */
  static live(dir: string): Store {
    return new Store(dir, [], () => lines(tryGit(dir, ['show-ref', '--head'])).map((l) => l.slice(0, 40)));
  }

  /** A repository without a working tree of its own: its refs only. */
  static gitDir(dir: string): Store {
    return new Store(dir, ['--git-dir', dir], () => lines(tryGit(dir, ['--git-dir', dir, 'for-each-ref', '--format=%(objectname)'])));
  }

  reachable(): Set<string> {
    if (!this.commits) {
      const tips = unique(this.tips());
      this.commits = new Set(tips.length ? lines(tryGit(this.cwd, [...this.prefix, 'rev-list', ...tips, '--'])) : []);
    }
    return this.commits;
  }

  /** The files that no reachable commit's tree holds: blob at one of their paths. */
  withoutKept(files: FileRecord[]): FileRecord[] {
    const present = objectsPresent(this.cwd, unique(files.map((f) => f.blob)), this.prefix);
    const candidates = files.filter((f) => present.has(f.blob));
    if (candidates.length === 0) return files;
    // One `<commit>:<path>` query per reachable commit and path; the answers come back in order.
    const queries = [...this.reachable()].flatMap((c) => candidates.flatMap((f) => f.treePaths.map((p) => ({ q: `${c}:${p}`, f }))));
    const out = tryGit(this.cwd, [...this.prefix, 'cat-file', '--batch-check=%(objectname)'], queries.map((x) => x.q).join('\n') + '\n');
    const answers = (out ?? '').split('\n');
    const kept = new Set(queries.filter((x, i) => answers[i] === x.f.blob).map((x) => x.f));
    return files.filter((f) => !kept.has(f));
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
