/**
 * The MCP server and the hook runner leave when their client does: stdin ended, or stdout/stderr
 * broken (a client that closes stderr before stdin used to send the server into an EPIPE loop at
 * full CPU, forever). Each case checks that the process exits within a few seconds.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRepo, MCP, ROOT, type TempRepo } from './helpers';

const HOOK = path.join(ROOT, 'dist', 'hook.js');
let repo: TempRepo;

before(() => {
  repo = makeRepo();
});
after(() => repo?.cleanup());

function start(script: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [script, ...args], { cwd: repo.dir, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolves with the exit code, or rejects when the process is still running after `ms` (then kills it). */
function exitWithin(child: ChildProcessWithoutNullStreams, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running ${ms} ms after its client went away`));
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function serving(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString();
      if (text.includes('serving')) {
        child.stderr.off('data', onData);
        resolve();
      }
    };
    child.stderr.on('data', onData);
  });
}

const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) + '\n';

test('MCP server: stdin closed → exits 0', async () => {
  const child = start(MCP, ['--repo', repo.dir]);
  child.stdout.resume();
  await serving(child);
  child.stdin.end();
  assert.equal(await exitWithin(child, 5000), 0);
});

test('MCP server: stderr closed before stdin, then a line that makes it report an error → exits, no EPIPE loop', async () => {
  const child = start(MCP, ['--repo', repo.dir]);
  child.stdout.resume();
  await serving(child);
  child.stderr.destroy();
  child.stdin.write('this is not JSON-RPC\n'); // the server reports the parse error on stderr: EPIPE
  await new Promise((r) => setTimeout(r, 300));
  child.stdin.end();
  const code = await exitWithin(child, 5000);
  assert.equal(code, 0);
});

test('MCP server: stdout broken while stdin stays open → exits on its own (nobody left to answer)', async () => {
  const child = start(MCP, ['--repo', repo.dir]);
  await serving(child);
  child.stderr.resume();
  child.stdout.destroy();
  child.stdin.write(INITIALIZE); // the answer goes to the broken stdout
  const code = await exitWithin(child, 5000);
  child.stdin.destroy();
  assert.equal(code, 0);
});

test('hook runner: stderr and stdout closed before stdin → records the event and exits', async () => {
  const admin = fs.mkdtempSync(path.join(repo.parent, 'admin-'));
  const child = start(HOOK, [admin, 'Stop']);
  child.stderr.destroy();
  child.stdout.destroy();
  await new Promise((r) => setTimeout(r, 100));
  child.stdin.end(JSON.stringify({ hook_event_name: 'Stop', session_id: 'abc' }));
  assert.equal(await exitWithin(child, 5000), 0);
  const line = JSON.parse(fs.readFileSync(path.join(admin, 'axiom-status.jsonl'), 'utf8').trim()) as { event: string; phase: string; sessionId: string };
  assert.deepEqual([line.event, line.phase, line.sessionId], ['Stop', 'idle', 'abc']);
});

test('hook runner: stdin closed without input → exits 0 and still records the event', async () => {
  const admin = fs.mkdtempSync(path.join(repo.parent, 'admin-'));
  const child = start(HOOK, [admin, 'SessionEnd']);
  child.stdin.end();
  assert.equal(await exitWithin(child, 5000), 0);
  assert.match(fs.readFileSync(path.join(admin, 'axiom-status.jsonl'), 'utf8'), /"SessionEnd"/);
});
