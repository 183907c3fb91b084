/** The exploration loop over MCP: race (headless stand-in agents, evaluated as they exit), rank, land, conflicts, history. */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commitIn, connect, git, makeRepo, waitFor, type McpSession, type TempRepo } from './helpers';
import { writeStandIns } from '../core/standIns';

let repo: TempRepo;
let mcp: McpSession;
afterEach(async () => {
  await mcp?.close();
  repo?.cleanup();
});

test('race over MCP: 3 headless members evaluated in the background as they exit; rank; land; history', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  mcp = await connect(repo.dir);
  const started = await mcp.call({
    action: 'race',
    task: 'mcp',
    count: 3,
    agents: 'custom',
    command: [process.execPath, s.agent, '{id}', '{prompt}'],
    prompt: 'solve it',
    evaluate: `${JSON.stringify(process.execPath)} ${JSON.stringify(s.evaluator)}`,
  });
  assert.equal(started.isError, false, started.text);
  assert.equal(started.doc.launch, 'headless');
  assert.deepEqual(started.doc.members.map((m: { instanceId: string }) => m.instanceId), ['mcp-1', 'mcp-2', 'mcp-3']);
  assert.ok(started.doc.members.every((m: { pid: number }) => typeof m.pid === 'number'));

  // The lead agent polls rank; the server evaluates each member when its agent exits.
  const ranked = await waitFor(
    'every member ranked',
    async () => {
      const r = await mcp.call({ action: 'rank', task: 'mcp' });
      return r.doc.ranking.every((x: { passed: boolean | null }) => x.passed !== null) ? r.doc : null;
    },
    60_000,
  );
  assert.deepEqual(ranked.ranking.map((x: { id: string; rank: number; passed: boolean; score: number }) => [x.id, x.rank, x.passed, x.score]), [
    ['mcp-3', 1, true, 5],
    ['mcp-1', 2, true, 3],
    ['mcp-2', 3, false, 9],
  ]);

  const preview = await mcp.call({ action: 'land', task: 'mcp', preview: true });
  assert.equal(preview.doc.winner, 'mcp-3');
  assert.deepEqual(preview.doc.losers.map((l: { id: string; action: string }) => [l.id, l.action]), [['mcp-1', 'salvage'], ['mcp-2', 'salvage']]);
  const landed = await mcp.call({ action: 'land', task: 'mcp' });
  assert.equal(landed.isError, false, landed.text);
  assert.equal(landed.doc.winner, 'mcp-3');
  assert.deepEqual(landed.doc.salvaged.map((x: { id: string }) => x.id), ['mcp-1', 'mcp-2']);
  assert.equal(landed.doc.restore.length, 2);
  assert.match(git(repo.dir, 'show', 'main:solution.txt'), /task: solve it\nquality 5/);

  const history = await mcp.call({ action: 'history', task: 'mcp' });
  assert.deepEqual(history.doc.attempts.map((a: { id: string; outcome: string }) => [a.id, a.outcome]), [['mcp-1', 'salvaged'], ['mcp-2', 'salvaged'], ['mcp-3', 'landed']]);
  assert.deepEqual(history.doc.agents.map((a: { agent: string; attempts: number; wins: number }) => [a.agent, a.attempts, a.wins]), [['custom', 3, 1]]);
  const stats = await mcp.call({ action: 'history', stats: true });
  assert.deepEqual(Object.keys(stats.doc), ['agents']);
});

test('race wait, evaluate a single instance, conflicts and land all over MCP; strict schemas', async () => {
  repo = makeRepo();
  const s = writeStandIns(repo.parent);
  mcp = await connect(repo.dir);
  const waited = await mcp.call({
    action: 'race',
    task: 'w',
    count: 2,
    command: [process.execPath, s.agent, '{id}', '{prompt}'],
    prompt: 'p',
    evaluate: `${JSON.stringify(process.execPath)} ${JSON.stringify(s.evaluator)}`,
    wait: true,
  });
  assert.equal(waited.isError, false, waited.text);
  assert.deepEqual(waited.doc.ranking.map((x: { id: string }) => x.id), ['w-1', 'w-2']);

  const one = await mcp.call({ action: 'evaluate', instanceId: 'w-1', evaluate: `${JSON.stringify(process.execPath)} -e "console.log('AXIOM_SCORE=42')"` });
  assert.equal(one.doc.results[0].score, 42);
  // Both members changed solution.txt: they conflict with each other.
  const forecast = await mcp.call({ action: 'conflicts' });
  assert.deepEqual(forecast.doc.pairs.map((p: { a: string; b: string; files: string[] }) => [p.a, p.b, p.files.includes('solution.txt')]), [['w-1', 'w-2', true]]);
  assert.equal(forecast.doc.order.length, 2);
  const all = await mcp.call({ action: 'land', all: true });
  assert.equal(all.isError, false, all.text);
  assert.equal(all.doc.landed.length, 1);
  assert.equal(all.doc.skipped.length, 1);

  for (const bad of [
    { action: 'race' },
    { action: 'race', task: 'Bad Task', count: 2, launch: 'none' },
    { action: 'race', task: 'x', count: 99 },
    { action: 'evaluate' },
    { action: 'evaluate', instanceId: 'w-1', task: 'w' },
    { action: 'land' },
    { action: 'land', all: true, pick: 'w-1' },
    { action: 'rank', task: 'w', extra: 1 },
    { action: 'history', stats: 'yes' },
  ]) {
    const r = await mcp.call(bad);
    assert.equal(r.isError, true, JSON.stringify(bad));
    assert.match(r.text, /^InvalidArgument: /, JSON.stringify(bad));
  }
  const unknown = await mcp.call({ action: 'rank', task: 'nope' });
  assert.match(unknown.text, /^NotFound: /);
  // The seed's shapes still work as they were.
  const seed = await mcp.call({ action: 'spawn', instanceId: 'solver1', useWorktree: true, baseBranch: 'main' });
  assert.equal(seed.isError, false, seed.text);
  assert.ok(fs.existsSync(path.join(repo.parent, 'axiom-solver1')));
  commitIn(seed.doc.worktreePath, 'x', { 'x.txt': 'x\n' });
  assert.equal((await mcp.call({ action: 'status', instanceId: 'solver1' })).doc.aheadBehind.ahead, 1);
  assert.equal((await mcp.call({ action: 'cleanup', instanceId: 'solver1', force: true })).isError, false);
});

test('MCP: land with no evaluated member says to call evaluate or pass the argument "pick" (not --pick); no evaluation command: the argument "evaluate"', async () => {
  repo = makeRepo();
  mcp = await connect(repo.dir);
  const race = await mcp.call({ action: 'race', task: 'hint', count: 1, launch: 'none' });
  assert.equal(race.isError, false, race.text);
  const land = await mcp.call({ action: 'land', task: 'hint' });
  assert.equal(land.isError, true);
  assert.equal(land.doc.error.code, 'NoWinner');
  assert.equal(
    land.doc.error.message,
    'No member of race hint has been evaluated yet: evaluate its members, or choose the member to land. Next: call action "evaluate" with task "hint", or pass the argument "pick".',
  );
  assert.deepEqual(land.doc.error.details.hint, { next: [{ run: 'evaluate', task: 'hint' }, { option: 'pick' }] });
  const evaluate = await mcp.call({ action: 'evaluate', instanceId: 'hint-1' });
  assert.equal(evaluate.isError, true);
  assert.match(evaluate.doc.error.message, /Next: pass the argument "evaluate" \(e\.g\. "npm test"\), or set "evaluate" in \.axiom\.json\.$/);
  for (const answer of [land, evaluate]) assert.doesNotMatch(answer.text, /--(pick|command|evaluate)/);
});
