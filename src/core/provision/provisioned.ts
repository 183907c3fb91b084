/**
 * Axiom's own record of what it provisioned into an instance (docs/ARCHITECTURE.md §4.7 "Provisioned is never
 * work and never a git object"): every path spawn copied or shared, with a content hash, in
 * `axiom-provisioned.json` in the worktree's admin dir (beside `axiom.json`, deleted with it).
 *
 * The record — not the instance's `.gitignore`, which the agent may rewrite — decides what is left
 * out of every tree Axiom writes (evaluation snapshots, salvage, commit-all before a merge or a
 * landing) and what never counts as work at risk. A provisioned path keeps its HEAD entry in such a
 * tree (normally none): the agent's change to it is not kept, and is reported in words instead.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitRunner } from '../git/git';
import { parseLsTree, type TreeEntry } from '../git/parse';
import { METADATA_FILE, type InstanceMetadata, type ProvisionRecord } from '../instances/metadata';

export const PROVISIONED_FILE = 'axiom-provisioned.json';

/** One provisioned path: a file or link with its content hash, or a whole tree (a shared folder, an included folder). */
export interface ProvisionedPath {
  path: string;
  kind: 'file' | 'link' | 'tree';
  /** sha256 of the file's bytes, or of a link's target text; absent for a tree. */
  sha256?: string;
}

export interface ProvisionedChange {
  path: string;
  change: 'changed' | 'deleted';
}

function hashOf(abs: string): { kind: 'file' | 'link' | 'tree'; sha256?: string } | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return { kind: 'link', sha256: createHash('sha256').update(fs.readlinkSync(abs)).digest('hex') };
  if (st.isFile()) return { kind: 'file', sha256: hashFile(abs) };
  return { kind: 'tree' };
}

/** sha256 of a file read in chunks (an included file may be large). */
function hashFile(abs: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  const fd = fs.openSync(abs, 'r');
  try {
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Writes the record of what provisioning put into `worktree` (shares as whole trees; included files
 * and links with their hash). Part of spawn: written before the worktree is unlocked.
 */
export function writeProvisioned(adminDir: string, worktree: string, record: ProvisionRecord): ProvisionedPath[] {
  const paths: ProvisionedPath[] = record.provisioned.map((p) => ({ path: p.path, kind: 'tree' }));
  for (const rel of record.included) {
    const h = hashOf(path.join(worktree, rel));
    if (h) paths.push({ path: rel, ...h });
  }
  const target = path.join(adminDir, PROVISIONED_FILE);
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ version: 1, paths }, null, 2) + '\n');
  fs.renameSync(tmp, target);
  return paths;
}

/**
 * What Axiom provisioned into the instance of `adminDir`: its record, else (an instance spawned
 * before the record existed) the paths its metadata lists, each as a whole tree.
 */
export function readProvisioned(adminDir: string): ProvisionedPath[] {
  try {
    const doc = JSON.parse(fs.readFileSync(path.join(adminDir, PROVISIONED_FILE), 'utf8')) as { paths?: unknown };
    if (Array.isArray(doc.paths)) {
      return doc.paths.filter(
        (p): p is ProvisionedPath => !!p && typeof (p as ProvisionedPath).path === 'string' && ['file', 'link', 'tree'].includes((p as ProvisionedPath).kind),
      );
    }
  } catch {
    /* absent or damaged: fall back to the metadata */
  }
  let p: ProvisionRecord | undefined;
  try {
    p = (JSON.parse(fs.readFileSync(path.join(adminDir, METADATA_FILE), 'utf8')) as Partial<InstanceMetadata> | null)?.provision;
  } catch {
    return [];
  }
  if (!p || !Array.isArray(p.provisioned) || !Array.isArray(p.included)) return [];
  return [...p.provisioned.map((e) => e.path), ...p.included].map((rel) => ({ path: rel, kind: 'tree' as const }));
}

/** Is `rel` (relative to the worktree, `/`-separated, a trailing `/` allowed) a provisioned path or inside one? */
export function isProvisioned(rel: string, paths: readonly ProvisionedPath[]): boolean {
  const r = rel.replace(/\/$/, '');
  return paths.some((p) => r === p.path || r.startsWith(`${p.path}/`));
}

/** Drops entries at provisioned paths (status entries, file lists). */
export function withoutProvisioned<T extends { path: string }>(entries: readonly T[], paths: readonly ProvisionedPath[]): T[] {
  return paths.length === 0 ? [...entries] : entries.filter((e) => !isProvisioned(e.path, paths));
}

const literal = (paths: readonly ProvisionedPath[]): string[] => paths.map((p) => `:(literal)${p.path}`);

/**
 * The one way Axiom fills a private index with a worktree's work (`GIT_INDEX_FILE` in `env`):
 * everything `git add --all` takes except the provisioned paths, which are never read (no blob of
 * them is written) and keep `head`'s entries (a staged one is put back). Then `write-tree` stores it.
 */
export async function addWork(git: GitRunner, worktree: string, env: Record<string, string>, head: string, paths: readonly ProvisionedPath[]): Promise<void> {
  if (paths.length === 0) {
    await git.run(worktree, ['add', '--all', '--', '.'], { env });
    return;
  }
  // Pathspecs on stdin: a record may hold more paths than a command line.
  const stdin = (specs: string[]): string => specs.map((s) => `${s}\0`).join('');
  const fromStdin = ['--pathspec-from-file=-', '--pathspec-file-nul'];
  // Exit 1 is git 2.39 naming excluded paths that are also ignored ("The following paths are ignored
  // …"): it adds everything else first. Its other failures (unable to index a file, a lock) are 128.
  await git.run(worktree, ['add', '--all', ...fromStdin], { env, input: stdin(['.', ...paths.map((p) => `:(exclude,literal)${p.path}`)]), okExitCodes: [1] });
  await git.run(worktree, ['reset', '--quiet', ...fromStdin, head], { env, input: stdin(literal(paths)) });
}

/** HEAD's entries at provisioned paths (`ls-tree -r`), for trees Axiom builds entry by entry (salvage). */
export async function headEntriesAt(git: GitRunner, worktree: string, paths: readonly ProvisionedPath[], env?: Record<string, string>): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  for (let i = 0; i < paths.length; i += 500) {
    const chunk = literal(paths.slice(i, i + 500));
    const r = await git.run(worktree, ['ls-tree', '-r', '-z', '--full-tree', 'HEAD', '--', ...chunk], { readOnly: true, okExitCodes: [128], env });
    if (r.exitCode === 0) entries.push(...parseLsTree(r.stdout));
  }
  return entries;
}

/** Provisioned files and links that the agent changed or deleted in `folder` (trees are not compared file by file). */
export function provisionedChanges(folder: string, paths: readonly ProvisionedPath[]): ProvisionedChange[] {
  const changes: ProvisionedChange[] = [];
  for (const p of paths) {
    if (p.kind === 'tree' || !p.sha256) continue;
    const now = hashOf(path.join(folder, p.path));
    if (!now) changes.push({ path: p.path, change: 'deleted' });
    else if (now.kind !== p.kind || now.sha256 !== p.sha256) changes.push({ path: p.path, change: 'changed' });
  }
  return changes;
}

/** "`.env` — provisioned, changed, not kept", one line per change. */
export function describeProvisionedChanges(changes: readonly ProvisionedChange[]): string[] {
  return changes.map((c) => `\`${c.path}\` — provisioned, ${c.change}, not kept`);
}
