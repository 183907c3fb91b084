/** Many at once (issue 19): `spawnMany` — one engine call for Spawn Several, `axiom spawn --count`, MCP `spawn` with `count`. */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, AxiomError, severalIds } from '../../src/core';
import { expectAxiomError, git, makeRepo, makeRepoWithSmudge, repoState, runCli, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

const adminDirs = (r: TempRepo): string[] => {
  const root = path.join(r.dir, '.git', 'worktrees');
  return fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
};

test('spawnMany("try", 3) creates exactly try-1, try-2, try-3: branches, checked-out folders and records, unlocked', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const made = await engine.spawnMany('try', 3, { agent: 'claude', prompt: 'do it' });
  assert.deepEqual(made.map((m) => m.id), ['try-1', 'try-2', 'try-3']);
  for (const m of made) {
    assert.match(m.branch, new RegExp(`^axiom/${m.id}/\\d{13}$`));
    assert.equal(m.path, path.join(repo.parent, `axiom-${m.id}`));
    assert.equal(fs.readFileSync(path.join(m.path, 'src/app.txt'), 'utf8'), 'one\ntwo\nthree\n');
    assert.equal(git(m.path, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), m.branch);
    assert.equal(git(m.path, 'status', '--porcelain'), '');
    const meta = JSON.parse(fs.readFileSync(path.join(m.adminDir, 'axiom.json'), 'utf8'));
    assert.deepEqual([meta.id, meta.base, meta.agent, meta.prompt], [m.id, 'main', 'claude', 'do it']);
    // The branch tracks its base, as a single spawn's does.
    assert.equal(git(repo.dir, 'config', `branch.${m.branch}.merge`).trim(), 'refs/heads/main');
  }
  assert.deepEqual(adminDirs(repo), ['axiom-try-1', 'axiom-try-2', 'axiom-try-3']);
  assert.doesNotMatch(git(repo.dir, 'worktree', 'list', '--porcelain'), /locked/);
  const snap = await engine.snapshot();
  assert.deepEqual(snap.worktrees.filter((w) => w.kind === 'instance').map((w) => w.id).sort(), ['try-1', 'try-2', 'try-3']);
});

test('spawnMany over the limit refuses with LimitReached and creates nothing', async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.maxInstances', '4');
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('a');
  await engine.spawn('b');
  const before = repoState(repo);
  const e = await expectAxiomError(engine.spawnMany('try', 3), 'LimitReached');
  assert.match(e.message, /limit is 4 \(2 live, 2 free\)/);
  assert.equal(repoState(repo), before);
  assert.deepEqual(adminDirs(repo), ['axiom-a', 'axiom-b']);
  // Exactly the room left is fine.
  assert.equal((await engine.spawnMany('try', 2)).length, 2);
});

test('spawnMany with an existing id in the range refuses with AlreadyExists and creates nothing', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('try-2');
  let before = repoState(repo);
  const e = await expectAxiomError(engine.spawnMany('try', 3), 'AlreadyExists');
  assert.deepEqual(e.details.ids, ['try-2']);
  assert.equal(repoState(repo), before);
  // A folder in the way (not an instance) refuses the same way.
  fs.mkdirSync(path.join(repo.parent, 'axiom-new-3'));
  before = repoState(repo);
  const f = await expectAxiomError(engine.spawnMany('new', 3), 'AlreadyExists');
  assert.deepEqual(f.details.paths, [path.join(repo.parent, 'axiom-new-3')]);
  assert.equal(repoState(repo), before);
});

test('spawnMany refuses an invalid prefix or count before anything touches disk', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const before = repoState(repo);
  await expectAxiomError(engine.spawnMany('Bad', 2), 'InvalidId');
  await expectAxiomError(engine.spawnMany('x'.repeat(39), 10), 'InvalidId'); // x…x-10 is 42 characters
  await expectAxiomError(engine.spawnMany('ok', 0), 'InvalidArgument');
  await expectAxiomError(engine.spawnMany('ok', 1.5), 'InvalidArgument');
  await expectAxiomError(engine.spawnMany('ok', 2, { base: 'nope' }), 'BaseNotFound');
  assert.equal(repoState(repo), before);
  assert.deepEqual(severalIds('p', 3), ['p-1', 'p-2', 'p-3']);
});

test('spawnMany: a checkout that fails midway removes that instance; the finished one stays and the error lists it', async () => {
  // A required smudge filter that fails only in try-2's folder (git runs it there) makes that one checkout fail for real.
  repo = makeRepoWithSmudge('case "$PWD" in *try-2) exit 1;; esac; cat');
  const engine = await AxiomEngine.open(repo.dir);
  await assert.rejects(engine.spawnMany('try', 2), (e: unknown) => {
    assert.ok(e instanceof AxiomError, String(e));
    assert.deepEqual([e.details.spawned, e.details.failed], [['try-1'], 'try-2']);
    assert.match(e.message, /Spawned 1 of 2: try-1/);
    return true;
  });
  assert.deepEqual(adminDirs(repo), ['axiom-try-1']);
  assert.equal(fs.existsSync(path.join(repo.parent, 'axiom-try-2')), false);
  assert.deepEqual(git(repo.dir, 'for-each-ref', '--format=%(refname)', 'refs/heads/axiom/').trim().split('\n').map((r) => r.split('/')[3]), ['try-1']);
  // What stays is a finished instance: checked out and unlocked.
  assert.equal(fs.readFileSync(path.join(repo.parent, 'axiom-try-1', 'src/app.txt'), 'utf8'), 'one\ntwo\nthree\n');
  assert.doesNotMatch(git(repo.dir, 'worktree', 'list', '--porcelain'), /locked/);
});

test('axiom spawn <prefix> --count N: N instances in one call, --json lists them; a bad count is a usage error', async () => {
  repo = makeRepo();
  const r = await runCli(['-C', repo.dir, 'spawn', 'cli', '--count', '3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Spawned 3 instances from main: cli-1, cli-2, cli-3/);
  const j = await runCli(['-C', repo.dir, 'spawn', 'js', '--count', '2', '--json', '--no-setup']);
  assert.equal(j.code, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout).instances.map((i: { id: string }) => i.id), ['js-1', 'js-2']);
  const before = repoState(repo);
  for (const bad of ['0', 'two', '']) {
    const u = await runCli(['-C', repo.dir, 'spawn', 'u', '--count', bad]);
    assert.equal(u.code, 2, `--count ${JSON.stringify(bad)}: ${u.stderr}`);
  }
  git(repo.dir, 'config', 'axiom.maxInstances', '6');
  const over = await runCli(['-C', repo.dir, 'spawn', 'over', '--count', '2', '--json']);
  assert.equal(over.code, 3);
  assert.equal(JSON.parse(over.stderr).error.code, 'LimitReached');
  assert.equal(repoState(repo), before);
  const help = await runCli(['help', 'spawn']);
  assert.match(help.stdout, /--count N/);
  assert.match(help.stdout, /spawn <prefix> --count N/);
});
