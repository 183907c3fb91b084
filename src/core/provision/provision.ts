/**
 * Provisioning: making a fresh worktree ready to run — shared folders (`share`) and ignored files
 * (`include`, `.worktreeinclude`, VS Code's `git.worktreeIncludeFiles`) from the main worktree.
 *
 * Planned before spawn creates anything (a bad pattern or a share that git does not ignore is refused
 * with nothing changed), done right after the checkout, then verified: every provisioned path must be
 * ignored by git in the new worktree. Spawn then records what was provisioned (provisioned.ts): that
 * record, not the instance's `.gitignore` (an agent may rewrite it), keeps those paths out of every
 * git object Axiom writes. No write in the instance reaches the main worktree: links into it are
 * re-pointed at the instance's own path; a hardlink share copies the files tools rewrite in place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomError } from '../errors';
import { withRepoLock } from '../instances/lock';
import type { GitRunner } from '../git/git';
import { copyIncludes, isInside, planIncludes, type IncludePlan, type PatternSource } from './include';
import { reproduceTree } from './fileTree';
import type { ProvisionRecord, ProvisionedEntry } from '../instances/metadata';
import { CONFIG_FILE, WORKTREE_INCLUDE_FILE, readWorktreeConfig, type WorktreeConfig } from './repoConfig';
import type { CommandStep } from './setup';

export interface ProvisionOptions {
  /** More include patterns (the extension passes VS Code's `git.worktreeIncludeFiles`). */
  includePatterns?: readonly string[];
}

export interface PlannedShare {
  rel: string;
  mode: 'clone' | 'hardlink' | 'symlink';
  src: string;
}

export interface ProvisionPlan {
  /** The repository's git common dir (its `info/exclude` gets the exact path of a symlink share). */
  commonDir: string;
  config: WorktreeConfig;
  shares: PlannedShare[];
  include: IncludePlan;
  /** Shares whose source does not exist in the main worktree (nothing to share yet). */
  skipped: { path: string; reason: string }[];
}

/** What spawn reports while it provisions and sets up (the CLI prints it, the extension shows it). */
export type ProvisionEvent =
  | { step: 'ports'; ports: number[] }
  | {
      step: 'share';
      path: string;
      mode: ProvisionedEntry['mode'];
      requested: PlannedShare['mode'];
      ms: number;
      files: number;
      note?: string;
    }
  | { step: 'include'; copied: number; skipped: number; ms: number }
  | { step: 'setup'; command: string; index: number; total: number; done?: CommandStep };

/** Why a `share` key cannot be used, or null. */
export function sharePathProblem(rel: string): string | null {
  if (rel.trim() === '' || rel === '.' || rel === './')
    return 'is empty: name a folder such as "node_modules"';
  if (/[\0\n\r]/.test(rel)) return 'contains a control character';
  if (/[*?[\]]/.test(rel)) return 'is a pattern: share takes plain paths (use "include" for patterns)';
  if (path.isAbsolute(rel) || /^[A-Za-z]:[\\/]/.test(rel) || rel.startsWith('~'))
    return 'is outside the repository: share takes paths relative to the repository root';
  const segments = rel
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return '".." would reach outside the repository';
  if (segments[0] === '.git') return "is git's own folder";
  return null;
}

const normalizeRel = (rel: string): string =>
  rel
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');

/** `git check-ignore` over many paths in one process: the set that git ignores in `cwd`. */
async function ignoredAmong(git: GitRunner, cwd: string, rels: readonly string[]): Promise<Set<string>> {
  const r = await git.run(cwd, ['check-ignore', '-z', '--stdin'], {
    readOnly: true,
    okExitCodes: [1],
    input: rels.map((p) => `${p}\0`).join(''),
  });
  return new Set(r.stdout.split('\0').filter(Boolean));
}

/**
 * Reads the configuration and plans what to share and copy. Throws InvalidConfig (nothing created
 * yet) for a bad file, a refused pattern, a share outside the tree or one that git does not ignore.
 */
export async function planProvision(
  git: GitRunner,
  commonDir: string,
  mainWorktree: string,
  options: ProvisionOptions = {},
): Promise<ProvisionPlan> {
  const config = await readWorktreeConfig(git, commonDir, mainWorktree);
  const problems: string[] = [];
  const shares: PlannedShare[] = [];
  const skipped: ProvisionPlan['skipped'] = [];
  const realMain = fs.realpathSync(mainWorktree);
  for (const [key, mode] of Object.entries(config.share)) {
    const problem = sharePathProblem(key);
    if (problem) {
      problems.push(`share ${JSON.stringify(key)} ${problem}`);
      continue;
    }
    if (mode === 'none') continue;
    const rel = normalizeRel(key);
    const src = path.join(mainWorktree, rel);
    let real: string;
    try {
      real = fs.realpathSync(src);
    } catch {
      skipped.push({ path: rel, reason: 'not in the main worktree (nothing to share yet)' });
      continue;
    }
    if (!isInside(real, realMain) || isInside(real, path.join(realMain, '.git'))) {
      problems.push(`share ${JSON.stringify(key)} leads to ${real}, outside the repository`);
      continue;
    }
    shares.push({ rel, mode, src });
  }
  if (shares.length > 0) {
    const ignored = await ignoredAmong(
      git,
      mainWorktree,
      shares.map((s) => s.rel),
    );
    for (const s of shares) {
      if (!ignored.has(s.rel)) {
        problems.push(
          `share ${JSON.stringify(s.rel)} is not ignored by git: a shared folder must be in .gitignore, or every instance would show it as untracked work (add "/${s.rel}" to .gitignore)`,
        );
      }
    }
  }
  if (problems.length)
    throw new AxiomError('InvalidConfig', `${CONFIG_FILE} "share" refused:\n  ${problems.join('\n  ')}`);
  const sources: PatternSource[] = [
    { where: WORKTREE_INCLUDE_FILE, patterns: config.worktreeInclude },
    {
      where: config.sources.gitConfig.includes('axiom.include')
        ? 'git config axiom.include'
        : `${CONFIG_FILE} "include"`,
      patterns: config.include,
    },
    { where: 'git.worktreeIncludeFiles', patterns: options.includePatterns ?? [] },
  ];
  const include = await planIncludes(
    git,
    mainWorktree,
    sources,
    shares.map((s) => s.rel),
  );
  return { commonDir, config, shares, include, skipped };
}

/** True when there is nothing to do in the new worktree (no git call, no file system work). */
export function isEmptyPlan(plan: ProvisionPlan): boolean {
  return plan.shares.length === 0 && plan.include.entries.length === 0 && plan.skipped.length === 0;
}

/**
 * Shares and copies into the new worktree, then checks that git ignores everything provisioned there.
 * Throws when something cannot be provided safely; the caller rolls the spawn back.
 */
export async function provisionWorktree(
  git: GitRunner,
  plan: ProvisionPlan,
  mainWorktree: string,
  worktree: string,
  onProgress?: (e: ProvisionEvent) => void,
): Promise<ProvisionRecord> {
  const started = performance.now();
  const record: ProvisionRecord = { provisioned: [], included: [], skipped: [...plan.skipped], ms: 0 };
  const realWorktree = fs.realpathSync(worktree);
  for (const s of plan.shares) {
    const dest = path.join(worktree, s.rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (!isInside(fs.realpathSync(path.dirname(dest)), realWorktree)) {
      throw new AxiomError(
        'InvalidConfig',
        `share ${JSON.stringify(s.rel)}: its parent folder in the instance leads outside the worktree; nothing was written there.`,
      );
    }
    if (fs.existsSync(dest) || isLink(dest)) {
      record.skipped.push({
        path: s.rel,
        reason: 'exists in the instance (tracked at the base): not replaced',
      });
      continue;
    }
    const t = performance.now();
    let entry: ProvisionedEntry;
    if (s.mode === 'symlink') {
      const isDir = fs.statSync(s.src).isDirectory();
      fs.symlinkSync(s.src, dest, isDir ? (process.platform === 'win32' ? 'junction' : 'dir') : 'file');
      entry = { path: s.rel, mode: 'symlink', requested: 'symlink', ms: 0, files: 1 };
    } else {
      const r = await reproduceTree(s.src, dest, s.mode, { main: fs.realpathSync(mainWorktree), instance: realWorktree });
      entry = {
        path: s.rel,
        mode: r.mode,
        requested: s.mode,
        ms: 0,
        files: r.files,
        ...(r.fallback ? { note: r.fallback } : {}),
      };
    }
    entry.ms = Math.round(performance.now() - t);
    record.provisioned.push(entry);
    onProgress?.({
      step: 'share',
      path: entry.path,
      mode: entry.mode,
      requested: entry.requested,
      ms: entry.ms,
      files: entry.files,
      ...(entry.note ? { note: entry.note } : {}),
    });
  }
  if (plan.include.entries.length > 0) {
    const t = performance.now();
    const r = await copyIncludes(mainWorktree, worktree, plan.include);
    const copied = new Set(r.copied);
    record.included = plan.include.roots.filter(
      (root) => copied.has(root) || r.copied.some((c) => c.startsWith(`${root}/`)),
    );
    record.skipped.push(...r.skipped);
    onProgress?.({
      step: 'include',
      copied: r.copied.length,
      skipped: r.skipped.length,
      ms: Math.round(performance.now() - t),
    });
  }
  await excludeLinks(git, plan.commonDir, worktree, record);
  await verifyIgnored(git, worktree, record);
  record.ms = Math.round(performance.now() - started);
  return record;
}

const EXCLUDE_BEGIN = '# >>> axiom: symlink shares (exact paths, so that a "folder/" pattern of .gitignore ignores the link too; managed by Axiom)';
const EXCLUDE_END = '# <<< axiom';

/**
 * A symlink share is a link, not a folder: the usual `node_modules/` line of `.gitignore` does not
 * ignore it. Its exact path (`/node_modules`) is added to a marked block of the repository's
 * `$GIT_COMMON_DIR/info/exclude` (never the user's tracked files); the main worktree's folder of that
 * name is already ignored (planProvision checked), so the line changes nothing there.
 */
async function excludeLinks(git: GitRunner, commonDir: string, worktree: string, record: ProvisionRecord): Promise<void> {
  const links = record.provisioned.filter((e) => e.mode === 'symlink').map((e) => e.path);
  if (links.length === 0) return;
  const ignored = await ignoredAmong(git, worktree, links);
  const missing = links.filter((p) => !ignored.has(p));
  if (missing.length === 0) return;
  await withRepoLock(commonDir, async () => {
    const file = path.join(commonDir, 'info', 'exclude');
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      /* no exclude file yet */
    }
    const lines = text.split('\n');
    const begin = lines.indexOf(EXCLUDE_BEGIN);
    const end = begin === -1 ? -1 : lines.indexOf(EXCLUDE_END, begin);
    const block = begin === -1 || end === -1 ? [] : lines.slice(begin + 1, end);
    const rest = begin === -1 || end === -1 ? lines : [...lines.slice(0, begin), ...lines.slice(end + 1)];
    const wanted = [...new Set([...block, ...missing.map((p) => `/${p}`)])];
    const body = rest.join('\n').replace(/\n*$/, '\n');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${body === '\n' ? '' : body}${EXCLUDE_BEGIN}\n${wanted.join('\n')}\n${EXCLUDE_END}\n`);
    fs.renameSync(tmp, file);
  });
}

/** Every provisioned path must be ignored by git in the instance, or it would become work at risk (and be salvaged into git objects). */
async function verifyIgnored(git: GitRunner, worktree: string, record: ProvisionRecord): Promise<void> {
  const paths = [...record.provisioned.map((p) => p.path), ...record.included];
  if (paths.length === 0) return;
  const ignored = await ignoredAmong(git, worktree, paths);
  const notIgnored = paths.filter((p) => !ignored.has(p));
  if (notIgnored.length === 0) return;
  const lines = notIgnored.map((p) => {
    const share = record.provisioned.find((e) => e.path === p);
    return share?.mode === 'symlink'
      ? `${p}: git does not ignore the link (a pattern "${p}/" matches folders only, not a link): add "/${p}" to .gitignore, or share it with "clone" or "hardlink"`
      : `${p}: git does not ignore it in the instance (the base branch's .gitignore differs from the main worktree's)`;
  });
  throw new AxiomError(
    'InvalidConfig',
    `Provisioning stopped: these paths would show as untracked work in the instance (and could be committed or salvaged):\n  ${lines.join('\n  ')}`,
  );
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
