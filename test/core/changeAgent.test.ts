/**
 * Change Agent (issue 21, "failed to start"): another agent is recorded for an instance, its next
 * launch runs it, the failure before it no longer shows; refused while the current agent runs, and
 * nothing changes on bad input.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendAgentEvent, AxiomEngine, readAgentState } from '../../src/core';
import { AGENT_NAMES } from '../../src/agents/presets';
import { expectAxiomError, makeRepo, runCli, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

const metadataText = (adminDir: string): string => fs.readFileSync(path.join(adminDir, 'axiom.json'), 'utf8');

test('an agent that failed to start: Change Agent records another one, drops the old conversation, and the row reads "not started" again', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const w = await engine.spawn('fts', { agent: 'claude', launch: 'terminal' });
  await engine.updateMetadata('fts', (m) => ({ ...m, session: { id: 'old-session', agent: 'claude', startedAt: new Date().toISOString() } }));
  await appendAgentEvent(w.adminDir, { event: 'SessionStart', sessionId: 'old-session' });
  await appendAgentEvent(w.adminDir, { event: 'LaunchFailed', reason: 'claude is not installed' });
  assert.equal((await engine.status('fts')).agentState.phase, 'failed-to-start');

  const r = await engine.changeAgent('fts', 'codex', { known: AGENT_NAMES });
  assert.deepEqual({ previous: r.previous, agent: r.agent, command: r.command }, { previous: 'claude', agent: 'codex', command: null });
  const status = await engine.status('fts');
  assert.equal(status.agent, 'codex');
  assert.equal(status.metadata?.session, undefined, 'the old agent\'s conversation is not resumed by the new one');
  assert.equal(status.agentState.phase, 'unknown', 'not started, no longer failed to start');
  assert.equal(status.agentState.reason, undefined, 'the old failure\'s reason is gone');
  assert.equal(status.agentState.sessionId, undefined);

  const custom = await engine.changeAgent('fts', 'custom', { command: 'my-agent --fast {prompt}', known: AGENT_NAMES });
  assert.equal(custom.command, 'my-agent --fast {prompt}');
  assert.equal((await engine.status('fts')).metadata?.agentCommand, 'my-agent --fast {prompt}');
  await engine.changeAgent('fts', 'claude', { known: AGENT_NAMES });
  assert.equal((await engine.status('fts')).metadata?.agentCommand, undefined, 'a command belongs to the custom agent only');
});

test('Change Agent is refused while the current agent runs, and on bad input; nothing changes', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const w = await engine.spawn('busy', { agent: 'claude', launch: 'terminal' });
  const before = metadataText(w.adminDir);
  await expectAxiomError(engine.changeAgent('busy', 'gpt-9', { known: AGENT_NAMES }), 'InvalidArgument');
  await expectAxiomError(engine.changeAgent('busy', 'Not An Agent'), 'InvalidArgument');
  await expectAxiomError(engine.changeAgent('busy', 'codex', { command: 'codex --x' }), 'InvalidArgument');
  await expectAxiomError(engine.changeAgent('busy', 'custom', { command: '   ' }), 'InvalidArgument');
  await expectAxiomError(engine.changeAgent('nobody', 'codex'), 'NotFound');
  assert.equal(metadataText(w.adminDir), before, 'bad input changed nothing');

  await appendAgentEvent(w.adminDir, { event: 'UserPromptSubmit' });
  const e = await expectAxiomError(engine.changeAgent('busy', 'codex', { known: AGENT_NAMES }), 'AgentRunning');
  assert.match(e.message, /still running: stop it first/);
  assert.equal(metadataText(w.adminDir), before, 'a running agent keeps its instance as it was');
  assert.equal((await readAgentState(w.adminDir, false)).phase, 'working');

  await appendAgentEvent(w.adminDir, { event: 'SessionEnd' });
  assert.equal((await engine.changeAgent('busy', 'codex')).agent, 'codex', 'once it exited, the change is made');
});

test('a headless agent that ended before the change is history: the row follows the new agent', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const w = await engine.spawn('hl', { agent: 'gemini', launch: 'headless' });
  const at = new Date(Date.now() - 1000).toISOString();
  fs.writeFileSync(path.join(w.adminDir, 'axiom-agent.json'), JSON.stringify({ pid: 999999, startTime: 'x', command: ['gemini'], startedAt: at, endedAt: at, exitCode: 127, error: 'spawn gemini ENOENT' }));
  assert.equal((await engine.status('hl')).agentState.phase, 'failed-to-start');
  await engine.changeAgent('hl', 'codex');
  assert.equal((await engine.status('hl')).agentState.phase, 'unknown');
});

test('axiom set-agent records another agent (and refuses an unknown one with exit 2 or 3, changing nothing)', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const w = await engine.spawn('cli-agent', { agent: 'claude' });
  const before = metadataText(w.adminDir);
  const bad = await runCli(['-C', repo.dir, 'set-agent', 'cli-agent', 'gpt-9']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Unknown agent "gpt-9"/);
  assert.equal(metadataText(w.adminDir), before);
  const ok = await runCli(['-C', repo.dir, 'set-agent', 'cli-agent', 'custom', '--agent-command', 'my-agent {prompt}', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const doc = JSON.parse(ok.stdout) as { id: string; previous: string; agent: string; command: string };
  assert.deepEqual([doc.id, doc.previous, doc.agent, doc.command], ['cli-agent', 'claude', 'custom', 'my-agent {prompt}']);
  assert.equal((await engine.status('cli-agent')).agent, 'custom');
});
