/**
 * A PATH that holds only the programs a test needs. Which programs a machine has is part of the
 * machine: users install `claude`, `codex` and `gemini` globally (in /usr/bin, or beside `node` with
 * nvm), so a test that needs an agent to be missing cannot use the machine's PATH, nor a folder of it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** This process's folder of PATH folders (made at its first use), removed when the process exits. */
let root: string | undefined;
function pathsRoot(): string {
  if (root === undefined) {
    const made = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'axiom-path-'));
    root = made;
    process.once('exit', () => fs.rmSync(made, { recursive: true, force: true }));
  }
  return root;
}

/**
 * A new folder with a link to each of `programs` (found on this process's PATH, /usr/bin or /bin;
 * `node` is this process's own runtime), as a PATH, after the `first` folders. The folders live
 * in one temp folder per process, removed when the process exits: a test run leaves none behind.
 */
export function pathWithOnly(programs: string[], first: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(pathsRoot(), 'bin-'));
  const search = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).concat(['/usr/bin', '/bin']);
  for (const program of programs) {
    const found = program === 'node' ? process.execPath : search.map((d) => path.join(d, program)).find(isExecutable);
    if (found) fs.symlinkSync(found, path.join(dir, program));
  }
  return [...first, dir].join(path.delimiter);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** What a shell and git need to run, without any agent program. */
export const BASIC_PROGRAMS = ['sh', 'bash', 'env', 'node', 'git', 'cat', 'mkdir', 'rm', 'date', 'printf', 'sleep'];
