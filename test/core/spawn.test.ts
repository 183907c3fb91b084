import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, AxiomError } from '../../src/core';
import { expectAxiomError, git, makeRepo, makeRepoWithSmudge, repoState, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

const expectCode = expectAxiomError;
const state = repoState;

test('spawn creates branch axiom/{id}/{timestamp}, worktree ../axiom-{id} and metadata', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const before = Date.now();
  const inst = await engine.spawn('solver1', { agent: 'claude', prompt: 'do it' });
  assert.match(inst.branch, /^axiom\/solver1\/\d{13}$/);
  const ts = Number(inst.branch.split('/')[2]);
  assert.ok(ts >= before - 5 && ts <= Date.now());
  assert.equal(inst.path, path.join(repo.parent, 'axiom-solver1'));
  assert.equal(fs.readFileSync(path.join(inst.path, 'src/app.txt'), 'utf8'), 'one\ntwo\nthree\n');
  assert.equal(git(inst.path, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), inst.branch);
  const meta = JSON.parse(fs.readFileSync(path.join(inst.adminDir, 'axiom.json'), 'utf8'));
  assert.equal(meta.id, 'solver1');
  assert.equal(meta.base, 'main');
  assert.equal(meta.agent, 'claude');
  assert.equal(meta.prompt, 'do it');
  assert.equal(path.dirname(inst.adminDir), path.join(repo.dir, '.git', 'worktrees'));
  // The spawn lock is released and the worktree is clean.
  assert.equal(git(inst.path, 'status', '--porcelain'), '');
  assert.doesNotMatch(git(repo.dir, 'worktree', 'list', '--porcelain'), /locked/);
});

test('spawn from inside another worktree resolves paths from the main worktree', async () => {
  repo = makeRepo();
  const a = await (await AxiomEngine.open(repo.dir)).spawn('a');
  const fromWorktree = await AxiomEngine.open(path.join(a.path, 'src'));
  assert.equal(fromWorktree.repo.mainWorktree, repo.dir);
  const b = await fromWorktree.spawn('b');
  assert.equal(b.path, path.join(repo.parent, 'axiom-b'));
});

test('spawn from a named base, a directory template and master as default branch', async () => {
  repo = makeRepo();
  git(repo.dir, 'branch', '-m', 'main', 'master');
  git(repo.dir, 'branch', 'develop');
  const engine = await AxiomEngine.open(repo.dir);
  assert.equal(engine.repo.defaultBranch, 'master');
  const a = await engine.spawn('a', { base: 'develop', dirTemplate: '../wt/{repo}-{id}' });
  assert.equal(a.base, 'develop');
  assert.equal(a.path, path.join(repo.parent, 'wt', 'repo-a'));
  const b = await engine.spawn('b');
  assert.equal(b.base, 'master');
});

test('settings come from git config axiom.*; an explicit option wins', async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.maxInstances', '1');
  git(repo.dir, 'config', 'axiom.worktreeDir', '../cfg-{id}');
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  assert.equal(a.path, path.join(repo.parent, 'cfg-a'));
  await expectCode(engine.spawn('b'), 'LimitReached');
  const b = await engine.spawn('b', { limit: 2, dirTemplate: '../opt-{id}' });
  assert.equal(b.path, path.join(repo.parent, 'opt-b'));
});

test('invalid ids are refused before anything touches disk', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const before = state(repo);
  for (const id of ['', 'Upper', '-lead', '../x', 'a/b', 'a b', 'x'.repeat(41), 'é', 'a..b', 'a.lock', '$(touch x)']) {
    const e = await expectCode(engine.spawn(id), 'InvalidId');
    assert.match(e.message, /instance id/);
  }
  assert.equal(state(repo), before);
});

test('limit reached: the eleventh spawn is refused and leaves nothing', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  for (let i = 0; i < 10; i++) await engine.spawn(`i${i}`);
  const before = state(repo);
  const e = await expectCode(engine.spawn('i10'), 'LimitReached');
  assert.match(e.message, /10 instances are live and the limit is 10/);
  assert.equal(state(repo), before);
});

test('id taken, folder exists ("worktree already exists"), base missing: refused, nothing left behind', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('taken');
  let before = state(repo);
  await expectCode(engine.spawn('taken'), 'AlreadyExists');
  assert.equal(state(repo), before);

  fs.mkdirSync(path.join(repo.parent, 'axiom-busy'));
  fs.writeFileSync(path.join(repo.parent, 'axiom-busy', 'keep.txt'), 'mine');
  before = state(repo);
  const e = await expectCode(engine.spawn('busy'), 'AlreadyExists');
  assert.match(e.message, /already exists/);
  assert.equal(state(repo), before);
  assert.equal(fs.readFileSync(path.join(repo.parent, 'axiom-busy', 'keep.txt'), 'utf8'), 'mine');

  await expectCode(engine.spawn('x', { base: 'nope' }), 'BaseNotFound');
  await expectCode(engine.spawn('x', { base: '--upload-pack=touch /tmp/p' }), 'InvalidArgument');
  assert.equal(state(repo), before);
});

test('"branch already checked out": a leftover worktree of the same id on another path is refused', async () => {
  repo = makeRepo();
  git(repo.dir, 'worktree', 'add', '-q', '-b', 'axiom/dup/1', path.join(repo.parent, 'elsewhere'));
  const engine = await AxiomEngine.open(repo.dir);
  const before = state(repo);
  await expectCode(engine.spawn('dup'), 'BranchCheckedOut');
  assert.equal(state(repo), before);
});

test('a failing checkout rolls back the worktree and the branch', async () => {
  // A required smudge filter that fails makes the checkout step (reset --hard) fail for real.
  repo = makeRepoWithSmudge('false');
  const engine = await AxiomEngine.open(repo.dir);
  const before = state(repo);
  await assert.rejects(engine.spawn('roll'), (e: unknown) => e instanceof AxiomError && /smudge|filter/i.test(e.details.stderr ?? ''));
  assert.equal(state(repo), before);
  assert.equal(fs.existsSync(path.join(repo.parent, 'axiom-roll')), false);
  const admin = path.join(repo.dir, '.git', 'worktrees');
  assert.equal(fs.existsSync(admin) ? fs.readdirSync(admin).length : 0, 0);
});
