/**
 * The checker of the safety invariant must be able to fail: each case loses work with raw git
 * (no Axiom involved) and the checker has to name the loss; the cases that keep work must pass.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive, landed, liveInstances, PENDING_BY_DEFAULT, pendingProperties, processesAlive, record, searchDrivers, searchLosses, spawnManyLosses, verify, visibility, type Loss } from './invariantChecker';
import { commitIn, git, makeRepo, writeFile, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/** A repository with one worktree `wt` on branch `feat` and an ignored `.env` on main. */
function setup(): { wt: string } {
  repo = makeRepo({ 'README.md': '# r\n', 'app.txt': 'a\nb\nc\nd\ne\n', '.gitignore': '.env\nbuild/\n' });
  repo.write('.env', 'USER_SECRET=1\n');
  const wt = path.join(repo.parent, 'wt');
  git(repo.dir, 'worktree', 'add', '-q', '-b', 'feat', wt);
  return { wt };
}

/** A commit of the worktree's files (untracked included) made with a private index, like a salvage. */
function snapshotCommit(wt: string): string {
  const env = { ...process.env, GIT_INDEX_FILE: path.join(repo.parent, 'salvage-index') };
  const run = (...args: string[]): string => execFileSync('git', args, { cwd: wt, env, encoding: 'utf8' }).trim();
  run('read-tree', 'HEAD');
  run('add', '-A');
  return run('commit-tree', run('write-tree'), '-p', 'HEAD', '-m', 'salvage');
}

const kinds = (losses: Loss[]): string[] => [...new Set(losses.map((l) => l.kind))].sort();

test('checker: nothing happened, nothing lost (also with unchanged)', () => {
  const { wt } = setup();
  commitIn(wt, 'work', { 'w.txt': 'w\n' });
  writeFile(wt, 'untracked.txt', 'u\n');
  writeFile(wt, 'build/out.log', 'ignored\n');
  const before = record(repo.dir);
  assert.ok(before.files.some((f) => f.file.endsWith('untracked.txt')), 'the untracked file is recorded');
  assert.ok(!before.files.some((f) => f.file.endsWith('w.txt')), 'committed files are kept by their commit, not recorded as files');
  assert.deepEqual(verify(before, repo.dir, { unchanged: true }), []);
});

test('checker: deleting a branch that holds a unique commit is a loss', () => {
  const { wt } = setup();
  const sha = commitIn(wt, 'unique work', { 'w.txt': 'w\n' });
  const before = record(repo.dir);
  git(repo.dir, 'worktree', 'remove', wt);
  git(repo.dir, 'branch', '-D', 'feat');
  const losses = verify(before, repo.dir);
  assert.deepEqual(kinds(losses), ['commit']);
  assert.match(losses[0]!.what, new RegExp(sha.slice(0, 10)));
  assert.match(losses[0]!.what, /unique work/);
});

test('checker: a detached HEAD only held by a removed worktree is lost (worktree HEADs of removed worktrees do not count)', () => {
  const { wt } = setup();
  commitIn(wt, 'on branch', { 'b.txt': 'b\n' });
  git(wt, 'switch', '-q', '--detach');
  commitIn(wt, 'detached work', { 'd.txt': 'd\n' });
  const before = record(repo.dir);
  git(repo.dir, 'worktree', 'remove', wt);
  const losses = verify(before, repo.dir);
  assert.deepEqual(kinds(losses), ['commit']);
  assert.match(losses[0]!.what, /detached work/);
});

test('checker: an untracked file deleted is a loss, unless a ref keeps it at the same path', () => {
  const { wt } = setup();
  writeFile(wt, 'notes/idea.txt', 'only here\n');
  const before = record(repo.dir);
  fs.rmSync(path.join(wt, 'notes'), { recursive: true });
  assert.deepEqual(kinds(verify(before, repo.dir)), ['file']);

  // The same file kept by a salvage-like ref (a commit whose tree has it at notes/idea.txt).
  writeFile(wt, 'notes/idea.txt', 'only here\n');
  const before2 = record(repo.dir);
  git(repo.dir, 'update-ref', 'refs/axiom/salvage/wt/1', snapshotCommit(wt));
  fs.rmSync(path.join(wt, 'notes'), { recursive: true });
  assert.deepEqual(verify(before2, repo.dir), []);
  // … and expiring that ref on purpose is not a loss of the operation, deleting it otherwise is.
  const before3 = record(repo.dir);
  git(repo.dir, 'update-ref', '-d', 'refs/axiom/salvage/wt/1');
  assert.deepEqual(verify(before3, repo.dir, { expiredRefs: ['refs/axiom/salvage/wt/1'] }), []);
  assert.deepEqual(kinds(verify(before3, repo.dir)), ['commit']);
});

test('checker: a squash-merged branch may go (its work is in main by content); once main drops the squash, it is a loss', () => {
  const { wt } = setup();
  commitIn(wt, 'one', { 'app.txt': 'A\nb\nc\nd\ne\n' });
  commitIn(wt, 'two', { 'new.txt': 'new\n' });
  repo.commit('user edits another line', { 'app.txt': 'a\nb\nc\nd\nE\n' });
  git(repo.dir, 'merge', '--squash', '-q', 'feat');
  git(repo.dir, 'commit', '-q', '-m', 'squash feat');
  const before = record(repo.dir);
  git(repo.dir, 'worktree', 'remove', wt);
  git(repo.dir, 'branch', '-D', 'feat');
  assert.deepEqual(verify(before, repo.dir), []);

  repo.commit('the user edits the squashed line again', { 'app.txt': 'A2\nb\nc\nd\nE\n' });
  git(repo.dir, 'branch', 'feat2', `${before.refs.get('refs/heads/feat')}`);
  const before2 = record(repo.dir);
  git(repo.dir, 'branch', '-D', 'feat2');
  assert.deepEqual(verify(before2, repo.dir), [], 'an older commit of main still holds the squash');

  git(repo.dir, 'branch', 'feat3', `${before.refs.get('refs/heads/feat')}`);
  const before3 = record(repo.dir);
  git(repo.dir, 'reset', '-q', '--hard', 'HEAD~2');
  git(repo.dir, 'branch', '-D', 'feat3');
  assert.deepEqual(kinds(verify(before3, repo.dir)), ['commit', 'target']);
});

test("checker: main's dirty, untracked and ignored files must stay byte-identical", () => {
  setup();
  repo.write('README.md', '# user edit, uncommitted\n');
  repo.write('scratch.txt', 'user scratch\n');
  const before = record(repo.dir);
  repo.write('.env', 'AGENT_OVERWROTE=1\n');
  assert.deepEqual(kinds(verify(before, repo.dir)), ['main-file']);
  repo.write('.env', 'USER_SECRET=1\n');
  assert.deepEqual(verify(before, repo.dir), []);
  git(repo.dir, 'checkout', '--', 'README.md');
  assert.deepEqual(kinds(verify(before, repo.dir)), ['main-file']);
});

test('checker: a commit the user made on main during the operation must stay in main', () => {
  setup();
  const before = record(repo.dir);
  const user = repo.commit('user commit during the operation', { 'u.txt': 'u\n' });
  git(repo.dir, 'reset', '-q', '--keep', 'HEAD~1');
  git(repo.dir, 'branch', 'keeper', user); // still reachable, but no longer in main
  assert.deepEqual(kinds(verify(before, repo.dir, { userCommits: [{ branch: 'main', sha: user }] })), ['target']);
});

test('checker: an ignored file written into the object store is reported (secrets never become git objects)', () => {
  const { wt } = setup();
  writeFile(wt, '.env', 'AGENT_SECRET=42\n');
  const before = record(repo.dir);
  assert.equal(before.secrets.size, 2, 'the agent and the user .env');
  git(wt, 'hash-object', '-w', '.env');
  const losses = verify(before, repo.dir);
  assert.deepEqual(kinds(losses), ['ignored-stored']);
  assert.match(losses[0]!.what, /\.env/);
});

test('checker: a nested repository deleted with its worktree loses its commits and its uncommitted files', () => {
  const { wt } = setup();
  const nested = path.join(wt, 'lib');
  fs.mkdirSync(nested);
  git(nested, 'init', '-q', '-b', 'main');
  commitIn(nested, 'nested work', { 'n.txt': 'n\n' });
  writeFile(nested, 'draft.txt', 'nested draft\n');
  const before = record(repo.dir);
  assert.ok(before.nested.some((n) => n.dir === nested));
  assert.ok(before.files.some((f) => f.treePaths.includes('lib/draft.txt') && f.treePaths.includes('draft.txt')));
  fs.rmSync(nested, { recursive: true, force: true });
  assert.deepEqual(kinds(verify(before, repo.dir)), ['file', 'nested-commit']);
});

test('checker: with unchanged, a refusal that moved a ref or touched a file is reported', () => {
  const { wt } = setup();
  writeFile(wt, 'draft.txt', 'draft\n');
  const before = record(repo.dir);
  commitIn(wt, 'committed by a refusal', { 'draft.txt': 'draft\n' });
  const losses = verify(before, repo.dir, { unchanged: true });
  assert.deepEqual(kinds(losses), ['refusal-changed']);
  assert.ok(losses.some((l) => l.what.startsWith('refs/heads/feat')));
  assert.deepEqual(verify(before, repo.dir), [], 'without unchanged, the same change keeps all work');
});

// ---- the second surface (issue 17) ----

test('checker: a provisioned file is never work, and its content reachable from a ref is reported (also when un-ignored)', () => {
  const { wt } = setup();
  writeFile(wt, '.env', 'PROVISIONED_COPY=1\nAGENT_EDIT=2\n');
  writeFile(wt, '.gitignore', 'build/\n'); // the agent un-ignores it
  const before = record(repo.dir, { provisioned: ['.env'] });
  assert.ok(!before.files.some((f) => f.file.endsWith('.env')), 'a provisioned path is not work');
  assert.equal(before.provisioned.size, 2, "the instance's copy and main's original");
  fs.rmSync(path.join(wt, '.env'));
  assert.deepEqual(verify(before, repo.dir), [], 'losing a provisioned file loses no work');
  writeFile(wt, '.env', 'PROVISIONED_COPY=1\nAGENT_EDIT=2\n');
  git(repo.dir, 'update-ref', 'refs/axiom/salvage/wt/1', snapshotCommit(wt));
  const losses = verify(before, repo.dir);
  assert.deepEqual(kinds(losses), ['provisioned-blob']);
  assert.match(losses[0]!.what, /\.env/);
  assert.deepEqual(verify(before, repo.dir, { pending: new Set(['provisioned-blob']) }), [], 'a pending property is not checked');
  // What the agent committed itself before the operation is not the operation's doing.
  const after = record(repo.dir, { provisioned: ['.env'] });
  assert.deepEqual(verify(after, repo.dir), [], 'already reachable before: not reported again');
});

test("checker: a provisioned copy of the user's ignored .env written into the object store is a provisioned-blob loss", () => {
  const { wt } = setup();
  writeFile(wt, '.env', 'USER_SECRET=1\n'); // the copy Axiom provisioned: main's bytes
  writeFile(wt, '.gitignore', 'build/\n');
  const before = record(repo.dir, { provisioned: ['.env'], guardProvisioned: false });
  git(wt, 'hash-object', '-w', '.env');
  const losses = verify(before, repo.dir);
  assert.deepEqual(kinds(losses), ['provisioned-blob']);
  assert.match(losses[0]!.what, /object store.*provisioned/);
  assert.deepEqual(verify(before, repo.dir, { pending: new Set(['provisioned-blob']) }), []);
});

test('checker: a provisioned symbolic link committed into a ref is reported', () => {
  const { wt } = setup();
  fs.mkdirSync(path.join(repo.dir, 'cache'));
  fs.symlinkSync(path.join(repo.dir, 'cache'), path.join(wt, 'cache'));
  const before = record(repo.dir, { provisioned: ['cache'] });
  assert.ok(!before.files.some((f) => f.file.endsWith('cache')));
  git(repo.dir, 'update-ref', 'refs/axiom/salvage/wt/1', snapshotCommit(wt));
  assert.deepEqual(kinds(verify(before, repo.dir)), ['provisioned-blob']);
});

test('checker: a target moved by an operation not asked to move it is reported; the asked one and user commits are not', () => {
  setup();
  const before = record(repo.dir, { targets: ['main', 'dev'] });
  git(repo.dir, 'branch', 'dev');
  const before2 = record(repo.dir, { targets: ['main', 'dev'] });
  git(repo.dir, 'update-ref', 'refs/heads/dev', repo.commit('moved main', { 'm.txt': 'm\n' }));
  assert.deepEqual(verify(before, repo.dir, { mayMove: ['main'] }), []);
  const losses = verify(before2, repo.dir, { mayMove: ['main'] });
  assert.deepEqual(kinds(losses), ['target-unasked']);
  assert.match(losses.find((l) => l.kind === 'target-unasked')!.what, /^dev moved/);
  assert.deepEqual(kinds(verify(before2, repo.dir, { mayMove: [] })), ['target-unasked']);
  assert.deepEqual(verify(before2, repo.dir, { mayMove: ['main', 'dev'] }), []);
  const before3 = record(repo.dir, { targets: ['main', 'dev'] });
  const user = repo.commit('the user commits on main meanwhile', { 'u.txt': 'u\n' });
  assert.deepEqual(verify(before3, repo.dir, { mayMove: [], userCommits: [{ branch: 'main', sha: user }] }), []);
});

test('checker: a race landing twice is reported (the first landing is fine)', () => {
  setup();
  const before = record(repo.dir);
  repo.commit('Land r-1, winner of race r', { 'l.txt': 'l\n' });
  assert.ok(landed(before, 'main'));
  assert.deepEqual(verify(before, repo.dir, { landing: { race: 'r', branch: 'main', earlier: 0 } }), []);
  const before2 = record(repo.dir);
  repo.commit('Land r-2, winner of race r', { 'l2.txt': 'l\n' });
  const losses = verify(before2, repo.dir, { landing: { race: 'r', branch: 'main', earlier: 1 } });
  assert.deepEqual(kinds(losses), ['landing-once']);
  const before3 = record(repo.dir);
  assert.ok(!landed(before3, 'main'));
  assert.deepEqual(verify(before3, repo.dir, { landing: { race: 'r', branch: 'main', earlier: 2 } }), [], 'a refused landing moved nothing');
});

test('checker: a process of a cleaned-up instance or of an ended evaluation still alive is reported', async () => {
  setup();
  const pids = path.join(repo.parent, 'pids');
  fs.mkdirSync(pids);
  const daemon = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  fs.writeFileSync(path.join(pids, 'setup.wt'), `${daemon.pid}\n`);
  fs.writeFileSync(path.join(pids, 'eval.other'), `${daemon.pid}\n`);
  try {
    assert.ok(isAlive(daemon.pid!));
    assert.deepEqual(processesAlive(pids, { gone: [] }), [], 'a live instance may have its daemon');
    assert.deepEqual(kinds(processesAlive(pids, { gone: ['wt'] })), ['process-alive']);
    assert.deepEqual(kinds(processesAlive(pids, { gone: [], finishedEvaluations: ['other'] })), ['process-alive']);
    assert.deepEqual(processesAlive(pids, { gone: [], finishedEvaluations: ['other'], ignore: new Set([daemon.pid!]) }), [], 'a process that was there before the evaluation');
  } finally {
    daemon.kill('SIGKILL');
  }
  await new Promise((r) => daemon.once('exit', r));
  assert.deepEqual(processesAlive(pids, { gone: ['wt'], finishedEvaluations: ['other'] }), []);
});

test('checker: a live instance missing from list, conflicts or land --all is reported', () => {
  const { wt } = setup();
  const admin = path.join(repo.dir, '.git', 'worktrees', 'wt');
  fs.writeFileSync(path.join(admin, 'axiom.json'), JSON.stringify({ id: 'wt', base: 'main' }));
  let live = liveInstances(repo.dir);
  assert.deepEqual([...live.keys()], ['wt']);
  assert.equal(live.get('wt')!.ahead, false);
  assert.deepEqual(kinds(visibility(live, { list: [] })), ['live-visible']);
  assert.deepEqual(visibility(live, { list: ['wt'], conflicts: [], landAll: [] }), [], 'without commits it need not be in conflicts or land --all');
  commitIn(wt, 'work', { 'w.txt': 'w\n' });
  live = liveInstances(repo.dir);
  assert.equal(live.get('wt')!.ahead, true);
  assert.equal(visibility(live, { list: ['wt'], conflicts: [], landAll: [] }).length, 2);
  assert.deepEqual(visibility(live, { list: ['wt'], conflicts: ['wt'], landAll: ['wt'] }), []);
  fs.rmSync(wt, { recursive: true, force: true });
  assert.equal(liveInstances(repo.dir).size, 0, 'a worktree whose folder is gone is not live');
});

test('checker: pending properties come from AXIOM_PROPERTY_PENDING (empty: all on), else the default list', () => {
  assert.deepEqual([...pendingProperties({ AXIOM_PROPERTY_PENDING: 'provisioned-blob, process-alive' })], ['provisioned-blob', 'process-alive']);
  assert.deepEqual([...pendingProperties({ AXIOM_PROPERTY_PENDING: '' })], []);
  assert.deepEqual([...pendingProperties({})], [...PENDING_BY_DEFAULT]);
});

/** A search record as git holds it (search.json and nodes/<id>.json under refs/axiom/searches/<name>/record), written with raw git. */
function searchRecord(name: string, search: Record<string, unknown>, nodes: { id: number; parent: number | null; commit: string | null }[]): void {
  const blob = (o: unknown): string => execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, input: JSON.stringify(o), encoding: 'utf8' }).trim();
  const mktree = (entries: string[]): string => execFileSync('git', ['mktree'], { cwd: repo.dir, input: entries.join('\n') + '\n', encoding: 'utf8' }).trim();
  const nodesTree = mktree(nodes.map((n) => `100644 blob ${blob({ ...n, instance: null, state: 'evaluated' })}\t${n.id}.json`));
  const tree = mktree([`100644 blob ${blob(search)}\tsearch.json`, `040000 tree ${nodesTree}\tnodes`]);
  const commit = execFileSync('git', ['commit-tree', tree, '-m', 'record'], { cwd: repo.dir, encoding: 'utf8' }).trim();
  git(repo.dir, 'update-ref', `refs/axiom/searches/${name}/record`, commit);
}

test('checker: a search node commit reachable from no ref, two landings of one search, and a live slot of an ended search are reported', () => {
  setup();
  const base = git(repo.dir, 'rev-parse', 'main').trim();
  const wt = path.join(repo.parent, 'wt');
  const a = commitIn(wt, 'node 1', { 'n1.txt': '1\n' });
  git(wt, 'switch', '-q', '--detach', base);
  const b = commitIn(wt, 'node 2', { 'n2.txt': '2\n' });
  const lost = commitIn(wt, 'node 3', { 'n3.txt': '3\n' });
  git(wt, 'switch', '-q', 'feat');
  git(repo.dir, 'update-ref', 'refs/axiom/searches/q/nodes/2', b);
  const search = { base: 'main', baseSha: base, state: 'done', driver: null };
  searchRecord('q', search, [{ id: 0, parent: null, commit: base }, { id: 1, parent: 0, commit: a }, { id: 2, parent: 0, commit: b }, { id: 3, parent: 0, commit: lost }]);
  assert.deepEqual(searchLosses(repo.dir, []), [{ kind: 'search-node', what: `node 3 of search q (${lost.slice(0, 10)}) is reachable from no ref` }]);
  // Node 1 landed (main gained it); then node 2, on another path of the tree, landed too.
  git(repo.dir, 'merge', '-q', '--no-ff', '-m', 'land node 1', a);
  assert.deepEqual(kinds(searchLosses(repo.dir, [])), ['search-node'], 'one landing is fine');
  git(repo.dir, 'merge', '-q', '--no-ff', '-m', 'land node 2', b);
  assert.deepEqual(kinds(searchLosses(repo.dir, ['q-n4'])), ['search-landing', 'search-node']);
  assert.ok(searchLosses(repo.dir, ['q-n4']).some((l) => l.what.includes('q-n4')), 'the live slot of the ended search is reported');
});

/** A worktree made with raw git and the record Axiom keeps beside it (`<admin>/axiom.json` with its id); `unfinished`: as a spawn leaves it before its checkout. */
function instanceByHand(id: string, unfinished = false): string {
  const dir = path.join(repo.parent, `axiom-${id}`);
  git(repo.dir, 'worktree', 'add', '-q', ...(unfinished ? ['--no-checkout', '--lock', '--reason', 'axiom-spawn 4242'] : []), '-b', `axiom/${id}/1`, dir);
  fs.writeFileSync(path.join(repo.dir, '.git', 'worktrees', `axiom-${id}`, 'axiom.json'), JSON.stringify({ id }));
  return dir;
}

test('checker: spawn --count is all or finished: a success with an instance missing or unfinished, and a refusal that created one, are reported', () => {
  setup();
  const ids = ['m-1', 'm-2'];
  const none = new Set<string>();
  assert.deepEqual(spawnManyLosses(repo.dir, ids, 'refused', none), []);
  instanceByHand('m-1');
  assert.deepEqual(spawnManyLosses(repo.dir, ids, 'ok', none), [{ kind: 'spawn-many', what: 'spawn --count succeeded but m-2 is not a live instance' }]);
  assert.deepEqual(spawnManyLosses(repo.dir, ids, 'refused', none), [{ kind: 'spawn-many', what: 'spawn --count was refused but created m-1' }]);
  assert.deepEqual(spawnManyLosses(repo.dir, ids, 'refused', new Set(['m-1'])), [], 'm-1 was live before the refusal');
  const m2 = instanceByHand('m-2', true);
  assert.deepEqual(spawnManyLosses(repo.dir, ids, 'ok', none), [{ kind: 'spawn-many', what: 'spawn --count succeeded but m-2 is not finished (not checked out, or still locked as a spawn in progress)' }]);
  git(repo.dir, 'worktree', 'unlock', m2);
  git(m2, 'reset', '-q', '--hard');
  assert.deepEqual(spawnManyLosses(repo.dir, ids, 'ok', none), []);
});

test('checker: a killed search driver whose record still names a live process is not resumable', () => {
  setup();
  const base = git(repo.dir, 'rev-parse', 'main').trim();
  searchRecord('q', { base: 'main', baseSha: base, state: 'running', driver: { pid: process.pid } }, [{ id: 0, parent: null, commit: base }]);
  assert.deepEqual(kinds(searchDrivers(repo.dir, 'q')), ['search-resumable']);
  searchRecord('q', { base: 'main', baseSha: base, state: 'running', driver: null }, [{ id: 0, parent: null, commit: base }]);
  assert.deepEqual(searchDrivers(repo.dir, 'q'), []);
  assert.deepEqual(searchDrivers(repo.dir, 'never-recorded'), []);
});

test('checker: a secret an agent wrote during the operation (known by a copy outside the repository) written into the object store is reported', () => {
  const { wt } = setup();
  writeFile(wt, 'debug.log', 'TOKEN=agent-secret\n');
  const copy = path.join(repo.parent, 'secret-copy.log');
  fs.copyFileSync(path.join(wt, 'debug.log'), copy);
  const before = record(repo.dir);
  assert.deepEqual(verify(before, repo.dir, { secretsAlso: [copy] }), []);
  git(wt, 'hash-object', '-w', 'debug.log');
  assert.deepEqual(kinds(verify(before, repo.dir, { secretsAlso: [copy] })), ['ignored-stored']);
});
