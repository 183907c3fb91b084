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
import { createRequire } from 'node:module';
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

// A refresh that trusts the caller's list of what changed (the extension's watchers name it): other
// instances are shown as last seen without a stat, until the backstop or a refresh of 'all'.
// `backstopMs` is passed explicitly (a minute: never due within a test; 0: due now), so no test
// depends on how long it runs.
const TRUSTED = { trustChanged: true, backstopMs: 60_000 } as const;
const BACKSTOP_DUE = { trustChanged: true, backstopMs: 0 } as const;

/** The `node:fs` module object itself (an `import *` of it is a read-only view), to spy on. */
const rawFs = createRequire(__filename)('node:fs') as typeof fs;

/** Every path the engine's file-system calls named while `fn` ran (sync and promise APIs both). */
async function pathsTouched(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const restore: (() => void)[] = [];
  const spy = (mod: Record<string, unknown>, names: string[]): void => {
    for (const name of names) {
      const orig = mod[name] as (...a: unknown[]) => unknown;
      mod[name] = (...args: unknown[]) => {
        if (typeof args[0] === 'string') seen.push(path.resolve(args[0]));
        return orig.apply(mod, args);
      };
      restore.push(() => (mod[name] = orig));
    }
  };
  spy(rawFs as unknown as Record<string, unknown>, ['statSync', 'lstatSync', 'existsSync', 'readFileSync', 'readdirSync', 'openSync']);
  spy(rawFs.promises as unknown as Record<string, unknown>, ['stat', 'lstat', 'readFile', 'readdir', 'open']);
  try {
    await fn();
  } finally {
    for (const r of restore) r();
  }
  return seen;
}

test('a trusted refresh naming one worktree of 12 instances looks at no other instance: no stat of their admin dirs or folders (fs calls counted)', async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.maxInstances', '20');
  const spawner = await AxiomEngine.open(repo.dir);
  const made = await spawner.spawnMany('s', 12);
  backdate(path.join(repo.dir, '.git'));
  const { engine, runner } = await opened(repo.dir);
  const first = await engine.snapshot();
  const [edited, ...others] = made.map((m) => first.worktrees.find((w) => w.id === m.id)!);
  fs.writeFileSync(path.join(edited!.path, 'new.txt'), 'new\n');
  const before = runner.processCount;
  let snap: Snapshot | undefined;
  const touched = await pathsTouched(async () => (snap = await engine.snapshot({ changed: [edited!.path], ...TRUSTED })));
  const under = (dir: string) => touched.filter((p) => p === dir || p.startsWith(dir + path.sep));
  for (const o of others) {
    assert.deepEqual(under(o.adminDir!), [], `admin dir of ${o.id} looked at`);
    assert.deepEqual(under(o.path), [], `folder of ${o.id} looked at`);
  }
  assert.ok(under(edited!.adminDir!).length > 0, 'the named one is validated');
  assert.equal(runner.processCount - before, 1, 'one git status: the named worktree');
  assert.equal(row(snap!, edited!.id!)!.dirty!.untracked, 1);
  assert.equal(snap!.worktrees.length, 13);
});

test('a folder deleted by hand in an unnamed worktree: not seen by a trusted refresh, seen by the backstop and by a refresh of all', async () => {
  const { engine, a, b } = await settledRepo();
  const other = (await opened(repo.dir)).engine;
  await other.snapshot();
  fs.rmSync(b, { recursive: true, force: true });
  let snap = await engine.snapshot({ changed: [a], ...TRUSTED });
  assert.equal(row(snap, 'b')!.prunable, false, 'trusted: shown as last seen');
  snap = await engine.snapshot({ changed: [a], ...BACKSTOP_DUE });
  assert.equal(row(snap, 'b')!.prunable, true, 'the backstop');
  assert.equal(row(snap, 'b')!.dirty, null);
  await other.snapshot({ changed: [a], ...TRUSTED });
  snap = await other.snapshot({ changed: 'all', trustChanged: true });
  assert.equal(row(snap, 'b')!.prunable, true, "'all'");
});

test('a ref moved by another process under an unnamed worktree: seen when the common dir is named (the ref watcher) and by the backstop, not by a trusted refresh naming another worktree', async () => {
  const { engine, a, b } = await settledRepo();
  const other = (await opened(repo.dir)).engine;
  await other.snapshot();
  const moved = commitIn(b, 'by another process', { 'o.txt': 'o\n' });
  let snap = await engine.snapshot({ changed: [a], ...TRUSTED });
  assert.notEqual(row(snap, 'b')!.head, moved, 'trusted: shown as last seen');
  snap = await engine.snapshot({ changed: [a], ...BACKSTOP_DUE });
  assert.equal(row(snap, 'b')!.head, moved, 'the backstop');
  assert.equal(row(snap, 'b')!.ahead, 1);
  snap = await other.snapshot({ changed: [path.join(repo.dir, '.git')], ...TRUSTED });
  assert.equal(row(snap, 'b')!.head, moved, 'the common dir named');
  assert.equal(row(snap, 'b')!.lastCommit?.subject, 'by another process');
  // packed-refs rewritten (`git pack-refs`, `gc`): the same, seen through the common dir.
  git(repo.dir, 'pack-refs', '--all');
  const again = commitIn(b, 'then packed', { 'p.txt': 'p\n' });
  git(repo.dir, 'pack-refs', '--all');
  snap = await other.snapshot({ changed: [path.join(repo.dir, '.git')], ...TRUSTED });
  assert.equal(row(snap, 'b')!.head, again);
});

test('axiom.json edited in place and an agent event of an unnamed instance: seen once the watcher names the instance', async () => {
  const { engine, a, b } = await settledRepo();
  const adminB = row(await engine.snapshot({ changed: [], ...TRUSTED }), 'b')!.adminDir!;
  const meta = JSON.parse(fs.readFileSync(path.join(adminB, 'axiom.json'), 'utf8'));
  fs.writeFileSync(path.join(adminB, 'axiom.json'), JSON.stringify({ ...meta, prompt: 'edited by hand' }));
  fs.appendFileSync(path.join(adminB, 'axiom-status.jsonl'), JSON.stringify({ event: 'Stop', phase: 'idle', at: new Date(Date.now() - 5_000).toISOString() }) + '\n');
  let snap = await engine.snapshot({ changed: [a], ...TRUSTED });
  assert.equal(row(snap, 'b')!.prompt, null, 'trusted: shown as last seen');
  snap = await engine.snapshot({ changed: [b], ...TRUSTED });
  assert.equal(row(snap, 'b')!.prompt, 'edited by hand');
  assert.equal(row(snap, 'b')!.agentState.phase, 'idle');
});

test('an instance made by another process appears on a trusted refresh that names nothing (worktrees/ is listed every time)', async () => {
  const { engine } = await settledRepo();
  await (await AxiomEngine.open(repo.dir)).spawn('c');
  const snap = await engine.snapshot({ changed: [], ...TRUSTED });
  assert.equal(row(snap, 'c')!.kind, 'instance');
});
