/**
 * A landing is a composite operation (merge the winner, then clean up the others, then record it):
 * like a cleanup's removal (removalJournal.ts), its intent is written down before it moves the
 * target (`<common-dir>/axiom/landings/*.json`: race, winner, strategy, target and its commit
 * before, what happens to the other members) and, just before the target moves, the commit it moves
 * to. The race record is marked landed as soon as the target has moved.
 *
 * A landing killed in between is finished — never repeated with another member — by the next Axiom
 * operation that takes the repository lock (lock.ts): when the target holds the journalled commit,
 * the race is marked landed with the journalled winner and what remains to clean up, which the next
 * `land` of that race finishes; when it does not, the target never moved and the intent is dropped
 * (nothing was changed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitRunner } from '../git/git';
import type { RepoInfo } from '../git/repo';
import { currentProcessIdentity, isSameProcessAlive, type ProcessIdentity } from '../processes/processIdentity';
import { listRaces, updateRace, type LandingRemainder, type RaceLanding } from './raceRecord';

export interface LandingIntent {
  race: string;
  task: string;
  winner: string;
  strategy: string;
  into: string;
  /** The target's commit when the landing decided (its compare-and-swap value). */
  targetBefore: string;
  /** The commit the target moves to; written just before it moves. */
  next?: string;
  /** The evaluated commit that lands (null when a picked member lands its current state). */
  evaluated: string | null;
  remainder: LandingRemainder[];
  holder: ProcessIdentity;
  at: string;
}

type JournalRepo = Pick<RepoInfo, 'commonDir'>;

function journalDir(repo: JournalRepo): string {
  return path.join(repo.commonDir, 'axiom', 'landings');
}

/** One entry per race (`refs/axiom/races/<task>/<ms>` → `<task>@<ms>.json`). */
function entryFile(repo: JournalRepo, raceRef: string): string {
  return path.join(journalDir(repo), `${raceRef.split('/').slice(-2).join('@')}.json`);
}

async function writeEntry(repo: JournalRepo, intent: LandingIntent): Promise<void> {
  await fs.promises.mkdir(journalDir(repo), { recursive: true });
  const file = entryFile(repo, intent.race);
  await fs.promises.writeFile(`${file}.tmp`, JSON.stringify(intent, null, 2));
  await fs.promises.rename(`${file}.tmp`, file);
}

function readEntry(file: string): LandingIntent | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as LandingIntent;
    return r && typeof r.race === 'string' && typeof r.winner === 'string' ? r : null;
  } catch {
    return null; // a half-written entry: the target never moved after it
  }
}

export async function journalLanding(repo: JournalRepo, intent: Omit<LandingIntent, 'holder' | 'at'>): Promise<LandingIntent> {
  const record: LandingIntent = { ...intent, holder: currentProcessIdentity(), at: new Date().toISOString() };
  await writeEntry(repo, record);
  return record;
}

/** Records the commit the target is about to move to. */
export async function journalNext(repo: JournalRepo, intent: LandingIntent, next: string): Promise<void> {
  intent.next = next;
  await writeEntry(repo, intent);
}

export async function finishLanding(repo: JournalRepo, raceRef: string): Promise<void> {
  await fs.promises.rm(entryFile(repo, raceRef), { force: true });
}

/** The race's `landed` record for a landing whose target moved: the rest is still to do. */
export function landedRecord(intent: LandingIntent, mergedSha: string, at: string): RaceLanding {
  return {
    winner: intent.winner,
    strategy: intent.strategy,
    into: intent.into,
    mergedSha,
    at,
    salvaged: [],
    cleaned: [],
    kept: [],
    pending: intent.remainder,
  };
}

/**
 * Finishes the journalled landings of processes that are gone (call under the repository lock): the
 * race is marked landed when the target moved, the intent dropped when it did not. Returns the races
 * whose landing was recorded.
 */
export async function recoverLandings(git: GitRunner, journalRepo: JournalRepo): Promise<string[]> {
  const repo = journalRepo as RepoInfo; // the race record needs only the common dir
  let names: string[];
  try {
    names = (await fs.promises.readdir(journalDir(repo))).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const recorded: string[] = [];
  for (const name of names) {
    const file = path.join(journalDir(repo), name);
    const intent = readEntry(file);
    if (intent && isSameProcessAlive(intent.holder)) continue; // still landing: not ours to touch
    if (intent && (await recordIfLanded(git, repo, intent))) recorded.push(intent.race);
    await fs.promises.rm(file, { force: true });
  }
  return recorded;
}

/**
 * When the target holds the journalled commit (the landing's merge happened), marks the race landed
 * with the journalled winner and what remains to do (unless it already says so). Returns whether it
 * did. Then the journal entry can go.
 */
export async function recordIfLanded(git: GitRunner, repo: RepoInfo, intent: LandingIntent): Promise<boolean> {
  if (!intent.next || !(await targetHolds(git, repo, intent.into, intent.next))) return false;
  const race = (await listRaces(git, repo)).find((r) => r.ref === intent.race);
  if (!race || race.landed) return false;
  await updateRace(git, repo, race, (r) => (r.landed ? r : { ...r, landed: landedRecord(intent, intent.next!, intent.at) }));
  return true;
}

async function targetHolds(git: GitRunner, repo: RepoInfo, target: string, commit: string): Promise<boolean> {
  const r = await git.run(repo.commonDir, ['merge-base', '--is-ancestor', commit, `refs/heads/${target}`], { readOnly: true, okExitCodes: [1, 128] });
  return r.exitCode === 0;
}

/** Whether a landing journal exists at all (a file check: the lock looks before it starts git). */
export function hasLandingJournal(repo: JournalRepo): boolean {
  try {
    return fs.readdirSync(journalDir(repo)).some((n) => n.endsWith('.json'));
  } catch {
    return false;
  }
}
