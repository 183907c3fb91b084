import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, commitIn, git, makeRepo, runCli, writeFile, type TempRepo } from './helpers';

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

test('usage errors answer in JSON with --json (code Usage), and an option of another verb is refused', async () => {
  repo = makeRepo();
  for (const args of [['spawn', 'a', '--bogus', '--json'], ['--json'], ['merge', 'x', '--force', '--json'], ['frobnicate', '--json']]) {
    const r = await runCli(['-C', repo.dir, ...args]);
    assert.equal(r.code, 2, args.join(' '));
    const doc = JSON.parse(r.stderr);
    assert.equal(doc.error.code, 'Usage', r.stderr);
    assert.equal(r.stdout, '');
  }
  const wrong = await runCli(['-C', repo.dir, 'merge', 'x', '--force']);
  assert.match(wrong.stderr, /--force is not an option of axiom merge/);
});

test('salvage expire --days "" (or a partial number) is a usage error and deletes nothing', async () => {
  repo = makeRepo();
  const s = JSON.parse((await runCli(['-C', repo.dir, 'spawn', 'ex', '--json'])).stdout);
  writeFile(s.path, 'keep.txt', 'keep me\n');
  assert.equal((await runCli(['-C', repo.dir, 'cleanup', 'ex', '--force'])).code, 0);
  for (const days of ['', ' ', '1x', '-1', '0x10', '1e3']) {
    const r = await runCli(['-C', repo.dir, 'salvage', 'expire', '--days', days, '--json']);
    assert.equal(r.code, 2, `--days ${JSON.stringify(days)}: ${r.stderr}`);
  }
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/axiom/salvage/').trim().split('\n').length, 1);
});

test('a deleted current folder: an absolute -C works, without it a clear message (no stack trace)', async () => {
  repo = makeRepo();
  const gone = path.join(repo.parent, 'gone');
  fs.mkdirSync(gone);
  // A shell whose folder is deleted under it, then starts axiom there.
  const script = `cd ${JSON.stringify(gone)} && rmdir ${JSON.stringify(gone)} && exec "$0" "$@"`;
  const run = (args: string[]) => execFileSync('sh', ['-c', script, process.execPath, CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const listed = JSON.parse(run(['-C', repo.dir, 'list', '--json']));
  assert.equal(listed.worktrees.length, 1);
  fs.mkdirSync(gone);
  let failed: { status: number; stderr: string } | null = null;
  try {
    run(['list']);
  } catch (e) {
    failed = e as { status: number; stderr: string };
  }
  assert.ok(failed, 'list in a deleted folder must fail');
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /current folder no longer exists/);
  assert.doesNotMatch(failed.stderr, /\n\s+at /);
});

test('a reader that goes away (axiom list | true) ends the CLI quietly, no stack trace', async () => {
  repo = makeRepo();
  assert.equal((await runCli(['-C', repo.dir, 'spawn', 'p1'])).code, 0);
  // `true` exits before node has started, so every write of the CLI meets a closed pipe (EPIPE).
  const r = spawnSync('sh', ['-c', '"$0" "$1" -C "$2" list --json | true; "$0" "$1" -C "$2" list | true', process.execPath, CLI, repo.dir], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
});
