/**
 * Include patterns (`.worktreeinclude`, `include` of `.axiom.json`, VS Code's `git.worktreeIncludeFiles`):
 * git-ignored files of the main worktree copied into a new instance. Gitignore syntax via `ignore`;
 * a file is taken only when it matches a pattern AND git ignores it, so tracked files are never
 * copied, and nothing is ever taken from outside the repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore from 'ignore';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';

/** Patterns and where each list came from (used in messages). */
export interface PatternSource {
  where: string;
  patterns: readonly string[];
}

export interface IncludeEntry {
  /** Path relative to the repository root, `/`-separated. */
  rel: string;
  kind: 'file' | 'symlink';
}

export interface IncludePlan {
  entries: IncludeEntry[];
  /** The paths as matched (a folder matched as a whole is one path): what `included` reports. */
  roots: string[];
}

export interface IncludeResult {
  copied: string[];
  skipped: { path: string; reason: string }[];
}

const isComment = (line: string): boolean => line.trim() === '' || line.startsWith('#');

/** Why a pattern is refused, or null. A leading `/` anchors a pattern to the root (gitignore), so it is allowed unless it names a folder of the filesystem root that the repository does not have — then it was meant as an absolute path. */
export function patternProblem(pattern: string, mainWorktree: string): string | null {
  if (/[\0\n\r]/.test(pattern)) return 'contains a control character';
  const p = (pattern.startsWith('!') ? pattern.slice(1) : pattern).trim();
  const segments = p.replace(/\\/g, '/').split('/');
  if (segments.includes('..')) return '".." would reach outside the repository';
  if (p.startsWith('~')) return 'a home-relative path is outside the repository';
  if (/^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\') || p.startsWith('//'))
    return 'an absolute path is outside the repository';
  if (p.startsWith('/') && segments.length > 2) {
    const first = segments[1]!;
    const wildcard = /[*?[]/.test(first);
    if (
      !wildcard &&
      !fs.existsSync(path.join(mainWorktree, first)) &&
      fs.existsSync(path.join(path.parse(mainWorktree).root, first))
    ) {
      return `an absolute path is outside the repository (a leading "/" anchors a pattern to the repository root; write ${JSON.stringify(segments.slice(-1)[0])} or a path inside the repository)`;
    }
  }
  return null;
}

/** Checks every pattern; throws InvalidConfig listing the refused ones with where they came from. */
export function checkPatterns(sources: readonly PatternSource[], mainWorktree: string): void {
  const problems: string[] = [];
  for (const s of sources) {
    s.patterns.forEach((pattern, i) => {
      if (isComment(pattern)) return;
      const problem = patternProblem(pattern, mainWorktree);
      if (problem)
        problems.push(
          `${s.where}${s.patterns.length > 1 ? ` (entry ${i + 1})` : ''}: ${JSON.stringify(pattern)}: ${problem}`,
        );
    });
  }
  if (problems.length)
    throw new AxiomError('InvalidConfig', `Include patterns refused:\n  ${problems.join('\n  ')}`);
}

/** Can a non-negated pattern match something inside folder `dir` ("a/b/")? Conservative: yes when unsure. */
function couldMatchInside(dir: string, patterns: readonly string[]): boolean {
  return patterns.some((raw) => {
    if (isComment(raw) || raw.startsWith('!')) return false;
    const p = raw.trim().replace(/^\//, '').replace(/\/$/, '');
    if (!p.includes('/') || p.startsWith('**')) return true;
    const literal = p.slice(0, p.search(/[*?[\\]/) === -1 ? p.length : p.search(/[*?[\\]/));
    return literal.startsWith(dir) || dir.startsWith(literal);
  });
}

const under = (rel: string, roots: readonly string[]): boolean =>
  roots.some((r) => rel === r || rel.startsWith(`${r}/`));

/**
 * Finds the files to copy: git's list of ignored paths in the main worktree (`ls-files --others
 * --ignored --exclude-standard --directory`) filtered by the patterns. A folder git reports as
 * ignored as a whole is taken whole when it matches, else searched when a pattern could match inside.
 * `skip` are paths handled otherwise (shared folders). Symbolic links that leave the repository are refused.
 */
export async function planIncludes(
  git: GitRunner,
  mainWorktree: string,
  sources: readonly PatternSource[],
  skip: readonly string[],
): Promise<IncludePlan> {
  const patterns = sources.flatMap((s) => s.patterns.filter((p) => !isComment(p)));
  if (patterns.length === 0) return { entries: [], roots: [] };
  checkPatterns(sources, mainWorktree);
  const ig = ignore().add(patterns);
  const out = await git.out(
    mainWorktree,
    ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'],
    { readOnly: true },
  );
  const plan: IncludePlan = { entries: [], roots: [] };
  const refused: string[] = [];
  const realMain = fs.realpathSync(mainWorktree);

  const takeFile = (rel: string): void => {
    const abs = path.join(mainWorktree, rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      return; // vanished since git listed it
    }
    if (st.isSymbolicLink()) {
      const target = fs.readlinkSync(abs);
      let resolved: string;
      try {
        resolved = fs.realpathSync(abs);
      } catch {
        resolved = path.resolve(path.dirname(abs), target); // dangling: judge the path it names
      }
      if (!isInside(resolved, realMain) || isInside(resolved, path.join(realMain, '.git'))) {
        refused.push(`${rel} is a symbolic link to ${target}, outside the repository`);
        return;
      }
      plan.entries.push({ rel, kind: 'symlink' });
    } else if (st.isFile()) {
      plan.entries.push({ rel, kind: 'file' });
    }
  };

  /** Every file below a folder the patterns matched as a whole. */
  const takeFolder = (rel: string, wholeMatch: boolean): void => {
    for (const e of fs.readdirSync(path.join(mainWorktree, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (under(child, skip)) continue;
      if (e.isDirectory()) {
        const matches = wholeMatch || ig.ignores(`${child}/`);
        if (matches) takeFolder(child, true);
        else if (couldMatchInside(`${child}/`, patterns)) takeFolder(child, false);
        if (matches && !wholeMatch) plan.roots.push(child);
      } else if (wholeMatch || ig.ignores(child)) {
        takeFile(child);
        if (!wholeMatch) plan.roots.push(child);
      }
    }
  };

  for (const entry of out.split('\0')) {
    if (!entry) continue;
    const isDir = entry.endsWith('/');
    const rel = isDir ? entry.slice(0, -1) : entry;
    if (under(rel, skip)) continue;
    if (isDir) {
      if (ig.ignores(entry)) {
        plan.roots.push(rel);
        takeFolder(rel, true);
      } else if (couldMatchInside(entry, patterns)) {
        takeFolder(rel, false);
      }
    } else if (ig.ignores(rel)) {
      plan.roots.push(rel);
      takeFile(rel);
    }
  }
  if (refused.length) {
    throw new AxiomError(
      'InvalidConfig',
      `Include refused: Axiom copies nothing from outside the repository.\n  ${refused.join('\n  ')}\nReplace the link with the file, or leave it out of the include patterns.`,
    );
  }
  return plan;
}

export function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Where a symbolic link copied from the main worktree into an instance may point (both folders real paths). */
export interface LinkRoots {
  main: string;
  instance: string;
}

/**
 * The target text for the copy at `to` (in the instance) of the link `from` (in the main worktree),
 * so that no write through it reaches the main worktree: the same text when it resolves inside the
 * instance (`.bin/x -> ../pkg/x`); a link that resolves into the main worktree (an absolute path, or
 * a relative one climbing out of the instance) is re-pointed, relatively, at the instance's own
 * corresponding path. A link leading anywhere else keeps its text (include refuses those earlier).
 */
export function instanceLinkTarget(from: string, to: string, roots: LinkRoots): string {
  const target = fs.readlinkSync(from);
  const toDir = path.resolve(path.dirname(to));
  if (!path.isAbsolute(target) && isInside(path.resolve(toDir, target), roots.instance)) return target;
  let inMain: string;
  try {
    inMain = fs.realpathSync(from);
  } catch {
    inMain = path.resolve(fs.realpathSync(path.dirname(from)), target); // dangling: the path it names
  }
  if (!isInside(inMain, roots.main)) return target;
  return path.relative(toDir, path.join(roots.instance, path.relative(roots.main, inMain))) || '.';
}

/**
 * Copies the planned files into the new worktree. Never overwrites: a path that exists there (a file
 * the base tracks) is skipped and reported; never writes through a folder that leads outside the
 * worktree; a link into the main worktree is re-pointed at the instance's own path (instanceLinkTarget).
 */
export async function copyIncludes(
  mainWorktree: string,
  worktree: string,
  plan: IncludePlan,
): Promise<IncludeResult> {
  const result: IncludeResult = { copied: [], skipped: [] };
  const realWorktree = fs.realpathSync(worktree);
  const roots: LinkRoots = { main: fs.realpathSync(mainWorktree), instance: realWorktree };
  for (const entry of plan.entries) {
    const from = path.join(mainWorktree, entry.rel);
    const to = path.join(worktree, entry.rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    // A folder the base tracks as a symbolic link could lead anywhere: write only inside the worktree.
    if (!isInside(fs.realpathSync(path.dirname(to)), realWorktree)) {
      result.skipped.push({
        path: entry.rel,
        reason: 'its folder in the instance is a link that leads outside the worktree',
      });
      continue;
    }
    if (fs.existsSync(to) || isSymlink(to)) {
      result.skipped.push({
        path: entry.rel,
        reason: 'exists in the instance (tracked at the base): not overwritten',
      });
      continue;
    }
    if (entry.kind === 'symlink') fs.symlinkSync(instanceLinkTarget(from, to, roots), to);
    else await fs.promises.copyFile(from, to, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
    result.copied.push(entry.rel);
  }
  return result;
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
