/**
 * A git tree of exactly what is on disk in a worktree — tracked and untracked files, never ignored
 * ones and never what Axiom provisioned (those keep HEAD's entry; see provisioned.ts) — written
 * without touching the worktree's index or files. Used for salvage (and for snapshots
 * of a dirty worktree's exact state).
 *
 * Byte-exact: every file is hashed with `hash-object --no-filters`, so no clean filter, `text=auto`,
 * `eol` or `autocrlf` conversion changes what is stored; a restore writes the same bytes back.
 * Nested repositories (a `git init` inside the worktree) and submodules with uncommitted work are
 * stored as plain files; a clean submodule as its commit (gitlink). The commits of every nested
 * repository and submodule are reported so the caller can keep them reachable.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GitRunner } from './git';
import { gitDirOf } from './worktreeState';
import { headEntriesAt, isProvisioned, type ProvisionedPath } from '../provision/provisioned';

export interface NestedRepository {
  /** Path relative to the worktree. */
  path: string;
  gitDir: string;
  /** Its folder on disk (absolute). */
  folder: string;
  kind: 'nested' | 'submodule';
  /** HEAD and branch tips of the nested repository (empty when it has no commit yet). */
  tips: { name: string; sha: string }[];
}

export interface WorktreeTree {
  tree: string;
  files: number;
  nested: NestedRepository[];
}

interface Entry {
  mode: string;
  sha: string;
  path: string;
}

const GITLINK = '160000';

function splitZ(out: string): string[] {
  return out.split('\0').filter((s) => s !== '');
}

/**
 * Writes the tree into the object store of `objectRepo` (the repository's common dir). `provisioned`
 * (Axiom's record for this instance) are never read: their entries are HEAD's.
 */
export async function writeWorktreeTree(git: GitRunner, objectRepo: string, worktree: string, provisioned: readonly ProvisionedPath[] = []): Promise<WorktreeTree> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-tree-'));
  try {
    const nested: NestedRepository[] = [];
    const entries = await collect(git, objectRepo, worktree, '', nested, scratch, undefined, provisioned);
    const env = { GIT_INDEX_FILE: path.join(scratch, 'index') };
    const info = entries.map((e) => `${e.mode} ${e.sha}\t${e.path}\0`).join('');
    // An empty index file is a valid empty index; update-index fills it, write-tree stores it.
    await git.run(worktree, ['update-index', '--add', '-z', '--index-info'], { env, input: info });
    const tree = (await git.out(worktree, ['write-tree'], { env })).trim();
    return { tree, files: entries.length, nested };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Every file of one repository's worktree (recursing into nested ones), hashed into `objectRepo`. */
async function collect(
  git: GitRunner,
  objectRepo: string,
  root: string,
  prefix: string,
  nested: NestedRepository[],
  scratch: string,
  env?: Record<string, string>,
  provisioned: readonly ProvisionedPath[] = [],
): Promise<Entry[]> {
  const [staged, others, kept] = await Promise.all([
    git.out(root, ['ls-files', '-z', '--stage'], { readOnly: true, env }),
    git.out(root, ['ls-files', '-z', '--others', '--exclude-standard'], { readOnly: true, env }),
    headEntriesAt(git, root, provisioned, env),
  ]);
  const gitlinks = new Map<string, string>();
  const candidates = new Set<string>();
  for (const record of splitZ(staged)) {
    const tab = record.indexOf('\t');
    const [mode, sha] = record.slice(0, tab).split(' ');
    const file = record.slice(tab + 1);
    if (mode === GITLINK) gitlinks.set(file, sha!);
    candidates.add(file);
  }
  for (const file of splitZ(others)) candidates.add(file.replace(/\/$/, ''));

  const regular: { file: string; mode: string }[] = [];
  const links: { file: string; target: string }[] = [];
  const entries: Entry[] = kept.map((e) => ({ ...e, path: prefix + e.path }));
  for (const file of [...candidates].sort()) {
    if (isProvisioned(file, provisioned)) continue;
    const abs = path.join(root, file);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      continue; // deleted in the worktree
    }
    if (st.isSymbolicLink()) links.push({ file, target: fs.readlinkSync(abs) });
    else if (st.isFile()) regular.push({ file, mode: st.mode & 0o111 ? '100755' : '100644' });
    else if (st.isDirectory()) {
      const gitDir = gitDirOf(abs);
      const gitlink = gitlinks.get(file);
      if (!gitDir && gitlink !== undefined) {
        // A submodule folder with no repository (never initialised, or restored from a salvage): git
        // sees nothing in it, so its files are read from disk — all of them are work; empty, the gitlink stays.
        const inside = filesUnder(abs);
        if (inside.length === 0) entries.push({ mode: GITLINK, sha: gitlink, path: prefix + file });
        for (const f of inside) {
          const fst = fs.lstatSync(path.join(abs, f));
          if (fst.isSymbolicLink()) links.push({ file: `${file}/${f}`, target: fs.readlinkSync(path.join(abs, f)) });
          else regular.push({ file: `${file}/${f}`, mode: fst.mode & 0o111 ? '100755' : '100644' });
        }
        continue;
      }
      if (!gitDir) continue; // a tracked file replaced by a folder: its files are listed as untracked
      const kind = gitlinks.has(file) ? 'submodule' : 'nested';
      const repoPath = prefix + file;
      // Named explicitly: a submodule's own config points at where its worktree was before a cleanup
      // moved the folder aside.
      const nestedEnv = { GIT_DIR: gitDir, GIT_WORK_TREE: abs };
      nested.push({ path: repoPath, gitDir, folder: abs, kind, tips: await tipsOf(git, abs, nestedEnv) });
      const head = kind === 'submodule' ? await cleanHead(git, abs, nestedEnv) : null;
      if (head) entries.push({ mode: GITLINK, sha: head, path: repoPath });
      else entries.push(...(await collect(git, objectRepo, abs, `${repoPath}/`, nested, scratch, nestedEnv)));
    }
  }
  const hashed = await hashFiles(git, objectRepo, regular.map((r) => path.join(root, r.file)));
  regular.forEach((r, i) => entries.push({ mode: r.mode, sha: hashed[i]!, path: prefix + r.file }));
  // A symlink's blob is its target text, which `hash-object` (it follows links) cannot read: go through files.
  const linkFiles = links.map((l, i) => {
    const f = path.join(scratch, `link-${nested.length}-${i}`);
    fs.writeFileSync(f, l.target);
    return f;
  });
  const linkShas = await hashFiles(git, objectRepo, linkFiles);
  links.forEach((l, i) => entries.push({ mode: '120000', sha: linkShas[i]!, path: prefix + l.file }));
  return entries;
}

/** Files and symbolic links under `folder` (relative, `/`-separated), read from disk. */
export function filesUnder(folder: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(folder, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else if (e.isFile() || e.isSymbolicLink()) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/**
 * Files inside the submodule folders of `worktree` that have no repository (never initialised, or
 * written back by a restore): git status does not look into them, yet they are work.
 */
export async function filesInBareSubmoduleFolders(git: GitRunner, worktree: string): Promise<string[]> {
  const staged = await git.out(worktree, ['ls-files', '-z', '--stage'], { readOnly: true });
  const out: string[] = [];
  for (const record of splitZ(staged)) {
    const tab = record.indexOf('\t');
    if (!record.startsWith(`${GITLINK} `)) continue;
    const file = record.slice(tab + 1);
    const abs = path.join(worktree, file);
    let isDir = false;
    try {
      isDir = fs.lstatSync(abs).isDirectory();
    } catch {
      continue;
    }
    if (isDir && !gitDirOf(abs)) out.push(...filesUnder(abs).map((f) => `${file}/${f}`));
  }
  return out;
}

async function hashFiles(git: GitRunner, objectRepo: string, files: string[]): Promise<string[]> {
  if (files.length === 0) return [];
  const out = await git.out(objectRepo, ['hash-object', '-w', '--no-filters', '--stdin-paths'], { input: stdinPaths(files) });
  return out.split('\n').filter(Boolean);
}

/**
 * Paths for `git hash-object --stdin-paths`, which reads one per line (and drops a trailing CR) but
 * unquotes a line that starts with `"`: every path is C-quoted, so a name holding a newline, a CR, a
 * tab, a backslash, a quote or any control character reaches git as itself.
 */
export function stdinPaths(files: readonly string[]): string {
  return files.map((f) => `${cQuote(f)}\n`).join('');
}

function cQuote(p: string): string {
  let out = '"';
  for (const byte of Buffer.from(p, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** HEAD and the branch tips of a nested repository. */
async function tipsOf(git: GitRunner, repo: string, env: Record<string, string>): Promise<{ name: string; sha: string }[]> {
  const [head, refs] = await Promise.all([
    git.run(repo, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { readOnly: true, okExitCodes: [1, 128], env }),
    git.out(repo, ['for-each-ref', '--format=%(refname)%00%(objectname)', 'refs/heads'], { readOnly: true, env }).catch(() => ''),
  ]);
  const tips = head.exitCode === 0 && head.stdout.trim() ? [{ name: 'HEAD', sha: head.stdout.trim() }] : [];
  for (const line of refs.split('\n').filter(Boolean)) {
    const [name, sha] = line.split('\0') as [string, string];
    tips.push({ name, sha });
  }
  return tips;
}

/** A submodule with nothing uncommitted: its HEAD commit; else null (its files are stored instead). */
async function cleanHead(git: GitRunner, repo: string, env: Record<string, string>): Promise<string | null> {
  const [status, head] = await Promise.all([
    git.out(repo, ['status', '--porcelain', '-z', '--untracked-files=all', '--ignore-submodules=dirty'], { readOnly: true, env }).catch(() => 'unknown'),
    git.run(repo, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { readOnly: true, okExitCodes: [1, 128], env }),
  ]);
  return status === '' && head.exitCode === 0 ? head.stdout.trim() : null;
}
