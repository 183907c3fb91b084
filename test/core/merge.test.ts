import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, AxiomError, type MergeResult, type MergeStrategy } from '../../src/core';
import { commitIn, git, makeRepo, readTree, writeFile, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

function log(dir: string, rev = 'main'): string[] {
  return git(dir, 'log', '--format=%s', rev).split('\n').filter(Boolean);
}

async function withWork(engine: AxiomEngine, id: string) {
  const inst = await engine.spawn(id);
  commitIn(inst.path, `${id} one`, { [`${id}-1.txt`]: 'one\n' });
  commitIn(inst.path, `${id} two`, { [`${id}-2.txt`]: 'two\n' });
  return inst;
}

for (const strategy of ['merge', 'squash', 'rebase', 'cherry-pick'] as MergeStrategy[]) {
  for (const checkedOut of [true, false]) {
    test(`merge with ${strategy} into a target ${checkedOut ? 'checked out in the main worktree' : 'checked out nowhere'}`, async () => {
      repo = makeRepo();
      if (!checkedOut) git(repo.dir, 'checkout', '-q', '-b', 'elsewhere');
      repo.commit('main moves on', {}); // target has a commit the instance lacks (forces a real merge)
      if (!checkedOut) git(repo.dir, 'update-ref', 'refs/heads/main', 'HEAD');
      const engine = await AxiomEngine.open(repo.dir);
      const inst = await withWork(engine, 'w');
      const before = git(repo.dir, 'rev-parse', 'main').trim();
      const r = (await engine.merge('w', { strategy })) as MergeResult;
      assert.equal(r.merged, true);
      assert.equal(r.targetWorktree, checkedOut ? repo.dir : null);
      const after = git(repo.dir, 'rev-parse', 'main').trim();
      assert.notEqual(after, before);
      assert.equal(r.newTargetSha, after);
      assert.equal(git(repo.dir, 'merge-base', '--is-ancestor', before, after), '');
      const files = git(repo.dir, 'ls-tree', '-r', '--name-only', 'main');
      assert.match(files, /w-1\.txt/);
      assert.match(files, /w-2\.txt/);
      const subjects = log(repo.dir);
      if (strategy === 'merge') assert.match(subjects[0]!, /^Merge Axiom instance w/);
      if (strategy === 'squash') {
        assert.match(subjects[0]!, /squash 2 commit/);
        assert.equal(git(repo.dir, 'rev-list', '--count', `${before}..main`).trim(), '1');
      }
      if (strategy === 'cherry-pick' || strategy === 'rebase') assert.deepEqual(subjects.slice(0, 2), ['w two', 'w one']);
      if (checkedOut) assert.equal(git(repo.dir, 'status', '--porcelain'), '');
      // The instance now counts as merged, so a plain cleanup goes through.
      assert.equal((await engine.status('w')).merged, true);
      const c = await engine.cleanup('w');
      assert.equal(c.salvageRef, null);
      assert.equal(fs.existsSync(inst.path), false);
    });
  }
}

test('preview reports files and conflicts and changes nothing; the conflicting merge leaves main byte-identical', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('c');
  commitIn(inst.path, 'instance edit', { 'src/app.txt': 'instance\n', 'extra.txt': 'e\n' });
  repo.commit('main edit', { 'src/app.txt': 'main\n' });
  const headBefore = git(repo.dir, 'rev-parse', 'main').trim();
  const treeBefore = readTree(repo.dir);
  const instHead = git(inst.path, 'rev-parse', 'HEAD').trim();

  const p = await engine.merge('c', { preview: true });
  assert.ok(!('merged' in p));
  assert.deepEqual(p.conflicts, ['src/app.txt']);
  assert.deepEqual(p.files.map((f) => f.path).sort(), ['extra.txt', 'src/app.txt']);
  for (const strategy of ['merge', 'squash', 'rebase', 'cherry-pick'] as MergeStrategy[]) {
    await assert.rejects(engine.merge('c', { strategy }), (e: unknown) => e instanceof AxiomError && e.code === 'MergeConflict');
    assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), headBefore);
    assert.deepEqual(readTree(repo.dir), treeBefore);
    assert.equal(git(repo.dir, 'status', '--porcelain'), '');
    assert.equal(git(inst.path, 'rev-parse', 'HEAD').trim(), instHead);
    assert.equal(git(inst.path, 'status', '--porcelain'), '');
  }
});

test('rebase and cherry-pick conflicts found only while replaying also leave everything as it was', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('r');
  // The net change equals main's, so merge-tree sees no conflict, but replaying commit 1 conflicts.
  commitIn(inst.path, 'step 1', { 'src/app.txt': 'temp\n' });
  commitIn(inst.path, 'step 2', { 'src/app.txt': 'main\n', 'more.txt': 'm\n' });
  repo.commit('main edit', { 'src/app.txt': 'main\n' });
  const headBefore = git(repo.dir, 'rev-parse', 'main').trim();
  const instHead = git(inst.path, 'rev-parse', 'HEAD').trim();
  for (const strategy of ['rebase', 'cherry-pick'] as MergeStrategy[]) {
    await assert.rejects(engine.merge('r', { strategy }), (e: unknown) => e instanceof AxiomError && e.code === 'MergeConflict');
    assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), headBefore);
    assert.equal(git(repo.dir, 'status', '--porcelain'), '');
    assert.equal(git(inst.path, 'rev-parse', 'HEAD').trim(), instHead);
    assert.equal(git(inst.path, 'status', '--porcelain'), '');
  }
});

test('uncommitted work in the instance refuses the merge unless a commit message is given', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('d');
  writeFile(inst.path, 'wip.txt', 'wip\n');
  await assert.rejects(engine.merge('d'), (e: unknown) => e instanceof AxiomError && e.code === 'DirtyWorktree' && /wip\.txt/.test(e.message));
  assert.equal(log(repo.dir).length, 1);
  const r = (await engine.merge('d', { commitMessage: 'agent work' })) as MergeResult;
  assert.equal(r.merged, true);
  assert.match(git(repo.dir, 'ls-tree', '-r', '--name-only', 'main'), /wip\.txt/);
  assert.ok(log(repo.dir).includes('agent work'));
});

test('a dirty target working tree refuses the merge and is left untouched', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  await withWork(engine, 't');
  writeFile(repo.dir, 'src/app.txt', 'my local edit\n');
  await assert.rejects(engine.merge('t'), (e: unknown) => e instanceof AxiomError && e.code === 'TargetDirty' && /src\/app\.txt/.test(e.message));
  assert.equal(fs.readFileSync(path.join(repo.dir, 'src/app.txt'), 'utf8'), 'my local edit\n');
  assert.equal(log(repo.dir).length, 1);
});

test('merge into a named target, nothing to merge, unknown strategy and target', async () => {
  repo = makeRepo();
  git(repo.dir, 'branch', 'release');
  const engine = await AxiomEngine.open(repo.dir);
  await withWork(engine, 'n');
  const r = (await engine.merge('n', { into: 'release' })) as MergeResult;
  assert.equal(r.target, 'release');
  assert.match(git(repo.dir, 'ls-tree', '-r', '--name-only', 'release'), /n-1\.txt/);
  assert.doesNotMatch(git(repo.dir, 'ls-tree', '-r', '--name-only', 'main'), /n-1\.txt/);
  await engine.spawn('empty');
  await assert.rejects(engine.merge('empty'), (e: unknown) => e instanceof AxiomError && e.code === 'NothingToMerge');
  await assert.rejects(engine.merge('n', { into: 'nope' }), (e: unknown) => e instanceof AxiomError && e.code === 'BaseNotFound');
  await assert.rejects(engine.merge('n', { strategy: 'octopus' as MergeStrategy }), (e: unknown) => e instanceof AxiomError && e.code === 'InvalidArgument');
});

test('onConflict "leave" leaves the merge in progress in the target worktree for a merge editor', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('l');
  commitIn(inst.path, 'instance edit', { 'src/app.txt': 'instance\n' });
  repo.commit('main edit', { 'src/app.txt': 'main\n' });
  const r = (await engine.merge('l', { onConflict: 'leave' })) as MergeResult;
  assert.equal(r.merged, false);
  assert.equal(r.conflictLeftIn, repo.dir);
  assert.match(git(repo.dir, 'status', '--porcelain'), /^UU src\/app\.txt/m);
  assert.ok(fs.existsSync(path.join(repo.dir, '.git', 'MERGE_HEAD')));
});
