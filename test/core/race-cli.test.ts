import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { git, makeRepo, runCli, type TempRepo } from './helpers';
import { writeStandIns } from './standIns';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

test('axiom race --wait: 3 stand-in agents headless, each evaluated when it exits, ranking printed; then land and history', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const r = await runCli([
    '-C', repo.dir, 'race', 'fix', '--count', '3', '--agent-command', s.agentCommand, '--prompt', 'make it better',
    '--evaluate', s.evaluateCommand, '--wait', '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { race: { ref: string; task: string }; ranking: { id: string; rank: number; passed: boolean; score: number; diff: { files: number } }[] };
  assert.equal(doc.race.task, 'fix');
  assert.deepEqual(doc.ranking.map((x) => [x.id, x.rank, x.passed, x.score]), [
    ['fix-3', 1, true, 5],
    ['fix-1', 2, true, 3],
    ['fix-2', 3, false, 9],
  ]);
  // Each member was evaluated on what its agent committed (solution + notes file).
  assert.ok(doc.ranking.every((x) => x.diff.files === 2));
  assert.match(fs.readFileSync(`${repo.parent}/axiom-fix-1/solution.txt`, 'utf8'), /task: make it better/);

  const human = await runCli(['-C', repo.dir, 'rank', 'fix']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /1\s+fix-3\s+passed\s+5/);
  assert.match(human.stdout, /3\s+fix-2\s+failed \(exit 1\)\s+9/);

  const land = await runCli(['-C', repo.dir, 'land', 'fix', '--json']);
  assert.equal(land.code, 0, land.stderr);
  const landed = JSON.parse(land.stdout) as { winner: string; salvaged: { id: string; ref: string }[]; cleaned: string[] };
  assert.equal(landed.winner, 'fix-3');
  assert.deepEqual(landed.salvaged.map((x) => x.id), ['fix-1', 'fix-2']);
  assert.match(git(repo.dir, 'show', 'main:solution.txt'), /quality 5/);
  assert.match(git(repo.dir, 'show', `${landed.salvaged[0]!.ref}:fix-1.notes.txt`), /notes of fix-1/);

  const history = JSON.parse((await runCli(['-C', repo.dir, 'history', '--json'])).stdout) as { id: string; outcome: string; agent: string; durationMs: number | null }[];
  assert.deepEqual(history.map((h) => [h.id, h.outcome]), [['fix-1', 'salvaged'], ['fix-2', 'salvaged'], ['fix-3', 'landed']]);
  assert.ok(history.every((h) => h.agent === 'custom' && typeof h.durationMs === 'number'));
});

test('axiom race --wait exits 3 when no member passed; usage errors name the problem', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  const r = await runCli(['-C', repo.dir, 'race', 'bad', '--count', '1', '--agent-command', s.agentCommand, '--prompt', 'p', '--evaluate', 'node -e "process.exit(1)"', '--wait']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /bad-1\s+failed \(exit 1\)/);

  const noProgram = await runCli(['-C', repo.dir, 'race', 'x', '--count', '2', '--agent-command', 'no-such-agent-program {prompt}', '--prompt', 'p', '--json']);
  assert.equal(noProgram.code, 1);
  assert.equal(JSON.parse(noProgram.stderr).error.code, 'NotFound');
  assert.equal(fs.existsSync(`${repo.parent}/axiom-x-1`), false, 'nothing was created');
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/axiom/races/x'), '');

  const noPrompt = await runCli(['-C', repo.dir, 'race', 'y', '--count', '2', '--agent', 'claude']);
  assert.equal(noPrompt.code, 2);
  assert.match(noPrompt.stderr, /needs a prompt/);
  assert.equal((await runCli(['-C', repo.dir, 'race', 'z', '--launch', 'terminal'])).code, 2);
  assert.equal((await runCli(['-C', repo.dir, 'race', 'z', '--count', '0'])).code, 2);
  assert.equal((await runCli(['-C', repo.dir, 'evaluate'])).code, 2);
  assert.equal((await runCli(['-C', repo.dir, 'land'])).code, 2);
  const unknown = await runCli(['-C', repo.dir, 'rank', 'nope', '--json']);
  assert.equal(unknown.code, 1);
  assert.equal(JSON.parse(unknown.stderr).error.code, 'NotFound');
});

test('an agent command without the custom agent in the mix is refused by the engine, for the CLI as for the MCP server (it was dropped without a word by axiom race); nothing is created', async () => {
  const { planMembers } = await import('../../src/core');
  assert.throws(() => planMembers({ task: 't', agents: 'claude:2', agentCommand: 'my-agent {prompt}' }), /include custom in the agent mix/);
  assert.deepEqual(planMembers({ task: 't', agentCommand: 'my-agent {prompt}', count: 2 }).map((m) => m.agent), ['custom', 'custom'], 'no mix: every member is the custom agent');
  assert.deepEqual(planMembers({ task: 't', agents: 'custom:1,claude:1', agentCommand: 'a' }).map((m) => m.agent), ['custom', 'claude']);
  repo = makeRepo();
  const r = await runCli(['-C', repo.dir, 'race', 'mix', '--agent', 'claude:2', '--agent-command', 'my-agent {prompt}', '--prompt', 'p', '--launch', 'none', '--json']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal((JSON.parse(r.stderr) as { error: { code: string } }).error.code, 'InvalidArgument');
  assert.match(r.stderr, /include custom in the agent mix/);
  assert.equal(fs.existsSync(`${repo.parent}/axiom-mix-1`), false, 'nothing was created');
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/axiom/races/').trim(), '', 'no race was recorded');
});
