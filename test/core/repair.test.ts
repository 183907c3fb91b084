import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine } from '../../src/core';
import { branches, commitIn, git, makeRepo, runCli, worktreePaths, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/** After repair, a repo has no half-made instance: every axiom worktree has metadata and a folder. */
async function assertConsistent(r: TempRepo): Promise<void> {
  const engine = await AxiomEngine.open(r.dir);
  const snap = await engine.snapshot();
  for (const w of snap.worktrees) {
    assert.equal(w.prunable, false, `${w.path} is prunable`);
    assert.equal(w.locked, false, `${w.path} is locked`);
    if (w.branch?.startsWith('axiom/')) assert.equal(w.kind, 'instance', `${w.path} has no metadata`);
  }
  const checkedOut = new Set(snap.worktrees.map((w) => w.branch));
  for (const b of branches(r.dir).filter((b) => b.startsWith('axiom/'))) assert.ok(checkedOut.has(b), `orphan branch ${b}`);
}

for (const step of ['validated', 'worktree-added', 'metadata-written', 'checked-out']) {
  test(`a CLI killed after spawn step "${step}" leaves a repo that one repair makes consistent`, async () => {
    repo = makeRepo();
    const r = await runCli(['-C', repo.dir, 'spawn', 'crash'], { env: { AXIOM_TEST_HOOKS: '1', AXIOM_TEST_CRASH_AFTER: step } });
    assert.notEqual(r.code, 0, 'the CLI should have been killed');
    const fix = await runCli(['-C', repo.dir, 'repair', '--json']);
    assert.equal(fix.code, 0, fix.stderr);
    await assertConsistent(repo);
    // The id is usable again.
    const again = await runCli(['-C', repo.dir, 'spawn', 'crash']);
    assert.equal(again.code, 0, again.stderr);
  });
}

test('repair prunes hand-deleted folders, re-links damaged metadata, deletes empty orphan branches and keeps ones with work', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const gone = await engine.spawn('gone');
  fs.rmSync(gone.path, { recursive: true, force: true });
  const lost = await engine.spawn('lost');
  fs.writeFileSync(path.join(lost.adminDir, 'axiom.json'), '{ torn');
  // Its metadata deleted, a worktree has no record of Axiom making it: a look-alike, never adopted.
  const other = await engine.spawn('other');
  fs.rmSync(path.join(other.adminDir, 'axiom.json'));
  git(repo.dir, 'branch', 'axiom/empty/1', 'main');
  git(repo.dir, 'branch', 'axiom/work/2', 'main');
  const tmp = path.join(repo.parent, 'tmpwt');
  git(repo.dir, 'worktree', 'add', '-q', tmp, 'axiom/work/2');
  commitIn(tmp, 'orphaned work', { 'o.txt': 'o\n' });
  git(repo.dir, 'worktree', 'remove', tmp);

  const report = await engine.repair();
  assert.equal(report.pruned.length, 1);
  assert.deepEqual(report.relinked.map((x) => x.id), ['lost']);
  assert.deepEqual(report.quarantined.map((q) => q.record), [path.join(lost.adminDir, 'axiom.json')]);
  assert.deepEqual(report.lookalikes, [other.path]);
  assert.deepEqual(
    report.orphanBranches.map((b) => [b.branch, b.action]).sort(),
    [
      ['axiom/empty/1', 'deleted'],
      [gone.branch, 'deleted'],
      ['axiom/work/2', 'kept'],
    ].sort(),
  );
  assert.ok(branches(repo.dir).includes('axiom/work/2'));
  assert.equal((await engine.status('lost')).kind, 'instance');
  assert.deepEqual(worktreePaths(repo.dir).sort(), [repo.dir, lost.path, other.path].sort());
  assert.equal((await engine.snapshot()).worktrees.find((w) => w.path === other.path)?.kind, 'foreign');
  // A second repair has nothing left to do but report the kept branch.
  const again = await engine.repair();
  assert.deepEqual([again.pruned, again.relinked, again.removedHalfSpawned], [[], [], []]);
});
