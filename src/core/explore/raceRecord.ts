/**
 * The race record: what a race is (task, prompt, base, members, evaluation command) and how it
 * ended, kept in git so that every front end, window and process sees the same thing and it
 * outlives every member. One ref per race, `refs/axiom/races/<task>/<ms>`, pointing at a commit
 * whose message body is the record as JSON (empty tree; parent = the record's previous version).
 * Listing every race is one `for-each-ref`; every update is a compare-and-swap of the ref.
 */
import { reportDamage, type DamagedRecord } from '../instances/damage';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { describeInvalidId } from '../instances/ids';
import { writerIdentity } from '../git/writerIdentity';
import type { RepoInfo } from '../git/repo';

export const RACE_REF_PREFIX = 'refs/axiom/races/';
export { SCORE_DIRECTIONS, DEFAULT_EVALUATION_TIMEOUT_SEC } from '../choices';
import type { ScoreDirection } from '../choices';
export type { ScoreDirection };

export interface RaceMember {
  id: string;
  /** Agent preset name (claude, codex, …, custom). */
  agent: string | null;
  /** For a custom agent: its command, a template string or an argv array (`{prompt}`, `{id}`, `{worktree}`). */
  command?: string | string[] | null;
}

export interface EvaluationSpec {
  /** Command template (`{prompt}`, `{id}`, `{worktree}` fill whole arguments); null = from `.axiom.json` or the caller. */
  command: string | null;
  score: ScoreDirection;
  timeoutSec: number;
}

/** What a landing does after its merge, member by member. */
export interface LandingRemainder {
  id: string;
  /** 'salvage' and 'remove': a forced cleanup (its work kept in a salvage ref); 'winner': an unforced one; 'keep': stays. */
  action: 'salvage' | 'remove' | 'keep' | 'winner';
  reason?: string;
}

export interface RaceLanding {
  winner: string | null;
  strategy: string | null;
  into: string | null;
  mergedSha: string | null;
  at: string;
  salvaged: { id: string; ref: string }[];
  cleaned: string[];
  kept: { id: string; reason: string }[];
  /**
   * Set while the landing's cleanups are still to do (the landing was killed after its merge): the
   * next `land` of the race finishes them — with these choices, never another winner.
   */
  pending?: LandingRemainder[];
}

export interface RaceRecord {
  version: 1;
  task: string;
  prompt: string | null;
  base: string;
  baseSha: string;
  /** Set when the race was started from an instance (its members are that instance's children). */
  parent: string | null;
  createdAt: string;
  launch: 'headless' | 'terminal' | 'none';
  evaluate: EvaluationSpec;
  members: RaceMember[];
  landed?: RaceLanding;
}

export interface Race extends RaceRecord {
  /** `refs/axiom/races/<task>/<ms>` */
  ref: string;
  /** The record commit the ref points at (the compare-and-swap value for the next update). */
  sha: string;
}

/** Null when `task` can name a race (its members are `<task>-1` … `<task>-99`), else what is wrong. */
export function describeInvalidTask(task: string): string | null {
  const problem = describeInvalidId(task);
  if (problem) return problem.replace(/instance id/g, 'task name');
  if (describeInvalidId(`${task}-99`)) return `A task name has at most 37 characters (its members are named ${task}-1, ${task}-2, …).`;
  return null;
}

export function validateTask(task: unknown): string {
  if (typeof task !== 'string') throw new AxiomError('InvalidArgument', 'A task name must be a string.');
  const problem = describeInvalidTask(task);
  if (problem) throw new AxiomError('InvalidArgument', `Invalid task name ${JSON.stringify(task.slice(0, 60))}: ${problem}`);
  return task;
}

export function raceRefFor(task: string, createdAt: Date): string {
  return `${RACE_REF_PREFIX}${task}/${createdAt.getTime()}`;
}

const RECORD_END = '\0\0\0';

const RACE_FORMAT = '%(refname)%00%(objectname)%00%(objecttype)%00%(contents:body)%00%00%00';

/**
 * Parses `for-each-ref --format=RACE_FORMAT` output: the races, and the refs that are damaged (not a
 * commit, or a body that is not a JSON object). A record of another version is neither: left alone.
 */
export function parseRaceRefs(out: string): { races: Race[]; damaged: (DamagedRecord & { sha: string })[] } {
  const races: Race[] = [];
  const damaged: (DamagedRecord & { sha: string })[] = [];
  // Each record ends with NUL NUL NUL and the newline for-each-ref adds (an empty body makes four NULs).
  for (const chunk of out.split(`${RECORD_END}\n`)) {
    const [ref, sha, type, body] = chunk.replace(/^\n/, '').split('\0');
    if (!ref || !sha || body === undefined) continue;
    let record: unknown = null;
    try {
      record = type === 'commit' ? JSON.parse(body.trim()) : null;
    } catch {
      /* damaged: below */
    }
    if (!record || typeof record !== 'object') {
      damaged.push({ kind: 'race', name: ref, sha, problem: type === 'commit' ? 'its message is not a race record' : `it names a ${type}, not a commit` });
      continue;
    }
    const r = record as RaceRecord;
    if (r.version === 1 && typeof r.task === 'string' && Array.isArray(r.members)) races.push({ ...r, ref, sha });
  }
  return { races, damaged };
}

/** Every race ref of the repository: the records, and the damaged refs (one process). */
export async function readRaceRefs(git: GitRunner, repo: RepoInfo): Promise<ReturnType<typeof parseRaceRefs>> {
  return parseRaceRefs(await git.out(repo.commonDir, ['for-each-ref', `--format=${RACE_FORMAT}`, RACE_REF_PREFIX], { readOnly: true }));
}

/** Every race of the repository, newest first; a damaged race ref is skipped with a warning. */
export async function listRaces(git: GitRunner, repo: RepoInfo): Promise<Race[]> {
  const { races, damaged } = await readRaceRefs(git, repo);
  for (const d of damaged) reportDamage(d);
  return races.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.ref.localeCompare(a.ref));
}

/** The newest race of `task` (a task can be raced again once its members are gone). */
export async function findRace(git: GitRunner, repo: RepoInfo, task: string): Promise<Race> {
  const races = await listRaces(git, repo);
  const found = races.find((r) => r.task === task || r.ref === task);
  if (!found) {
    const known = [...new Set(races.map((r) => r.task))];
    throw new AxiomError(
      'NotFound',
      `No race named ${JSON.stringify(task)}.` + (known.length ? ` Races: ${known.join(', ')}.` : ' There are no races yet: start one with axiom race.'),
    );
  }
  return found;
}

/** The race (newest first) that has `id` among its members, or null. */
export function raceOfMember(races: readonly Race[], id: string): Race | null {
  return races.find((r) => r.members.some((m) => m.id === id)) ?? null;
}

// Per repository: its object format (SHA-1 or SHA-256) decides the empty tree's name.
const emptyTreeShas = new Map<string, string>();

async function emptyTree(git: GitRunner, repo: RepoInfo): Promise<string> {
  let sha = emptyTreeShas.get(repo.commonDir);
  if (!sha) {
    sha = (await git.out(repo.commonDir, ['hash-object', '-t', 'tree', '-w', '--stdin'], { input: '' })).trim();
    emptyTreeShas.set(repo.commonDir, sha);
  }
  return sha;
}

/**
 * Writes a new version of the record at `ref`, only if the ref still points at `expected` (null =
 * the ref must not exist yet). Returns the new record commit.
 */
export async function writeRace(git: GitRunner, repo: RepoInfo, ref: string, record: RaceRecord, expected: string | null): Promise<Race> {
  const [tree, env] = await Promise.all([emptyTree(git, repo), writerIdentity(git, repo.commonDir)]);
  const message = `axiom race ${record.task}\n\n${JSON.stringify(record)}\n`;
  const sha = (await git.out(repo.commonDir, ['commit-tree', tree, ...(expected ? ['-p', expected] : []), '-m', message], { env })).trim();
  await git.run(repo.commonDir, ['update-ref', '-m', `axiom: race ${record.task}`, ref, sha, expected ?? '']);
  return { ...record, ref, sha };
}

/**
 * Changes a race record with compare-and-swap, re-reading and re-applying the change when another
 * process updated it in between (a few tries; each update is small).
 */
export async function updateRace(git: GitRunner, repo: RepoInfo, race: Race, change: (r: RaceRecord) => RaceRecord): Promise<Race> {
  let current: Race = race;
  for (let attempt = 0; ; attempt++) {
    const { ref, sha, ...record } = current;
    try {
      return await writeRace(git, repo, ref, change(record), sha);
    } catch (e) {
      if (attempt >= 4) throw e;
      const fresh = (await listRaces(git, repo)).find((r) => r.ref === ref);
      if (!fresh) throw new AxiomError('NotFound', `The race record ${ref} was deleted while it was being updated.`);
      current = fresh;
    }
  }
}

export async function deleteRace(git: GitRunner, repo: RepoInfo, race: Race): Promise<void> {
  await git.run(repo.commonDir, ['update-ref', '-d', race.ref, race.sha]);
}
