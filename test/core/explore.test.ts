import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, AxiomError, inLandingOrder, largestCleanSet, parseAgentMix, rankRows, scoreOfLine, type MergeResult, type RankRow } from '../../src/core';
import { parseCatFileBatch } from '../../src/core/explore/attempts';
import { commitIn, git, makeRepo, runCli, writeFile, type TempRepo } from './helpers';
import { solutionOf, writeStandIns, type StandIns } from './standIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/** A race of `count` members started without agents; the test plays each agent (member 2 writes a broken solution). */
async function raceWithSolutions(engine: AxiomEngine, s: StandIns, count = 3, task = 'fix') {
  const { race, members } = await engine.explore.startRace({ task, count, agents: 'claude', prompt: 'fix it', evaluate: s.evaluateCommand, launch: 'none' }, null);
  const commits = new Map<string, string>();
  members.forEach((m, i) => commits.set(m.id, commitIn(m.path, `solution of ${m.id}`, { ...solutionOf(i + 1), [`${m.id}.txt`]: `${m.id}\n` })));
  return { race, members, commits };
}

function row(id: string, passed: boolean | null, score: number | null, size = 10, durationMs = 100): Omit<RankRow, 'rank'> {
  return {
    id,
    passed,
    exitCode: passed ? 0 : 1,
    timedOut: false,
    score,
    durationMs,
    agentMs: null,
    diff: { files: 1, added: size, deleted: 0 },
    conflictsWithBase: false,
    agent: 'claude',
    evaluatedAt: null,
    live: true,
    stale: false,
    agentPhase: null,
  };
}

test('rank order: passed first, then score by direction, then smaller diff, then faster, then id; not evaluated last', () => {
  const rows = [
    row('fail-high', false, 100),
    row('pass-5', true, 5),
    row('pass-9-big', true, 9, 50),
    row('pass-9-small', true, 9, 5),
    row('pass-none', true, null),
    row('not-run', null, null),
    row('pass-5-fast', true, 5, 10, 10),
    row('b-tie', true, 1, 10, 10),
    row('a-tie', true, 1, 10, 10),
  ];
  const higher = rankRows(rows, 'higher').map((r) => r.id);
  assert.deepEqual(higher, ['pass-9-small', 'pass-9-big', 'pass-5-fast', 'pass-5', 'a-tie', 'b-tie', 'pass-none', 'fail-high', 'not-run']);
  const lower = rankRows(rows, 'lower').map((r) => r.id);
  assert.deepEqual(lower, ['a-tie', 'b-tie', 'pass-5-fast', 'pass-5', 'pass-9-small', 'pass-9-big', 'pass-none', 'fail-high', 'not-run']);
  assert.deepEqual(rankRows(rows, 'higher').map((r) => r.rank), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('score lines, agent mixes and the largest clean set', () => {
  assert.equal(scoreOfLine('AXIOM_SCORE=42'), 42);
  assert.equal(scoreOfLine('  AXIOM_SCORE= -1.5e2 \r'), -150);
  assert.equal(scoreOfLine('AXIOM_SCORE=.5'), 0.5);
  for (const bad of ['AXIOM_SCORE=', 'AXIOM_SCORE=abc', 'score AXIOM_SCORE=3', 'AXIOM_SCORE=3 points', 'AXIOM_SCORE=Infinity']) assert.equal(scoreOfLine(bad), null, bad);
  assert.deepEqual(parseAgentMix('claude:2,codex:1', undefined, 'claude'), ['claude', 'claude', 'codex']);
  assert.deepEqual(parseAgentMix('claude,codex', 5, 'claude'), ['claude', 'codex', 'claude', 'codex', 'claude']);
  assert.deepEqual(parseAgentMix(undefined, 2, 'custom'), ['custom', 'custom']);
  assert.throws(() => parseAgentMix('claude:2,codex:1', 4, 'claude'), /has 3 members but the member count is 4/);
  assert.throws(() => parseAgentMix('claude:2,codex', undefined, 'claude'), /for every agent of the mix/);
  assert.throws(() => parseAgentMix('rm -rf', undefined, 'claude'), /not an agent/);
  // 0-1, 1-2 conflict; 3 free: {0, 2, 3}. A 5-cycle: at most 2.
  assert.deepEqual(largestCleanSet(4, [[0, 1], [1, 2]]), [0, 2, 3]);
  assert.equal(largestCleanSet(5, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]).length, 2);
  assert.deepEqual(largestCleanSet(3, []), [0, 1, 2]);
  // A batch merge (issue 12) in the forecast's order: known ids first in that order, the rest as given.
  const rows = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
  assert.deepEqual(inLandingOrder(rows, ['d', 'b', 'x']).map((r) => r.id), ['d', 'b', 'a', 'c', 'e']);
  assert.deepEqual(inLandingOrder(rows, []).map((r) => r.id), ['a', 'b', 'c', 'd', 'e']);
  // cat-file --batch sizes are bytes: multi-byte text must not shift the next record.
  const a = '{"prompt":"résumé ✓"}';
  const b = '{"x":1}';
  const batch = `${'1'.repeat(40)} blob ${Buffer.byteLength(a)}\n${a}\n${'2'.repeat(40)} missing\n${'3'.repeat(40)} blob ${Buffer.byteLength(b)}\n${b}\n`;
  assert.deepEqual(parseCatFileBatch(batch), [a, b]);
});

test('evaluate: passed, exit code, last AXIOM_SCORE line, diff size, log; stored as a note on HEAD', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  const head = commitIn(a.path, 'solution', solutionOf(3));
  const e = await engine.explore.evaluate('a', { command: s.evaluateCommand });
  assert.equal(e.passed, true);
  assert.equal(e.exitCode, 0);
  assert.equal(e.score, 5, 'the last AXIOM_SCORE line wins over the earlier 0');
  assert.equal(e.snapshot, false);
  assert.equal(e.commit, head);
  assert.equal(e.head, head);
  assert.deepEqual(e.diff, { files: 1, added: 2, deleted: 0 });
  assert.deepEqual(e.command.slice(0, 1), ['node']);
  assert.match(fs.readFileSync(e.logFile!, 'utf8'), /checking a[\s\S]*some diagnostics on stderr[\s\S]*exit 0/);
  const note = git(repo.dir, 'notes', '--ref=refs/notes/axiom', 'show', head);
  assert.equal(JSON.parse(note.trim()).score, 5);

  commitIn(a.path, 'break it', solutionOf(2));
  const failed = await engine.explore.evaluate('a', { command: s.evaluateCommand });
  assert.equal(failed.passed, false);
  assert.equal(failed.exitCode, 1);
  assert.equal(failed.score, 9, 'a failing evaluation still reports its score');
});

test('evaluate a dirty worktree: a snapshot commit of the exact state, user index untouched, ignored files never stored', async () => {
  repo = makeRepo({ '.gitignore': '.env\n', 'README.md': '# r\n' });
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  writeFile(a.path, 'solution.txt', 'quality 7\n');
  writeFile(a.path, 'staged.txt', 'staged\n');
  git(a.path, 'add', 'staged.txt');
  writeFile(a.path, '.env', 'SECRET=hunter2\n');
  const indexFile = path.join(a.adminDir, 'index');
  const indexBefore = fs.readFileSync(indexFile);
  const statusBefore = git(a.path, 'status', '--porcelain');

  const e = await engine.explore.evaluate('a', { command: s.evaluateCommand });
  assert.equal(e.passed, true);
  assert.equal(e.score, 7);
  assert.equal(e.snapshot, true);
  assert.notEqual(e.commit, e.head);
  assert.equal(git(repo.dir, 'rev-parse', `${e.commit}^`).trim(), e.head);
  const files = git(repo.dir, 'ls-tree', '-r', '--name-only', e.commit).split('\n').filter(Boolean).sort();
  assert.deepEqual(files, ['.gitignore', 'README.md', 'solution.txt', 'staged.txt']);
  assert.equal(git(repo.dir, 'cat-file', 'blob', `${e.commit}:solution.txt`), 'quality 7\n');
  // No object anywhere holds the secret.
  const all = git(repo.dir, 'rev-list', '--all', '--objects').split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
  for (const sha of all) if (git(repo.dir, 'cat-file', '-t', sha!).trim() === 'blob') assert.doesNotMatch(git(repo.dir, 'cat-file', 'blob', sha!), /hunter2/);
  assert.deepEqual(fs.readFileSync(indexFile), indexBefore, 'the worktree index is byte-identical');
  assert.equal(git(a.path, 'status', '--porcelain'), statusBefore);
  // The snapshot stays reachable (a ref), and so does its note.
  assert.match(git(repo.dir, 'for-each-ref', '--format=%(objectname)', 'refs/axiom/evaluated/'), new RegExp(e.commit));
});

test('.axiom.json "evaluate" (string or object) and git config axiom.evaluate; the command gets the instance environment', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const envDump = path.join(s.dir, 'env.js');
  fs.writeFileSync(envDump, "console.log('id=' + process.env.AXIOM_INSTANCE_ID + ' port=' + process.env.AXIOM_PORT + ' db=' + process.env.DB + ' gitdir=' + (process.env.GIT_DIR ?? 'none')); console.log('AXIOM_SCORE=' + process.env.AXIOM_PORT.length);\n");
  repo.commit('configure', { '.axiom.json': `// comments are fine\n{ "ports": 2, "env": { "DB": "db_{id}" }, "evaluate": { "command": "node ${envDump.replace(/\\/g, '/')}", "score": "lower", "timeoutSec": 30 } }\n` });
  const engine = await AxiomEngine.open(repo.dir);
  assert.deepEqual(await engine.explore.configuredEvaluation(), { command: `node ${envDump}`, score: 'lower', timeoutSec: 30 });
  const a = await engine.spawn('a');
  process.env.GIT_DIR = '/somewhere/else'; // an inherited redirect must not reach the command
  let e;
  try {
    e = await engine.explore.evaluate('a');
  } finally {
    delete process.env.GIT_DIR;
  }
  assert.equal(e.passed, true);
  assert.equal(e.scoreDirection, 'lower');
  const log = fs.readFileSync(e.logFile!, 'utf8');
  assert.match(log, new RegExp(`id=a port=${a.ports[0]} db=db_a gitdir=none`));
  // A race records what judges it when it starts (the configuration's evaluation, direction included).
  const { race } = await engine.explore.startRace({ task: 'cfg', count: 1, launch: 'none' }, null);
  assert.deepEqual(race.evaluate, { command: `node ${envDump}`, score: 'lower', timeoutSec: 30 });
  git(repo.dir, 'config', 'axiom.evaluate', `node ${s.evaluator}`);
  assert.deepEqual(await engine.explore.configuredEvaluation(), { command: `node ${s.evaluator}`, score: 'lower', timeoutSec: 30 });
  fs.writeFileSync(path.join(repo.dir, '.axiom.json'), '{ "evaluate": "npm test" }');
  git(repo.dir, 'config', '--unset', 'axiom.evaluate');
  assert.deepEqual(await engine.explore.configuredEvaluation(), { command: 'npm test', score: 'higher', timeoutSec: 600 });
  fs.writeFileSync(path.join(repo.dir, '.axiom.json'), '{ "evaluate": { "command": "x", "score": "best" } }');
  await assert.rejects(engine.explore.configuredEvaluation(), (err: AxiomError) => err.code === 'InvalidConfig' && /evaluate/.test(err.message));
});

test('evaluation timeout: the whole process group is stopped, the result says timed out and failed', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  const e = await engine.explore.evaluate('a', { command: `node ${JSON.stringify(s.sleepy)}`, timeoutSec: 1 });
  assert.equal(e.timedOut, true);
  assert.equal(e.passed, false);
  assert.equal(e.score, 1);
  assert.match(fs.readFileSync(e.logFile!, 'utf8'), /timed out after 1 s/);
  await new Promise((r) => setTimeout(r, 3500));
  assert.equal(fs.existsSync(path.join(a.path, 'late.txt')), false, 'the evaluator\'s child was stopped with it');
});

test('no evaluation runs in untrusted mode, and no command runs without one being configured', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const canary = path.join(repo.parent, 'canary.txt');
  const trusted = await AxiomEngine.open(repo.dir);
  await trusted.spawn('a');
  const untrusted = await AxiomEngine.open(repo.dir, { untrusted: true });
  await assert.rejects(
    untrusted.explore.evaluate('a', { command: `node -e "require('fs').writeFileSync(${JSON.stringify(canary)}, 'ran')"` }),
    (e: AxiomError) => e.code === 'Untrusted',
  );
  await assert.rejects(untrusted.explore.conflicts(), (e: AxiomError) => e.code === 'Untrusted');
  assert.equal(fs.existsSync(canary), false);
  await assert.rejects(trusted.explore.evaluate('a'), (e: AxiomError) => e.code === 'InvalidArgument' && /no evaluation command/.test(e.message));
  assert.equal(git(repo.dir, 'notes', '--ref=refs/notes/axiom', 'list'), '');
  void s;
});

test('race: members <task>-1…N from one base, recorded in git; evaluate --race; rank puts a failing high score below passing ones', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await raceWithSolutions(engine, s);
  assert.deepEqual(members.map((m) => m.id), ['fix-1', 'fix-2', 'fix-3']);
  assert.equal(race.base, 'main');
  assert.match(race.ref, /^refs\/axiom\/races\/fix\/\d+$/);
  assert.deepEqual(new Set(members.map((m) => m.baseSha)).size, 1);
  // Every front end sees the record: a second engine (another process would do the same).
  const other = await AxiomEngine.open(repo.dir);
  assert.equal((await other.explore.race('fix')).evaluate.command, s.evaluateCommand);

  const outcomes = await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  assert.equal(outcomes.filter((o) => 'result' in o).length, 3);
  const { rows } = await engine.explore.rank('fix');
  assert.deepEqual(rows.map((r) => [r.id, r.rank, r.passed, r.score]), [
    ['fix-3', 1, true, 5],
    ['fix-1', 2, true, 3],
    ['fix-2', 3, false, 9],
  ]);
  assert.ok(rows.every((r) => r.live && !r.stale && r.diff!.files === 2 && r.conflictsWithBase === false));
  commitIn(members[0]!.path, 'more', { 'more.txt': 'x\n' });
  assert.equal((await engine.explore.rank('fix')).rows.find((r) => r.id === 'fix-1')!.stale, true);
  await assert.rejects(engine.explore.startRace({ task: 'fix', count: 2, launch: 'none' }, null), (e: AxiomError) => e.code === 'AlreadyExists');
  await assert.rejects(engine.explore.startRace({ task: 'Bad Task', count: 2, launch: 'none' }, null), (e: AxiomError) => e.code === 'InvalidArgument');
});

test('land merges the winner, salvages every other member (every commit reachable), records the outcome', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members, commits } = await raceWithSolutions(engine, s);
  writeFile(members[0]!.path, 'uncommitted.txt', 'work in progress of fix-1\n');
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  const plan = await engine.explore.planLanding('fix');
  assert.equal(plan.winner, 'fix-3');
  assert.deepEqual(plan.losers.map((l) => [l.id, l.action]), [['fix-1', 'salvage'], ['fix-2', 'salvage']]);

  const r = await engine.explore.land('fix');
  assert.equal(r.winner, 'fix-3');
  assert.equal(r.merged.into, 'main');
  assert.equal(git(repo.dir, 'show', 'main:solution.txt'), solutionOf(3)['solution.txt']);
  assert.equal(git(repo.dir, 'merge-base', '--is-ancestor', commits.get('fix-3')!, 'main'), '');
  assert.deepEqual(r.salvaged.map((x) => x.id), ['fix-1', 'fix-2']);
  assert.deepEqual([...r.cleaned].sort(), ['fix-1', 'fix-2', 'fix-3']);
  for (const m of members) assert.equal(fs.existsSync(m.path), false);
  // Every loser commit is reachable from its salvage ref, and fix-1's uncommitted file is in its salvage.
  for (const x of r.salvaged) assert.equal(git(repo.dir, 'merge-base', '--is-ancestor', commits.get(x.id)!, x.ref), '');
  const fix1 = r.salvaged.find((x) => x.id === 'fix-1')!.ref;
  assert.equal(git(repo.dir, 'show', `${fix1}:uncommitted.txt`), 'work in progress of fix-1\n');
  const landed = (await engine.explore.race('fix')).landed!;
  assert.equal(landed.winner, 'fix-3');
  assert.equal(landed.mergedSha, git(repo.dir, 'rev-parse', 'main').trim());
});

test('land --keep-losers leaves the others; --pick lands a chosen member even when it failed', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await raceWithSolutions(engine, s);
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  const r = await engine.explore.land('fix', { pick: 'fix-2', keepLosers: true, strategy: 'squash' });
  assert.equal(r.winner, 'fix-2');
  assert.match(git(repo.dir, 'show', 'main:solution.txt'), /broken/);
  assert.deepEqual(r.salvaged, []);
  assert.deepEqual(r.kept.map((k) => k.id), ['fix-1', 'fix-3']);
  assert.ok(fs.existsSync(members[0]!.path) && fs.existsSync(members[2]!.path));
});

test('land refused on conflict: nothing merged, nothing cleaned, no salvage, no record', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await raceWithSolutions(engine, s);
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  repo.commit('main solves it differently', { 'solution.txt': 'main version\n' });
  const mainBefore = git(repo.dir, 'rev-parse', 'main').trim();
  const branchesBefore = git(repo.dir, 'for-each-ref', '--format=%(refname) %(objectname)');
  await assert.rejects(engine.explore.land('fix'), (e: AxiomError) => e.code === 'MergeConflict' && e.details.conflicts!.includes('solution.txt') && /no member was cleaned up/.test(e.message));
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), mainBefore);
  assert.equal(git(repo.dir, 'for-each-ref', '--format=%(refname) %(objectname)'), branchesBefore);
  for (const m of members) assert.ok(fs.existsSync(m.path), `${m.id} is still there`);
  assert.equal((await engine.explore.race('fix')).landed, undefined);
  assert.equal(git(repo.dir, 'status', '--porcelain'), '');
});

test('automatic evaluation is decided again under the member\'s claim: one another process just made is not repeated', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { members } = await raceWithSolutions(engine, s, 1);
  const first = await engine.explore.evaluate('fix-1', { onlyIfDue: true });
  // Another front end (the extension, an MCP server) saw the member due before that note existed.
  const other = await AxiomEngine.open(repo.dir);
  await assert.rejects(other.explore.evaluate('fix-1', { onlyIfDue: true }), (e: AxiomError) => e.code === 'Locked' && /evaluated by another process/.test(e.message));
  assert.equal((await engine.explore.rank('fix')).rows[0]!.evaluatedAt, first.at, 'still the one evaluation');
  // The agent finishes again later (a new turn): then it is due, and evaluated.
  const later = new Date(Date.now() + 1000).toISOString();
  fs.appendFileSync(path.join(members[0]!.adminDir, 'axiom-status.jsonl'), JSON.stringify({ event: 'Stop', at: later }) + '\n');
  const again = await other.explore.evaluate('fix-1', { onlyIfDue: true });
  assert.ok(again.at > first.at);
});

test('waiting for a race runs at most `parallel` evaluation commands at once, and evaluates every member once', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  // The evaluator counts how many evaluations run at the same moment (a marker file each, in a shared folder).
  const running = path.join(repo.parent, 'running');
  fs.mkdirSync(running);
  const evaluator = path.join(repo.parent, 'overlap.js');
  fs.writeFileSync(
    evaluator,
    `const fs = require('node:fs'), path = require('node:path');
const dir = process.argv[2], me = path.join(dir, String(process.pid));
const count = () => fs.readdirSync(dir).filter((f) => !f.startsWith('max')).length;
fs.writeFileSync(me, '');
const atStart = count();
setTimeout(() => {
  fs.writeFileSync(path.join(dir, 'max-' + process.pid), String(Math.max(atStart, count())));
  fs.rmSync(me);
  console.log('AXIOM_SCORE=1');
}, 1000);
`,
  );
  const { race } = await engine.explore.startRace({ task: 'slots', count: 4, launch: 'none', evaluate: `node ${JSON.stringify(evaluator)} ${JSON.stringify(running)}` }, null);
  const { rows } = await engine.explore.waitForRace(race.ref, { parallel: 2, pollMs: 50 });
  assert.deepEqual(rows.map((r) => r.passed), [true, true, true, true]);
  const peaks = fs.readdirSync(running).filter((f) => f.startsWith('max-')).map((f) => Number(fs.readFileSync(path.join(running, f), 'utf8')));
  assert.equal(peaks.length, 4, 'each member evaluated exactly once');
  assert.equal(Math.max(...peaks), 2, `at most 2 at once, and 2 did run together (peaks ${peaks.join(', ')})`);
});

test('land refuses while a member\'s agent is at work, and with no passing member', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await raceWithSolutions(engine, s, 2);
  await assert.rejects(engine.explore.land('fix'), (e: AxiomError) => e.code === 'NoWinner' && /has been evaluated yet/.test(e.message));
  await engine.explore.evaluate('fix-2');
  await assert.rejects(engine.explore.land('fix'), (e: AxiomError) => e.code === 'NoWinner' && /passed/.test(e.message));
  await engine.explore.evaluate('fix-1');
  fs.appendFileSync(path.join(members[1]!.adminDir, 'axiom-status.jsonl'), JSON.stringify({ event: 'UserPromptSubmit', at: new Date().toISOString() }) + '\n');
  await assert.rejects(engine.explore.land('fix'), (e: AxiomError) => e.code === 'AgentRunning' && /fix-2: working/.test(e.message));
  assert.ok(members.every((m) => fs.existsSync(m.path)));
  void race;
});

test('land refuses a winner changed since its evaluation, unless picked', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race, members } = await raceWithSolutions(engine, s, 1);
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  writeFile(members[0]!.path, 'solution.txt', 'quality 1\nbroken\n');
  await assert.rejects(engine.explore.land('fix'), (e: AxiomError) => e.code === 'StaleEvaluation');
  const r = await engine.explore.land('fix', { pick: 'fix-1' });
  assert.equal(git(repo.dir, 'show', 'main:solution.txt'), 'quality 1\nbroken\n', 'the uncommitted work was committed and landed');
  assert.deepEqual(r.cleaned, ['fix-1']);
});

test('expand: a child spawned from an instance starts from its branch and merges into it by default', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const parent = await engine.spawn('p');
  commitIn(parent.path, 'parent work', { 'p.txt': 'p\n' });
  const child = await engine.spawn('c', { from: 'p' });
  assert.equal(child.base, parent.branch);
  assert.equal(child.metadata.parent, 'p');
  assert.equal(fs.readFileSync(path.join(child.path, 'p.txt'), 'utf8'), 'p\n');
  commitIn(child.path, 'child work', { 'c.txt': 'c\n' });
  const r = (await engine.merge('c')) as MergeResult;
  assert.equal(r.target, parent.branch);
  assert.equal(r.targetWorktree, parent.path);
  assert.equal(fs.readFileSync(path.join(parent.path, 'c.txt'), 'utf8'), 'c\n');
  assert.equal(git(repo.dir, 'ls-tree', '--name-only', 'main').includes('c.txt'), false, 'main is untouched');
  const status = await engine.status('c');
  assert.equal(status.base, parent.branch);
  assert.equal(status.merged, true);
  await assert.rejects(engine.spawn('d', { from: 'p', base: 'main' }), (e: AxiomError) => e.code === 'InvalidArgument');
  await assert.rejects(engine.spawn('d', { from: 'nope' }), (e: AxiomError) => e.code === 'NotFound');
  // A race can expand a node too: every member is a child of p.
  const { race, members } = await engine.explore.startRace({ task: 'deeper', count: 2, from: 'p', launch: 'none' }, null);
  assert.equal(race.parent, 'p');
  assert.ok(members.every((m) => m.base === parent.branch && m.metadata.parent === 'p'));
});

test('conflict forecast on 4 instances with known overlaps, a landing order, cached by tips; land --all follows it', async () => {
  repo = makeRepo({ 'x.txt': 'x\n', 'y.txt': 'y\n', 'z.txt': 'z\n' });
  const engine = await AxiomEngine.open(repo.dir);
  const edits: Record<string, Record<string, string>> = {
    a: { 'x.txt': 'a\n' },
    b: { 'x.txt': 'b\n', 'y.txt': 'b\n' },
    c: { 'y.txt': 'c\n' },
    d: { 'z.txt': 'd\n' },
  };
  for (const [id, files] of Object.entries(edits)) commitIn((await engine.spawn(id)).path, `${id} edits`, files);
  await engine.spawn('idle'); // no commits: not a landing candidate
  const f = await engine.explore.conflicts();
  assert.deepEqual(f.instances, ['a', 'b', 'c', 'd']);
  assert.deepEqual(f.pairs, [
    { a: 'a', b: 'b', files: ['x.txt'] },
    { a: 'b', b: 'c', files: ['y.txt'] },
  ]);
  assert.deepEqual(f.withBase, []);
  assert.deepEqual(f.order, ['a', 'c', 'd', 'b']);
  assert.deepEqual(f.clean, ['a', 'c', 'd']);
  assert.equal(f.checkedPairs, 6);
  const again = await (await AxiomEngine.open(repo.dir)).explore.conflicts();
  assert.equal(again.cachedPairs, 6, 'a second process answers every pair from the cache');
  assert.deepEqual(again.pairs, f.pairs);

  const cli = await runCli(['-C', repo.dir, 'conflicts', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout).order, ['a', 'c', 'd', 'b']);

  const landed = await runCli(['-C', repo.dir, 'land', '--all', '--json']);
  assert.equal(landed.code, 3, landed.stderr);
  const doc = JSON.parse(landed.stdout);
  assert.deepEqual(doc.landed.map((l: { id: string }) => l.id), ['a', 'c', 'd']);
  assert.deepEqual(doc.cleaned, ['a', 'c', 'd']);
  assert.equal(doc.skipped.length, 1);
  assert.equal(doc.skipped[0].id, 'b');
  assert.match(doc.skipped[0].reason, /conflicts with a, c \(landed before\) in x\.txt, y\.txt/);
  assert.equal(git(repo.dir, 'show', 'main:x.txt'), 'a\n');
  assert.equal(git(repo.dir, 'show', 'main:y.txt'), 'c\n');
  assert.equal(git(repo.dir, 'show', 'main:z.txt'), 'd\n');
  assert.ok(fs.existsSync(path.join(repo.parent, 'axiom-b')), 'the skipped instance stays');
});

test('history outlives cleanup and is read the same from a second process; per-agent stats', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const engine = await AxiomEngine.open(repo.dir);
  const { race } = await engine.explore.startRace({ task: 'fix', agents: 'claude:2,codex:1', prompt: 'fix it', evaluate: s.evaluateCommand, launch: 'none' }, null);
  for (const [i, id] of ['fix-1', 'fix-2', 'fix-3'].entries()) commitIn((await engine.locate(id)).path, `s ${id}`, solutionOf(i + 1));
  await engine.explore.evaluateMany(await engine.explore.liveMembers(race));
  await engine.explore.land('fix');
  // An instance outside any race, evaluated, then cleaned up by force (salvaged).
  const solo = await engine.spawn('solo', { agent: 'codex', prompt: 'alone' });
  commitIn(solo.path, 'solo', solutionOf(5));
  await engine.explore.evaluate('solo', { command: s.evaluateCommand });
  await engine.cleanup('solo', { force: true });
  // A live, never evaluated member of a second race.
  await engine.explore.startRace({ task: 'next', count: 1, launch: 'none' }, null);

  const cli = await runCli(['-C', repo.dir, 'history', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  const rows = JSON.parse(cli.stdout) as { race: string | null; id: string; agent: string; passed: boolean | null; score: number | null; outcome: string; prompt: string }[];
  const brief = rows.map((r) => [r.race, r.id, r.agent, r.passed, r.score, r.outcome]);
  assert.deepEqual(brief, [
    ['fix', 'fix-1', 'claude', true, 3, 'salvaged'],
    ['fix', 'fix-2', 'claude', false, 9, 'salvaged'],
    ['fix', 'fix-3', 'codex', true, 5, 'landed'],
    [null, 'solo', 'codex', true, 7, 'salvaged'],
    ['next', 'next-1', 'claude', null, null, 'open'],
  ]);
  assert.equal(rows[0]!.prompt, 'fix it');
  const only = JSON.parse((await runCli(['-C', repo.dir, 'history', '--race', 'fix', '--json'])).stdout) as unknown[];
  assert.equal(only.length, 3);
  const stats = JSON.parse((await runCli(['-C', repo.dir, 'history', '--stats', '--json'])).stdout) as { agent: string; attempts: number; evaluated: number; passed: number; passRate: number; wins: number }[];
  assert.deepEqual(
    stats.map((x) => [x.agent, x.attempts, x.evaluated, x.passed, x.wins]),
    [
      ['claude', 3, 2, 1, 0],
      ['codex', 2, 2, 2, 1],
    ],
  );
  assert.equal(stats[0]!.passRate, 0.5);
  // Nothing of it lives in a worktree: repair and a fresh engine change nothing.
  await engine.repair();
  assert.deepEqual((await (await AxiomEngine.open(repo.dir)).explore.history()).attempts.map((a) => a.outcome), ['salvaged', 'salvaged', 'landed', 'salvaged', 'open']);
});
