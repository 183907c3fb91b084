/**
 * The record tells the truth (what landed, what conflicts with what), a damaged record never blocks
 * other work, only what Axiom made is Axiom's, and repair fails closed. Issue 17's hostile examples.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine } from '../../src/core';
import { commitIn, git, makeRepo, runCli, writeFile, type TempRepo } from './helpers';
import { solutionOf, writeStandIns } from './standIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

function refExists(dir: string, ref: string): boolean {
  try {
    git(dir, 'rev-parse', '--verify', '--quiet', ref);
    return true;
  } catch {
    return false;
  }
}

function refsUnder(dir: string, prefix: string): string[] {
  return git(dir, 'for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);
}

test('attempts that made no change and failed their evaluation show in history as landed and count as wins', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  // One attempt that changed nothing (its evaluation fails: no solution.txt), one that landed by hand.
  await engine.spawn('idle', { agent: 'claude', prompt: 'do it' });
  const idle = await engine.explore.evaluate('idle', { command: s.evaluateCommand });
  assert.equal(idle.passed, false);
  assert.equal(idle.diff.files, 0);
  await engine.cleanup('idle');
  const real = await engine.spawn('real', { agent: 'codex', prompt: 'do it' });
  commitIn(real.path, 'solution', solutionOf(1));
  await engine.explore.evaluate('real', { command: s.evaluateCommand });
  git(repo.dir, 'merge', '-q', '--no-ff', '-m', 'by hand', real.branch);
  await engine.cleanup('real');

  const history = await engine.explore.history();
  assert.deepEqual(
    history.attempts.map((a) => [a.id, a.passed, a.outcome]),
    [
      ['idle', false, 'cleaned'],
      ['real', true, 'landed'],
    ],
  );
  assert.deepEqual(
    history.agents.map((a) => [a.agent, a.wins]),
    [
      ['claude', 0],
      ['codex', 1],
    ],
  );
});

test('a squash-landed instance does not read "conflicts with main" nor "would lose work" when main moves on over the same file; Clean Up Merged offers it', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('s');
  commitIn(inst.path, 'agent edits app', { 'src/app.txt': 'one\nTWO\nthree\n' });
  const landed = await engine.merge('s', { strategy: 'squash' });
  assert.ok('merged' in landed && landed.merged);
  // The user goes on editing the same lines on main.
  repo.commit('main moves on', { 'src/app.txt': 'one\n2\nthree\nfour\n' });

  const status = await engine.status('s');
  assert.equal(status.merged, true, 'landed by Axiom, unchanged since, its landing commit still in main');
  assert.equal(status.conflictsWithBase, false);
  assert.deepEqual(status.conflictFiles, []);
  const risk = await engine.atRisk('s');
  assert.deepEqual(risk.commits, [], 'nothing is lost: the work is in the landing commit on main');
  // What Clean Up Merged (and cleanup --all --merged-only) select: merged instances.
  const cleaned = await engine.cleanupAll({ mergedOnly: true });
  assert.deepEqual(cleaned.cleaned.map((c) => c.id), ['s']);
  assert.deepEqual(cleaned.refused, []);
});

test('a squash-landed instance that changed after landing, or whose landing main dropped, is not landed', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  commitIn(a.path, 'a edits app', { 'src/app.txt': 'one\nA\nthree\n' });
  await engine.merge('a', { strategy: 'squash' });
  const more = commitIn(a.path, 'a goes on', { 'more.txt': 'more\n' });
  repo.commit('main moves on', { 'src/app.txt': 'one\n2\nthree\n' });
  assert.equal((await engine.status('a')).merged, false, 'a commit after the landing is not in main');
  assert.ok((await engine.atRisk('a')).commits.some((c) => c.sha === more));

  const b = await engine.spawn('b');
  commitIn(b.path, 'b edits readme', { 'README.md': 'b\n' });
  await engine.merge('b', { strategy: 'squash' });
  git(repo.dir, 'reset', '-q', '--hard', 'HEAD~1');
  repo.commit('main rewritten', { 'README.md': 'user\n' });
  assert.equal((await engine.status('b')).merged, false, 'the landing commit is no longer in main');
  assert.equal((await engine.atRisk('b')).commits.length, 1);
});

test('the conflict forecast blames pairs that never touched the file: an instance that conflicts with main is flagged against main only', async () => {
  repo = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
  const engine = await AxiomEngine.open(repo.dir);
  commitIn((await engine.spawn('x')).path, 'x edits a', { 'a.txt': 'x\n' });
  repo.commit('main edits a', { 'a.txt': 'main\n' });
  // Made after main moved: they carry main's a.txt, yet never touched it.
  commitIn((await engine.spawn('y')).path, 'y edits b', { 'b.txt': 'y\n' });
  commitIn((await engine.spawn('z')).path, 'z edits c', { 'c.txt': 'z\n' });
  commitIn((await engine.spawn('w')).path, 'w edits b', { 'b.txt': 'w\n' });
  const f = await engine.explore.conflicts();
  assert.deepEqual(f.withBase, [{ id: 'x', files: ['a.txt'] }]);
  assert.deepEqual(f.pairs, [{ a: 'w', b: 'y', files: ['b.txt'] }], 'only the pair that really conflicts');
  assert.deepEqual(f.clean, ['w', 'z']);
});

test('refs/notes/axiom pointing at a blob: rank, history, evaluate and land --pick work on, with a warning that names axiom repair; repair sets it aside', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { members } = await engine.explore.startRace({ task: 'fix', count: 2, agents: 'claude', prompt: 'fix it', evaluate: s.evaluateCommand, launch: 'none' }, null);
  members.forEach((m, i) => commitIn(m.path, `solution of ${m.id}`, solutionOf(i + 1)));
  fs.writeFileSync(path.join(repo.parent, 'junk'), 'not a notes tree\n');
  const junkSha = git(repo.dir, 'hash-object', '-w', path.join(repo.parent, 'junk')).trim();
  git(repo.dir, 'update-ref', 'refs/notes/axiom', junkSha);

  for (const args of [['history'], ['rank', 'fix']]) {
    const r = await runCli(['-C', repo.dir, ...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /refs\/notes\/axiom is damaged.*axiom repair/);
    assert.doesNotMatch(r.stderr, /Failed to read notes tree/);
    JSON.parse(r.stdout);
  }
  // Evaluating records the result: the damaged ref is kept aside first, never overwritten.
  const ev = await runCli(['-C', repo.dir, 'evaluate', 'fix-1', '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const aside = refsUnder(repo.dir, 'refs/axiom/damaged/');
  assert.equal(aside.length, 1);
  assert.equal(git(repo.dir, 'rev-parse', aside[0]!).trim(), junkSha);
  assert.equal((await engine.explore.rank('fix')).rows.find((r) => r.id === 'fix-1')!.passed, true);
  const land = await runCli(['-C', repo.dir, 'land', 'fix', '--pick', 'fix-1', '--json']);
  assert.equal(land.code, 0, land.stderr);

  // Damaged again: repair sets it aside and says so.
  git(repo.dir, 'update-ref', 'refs/notes/axiom', junkSha);
  const fix = await runCli(['-C', repo.dir, 'repair']);
  assert.equal(fix.code, 0, fix.stderr);
  assert.doesNotMatch(fix.stdout, /Nothing to repair/);
  assert.match(fix.stdout, /Set aside damaged record refs\/notes\/axiom .* at refs\/axiom\/damaged\/notes\/axiom\//);
  assert.ok(!refExists(repo.dir, 'refs/notes/axiom'));
  assert.equal(refsUnder(repo.dir, 'refs/axiom/damaged/').length, 2);
  assert.equal((await runCli(['-C', repo.dir, 'history', '--json'])).stderr, '');
});

test('damaged race, salvage and metadata records are skipped with a warning and set aside by repair; other work goes on', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const good = await engine.spawn('good');
  commitIn(good.path, 'work', { 'g.txt': 'g\n' });
  const bad = await engine.spawn('bad');
  fs.writeFileSync(path.join(bad.adminDir, 'axiom.json'), '{"id": "bad", torn');
  const blob = git(repo.dir, 'hash-object', '-w', path.join(repo.dir, 'README.md')).trim();
  git(repo.dir, 'update-ref', 'refs/axiom/races/broken/1', blob);
  git(repo.dir, 'update-ref', 'refs/axiom/salvage/broken/1', blob);

  for (const args of [['history'], ['salvage', 'list'], ['list']]) {
    const r = await runCli(['-C', repo.dir, ...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /damaged.*axiom repair/, args.join(' '));
  }
  assert.equal((await engine.status('good')).kind, 'instance');
  await engine.cleanup('good', { force: true });

  const report = await engine.repair();
  assert.deepEqual(report.quarantined.map((q) => q.record).sort(), [path.join(bad.adminDir, 'axiom.json'), 'refs/axiom/races/broken/1', 'refs/axiom/salvage/broken/1'].sort());
  for (const q of report.quarantined) {
    if (q.record.startsWith('refs/')) assert.equal(git(repo.dir, 'rev-parse', q.movedTo).trim(), blob, 'the damaged object stays reachable');
    else assert.equal(fs.readFileSync(q.movedTo, 'utf8'), '{"id": "bad", torn');
  }
  // The damaged metadata file was Axiom's own record: the instance is linked again from git.
  assert.deepEqual(report.relinked.map((r) => r.id), ['bad']);
  assert.equal((await engine.status('bad')).kind, 'instance');
  const after = await runCli(['-C', repo.dir, 'history', '--json']);
  assert.equal(after.stderr, '');
});

test('a plain git worktree add ../axiom-d -b axiom/d/123 made by the user is adopted by repair and removed by cleanup --all', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const mine = path.join(repo.parent, 'axiom-d');
  git(repo.dir, 'worktree', 'add', '-q', mine, '-b', 'axiom/d/123');
  writeFile(mine, 'notes.txt', 'the user\'s own notes\n');
  await engine.spawn('e'); // an instance Axiom made, clean: cleanup --all takes it

  const report = await engine.repair();
  assert.deepEqual(report.relinked, []);
  assert.deepEqual(report.lookalikes, [mine]);
  const w = (await engine.snapshot()).worktrees.find((x) => x.path === mine)!;
  assert.equal(w.kind, 'foreign');
  const cli = await runCli(['-C', repo.dir, 'cleanup', '--all', '--json']);
  assert.ok(cli.code === 0 || cli.code === 3, cli.stderr);
  assert.ok(fs.existsSync(path.join(mine, 'notes.txt')), 'the user\'s worktree stays');
  assert.ok(git(repo.dir, 'worktree', 'list').includes(mine));
  assert.ok(!fs.existsSync(path.join(repo.parent, 'axiom-e')), 'Axiom\'s own clean instance was cleaned up');
});

test('repair fails closed: an unfinished spawn whose status cannot be read counts as holding work and is kept', async () => {
  repo = makeRepo();
  const r = await runCli(['-C', repo.dir, 'spawn', 'crash'], { env: { AXIOM_TEST_HOOKS: '1', AXIOM_TEST_CRASH_AFTER: 'checked-out' } });
  assert.notEqual(r.code, 0, 'the CLI should have been killed');
  const folder = path.join(repo.parent, 'axiom-crash');
  writeFile(folder, 'draft.txt', 'written by hand\n');
  const adminDir = path.join(repo.dir, '.git', 'worktrees', 'axiom-crash');
  fs.writeFileSync(path.join(adminDir, 'index'), 'not an index');
  const report = await (await AxiomEngine.open(repo.dir)).repair();
  assert.deepEqual(report.removedHalfSpawned, []);
  assert.deepEqual(report.finishedSpawns, [folder]);
  assert.equal(fs.readFileSync(path.join(folder, 'draft.txt'), 'utf8'), 'written by hand\n');
});
