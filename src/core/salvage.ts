/**
 * Salvage: before a forced cleanup, the worktree's full state (untracked files included) is written
 * as a commit whose parent is the branch tip, under `refs/axiom/salvage/{id}/{timestamp}`.
 * Restore brings any salvage back as a new instance with the same files, byte for byte.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomError } from './errors';
import type { GitRunner } from './git';
import { SALVAGE_PREFIX, validateId } from './ids';
import { identityEnv } from './identity';
import { withRepoLock } from './lock';
import type { RepoInfo } from './repo';
import { revParse } from './commits';

export interface SalvageRef {
  ref: string;
  id: string;
  sha: string;
  /** Unix seconds of the salvage commit. */
  date: number;
  subject: string;
  base: string | null;
  branch: string | null;
  /** The agent and prompt of the instance it came from, so a restore brings them back too. */
  agent: string | null;
  prompt: string | null;
}

const TRAILER_BASE = 'Axiom-Base';
const TRAILER_BRANCH = 'Axiom-Branch';
const TRAILER_AGENT = 'Axiom-Agent';
/** JSON-encoded: a prompt may span lines, a trailer may not. */
const TRAILER_PROMPT = 'Axiom-Prompt';

function promptTrailer(prompt: string | null | undefined): string {
  return prompt ? `${TRAILER_PROMPT}: ${JSON.stringify(prompt)}\n` : '';
}

function parsePrompt(value: string | null): string | null {
  if (!value) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

/** Writes the salvage commit and its ref; returns the ref name. Call under the repository lock. */
export async function writeSalvage(
  git: GitRunner,
  repo: RepoInfo,
  id: string,
  worktree: string,
  branch: string,
  base: string,
  origin: { agent?: string | null; prompt?: string | null } = {},
): Promise<string> {
  const head = await revParse(git, worktree, 'HEAD');
  // A private index, so the worktree's own index and staging are not touched.
  const indexFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-salvage-')), 'index');
  try {
    const env = { GIT_INDEX_FILE: indexFile, ...(await identityEnv(git, worktree)) };
    await git.run(worktree, ['read-tree', 'HEAD'], { env });
    // Everything but ignored files (build output, dependencies): those are not the agent's work.
    await git.run(worktree, ['add', '--all', '--', '.'], { env });
    const tree = (await git.out(worktree, ['write-tree'], { env })).trim();
    const message =
      `axiom salvage of ${id} (${branch})\n\n${TRAILER_BASE}: ${base}\n${TRAILER_BRANCH}: ${branch}\n` +
      (origin.agent ? `${TRAILER_AGENT}: ${origin.agent}\n` : '') +
      promptTrailer(origin.prompt);
    const commit = (await git.out(worktree, ['commit-tree', tree, '-p', head, '-m', message], { env })).trim();
    const ref = `${SALVAGE_PREFIX}${id}/${Date.now()}`;
    await git.run(repo.commonDir, ['update-ref', '-m', 'axiom: salvage before cleanup', ref, commit, '']);
    return ref;
  } finally {
    fs.rmSync(path.dirname(indexFile), { recursive: true, force: true });
  }
}

export async function listSalvage(git: GitRunner, repo: RepoInfo): Promise<SalvageRef[]> {
  const out = await git.out(
    repo.commonDir,
    ['for-each-ref', '--sort=-creatordate', '--format=%(refname)%00%(objectname)%00%(creatordate:unix)%00%(subject)%00%(contents:body)%00%00', SALVAGE_PREFIX],
    { readOnly: true },
  );
  return out
    .split('\0\0\n')
    .filter((r) => r.trim() !== '')
    .map((record) => {
      const [ref, sha, date, subject, body] = record.replace(/^\n/, '').split('\0');
      const trailer = (name: string): string | null => new RegExp(`^${name}: (.+)$`, 'm').exec(body ?? '')?.[1]?.trim() ?? null;
      const id = ref!.slice(SALVAGE_PREFIX.length).split('/')[0]!;
      return {
        ref: ref!,
        id,
        sha: sha!,
        date: Number(date),
        subject: subject ?? '',
        base: trailer(TRAILER_BASE),
        branch: trailer(TRAILER_BRANCH),
        agent: trailer(TRAILER_AGENT),
        prompt: parsePrompt(trailer(TRAILER_PROMPT)),
      };
    });
}

export async function findSalvage(git: GitRunner, repo: RepoInfo, refOrId: string): Promise<SalvageRef> {
  const all = await listSalvage(git, repo);
  const match =
    all.find((s) => s.ref === refOrId || s.ref === `${SALVAGE_PREFIX}${refOrId}` || s.ref.endsWith(`/${refOrId}`) && refOrId.includes('/')) ??
    all.find((s) => s.id === refOrId);
  if (!match) {
    throw new AxiomError(
      'NotFound',
      `No salvage matches ${JSON.stringify(refOrId)}.` + (all.length ? ` Available: ${all.map((s) => s.ref).join(', ')}` : ' There are no salvage refs.'),
    );
  }
  return match;
}

/**
 * Puts the salvaged files into a freshly spawned worktree at the salvage's parent: committed work
 * comes back as commits, uncommitted work as uncommitted changes (untracked files untracked again).
 */
export async function applySalvageFiles(git: GitRunner, worktree: string, salvageSha: string): Promise<void> {
  await git.run(worktree, ['read-tree', '-m', '-u', 'HEAD', salvageSha]);
  await git.run(worktree, ['reset', '--quiet']);
}

export async function expireSalvage(git: GitRunner, repo: RepoInfo, days: number, now = Date.now()): Promise<SalvageRef[]> {
  if (!Number.isFinite(days) || days < 0) throw new AxiomError('InvalidArgument', `--days must be a number of days ≥ 0 (got ${days}).`);
  const cutoff = now / 1000 - days * 86400;
  return withRepoLock(repo.commonDir, async () => {
    const old = (await listSalvage(git, repo)).filter((s) => s.date < cutoff);
    for (const s of old) await git.run(repo.commonDir, ['update-ref', '-d', s.ref, s.sha]);
    return old;
  });
}

/** Deletes one salvage ref (compare-and-swap from the sha it was listed with). */
export async function deleteSalvage(git: GitRunner, repo: RepoInfo, refOrId: string): Promise<SalvageRef> {
  return withRepoLock(repo.commonDir, async () => {
    const s = await findSalvage(git, repo, refOrId);
    await git.run(repo.commonDir, ['update-ref', '-d', s.ref, s.sha]);
    return s;
  });
}

export function restoredId(s: SalvageRef, asId: string | undefined): string {
  return validateId(asId ?? s.id);
}
