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
import { AxiomEngine, GitRunner, isAxiomError } from '../../src/core';
import { headlessLauncher } from '../../src/agents/raceLauncher';
import { driveSearch, startSearch, type SearchEngine } from '../../src/core/search/search';
import { engineSearchSlots, landSearch, searchDefaults } from '../../src/core/search/searchEngine';
import { findSearch, nodeRef, writeSearch, type SearchNode } from '../../src/core/search/searchRecord';
import { formatProcessIdentity, currentProcessIdentity } from '../../src/core';
import { git, makeRepo, runCli, worktreePaths, type TempRepo } from './helpers';
import { TESTS, recordFor, searchRepo } from './searchStandIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

test('a search on real worktrees reaches all-pass in ≥ 3 rounds within its budget; every node commit is kept by a ref; the best lands once', async () => {
  const f = await searchRepo();
  repo = f.repo;
  const { s, engine, slots } = f;
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
  const reread = await findSearch(engine.git, engine.repo, 'tests');
  assert.deepEqual(reread.nodes, done.nodes, 'every node\'s record is read back after gc');
  assert.equal(git(repo.dir, 'show', `${best.commit}:impl.txt`), Array.from({ length: TESTS }, (_, i) => `fix t${i + 1}\n`).join(''));

  // What the agent choice learned (history --stats): every attempt gained one test.
  const evaluatedAttempts = done.nodes.filter((n) => n.parent !== null && n.state === 'evaluated');
  const stats = JSON.parse((await runCli(['-C', repo.dir, 'history', '--stats', '--json'])).stdout) as { agent: string; evaluated: number; meanGain: number; ucb: number }[];
  const custom = stats.find((a) => a.agent === 'custom')!;
  const [e, p] = [evaluatedAttempts.length, evaluatedAttempts.filter((n) => n.result!.passed).length];
  assert.deepEqual([custom.evaluated, custom.meanGain], [e, 1]);
  assert.ok(Math.abs(custom.ucb - ((e + p) / (2 * e) + Math.SQRT2 * Math.sqrt(Math.log(e) / e))) < 1e-9, `UCB1 of custom: ${custom.ucb}`);
  assert.match((await runCli(['-C', repo.dir, 'history', '--stats'])).stdout, /^agent +attempts +evaluated +pass rate +mean gain +UCB +wins/);

  const landed = await landSearch(engine, 'tests');
  assert.equal(landed.node, best.id);
  assert.equal(git(repo.dir, 'show', 'main:impl.txt').split('\n').filter(Boolean).length, TESTS);
  assert.equal(fs.readFileSync(path.join(repo.dir, 'impl.txt'), 'utf8').split('\n').filter(Boolean).length, TESTS, 'the checked-out base moved with it');
  await assert.rejects(landSearch(engine, 'tests'), (e) => isAxiomError(e, 'AlreadyLanded'));
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir], 'the landing instance is gone');
});

test('a search whose agent breaks a passing test every third attempt still reaches all-pass within its budget: UCT goes on from the better nodes', async () => {
  const f = await searchRepo({ breakEvery: 3 });
  repo = f.repo;
  const { s, engine, slots } = f;
  await startSearch(slots, { name: 'brk', task: 'Make every test pass.', agentCommand: s.agentCommand, evaluate: s.evaluateCommand, attempts: 12, width: 1, parallel: 1, targetScore: TESTS }, await searchDefaults(engine));
  const done = await driveSearch(slots, 'brk', { pollMs: 50 });
  assert.equal(done.stopReason, `the target score ${TESTS} is reached`, JSON.stringify(done.nodes.map((n) => [n.id, n.parent, n.result?.score])));
  const scoreOf = (id: number): number => done.nodes[id]!.result!.score!;
  const broken = done.nodes.filter((n) => n.parent !== null && n.state === 'evaluated' && scoreOf(n.id) < scoreOf(n.parent!));
  assert.ok(broken.length >= 1, 'an attempt broke a passing test');
  assert.ok(broken.every((n) => n.id % 3 === 0));
  assert.ok(done.nodes.filter((n) => n.parent !== null).length <= 12);
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir], 'no slot is left');
});

/** The driver's git, killed on demand: from then on every git process it asks for fails, as after a kill (the engine's own git goes on). */
class KillableGit extends GitRunner {
  killed = false;
  override async run(cwd: string, args: string[], options?: Parameters<GitRunner['run']>[2]): ReturnType<GitRunner['run']> {
    if (this.killed) throw new Error('the driver was killed');
    return super.run(cwd, args, options);
  }
}

test('a driver cut off between an evaluation and the record write that carries its result: nothing is lost (the evaluated commit held by a ref, the slot kept) and resume evaluates it again and finishes, each attempt counted once', async () => {
  const f = await searchRepo();
  repo = f.repo;
  const { s, engine, slots } = f;
  await startSearch(slots, { name: 'cut', task: 'Make every test pass.', agentCommand: s.agentCommand, evaluate: s.evaluateCommand, attempts: 3, width: 1, parallel: 1, select: 'best' }, await searchDefaults(engine));
  // The driver is killed the moment node 2's evaluation has returned: before any record write carries its result.
  const driverGit = new KillableGit();
  let cutCommit = '';
  const cutSlots: SearchEngine = {
    ...slots,
    git: driverGit,
    async evaluate(id, spec) {
      const r = await slots.evaluate(id, spec);
      if (id === 'cut-n2') {
        cutCommit = r.commit;
        driverGit.killed = true;
      }
      return r;
    },
  };
  await assert.rejects(driveSearch(cutSlots, 'cut', { pollMs: 50 }), /the driver was killed/);
  const cut = await findSearch(engine.git, engine.repo, 'cut');
  assert.deepEqual([cut.nodes[1]!.state, cut.nodes[2]!.state, cut.nodes[2]!.instance], ['evaluated', 'running', 'cut-n2'], 'the record names node 2 running in its slot');
  assert.ok(worktreePaths(repo.dir).some((p) => p.endsWith('cut-n2')), 'its slot is not released before its result is written');
  git(repo.dir, 'gc', '-q', '--prune=now');
  assert.match(git(repo.dir, 'for-each-ref', '--contains', cutCommit, '--format=%(refname)', 'refs/axiom/evaluated/'), /refs\/axiom\/evaluated\/cut-n2\//, 'the evaluated commit is held by the evaluation\'s ref');

  const done = await driveSearch(slots, 'cut', { pollMs: 50 });
  assert.equal(done.state, 'done');
  assert.deepEqual(done.nodes.map((n) => [n.id, n.state, n.result?.score]), [[0, 'evaluated', 0], [1, 'evaluated', 1], [2, 'evaluated', 2], [3, 'evaluated', 3]]);
  assert.equal(done.nodes[2]!.commit, cutCommit, 'evaluated again: the same state');
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir], 'no slot is left');
  git(repo.dir, 'gc', '-q', '--prune=now');
  for (const n of done.nodes) assert.equal(git(repo.dir, 'rev-parse', nodeRef('cut', n.id)).trim(), n.commit, `node ${n.id} is kept by its ref`);
  // The history counts an instance's latest evaluation: node 2 is one attempt, not two.
  const rows = JSON.parse((await runCli(['-C', repo.dir, 'history', '--json'])).stdout) as { id: string }[];
  assert.deepEqual(rows.map((r) => r.id).filter((id) => id.startsWith('cut-')).sort(), ['cut-n0', 'cut-n1', 'cut-n2', 'cut-n3']);
});

function evaluated(id: number, parent: number | null, commit: string, passed: boolean, score: number): SearchNode {
  return { id, parent, round: parent === null ? 0 : 1, agent: parent === null ? null : 'custom', prompt: null, instance: null, commit, result: { passed, score, feedback: '', diff: null, evaluatedAt: '' }, state: 'evaluated', createdAt: '' };
}

test('search land: a landing cut off after its merge is recorded, never repeated; one cut off before it is dropped and done; the root, unevaluated nodes and a driven search are refused', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const base = git(repo.dir, 'rev-parse', 'HEAD').trim();
  const sideCommit = (file: string): string => {
    git(repo.dir, 'checkout', '-q', '-b', 'side');
    const sha = repo.commit(`work of ${file}`, { [file]: `from ${file}\n` });
    git(repo.dir, 'checkout', '-q', 'main');
    git(repo.dir, 'branch', '-q', '-D', 'side');
    return sha;
  };
  const [first, second] = [sideCommit('one.txt'), sideCommit('two.txt')];
  // A landing of node 1 that merged, then was killed before it recorded anything more.
  git(repo.dir, 'merge', '-q', '--no-ff', '-m', 'Land node 1 of search cut', first);
  const merged = git(repo.dir, 'rev-parse', 'HEAD').trim();
  const dead = formatProcessIdentity({ pid: 2 ** 22 + 7, startTime: '1' }); // no such process
  const nodesWith = (work: string): SearchNode[] => [evaluated(0, null, base, false, 0), evaluated(1, 0, work, true, 5), { ...evaluated(2, 0, work, false, 1), state: 'running', result: null }];
  const cut = { node: 1, into: 'main', mergedSha: null, at: '2026-01-01T00:00:00.000Z', holder: dead };
  await writeSearch(engine.git, engine.repo, recordFor('cut', base, { state: 'done', nodes: nodesWith(first), landing: { ...cut, next: merged } }), null);
  const resumed = await landSearch(engine, 'cut');
  assert.equal(resumed.resumed, true);
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), merged, 'the merge is not made again');
  assert.equal((await findSearch(engine.git, engine.repo, 'cut')).landed?.node, 1);
  await assert.rejects(landSearch(engine, 'cut'), (e) => isAxiomError(e, 'AlreadyLanded'));

  // One killed before the base moved: its intent is dropped and the landing is done.
  const notMade = git(repo.dir, 'commit-tree', `${second}^{tree}`, '-p', merged, '-p', second, '-m', 'never made').trim();
  const nodes = nodesWith(second);
  await writeSearch(engine.git, engine.repo, recordFor('before', base, { state: 'done', nodes, landing: { ...cut, next: notMade } }), null);
  await assert.rejects(landSearch(engine, 'before', { node: 0 }), /the base itself/);
  await assert.rejects(landSearch(engine, 'before', { node: 2 }), /was not evaluated \(running\)/);
  const landed = await landSearch(engine, 'before');
  assert.equal(landed.node, 1);
  assert.equal(landed.resumed, undefined);
  assert.equal(git(repo.dir, 'show', 'main:two.txt'), 'from two.txt\n');
  assert.equal(fs.readFileSync(path.join(repo.dir, 'two.txt'), 'utf8'), 'from two.txt\n', 'the checked-out base moved with it');

  const driver = { holder: formatProcessIdentity(currentProcessIdentity()), pid: process.pid, claimedAt: '', leaseUntil: new Date(Date.now() + 60_000).toISOString() };
  await writeSearch(engine.git, engine.repo, recordFor('driven', base, { driver, nodes }), null);
  await assert.rejects(landSearch(engine, 'driven'), (e) => isAxiomError(e, 'Locked'));
  assert.equal((await findSearch(engine.git, engine.repo, 'driven')).landing, undefined, 'a refused landing records nothing');
});

test('a search attempt whose agent\'s turn failed is over once its grace is past: its agent (alive, waiting) is stopped and the attempt counts as finished — the race driver\'s rule (attemptEnd); within the grace it is at work', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const slots = engineSearchSlots(engine, headlessLauncher({ cwd: repo.dir, hookScript: null }));
  const base = git(repo.dir, 'rev-parse', 'HEAD').trim();
  await slots.spawnAt('ft-n1', { base: 'main', commit: base }, 'custom', 'do it');
  // An agent that waits alive, as a real Claude does after a failed turn.
  await slots.launch('ft-n1', 'custom', [process.execPath, '-e', 'setTimeout(() => {}, 600000)']);
  const inst = await engine.locate('ft-n1');
  const record = (): { pid: number; endedAt?: string } => JSON.parse(fs.readFileSync(path.join(inst.adminDir, 'axiom-agent.json'), 'utf8')) as { pid: number; endedAt?: string };
  const at = (ms: number): string => new Date(Date.now() - ms).toISOString();
  const events = [
    { event: 'UserPromptSubmit', phase: 'working', at: at(2000) },
    { event: 'StopFailure', phase: 'waiting', at: at(1000), reason: 'authentication_failed: Not logged in' },
  ];
  fs.writeFileSync(path.join(inst.adminDir, 'axiom-status.jsonl'), events.map((e) => JSON.stringify(e) + '\n').join(''));
  git(repo.dir, 'config', 'axiom.agentFailureGraceSeconds', '3600');
  assert.equal(await slots.progress('ft-n1'), 'working', 'within its grace the turn may still go on');
  assert.equal(record().endedAt, undefined, 'its agent runs on');
  // The grace is read once per search driver (as race --wait does): a driver started after the change sees it.
  git(repo.dir, 'config', 'axiom.agentFailureGraceSeconds', '0');
  const later = engineSearchSlots(engine, null);
  assert.equal(await later.progress('ft-n1'), 'finished');
  assert.notEqual(record().endedAt, undefined, 'its agent was stopped before the evaluation');
  await slots.cleanup('ft-n1');
  assert.equal(await slots.progress('ft-n1'), 'gone');
});
