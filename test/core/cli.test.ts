import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { commitIn, git, makeRepo, runCli, writeFile, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

test('spawn, list, status, diff, merge, cleanup through the CLI with --json documents', async () => {
  repo = makeRepo();
  const spawn = await runCli(['-C', repo.dir, 'spawn', 'cli1', '--agent', 'claude', '--prompt', 'fix it', '--json']);
  assert.equal(spawn.code, 0, spawn.stderr);
  const inst = JSON.parse(spawn.stdout);
  assert.match(inst.branch, /^axiom\/cli1\/\d+$/);
  assert.equal(inst.metadata.prompt, 'fix it');
  commitIn(inst.path, 'work', { 'w.txt': 'a\nb\n' });

  const list = JSON.parse((await runCli(['-C', repo.dir, 'list', '--json'])).stdout);
  assert.equal(list.worktrees.length, 2);
  const row = list.worktrees.find((w: { id: string }) => w.id === 'cli1');
  assert.equal(row.ahead, 1);
  assert.deepEqual(row.dirty, { staged: 0, unstaged: 0, untracked: 0, conflicted: 0 });

  const human = await runCli(['list'], { cwd: inst.path });
  assert.match(human.stdout, /cli1\s+axiom\/cli1\/\d+\s+clean ↑1 ↓0/);

  const status = JSON.parse((await runCli(['-C', repo.dir, 'status', 'cli1', '--json'])).stdout);
  assert.equal(status.path, inst.path);
  const diff = JSON.parse((await runCli(['-C', repo.dir, 'diff', 'cli1', '--json'])).stdout);
  assert.deepEqual(diff.files, [{ path: 'w.txt', status: 'A', added: 2, deleted: 0 }]);

  const preview = await runCli(['-C', repo.dir, 'merge', 'cli1', '--preview']);
  assert.equal(preview.code, 0);
  assert.match(preview.stdout, /No conflicts/);
  const merge = await runCli(['-C', repo.dir, 'merge', 'cli1', '--strategy', 'squash', '--json']);
  assert.equal(merge.code, 0, merge.stderr);
  assert.equal(JSON.parse(merge.stdout).merged, true);
  const cleanup = await runCli(['-C', repo.dir, 'cleanup', 'cli1']);
  assert.equal(cleanup.code, 0, cleanup.stderr);
  assert.match(cleanup.stdout, /Removed cli1/);
  assert.equal(fs.existsSync(inst.path), false);
});

test('exit codes: 2 usage, 3 refused (dirty, limit), 4 conflict; errors as JSON with a code', async () => {
  repo = makeRepo();
  assert.equal((await runCli(['-C', repo.dir])).code, 2);
  assert.equal((await runCli(['-C', repo.dir, 'frobnicate'])).code, 2);
  assert.equal((await runCli(['-C', repo.dir, 'spawn'])).code, 2);
  assert.equal((await runCli(['-C', repo.dir, 'spawn', 'a', '--bogus'])).code, 2);
  const bad = await runCli(['-C', repo.dir, 'spawn', 'Bad Id', '--json']);
  assert.equal(bad.code, 2);
  assert.equal(JSON.parse(bad.stderr).error.code, 'InvalidId');
  assert.equal((await runCli(['-C', repo.dir, 'merge', 'x', '--strategy', 'octopus'])).code, 2);

  const spawn = JSON.parse((await runCli(['-C', repo.dir, 'spawn', 'd', '--json'])).stdout);
  writeFile(spawn.path, 'dirt.txt', 'x');
  const dirty = await runCli(['-C', repo.dir, 'cleanup', 'd']);
  assert.equal(dirty.code, 3);
  assert.match(dirty.stderr, /dirt\.txt/);
  assert.ok(fs.existsSync(spawn.path));

  git(repo.dir, 'config', 'axiom.maxInstances', '1');
  const limit = await runCli(['-C', repo.dir, 'spawn', 'e', '--json']);
  assert.equal(limit.code, 3);
  assert.equal(JSON.parse(limit.stderr).error.code, 'LimitReached');
  git(repo.dir, 'config', 'axiom.maxInstances', '5');

  const c = JSON.parse((await runCli(['-C', repo.dir, 'spawn', 'c', '--json'])).stdout);
  commitIn(c.path, 'c', { 'src/app.txt': 'instance\n' });
  repo.commit('main', { 'src/app.txt': 'main\n' });
  const conflict = await runCli(['-C', repo.dir, 'merge', 'c', '--json']);
  assert.equal(conflict.code, 4);
  assert.deepEqual(JSON.parse(conflict.stderr).error.details.conflicts, ['src/app.txt']);
  assert.equal((await runCli(['-C', repo.dir, 'merge', 'c', '--preview'])).code, 4);

  const notRepo = await runCli(['-C', repo.parent, 'list']);
  assert.equal(notRepo.code, 1);
  assert.match(notRepo.stderr, /not inside a git repository/);
});

test('salvage list / restore / expire and repair through the CLI', async () => {
  repo = makeRepo();
  const s = JSON.parse((await runCli(['-C', repo.dir, 'spawn', 'sv', '--json'])).stdout);
  writeFile(s.path, 'keep.txt', 'keep me\n');
  const forced = JSON.parse((await runCli(['-C', repo.dir, 'cleanup', 'sv', '--force', '--json'])).stdout);
  assert.match(forced.salvageRef, /^refs\/axiom\/salvage\/sv\//);
  const list = JSON.parse((await runCli(['-C', repo.dir, 'salvage', 'list', '--json'])).stdout);
  assert.equal(list[0].ref, forced.salvageRef);
  const restored = await runCli(['-C', repo.dir, 'salvage', 'restore', forced.salvageRef, '--as', 'sv2']);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(fs.readFileSync(`${repo.parent}/axiom-sv2/keep.txt`, 'utf8'), 'keep me\n');
  assert.equal((await runCli(['-C', repo.dir, 'salvage', 'expire', '--days', 'x'])).code, 2);
  assert.match((await runCli(['-C', repo.dir, 'salvage', 'expire', '--days', '0'])).stdout, /Expired 1/);
  const rep = await runCli(['-C', repo.dir, 'repair']);
  assert.equal(rep.code, 0);
  assert.match(rep.stdout, /Nothing to repair/);
});

test('an inherited environment with an editor, pager, askpass or GIT_DIR does not derail the CLI', async () => {
  repo = makeRepo();
  const env = { EDITOR: 'vi', VISUAL: 'vi', PAGER: 'less', PREFIX: '/usr', SSH_ASKPASS: '/bin/false', GIT_DIR: '/nonexistent', GIT_PAGER: 'less', GIT_EDITOR: 'vi' };
  const r = await runCli(['-C', repo.dir, 'spawn', 'env1', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const list = await runCli(['-C', repo.dir, 'list', '--json'], { env });
  assert.equal(JSON.parse(list.stdout).worktrees.length, 2);
});
