/**
 * The search record (issue 18): what a search is (task, prompt template, evaluation, agents,
 * width, parallelism, budget, selection) and its tree of nodes, kept in git so every front end and
 * process reads the same tree and it survives crashes, reloads and cleanups.
 *
 * Like a race record (raceRecord.ts) it is one ref whose commit is the record's current version
 * (parent = the previous version), and every update is a compare-and-swap of that ref. Unlike a race
 * record, the record is a tree, not a message: `search.json` (the search) and `nodes/<id>.json` (one
 * blob per node), so an update of one node writes one blob and two trees — a search of hundreds of
 * nodes does not rewrite its whole tree on every change.
 *
 *   refs/axiom/searches/<name>/record      the record
 *   refs/axiom/searches/<name>/nodes/<id>  each node's commit (the evaluated state), kept reachable
 *
 * The node refs move in the same `update-ref --stdin` transaction as the record, under the repository lock.
 */
import { createHash } from 'node:crypto';
import { reportDamage } from '../instances/damage';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { describeInvalidId } from '../instances/ids';
import { withRepoLock } from '../instances/lock';
import { parseCatFileBatch, type DiffSize } from '../explore/attempts';
import type { EvaluationSpec } from '../explore/raceRecord';
import type { RepoInfo } from '../git/repo';
import { writerIdentity } from '../git/writerIdentity';

export const SEARCH_REF_PREFIX = 'refs/axiom/searches/';
/** The search itself in the record's tree (beside `nodes/<id>.json`). */
const HEAD_FILE = 'search.json';
export { SELECT_MODES } from '../choices';
import type { SelectMode } from '../choices';
export type { SelectMode };
export type SearchState = 'running' | 'stopping' | 'stopped' | 'done';
export type NodeState = 'pending' | 'running' | 'evaluated' | 'failed';
/** Feedback kept per node (characters). */
export const MAX_FEEDBACK_CHARS = 2000;

export interface SearchBudget {
  /** Children created at most (the root's evaluation is not an attempt). */
  attempts: number;
  /** Wall-clock minutes from the start (running attempts are stopped then); null = no limit. */
  minutes: number | null;
  /** A passing node with this score (or better) ends the search; null = none. */
  targetScore: number | null;
  /** Rounds after the best node's round without a better node before no more nodes are expanded; null = none. */
  patience: number | null;
}

/** Which process drives the search (one at a time): its identity and the end of its lease. */
export interface SearchDriver {
  /** `formatProcessIdentity` of the driver (pid and start time). */
  holder: string;
  pid: number;
  /** The machine it runs on (its pid means something only there). */
  host?: string;
  claimedAt: string;
  /** The claim holds until then unless renewed; after it (or once the holder is gone) another driver may take over. */
  leaseUntil: string;
}

export interface NodeResult {
  passed: boolean;
  score: number | null;
  /** What the evaluation said (AXIOM_FEEDBACK= lines, else the end of its log), bounded. */
  feedback: string;
  diff: DiffSize | null;
  evaluatedAt: string;
}

export interface SearchNode {
  id: number;
  /** null = the root (the base commit). */
  parent: number | null;
  /** Depth in the tree: the root is round 0, its children round 1, … */
  round: number;
  agent: string | null;
  /** The prompt the node's agent got (null for the root). */
  prompt: string | null;
  /** The live instance that simulates (or simulated) it, while it exists. */
  instance: string | null;
  /** The node's state as a commit: the evaluated commit (the root: the base commit); null until evaluated. */
  commit: string | null;
  result: NodeResult | null;
  state: NodeState;
  createdAt: string;
  /** Why it failed (an agent or evaluation that could not run, a stop), when it did. */
  error?: string;
}

export interface SearchLanding {
  node: number;
  into: string;
  mergedSha: string | null;
  at: string;
  /** Landed by publishing (`search land --publish`): the node's instance pushed and its pull request opened, nothing merged locally. */
  published?: SearchPublished;
}

/** Where a node was published: its instance (kept while the pull request is open), the remote branch, the pull request. */
export interface SearchPublished {
  instance: string;
  remote: string;
  branch: string;
  url: string | null;
}

/** What the landing a search was started with (`--land`) did once the search ended (absent until then). */
export interface SearchAutoLanded {
  at: string;
  /** The node that landed; null when none did (none passed, or the landing failed: `note` says which). */
  node: number | null;
  note: string;
}

export interface SearchRecord {
  version: 1;
  name: string;
  /** The task ({task} of the template). */
  task: string;
  /** The prompt template (placeholders {task} {score} {passed} {feedback} {diffstat}), fixed at the start. */
  template: string;
  base: string;
  baseSha: string;
  createdAt: string;
  evaluate: EvaluationSpec;
  /** The agent mix, one entry per slot of a round-robin (e.g. claude, claude, codex). */
  agents: string[];
  /** The custom agent's command template (with `custom` in the mix). */
  agentCommand: string | string[] | null;
  width: number;
  parallel: number;
  budget: SearchBudget;
  select: SelectMode;
  exploration: number;
  state: SearchState;
  stopReason?: string;
  endedAt?: string;
  driver: SearchDriver | null;
  /**
   * Started with `--land`: the person approved in advance that the best passing node lands when the
   * search ends by itself (budget, target, patience); a stopped search does not land.
   */
  land?: boolean;
  autoLanded?: SearchAutoLanded;
  /**
   * Claude Code's --permission-mode of the search's Claude attempts, decided when it started (a front
   * end's explicit one, else git config axiom.claudePermissionMode, else acceptEdits): every driver
   * starts its Claudes with it, whatever its own front end's setting; a resume given another one
   * explicitly is refused. Absent: no Claude in the mix, or a search recorded before it was kept.
   */
  permissionMode?: string;
  /** A landing in progress (its merge may or may not have happened): set before the target moves. */
  landing?: SearchLanding & { holder: string; next: string | null; publish?: SearchPublishChoice };
  landed?: SearchLanding;
  nodes: SearchNode[];
}

/** A publishing landing's choices, journalled so the landing that finishes it makes the same ones. */
export interface SearchPublishChoice {
  remote?: string;
  draft: boolean;
}

export interface StoredBlob {
  sha: string;
  text: string;
}

export interface Search extends SearchRecord {
  /** `refs/axiom/searches/<name>/record` */
  ref: string;
  /** The record commit the ref points at (the compare-and-swap value of the next update). */
  sha: string;
  /** Each file's blob and text as read (search.json and the nodes: an update writes only the files that changed). */
  readonly blobs?: ReadonlyMap<string, StoredBlob>;
}

/** Null when `name` can name a search (its instances are `<name>-n<id>`), else what is wrong. */
export function describeInvalidSearchName(name: string): string | null {
  const problem = describeInvalidId(name);
  if (problem) return problem.replace(/instance id/g, 'search name');
  if (describeInvalidId(`${name}-n9999`)) return `A search name has at most 34 characters (its instances are named ${name}-n1, ${name}-n2, …).`;
  return null;
}

export function validateSearchName(name: unknown): string {
  if (typeof name !== 'string') throw new AxiomError('InvalidArgument', 'A search name must be a string.');
  const problem = describeInvalidSearchName(name);
  if (problem) throw new AxiomError('InvalidArgument', `Invalid search name ${JSON.stringify(name.slice(0, 60))}: ${problem}`);
  return name;
}

export function searchRef(name: string): string {
  return `${SEARCH_REF_PREFIX}${name}/record`;
}

export function nodeRef(name: string, id: number): string {
  return `${SEARCH_REF_PREFIX}${name}/nodes/${id}`;
}

/** The live instance that simulates node `id` of search `name`. */
export function nodeInstanceId(name: string, id: number): string {
  return `${name}-n${id}`;
}

/** The names of every search record (one `for-each-ref`), with the ref's object and its type. */
async function recordRefs(git: GitRunner, repo: RepoInfo): Promise<{ name: string; ref: string; sha: string; type: string }[]> {
  const out = await git.out(repo.commonDir, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(objecttype)', SEARCH_REF_PREFIX], { readOnly: true });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\0') as [string, string, string])
    .filter(([ref]) => ref.endsWith('/record'))
    .map(([ref, sha, type]) => ({ name: ref.slice(SEARCH_REF_PREFIX.length, -'/record'.length), ref, sha, type }));
}

/** `ls-tree -r -z` of a record commit → path → blob. */
function parseLsTreeBlobs(out: string): Map<string, string> {
  const blobs = new Map<string, string>();
  for (const entry of out.split('\0')) {
    const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(entry);
    if (m) blobs.set(m[2]!, m[1]!);
  }
  return blobs;
}

function isNode(n: unknown): n is SearchNode {
  const x = n as SearchNode;
  return !!x && typeof x === 'object' && Number.isInteger(x.id) && (x.parent === null || Number.isInteger(x.parent)) && typeof x.state === 'string';
}

/**
 * Reads one record commit. Null (with a warning) when it is damaged: not a commit, no readable
 * `search.json`, or a node that is not a node. A record of another version is left alone (null, no warning).
 */
async function readRecord(git: GitRunner, repo: RepoInfo, at: { name: string; ref: string; sha: string; type: string }): Promise<Search | null> {
  const damaged = (problem: string): null => {
    reportDamage({ kind: 'search', name: at.ref, problem });
    return null;
  };
  if (at.type !== 'commit') return damaged(`it names a ${at.type}, not a commit`);
  const paths = parseLsTreeBlobs(await git.out(repo.commonDir, ['ls-tree', '-r', '-z', at.sha], { readOnly: true }));
  const head = paths.get(HEAD_FILE);
  if (!head) return damaged('it has no search.json');
  const nodePaths = [...paths.keys()].filter((p) => /^nodes\/\d+\.json$/.test(p));
  const shas = [head, ...nodePaths.map((p) => paths.get(p)!)];
  const texts = parseCatFileBatch(await git.out(repo.commonDir, ['cat-file', '--batch'], { readOnly: true, input: shas.join('\n') + '\n' }));
  let record: SearchRecord;
  const nodes: SearchNode[] = [];
  try {
    record = JSON.parse(texts[0] ?? '') as SearchRecord;
    for (const text of texts.slice(1)) {
      const node = JSON.parse(text) as unknown;
      if (!isNode(node)) return damaged('a node of it is not a search node');
      nodes.push(node);
    }
  } catch {
    return damaged('its search.json or a node is not JSON');
  }
  if (!record || typeof record !== 'object' || typeof record.name !== 'string') return damaged('its search.json is not a search record');
  if (record.version !== 1) return null;
  nodes.sort((a, b) => a.id - b.id);
  const blobs = new Map([HEAD_FILE, ...nodePaths].map((p, i) => [p, { sha: paths.get(p)!, text: texts[i]! }]));
  return { ...record, nodes, ref: at.ref, sha: at.sha, blobs };
}

/** Every search of the repository, newest first; a damaged record is skipped with a warning. */
export async function listSearches(git: GitRunner, repo: RepoInfo): Promise<Search[]> {
  const refs = await recordRefs(git, repo);
  const searches = (await Promise.all(refs.map((r) => readRecord(git, repo, r)))).filter((s): s is Search => s !== null);
  return searches.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.name.localeCompare(b.name));
}

/** The search `name` (NotFound, listing the searches, when there is none). */
export async function findSearch(git: GitRunner, repo: RepoInfo, name: string): Promise<Search> {
  const refs = await recordRefs(git, repo);
  const at = refs.find((r) => r.name === name);
  const found = at ? await readRecord(git, repo, at) : null;
  if (!found) {
    const known = refs.map((r) => r.name);
    throw new AxiomError(
      'NotFound',
      at
        ? `The record of search ${JSON.stringify(name)} (${at.ref}) cannot be read; see the warning above.`
        : `No search named ${JSON.stringify(name)}.` + (known.length ? ` Searches: ${known.join(', ')}.` : ' There are no searches yet: start one with axiom search.'),
    );
  }
  return found;
}

/**
 * The search as it is now, given a version read or written before: that version itself when the
 * record's ref still points at it (one git process: no other process wrote since — a record only
 * moves by compare-and-swap onto a new commit), else the record read again ({@link findSearch}).
 */
export async function refreshSearch(git: GitRunner, repo: RepoInfo, known: Search): Promise<Search> {
  const { stdout } = await git.run(repo.commonDir, ['rev-parse', '--verify', '--quiet', known.ref], { readOnly: true, okExitCodes: [1] });
  return stdout.trim() === known.sha ? known : findSearch(git, repo, known.name);
}

async function hashBlob(git: GitRunner, repo: RepoInfo, text: string): Promise<string> {
  return (await git.out(repo.commonDir, ['hash-object', '-t', 'blob', '-w', '--stdin'], { input: text })).trim();
}

/** The hash of a repository whose object ids look like `sha` (40 hex digits: SHA-1, 64: SHA-256); null when it cannot tell. */
function hashOfIds(sha: string): 'sha1' | 'sha256' | null {
  return /^[0-9a-f]{40}$/.test(sha) ? 'sha1' : /^[0-9a-f]{64}$/.test(sha) ? 'sha256' : null;
}

/** Git's id of an object: the hash of `<type> <size>\0<body>`. */
function objectId(hash: 'sha1' | 'sha256', type: 'blob' | 'tree', body: Buffer): string {
  return createHash(hash).update(`${type} ${body.length}\0`).update(body).digest('hex');
}

/** The id git gives a tree of these files (mode 100644): entries sorted by name, as `mktree` writes it. */
function blobTreeId(hash: 'sha1' | 'sha256', files: { name: string; sha: string }[]): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return objectId(hash, 'tree', Buffer.concat(sorted.flatMap((f) => [Buffer.from(`100644 ${f.name}\0`), Buffer.from(f.sha, 'hex')])));
}

const treeInput = (entries: string[]): string => entries.map((e) => `${e}\0`).join('');

/**
 * The record's two trees (`nodes/` and the top) in one `mktree --batch`: the top names the nodes
 * tree by the id computed here, and git checks it (without `--missing`, an entry must exist: the nodes
 * tree was written just before). Returns the top tree.
 */
async function writeTrees(git: GitRunner, repo: RepoInfo, hash: 'sha1' | 'sha256' | null, head: string, nodes: { name: string; sha: string }[]): Promise<string> {
  const headEntry = `100644 blob ${head}\tsearch.json`;
  const nodeEntries = nodes.map((n) => `100644 blob ${n.sha}\t${n.name}`);
  if (nodes.length === 0) return (await git.out(repo.commonDir, ['mktree', '-z'], { input: treeInput([headEntry]) })).trim();
  if (hash) {
    const nodesTree = blobTreeId(hash, nodes);
    const out = await git.out(repo.commonDir, ['mktree', '-z', '--batch'], { input: treeInput(nodeEntries) + '\0' + treeInput([headEntry, `040000 tree ${nodesTree}\tnodes`]) });
    const [nodesWritten, top] = out.trim().split('\n');
    if (nodesWritten === nodesTree && top) return top;
  }
  // An id this could not compute: the nodes tree first, then the top.
  const nodesTree = (await git.out(repo.commonDir, ['mktree', '-z'], { input: treeInput(nodeEntries) })).trim();
  return (await git.out(repo.commonDir, ['mktree', '-z'], { input: treeInput([headEntry, `040000 tree ${nodesTree}\tnodes`]) })).trim();
}

/**
 * Writes a new version of the record, only if its ref still points at `expected` (null = it must
 * not exist yet), and points each node's ref at the node's commit in the same transaction. Returns
 * the search as written.
 *
 * Four git processes when one file changed (it is one node's change, mostly): the changed blob, the
 * two trees in one `mktree --batch`, the commit, the ref; a file whose text did not change keeps its
 * blob (search.json included).
 */
export async function writeSearch(git: GitRunner, repo: RepoInfo, record: SearchRecord, expected: { sha: string; blobs?: ReadonlyMap<string, StoredBlob> } | null): Promise<Search> {
  // A Search passed as the record: its ref, sha and blobs are not part of it.
  const { nodes, ref: _ref, sha: _sha, blobs: _blobs, ...head } = record as SearchRecord & Partial<Pick<Search, 'ref' | 'sha' | 'blobs'>>;
  const ref = searchRef(record.name);
  // Each file's blob: the one read when its text did not change, else a new one.
  const previous = expected?.blobs ?? new Map<string, StoredBlob>();
  const blobs = new Map<string, StoredBlob>();
  const blobOf = async (file: string, text: string): Promise<string> => {
    const known = previous.get(file);
    const blob = known?.text === text ? known : { sha: await hashBlob(git, repo, text), text };
    blobs.set(file, blob);
    return blob.sha;
  };
  const [headBlob, ...nodeBlobs] = await Promise.all([
    blobOf(HEAD_FILE, JSON.stringify(head, null, 1) + '\n'),
    ...nodes.map((n) => blobOf(`nodes/${n.id}.json`, JSON.stringify(n, null, 1) + '\n')),
  ]);
  const hash = hashOfIds(expected?.sha ?? record.baseSha);
  const [tree, env] = await Promise.all([
    writeTrees(git, repo, hash, headBlob!, nodes.map((n, i) => ({ name: `${n.id}.json`, sha: nodeBlobs[i]! }))),
    writerIdentity(git, repo.commonDir),
  ]);
  const sha = (await git.out(repo.commonDir, ['commit-tree', tree, ...(expected ? ['-p', expected.sha] : []), '-m', `axiom search ${record.name}`], { env })).trim();
  const lines = [expected ? `update ${ref} ${sha} ${expected.sha}` : `create ${ref} ${sha}`];
  for (const n of nodes) if (n.commit) lines.push(`update ${nodeRef(record.name, n.id)} ${n.commit}`);
  await withRepoLock(repo.commonDir, () => git.run(repo.commonDir, ['update-ref', '-m', `axiom: search ${record.name}`, '--stdin'], { input: lines.join('\n') + '\n' }));
  return { ...record, nodes, ref, sha, blobs };
}

/**
 * Changes a search record with compare-and-swap, re-reading and re-applying the change when another
 * process updated it in between. `change` may throw to refuse (nothing is written then).
 */
export async function updateSearch(git: GitRunner, repo: RepoInfo, search: Search, change: (r: SearchRecord) => SearchRecord): Promise<Search> {
  let current: Search = search;
  for (let attempt = 0; ; attempt++) {
    const { ref: _ref, sha, blobs, ...record } = current;
    const next = change(structuredClone(record));
    try {
      return await writeSearch(git, repo, next, { sha, ...(blobs ? { blobs } : {}) });
    } catch (e) {
      if (attempt >= 8) throw e;
      const refs = await recordRefs(git, repo);
      const at = refs.find((r) => r.ref === current.ref);
      const fresh = at ? await readRecord(git, repo, at) : null;
      if (!fresh) throw new AxiomError('NotFound', `The search record ${current.ref} was deleted (or damaged) while it was being updated.`);
      if (fresh.sha === sha) throw e; // not a race with another writer: git's own failure
      current = fresh;
    }
  }
}

/** The node `id` of a search (NotFound when it has none). */
export function nodeOf(search: Pick<SearchRecord, 'name' | 'nodes'>, id: number): SearchNode {
  const node = search.nodes.find((n) => n.id === id);
  if (!node) throw new AxiomError('NotFound', `Search ${search.name} has no node ${id} (nodes 0–${Math.max(0, ...search.nodes.map((n) => n.id))}).`);
  return node;
}
