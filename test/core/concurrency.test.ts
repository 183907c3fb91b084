import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { git, makeRepo, runCli, worktreePaths, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

test('20 spawns from 20 processes at once all succeed, then 20 cleanups, with zero git lock errors', async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.maxInstances', '20');
  const ids = Array.from({ length: 20 }, (_, i) => `p${i}`);
  const spawns = await Promise.all(ids.map((id) => runCli(['-C', repo.dir, 'spawn', id, '--json'])));
  for (const r of spawns) {
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /lock/i);
  }
  assert.equal(worktreePaths(repo.dir).length, 21);
  const list = JSON.parse((await runCli(['-C', repo.dir, 'list', '--json'])).stdout);
  assert.equal(list.worktrees.filter((w: { kind: string }) => w.kind === 'instance').length, 20);
  // One more is refused by the limit, cleanly.
  const extra = await runCli(['-C', repo.dir, 'spawn', 'p20']);
  assert.equal(extra.code, 3);

  const cleanups = await Promise.all(ids.map((id) => runCli(['-C', repo.dir, 'cleanup', id])));
  for (const r of cleanups) {
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /lock/i);
  }
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir]);
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/heads/axiom/'), '');
  assert.equal(git(repo.dir, 'worktree', 'prune', '--dry-run', '-v'), '');
});
