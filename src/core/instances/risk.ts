/**
 * What removing an instance would lose (docs/ARCHITECTURE.md §4.3, issue 8). Judged on the
 * repository as it is now — callers that act on the answer hold the repository lock — and by
 * content, never by a record:
 * - files: uncommitted changes and untracked files (not ignored ones), nested repositories included;
 * - commits: reachable from the branch, the worktree's HEAD or a ref only this worktree has, and
 *   from no other ref, unless all their content is already in the base (or the branch it was merged
 *   into): a squash, rebase or cherry-pick that landed counts; one undone on the target does not;
 * - submodule commits that exist only in this worktree's own submodule repository;
 * - ignored files: never salvaged (they may be secrets) but listed, so nothing disappears unannounced.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitRunner } from '../git/git';
import type { LocatedInstance } from './locate';
import { recordedLanding } from './metadata';
import { parseStatusV2, type StatusEntry } from '../git/parse';
import type { RepoInfo } from '../git/repo';
import { commitsOnlyIn, contentContained, isAncestor, readRefCommits, type CommitInfo, type RefCommit } from '../git/commits';
import { perWorktreeRefs } from '../git/worktreeState';
import { EVALUATED_REF_PREFIX } from '../explore/attempts';
import { describeProvisionedChanges, provisionedChanges, readProvisioned, withoutProvisioned } from '../provision/provisioned';
import { filesInBareSubmoduleFolders } from '../git/worktreeTree';
import { submoduleEnv, submoduleTips, submodulesMovedWith, worktreeSubmodules } from './submodules';

export interface IgnoredSummary {
  count: number;
  bytes: number;
  /** A few of them (folders end with '/'), largest folders first. */
  sample: string[];
  /** True when counting stopped early (a huge dependency folder): the figures are lower bounds. */
  partial: boolean;
}

export interface WorkAtRisk {
  files: StatusEntry[];
  commits: CommitInfo[];
  /** Submodules whose commits exist only inside this worktree. */
  submodules: { path: string; commits: number }[];
  ignored: IgnoredSummary;
  /** Tips that vanish with the instance: its branch, its HEAD, refs only its worktree has. */
  tips: { name: string; sha: string }[];
  branchTip: string | null;
  head: string | null;
  /** Provisioned files the agent changed, in words ("`.env` — provisioned, changed, not kept"): never work, never salvaged. */
  provisionedChanged?: string[];
}

export function hasWorkAtRisk(risk: WorkAtRisk): boolean {
  return risk.files.length > 0 || risk.commits.length > 0 || risk.submodules.length > 0;
}

export interface RiskOptions {
  /** Look at this folder instead of the instance's path (it was moved aside for removal). */
  folder?: string;
  /** Skip the (slow on big dependency folders) ignored-files summary. */
  skipIgnored?: boolean;
  /** An earlier assessment: when no tip moved since, its commit verdict is reused (files are always read again). */
  previous?: WorkAtRisk;
}

const EMPTY_IGNORED: IgnoredSummary = { count: 0, bytes: 0, sample: [], partial: false };

export async function assessRisk(git: GitRunner, repo: RepoInfo, inst: LocatedInstance, options: RiskOptions = {}): Promise<WorkAtRisk> {
  const folder = options.folder ?? inst.path;
  const present = fs.existsSync(folder);
  const branchRef = `refs/heads/${inst.metadata.branch}`;
  const targets = [...new Set([inst.metadata.base, inst.metadata.merged?.into].filter((n): n is string => !!n && n !== inst.metadata.branch))];
  // One for-each-ref for every ref (the branch, the landing targets, and all the others that may
  // hold the instance's commits); HEAD and per-worktree refs are files.
  const [refs, statusOut] = await Promise.all([
    readRefCommits(git, repo.commonDir),
    present
      ? git.out(
          folder,
          // Moved aside, a submodule's own config still names the old place: only its commit is compared then
          // (its uncommitted content was judged in place, and salvage reads it by explicit paths).
          ['status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all', `--ignore-submodules=${options.folder ? 'dirty' : 'none'}`],
          { readOnly: true },
        )
      : Promise.resolve(''),
  ]);
  const branches = branchTips(refs, [inst.metadata.branch, ...targets]);
  const branchTip = branches.get(inst.metadata.branch)?.sha ?? null;
  const head = await readHead(git, repo, inst.adminDir, branches);
  const tips = [
    ...(branchTip ? [{ name: branchRef, sha: branchTip }] : []),
    ...(head && head !== branchTip ? [{ name: 'HEAD', sha: head }] : []),
    ...perWorktreeRefs(inst.adminDir),
  ];
  const prev = options.previous;
  const sameTips = prev !== undefined && JSON.stringify(prev.tips) === JSON.stringify(tips);
  const landing = targets.flatMap((name) => {
    const b = branches.get(name);
    return b ? [{ name, ...b }] : [];
  });
  const [commits, submodules, ignored] = await Promise.all([
    // An evaluation's ref is a record of what was evaluated, not a place the work can be restored from:
    // commits only it holds are still at risk (salvaged, so a loser can be restored).
    sameTips ? prev.commits : committedAtRisk(git, repo, inst, tips, branchRef, landing, refs.filter((r) => !r.name.startsWith(EVALUATED_REF_PREFIX))),
    sameTips ? prev.submodules : submodulesAtRisk(git, repo, inst),
    present && !options.skipIgnored ? summarizeIgnored(git, folder) : Promise.resolve(prev?.ignored ?? EMPTY_IGNORED),
  ]);
  // What Axiom provisioned is never work (its record decides, not the instance's .gitignore); a change to it is named.
  const provisioned = readProvisioned(inst.adminDir);
  const files = withoutProvisioned(parseStatusV2(statusOut).entries, provisioned);
  const provisionedChanged = present ? describeProvisionedChanges(provisionedChanges(folder, provisioned)) : [];
  if (options.folder && present) files.push(...(await dirtySubmodulesAside(git, inst, options.folder, files)));
  if (present) {
    for (const file of await filesInBareSubmoduleFolders(git, folder)) files.push({ path: file, index: '?', worktree: '?', kind: 'untracked' });
  }
  return { files, commits, submodules, ignored, tips, branchTip, head, provisionedChanged };
}

/**
 * Moved aside, the worktree's `status` cannot look inside its submodules (their config names the
 * old folder), so each checked-out submodule is asked directly, its folder named: uncommitted work
 * inside one is work at risk like any other file. A submodule that cannot be read counts as dirty.
 */
async function dirtySubmodulesAside(git: GitRunner, inst: LocatedInstance, folder: string, listed: readonly StatusEntry[]): Promise<StatusEntry[]> {
  const dirty: StatusEntry[] = [];
  for (const sm of submodulesMovedWith(inst.adminDir, inst.path, folder)) {
    if (listed.some((f) => f.path === sm.path)) continue;
    const out = await git
      .out(sm.folder, ['status', '--porcelain', '-z', '--untracked-files=all', '--ignore-submodules=dirty'], {
        readOnly: true,
        env: { GIT_DIR: sm.gitDir, GIT_WORK_TREE: sm.folder },
      })
      .catch(() => 'unreadable');
    if (out !== '') dirty.push({ path: sm.path, index: '.', worktree: 'M', kind: 'changed' });
  }
  return dirty;
}

/** Tip and tree of each named local branch that exists. */
function branchTips(refs: readonly RefCommit[], names: string[]): Map<string, { sha: string; tree: string }> {
  const tips = new Map<string, { sha: string; tree: string }>();
  for (const ref of refs) {
    const name = ref.name.startsWith('refs/heads/') ? ref.name.slice('refs/heads/'.length) : null;
    if (name !== null && names.includes(name)) tips.set(name, { sha: ref.commit, tree: ref.tree });
  }
  return tips;
}

/** The worktree's HEAD from its admin dir (a file read; a process only for a ref we did not look up). */
async function readHead(git: GitRunner, repo: RepoInfo, adminDir: string, known: Map<string, { sha: string }>): Promise<string | null> {
  let text: string;
  try {
    text = fs.readFileSync(path.join(adminDir, 'HEAD'), 'utf8').trim();
  } catch {
    return null;
  }
  if (!text.startsWith('ref: ')) return /^[0-9a-f]{40,64}$/.test(text) ? text : null;
  const ref = text.slice(5);
  const knownSha = ref.startsWith('refs/heads/') ? known.get(ref.slice('refs/heads/'.length))?.sha : undefined;
  if (knownSha) return knownSha;
  const r = await git.run(repo.commonDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { readOnly: true, okExitCodes: [1, 128] });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : null; // an unborn branch has no commit
}

async function committedAtRisk(
  git: GitRunner,
  repo: RepoInfo,
  inst: LocatedInstance,
  tips: { name: string; sha: string }[],
  branchRef: string,
  landing: { name: string; sha: string; tree: string }[],
  refs: readonly RefCommit[],
): Promise<CommitInfo[]> {
  // Commits no other ref reaches; none, nothing to judge. Else a tip whose content is all in a
  // landing target loses nothing — or one Axiom landed there, unchanged since, whose landing commit
  // the target still has (its content is in that commit, whatever the target did next) — and the
  // others' own commits are at risk.
  const only = await commitsOnlyIn(git, repo.commonDir, tips.map((t) => t.sha), new Set([branchRef]), refs);
  if (only.length === 0) return [];
  const open: string[] = [];
  for (const tip of tips) {
    let landed = false;
    for (const target of landing) {
      if (landed) break;
      const recorded = recordedLanding(inst.metadata, target.name, tip.sha);
      landed = recorded !== null ? await isAncestor(git, repo.commonDir, recorded, target.sha) : false;
      landed ||= await contentContained(git, repo.commonDir, target.sha, tip.sha, target.tree);
    }
    if (!landed) open.push(tip.sha);
  }
  if (open.length === tips.length) return only;
  return commitsOnlyIn(git, repo.commonDir, [...new Set(open)], new Set([branchRef]), refs);
}

/**
 * Submodule repositories initialised inside this worktree live in its admin dir and are deleted
 * with it: their commits that the repository's own copy (`<common>/modules/<name>`) does not reach
 * are at risk.
 */
async function submodulesAtRisk(git: GitRunner, repo: RepoInfo, inst: LocatedInstance): Promise<{ path: string; commits: number }[]> {
  const found: { path: string; commits: number }[] = [];
  for (const sm of worktreeSubmodules(inst.adminDir)) {
    const tips = [...new Set((await submoduleTips(git, sm)).map((t) => t.sha))];
    if (tips.length === 0) continue;
    const shared = path.join(repo.commonDir, 'modules', sm.name);
    const sharedRefs = fs.existsSync(shared)
      ? (await git.out(shared, ['for-each-ref', '--format=%(objectname)'], { readOnly: true }).catch(() => '')).split('\n').filter(Boolean)
      : [];
    const unique = await git
      // --ignore-missing: the shared copy's refs may name commits this copy never fetched.
      .out(sm.gitDir, ['rev-list', '--count', '--ignore-missing', '--stdin'], {
        readOnly: true,
        env: submoduleEnv(sm),
        input: [...tips, ...sharedRefs.map((r) => `^${r}`)].join('\n') + '\n',
      })
      .catch(() => String(tips.length));
    const count = Number(unique.trim());
    if (count > 0) found.push({ path: sm.folder ? path.relative(inst.path, sm.folder) || sm.name : sm.name, commits: count });
  }
  return found;
}

const IGNORED_WALK_LIMIT = 50_000;

/** Ignored files and folders of the worktree (git collapses wholly ignored folders), with sizes. */
export async function summarizeIgnored(git: GitRunner, folder: string): Promise<IgnoredSummary> {
  const out = await git.out(folder, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], { readOnly: true });
  const items = out.split('\0').filter(Boolean);
  let count = 0;
  let bytes = 0;
  let partial = false;
  const sized: { name: string; bytes: number }[] = [];
  for (const item of items) {
    const walked = walkSize(path.join(folder, item), IGNORED_WALK_LIMIT - count);
    count += walked.count;
    bytes += walked.bytes;
    partial ||= walked.partial;
    sized.push({ name: item, bytes: walked.bytes });
  }
  sized.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  return { count, bytes, sample: sized.slice(0, 5).map((s) => s.name), partial };
}

function walkSize(p: string, budget: number): { count: number; bytes: number; partial: boolean } {
  let count = 0;
  let bytes = 0;
  const stack = [p];
  while (stack.length) {
    if (count >= budget) return { count, bytes, partial: true };
    const cur = stack.pop()!;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      try {
        for (const e of fs.readdirSync(cur)) stack.push(path.join(cur, e));
      } catch {
        /* unreadable folder: counted as nothing */
      }
    } else {
      count++;
      bytes += st.size;
    }
  }
  return { count, bytes, partial: false };
}
