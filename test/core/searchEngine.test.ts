/**
 * The search on the real engine (issue 18): a repository with K failing "tests", a stand-in agent
 * that reads its prompt's feedback and fixes the one failing test it names, an evaluation that
 * prints its score and an AXIOM_FEEDBACK= line per failing test. Real worktrees, headless agents,
 * the race evaluation path, forced cleanups; then the landing of the best node, once.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, isAxiomError } from '../../src/core';
import { headlessLauncher } from '../../src/agents/raceLauncher';
import { driveSearch, startSearch } from '../../src/core/search';
import { engineSearchSlots, landSearch, searchDefaults } from '../../src/core/searchEngine';
import { nodeRef } from '../../src/core/searchRecord';
import { git, makeRepo, worktreePaths, type TempRepo } from './helpers';
import { TESTS, writeSearchStandIns } from './searchStandIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

test('a search on real worktrees reaches all-pass in ≥ 3 rounds within its budget; every node commit is kept by a ref; the best lands once', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = writeSearchStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const slots = engineSearchSlots(engine, headlessLauncher({ cwd: repo.dir, hookScript: null }));
  await startSearch(slots, { name: 'tests', task: 'Make every test pass.', agentCommand: s.agentCommand, evaluate: s.evaluateCommand, attempts: 12, width: 2, parallel: 2, targetScore: TESTS }, await searchDefaults(engine));
  const done = await driveSearch(slots, 'tests', { pollMs: 50 });

  assert.equal(done.state, 'done');
  assert.equal(done.stopReason, `the target score ${TESTS} is reached`);
  const best = done.nodes.find((n) => n.result?.passed)!;
  assert.ok(best, 'a node passes every test');
  assert.ok(best.round >= 3, `reached in round ${best.round}`);
  assert.ok(done.nodes.filter((n) => n.parent !== null).length <= 12);
  // Each round fixed one more test: a node's score is its parent's + 1.
  for (const n of done.nodes.filter((x) => x.parent !== null && x.state === 'evaluated')) {
    assert.equal(n.result!.score, done.nodes[n.parent!]!.result!.score! + 1, `node ${n.id}`);
  }
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir], 'no slot is left');
  git(repo.dir, 'gc', '-q', '--prune=now');
  for (const n of done.nodes.filter((x) => x.commit)) {
    assert.equal(git(repo.dir, 'rev-parse', nodeRef('tests', n.id)).trim(), n.commit, `node ${n.id} is kept by its ref`);
  }
  assert.equal(git(repo.dir, 'show', `${best.commit}:impl.txt`), Array.from({ length: TESTS }, (_, i) => `fix t${i + 1}\n`).join(''));

  const landed = await landSearch(engine, 'tests');
  assert.equal(landed.node, best.id);
  assert.equal(git(repo.dir, 'show', 'main:impl.txt').split('\n').filter(Boolean).length, TESTS);
  assert.equal(fs.readFileSync(path.join(repo.dir, 'impl.txt'), 'utf8').split('\n').filter(Boolean).length, TESTS, 'the checked-out base moved with it');
  await assert.rejects(landSearch(engine, 'tests'), (e) => isAxiomError(e, 'AlreadyLanded'));
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir], 'the landing instance is gone');
});
