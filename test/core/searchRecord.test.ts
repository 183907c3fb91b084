/**
 * The search record in git (issue 18): one ref per search whose commit holds search.json and one
 * blob per node, node refs keeping each node's commit, compare-and-swap updates, damage = a warning.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AxiomEngine, onDamagedRecord } from '../../src/core';
import { findSearch, listSearches, nodeRef, searchRef, updateSearch, validateSearchName, writeSearch } from '../../src/core/search/searchRecord';
import { git, makeRepo, type TempRepo } from './helpers';
import { recordFor } from './searchStandIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

test('a search record is a commit of search.json and one blob per node; each node commit is kept by its ref; versions chain', async () => {
  repo = makeRepo();
  const base = git(repo.dir, 'rev-parse', 'HEAD').trim();
  const engine = await AxiomEngine.open(repo.dir);
  const first = await writeSearch(engine.git, engine.repo, recordFor('fix', base), null);
  assert.equal(first.ref, 'refs/axiom/searches/fix/record');
  assert.deepEqual(git(repo.dir, 'ls-tree', '-r', '--name-only', first.sha).trim().split('\n'), ['nodes/0.json', 'search.json']);
  assert.equal(git(repo.dir, 'rev-parse', nodeRef('fix', 0)).trim(), base);

  const child = repo.commit('child work', { 'x.txt': 'x\n' });
  git(repo.dir, 'reset', '-q', '--hard', base); // the child's commit is reachable only through the search now
  const second = await updateSearch(engine.git, engine.repo, first, (r) => ({
    ...r,
    nodes: [...r.nodes, { id: 1, parent: 0, round: 1, agent: 'custom', prompt: 'p', instance: null, commit: child, result: { passed: true, score: 3, feedback: 'ok', diff: null, evaluatedAt: r.createdAt }, state: 'evaluated', createdAt: r.createdAt }],
  }));
  assert.equal(git(repo.dir, 'rev-parse', `${second.sha}^`).trim(), first.sha, 'the previous version is the parent');
  assert.equal(git(repo.dir, 'rev-parse', nodeRef('fix', 1)).trim(), child);
  // The unchanged root node keeps its blob: an update writes only what changed.
  assert.equal(git(repo.dir, 'rev-parse', `${second.sha}:nodes/0.json`).trim(), git(repo.dir, 'rev-parse', `${first.sha}:nodes/0.json`).trim());
  git(repo.dir, 'gc', '-q', '--prune=now');
  const read = await findSearch(engine.git, engine.repo, 'fix');
  assert.deepEqual(read.nodes.map((n) => [n.id, n.state, n.commit]), [[0, 'pending', base], [1, 'evaluated', child]]);
  assert.equal(git(repo.dir, 'cat-file', '-t', child).trim(), 'commit', 'the node commit survived gc');
});

test('two processes updating one search from the same version both land (compare-and-swap, re-applied); a stale write alone is refused', async () => {
  repo = makeRepo();
  const base = git(repo.dir, 'rev-parse', 'HEAD').trim();
  const engine = await AxiomEngine.open(repo.dir);
  const first = await writeSearch(engine.git, engine.repo, recordFor('cas', base), null);
  await updateSearch(engine.git, engine.repo, first, (r) => ({ ...r, state: 'stopping' }));
  // This one was computed from the old version: it is re-applied to the new one, not written over it.
  const both = await updateSearch(engine.git, engine.repo, first, (r) => ({ ...r, nodes: r.nodes.map((n) => ({ ...n, state: 'evaluated' as const })) }));
  assert.equal(both.state, 'stopping');
  assert.equal(both.nodes[0]!.state, 'evaluated');
  await assert.rejects(writeSearch(engine.git, engine.repo, recordFor('cas', base), { sha: first.sha }));
  await assert.rejects(writeSearch(engine.git, engine.repo, recordFor('cas', base), null), 'a second search of the same name is not created over the first');
  assert.equal((await findSearch(engine.git, engine.repo, 'cas')).state, 'stopping');
});

test('a damaged search record is skipped with a warning and never blocks the other searches', async () => {
  repo = makeRepo();
  const base = git(repo.dir, 'rev-parse', 'HEAD').trim();
  const engine = await AxiomEngine.open(repo.dir);
  await writeSearch(engine.git, engine.repo, recordFor('good', base), null);
  const blob = git(repo.dir, 'hash-object', '-w', '--stdin').trim();
  git(repo.dir, 'update-ref', searchRef('bad'), blob);
  const warnings: string[] = [];
  const off = onDamagedRecord((_r, message) => warnings.push(message));
  try {
    assert.deepEqual((await listSearches(engine.git, engine.repo)).map((s) => s.name), ['good']);
    await assert.rejects(findSearch(engine.git, engine.repo, 'bad'), /cannot be read/);
    await assert.rejects(findSearch(engine.git, engine.repo, 'none'), /No search named "none"\. Searches: bad, good\./);
  } finally {
    off();
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /refs\/axiom\/searches\/bad\/record is damaged \(it names a blob/);
});

test('a search name leaves room for its instances and is a valid id', () => {
  assert.equal(validateSearchName('login-fix'), 'login-fix');
  assert.throws(() => validateSearchName('Bad Name'), /Invalid search name/);
  assert.throws(() => validateSearchName('a'.repeat(36)), /at most 34 characters/);
});
