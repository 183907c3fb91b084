/**
 * Reproducing a folder of the main worktree in an instance (a shared `node_modules`, a `.venv`):
 * hard links, copy-on-write clones or plain copies, file by file. Symbolic links inside are made
 * again with the same target text (never followed); anything that is not a file, folder or link is
 * left out. Nothing is ever written outside `dst`, and `dst` must not exist yet.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mapPool } from '../pool';
import { instanceLinkTarget, type LinkRoots } from './include';

/** What actually happened: `clone` only when the filesystem made copy-on-write clones. */
export type TreeMode = 'hardlink' | 'clone' | 'copy';

export interface TreeResult {
  mode: TreeMode;
  files: number;
  /** Why the requested mode was not used (e.g. "no reflink on this filesystem"), when it was not. */
  fallback?: string;
}

/** Sync file operations in a row before the event loop gets a turn (an extension host must stay responsive). */
const BATCH = 512;
const COPY_CONCURRENCY = 32;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Can this filesystem clone `file` into `dir` (FICLONE: btrfs, XFS with reflink, APFS)? Tried on one
 * real file, then removed: the answer decides whether "clone" is reported as `clone` or `copy`.
 */
export function canReflink(file: string, dir: string): boolean {
  const probe = path.join(dir, `.axiom-reflink-probe-${process.pid}-${Date.now()}`);
  try {
    fs.copyFileSync(file, probe, fs.constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

interface Walked {
  files: [string, string][];
  links: [string, string][];
}

/** Creates the folder structure of `src` under `dst` and lists the files and links to make. */
async function walk(src: string, dst: string): Promise<Walked> {
  const out: Walked = { files: [], links: [] };
  const stack: [string, string][] = [[src, dst]];
  let ops = 0;
  while (stack.length > 0) {
    const [from, to] = stack.pop()!;
    fs.mkdirSync(to);
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
      const a = path.join(from, e.name);
      const b = path.join(to, e.name);
      if (e.isDirectory()) stack.push([a, b]);
      else if (e.isSymbolicLink()) out.links.push([a, b]);
      else if (e.isFile()) out.files.push([a, b]);
    }
    if (++ops % 64 === 0) await yieldToLoop();
  }
  return out;
}

function firstFile(walked: Walked): string | null {
  return walked.files[0]?.[0] ?? null;
}

/**
 * Makes `dst` a reproduction of the folder (or file) `src`. `hardlink` falls back to copies when the
 * two paths are on different filesystems (or links are refused); `clone` is reported as `copy` when
 * the filesystem cannot clone. With `hardlink`, the files directly in `src` (metadata that tools
 * rewrite in place, such as npm's `node_modules/.package-lock.json`) are copied, never linked, so a
 * tool in the instance cannot rewrite the main worktree's copy. Symbolic links into the main
 * worktree (`roots`) are re-pointed at the instance's own path.
 */
export async function reproduceTree(
  src: string,
  dst: string,
  requested: 'hardlink' | 'clone',
  roots?: LinkRoots,
): Promise<TreeResult> {
  if (!fs.lstatSync(src).isDirectory()) return reproduceFile(src, dst, requested, roots);
  const walked = await walk(src, dst);
  for (const [a, b] of walked.links) fs.symlinkSync(roots ? instanceLinkTarget(a, b, roots) : fs.readlinkSync(a), b);
  // The files directly in `src` go last, after the `linkable` ones: they are always among the copies below.
  const nested = walked.files.filter((f) => path.dirname(f[0]) !== src);
  const linkable = requested === 'hardlink' ? nested.length : 0;
  walked.files = [...nested, ...walked.files.filter((f) => path.dirname(f[0]) === src)];
  let mode: TreeMode = requested;
  let fallback: string | undefined;
  let done = 0;
  if (requested === 'hardlink') {
    try {
      for (; done < linkable; done++) {
        const [a, b] = walked.files[done]!;
        fs.linkSync(a, b);
        if (done % BATCH === BATCH - 1) await yieldToLoop();
      }
    } catch (e) {
      mode = 'copy';
      fallback = `hard links refused (${(e as NodeJS.ErrnoException).code ?? String(e)}): copied instead`;
    }
  } else {
    const sample = firstFile(walked);
    if (sample === null || !canReflink(sample, path.dirname(dst))) {
      mode = 'copy';
      if (sample !== null) fallback = 'this filesystem cannot clone (no reflink): copied instead';
    }
  }
  const rest = walked.files.slice(done);
  if (rest.length > 0) {
    // Copies are I/O: several at once. COPYFILE_FICLONE clones when it can and copies otherwise.
    await mapPool(rest, COPY_CONCURRENCY, ([a, b]) =>
      fs.promises.copyFile(a, b, fs.constants.COPYFILE_FICLONE | fs.constants.COPYFILE_EXCL),
    );
  }
  return { mode, files: walked.files.length + walked.links.length, ...(fallback ? { fallback } : {}) };
}

async function reproduceFile(src: string, dst: string, requested: 'hardlink' | 'clone', roots?: LinkRoots): Promise<TreeResult> {
  const st = fs.lstatSync(src);
  if (st.isSymbolicLink()) {
    fs.symlinkSync(roots ? instanceLinkTarget(src, dst, roots) : fs.readlinkSync(src), dst);
    return { mode: requested === 'hardlink' ? 'hardlink' : 'copy', files: 1 };
  }
  // A shared file is what tools rewrite in place (a lockfile, a config): never hard-linked, cloned or copied.
  const singleFile = requested === 'hardlink' ? 'a single shared file is never hard-linked (a tool could rewrite it in place): ' : '';
  try {
    fs.copyFileSync(src, dst, fs.constants.COPYFILE_FICLONE_FORCE | fs.constants.COPYFILE_EXCL);
    return { mode: 'clone', files: 1, ...(singleFile ? { fallback: `${singleFile}cloned` } : {}) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw e;
    await fs.promises.copyFile(src, dst, fs.constants.COPYFILE_EXCL);
    return { mode: 'copy', files: 1, fallback: `${singleFile || 'this filesystem cannot clone (no reflink): '}copied instead` };
  }
}
