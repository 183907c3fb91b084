/** `axiom search` (issue 18): start and drive, status, tree, land once; a background driver; usage errors. */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { git, makeRepo, ROOT, runCli, worktreePaths, type TempRepo } from './helpers';
import { TESTS, writeSearchStandIns } from './searchStandIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

interface NodeDoc {
  id: number;
  parent: number | null;
  round: number;
  state: string;
  result: { passed: boolean; score: number } | null;
}

test('axiom search --wait reaches all-pass, search tree marks the best, search land lands it once', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = writeSearchStandIns(repo.parent);
  const r = await runCli([
    '-C', repo.dir, 'search', 'fix', '--prompt', 'Make every test pass.', '--agent-command', s.agentCommand, '--evaluate', s.evaluateCommand,
    '--attempts', '8', '--width', '1', '--parallel', '1', '--select', 'best', '--target-score', String(TESTS), '--wait', '--json',
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const doc = JSON.parse(r.stdout) as { search: { state: string; stopReason: string; nodes: NodeDoc[] } };
  assert.equal(doc.search.state, 'done');
  assert.deepEqual(doc.search.nodes.map((n) => [n.id, n.parent, n.result?.score]), [[0, null, 0], [1, 0, 1], [2, 1, 2], [3, 2, 3], [4, 3, 4]]);

  const tree = await runCli(['-C', repo.dir, 'search', 'tree', 'fix']);
  assert.equal(tree.code, 0, tree.stderr);
  assert.equal(tree.stdout, [
    '#0 base round 0: failed, score 0 (evaluated)',
    '  #1 custom round 1: failed, score 1 (evaluated)',
    '    #2 custom round 2: failed, score 2 (evaluated)',
    '      #3 custom round 3: failed, score 3 (evaluated)',
    '        #4 custom round 4: passed, score 4 (evaluated)  ← best',
    '',
  ].join('\n'));
  const status = await runCli(['-C', repo.dir, 'search', 'status', 'fix']);
  assert.match(status.stdout, /^Search fix: done \(the target score 4 is reached\)\n/);
  assert.match(status.stdout, /attempts 4\/8/);

  const land = await runCli(['-C', repo.dir, 'search', 'land', 'fix']);
  assert.equal(land.code, 0, land.stderr);
  assert.match(land.stdout, /^Landed node 4 of search fix into main/);
  assert.equal(git(repo.dir, 'show', 'main:impl.txt').split('\n').filter(Boolean).length, TESTS);
  const again = await runCli(['-C', repo.dir, 'search', 'land', 'fix', '--json']);
  assert.equal(again.code, 3);
  assert.match(again.stderr + again.stdout, /AlreadyLanded|already landed/);
});

test('axiom search without --wait is driven in the background; stop ends it; usage errors name the problem', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = writeSearchStandIns(repo.parent);
  // An agent that never finishes by itself: the search runs until it is stopped.
  const slow = `node -e "require('fs').writeFileSync('wip.txt', 'x'); setTimeout(() => {}, 600000)" {prompt}`;
  const r = await runCli(['-C', repo.dir, 'search', 'bg', '--prompt', 'p', '--agent-command', slow, '--evaluate', s.evaluateCommand, '--parallel', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  for (let i = 0; ; i++) {
    const st = JSON.parse((await runCli(['-C', repo.dir, 'search', 'status', 'bg', '--json'])).stdout) as { driven: boolean; search: { nodes: NodeDoc[] } };
    if (st.driven && st.search.nodes.some((n) => n.state === 'running' && n.parent !== null)) break;
    assert.ok(i < 300, 'the background driver starts an attempt');
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal((await runCli(['-C', repo.dir, 'search', 'stop', 'bg'])).code, 0);
  for (let i = 0; ; i++) {
    const st = JSON.parse((await runCli(['-C', repo.dir, 'search', 'status', 'bg', '--json'])).stdout) as { search: { state: string; nodes: NodeDoc[] } };
    if (st.search.state === 'stopped') {
      assert.equal(st.search.nodes[1]!.state, 'failed');
      break;
    }
    assert.ok(i < 300, 'the driver ends the search');
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir], 'the stopped attempt\'s slot is gone');
  assert.ok(git(repo.dir, 'for-each-ref', '--format=%(refname)', 'refs/axiom/salvage/').includes('bg-n1'), 'its work salvaged as usual');

  assert.equal((await runCli(['-C', repo.dir, 'search', 'x', '--evaluate', 'true'])).code, 2, 'no --prompt');
  assert.equal((await runCli(['-C', repo.dir, 'search', 'x', '--prompt', 'p', '--select', 'random'])).code, 2);
  assert.equal((await runCli(['-C', repo.dir, 'search', 'x', '--prompt', 'p', '--width', '0'])).code, 2);
  assert.equal((await runCli(['-C', repo.dir, 'search', 'status'])).code, 2);
  const missing = await runCli(['-C', repo.dir, 'search', 'tree', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No search named "nope"\. Searches: bg\./);
  const noEval = await runCli(['-C', repo.dir, 'search', 'y', '--prompt', 'p', '--agent-command', slow]);
  assert.equal(noEval.code, 2);
  assert.match(noEval.stderr, /needs an evaluation command/);
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/axiom/searches/y/'), '', 'a refused search records nothing');
});

interface StatusDoc {
  driven: boolean;
  search: { driver: { pid: number } | null; nodes: NodeDoc[]; permissionMode?: string };
}

/** Waits until the search's background driver is driving and `ready` holds, kills it (SIGKILL), and waits until it no longer drives; the status it was killed at. */
async function killDriverWhen(name: string, ready: (st: StatusDoc) => boolean, what: string): Promise<StatusDoc> {
  const status = async (): Promise<StatusDoc> => JSON.parse((await runCli(['-C', repo.dir, 'search', 'status', name, '--json'])).stdout) as StatusDoc;
  let st: StatusDoc;
  // Deadlines, not poll counts: one poll is a CLI start, seconds on a loaded machine.
  for (const deadline = Date.now() + 300_000; !((st = await status()).driven && ready(st)); ) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((res) => setTimeout(res, 50));
  }
  process.kill(st.search.driver!.pid, 'SIGKILL');
  for (const deadline = Date.now() + 120_000; (await status()).driven; ) {
    assert.ok(Date.now() < deadline, 'the killed driver no longer drives');
    await new Promise((res) => setTimeout(res, 50));
  }
  return st;
}

test('a search whose background driver is killed (SIGKILL) mid-attempt is continued by search resume to all-pass', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  // The attempts from node 2 on wait while this file exists: round 2 is at work until the test lets it go
  // (a fixed delay was missed by the polls below on a loaded machine, and the test waited for ever).
  const hold = path.join(repo.parent, 'hold');
  fs.writeFileSync(hold, '');
  const s = writeSearchStandIns(repo.parent, { hold: { file: hold, from: 2 } });
  const r = await runCli([
    '-C', repo.dir, 'search', 'k', '--prompt', 'Make every test pass.', '--agent-command', s.agentCommand, '--evaluate', s.evaluateCommand,
    '--attempts', '10', '--width', '1', '--parallel', '1', '--select', 'best', '--target-score', String(TESTS), '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  await killDriverWhen('k', (st) => st.search.nodes.some((n) => n.state === 'running' && n.round === 2), 'the background driver reaches round 2');
  fs.rmSync(hold); // the attempt at work during the kill finishes now
  const resumed = await runCli(['-C', repo.dir, 'search', 'resume', 'k', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  const doc = JSON.parse(resumed.stdout) as { search: { state: string; stopReason: string; nodes: NodeDoc[] } };
  assert.equal(doc.search.state, 'done');
  assert.equal(doc.search.stopReason, `the target score ${TESTS} is reached`);
  assert.deepEqual(doc.search.nodes.map((n) => [n.round, n.state, n.result?.score]), [[0, 'evaluated', 0], [1, 'evaluated', 1], [2, 'evaluated', 2], [3, 'evaluated', 3], [4, 'evaluated', 4]], 'the attempt at work during the kill was evaluated, nothing repeated');
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir]);
});

test('axiom search takes Claude\'s permission mode as axiom race does, through the one launcher: --permission-mode wins over git config\'s, an unknown one is refused before anything is recorded; search stop starts no agent and needs none', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = writeSearchStandIns(repo.parent);
  const start = (name: string, ...more: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    runCli(['-C', repo.dir, 'search', name, '--prompt', 'Make every test pass.', '--agent-command', s.agentCommand, '--evaluate', s.evaluateCommand, '--attempts', '1', '--width', '1', '--parallel', '1', '--wait', '--json', ...more]);
  const usage = await start('pm', '--permission-mode', 'yolo');
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--permission-mode must be one of acceptEdits, auto/);
  git(repo.dir, 'config', 'axiom.claudePermissionMode', 'manual');
  const fromConfig = await start('pm');
  assert.equal(fromConfig.code, 2, fromConfig.stderr);
  assert.match(fromConfig.stderr, /Unknown git config axiom.claudePermissionMode \\"manual\\"/);
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/axiom/searches/').trim(), '', 'nothing was recorded');
  const given = await start('pm', '--permission-mode', 'plan');
  assert.ok(given.code === 0 || given.code === 3, given.stderr);
  assert.equal((JSON.parse(given.stdout) as { search: { state: string } }).search.state, 'done');
  const stop = await runCli(['-C', repo.dir, 'search', 'stop', 'pm', '--json']);
  assert.equal(stop.code, 0, `stop decides no permission mode: ${stop.stderr}`);
});

test('search resume after its driver was killed starts its Claudes with the permission mode the search was started with, not git config\'s; resume with another --permission-mode is refused and changes nothing', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = writeSearchStandIns(repo.parent);
  // `claude` on the PATH: the stand-in Claude of test/fixtures/bin, each start's arguments logged; it waits while `hold` exists.
  const bin = path.join(repo.parent, 'bin');
  const argvLog = path.join(repo.parent, 'claude-argv.log');
  const hold = path.join(repo.parent, 'hold');
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, 'claude'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(argvLog)}\nwhile [ -e ${JSON.stringify(hold)} ]; do sleep 0.05; done\nexec node ${JSON.stringify(path.join(ROOT, 'test', 'fixtures', 'bin', 'claude'))} "$@"\n`,
    { mode: 0o755 },
  );
  const env = { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  const modes = (): string[] => fs.readFileSync(argvLog, 'utf8').split('\n').filter(Boolean).map((l) => /--permission-mode (\S+)/.exec(l)?.[1] ?? 'none');
  fs.writeFileSync(hold, '');
  const r = await runCli(['-C', repo.dir, 'search', 'pm', '--prompt', 'Make every test pass.', '--agent', 'claude', '--evaluate', s.evaluateCommand, '--attempts', '2', '--width', '1', '--parallel', '1', '--permission-mode', 'plan', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const killed = await killDriverWhen('pm', (st) => st.search.nodes.some((n) => n.state === 'running' && n.round === 1) && fs.existsSync(argvLog), 'the background driver starts attempt 1');
  assert.equal(killed.search.permissionMode, 'plan', 'the mode is recorded when the search starts');
  // Git config now names another mode; the resume without one still uses the search's.
  git(repo.dir, 'config', 'axiom.claudePermissionMode', 'default');
  const record = git(repo.dir, 'rev-parse', 'refs/axiom/searches/pm/record').trim();
  const other = await runCli(['-C', repo.dir, 'search', 'resume', 'pm', '--permission-mode', 'acceptEdits'], { env });
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /Search pm was started with Claude's permission mode plan; its attempts keep it/);
  assert.equal(git(repo.dir, 'rev-parse', 'refs/axiom/searches/pm/record').trim(), record, 'a refused resume changes nothing');
  fs.rmSync(hold);
  const resumed = await runCli(['-C', repo.dir, 'search', 'resume', 'pm', '--json'], { env });
  assert.ok(resumed.code === 0 || resumed.code === 3, resumed.stderr);
  const doc = JSON.parse(resumed.stdout) as { search: { state: string; nodes: NodeDoc[] } };
  assert.deepEqual(doc.search.nodes.map((n) => n.state), ['evaluated', 'evaluated', 'evaluated'], 'the attempt at work during the kill evaluated, the second started by the resume');
  assert.deepEqual(modes(), ['plan', 'plan'], 'both Claudes started in plan mode');
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir]);
});
