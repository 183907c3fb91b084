/**
 * Issue 17: what Axiom provisioned is never work and never a git object (decided by its own record,
 * not by the instance's .gitignore), and no write in an instance reaches the user's tree.
 */
import { after, afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { AxiomEngine } from '../../src/core';
import { expectAxiomError, commitIn, git, makeRepo, writeFile, type TempRepo } from './helpers';
import { solutionOf, writeStandIns } from './standIns';

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-state-'));
process.env.AXIOM_STATE_DIR = stateDir;
after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/** Is there an object with exactly these bytes anywhere in the repository's object store? */
function isGitObject(dir: string, content: string): boolean {
  const sha = execFileSync('git', ['hash-object', '--stdin'], { cwd: dir, input: content, encoding: 'utf8' }).trim();
  try {
    execFileSync('git', ['cat-file', '-e', sha], { cwd: dir, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const SECRET = 'SECRET=main\n';
const CHANGED = 'SECRET=changed-by-the-agent\n';

/** .gitignore ignores .env, .axiom.json includes it, the main worktree has it. */
function repoWithEnv(): TempRepo {
  const r = makeRepo({ 'README.md': '# app\n', '.gitignore': '.env\n', '.axiom.json': '{ "include": [".env"] }\n' });
  writeFile(r.dir, '.env', SECRET);
  return r;
}

test('.env included, the agent drops it from .gitignore: no evaluation snapshot, salvage or landed commit holds it; salvage expire drops the evaluation refs', async () => {
  repo = repoWithEnv();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await engine.explore.startRace({ task: 'fix', count: 3, agents: 'claude', prompt: 'fix it', evaluate: s.evaluateCommand, launch: 'none' }, null);
  members.forEach((m, i) => commitIn(m.path, `solution of ${m.id}`, solutionOf(i + 1)));
  for (const m of members) {
    assert.equal(fs.readFileSync(path.join(m.path, '.env'), 'utf8'), SECRET, 'provisioned');
    fs.writeFileSync(path.join(m.path, '.gitignore'), '# the agent rewrote this\n');
  }
  // fix-1's agent also changed the secret: said in words, never kept.
  fs.writeFileSync(path.join(members[0]!.path, '.env'), CHANGED);
  assert.equal(git(members[1]!.path, 'status', '--porcelain'), ' M .gitignore\n?? .env\n', 'git alone would take .env as work');

  const outcomes = await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  assert.equal(outcomes.length, 3);
  const evaluated = git(repo.dir, 'for-each-ref', '--format=%(refname)', 'refs/axiom/evaluated/').split('\n').filter(Boolean);
  assert.equal(evaluated.length, 3, 'each dirty state has its snapshot ref');
  for (const ref of evaluated) {
    const files = git(repo.dir, 'ls-tree', '-r', '--name-only', ref).split('\n');
    assert.ok(files.includes('.gitignore') && !files.includes('.env'), files.join(','));
  }

  // Status and the refusal do not count it as work; the refusal names the changed one in words.
  const st = await engine.status('fix-1');
  assert.deepEqual(st.changes.map((c) => c.path), ['.gitignore']);
  const refusal = await expectAxiomError(engine.cleanup('fix-1'), 'DirtyWorktree');
  assert.match(refusal.message, /`\.env` — provisioned, changed, not kept/);
  assert.doesNotMatch(refusal.message, /^ {2}\.env /m);
  const forced = await engine.cleanup('fix-1', { force: true });
  const salvaged = git(repo.dir, 'ls-tree', '-r', '--name-only', forced.salvageRef!).split('\n');
  assert.ok(salvaged.includes('.gitignore') && !salvaged.includes('.env'), salvaged.join(','));
  assert.match(git(repo.dir, 'log', '-1', '--format=%B', forced.salvageRef!), /`\.env` — provisioned, changed, not kept/);

  const landed = await engine.explore.land('fix', { pick: 'fix-3' });
  assert.equal(landed.winner, 'fix-3');
  const onMain = git(repo.dir, 'ls-tree', '-r', '--name-only', 'main').split('\n');
  assert.ok(onMain.includes('solution.txt') && !onMain.includes('.env'), onMain.join(','));
  assert.equal(fs.readFileSync(path.join(repo.dir, '.env'), 'utf8'), SECRET);

  assert.equal(isGitObject(repo.dir, SECRET), false, 'the provisioned secret is no git object');
  assert.equal(isGitObject(repo.dir, CHANGED), false, 'nor the agent\'s change to it');

  await engine.expireSalvage(0);
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/axiom/evaluated/', 'refs/axiom/salvage/'), '', 'evaluation refs expire with salvage');
});

test('a provisioned file the agent committed never lands: the merge refuses and says so', async () => {
  repo = repoWithEnv();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('leak');
  fs.writeFileSync(path.join(inst.path, '.gitignore'), '');
  commitIn(inst.path, 'agent commits everything', { 'work.txt': 'work\n' });
  assert.match(git(inst.path, 'ls-tree', '-r', '--name-only', 'HEAD'), /^\.env$/m, 'the agent committed it');
  const main = git(repo.dir, 'rev-parse', 'main');
  const e = await expectAxiomError(engine.merge('leak'), 'ProvisionedCommitted');
  assert.match(e.message, /`\.env` — provisioned, committed, not landed/);
  assert.equal(git(repo.dir, 'rev-parse', 'main'), main);
});

test('an included symlink local.cfg -> <absolute path of main>/real.cfg is re-pointed at the instance: the agent writing local.cfg never overwrites main\'s real.cfg', async () => {
  repo = makeRepo({ 'README.md': '# app\n', '.gitignore': '*.cfg.local\nlocal.cfg\nrel.cfg\n', 'real.cfg': 'main config\n', '.axiom.json': '{ "include": ["local.cfg", "rel.cfg"] }\n' });
  fs.symlinkSync(path.join(repo.dir, 'real.cfg'), path.join(repo.dir, 'local.cfg'));
  // The relative form that climbs out of the folder and back into the main worktree.
  fs.symlinkSync(`../${path.basename(repo.dir)}/real.cfg`, path.join(repo.dir, 'rel.cfg'));
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('cfg');
  for (const link of ['local.cfg', 'rel.cfg']) {
    const at = path.join(inst.path, link);
    assert.equal(fs.realpathSync(at), path.join(inst.path, 'real.cfg'), `${link} resolves inside the instance`);
    fs.writeFileSync(at, `written through ${link} by the agent\n`);
  }
  assert.equal(fs.readFileSync(path.join(repo.dir, 'real.cfg'), 'utf8'), 'main config\n', 'main\'s file is untouched');
  assert.equal(fs.readFileSync(path.join(inst.path, 'real.cfg'), 'utf8'), 'written through rel.cfg by the agent\n');
});

test('share hardlink of node_modules, then npm rewrites node_modules/.package-lock.json in place in the instance: main\'s copy is unchanged', async () => {
  repo = makeRepo({ 'README.md': '# app\n', '.gitignore': 'node_modules/\nlocal.db\n', '.axiom.json': '{ "share": { "node_modules": "hardlink", "local.db": "hardlink" } }\n' });
  writeFile(repo.dir, 'local.db', 'main data\n');
  const lock = '{"packages":{"node_modules/pkg":{}}}\n';
  writeFile(repo.dir, 'node_modules/.package-lock.json', lock);
  writeFile(repo.dir, 'node_modules/pkg/index.js', 'module.exports = 1;\n');
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('npm');
  const pkg = 'node_modules/pkg/index.js';
  assert.equal(fs.statSync(path.join(inst.path, pkg)).ino, fs.statSync(path.join(repo.dir, pkg)).ino, 'package files stay hard links');
  // What `npm install left-pad` does to the hidden lockfile: an in-place rewrite (same inode).
  const fd = fs.openSync(path.join(inst.path, 'node_modules/.package-lock.json'), 'r+');
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, '{"packages":{"node_modules/pkg":{},"node_modules/left-pad":{}}}\n', 0);
  fs.closeSync(fd);
  assert.equal(fs.readFileSync(path.join(repo.dir, 'node_modules/.package-lock.json'), 'utf8'), lock, 'main lists only what main has');
  // A single shared file is such a file too: never hard-linked.
  assert.notEqual(fs.statSync(path.join(inst.path, 'local.db')).ino, fs.statSync(path.join(repo.dir, 'local.db')).ino);
  assert.match(inst.provision!.provisioned.find((p) => p.path === 'local.db')!.note ?? '', /never hard-linked/);
});

test('share symlink with the usual "node_modules/" line in .gitignore: spawns, the link is excluded by its exact path in info/exclude, no tracked file edited', async () => {
  repo = makeRepo({ 'README.md': '# app\n', '.gitignore': 'node_modules/\n', '.axiom.json': '{ "share": { "node_modules": "symlink" } }\n' });
  writeFile(repo.dir, 'node_modules/pkg/index.js', 'module.exports = 1;\n');
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('ln');
  assert.equal(fs.lstatSync(path.join(inst.path, 'node_modules')).isSymbolicLink(), true);
  assert.equal(git(inst.path, 'status', '--porcelain', '--untracked-files=all'), '');
  assert.equal(git(repo.dir, 'status', '--porcelain', '--untracked-files=all'), '', 'the main worktree is unchanged');
  const exclude = fs.readFileSync(path.join(repo.dir, '.git/info/exclude'), 'utf8');
  assert.match(exclude, /# >>> axiom: symlink shares[^\n]*\n\/node_modules\n# <<< axiom\n$/);
  // A second spawn does not repeat the line.
  await engine.spawn('ln2');
  assert.equal(fs.readFileSync(path.join(repo.dir, '.git/info/exclude'), 'utf8'), exclude);
  const r = await engine.cleanup('ln', { force: true });
  assert.equal(r.salvageRef, null, 'the link is no work');
  assert.ok(fs.existsSync(path.join(repo.dir, 'node_modules/pkg/index.js')));
});

test('commit-all before a merge leaves out a provisioned .env the agent changed and un-ignored, and the preview names it', async () => {
  repo = repoWithEnv();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('ca');
  fs.writeFileSync(path.join(inst.path, '.gitignore'), '');
  fs.writeFileSync(path.join(inst.path, '.env'), CHANGED);
  git(inst.path, 'add', '--all'); // the agent even staged it
  writeFile(inst.path, 'work.txt', 'work\n');
  const preview = await engine.merge('ca', { preview: true });
  assert.deepEqual(preview.uncommitted.map((e) => e.path).sort(), ['.gitignore', 'work.txt']);
  assert.deepEqual(preview.provisionedChanged, ['`.env` — provisioned, changed, not kept']);
  await engine.merge('ca', { commitMessage: 'all of it' });
  const onMain = git(repo.dir, 'ls-tree', '-r', '--name-only', 'main').split('\n');
  assert.ok(onMain.includes('work.txt') && !onMain.includes('.env'), onMain.join(','));
  assert.match(git(repo.dir, 'ls-tree', '-r', '--name-only', inst.branch), /^work\.txt$/m);
  assert.doesNotMatch(git(repo.dir, 'ls-tree', '-r', '--name-only', inst.branch), /^\.env$/m);
});
