/**
 * Issue 17, landings: a race lands once (journalled, finished after a kill, never repeated with
 * another member), exactly what was evaluated, never into a target mid-operation; families hold
 * together; salvage before anything that can destroy work.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, type AxiomError } from '../../src/core';
import { setTestHook } from '../../src/core/testHooks';
import { commitIn, expectAxiomError, git, makeRepo, runCli, writeFile, type TempRepo } from './helpers';
import { solutionOf, writeStandIns, type StandIns } from './standIns';

let repo: TempRepo;
afterEach(() => {
  setTestHook('land:before-merge', null);
  repo?.cleanup();
});

async function raceWithSolutions(engine: AxiomEngine, s: StandIns, count = 3, task = 'fix') {
  const { race, members } = await engine.explore.startRace({ task, count, agents: 'claude', prompt: 'fix it', evaluate: s.evaluateCommand, launch: 'none' }, null);
  members.forEach((m, i) => commitIn(m.path, `solution of ${m.id}`, { ...solutionOf(i + 1), [`${m.id}.txt`]: `${m.id}\n` }));
  return { race, members };
}

const mergesInto = (dir: string, base: string): string[] => git(dir, 'log', '--merges', '--format=%s', `${base}..main`).split('\n').filter(Boolean);

test('land killed right after its merge: the next operation records it, a plain land finishes it with the same winner, a third says who landed', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await raceWithSolutions(engine, s);
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  const before = git(repo.dir, 'rev-parse', 'main').trim();

  const killed = await runCli(['-C', repo.dir, 'land', 'fix', '--json'], { env: { AXIOM_TEST_HOOKS: '1', AXIOM_TEST_CRASH_AFTER: 'land-merged' } });
  assert.notEqual(killed.code, 0, 'the landing was killed');
  const afterKill = git(repo.dir, 'rev-parse', 'main').trim();
  assert.notEqual(afterKill, before, 'its merge had moved main');
  assert.deepEqual(mergesInto(repo.dir, before), ['Land fix-3, winner of race fix']);
  assert.equal((await engine.explore.race('fix')).landed, undefined, 'killed before it recorded anything');

  // Any Axiom operation on the repository records the landing (with its winner) first.
  await engine.spawn('bystander');
  const recorded = (await engine.explore.race('fix')).landed!;
  assert.equal(recorded.winner, 'fix-3');
  assert.equal(recorded.mergedSha, afterKill);
  assert.deepEqual(recorded.pending!.map((p) => [p.id, p.action]), [['fix-1', 'salvage'], ['fix-2', 'salvage'], ['fix-3', 'winner']]);
  assert.ok(members.every((m) => fs.existsSync(m.path)), 'the cleanups are left for the next land');

  const finished = await engine.explore.land('fix');
  assert.equal(finished.resumed, true);
  assert.equal(finished.winner, 'fix-3');
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), afterKill, 'nothing else was merged');
  assert.deepEqual([...finished.cleaned].sort(), ['fix-1', 'fix-2', 'fix-3']);
  assert.deepEqual(finished.salvaged.map((x) => x.id), ['fix-1', 'fix-2']);
  const landed = (await engine.explore.race('fix')).landed!;
  assert.equal(landed.pending, undefined);
  assert.equal(landed.winner, 'fix-3');

  const again = await expectAxiomError(engine.explore.land('fix'), 'AlreadyLanded');
  assert.match(again.message, /fix-3 was merged into main at .* as commit [0-9a-f]{40}/);
  assert.ok(again.message.includes(afterKill));
  const cli = await runCli(['-C', repo.dir, 'land', 'fix', '--json']);
  assert.equal(JSON.parse(cli.stderr).error.code, 'AlreadyLanded');
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), afterKill);
});

test('a second land of a landed race says which member landed (not "no live member passed")', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race } = await raceWithSolutions(engine, s);
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  const first = await engine.explore.land('fix', { keepLosers: true });
  const main = git(repo.dir, 'rev-parse', 'main').trim();
  // The losers are still live and fix-1 passed: still the race landed once.
  const e = await expectAxiomError(engine.explore.land('fix'), 'AlreadyLanded');
  assert.match(e.message, new RegExp(`${first.winner} was merged into main .* as commit ${main}`));
  await expectAxiomError(engine.explore.land('fix', { pick: 'fix-1' }), 'AlreadyLanded');
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), main);
});

test('of two concurrent lands of one race, one lands and the other is told so', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race } = await raceWithSolutions(engine, s);
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  const other = await AxiomEngine.open(repo.dir);
  const before = git(repo.dir, 'rev-parse', 'main').trim();
  const results = await Promise.allSettled([engine.explore.land('fix'), other.explore.land('fix', { pick: 'fix-1' })]);
  const landed = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(landed.length, 1);
  assert.equal(refused.length, 1);
  assert.equal((refused[0]!.reason as AxiomError).code, 'AlreadyLanded');
  assert.equal(mergesInto(repo.dir, before).length, 1, 'main got one landing');
});

test('an evaluation command that runs git reset --hard HEAD~1: the commit it evaluated is held by a ref through cleanup and gc', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('x');
  const evaluated = commitIn(inst.path, 'the work that passes', { 'work.txt': 'passes\n' });
  const r = await engine.explore.evaluate('x', { command: 'git reset -q --hard HEAD~1' });
  assert.equal(r.passed, true);
  assert.equal(r.commit, evaluated);
  assert.notEqual(git(inst.path, 'rev-parse', 'HEAD').trim(), evaluated, 'the command moved HEAD back');
  const refs = git(repo.dir, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/axiom/evaluated/');
  assert.match(refs, new RegExp(`^refs/axiom/evaluated/x/\\d+ ${evaluated}$`, 'm'));
  await engine.cleanup('x', { force: true });
  git(repo.dir, 'reflog', 'expire', '--expire=now', '--all');
  git(repo.dir, 'gc', '-q', '--prune=now');
  assert.equal(git(repo.dir, 'cat-file', '-t', evaluated).trim(), 'commit', 'the attempt that passed is still there');
  assert.equal(git(repo.dir, 'show', `${evaluated}:work.txt`), 'passes\n');
});

test('the winner evaluated with uncommitted work: a file written after the evaluation is not committed into main; land refuses as stale and names it', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await raceWithSolutions(engine, s, 1);
  writeFile(members[0]!.path, 'evaluated.txt', 'in the evaluated state\n');
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  const before = git(repo.dir, 'rev-parse', 'main').trim();
  // Written after the landing checked the winner, before its merge (a formatter, a dev server).
  setTestHook('land:before-merge', () => writeFile(members[0]!.path, 'late.log', 'written after the evaluation\n'));
  const e = await expectAxiomError(engine.explore.land('fix'), 'StaleEvaluation');
  assert.match(e.message, /late\.log \(added\)/);
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), before, 'nothing landed');
  assert.equal((await engine.explore.race('fix')).landed, undefined);
  assert.ok(fs.existsSync(members[0]!.path));
});

test('land merges exactly the evaluated state (uncommitted work included, as the very evaluated tree)', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await raceWithSolutions(engine, s, 1);
  writeFile(members[0]!.path, 'evaluated.txt', 'in the evaluated state\n');
  const [outcome] = await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  assert.ok(outcome && 'result' in outcome);
  const r = await engine.explore.land('fix');
  assert.equal(git(repo.dir, 'show', 'main:evaluated.txt'), 'in the evaluated state\n');
  // The landed commit carries the evaluated tree itself.
  assert.equal(git(repo.dir, 'rev-parse', `${r.merged.newTargetSha}^2^{tree}`).trim(), outcome.result.tree);
  assert.match(git(repo.dir, 'log', '-1', '--format=%s', `${r.merged.newTargetSha}^2`), /work evaluated in race fix/);
});

test("merge x while main's worktree is mid-rebase refuses (OperationInProgress); main does not move under the rebase; land --all refuses too", async () => {
  repo = makeRepo({ 'shared.txt': 'base\n' });
  const engine = await AxiomEngine.open(repo.dir);
  const x = await engine.spawn('x');
  commitIn(x.path, 'x work', { 'x.txt': 'x\n' });
  git(repo.dir, 'switch', '-q', '-c', 'other');
  repo.commit('other side', { 'shared.txt': 'other\n' });
  git(repo.dir, 'switch', '-q', 'main');
  repo.commit('main side', { 'shared.txt': 'main\n' });
  const main = git(repo.dir, 'rev-parse', 'main').trim();
  assert.throws(() => git(repo.dir, 'rebase', 'other'), 'the rebase stops on its conflict');
  assert.equal(git(repo.dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), 'HEAD', 'detached while rebasing');

  const e = await expectAxiomError(engine.merge('x'), 'OperationInProgress');
  assert.match(e.message, /main is in the middle of a rebase at /);
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), main);
  const preview = await engine.merge('x', { preview: true });
  assert.equal(preview.problem?.code, 'OperationInProgress');
  await expectAxiomError(engine.explore.landAll(), 'OperationInProgress');
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), main);
  assert.ok(fs.existsSync(path.join(repo.dir, '.git', 'rebase-merge')), 'the rebase is still there to finish');
});

test('spawn b --from a, both commit: cleanup a refuses and names b; forced, b is re-based onto main and stays visible to list, conflicts, merge and land --all', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  commitIn(a.path, 'a work', { 'a.txt': 'a\n' });
  const b = await engine.spawn('b', { from: 'a' });
  commitIn(b.path, 'b work', { 'b.txt': 'b\n' });

  const refused = await expectAxiomError(engine.cleanup('a'), 'HasChildren');
  assert.match(refused.message, /spawned from it \(b\)/);
  assert.ok(fs.existsSync(a.path));
  const cli = await runCli(['-C', repo.dir, 'cleanup', 'a', '--json']);
  assert.equal(JSON.parse(cli.stderr).error.code, 'HasChildren');

  const gone = await engine.cleanup('a', { force: true });
  assert.deepEqual(gone.rebasedChildren, ['b']);
  const status = await engine.status('b');
  assert.equal(status.base, 'main');
  assert.equal(status.metadata?.parent, null);
  assert.ok((await engine.snapshot()).worktrees.some((w) => w.id === 'b'));
  assert.deepEqual((await engine.explore.conflicts()).order, ['b']);
  assert.equal((await engine.merge('b', { preview: true })).target, 'main');
  const all = await engine.explore.landAll();
  assert.deepEqual(all.landed.map((l) => [l.id, l.into]), [['b', 'main']]);
  assert.equal(git(repo.dir, 'show', 'main:a.txt'), 'a\n', "a's commits came with b");
  assert.equal(git(repo.dir, 'show', 'main:b.txt'), 'b\n');
});

test('land --all lists a landed parent that stays for its children instead of skipping it silently', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  commitIn(a.path, 'a work', { 'a.txt': 'a\n' });
  await engine.spawn('b', { from: 'a' });
  const all = await engine.explore.landAll();
  assert.deepEqual(all.landed.map((l) => l.id), ['a']);
  assert.equal(all.kept.length, 1);
  assert.equal(all.kept[0]!.id, 'a');
  assert.match(all.kept[0]!.reason, /live children \(b\)/);
});

test('a merge whose base branch is gone says how to go on (--into)', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  const b = await engine.spawn('b', { from: 'a' });
  commitIn(b.path, 'b work', { 'b.txt': 'b\n' });
  git(repo.dir, 'worktree', 'remove', '--force', a.path);
  git(repo.dir, 'branch', '-D', a.branch);
  const e = await expectAxiomError(engine.merge('b'), 'BaseNotFound');
  assert.match(e.message, /axiom merge b --into main/);
  await engine.merge('b', { into: 'main' });
  assert.equal(git(repo.dir, 'show', 'main:b.txt'), 'b\n');
});

const DESTRUCTIVE_TEARDOWN = { '.axiom.json': JSON.stringify({ teardown: ['git clean -fdq', 'git checkout -q -- .'] }) };

test('"teardown": ["git clean -fdq", "git checkout -q -- ."]: a forced cleanup writes the salvage before the teardown runs; the uncommitted and untracked work is in it', async () => {
  repo = makeRepo({ 'README.md': '# test\n', ...DESTRUCTIVE_TEARDOWN });
  const engine = await AxiomEngine.open(repo.dir);
  const x = await engine.spawn('x');
  const committed = commitIn(x.path, 'x work', { 'committed.txt': 'c\n' });
  writeFile(x.path, 'README.md', '# changed, uncommitted\n');
  writeFile(x.path, 'new/untracked.txt', 'untracked work\n');
  const refused = await expectAxiomError(engine.cleanup('x'), 'DirtyWorktree');
  assert.match(refused.message, /untracked\.txt/);
  const r = await engine.cleanup('x', { force: true });
  assert.equal(r.teardown?.state, 'succeeded');
  assert.ok(r.salvageRef);
  assert.equal(git(repo.dir, 'show', `${r.salvageRef}:README.md`), '# changed, uncommitted\n');
  assert.equal(git(repo.dir, 'show', `${r.salvageRef}:new/untracked.txt`), 'untracked work\n');
  assert.equal(git(repo.dir, 'merge-base', '--is-ancestor', committed, r.salvageRef!), '');
});

test("a destructive teardown: land's losers keep their uncommitted and untracked work in their salvage", async () => {
  repo = makeRepo({ 'README.md': '# test\n', ...DESTRUCTIVE_TEARDOWN });
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await raceWithSolutions(engine, s, 3);
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  writeFile(members[0]!.path, 'README.md', '# fix-1 uncommitted\n');
  writeFile(members[0]!.path, 'scratch/notes.txt', 'fix-1 untracked\n');
  const r = await engine.explore.land('fix');
  assert.equal(r.winner, 'fix-3');
  const fix1 = r.salvaged.find((x) => x.id === 'fix-1')!.ref;
  assert.equal(git(repo.dir, 'show', `${fix1}:README.md`), '# fix-1 uncommitted\n');
  assert.equal(git(repo.dir, 'show', `${fix1}:scratch/notes.txt`), 'fix-1 untracked\n');
});
