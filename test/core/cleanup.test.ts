import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, AxiomError, processStartToken } from '../../src/core';
import { branches, commitIn, git, makeRepo, readTree, writeFile, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

async function refused(p: Promise<unknown>, code: string): Promise<AxiomError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AxiomError);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test('"cannot remove worktree with uncommitted changes": dirty, untracked-only and unmerged instances survive a plain cleanup untouched', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const dirty = await engine.spawn('dirty');
  writeFile(dirty.path, 'src/app.txt', 'edited\n');
  const untracked = await engine.spawn('untracked');
  writeFile(untracked.path, 'notes/new.txt', 'only untracked\n');
  const unmerged = await engine.spawn('unmerged');
  const sha = commitIn(unmerged.path, 'precious commit', { 'p.txt': 'p\n' });

  for (const [inst, code, needle] of [
    [dirty, 'DirtyWorktree', 'src/app.txt'],
    [untracked, 'DirtyWorktree', 'notes/new.txt'],
    [unmerged, 'UnmergedCommits', 'precious commit'],
  ] as const) {
    const before = readTree(inst.path);
    const e = await refused(engine.cleanup(inst.id), code);
    assert.match(e.message, new RegExp(needle.replace('.', '\\.')));
    assert.match(e.message, /would lose work/);
    assert.deepEqual(readTree(inst.path), before);
    assert.ok(branches(repo.dir).includes(inst.branch));
  }
  const e = await refused(engine.cleanup('unmerged'), 'UnmergedCommits');
  assert.deepEqual(e.details.commits?.map((c) => c.sha), [sha]);
  // cleanupAll refuses the same three and reports why.
  const all = await engine.cleanupAll();
  assert.deepEqual(all.refused.map((r) => r.id).sort(), ['dirty', 'unmerged', 'untracked']);
  assert.equal(all.cleaned.length, 0);
});

test('forced cleanup writes a salvage ref, then restore gives byte-identical files (untracked included)', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('s');
  commitIn(inst.path, 'committed work', { 'c.txt': 'committed\n' });
  writeFile(inst.path, 'src/app.txt', 'modified\n');
  writeFile(inst.path, 'deep/untracked file.bin', Buffer.from([0, 1, 2, 255, 10]));
  fs.rmSync(path.join(inst.path, 'README.md'));
  fs.chmodSync(path.join(inst.path, 'c.txt'), 0o755);
  writeFile(inst.path, 'ignored.log', 'ignored\n');
  writeFile(inst.path, '.gitignore', '*.log\n');
  const before = readTree(inst.path);
  before.delete('ignored.log'); // ignored files are not the agent's work and are not salvaged

  const r = await engine.cleanup('s', { force: true });
  assert.match(r.salvageRef!, /^refs\/axiom\/salvage\/s\/\d+$/);
  assert.equal(r.branchDeleted, true);
  assert.equal(fs.existsSync(inst.path), false);
  assert.ok(!branches(repo.dir).includes(inst.branch));
  assert.equal(git(repo.dir, 'rev-parse', `${r.salvageRef}^`).trim(), git(repo.dir, 'rev-parse', `${r.salvageRef}^`).trim());

  const list = await engine.listSalvage();
  assert.equal(list.length, 1);
  assert.equal(list[0]!.id, 's');
  assert.equal(list[0]!.base, 'main');

  const restored = await engine.restore(r.salvageRef!, { as: 's2' });
  assert.equal(restored.id, 's2');
  const after = readTree(restored.path);
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [k, v] of before) assert.ok(after.get(k)!.equals(v), `${k} differs`);
  assert.equal(fs.statSync(path.join(restored.path, 'c.txt')).mode & 0o111, 0o111);
  // Committed work came back as a commit, uncommitted work as uncommitted changes.
  assert.equal(git(restored.path, 'log', '-1', '--format=%s').trim(), 'committed work');
  assert.match(git(restored.path, 'status', '--porcelain'), /\?\? deep\//);
  assert.match(git(restored.path, 'status', '--porcelain'), /^ M src\/app\.txt/m);
  assert.match(git(restored.path, 'status', '--porcelain'), /^ D README\.md/m);
});

test('clean, merged instances clean up without force; keepBranch keeps the branch', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  const r = await engine.cleanup('a');
  assert.equal(r.salvageRef, null);
  assert.equal(fs.existsSync(a.path), false);
  assert.ok(!branches(repo.dir).includes(a.branch));
  const b = await engine.spawn('b');
  await engine.cleanup('b', { keepBranch: true });
  assert.ok(branches(repo.dir).includes(b.branch));
  assert.equal(fs.readdirSync(repo.parent).filter((f) => f.includes('axiom-removing')).length, 0);
});

test("a deleted branch's config section (upstream, description) goes with it; other branches' sections stay", async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  const b = await engine.spawn('b');
  git(repo.dir, 'config', `branch.${a.branch}.description`, 'what a tried');
  git(repo.dir, 'config', `branch.${b.branch}.description`, 'what b tried');
  git(repo.dir, 'config', 'branch.main.description', 'the trunk');
  await engine.cleanup('a');
  const sections = git(repo.dir, 'config', '--get-regexp', '^branch\\.');
  assert.ok(!sections.includes(a.branch), sections);
  assert.ok(sections.includes(`branch.${b.branch}.description`), sections);
  assert.ok(sections.includes('branch.main.description'), sections);
  // A kept branch keeps its section.
  await engine.cleanup('b', { keepBranch: true });
  assert.ok(git(repo.dir, 'config', '--get-regexp', '^branch\\.').includes(`branch.${b.branch}.description`));
});

test('cleanupAll({mergedOnly}) removes merged instances only and never touches foreign worktrees', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const merged = await engine.spawn('merged');
  commitIn(merged.path, 'm', { 'm.txt': 'm\n' });
  await engine.merge('merged');
  const fresh = await engine.spawn('fresh');
  const foreign = path.join(repo.parent, 'foreign');
  git(repo.dir, 'worktree', 'add', '-q', '-b', 'mine', foreign);
  const r = await engine.cleanupAll({ mergedOnly: true });
  assert.deepEqual(r.cleaned.map((c) => c.id), ['merged']);
  assert.deepEqual(r.skipped.map((s) => s.id), ['fresh']);
  assert.ok(fs.existsSync(fresh.path));
  assert.ok(fs.existsSync(foreign));
  const r2 = await engine.cleanupAll();
  assert.deepEqual(r2.cleaned.map((c) => c.id), ['fresh']);
  assert.ok(fs.existsSync(foreign));
});

test('salvage expire removes refs older than N days only', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('old');
  writeFile(a.path, 'x.txt', 'x\n');
  await engine.cleanup('old', { force: true });
  assert.equal((await engine.expireSalvage(1)).length, 0);
  assert.equal((await engine.listSalvage()).length, 1);
  const { expireSalvage } = await import('../../src/core/instances/salvage');
  const expired = await expireSalvage(engine.git, engine.repo, 1, Date.now() + 2 * 86400_000);
  assert.equal(expired.length, 1);
  assert.equal((await engine.listSalvage()).length, 0);
});

test('salvage expire --days 0 keeps a salvage made after it was called, even in the same second (commit dates are whole seconds)', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('late');
  writeFile(a.path, 'x.txt', 'x\n');
  await engine.cleanup('late', { force: true });
  const [salvage] = await engine.listSalvage();
  const { expireSalvage } = await import('../../src/core/instances/salvage');
  const madeAt = Number(salvage!.ref.split('/').pop());
  // Called 1 ms before the salvage was made (it then waited for the lock while the cleanup ran).
  assert.equal((await expireSalvage(engine.git, engine.repo, 0, madeAt - 1)).length, 0);
  assert.equal((await engine.listSalvage()).length, 1);
  assert.equal((await expireSalvage(engine.git, engine.repo, 0, madeAt + 1)).length, 1, 'called after it was made: taken');
});

test('cleanup of a worktree deleted by hand still works, salvaging its unmerged commits', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('gone');
  const sha = commitIn(a.path, 'work', { 'w.txt': 'w\n' });
  fs.rmSync(a.path, { recursive: true, force: true });
  await refused(engine.cleanup('gone'), 'UnmergedCommits');
  const r = await engine.cleanup('gone', { force: true });
  // The salvage commit keeps the branch tip reachable (as its parent), and its tree is the committed state.
  assert.equal(git(repo.dir, 'rev-parse', `${r.salvageRef!}^1`).trim(), sha);
  assert.equal(git(repo.dir, 'rev-parse', `${r.salvageRef!}^{tree}`).trim(), git(repo.dir, 'rev-parse', `${sha}^{tree}`).trim());
  assert.equal(git(repo.dir, 'worktree', 'list', '--porcelain').includes('gone'), false);
});

test('a refused cleanup leaves a running headless agent alone; a forced one stops it first', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('agent');
  const { spawn } = await import('node:child_process');
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  child.unref();
  const alive = (): boolean => {
    try {
      process.kill(child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  // As the headless wrapper records it: pid and start time (a pid alone is never signalled).
  const startTime = processStartToken(child.pid!);
  fs.writeFileSync(path.join(inst.adminDir, 'axiom-agent.json'), JSON.stringify({ pid: child.pid, startTime, command: ['sleep', '30'], startedAt: new Date().toISOString() }));
  writeFile(inst.path, 'wip.txt', 'agent output\n');
  await refused(engine.cleanup('agent'), 'DirtyWorktree');
  assert.equal(alive(), true, 'the agent was stopped by a refused cleanup');
  const r = await engine.cleanup('agent', { force: true });
  assert.ok(r.salvageRef);
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(alive(), false, 'the agent still runs after its instance was removed');
});

test('a server a headless agent started with & is stopped at cleanup after the agent itself exited (property: search agent leftovers); a process outside its group is not', { skip: process.platform !== 'linux' && 'the proof reads /proc' }, async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('agent');
  const { launchHeadless } = await import('../../src/agents/headless');
  const { readProcessRecord } = await import('../../src/core/processes/agentState');
  const { spawn } = await import('node:child_process');
  const outsider = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  outsider.unref();
  const alive = (pid: number): boolean => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, { encoding: 'utf8', flag: 'r' }).toString();
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  };
  const exists = (pid: number): boolean => fs.existsSync(`/proc/${pid}/stat`) && alive(pid);
  // The agent starts a server and exits at once, as the stand-in agents of searches and races do.
  await launchHeadless({ id: inst.id, worktree: inst.path, adminDir: inst.adminDir, input: 'none', argv: ['sh', '-c', 'sleep 30 </dev/null >/dev/null 2>&1 & echo $! > ../server.pid'] });
  // Its wrapper is unref'd (it outlives the process that started it): wait for its recorded exit.
  for (let i = 0; i < 200 && (await readProcessRecord(inst.adminDir))?.endedAt === undefined; i++) await new Promise((res) => setTimeout(res, 50));
  assert.equal((await readProcessRecord(inst.adminDir))?.exitCode, 0, 'the agent exited');
  const server = Number(fs.readFileSync(path.join(path.dirname(inst.path), 'server.pid'), 'utf8'));
  assert.ok(exists(server), 'the server runs after its agent exited');
  await engine.cleanup('agent', { force: true });
  for (let i = 0; i < 40 && exists(server); i++) await new Promise((res) => setTimeout(res, 50));
  assert.equal(exists(server), false, 'the server the agent started still runs after its instance was removed');
  assert.equal(exists(outsider.pid!), true, 'a process Axiom cannot prove it started was signalled');
  process.kill(outsider.pid!, 'SIGKILL');
});
