/** Real git repositories in temp dirs for the engine tests (no git mocks). */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as assert from 'node:assert/strict';
import { AxiomError } from '../../src/core';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface TempRepo {
  dir: string;
  /** Parent folder: instances land beside the repo as ../axiom-<id>. */
  parent: string;
  write(rel: string, content: string): void;
  commit(message: string, files?: Record<string, string>): string;
  cleanup(): void;
}

export function makeRepo(files: Record<string, string> = { 'README.md': '# test\n', 'src/app.txt': 'one\ntwo\nthree\n' }): TempRepo {
  const parent = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-test-')));
  const dir = path.join(parent, 'repo');
  fs.mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Test');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  const repo: TempRepo = {
    dir,
    parent,
    write(rel, content) {
      writeFile(dir, rel, content);
    },
    commit(message, more = {}) {
      for (const [rel, content] of Object.entries(more)) writeFile(dir, rel, content);
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '--allow-empty', '-m', message);
      return git(dir, 'rev-parse', 'HEAD').trim();
    },
    cleanup() {
      // Retried: a process a failed test left behind may still be writing in .git (ENOTEMPTY).
      fs.rmSync(parent, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
  repo.commit('initial', files);
  return repo;
}

/**
 * A repository whose checkouts run `smudge` as a required filter on every .txt file: a smudge that
 * exits non-zero makes a real checkout step fail (git runs it in the worktree's folder, its $PWD).
 */
export function makeRepoWithSmudge(smudge: string): TempRepo {
  const repo = makeRepo();
  repo.commit('filtered', { '.gitattributes': '*.txt filter=smudged\n' });
  git(repo.dir, 'config', 'filter.smudged.smudge', smudge);
  git(repo.dir, 'config', 'filter.smudged.required', 'true');
  return repo;
}

export function writeFile(dir: string, rel: string, content: string | Buffer): void {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

export function commitIn(dir: string, message: string, files: Record<string, string>): string {
  for (const [rel, content] of Object.entries(files)) writeFile(dir, rel, content);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD').trim();
}

export function branches(dir: string): string[] {
  return git(dir, 'for-each-ref', '--format=%(refname:short)', 'refs/heads').split('\n').filter(Boolean).sort();
}

export function worktreePaths(dir: string): string[] {
  return git(dir, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a separate process; `input` is written to its stdin (else stdin is /dev/null). */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 + 9 : 1), stdout, stderr }));
  });
}

/** Every file under a folder (except .git) with its bytes, for byte-identical comparisons. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Awaits `p` and checks that it fails with an AxiomError of `code`; returns the error. */
export async function expectAxiomError(p: Promise<unknown>, code: string): Promise<AxiomError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AxiomError, `expected an AxiomError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** What a refused operation must leave as it was: branches, worktrees, folders beside the repository. */
export function repoState(r: TempRepo): string {
  return JSON.stringify({ b: branches(r.dir), w: worktreePaths(r.dir), f: fs.readdirSync(r.parent).sort() });
}
