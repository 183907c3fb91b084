/**
 * Issue 19, hundreds of instances: an operation on one instance reads that instance, never all of
 * them. Counted in git processes and in the files read, never timed.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, GitRunner } from '../../src/core';
import { commitIn, git, makeRepo, writeFile, type TempRepo } from './helpers';
import { parseWorktreeList } from '../../src/core/git/parse';
import { listCheckouts } from '../../src/core/git/worktreeRecord';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/** Git processes a fresh engine (as the CLI and each MCP call open it) starts for `status <id>`. */
async function statusProcesses(dir: string, id: string): Promise<number> {
  const runner = new GitRunner();
  const engine = await AxiomEngine.open(dir, { runner });
  const before = runner.processCount;
  await engine.status(id);
  return runner.processCount - before;
}

test('status <id> starts as many git processes at 20 instances as at 1 (no snapshot of all)', async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.maxInstances', '100');
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('one');
  const atOne = await statusProcesses(repo.dir, 'one');
  // The others are dirty: a snapshot would run `git status` in each of them.
  for (let i = 0; i < 19; i++) writeFile((await engine.spawn(`other${i}`)).path, 'work.txt', 'w\n');
  const atTwenty = await statusProcesses(repo.dir, 'one');
  assert.equal(atTwenty, atOne);
  assert.ok(atOne <= 2, `for-each-ref of its branch and base, and its git status (got ${atOne})`);
});

test('status <id> is exactly the snapshot\'s row of that instance, whatever its state', async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.maxInstances', '100');
  const engine = await AxiomEngine.open(repo.dir);
  // ahead 2, behind 1, with staged, unstaged and untracked changes
  const a = await engine.spawn('a');
  commitIn(a.path, 'a1', { 'a1.txt': 'x\n' });
  commitIn(a.path, 'a2', { 'a2.txt': 'y\n' });
  writeFile(a.path, 'staged.txt', 's\n');
  git(a.path, 'add', 'staged.txt');
  writeFile(a.path, 'src/app.txt', 'changed\n');
  writeFile(a.path, 'new/untracked.txt', 'u\n');
  // conflicts with its base
  const c = await engine.spawn('c');
  commitIn(c.path, 'edit', { 'src/app.txt': 'instance\n' });
  repo.commit('main moves', { 'src/app.txt': 'main\n', 'm.txt': 'm\n' });
  // merged into its base
  const m = await engine.spawn('m');
  commitIn(m.path, 'feature', { 'f.txt': 'f\n' });
  await engine.merge('m');
  // locked by the user, with a reason; locked without one
  const l = await engine.spawn('locked');
  git(repo.dir, 'worktree', 'lock', '--reason', '  mine, keep  ', l.path);
  git(repo.dir, 'worktree', 'lock', (await engine.spawn('locked-bare')).path);
  // folder deleted by hand (prunable); folder kept but its .git file deleted (prunable too)
  fs.rmSync((await engine.spawn('gone')).path, { recursive: true, force: true });
  fs.rmSync(path.join((await engine.spawn('nogit')).path, '.git'));
  // detached HEAD; an unborn branch (no commit); a branch that does not track its base
  git((await engine.spawn('detached')).path, 'checkout', '-q', '--detach', 'HEAD~0');
  git((await engine.spawn('orphan')).path, 'checkout', '-q', '--orphan', 'fresh');
  const u = await engine.spawn('untracking');
  git(u.path, 'branch', '--unset-upstream');
  commitIn(u.path, 'u', { 'u.txt': 'u\n' });
  // a pending terminal and a recorded agent state
  await engine.spawn('term', { launch: 'terminal', agent: 'claude', prompt: 'do it' });

  git(repo.dir, 'worktree', 'add', '-q', '-b', 'feature', path.join(repo.parent, 'foreign'));

  const snap = await (await AxiomEngine.open(repo.dir)).snapshot();
  const ids = ['a', 'c', 'm', 'locked', 'locked-bare', 'gone', 'nogit', 'detached', 'orphan', 'untracking', 'term'];
  for (const id of ids) {
    const row = snap.worktrees.find((w) => w.id === id);
    assert.ok(row, id);
    assert.deepEqual(await (await AxiomEngine.open(repo.dir)).status(id), row, id);
  }
  // The states above are what they claim to be (the comparison is not between two empty rows).
  const by = (id: string) => snap.worktrees.find((w) => w.id === id)!;
  assert.deepEqual([by('a').ahead, by('a').behind, by('a').dirty?.untracked], [2, 3, 1]);
  assert.equal(by('c').conflictsWithBase, true);
  assert.equal(by('m').merged, true);
  assert.deepEqual([by('locked').locked, by('locked').lockReason, by('locked-bare').locked, by('locked-bare').lockReason], [true, 'mine, keep', true, undefined]);
  assert.deepEqual([by('gone').prunable, by('nogit').prunable, by('nogit').dirty], [true, true, null]);
  assert.deepEqual([by('detached').detached, by('detached').branch], [true, null]);
  assert.deepEqual([by('orphan').head, by('orphan').branch], [null, 'fresh']);
  assert.equal(by('untracking').ahead, 1);
  assert.equal(by('term').agentState.phase, 'pending');
});

test('locate finds an instance whose admin dir git did not name after it (custom folder template)', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  // Two folders with the same name: git names the second admin dir "work1".
  await engine.spawn('first', { dirTemplate: '../x/{id}/work' });
  const second = await engine.spawn('second', { dirTemplate: '../y/{id}/work' });
  assert.equal(path.basename(second.adminDir), 'work1');
  assert.equal((await engine.locate('second')).adminDir, second.adminDir);
  assert.equal((await engine.status('second')).path, second.path);
});

test('the worktrees and their branches read from the admin dirs are what git worktree list says (merge decides on them)', async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.maxInstances', '100');
  const engine = await AxiomEngine.open(repo.dir);
  git(repo.dir, 'worktree', 'lock', (await engine.spawn('locked')).path);
  fs.rmSync((await engine.spawn('gone')).path, { recursive: true, force: true });
  fs.rmSync(path.join((await engine.spawn('nogit')).path, '.git'));
  git((await engine.spawn('detached')).path, 'checkout', '-q', '--detach');
  git((await engine.spawn('orphan')).path, 'checkout', '-q', '--orphan', 'fresh');
  await engine.spawn('b');
  await engine.spawn('a');
  git(repo.dir, 'worktree', 'add', '-q', '-b', 'feature', path.join(repo.parent, 'foreign'));
  git(repo.dir, 'worktree', 'add', '-q', '--detach', path.join(repo.parent, 'foreign-detached'));
  const fromGit = parseWorktreeList(git(repo.dir, 'worktree', 'list', '--porcelain', '-z')).map(({ path: p, branchRef, bare, prunable }) => ({ path: p, branchRef, bare, prunable }));
  assert.equal(fromGit.length, 10);
  assert.deepEqual((await listCheckouts(engine.git, engine.repo)).map(({ gitDir: _, ...w }) => w), fromGit);
});

test('a target being rebased in a linked worktree (its HEAD detached meanwhile) still refuses the merge: the admin dirs are read, not git worktree list', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  commitIn(a.path, 'a', { 'a.txt': 'a\n' });
  const f = path.join(repo.parent, 'f');
  git(repo.dir, 'worktree', 'add', '-q', '-b', 'feature', f);
  commitIn(f, 'feature edit', { 'src/app.txt': 'feature\n' });
  repo.commit('main edit', { 'src/app.txt': 'main\n' });
  assert.throws(() => git(f, 'rebase', 'main'), 'the rebase stops on its conflict');
  const before = git(repo.dir, 'rev-parse', 'refs/heads/feature');
  await assert.rejects(engine.merge('a', { into: 'feature' }), (err: unknown) => (err as { code?: string }).code === 'OperationInProgress');
  assert.equal(git(repo.dir, 'rev-parse', 'refs/heads/feature'), before);
});
