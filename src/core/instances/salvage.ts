/**
 * Salvage: before a forced cleanup (or a repair that must drop a worktree), everything the instance
 * holds is written into one commit under `refs/axiom/salvage/{id}/{timestamp}`:
 * - its tree is the worktree exactly as on disk (tracked and untracked files, nested repositories as
 *   files; ignored files never — they may hold secrets — nor what Axiom provisioned, whatever the
 *   instance's .gitignore says: a changed one is named in the message), byte for byte (see worktreeTree.ts);
 * - its parents keep every commit reachable: HEAD first, then the branch tip when it differs (a
 *   detached HEAD), refs only this worktree had (bisect, rewritten), and the commits of nested
 *   repositories and submodules (fetched into the repository's own object store);
 * - trailers say which parent is which, and the instance's base, branch, agent and prompt.
 * Restore brings a salvage back as a new instance: the branch at the salvaged branch tip (or HEAD),
 * the files written back byte for byte, uncommitted work uncommitted again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportDamage } from './damage';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { SALVAGE_PREFIX, validateId } from './ids';
import { listEvaluatedRefs } from '../explore/attempts';
import { withRepoLock } from './lock';
import type { RepoInfo } from '../git/repo';
import { stdinPaths, writeWorktreeTree, type NestedRepository, type WorktreeTree } from '../git/worktreeTree';
import { writerIdentity } from '../git/writerIdentity';
import { parseLsTree } from '../git/parse';
import { describeProvisionedChanges, provisionedChanges, readProvisioned } from '../provision/provisioned';
import { submoduleEnv, submoduleTips, worktreeSubmodules } from './submodules';

export interface SalvageRef {
  ref: string;
  id: string;
  sha: string;
  /** Unix seconds of the salvage commit. */
  date: number;
  subject: string;
  base: string | null;
  branch: string | null;
  /** The worktree's HEAD and its branch's tip when salvaged (they differ when HEAD was detached). */
  head: string | null;
  branchTip: string | null;
  agent: string | null;
  prompt: string | null;
}

export interface SalvageInput {
  id: string;
  /** The worktree's admin dir: submodule repositories initialised in the worktree live there. */
  adminDir: string;
  /** The worktree folder (possibly moved aside for removal); null when it is gone (only commits remain). */
  worktree: string | null;
  branch: string;
  branchTip: string | null;
  head: string | null;
  /** Other refs that vanish with the worktree (refs/bisect/*, …). */
  otherTips: { name: string; sha: string }[];
  base: string;
  agent: string | null;
  prompt: string | null;
  /** Why (goes into the ref's reflog message). */
  reason: string;
  /** The tree of `worktree`, when the caller already started writing it (see cleanup.ts). */
  worktreeTree?: Promise<WorktreeTree>;
}

const T = {
  base: 'Axiom-Base',
  branch: 'Axiom-Branch',
  branchTip: 'Axiom-Branch-Tip',
  head: 'Axiom-Head',
  ref: 'Axiom-Ref',
  nested: 'Axiom-Nested',
  agent: 'Axiom-Agent',
  prompt: 'Axiom-Prompt',
} as const;

/** Writes the salvage commit and its ref; returns the ref name. Call under the repository lock. */
export async function writeSalvage(git: GitRunner, repo: RepoInfo, input: SalvageInput): Promise<string> {
  const provisioned = readProvisioned(input.adminDir);
  const { tree, nested } = input.worktree
    ? await (input.worktreeTree ?? writeWorktreeTree(git, repo.commonDir, input.worktree, provisioned))
    : { tree: await treeOrEmpty(git, repo, input.head ?? input.branchTip), nested: [] as NestedRepository[] };
  // Submodule repositories in the admin dir that the tree did not reach (their folder is gone, or clean).
  const seen = new Set(nested.map((n) => path.resolve(n.gitDir)));
  for (const sm of worktreeSubmodules(input.adminDir)) {
    if (seen.has(path.resolve(sm.gitDir))) continue;
    nested.push({ path: sm.name, gitDir: sm.gitDir, folder: sm.folder ?? '', kind: 'submodule', tips: await submoduleTips(git, sm) });
  }
  const nestedTips = await fetchNestedCommits(git, repo, nested);
  const parents = [...new Set([input.head, input.branchTip, ...input.otherTips.map((t) => t.sha), ...nestedTips.map((t) => t.sha)])].filter(
    (p): p is string => !!p,
  );
  const trailers = [
    `${T.base}: ${input.base}`,
    `${T.branch}: ${input.branch}`,
    `${T.branchTip}: ${input.branchTip ?? 'none'}`,
    `${T.head}: ${input.head ?? 'none'}`,
    ...input.otherTips.map((t) => `${T.ref}: ${t.name} ${t.sha}`),
    ...nestedTips.map((t) => `${T.nested}: ${JSON.stringify(t.path)} ${t.kind} ${t.name} ${t.sha}`),
    ...(input.agent ? [`${T.agent}: ${input.agent}`] : []),
    ...(input.prompt ? [`${T.prompt}: ${JSON.stringify(input.prompt)}`] : []),
  ];
  // What Axiom provisioned is never salvaged; a change the agent made to it is said in words.
  const notKept = input.worktree ? describeProvisionedChanges(provisionedChanges(input.worktree, provisioned)) : [];
  const message = `axiom salvage of ${input.id} (${input.branch})\n\n${notKept.length ? `${notKept.join('\n')}\n\n` : ''}${trailers.join('\n')}\n`;
  const commit = (
    await git.out(repo.commonDir, ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], {
      env: await writerIdentity(git, repo.commonDir),
      input: message,
    })
  ).trim();
  const stamp = `${Date.now()}`;
  let ref = `${SALVAGE_PREFIX}${input.id}/${stamp}`;
  // Two salvages of one id in the same millisecond: the second gets its own name, never overwrites.
  for (let n = 1; ; n++) {
    const r = await git.run(repo.commonDir, ['update-ref', '-m', `axiom: ${input.reason}`, ref, commit, ''], { okExitCodes: [1, 128] });
    if (r.exitCode === 0) return ref;
    if (n > 20) throw new AxiomError('GitFailed', `Could not create a salvage ref for ${input.id}.`);
    ref = `${SALVAGE_PREFIX}${input.id}/${stamp}-${n}`;
  }
}

async function treeOrEmpty(git: GitRunner, repo: RepoInfo, commit: string | null): Promise<string> {
  if (commit) return (await git.out(repo.commonDir, ['rev-parse', `${commit}^{tree}`], { readOnly: true })).trim();
  return (await git.out(repo.commonDir, ['mktree'], { input: '' })).trim();
}

/**
 * Copies the commits of nested repositories into this repository's object store (a pack from the
 * nested repository, indexed here); returns their tips, which become parents of the salvage commit.
 */
async function fetchNestedCommits(git: GitRunner, repo: RepoInfo, nested: NestedRepository[]): Promise<{ path: string; kind: string; name: string; sha: string }[]> {
  const tips: { path: string; kind: string; name: string; sha: string }[] = [];
  for (const n of nested) {
    if (n.tips.length === 0) continue;
    // Explicit GIT_DIR and GIT_WORK_TREE: a submodule's config may name a folder that has moved or gone.
    const env = submoduleEnv({ name: n.path, gitDir: n.gitDir, folder: n.folder || null });
    const pack = await git.bytes(n.gitDir, ['pack-objects', '--stdout', '--revs', '--quiet'], { env, input: n.tips.map((t) => t.sha).join('\n') + '\n' });
    await git.run(repo.commonDir, ['index-pack', '--stdin'], { input: pack });
    for (const t of n.tips) tips.push({ path: n.path, kind: n.kind, name: t.name, sha: t.sha });
  }
  return tips;
}

export async function listSalvage(git: GitRunner, repo: RepoInfo): Promise<SalvageRef[]> {
  const out = await git.out(
    repo.commonDir,
    ['for-each-ref', '--sort=-creatordate', '--format=%(refname)%00%(objectname)%00%(objecttype)%00%(creatordate:unix)%00%(subject)%00%(contents:body)%00%00', SALVAGE_PREFIX],
    { readOnly: true },
  );
  return out
    .split('\0\0\n')
    .filter((r) => r.trim() !== '')
    .map((record) => record.replace(/^\n/, '').split('\0'))
    .filter(([ref, , type]) => {
      // A salvage ref that names no commit cannot be restored: skipped with a warning (repair sets it aside).
      if (type !== 'commit') reportDamage({ kind: 'salvage', name: ref!, problem: `it names a ${type}, not a commit` });
      return type === 'commit';
    })
    .map(([ref, sha, , date, subject, body]) => {
      const trailer = (name: string): string | null => {
        const v = new RegExp(`^${name}: (.+)$`, 'm').exec(body ?? '')?.[1]?.trim() ?? null;
        return v === 'none' ? null : v;
      };
      const promptRaw = trailer(T.prompt);
      let prompt: string | null = null;
      try {
        prompt = promptRaw ? (JSON.parse(promptRaw) as string) : null;
      } catch {
        prompt = promptRaw;
      }
      const id = ref!.slice(SALVAGE_PREFIX.length).split('/')[0]!;
      return {
        ref: ref!,
        id,
        sha: sha!,
        date: Number(date),
        subject: subject ?? '',
        base: trailer(T.base),
        branch: trailer(T.branch),
        head: trailer(T.head),
        branchTip: trailer(T.branchTip),
        agent: trailer(T.agent),
        prompt,
      };
    });
}

export async function findSalvage(git: GitRunner, repo: RepoInfo, refOrId: string): Promise<SalvageRef> {
  const all = await listSalvage(git, repo);
  const match =
    all.find((s) => s.ref === refOrId || s.ref === `${SALVAGE_PREFIX}${refOrId}` || (s.ref.endsWith(`/${refOrId}`) && refOrId.includes('/'))) ??
    all.find((s) => s.id === refOrId);
  if (!match) {
    throw new AxiomError(
      'NotFound',
      `No salvage matches ${JSON.stringify(refOrId)}.` + (all.length ? ` Available: ${all.map((s) => s.ref).join(', ')}` : ' There are no salvage refs.'),
    );
  }
  return match;
}

/** The commit a restored instance's branch starts at: the salvaged branch tip, else its HEAD, else the first parent (older salvages). */
export async function restorePoint(git: GitRunner, repo: RepoInfo, s: SalvageRef): Promise<string | null> {
  if (s.branchTip) return s.branchTip;
  if (s.head) return s.head;
  const r = await git.run(repo.commonDir, ['rev-parse', '--verify', '--quiet', `${s.sha}^1`], { readOnly: true, okExitCodes: [1] });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/**
 * Makes the files of `worktree` exactly those of `tree`, byte for byte, without any conversion
 * (a checkout would apply the repository's filters and line-ending rules). Files in the worktree's
 * HEAD that are not in the tree are deleted; then the index is reset to HEAD, so whatever differs
 * from HEAD shows as uncommitted again and untracked files are untracked again.
 */
export async function writeTreeExactly(git: GitRunner, repo: RepoInfo, worktree: string, tree: string): Promise<void> {
  const wanted = parseLsTree(await git.out(repo.commonDir, ['ls-tree', '-r', '-z', '--full-tree', tree], { readOnly: true }));
  const present = parseLsTree(await git.out(worktree, ['ls-tree', '-r', '-z', '--full-tree', 'HEAD'], { readOnly: true, okExitCodes: [128] }).catch(() => ''));
  const wantedPaths = new Set(wanted.map((e) => e.path));
  for (const e of present) if (!wantedPaths.has(e.path)) fs.rmSync(path.join(worktree, e.path), { force: true, recursive: true });

  const files = wanted.filter((e) => e.mode !== '160000');
  // Which files already hold the right bytes? One hash-object over every regular file present.
  const existing = files.filter((e) => e.mode !== '120000' && isRegularFile(path.join(worktree, e.path)));
  const hashes = existing.length
    ? (await git.out(repo.commonDir, ['hash-object', '--no-filters', '--stdin-paths'], { input: stdinPaths(existing.map((e) => path.join(worktree, e.path))) }))
        .split('\n')
        .filter(Boolean)
    : [];
  const correct = new Set(existing.filter((e, i) => hashes[i] === e.sha && modeMatches(path.join(worktree, e.path), e.mode)).map((e) => e.path));
  const toWrite = files.filter((e) => !correct.has(e.path));
  const blobs = await readBlobs(git, repo, [...new Set(toWrite.map((e) => e.sha))]);
  for (const e of toWrite) {
    const abs = path.join(worktree, e.path);
    const bytes = blobs.get(e.sha)!;
    fs.rmSync(abs, { force: true, recursive: true });
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    if (e.mode === '120000') fs.symlinkSync(bytes.toString('utf8'), abs);
    else fs.writeFileSync(abs, bytes, { mode: e.mode === '100755' ? 0o755 : 0o644 });
    if (e.mode !== '120000') fs.chmodSync(abs, e.mode === '100755' ? 0o755 : 0o644);
  }
  await git.run(worktree, ['reset', '--quiet']);
}

function isRegularFile(p: string): boolean {
  try {
    return fs.lstatSync(p).isFile();
  } catch {
    return false;
  }
}

function modeMatches(p: string, mode: string): boolean {
  const exec = (fs.lstatSync(p).mode & 0o111) !== 0;
  return exec === (mode === '100755');
}

/** Blob contents by id, unconverted, from one `cat-file --batch`. */
async function readBlobs(git: GitRunner, repo: RepoInfo, shas: string[]): Promise<Map<string, Buffer>> {
  const blobs = new Map<string, Buffer>();
  if (shas.length === 0) return blobs;
  const out = await git.bytes(repo.commonDir, ['cat-file', '--batch'], { readOnly: true, input: shas.join('\n') + '\n' });
  let at = 0;
  for (const sha of shas) {
    const nl = out.indexOf(0x0a, at);
    const header = out.subarray(at, nl).toString('utf8'); // "<sha> blob <size>"
    const size = Number(header.split(' ')[2]);
    if (!Number.isInteger(size)) throw new AxiomError('GitFailed', `git cat-file could not read ${sha}: ${header}`);
    blobs.set(sha, out.subarray(nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return blobs;
}

export async function expireSalvage(git: GitRunner, repo: RepoInfo, days: number, now = Date.now()): Promise<SalvageRef[]> {
  if (!Number.isFinite(days) || days < 0) throw new AxiomError('InvalidArgument', `The salvage retention must be a whole number of days ≥ 0 (got ${days}).`);
  // Ages in milliseconds, from the time in the ref's name: a commit date has whole seconds, so a salvage
  // made after this call (while it waited for the lock) could look older than the call and be taken.
  const cutoffMs = now - days * 86_400_000;
  return withRepoLock(repo.commonDir, async () => {
    const old = (await listSalvage(git, repo)).filter((s) => salvageMs(s) < cutoffMs);
    for (const s of old) await git.run(repo.commonDir, ['update-ref', '-d', s.ref, s.sha]);
    // Evaluation snapshots (the files of a dirty evaluated state) follow the same retention.
    for (const e of await listEvaluatedRefs(git, repo)) if (e.ms < cutoffMs) await git.run(repo.commonDir, ['update-ref', '-d', e.ref, e.sha]);
    return old;
  });
}

/** When a salvage was made: the milliseconds in its ref's name (`…/<id>/<ms>[-n]`), else its commit date. */
function salvageMs(s: SalvageRef): number {
  const stamp = /\/(\d+)(?:-\d+)?$/.exec(s.ref)?.[1];
  return stamp ? Number(stamp) : s.date * 1000;
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
