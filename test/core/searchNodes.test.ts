/**
 * What a front end does with a search's record besides driving it (issue 18): Continue (+N
 * attempts) opens an ended search again and the next driver goes on from the recorded tree; the
 * path from the root (the landing modal); what a node changed against its parent (Compare with
 * Parent); a node brought back as a live instance at its commit (Open as Instance).
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, currentProcessIdentity, formatProcessIdentity } from '../../src/core';
import { driveSearch, startSearch } from '../../src/core/search/search';
import { searchDefaults } from '../../src/core/search/searchEngine';
import { findSearch, writeSearch } from '../../src/core/search/searchRecord';
import { continueSearch, nodeChanges, openSearchNode, pathTo } from '../../src/core/search/searchNodes';
import { git, makeRepo, type TempRepo } from './helpers';
import { TESTS, recordFor, searchRepo } from './searchStandIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

const code = (e: unknown): string | undefined => (e as { code?: string }).code;

test('Continue (+N attempts): an ended search gets N more attempts and the next driver goes on from its tree to all-pass; the path, the changes against the parent and Open as Instance show each node', async () => {
  const f = await searchRepo();
  repo = f.repo;
  const { s, engine, slots } = f;
  await startSearch(slots, { name: 'more', task: 'Make every test pass.', agentCommand: s.agentCommand, evaluate: s.evaluateCommand, attempts: 2, width: 1, parallel: 1, select: 'best' }, await searchDefaults(engine));
  const first = await driveSearch(slots, 'more', { pollMs: 50 });
  assert.equal(first.state, 'done');
  assert.equal(first.stopReason, 'all 2 attempts are used');
  await assert.rejects(continueSearch(engine.git, engine.repo, 'more', 0), (e) => code(e) === 'InvalidArgument', 'an ended search needs at least one more attempt');
  await assert.rejects(driveSearch(slots, 'more', { pollMs: 50 }), (e) => code(e) === 'InvalidArgument', 'an ended search is not driven without Continue');

  const opened = await continueSearch(engine.git, engine.repo, 'more', TESTS - 2);
  assert.equal(opened.state, 'running');
  assert.equal(opened.stopReason, undefined);
  assert.equal(opened.budget.attempts, TESTS);
  const done = await driveSearch(slots, 'more', { pollMs: 50 });
  assert.equal(done.state, 'done');
  assert.deepEqual(done.nodes.map((n) => [n.id, n.parent, n.result?.score]), [[0, null, 0], [1, 0, 1], [2, 1, 2], [3, 2, 3], [4, 3, 4]], 'it went on from node 2, not from the base');

  assert.deepEqual(pathTo(done, 4).map((n) => n.id), [0, 1, 2, 3, 4]);
  const c = await nodeChanges(engine.git, engine.repo, done, 3);
  assert.deepEqual([c.parent.id, c.files], [2, [{ status: 'M', path: 'impl.txt' }]]);
  await assert.rejects(nodeChanges(engine.git, engine.repo, done, 0), (e) => code(e) === 'InvalidArgument', 'the base has no parent');

  const inst = await openSearchNode(engine, 'more', 2);
  assert.equal(inst.id, 'more-o2');
  assert.equal(git(inst.path, 'rev-parse', 'HEAD').trim(), done.nodes[2]!.commit);
  assert.equal(fs.readFileSync(path.join(inst.path, 'impl.txt'), 'utf8'), 'fix t1\nfix t2\n');
  assert.equal((await engine.status('more-o2')).base, 'main');
  assert.equal((await findSearch(engine.git, engine.repo, 'more')).sha, done.sha, 'opening a node does not change the search');
  await engine.cleanup('more-o2', { force: true });
});

test('Continue lifts the limit that ended the search (time, target, patience); a landed search, a stopping one with its driver and bad counts are refused, nothing changed', async () => {
  repo = makeRepo({ 'README.md': '# x\n' });
  const engine = await AxiomEngine.open(repo.dir);
  const base = git(repo.dir, 'rev-parse', 'HEAD').trim();
  const at = new Date(Date.now() - 10 * 60_000).toISOString();
  const evaluated = { passed: true, score: 5, feedback: '', diff: null, evaluatedAt: at };
  const nodes = [
    { id: 0, parent: null, round: 0, agent: null, prompt: null, instance: null, commit: base, result: { ...evaluated, score: 1 }, state: 'evaluated' as const, createdAt: at },
    { id: 1, parent: 0, round: 1, agent: 'custom', prompt: 'p', instance: null, commit: base, result: evaluated, state: 'evaluated' as const, createdAt: at },
  ];
  await writeSearch(engine.git, engine.repo, recordFor('ended', base, { createdAt: at, state: 'done', stopReason: 'the target score 5 is reached', endedAt: at, budget: { attempts: 3, minutes: 5, targetScore: 5, patience: 1 }, nodes }), null);
  const c = await continueSearch(engine.git, engine.repo, 'ended', 2);
  assert.equal(c.state, 'running');
  assert.deepEqual(c.budget, { attempts: 3, minutes: null, targetScore: null, patience: null }, '2 more than the 1 it made');
  assert.equal(c.endedAt, undefined);

  await writeSearch(engine.git, engine.repo, recordFor('landed', base, { state: 'done', landed: { node: 1, into: 'main', mergedSha: base, at }, nodes }), null);
  const landed = await findSearch(engine.git, engine.repo, 'landed');
  await assert.rejects(continueSearch(engine.git, engine.repo, 'landed', 2), (e) => code(e) === 'AlreadyLanded');
  const driver = { holder: formatProcessIdentity(currentProcessIdentity()), pid: process.pid, claimedAt: at, leaseUntil: new Date(Date.now() + 60_000).toISOString() };
  await writeSearch(engine.git, engine.repo, recordFor('stopping', base, { state: 'stopping', driver, nodes }), null);
  const stopping = await findSearch(engine.git, engine.repo, 'stopping');
  await assert.rejects(continueSearch(engine.git, engine.repo, 'stopping', 2), (e) => code(e) === 'InvalidArgument');
  for (const bad of [-1, 1.5, 1001]) await assert.rejects(continueSearch(engine.git, engine.repo, 'ended', bad), (e) => code(e) === 'InvalidArgument', String(bad));
  assert.equal((await findSearch(engine.git, engine.repo, 'landed')).sha, landed.sha);
  assert.equal((await findSearch(engine.git, engine.repo, 'stopping')).sha, stopping.sha);
  assert.equal((await findSearch(engine.git, engine.repo, 'ended')).sha, c.sha);
});
