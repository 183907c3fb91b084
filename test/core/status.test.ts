import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, GitRunner } from '../../src/core';
import { commitIn, git, makeRepo, writeFile, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

test('snapshot: main, instances and foreign worktrees with dirty counts, ahead/behind, lock and prunable', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  const b = await engine.spawn('b');
  // a: 2 commits ahead, then main moves 1 → behind 1; plus staged, unstaged and untracked changes.
  commitIn(a.path, 'a1', { 'a1.txt': 'x\n' });
  commitIn(a.path, 'a2', { 'a2.txt': 'y\n' });
  repo.commit('main moves', { 'm.txt': 'm\n' });
  writeFile(a.path, 'staged.txt', 's\n');
  git(a.path, 'add', 'staged.txt');
  writeFile(a.path, 'src/app.txt', 'changed\n');
  writeFile(a.path, 'new/untracked.txt', 'u\n');
  // A foreign worktree made with plain git, locked; b's folder deleted by hand → prunable.
  git(repo.dir, 'worktree', 'add', '-q', '--lock', '-b', 'feature', path.join(repo.parent, 'foreign'));
  fs.rmSync(b.path, { recursive: true, force: true });

  const snap = await engine.snapshot();
  const byPath = new Map(snap.worktrees.map((w) => [w.path, w]));
  const main = byPath.get(repo.dir)!;
  assert.equal(main.kind, 'main');
  assert.equal(main.branch, 'main');
  const sa = byPath.get(a.path)!;
  assert.equal(sa.kind, 'instance');
  assert.equal(sa.id, 'a');
  assert.equal(sa.base, 'main');
  assert.deepEqual(sa.dirty, { staged: 1, unstaged: 1, untracked: 1, conflicted: 0 });
  assert.equal(sa.ahead, 2);
  assert.equal(sa.behind, 1);
  assert.equal(sa.conflictsWithBase, false);
  assert.equal(sa.merged, false);
  assert.equal(sa.lastCommit?.subject, 'a2');
  assert.ok(sa.createdAt);
  const sb = byPath.get(b.path)!;
  assert.equal(sb.prunable, true);
  assert.equal(sb.dirty, null);
  const foreign = byPath.get(path.join(repo.parent, 'foreign'))!;
  assert.equal(foreign.kind, 'foreign');
  assert.equal(foreign.id, null);
  assert.equal(foreign.locked, true);
});

test('snapshot: conflicts with base and merged state', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const c = await engine.spawn('c');
  commitIn(c.path, 'edit', { 'src/app.txt': 'instance\n' });
  repo.commit('main edit', { 'src/app.txt': 'main\n' });
  const m = await engine.spawn('m');
  commitIn(m.path, 'feature', { 'f.txt': 'f\n' });
  git(repo.dir, 'merge', '-q', '--no-edit', m.branch);
  const snap = await engine.snapshot();
  const sc = snap.worktrees.find((w) => w.id === 'c')!;
  assert.equal(sc.conflictsWithBase, true);
  assert.deepEqual(sc.conflictFiles, ['src/app.txt']);
  const sm = snap.worktrees.find((w) => w.id === 'm')!;
  assert.equal(sm.ahead, 0);
  assert.equal(sm.merged, true);
  assert.equal(snap.worktrees.find((w) => w.id === 'c')!.merged, false);
});

test('refresh of one changed worktree among many costs a fixed number of git processes', async () => {
  repo = makeRepo();
  const runner = new GitRunner();
  const engine = await AxiomEngine.open(repo.dir, { runner });
  const ids = Array.from({ length: 12 }, (_, i) => `w${i}`);
  const git2 = (await engine.settings()).maxInstances;
  assert.equal(git2, 10);
  git(repo.dir, 'config', 'axiom.maxInstances', '20');
  const spawned = [];
  for (const id of ids) spawned.push(await engine.spawn(id));
  await engine.snapshot(); // warm the caches
  writeFile(spawned[3]!.path, 'edited.txt', 'new\n');
  const before = runner.processCount;
  const snap = await engine.snapshot({ changed: [spawned[3]!.path] });
  const used = runner.processCount - before;
  // One status; no worktree list (the admin dirs' files say it); for-each-ref only while a ref changed
  // less than a second ago (racy: statusCache.ts); nothing for the 12 unchanged worktrees.
  assert.ok(used >= 1 && used <= 2, `expected 1–2 git processes, used ${used}`);
  assert.equal(snap.worktrees.find((w) => w.id === 'w3')!.dirty!.untracked, 1);
  // A commit (HEAD moves) in another worktree is picked up even without a file hint.
  commitIn(spawned[5]!.path, 'c', { 'c.txt': 'c\n' });
  const snap2 = await engine.snapshot({ changed: [] });
  assert.equal(snap2.worktrees.find((w) => w.id === 'w5')!.ahead, 1);
});

test('status(id) of one instance and a clear error for an unknown id', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('one');
  const s = await engine.status('one');
  assert.equal(s.id, 'one');
  await assert.rejects(engine.status('two'), /No instance named "two". Known instances: one/);
});

test('agent phase from the hook status file and a pending terminal request', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const t = await engine.spawn('t', { launch: 'terminal' });
  assert.equal((await engine.status('t')).agentState.phase, 'pending');
  fs.appendFileSync(path.join(t.adminDir, 'axiom-status.jsonl'), JSON.stringify({ event: 'Notification', phase: 'waiting', at: new Date().toISOString() }) + '\n');
  assert.equal((await engine.status('t')).agentState.phase, 'waiting');
});

test('reads do not take optional locks: an agent committing in a loop never hits index.lock', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('busy');
  let failures = 0;
  let stop = false;
  const agent = (async () => {
    for (let i = 0; i < 25; i++) {
      try {
        commitIn(a.path, `c${i}`, { [`f${i}.txt`]: `${i}\n` });
      } catch {
        failures++;
      }
      await new Promise((r) => setImmediate(r));
    }
    stop = true;
  })();
  while (!stop) await engine.snapshot({ changed: [a.path] });
  await agent;
  assert.equal(failures, 0);
  assert.equal((await engine.status('busy')).ahead, 25);
});

test('list: an agent that stopped and reported after git began is never shown beside a HEAD from before its last commit (git is asked again)', async () => {
  repo = makeRepo();
  const a = await (await AxiomEngine.open(repo.dir)).spawn('a');
  // The race made deterministic: `worktree list` has read HEAD, and only then does the agent commit
  // and report that it stopped — before the snapshot reads the agent facts (the runner's call returns
  // synchronously up to its first await, so all of it happens before the snapshot reads anything).
  let committed: string | null = null;
  let lists = 0;
  class AgentFinishesMidList extends GitRunner {
    override async out(cwd: string, args: string[], options?: Parameters<GitRunner['out']>[2]): Promise<string> {
      if (args[0] === 'worktree' && args[1] === 'list') lists++;
      if (committed === null && args[0] === 'worktree' && args[1] === 'list') {
        const stale = git(cwd, ...args);
        committed = commitIn(a.path, 'the last commit', { 'last.txt': 'last\n' });
        fs.appendFileSync(path.join(a.adminDir, 'axiom-status.jsonl'), JSON.stringify({ event: 'Stop', phase: 'idle', at: new Date().toISOString() }) + '\n');
        return stale;
      }
      return super.out(cwd, args, options);
    }
  }
  const runner = new AgentFinishesMidList();
  const engine = await AxiomEngine.open(repo.dir, { runner });
  const w = (await engine.snapshot()).worktrees.find((x) => x.id === 'a')!;
  assert.notEqual(committed, null, 'the agent committed while git listed the worktrees');
  assert.equal(w.agentState.phase, 'idle');
  assert.equal(w.head, committed, 'the HEAD after its last commit, not the one worktree list read before it');
  assert.equal(w.lastCommit?.subject, 'the last commit');
  assert.equal(lists, 2, 'worktree list asked again');
});
