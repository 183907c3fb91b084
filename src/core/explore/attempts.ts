/**
 * Evaluation results, kept in git notes (`refs/notes/axiom`) on the commit of the exact evaluated
 * state, one JSON line per evaluation. Notes live in the shared object store, so they survive
 * cleanup, repair and every window. A note does not keep the commit it annotates alive, so every
 * evaluated commit (HEAD, or the snapshot commit of a dirty worktree) is held by a ref
 * `refs/axiom/evaluated/<id>/<ms>` for as long as its record is: an evaluation command that moves
 * HEAD (`git reset --hard HEAD~1`), a cleanup and `git gc` never take away the state that passed.
 */
import { withRepoLock } from '../instances/lock';
import { quarantineRef, reportDamage, type DamagedRecord } from '../instances/damage';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { writerIdentity } from '../git/writerIdentity';
import type { RepoInfo } from '../git/repo';
import type { ScoreDirection } from './raceRecord';

export const NOTES_REF = 'refs/notes/axiom';
export const EVALUATED_REF_PREFIX = 'refs/axiom/evaluated/';

export interface DiffSize {
  files: number;
  added: number;
  deleted: number;
}

/** One evaluation of one instance, as stored (the note's line) and as returned by `evaluate`. */
export interface EvaluationRecord {
  kind: 'evaluation';
  version: 1;
  id: string;
  /** The race ref (`refs/axiom/races/<task>/<ms>`) and task, when the instance is a race member. */
  race: string | null;
  task: string | null;
  agent: string | null;
  prompt: string | null;
  base: string;
  branch: string;
  /** When the instance was created (with `id`, it tells attempts with a reused id apart). */
  createdAt: string;
  /** The command as run (argv, placeholders filled). */
  command: string[];
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  /** The number on the last stdout line `AXIOM_SCORE=<number>`, null when none. */
  score: number | null;
  scoreDirection: ScoreDirection;
  /** How long the evaluation command ran. */
  durationMs: number;
  /** How long the agent worked before this evaluation (null when unknown). */
  agentMs: number | null;
  at: string;
  head: string;
  tree: string;
  /** The commit the note is on: HEAD, or the snapshot commit of uncommitted work. */
  commit: string;
  snapshot: boolean;
  diff: DiffSize;
  logFile: string | null;
}

/**
 * Adds one record to the note of `commit` under the repository lock (`notes append` creates the note
 * or adds a paragraph to it: records are one JSON line each, and readers skip the blank lines).
 */
export async function appendEvaluation(git: GitRunner, repo: RepoInfo, record: EvaluationRecord): Promise<void> {
  await withRepoLock(repo.commonDir, async () => {
    const env = await writerIdentity(git, repo.commonDir);
    const args = ['notes', `--ref=${NOTES_REF}`, 'append', '-m', JSON.stringify(record), record.commit];
    if ((await git.run(repo.commonDir, args, { env, okExitCodes: [128] })).exitCode !== 0) {
      // A damaged notes ref refuses the note: it is set aside (kept under refs/axiom/damaged/), then the note written.
      const damaged = await damagedNotes(git, repo.commonDir);
      if (damaged) {
        const movedTo = await quarantineRef(git, repo.commonDir, NOTES_REF, damaged.sha);
        reportDamage({ ...damaged.record, problem: `${damaged.record.problem}; set aside at ${movedTo}, new evaluations start a fresh record` });
      }
      await git.run(repo.commonDir, args, { env }); // failing again (not a damaged ref): git's own words
    }
    await git.run(repo.commonDir, ['update-ref', evaluatedRef(record), record.commit, '']);
  });
}

/** The ref that holds an evaluation's commit (under `refs/axiom/`, expired with its record). */
export function evaluatedRef(record: Pick<EvaluationRecord, 'id' | 'at'>): string {
  return `${EVALUATED_REF_PREFIX}${record.id}/${Date.parse(record.at)}`;
}

/** The snapshot refs of evaluations (`refs/axiom/evaluated/<id>/<ms>`), with the time in their name. */
export async function listEvaluatedRefs(git: GitRunner, repo: RepoInfo): Promise<{ ref: string; sha: string; ms: number }[]> {
  const out = await git.out(repo.commonDir, ['for-each-ref', '--format=%(refname)%00%(objectname)', EVALUATED_REF_PREFIX], { readOnly: true });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [ref, sha] = line.split('\0') as [string, string];
      return { ref, sha, ms: Number(ref.split('/').pop()) };
    })
    .filter((e) => Number.isFinite(e.ms));
}

/** Parses `git cat-file --batch` output (header line, then exactly `size` bytes, then a newline). */
export function parseCatFileBatch(out: string): string[] {
  const buf = Buffer.from(out, 'utf8');
  const contents: string[] = [];
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    if (nl === -1) break;
    const header = buf.subarray(at, nl).toString('utf8').split(' ');
    at = nl + 1;
    if (header[1] === 'missing' || header.length < 3) continue;
    const size = Number(header[2]);
    contents.push(buf.subarray(at, at + size).toString('utf8'));
    at += size + 1;
  }
  return contents;
}

/**
 * The notes ref when git cannot read it as notes (it names a blob, a tree, a commit without a notes
 * tree…), else null. One process when the ref is healthy or absent.
 */
export async function damagedNotes(git: GitRunner, commonDir: string): Promise<{ record: DamagedRecord; sha: string } | null> {
  const list = await git.run(commonDir, ['notes', `--ref=${NOTES_REF}`, 'list'], { readOnly: true, okExitCodes: [128] });
  if (list.exitCode === 0) return null;
  const sha = await git.run(commonDir, ['rev-parse', '--verify', '--quiet', NOTES_REF], { readOnly: true, okExitCodes: [1] });
  if (sha.exitCode !== 0) return null;
  return { record: { kind: 'notes', name: NOTES_REF, problem: 'git cannot read it as a notes tree' }, sha: sha.stdout.trim() };
}

/**
 * Every evaluation ever recorded in the repository (two git processes), oldest first. A damaged
 * notes ref reads as no evaluations, with a warning (damage.ts).
 */
export async function readEvaluations(git: GitRunner, repo: RepoInfo): Promise<EvaluationRecord[]> {
  const listed = await git.run(repo.commonDir, ['notes', `--ref=${NOTES_REF}`, 'list'], { readOnly: true, okExitCodes: [128] });
  if (listed.exitCode !== 0) {
    const damaged = await damagedNotes(git, repo.commonDir);
    if (!damaged) throw new AxiomError('GitFailed', `Could not read the evaluation notes (${NOTES_REF}).`);
    reportDamage(damaged.record);
    return [];
  }
  const list = listed.stdout;
  const blobs = list
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((s): s is string => !!s);
  if (blobs.length === 0) return [];
  const out = await git.out(repo.commonDir, ['cat-file', '--batch'], { readOnly: true, input: blobs.join('\n') + '\n' });
  const records: EvaluationRecord[] = [];
  for (const text of parseCatFileBatch(out)) {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as EvaluationRecord;
        if (r && r.kind === 'evaluation' && typeof r.id === 'string') records.push(r);
      } catch {
        /* a line another tool wrote into the note: not ours */
      }
    }
  }
  return records.sort((a, b) => a.at.localeCompare(b.at));
}

/** The newest evaluation of each member of a race (by member id). */
export function latestByMember(records: readonly EvaluationRecord[], raceRef: string): Map<string, EvaluationRecord> {
  const out = new Map<string, EvaluationRecord>();
  for (const r of records) if (r.race === raceRef) out.set(r.id, r); // records are oldest first
  return out;
}
