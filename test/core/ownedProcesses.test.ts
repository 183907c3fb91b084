/**
 * Every process Axiom starts has an owner and an end (ownedProcesses.ts): setup, teardown and
 * evaluation commands that leave background processes, and a `kill -9` of the CLI during a setup.
 */
import { after, afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomEngine } from '../../src/core';
import { readOwnedRecords } from '../../src/core/processes/ownedProcesses';
import { isPidAlive } from '../../src/core/processes/processIdentity';
import { CLI, makeRepo, type TempRepo } from './helpers';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-owned-'));
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-state-'));
let repo: TempRepo;
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  repo?.cleanup();
});
after(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.rmSync(stateDir, { recursive: true, force: true });
});

let n = 0;
/** A file outside the worktree where a command writes the pid of the background process it started. */
function pidFile(): string {
  return path.join(scratch, `bg-${++n}.pid`);
}

async function readPid(file: string): Promise<number> {
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
    if (/^\d+$/.test(text)) {
      started.push(Number(text));
      return Number(text);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the process is gone (a SIGTERM'd process and its reaping take a moment); true when it went. */
async function gone(pid: number): Promise<boolean> {
  // A generous deadline: on a busy machine a stopped process can take seconds to be reaped.
  for (let i = 0; i < 1200; i++) {
    const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    // A zombie (state Z) waiting for its parent to reap it runs nothing.
    if (!isPidAlive(pid) || / Z /.test(stat.slice(stat.lastIndexOf(')')))) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

function repoWith(config: Record<string, unknown>): TempRepo {
  return makeRepo({ 'README.md': '# app\n', '.axiom.json': JSON.stringify({ setupTimeout: 20, ...config }) });
}

const skip = process.platform === 'win32' ? 'process groups are POSIX' : false;

test('a setup step that starts a background process (server &) ends when its command exits; the server runs until cleanup stops it', { skip }, async () => {
  const held = pidFile();
  const redirected = pidFile();
  repo = repoWith({ setup: [`sleep 300 & echo $! > ${held}`, `sleep 300 > /dev/null 2>&1 & echo $! > ${redirected}; echo ready`] });
  const engine = await AxiomEngine.open(repo.dir);
  const spawned = await engine.spawn('a');
  assert.equal(spawned.setup?.state, 'succeeded', JSON.stringify(spawned.setup));
  assert.ok(!spawned.setup?.timedOut, 'the setup did not wait for the pipe its background child holds');
  const [server, quiet] = [await readPid(held), await readPid(redirected)];
  assert.ok(isPidAlive(server) && isPidAlive(quiet), 'the servers a setup starts keep running after it');
  assert.equal(readOwnedRecords(spawned.adminDir).length, 2, 'each step that left something running is recorded');

  await engine.cleanup('a');
  assert.ok(await gone(server), 'cleanup stopped the server (held the output pipe)');
  assert.ok(await gone(quiet), 'cleanup stopped the redirected server: nothing runs on in a deleted folder');
});

test('an evaluation command that starts a background process passes (not timed out) and its leftovers are stopped when it ends', { skip }, async () => {
  const held = pidFile();
  const redirected = pidFile();
  repo = repoWith({});
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('e');
  const script = `sleep 300 & echo $! > ${held}; sleep 300 > /dev/null 2>&1 & echo $! > ${redirected}; echo AXIOM_SCORE=7`;
  const result = await engine.explore.evaluate('e', { command: `sh -c "${script}"`, timeoutSec: 20 });
  assert.equal(result.timedOut, false, 'the evaluation ended with its command, not with the pipe');
  assert.equal(result.passed, true);
  assert.equal(result.score, 7);
  assert.ok(await gone(await readPid(held)), 'the leftover holding stdout was stopped when the evaluation ended');
  assert.ok(await gone(await readPid(redirected)), 'the redirected leftover was stopped when the evaluation ended');
  const inst = await engine.locate('e');
  assert.deepEqual(readOwnedRecords(inst.adminDir), [], 'nothing of the evaluation is left recorded');
});

test('a teardown that starts a background process does not hold the cleanup, and what it left is stopped', { skip }, async () => {
  const held = pidFile();
  repo = repoWith({ teardown: [`sleep 300 & echo $! > ${held}`] });
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('t');
  const r = await engine.cleanup('t');
  assert.equal(r.teardown?.state, 'succeeded', JSON.stringify(r.teardown));
  assert.ok(!r.teardown?.steps[0]?.timedOut);
  assert.ok(await gone(await readPid(held)));
});

/** Starts `axiom spawn` with a setup that runs forever, and kills the CLI with SIGKILL once the setup runs. */
async function killCliDuringSetup(id: string): Promise<{ engine: AxiomEngine; pid: number }> {
  const held = pidFile();
  repo = repoWith({ setup: [`sleep 300 > /dev/null 2>&1 & echo $! > ${held}; sleep 300`] });
  const cli = spawn(process.execPath, [CLI, '-C', repo.dir, 'spawn', id], { env: { ...process.env, AXIOM_STATE_DIR: stateDir }, stdio: 'ignore' });
  const exited = new Promise((r) => cli.once('exit', r));
  const pid = await readPid(held);
  cli.kill('SIGKILL');
  await exited;
  assert.ok(isPidAlive(pid), 'the setup outlives the killed CLI (its own process group)');
  return { engine: await AxiomEngine.open(repo.dir), pid };
}

test('kill -9 of the CLI during setup: repair stops the setup left running', { skip }, async () => {
  const { engine, pid } = await killCliDuringSetup('k');
  const report = await engine.repair();
  assert.ok(await gone(pid), 'repair stopped the orphaned setup');
  assert.equal(report.stoppedProcesses.length, 1);
  assert.equal(report.stoppedProcesses[0]!.kind, 'setup');
  const status = await engine.status('k');
  assert.equal(status.setup?.state, 'failed', 'a setup whose process died reads as failed');
});

test('kill -9 of the CLI during setup: cleanup stops the setup left running', { skip }, async () => {
  const { engine, pid } = await killCliDuringSetup('c');
  await engine.cleanup('c', { force: true });
  assert.ok(await gone(pid), 'cleanup stopped the orphaned setup');
});

test('kill -9 of the CLI during an evaluation: the next evaluation of the instance stops what it left running', { skip }, async () => {
  const held = pidFile();
  repo = repoWith({});
  const engine = await AxiomEngine.open(repo.dir);
  await engine.spawn('ev');
  const script = `sleep 300 > /dev/null 2>&1 & echo $! > ${held}; sleep 300`;
  const cli = spawn(process.execPath, [CLI, '-C', repo.dir, 'evaluate', 'ev', '--command', `sh -c "${script}"`], { env: { ...process.env, AXIOM_STATE_DIR: stateDir }, stdio: 'ignore' });
  const exited = new Promise((r) => cli.once('exit', r));
  const pid = await readPid(held);
  cli.kill('SIGKILL');
  await exited;
  assert.ok(isPidAlive(pid), 'the evaluation outlives the killed CLI (its own process group)');
  const next = await engine.explore.evaluate('ev', { command: 'true' });
  assert.equal(next.passed, true);
  assert.ok(await gone(pid), 'the orphaned evaluation was stopped');
});

test('a recorded group Axiom cannot prove it started is never signalled', { skip }, async () => {
  repo = repoWith({});
  const engine = await AxiomEngine.open(repo.dir);
  const spawned = await engine.spawn('p');
  // A process Axiom did not start, recorded as if it had (a forged or stale record whose pid was reused).
  const stranger = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  started.push(stranger.pid!);
  const file = path.join(spawned.adminDir, 'axiom-proc-forged.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ version: 1, kind: 'setup', token: 'forged', command: 'x', cwd: spawned.path, owner: { pid: 999999, startTime: '1' }, startedAt: new Date().toISOString(), pid: stranger.pid, startTime: '1' }),
  );
  const report = await engine.repair();
  assert.deepEqual(report.stoppedProcesses, []);
  assert.ok(isPidAlive(stranger.pid!), 'a pid whose start time does not match is not signalled');
  assert.ok(!fs.existsSync(file), 'the record that proves nothing is dropped');
});

test('an Axiom process killed after starting a step but before recording its pid: repair finds the group by its token and stops it', { skip }, async () => {
  repo = repoWith({});
  const engine = await AxiomEngine.open(repo.dir);
  const spawned = await engine.spawn('t');
  // The step as a kill -9 leaves it: the write-ahead record (token, dead owner) without the pid, and the
  // step's process group running with the token in its environment.
  const token = 'token-of-an-unrecorded-step';
  const step = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env: { ...process.env, AXIOM_PROCESS_TOKEN: token } });
  started.push(step.pid!);
  fs.writeFileSync(
    path.join(spawned.adminDir, 'axiom-proc-unrecorded.json'),
    JSON.stringify({ version: 1, kind: 'setup', token, command: 'sleep 300', cwd: spawned.path, owner: { pid: 999999, startTime: '1' }, startedAt: new Date().toISOString() }),
  );
  const report = await engine.repair();
  assert.ok(await gone(step.pid!), 'the unrecorded step was stopped');
  assert.deepEqual(report.stoppedProcesses.map((p) => [p.kind, p.pid]), [['setup', step.pid]]);
});
