/**
 * A real Claude failure ends (the CLI with the stand-in claude of test/fixtures/bin, which behaves
 * like the real one: after a failed turn it stays alive, waiting for the next message): `race --wait`
 * always returns, a member waiting for a person is reported and counted as failed at the wait's
 * timeout, `axiom stop` stops an agent without cleaning up, permission modes are the real CLI's.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, agentFailed, finishedAt, isRunning, readAgentState, summarizeEvents, type AgentState, type UnfinishedMember } from '../../src/core';
import { headlessLauncher } from '../../src/agents/raceLauncher';
import { git, makeRepo, ROOT, runCli, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

const env = { PATH: `${path.join(ROOT, 'test', 'fixtures', 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };
const FAILS = 'node -e "process.exit(1)"';

test('a failed turn (StopFailure) counts as finished and failed once its grace period is over; a new prompt clears it', () => {
  const events = [
    { event: 'SessionStart', at: '2026-01-01T00:00:00.000Z' },
    { event: 'UserPromptSubmit', at: '2026-01-01T00:00:01.000Z' },
    { event: 'StopFailure', at: '2026-01-01T00:00:02.000Z', reason: 'authentication_failed: Not logged in' },
    { event: 'Notification', at: '2026-01-01T00:01:02.000Z' },
  ];
  const summary = summarizeEvents(events);
  assert.equal(summary.turnFailedAt, '2026-01-01T00:00:02.000Z', 'a later notification does not hide the failure');
  const state: AgentState = { phase: 'waiting', lastActivity: '2026-01-01T00:01:02.000Z', turnFailedAt: summary.turnFailedAt! };
  const failedAt = Date.parse(summary.turnFailedAt!);
  assert.equal(agentFailed(state, 10_000, failedAt + 9_999), false, 'within the grace period it may still go on');
  assert.equal(agentFailed(state, 10_000, failedAt + 10_000), true);
  assert.equal(finishedAt(state, { launch: 'headless', createdAt: null }, 0), '2026-01-01T00:00:02.000Z');
  assert.equal(isRunning(state, 0), false, 'land no longer takes it for an agent at work');
  assert.equal(finishedAt({ phase: 'waiting', lastActivity: 'x' }, { launch: 'headless', createdAt: null }, 0), null, 'waiting for a person is not finished');
  assert.equal(summarizeEvents([...events, { event: 'UserPromptSubmit', at: '2026-01-01T00:02:00.000Z' }]).turnFailedAt, undefined, 'a new prompt: at work again');
});

test('real Claude failure ends: after a failed turn (StopFailure, not logged in) race --wait returns, the member counts as failed and its Claude is stopped', { timeout: 120_000 }, async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.agentFailureGraceSeconds', '0');
  const r = await runCli(['-C', repo.dir, 'race', 'sf', '--count', '1', '--agent', 'claude', '--prompt', 'fail auth please', '--evaluate', FAILS, '--wait', '--json'], { env });
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout) as { ranking: { id: string; passed: boolean | null }[]; unfinished: unknown[] };
  assert.deepEqual(doc.ranking.map((x) => [x.id, x.passed]), [['sf-1', false]]);
  assert.deepEqual(doc.unfinished, []);
  const status = JSON.parse((await runCli(['-C', repo.dir, 'status', 'sf-1', '--json'], { env })).stdout) as { agentState: { phase: string; reason: string } };
  assert.equal(status.agentState.phase, 'exited', 'the Claude that waited alive after its failure was stopped');
  assert.equal(status.agentState.reason, 'authentication_failed: Not logged in · Please run /login');
  const land = await runCli(['-C', repo.dir, 'land', 'sf', '--pick', 'sf-1', '--preview', '--json'], { env });
  assert.notEqual(JSON.parse(land.stdout || land.stderr).error?.code, 'AgentRunning', 'land does not refuse a member whose agent failed');
});

test('race --wait with a member waiting for a person: reported as such, counted as failed at the wait timeout; race --wait always returns', { timeout: 120_000 }, async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const savedPath = process.env.PATH;
  process.env.PATH = env.PATH;
  try {
    const launcher = headlessLauncher({ cwd: repo.dir, hookScript: path.join(ROOT, 'dist', 'hook.js'), engine });
    const { race } = await engine.explore.startRace({ task: 'ap', count: 1, agents: 'claude', prompt: 'ask permission to rm', evaluate: FAILS, launch: 'headless' }, launcher);
    const inst = await engine.locate('ap-1');
    for (let i = 0; i < 600 && (await readAgentState(inst.adminDir, false)).phase !== 'needs-approval'; i++) await new Promise((r) => setTimeout(r, 50));
    const waiting: UnfinishedMember[] = [];
    const r = await engine.explore.waitForRace(race.ref, { timeoutMs: 300, pollMs: 50, onWaiting: (m) => waiting.push(m) });
    assert.deepEqual(waiting.map((m) => [m.id, m.phase]), [['ap-1', 'needs-approval']], 'reported as waiting for a person');
    assert.match(String(waiting[0]!.reason), /Bash/);
    assert.deepEqual(r.unfinished.map((m) => [m.id, m.phase]), [['ap-1', 'needs-approval']], 'counted as not finished when the wait ended');
    assert.deepEqual(r.rows.map((x) => [x.id, x.passed]), [['ap-1', null]], 'no result: it counts as failed');
    // The agent still waits for its person (the wait does not stop it); Stop Agent does, and keeps the instance.
    const stopped = await engine.stopAgent('ap-1');
    assert.equal(stopped.stopped, true);
    assert.equal(stopped.agentState.phase, 'exited');
    assert.ok(fs.existsSync(inst.path), 'stop cleans nothing up');
  } finally {
    process.env.PATH = savedPath;
  }
});

test('race --wait always returns: the CLI gives up at --wait-timeout; axiom stop stops an agent without cleaning up', { timeout: 120_000 }, async () => {
  repo = makeRepo();
  const r = await runCli(['-C', repo.dir, 'race', 'ap', '--count', '1', '--agent', 'claude', '--prompt', 'ask permission to rm', '--evaluate', FAILS, '--wait', '--wait-timeout', '1', '--json'], { env });
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout) as { unfinished: { id: string }[]; ranking: { id: string; passed: boolean | null }[] };
  assert.deepEqual(doc.unfinished.map((m) => m.id), ['ap-1']);
  assert.deepEqual(doc.ranking.map((x) => [x.id, x.passed]), [['ap-1', null]]);
  // That CLI held the agent's input: with it gone the agent ends its session (now or in a moment).
  const stop = await runCli(['-C', repo.dir, 'stop', 'ap-1'], { env });
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /^(Stopped the agent of ap-1|The agent of ap-1 was not running) \(exited/);
  const again = JSON.parse((await runCli(['-C', repo.dir, 'stop', 'ap-1', '--json'], { env })).stdout) as { stopped: boolean; agentState: { phase: string } };
  assert.deepEqual([again.stopped, again.agentState.phase], [false, 'exited'], 'nothing left to stop');
  assert.ok(fs.existsSync(path.join(repo.parent, 'axiom-ap-1')), 'stop cleans nothing up');
  assert.equal((await runCli(['-C', repo.dir, 'stop', 'nope'], { env })).code, 1, 'an unknown instance is refused');
});

test('permission modes are exactly the real CLI\'s: manual is a usage error, an unknown mode in git config is refused before anything is created', async () => {
  repo = makeRepo();
  const manual = await runCli(['-C', repo.dir, 'race', 'pm', '--count', '1', '--agent', 'claude', '--prompt', 'p', '--permission-mode', 'manual'], { env });
  assert.equal(manual.code, 2);
  assert.match(manual.stderr, /--permission-mode must be one of acceptEdits, auto, bypassPermissions, default, dontAsk, plan/);
  git(repo.dir, 'config', 'axiom.claudePermissionMode', 'manual');
  const fromConfig = await runCli(['-C', repo.dir, 'race', 'pm', '--count', '1', '--agent', 'claude', '--prompt', 'p', '--json'], { env });
  assert.equal(fromConfig.code, 2);
  assert.equal(JSON.parse(fromConfig.stderr).error.code, 'InvalidArgument');
  assert.match(fromConfig.stderr, /Unknown git config axiom.claudePermissionMode \\"manual\\"/);
  assert.equal(fs.existsSync(path.join(repo.parent, 'axiom-pm-1')), false, 'nothing was created');
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { enum: string[] }> } } };
  assert.deepEqual([...pkg.contributes.configuration.properties['axiom.claude.permissionMode']!.enum].sort(), ['acceptEdits', 'auto', 'bypassPermissions', 'default', 'dontAsk', 'plan']);
});

test('land and land --all use git config axiom.agentFailureGraceSeconds: a member whose turn just failed is at work within the grace, finished after it', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  await engine.explore.startRace({ task: 'gr', count: 1, launch: 'none' }, null);
  const inst = await engine.locate('gr-1');
  fs.writeFileSync(path.join(inst.path, 'answer.txt'), 'an answer\n');
  git(inst.path, 'add', 'answer.txt');
  git(inst.path, 'commit', '-q', '-m', 'answer');
  // Its Claude's turn failed a second ago (not logged in) and it waits alive, as the real CLI does.
  const at = (ms: number) => new Date(Date.now() - ms).toISOString();
  const events = [
    { event: 'SessionStart', phase: 'starting', at: at(3000) },
    { event: 'UserPromptSubmit', phase: 'working', at: at(2000) },
    { event: 'StopFailure', phase: 'waiting', at: at(1000), reason: 'authentication_failed: Not logged in' },
  ];
  fs.writeFileSync(path.join(inst.adminDir, 'axiom-status.jsonl'), events.map((e) => JSON.stringify(e) + '\n').join(''));
  git(repo.dir, 'config', 'axiom.agentFailureGraceSeconds', '3600');
  await assert.rejects(engine.explore.land('gr', { pick: 'gr-1' }), (e: Error & { code?: string }) => e.code === 'AgentRunning');
  const all = await engine.explore.landAll();
  assert.deepEqual(all.skipped.map((s) => [s.id, s.reason]), [['gr-1', 'its agent is still at work (waiting)']]);
  git(repo.dir, 'config', 'axiom.agentFailureGraceSeconds', '0');
  const landed = await engine.explore.landAll();
  assert.deepEqual(landed.landed.map((l) => l.id), ['gr-1'], 'past the grace the failed member is finished: it lands');
});
