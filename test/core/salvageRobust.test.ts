/** Principle 13, "Salvage first": any file name and any worktree state are salvaged byte-exact, or refused before the first change. */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine } from '../../src/core';
import { commitIn, expectAxiomError, git, makeRepo, readTree, worktreePaths, writeFile, type TempRepo } from './helpers';
import { solutionOf, writeStandIns } from './standIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/** Path → blob sha of every file under a commit, read with -z (names may hold newlines). */
function lsTreeZ(dir: string, rev: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rec of git(dir, 'ls-tree', '-r', '-z', '--full-tree', rev).split('\0').filter(Boolean)) {
    const tab = rec.indexOf('\t');
    out.set(rec.slice(tab + 1), rec.slice(0, tab).split(' ')[2]!);
  }
  return out;
}

const HOSTILE_NAMES = ['a\nb.txt', 'tab\there', 'back\\slash', 'quote"d', 'bell\u0007.txt', 'cr\r', 'dir\nname/inner\ttab.txt', '"leading quote', 'ü-nicode.txt'];

test('hostile file names ("a\\nb.txt", "tab\\there", "bell\\u0007.txt", …): the salvage holds each byte-exact and restore brings them back under the same names', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('names');
  // A committed file with a hostile name, edited since: restore finds it checked out and must compare it.
  commitIn(inst.path, 'tracked hostile name', { 'tracked\nname\r': 'committed\n' });
  const contents = new Map<string, Buffer>([['tracked\nname\r', Buffer.from('edited, not committed\n')]]);
  writeFile(inst.path, 'tracked\nname\r', contents.get('tracked\nname\r')!);
  HOSTILE_NAMES.forEach((name, i) => {
    const bytes = Buffer.from([i, 0, 10, 13, 255, ...Buffer.from(name)]);
    writeFile(inst.path, name, bytes);
    contents.set(name, bytes);
  });

  const r = await engine.cleanup('names', { force: true });
  assert.ok(r.salvageRef);
  const stored = lsTreeZ(repo.dir, r.salvageRef);
  for (const [name, bytes] of contents) {
    const sha = stored.get(name);
    assert.ok(sha, `${JSON.stringify(name)} is in the salvage`);
    const blob = readBlob(repo.dir, sha);
    assert.ok(blob.equals(bytes), `${JSON.stringify(name)} is byte-exact in the salvage`);
  }

  const back = await engine.restore(r.salvageRef, { as: 'names2' });
  for (const [name, bytes] of contents) {
    assert.ok(fs.readFileSync(path.join(back.path, name)).equals(bytes), `${JSON.stringify(name)} restored byte-exact`);
  }
  const untracked = git(back.path, 'ls-files', '-z', '--others', '--exclude-standard').split('\0').filter(Boolean).sort();
  assert.deepEqual(untracked, HOSTILE_NAMES.slice().sort());
  assert.deepEqual(git(back.path, 'diff', '--name-only', '-z').split('\0').filter(Boolean), ['tracked\nname\r']);
});

function readBlob(dir: string, sha: string): Buffer {
  return execFileSync('git', ['cat-file', 'blob', sha], { cwd: dir });
}

/** Siblings of the instance folder: a cleanup that moved it aside leaves `<folder>.axiom-removing-…`. */
function asideFolders(folder: string): string[] {
  return fs.readdirSync(path.dirname(folder)).filter((n) => n.startsWith(`${path.basename(folder)}.axiom-removing-`));
}

for (const [damage, breakIt] of [
  ['deleted', (dotGit: string) => fs.rmSync(dotGit)],
  ['overwritten with garbage', (dotGit: string) => fs.writeFileSync(dotGit, 'not a gitfile\0\n')],
  ['pointing at no repository', (dotGit: string) => fs.writeFileSync(dotGit, 'gitdir: /nonexistent/worktrees/x\n')],
] as const) {
  test(`a .git file ${damage} by the agent: a forced cleanup refuses before its first change (WorktreeDamaged, naming axiom repair); after repair it salvages byte-exact`, async () => {
    repo = makeRepo();
    const engine = await AxiomEngine.open(repo.dir);
    const inst = await engine.spawn('broken');
    const committed = commitIn(inst.path, 'committed work', { 'c.txt': 'committed\n' });
    writeFile(inst.path, 'work/untracked.bin', Buffer.from([0, 1, 2, 255, 10]));
    writeFile(inst.path, 'src/app.txt', 'edited\n');
    breakIt(path.join(inst.path, '.git'));
    const before = readTree(inst.path);
    const dotGitBefore = fs.existsSync(path.join(inst.path, '.git')) ? fs.readFileSync(path.join(inst.path, '.git')) : null;

    const e = await expectAxiomError(engine.cleanup('broken', { force: true }), 'WorktreeDamaged');
    assert.match(e.message, /axiom repair/);
    assert.match(e.message, /[Nn]othing was changed/);
    // Nothing changed: the folder where it was with the same bytes, none moved aside, still registered, branch kept, no salvage.
    assert.deepEqual(readTree(inst.path), before);
    assert.deepEqual(fs.existsSync(path.join(inst.path, '.git')) ? fs.readFileSync(path.join(inst.path, '.git')) : null, dotGitBefore);
    assert.deepEqual(asideFolders(inst.path), []);
    assert.ok(worktreePaths(repo.dir).includes(inst.path));
    assert.equal(git(repo.dir, 'rev-parse', inst.branch).trim(), committed);
    assert.deepEqual(await engine.listSalvage(), []);

    await engine.repair();
    const r = await engine.cleanup('broken', { force: true });
    assert.ok(r.salvageRef);
    const stored = lsTreeZ(repo.dir, r.salvageRef);
    assert.ok(readBlob(repo.dir, stored.get('work/untracked.bin')!).equals(before.get('work/untracked.bin')!));
    assert.equal(readBlob(repo.dir, stored.get('src/app.txt')!).toString(), 'edited\n');
    assert.equal(git(repo.dir, 'rev-parse', `${r.salvageRef}^1`).trim(), committed);
  });
}

test('land of a race whose losing member has a broken .git file: refused before the target moves (WorktreeDamaged, naming axiom repair); after repair it lands and salvages that member', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await engine.explore.startRace({ task: 'fix', count: 3, agents: 'claude', prompt: 'fix it', evaluate: s.evaluateCommand, launch: 'none' }, null);
  members.forEach((m, i) => commitIn(m.path, `solution of ${m.id}`, { ...solutionOf(i + 1), [`${m.id}.txt`]: `${m.id}\n` }));
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  const loser = members[0]!;
  writeFile(loser.path, 'loser-notes.txt', 'uncommitted work of the loser\n');
  fs.writeFileSync(path.join(loser.path, '.git'), 'garbage\n');
  const mainBefore = git(repo.dir, 'rev-parse', 'main').trim();
  const loserBefore = readTree(loser.path);

  const e = await expectAxiomError(engine.explore.land('fix'), 'WorktreeDamaged');
  assert.match(e.message, /axiom repair/);
  assert.match(e.message, new RegExp(loser.id));
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), mainBefore, 'the target did not move');
  assert.equal((await engine.explore.race('fix')).landed, undefined);
  assert.ok(members.every((m) => fs.existsSync(m.path)));
  assert.deepEqual(readTree(loser.path), loserBefore);
  assert.deepEqual(asideFolders(loser.path), []);

  await engine.repair();
  const landed = await engine.explore.land('fix');
  assert.notEqual(git(repo.dir, 'rev-parse', 'main').trim(), mainBefore);
  const salvage = landed.salvaged.find((x) => x.id === loser.id);
  assert.ok(salvage, `${loser.id} was salvaged`);
  assert.equal(readBlob(repo.dir, lsTreeZ(repo.dir, salvage.ref).get('loser-notes.txt')!).toString(), 'uncommitted work of the loser\n');
});

test('a restored salvage that held uncommitted work inside a submodule: that work is work Axiom sees (a plain cleanup refuses, a forced one salvages it again)', async () => {
  repo = makeRepo();
  const subSrc = path.join(repo.parent, 'subsrc');
  fs.mkdirSync(subSrc);
  git(subSrc, 'init', '-q', '-b', 'main');
  commitIn(subSrc, 'sub initial', { 's.txt': 's\n' });
  git(repo.dir, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', subSrc, 'sub');
  git(repo.dir, 'commit', '-q', '-m', 'add submodule');
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('smr');
  git(inst.path, '-c', 'protocol.file.allow=always', 'submodule', 'update', '-q', '--init');
  writeFile(path.join(inst.path, 'sub'), 's.txt', 'edited inside the submodule\n');
  writeFile(path.join(inst.path, 'sub'), 'draft.txt', 'only here\n');
  const first = await engine.cleanup('smr', { force: true });
  assert.ok(first.salvageRef);

  const back = await engine.restore(first.salvageRef, { as: 'smr2' });
  assert.equal(fs.readFileSync(path.join(back.path, 'sub', 'draft.txt'), 'utf8'), 'only here\n');
  assert.equal(fs.readFileSync(path.join(back.path, 'sub', 's.txt'), 'utf8'), 'edited inside the submodule\n');
  const e = await expectAxiomError(engine.cleanup('smr2'), 'DirtyWorktree');
  assert.match(e.message, /sub/);
  const again = await engine.cleanup('smr2', { force: true });
  assert.ok(again.salvageRef, 'the restored work is salvaged again');
  assert.equal(git(repo.dir, 'show', `${again.salvageRef}:sub/draft.txt`), 'only here\n');
  assert.equal(git(repo.dir, 'show', `${again.salvageRef}:sub/s.txt`), 'edited inside the submodule\n');
});
