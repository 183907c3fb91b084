/**
 * A process is signalled only when Axiom can prove it started it (pid + start time), and
 * agentRunning() tells cleanup whether an instance's agent still runs. Real processes, no mocks.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { agentRunning, stopAgent, stopHeadlessAgent } from '../../src/core/processes/processes';
import type { LocatedInstance } from '../../src/core/instances/locate';
import { isPidAlive as alive, isSameProcess, parseProcStatStartTime, processStartToken as processStartTime } from '../../src/core/processes/processIdentity';
import { appendAgentEvent, PROCESS_FILE, readAgentState } from '../../src/core/processes/agentState';
import { launchHeadless } from '../../src/agents/headless';

function tempAdmin(): { admin: string; worktree: string; done: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-proc-'));
  const admin = path.join(root, 'admin');
  const worktree = path.join(root, 'wt');
  fs.mkdirSync(admin);
  fs.mkdirSync(worktree);
  return { admin, worktree, done: () => fs.rmSync(root, { recursive: true, force: true }) };
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An unrelated long-running process: what a reused pid would point at. */
function bystander(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

test('parseProcStatStartTime reads field 22 even when the command name holds spaces and parentheses', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = 'S';
  fields[19] = '987654';
  assert.equal(parseProcStatStartTime(`4242 (we ird) (name) ${fields.join(' ')}`), '987654');
  assert.equal(parseProcStatStartTime('garbage'), null);
});

test('processStartTime: stable for a live process, null for a pid that does not exist', { skip: process.platform === 'win32' && 'no start time on Windows' }, () => {
  const mine = processStartTime(process.pid);
  assert.ok(mine, 'this process has a start time');
  assert.equal(processStartTime(process.pid), mine);
  assert.equal(isSameProcess(process.pid, mine), true);
  assert.equal(isSameProcess(process.pid, `${mine}0`), false, 'another start time is another process');
  assert.equal(isSameProcess(process.pid, undefined), false, 'no recorded start time proves nothing');
  assert.equal(processStartTime(2 ** 22 + 12345), null);
});

test('the headless wrapper records the same start time the engine reads for its pid', async () => {
  const t = tempAdmin();
  try {
    const h = await launchHeadless({ id: 'x', worktree: t.worktree, adminDir: t.admin, argv: [process.execPath, '-e', 'setTimeout(() => {}, 20000)'] });
    assert.ok(h.record.startTime, 'the record carries a start time');
    assert.equal(h.record.startTime, processStartTime(h.pid));
    assert.equal(await agentRunning(t.admin), true);
    assert.equal(await stopHeadlessAgent(t.admin, 1000), true);
    await until('the wrapper to go', () => !alive(h.pid));
    await h.exited;
    assert.equal(await agentRunning(t.admin), false);
    assert.equal((await readAgentState(t.admin, false)).phase, 'exited');
  } finally {
    t.done();
  }
});

test('a reused pid is never signalled: a record whose start time differs leaves that process alone', async () => {
  const t = tempAdmin();
  const other = bystander();
  try {
    await until('the bystander to start', () => other.pid !== undefined && processStartTime(other.pid) !== null);
    const pid = other.pid!;
    const write = (rec: object): void => fs.writeFileSync(path.join(t.admin, PROCESS_FILE), JSON.stringify(rec));
    // The agent that had this pid is gone; the pid now belongs to the bystander (another start time).
    write({ pid, startTime: '1', command: ['claude'], startedAt: new Date().toISOString() });
    assert.equal(await agentRunning(t.admin), false);
    assert.equal(await stopHeadlessAgent(t.admin, 200), false);
    assert.equal((await readAgentState(t.admin, false)).phase, 'exited', 'a reused pid reads as the agent having ended');
    // A record without a start time proves nothing either.
    write({ pid, command: ['claude'], startedAt: new Date().toISOString() });
    assert.equal(await stopHeadlessAgent(t.admin, 200), false);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(alive(pid), 'the bystander still runs');
    // The control: with its real start time it is "ours", and is stopped.
    write({ pid, startTime: processStartTime(pid), command: ['x'], startedAt: new Date().toISOString() });
    assert.equal(await stopHeadlessAgent(t.admin, 1000), true);
    await until('the verified process to stop', () => other.exitCode !== null || other.signalCode !== null);
  } finally {
    other.kill('SIGKILL');
    t.done();
  }
});

test('agentRunning for agents that report through events: running until exited or failed to start', async () => {
  const t = tempAdmin();
  try {
    assert.equal(await agentRunning(t.admin), false, 'nothing reported: not running');
    await appendAgentEvent(t.admin, { event: 'SessionStart' });
    assert.equal(await agentRunning(t.admin), true);
    await appendAgentEvent(t.admin, { event: 'Stop' });
    assert.equal(await agentRunning(t.admin), true, 'idle is still a live session');
    await appendAgentEvent(t.admin, { event: 'SessionEnd' });
    assert.equal(await agentRunning(t.admin), false);
    await appendAgentEvent(t.admin, { event: 'CommandStart' });
    await appendAgentEvent(t.admin, { event: 'CommandEnd', exitCode: 127 });
    assert.equal((await readAgentState(t.admin, false)).phase, 'failed-to-start');
    assert.equal(await agentRunning(t.admin), false);
  } finally {
    t.done();
  }
});

test('Stop Agent on an agent in a terminal: the caller closes it and the agent reads as exited (no hook says so when Axiom closes the terminal); refused without a way to close it', async () => {
  const t = tempAdmin();
  try {
    const inst = { id: 'term-1', adminDir: t.admin, path: t.worktree } as LocatedInstance;
    await appendAgentEvent(t.admin, { event: 'SessionStart' });
    await appendAgentEvent(t.admin, { event: 'UserPromptSubmit' });
    await assert.rejects(stopAgent(inst), (e: { code?: string }) => e.code === 'AgentRunning');
    assert.equal((await readAgentState(t.admin, false)).phase, 'working', 'a refusal records nothing');
    let closed = 0;
    const r = await stopAgent(inst, async () => {
      closed++;
    });
    assert.equal(closed, 1);
    assert.equal(r.stopped, true);
    assert.deepEqual([r.agentState.phase, r.agentState.reason], ['exited', 'stopped by Stop Agent']);
    assert.equal(await agentRunning(t.admin), false);
  } finally {
    t.done();
  }
});

test('a headless agent that recorded its exit between the read and the liveness check reads with its exit code, not as an exit without one', async () => {
  const t = tempAdmin();
  try {
    const rec = { pid: 999_999_999, command: ['claude', '-p', 'x'], startedAt: '2026-12-07T04:00:00.000Z' };
    fs.writeFileSync(path.join(t.admin, PROCESS_FILE), JSON.stringify(rec));
    const state = await readAgentState(t.admin, false, () => {
      // The interleaving: the wrapper writes how the agent ended and exits just before the check.
      fs.writeFileSync(path.join(t.admin, PROCESS_FILE), JSON.stringify({ ...rec, endedAt: '2026-12-07T04:00:09.000Z', exitCode: 0 }));
      return false;
    });
    assert.equal(state.phase, 'exited');
    assert.equal(state.exitCode, 0);
  } finally {
    t.done();
  }
});
