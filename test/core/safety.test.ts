/**
 * Regression tests for every way issue 8 found to lose work, each named after its case. Real
 * repositories in temp dirs; every check looks at git itself, not at what Axiom reports.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, AxiomError, appendAgentEvent } from '../../src/core';
import { setTestHook } from '../../src/core/testHooks';
import { CLI, commitIn, git, makeRepo, readTree, runCli, writeFile, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => {
  setTestHook('merge:before-advance', null);
  setTestHook('cleanup:after-assess', null);
  setTestHook('cleanup:before-salvage', null);
  repo?.cleanup();
});

async function refused(p: Promise<unknown>, code: string): Promise<AxiomError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AxiomError, String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** Is `sha` reachable from some ref (not a reflog, not a worktree HEAD)? */
function reachable(dir: string, sha: string): boolean {
  const refs = git(dir, 'for-each-ref', '--format=%(objectname)').split('\n').filter(Boolean);
  return refs.some((r) => {
    try {
      git(dir, 'merge-base', '--is-ancestor', sha, r);
      return true;
    } catch {
      return false;
    }
  });
}

test('cleanup judges HEAD but deletes the branch: a detached HEAD does not hide the branch commits', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('x');
  const work = commitIn(inst.path, 'precious', { 'p.txt': 'precious\n' });
  git(inst.path, 'switch', '-q', '--detach', 'main');
  const e = await refused(engine.cleanup('x'), 'UnmergedCommits');
  assert.deepEqual(e.details.commits?.map((c) => c.sha), [work]);
  assert.ok(fs.existsSync(inst.path));
  const r = await engine.cleanup('x', { force: true });
  assert.ok(r.salvageRef);
  assert.ok(reachable(repo.dir, work), 'the branch commit is reachable from the salvage ref');
  // Restore puts the branch back at its tip, and the files exactly as the worktree had them (at main,
  // so p.txt shows as an uncommitted deletion: the truth of that worktree).
  const back = await engine.restore(r.salvageRef!, { as: 'x2' });
  assert.equal(git(back.path, 'rev-parse', 'HEAD').trim(), work);
  assert.equal(git(back.path, 'show', 'HEAD:p.txt'), 'precious\n');
  assert.equal(git(back.path, 'status', '--porcelain'), ' D p.txt\n');
});

test('cleanup judges HEAD but deletes the branch: commits made on a detached HEAD are salvaged too', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('d');
  const onBranch = commitIn(inst.path, 'on branch', { 'b.txt': 'b\n' });
  git(inst.path, 'switch', '-q', '--detach', 'HEAD~1');
  const detached = commitIn(inst.path, 'on detached head', { 'd.txt': 'd\n' });
  await refused(engine.cleanup('d'), 'UnmergedCommits');
  await engine.cleanup('d', { force: true });
  assert.ok(reachable(repo.dir, onBranch));
  assert.ok(reachable(repo.dir, detached));
});

test('stale merge record: a squash undone on main makes the instance unmerged again', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('s');
  const work = commitIn(inst.path, 'only copy', { 'only.txt': 'only\n' });
  await engine.merge('s', { strategy: 'squash' });
  assert.equal((await engine.status('s')).merged, true);
  git(repo.dir, 'reset', '-q', '--hard', 'HEAD~1');
  assert.equal((await engine.status('s')).merged, false, 'the record must not outlive the merge');
  await refused(engine.cleanup('s'), 'UnmergedCommits');
  assert.ok(reachable(repo.dir, work));
});

test('work that lives only in a merge commit: cleanup sees it, cherry-pick and rebase refuse rather than drop it', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('m');
  repo.commit('main moves', { 'main.txt': 'main\n' });
  // The agent merges main in and adds a file in the merge commit itself.
  git(inst.path, 'merge', '-q', '--no-ff', '--no-commit', 'main');
  writeFile(inst.path, 'in-merge.txt', 'only in the merge commit\n');
  git(inst.path, 'add', 'in-merge.txt');
  git(inst.path, 'commit', '-q', '-m', 'merge main, plus a file');
  const mergeCommit = git(inst.path, 'rev-parse', 'HEAD').trim();
  await refused(engine.cleanup('m'), 'UnmergedCommits');
  for (const strategy of ['cherry-pick', 'rebase'] as const) {
    const preview = await engine.merge('m', { strategy, preview: true });
    assert.equal(preview.problem?.code, 'StrategyUnsupported', strategy);
    const before = git(repo.dir, 'rev-parse', 'main');
    await refused(engine.merge('m', { strategy }), 'StrategyUnsupported');
    assert.equal(git(repo.dir, 'rev-parse', 'main'), before);
  }
  await engine.merge('m', { strategy: 'squash' });
  assert.equal(git(repo.dir, 'show', 'main:in-merge.txt'), 'only in the merge commit\n');
  // Now the content is in main: cleanup goes ahead, and the merge commit's work is kept on main.
  await engine.cleanup('m');
  assert.equal(reachable(repo.dir, mergeCommit), false, 'the branch is gone…');
  assert.equal(git(repo.dir, 'show', 'main:in-merge.txt'), 'only in the merge commit\n', '…its content is on main');
});

test('checks made before the lock: a commit made while cleanup waits for the lock is not deleted', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('w');
  // Another process holds the repository lock until it is killed.
  const lockJs = path.resolve(__dirname, '..', '..', 'src', 'core', 'instances', 'lock.js');
  const holder = spawn(
    process.execPath,
    ['-e', `require(${JSON.stringify(lockJs)}).withRepoLock(process.argv[1], () => { console.log('held'); setInterval(() => {}, 1000); return new Promise(() => {}); })`, path.join(repo.dir, '.git')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((r) => holder.stdout!.once('data', r));
  const cleanup = engine.cleanup('w').then(
    () => null,
    (e: unknown) => e,
  );
  await new Promise((r) => setTimeout(r, 300)); // cleanup is now waiting for the lock
  const late = commitIn(inst.path, 'committed while cleanup waited', { 'late.txt': 'late\n' });
  holder.kill('SIGKILL');
  const outcome = await cleanup;
  assert.ok(outcome instanceof AxiomError && outcome.code === 'UnmergedCommits', `cleanup must refuse, got ${String(outcome)}`);
  assert.ok(reachable(repo.dir, late));
  assert.ok(fs.existsSync(path.join(inst.path, 'late.txt')));
});

test('checks made before the lock: a file written between the check and the removal is seen after the move', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('r');
  setTestHook('cleanup:after-assess', () => writeFile(inst.path, 'racing.txt', 'written at the last moment\n'));
  await refused(engine.cleanup('r'), 'DirtyWorktree');
  assert.equal(fs.readFileSync(path.join(inst.path, 'racing.txt'), 'utf8'), 'written at the last moment\n', 'moved back in place');
  assert.equal(fs.readdirSync(repo.parent).filter((n) => n.includes('axiom-removing')).length, 0);
  // Forced: the racing file is in the salvage.
  const r = await engine.cleanup('r', { force: true });
  assert.equal(git(repo.dir, 'show', `${r.salvageRef!}:racing.txt`), 'written at the last moment\n');
});

test('a failed merge never rewinds the target: a user commit made during the merge stays on main', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('t');
  commitIn(inst.path, 'instance work', { 'inst.txt': 'i\n' });
  for (const strategy of ['merge', 'squash', 'rebase', 'cherry-pick'] as const) {
    let n = 0;
    // Every time the merge is about to move main, the user commits there first.
    setTestHook('merge:before-advance', () => {
      repo.commit(`user commit ${strategy} ${++n}`, { [`user-${strategy}-${n}.txt`]: 'mine\n' });
    });
    const userBefore = git(repo.dir, 'rev-parse', 'main').trim();
    const e = await refused(engine.merge('t', { strategy }), 'TargetMoved');
    assert.match(e.message, /nothing was changed/);
    const tip = git(repo.dir, 'rev-parse', 'main').trim();
    assert.equal(git(repo.dir, 'log', '-1', '--format=%s', 'main').trim(), `user commit ${strategy} ${n}`);
    git(repo.dir, 'merge-base', '--is-ancestor', userBefore, tip);
    assert.equal(git(repo.dir, 'status', '--porcelain'), '', 'main working tree is clean, at the user commit');
    assert.ok(fs.existsSync(path.join(repo.dir, `user-${strategy}-${n}.txt`)));
    // Once, then quiet: the merge plans again and lands on top of the user's commit.
    let once = false;
    setTestHook('merge:before-advance', () => {
      if (!once) repo.commit(`user commit ${strategy} once`, { [`once-${strategy}.txt`]: 'once\n' });
      once = true;
    });
    const r = await engine.merge('t', { strategy });
    assert.ok('merged' in r && r.merged);
    git(repo.dir, 'merge-base', '--is-ancestor', git(repo.dir, 'rev-parse', 'main~1').trim(), 'main');
    assert.ok(fs.existsSync(path.join(repo.dir, `once-${strategy}.txt`)));
    assert.equal(fs.readFileSync(path.join(repo.dir, 'inst.txt'), 'utf8'), 'i\n');
    setTestHook('merge:before-advance', null);
    git(repo.dir, 'reset', '-q', '--hard', userBefore); // back, for the next strategy (the test's own doing)
  }
});

test('ignored files on the target are never overwritten: a committed .env meets main’s own ignored .env', async () => {
  repo = makeRepo({ '.gitignore': '.env\n', 'a.txt': 'a\n' });
  writeFile(repo.dir, '.env', 'SECRET=main\n');
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('e');
  writeFile(inst.path, '.env', 'SECRET=agent\n');
  git(inst.path, 'add', '-f', '.env');
  git(inst.path, 'commit', '-q', '-m', 'agent commits its .env');
  for (const strategy of ['merge', 'squash', 'rebase', 'cherry-pick'] as const) {
    const preview = await engine.merge('e', { strategy, preview: true });
    assert.deepEqual(preview.overwrites, ['.env'], strategy);
    const e = await refused(engine.merge('e', { strategy }), 'TargetDirty');
    assert.match(e.message, /\.env/);
    assert.equal(fs.readFileSync(path.join(repo.dir, '.env'), 'utf8'), 'SECRET=main\n');
  }
  // An untracked (not ignored) file in the way is refused the same way.
  const other = await engine.spawn('u');
  commitIn(other.path, 'adds notes', { 'notes.txt': 'agent\n' });
  writeFile(repo.dir, 'notes.txt', 'user draft\n');
  await refused(engine.merge('u'), 'TargetDirty');
  assert.equal(fs.readFileSync(path.join(repo.dir, 'notes.txt'), 'utf8'), 'user draft\n');
});

test('nested repositories: commit-all refuses a nested repo; forced cleanup keeps its files and its commits', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('n');
  const nested = path.join(inst.path, 'vendor', 'lib');
  fs.mkdirSync(nested, { recursive: true });
  git(nested, 'init', '-q', '-b', 'trunk');
  git(nested, 'config', 'user.name', 'N');
  git(nested, 'config', 'user.email', 'n@example.com');
  const nestedCommit = commitIn(nested, 'nested work', { 'lib.js': 'module.exports = 1;\n' });
  writeFile(nested, 'draft.txt', 'uncommitted in the nested repo\n');
  const before = git(repo.dir, 'rev-parse', 'main');
  const e = await refused(engine.merge('n', { commitMessage: 'all' }), 'NestedRepository');
  assert.match(e.message, /vendor\/lib/);
  assert.equal(git(repo.dir, 'rev-parse', 'main'), before);
  assert.equal(git(inst.path, 'rev-parse', 'HEAD').trim(), git(repo.dir, 'rev-parse', 'main').trim(), 'instance branch not moved');

  await refused(engine.cleanup('n'), 'DirtyWorktree');
  const r = await engine.cleanup('n', { force: true });
  assert.equal(git(repo.dir, 'show', `${r.salvageRef!}:vendor/lib/lib.js`), 'module.exports = 1;\n');
  assert.equal(git(repo.dir, 'show', `${r.salvageRef!}:vendor/lib/draft.txt`), 'uncommitted in the nested repo\n');
  assert.ok(reachable(repo.dir, nestedCommit), 'the nested repository’s commit is kept in this repository');
});

/** A repository whose main has a submodule `sub` (its source repository beside the superproject). */
function repoWithSubmodule(): TempRepo {
  const made = makeRepo();
  const subSrc = path.join(made.parent, 'subsrc');
  fs.mkdirSync(subSrc);
  git(subSrc, 'init', '-q', '-b', 'main');
  git(subSrc, 'config', 'user.name', 'S');
  git(subSrc, 'config', 'user.email', 's@example.com');
  commitIn(subSrc, 'sub initial', { 's.txt': 's\n' });
  git(made.dir, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', subSrc, 'sub');
  git(made.dir, 'commit', '-q', '-m', 'add submodule');
  return made;
}

test('nested repositories: a commit inside a submodule of the worktree survives a forced cleanup', async () => {
  repo = repoWithSubmodule();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('sm');
  git(inst.path, '-c', 'protocol.file.allow=always', 'submodule', 'update', '-q', '--init');
  const subDir = path.join(inst.path, 'sub');
  git(subDir, 'config', 'user.name', 'S');
  git(subDir, 'config', 'user.email', 's@example.com');
  const subCommit = commitIn(subDir, 'work inside the submodule', { 'new.txt': 'new\n' });
  await assert.rejects(engine.cleanup('sm'), (e: unknown) => e instanceof AxiomError && /sub/.test(e.message));
  const r = await engine.cleanup('sm', { force: true });
  assert.ok(r.salvageRef);
  assert.ok(reachable(repo.dir, subCommit), 'the submodule commit is kept in the superproject');
});

test('nested repositories: uncommitted work inside a submodule survives a forced cleanup (a race landing cleans its losers up this way)', async () => {
  repo = repoWithSubmodule();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('smd');
  git(inst.path, '-c', 'protocol.file.allow=always', 'submodule', 'update', '-q', '--init');
  // Nothing committed anywhere: one file edited and one created inside the submodule.
  writeFile(path.join(inst.path, 'sub'), 's.txt', 'edited inside the submodule\n');
  writeFile(path.join(inst.path, 'sub'), 'draft.txt', 'only here\n');
  await assert.rejects(engine.cleanup('smd'), (e: unknown) => e instanceof AxiomError && /sub/.test(e.message));
  const r = await engine.cleanup('smd', { force: true });
  assert.ok(r.salvageRef, 'a forced cleanup salvages the submodule’s uncommitted work');
  assert.equal(git(repo.dir, 'show', `${r.salvageRef!}:sub/s.txt`), 'edited inside the submodule\n');
  assert.equal(git(repo.dir, 'show', `${r.salvageRef!}:sub/draft.txt`), 'only here\n');
});

test('half-done operations: cleanup run from inside the worktree it removes leaves nothing behind', async () => {
  repo = makeRepo();
  const spawned = JSON.parse((await runCli(['-C', repo.dir, 'spawn', 'in', '--json'])).stdout);
  const r = await runCli(['cleanup', 'in'], { cwd: spawned.path });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.existsSync(spawned.path), false);
  assert.deepEqual(fs.readdirSync(repo.parent).filter((n) => n.startsWith('axiom-')), []);
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/heads/axiom/'), '');
});

test('half-done operations: a cleanup killed after moving the folder aside is undone by repair', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('k');
  commitIn(inst.path, 'work', { 'k.txt': 'k\n' });
  writeFile(inst.path, 'draft.txt', 'draft\n');
  const before = readTree(inst.path);
  // A forced cleanup in a separate process, killed the moment it has moved the folder aside.
  const child = spawn(process.execPath, [CLI, '-C', repo.dir, 'cleanup', 'k', '--force'], { stdio: 'ignore' });
  const aside = await new Promise<string | null>((resolve) => {
    const timer = setInterval(() => {
      const found = fs.readdirSync(repo.parent).find((n) => n.startsWith('axiom-k.axiom-removing-'));
      if (found || child.exitCode !== null) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve(found ?? null);
      }
    }, 1);
  });
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  const report = await engine.repair();
  if (fs.existsSync(path.join(repo.dir, '.git', 'worktrees', 'axiom-k'))) {
    // Killed before it unregistered the worktree: repair moved the folder back, work intact.
    assert.ok(aside === null || report.removals.restored.length === 1 || fs.existsSync(inst.path));
    assert.deepEqual(readTree(inst.path), before);
  } else {
    // Killed after: the salvage was written first; repair deleted the leftover folder.
    assert.equal(fs.readdirSync(repo.parent).filter((n) => n.includes('axiom-removing')).length, 0);
    const salvage = git(repo.dir, 'for-each-ref', '--format=%(refname)', 'refs/axiom/salvage/k/').trim();
    assert.ok(salvage, 'a salvage ref exists');
    assert.equal(git(repo.dir, 'show', `${salvage}:draft.txt`), 'draft\n');
  }
  assert.equal(fs.readdirSync(repo.parent).filter((n) => n.includes('axiom-removing')).length, 0);
});

/** Runs `axiom cleanup <id> --force` in a process that dies (as kill -9 would) right after `step`. */
function cleanupCrashingAfter(id: string, step: string): void {
  const r = spawnSync(process.execPath, [CLI, '-C', repo.dir, 'cleanup', id, '--force'], {
    env: { ...process.env, AXIOM_TEST_HOOKS: '1', AXIOM_TEST_CRASH_AFTER: step },
    encoding: 'utf8',
  });
  assert.equal(r.signal, 'SIGKILL', `the cleanup died at ${step}: ${r.stderr}`);
}

test('half-done operations: a cleanup killed with the folder moved aside is undone by the next operation, not left for repair', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('k');
  writeFile(inst.path, 'draft.txt', 'draft only here\n');
  const before = readTree(inst.path);
  cleanupCrashingAfter('k', 'cleanup-moved-aside');
  assert.equal(fs.existsSync(inst.path), false, 'the folder is aside');
  // Any operation that takes the repository lock finishes or undoes it first: here a spawn.
  await engine.spawn('other');
  assert.deepEqual(readTree(inst.path), before);
  assert.deepEqual(fs.readdirSync(repo.parent).filter((n) => n.includes('axiom-removing')), []);
  assert.equal((await engine.status('k')).dirty?.untracked, 1);
});

test("half-done operations: the folder of a killed cleanup survives `git worktree prune` of the 'missing' worktree", async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('p');
  writeFile(inst.path, 'draft.txt', 'draft only here\n');
  cleanupCrashingAfter('p', 'cleanup-moved-aside');
  // The user prunes the worktree whose folder is missing: its admin dir goes, but nothing was salvaged.
  git(repo.dir, 'worktree', 'prune');
  const report = await engine.repair();
  assert.deepEqual(report.removals.deleted, [], 'never deleted: the cleanup had not unregistered it');
  assert.deepEqual(report.removals.restored, [inst.path]);
  assert.equal(fs.readFileSync(path.join(inst.path, 'draft.txt'), 'utf8'), 'draft only here\n');
});

test('half-done operations: a cleanup killed after it unregistered the worktree leaves only a folder to delete (its work salvaged)', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('u');
  writeFile(inst.path, 'draft.txt', 'draft only here\n');
  cleanupCrashingAfter('u', 'cleanup-unregistered');
  const report = await engine.repair();
  assert.equal(report.removals.deleted.length, 1);
  assert.equal(fs.existsSync(inst.path), false);
  const salvage = git(repo.dir, 'for-each-ref', '--format=%(refname)', 'refs/axiom/salvage/u/').trim();
  assert.equal(git(repo.dir, 'show', `${salvage}:draft.txt`), 'draft only here\n');
});

test('half-done operations: a rebase refused by an untracked file in the target leaves the instance branch as it was', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('rb');
  const tip = commitIn(inst.path, 'adds x', { 'x.txt': 'agent\n' });
  repo.commit('main moves', { 'm.txt': 'm\n' });
  writeFile(repo.dir, 'x.txt', 'user untracked\n');
  await refused(engine.merge('rb', { strategy: 'rebase' }), 'TargetDirty');
  assert.equal(git(repo.dir, 'rev-parse', `refs/heads/${inst.branch}`).trim(), tip);
  assert.equal(git(inst.path, 'rev-parse', 'HEAD').trim(), tip);
  assert.equal(fs.readFileSync(path.join(repo.dir, 'x.txt'), 'utf8'), 'user untracked\n');
});

test('half-done operations: repair re-links a worktree the user moved with mv, and keeps its branch', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('mv');
  const work = commitIn(inst.path, 'work', { 'w.txt': 'w\n' });
  const moved = path.join(repo.parent, 'moved-here');
  fs.renameSync(inst.path, moved);
  const report = await engine.repair();
  assert.deepEqual(report.moved, [{ from: inst.path, to: moved }]);
  assert.equal(report.pruned.length, 0);
  const s = await engine.status('mv');
  assert.equal(s.path, moved);
  assert.equal(s.head, work);
  assert.ok(reachable(repo.dir, work));
});

test('repair never deletes a branch or a detached HEAD that holds work, when the folder is truly gone', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('gone');
  const onBranch = commitIn(inst.path, 'branch work', { 'b.txt': 'b\n' });
  git(inst.path, 'switch', '-q', '--detach');
  const detached = commitIn(inst.path, 'detached work', { 'd.txt': 'd\n' });
  fs.rmSync(inst.path, { recursive: true, force: true });
  const report = await engine.repair();
  assert.deepEqual(report.pruned, [inst.path]);
  assert.equal(report.salvaged.length, 1);
  assert.ok(reachable(repo.dir, onBranch));
  assert.ok(reachable(repo.dir, detached));
  assert.deepEqual(report.orphanBranches, [{ branch: inst.branch, action: 'kept', unmergedCommits: 1 }]);
});

test('crashes: three concurrent cleanups of one id give one success and typed NotFound errors, no stack', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('c3');
  const results = await Promise.all([1, 2, 3].map(() => runCli(['-C', repo.dir, 'cleanup', 'c3', '--json'])));
  assert.equal(results.filter((r) => r.code === 0).length, 1, results.map((r) => r.stderr).join('\n'));
  for (const r of results.filter((x) => x.code !== 0)) {
    assert.equal(JSON.parse(r.stderr).error.code, 'NotFound');
  }
});

test('crashes: a damaged metadata file gives an error row (list works), and repair rewrites it', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('meta');
  for (const damaged of ['{"id": "meta", "bra', '{"id":"meta"}', 'null', '[]']) {
    fs.writeFileSync(path.join(inst.adminDir, 'axiom.json'), damaged);
    const r = await runCli(['-C', repo.dir, 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const row = JSON.parse(r.stdout).worktrees.find((w: { path: string }) => w.path === inst.path);
    assert.match(row.problem, /damaged/);
    const human = await runCli(['-C', repo.dir, 'list']);
    assert.match(human.stdout, /damaged/);
  }
  const report = await engine.repair();
  assert.deepEqual(report.relinked.map((x) => x.id), ['meta']);
  assert.equal((await engine.status('meta')).kind, 'instance');
});

test('messages: git’s whole stderr reaches the message (not just its first line)', async () => {
  const { classifyGitFailure } = await import('../../src/core/errors');
  const e = classifyGitFailure(['merge'], 1, 'error: The following untracked working tree files would be overwritten by merge:\n\ta.txt\n\tb.txt\nPlease move or remove them before you merge.\nAborting');
  assert.match(e.message, /a\.txt/);
  assert.match(e.message, /b\.txt/);
  assert.match(e.message, /Aborting/);
});

test('messages: an empty repository and a bare one say what to do', async () => {
  repo = makeRepo();
  const empty = path.join(repo.parent, 'empty');
  fs.mkdirSync(empty);
  git(empty, 'init', '-q', '-b', 'main');
  const r1 = await runCli(['-C', empty, 'spawn', 'a']);
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /no commit yet/);
  const bare = path.join(repo.parent, 'bare.git');
  git(repo.parent, 'clone', '-q', '--bare', repo.dir, bare);
  const r2 = await runCli(['-C', bare, 'spawn', 'a']);
  assert.match(r2.stderr, /bare repository/);
  const r3 = await runCli(['-C', bare, 'list', '--json']);
  assert.equal(r3.code, 0, r3.stderr);
});

test('a worktree lock the user set blocks cleanup unless forced', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('lk');
  git(repo.dir, 'worktree', 'lock', '--reason', 'on a USB disk', inst.path);
  const e = await refused(engine.cleanup('lk'), 'WorktreeLocked');
  assert.match(e.message, /USB disk/);
  assert.ok(fs.existsSync(inst.path));
  await engine.cleanup('lk', { force: true });
  assert.equal(fs.existsSync(inst.path), false);
});

test('salvage and restore are byte for byte under text=auto, eol=crlf, autocrlf and clean filters', async () => {
  repo = makeRepo({ '.gitattributes': '*.txt text=auto eol=crlf\n*.up filter=upper\n', 'tracked.txt': 'one\r\ntwo\r\n' });
  git(repo.dir, 'config', 'filter.upper.clean', 'tr a-z A-Z');
  git(repo.dir, 'config', 'filter.upper.smudge', 'cat');
  git(repo.dir, 'config', 'core.autocrlf', 'true');
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('bytes');
  writeFile(inst.path, 'tracked.txt', 'one\ntwo changed with LF\n'); // LF where checkout would write CRLF
  writeFile(inst.path, 'new.txt', 'mixed\r\nendings\n');
  writeFile(inst.path, 'secret.up', 'lowercase stays lowercase\n'); // the clean filter would upper-case it
  writeFile(inst.path, 'bin.dat', Buffer.from([0, 13, 10, 10, 13, 255]));
  const before = readTree(inst.path);
  const r = await engine.cleanup('bytes', { force: true });
  const back = await engine.restore(r.salvageRef!, { as: 'bytes2' });
  assert.deepEqual(readTree(back.path), before);
});

test('half-done operations: a cleanup that fails after moving the folder aside puts it back, all of it', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('fail');
  const work = commitIn(inst.path, 'work', { 'w.txt': 'w\n' });
  writeFile(inst.path, 'draft.txt', 'draft\n');
  const before = readTree(inst.path);
  setTestHook('cleanup:before-salvage', () => {
    throw new AxiomError('GitFailed', 'the disk is full (simulated)');
  });
  await refused(engine.cleanup('fail', { force: true }), 'GitFailed');
  assert.deepEqual(readTree(inst.path), before);
  assert.equal(git(repo.dir, 'rev-parse', `refs/heads/${inst.branch}`).trim(), work);
  assert.equal((await engine.status('fail')).kind, 'instance');
  assert.deepEqual(fs.readdirSync(path.join(repo.dir, '.git', 'axiom', 'removals')), []);
  assert.deepEqual(fs.readdirSync(repo.parent).filter((n) => n.includes('axiom-removing')), []);
});

test('an agent still running in a terminal refuses the cleanup; the front end that owns the terminal closes it first', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('term', { agent: 'claude', launch: 'terminal' });
  await engine.updateMetadata('term', (m) => ({ ...m, terminal: { requestedAt: m.createdAt, takenAt: new Date().toISOString() } }));
  await appendAgentEvent(inst.adminDir, { event: 'UserPromptSubmit' });
  const e = await refused(engine.cleanup('term'), 'AgentRunning');
  assert.match(e.message, /terminal/);
  assert.ok(fs.existsSync(inst.path));
  // A refused cleanup (work at risk) never closes the terminal.
  writeFile(inst.path, 'wip.txt', 'wip\n');
  let closed = 0;
  const stopTerminalAgent = async (): Promise<void> => {
    closed++;
    await appendAgentEvent(inst.adminDir, { event: 'SessionEnd' });
  };
  await refused(engine.cleanup('term', { stopTerminalAgent }), 'DirtyWorktree');
  assert.equal(closed, 0);
  fs.rmSync(path.join(inst.path, 'wip.txt'));
  await engine.cleanup('term', { stopTerminalAgent });
  assert.equal(closed, 1);
  assert.equal(fs.existsSync(inst.path), false);
});
