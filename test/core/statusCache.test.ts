/**
 * What a status refresh reuses (issue 19, statusCache.ts): the admin dirs' files, the worktree list
 * built from them and the refs, each validated by the file system's stats. A refresh sees a change
 * made by another process, or by hand, without being told which worktree it concerns. Counted in git
 * processes and files read, never timed.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, GitRunner, type Snapshot } from '../../src/core';
import { commitIn, git, makeRepo, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/** Moves every file and folder under `dir` ten seconds into the past: what the caches see of a state that settled. */
function backdate(...dirs: string[]): void {
  const past = new Date(Date.now() - 10_000);
  const walk = (p: string): void => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
    fs.utimesSync(p, past, past);
  };
  for (const d of dirs) walk(d);
}

async function opened(dir: string): Promise<{ engine: AxiomEngine; runner: GitRunner }> {
  const runner = new GitRunner();
  return { engine: await AxiomEngine.open(dir, { runner }), runner };
}

/** A refresh that names no worktree (what the extension asks after an event in shared state), with its git processes. */
async function refresh(engine: AxiomEngine, runner: GitRunner): Promise<{ snap: Snapshot; procs: number }> {
  const before = runner.processCount;
  const snap = await engine.snapshot({ changed: [] });
  return { snap, procs: runner.processCount - before };
}

const row = (snap: Snapshot, id: string) => snap.worktrees.find((w) => w.id === id);

/** Two instances, every git and Axiom file settled (older than the racy window), one full snapshot taken. */
async function settledRepo(): Promise<{ engine: AxiomEngine; runner: GitRunner; a: string; b: string }> {
  repo = makeRepo();
  const spawner = await AxiomEngine.open(repo.dir);
  const a = (await spawner.spawn('a')).path;
  const b = (await spawner.spawn('b')).path;
  backdate(path.join(repo.dir, '.git'));
  const { engine, runner } = await opened(repo.dir);
  await engine.snapshot();
  return { engine, runner, a, b };
}

test('a refresh with nothing changed starts no git process and reads no admin dir again', async () => {
  const { engine, runner } = await settledRepo();
  const { snap, procs } = await refresh(engine, runner);
  assert.equal(procs, 0, 'the worktree list comes from the admin dirs, the refs from the last for-each-ref');
  assert.deepEqual(snap.worktrees.map((w) => w.id), [null, 'a', 'b']);
  // And it is what a fresh engine's full snapshot says.
  const fresh = await (await AxiomEngine.open(repo.dir)).snapshot();
  const strip = (s: Snapshot) => s.worktrees.map(({ agentState: _a, ...w }) => w);
  assert.deepEqual(strip(snap), strip(fresh));
});

test('a commit made by another process moves the row on a refresh that names no worktree (refs validated by their folders)', async () => {
  const { engine, runner, a } = await settledRepo();
  commitIn(a, 'work', { 'w.txt': 'w\n' });
  const { snap, procs } = await refresh(engine, runner);
  assert.ok(procs >= 1, 'the refs were read again');
  assert.equal(row(snap, 'a')!.ahead, 1);
  assert.equal(row(snap, 'a')!.head, git(a, 'rev-parse', 'HEAD').trim());
  assert.equal(row(snap, 'a')!.lastCommit?.subject, 'work');
});

test('an instance created by another process appears on a refresh, one cleaned up by another process goes', async () => {
  const { engine, runner } = await settledRepo();
  const other = await AxiomEngine.open(repo.dir);
  await other.spawn('c');
  let { snap } = await refresh(engine, runner);
  assert.deepEqual(snap.worktrees.map((w) => w.id).sort(), ['a', 'b', 'c', null].sort());
  assert.equal(row(snap, 'c')!.kind, 'instance');
  await other.cleanup('b');
  ({ snap } = await refresh(engine, runner));
  assert.deepEqual(snap.worktrees.map((w) => w.id).filter(Boolean).sort(), ['a', 'c']);
});

test('edits outside the watched paths are still seen: axiom.json rewritten in place, a lock, a detached HEAD, a folder deleted by hand', async () => {
  const { engine, runner, a, b } = await settledRepo();
  const adminA = row(await engine.snapshot({ changed: [] }), 'a')!.adminDir!;
  // In place (no rename: the admin dir itself does not change), with a timestamp in the past.
  const meta = JSON.parse(fs.readFileSync(path.join(adminA, 'axiom.json'), 'utf8'));
  fs.writeFileSync(path.join(adminA, 'axiom.json'), JSON.stringify({ ...meta, prompt: 'edited by hand' }));
  const past = new Date(Date.now() - 5_000);
  fs.utimesSync(path.join(adminA, 'axiom.json'), past, past);
  let { snap } = await refresh(engine, runner);
  assert.equal(row(snap, 'a')!.prompt, 'edited by hand');

  git(repo.dir, 'worktree', 'lock', '--reason', 'mine', a);
  git(b, 'checkout', '-q', '--detach');
  ({ snap } = await refresh(engine, runner));
  assert.equal(row(snap, 'a')!.locked, true);
  assert.equal(row(snap, 'a')!.lockReason, 'mine');
  assert.equal(row(snap, 'b')!.detached, true);
  assert.equal(row(snap, 'b')!.branch, null);

  fs.rmSync(b, { recursive: true, force: true });
  ({ snap } = await refresh(engine, runner));
  assert.equal(row(snap, 'b')!.prunable, true);
});

test('an agent event appended to its status file (in place) shows on a refresh', async () => {
  const { engine, runner } = await settledRepo();
  const adminB = row(await engine.snapshot({ changed: [] }), 'b')!.adminDir!;
  fs.appendFileSync(path.join(adminB, 'axiom-status.jsonl'), JSON.stringify({ event: 'Stop', phase: 'idle', at: new Date(Date.now() - 5_000).toISOString() }) + '\n');
  const { snap } = await refresh(engine, runner);
  assert.equal(row(snap, 'b')!.agentState.phase, 'idle');
});
