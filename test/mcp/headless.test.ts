/** Headless agents started over MCP: a stand-in agent commits, exits 0, and is merged and cleaned up. */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { committingAgent, connect, git, makeRepo, waitFor, type McpSession, type TempRepo } from './helpers';

let repo: TempRepo;
let mcp: McpSession;

before(async () => {
  repo = makeRepo();
  mcp = await connect(repo.dir);
});
after(async () => {
  await mcp?.close();
  repo?.cleanup();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exited(session: McpSession, id: string): Promise<{ exitCode: number | null; aheadBehind: { ahead: number } }> {
  return waitFor(`${id} to exit`, async () => {
    const s = await session.call({ action: 'status', instanceId: id });
    return s.doc.agentPhase === 'exited' ? s.doc : null;
  });
}

/** An agent that reads stdin line by line until EOF, writing each line to lines.txt. */
const READER = [
  process.execPath,
  '-e',
  "const fs=require('node:fs');let buf='';process.stdin.on('data',d=>{buf+=d;const parts=buf.split('\\n');buf=parts.pop();for(const l of parts){fs.appendFileSync('lines.txt',l+'\\n');if(l==='quit')process.exit(5);}});",
];

test('headless stand-in agent: spawn → status exited 0 and ahead 1 → merge → cleanup', async () => {
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'agent1', agent: 'custom', command: committingAgent(), prompt: 'write the file', useWorktree: true, baseBranch: 'main' });
  assert.equal(spawn.isError, false, spawn.text);
  assert.equal(spawn.doc.launch, 'headless');
  assert.ok(spawn.doc.pid > 0);
  assert.equal(spawn.doc.command.at(-1), 'write the file', 'the {prompt} placeholder is one whole argument');

  const st = await exited(mcp, 'agent1');
  assert.equal(st.exitCode, 0);
  assert.equal(st.aheadBehind.ahead, 1);
  const record = JSON.parse(fs.readFileSync(path.join(path.dirname(spawn.doc.logFile), 'axiom-agent.json'), 'utf8'));
  assert.equal(record.pid, spawn.doc.pid);
  assert.equal(record.exitCode, 0);
  assert.ok(record.endedAt);
  assert.match(fs.readFileSync(spawn.doc.logFile, 'utf8'), /agent done/);
  const log = await mcp.client.readResource({ uri: 'axiom://instances/agent1/log' });
  assert.match((log.contents[0] as { text: string }).text, /agent done/);

  const diff = await mcp.call({ action: 'diff', instanceId: 'agent1' });
  assert.deepEqual(diff.doc.files, [{ path: 'agent.txt', status: 'A', added: 2, deleted: 0 }]);
  const merge = await mcp.call({ action: 'merge', instanceId: 'agent1' });
  assert.equal(merge.isError, false, merge.text);
  assert.equal(git(repo.dir, 'log', '-1', '--format=%s', 'main^2').trim(), 'stand-in agent: write the file');
  const cleanup = await mcp.call({ action: 'cleanup', instanceId: 'agent1' });
  assert.equal(cleanup.isError, false, cleanup.text);
  assert.equal(fs.existsSync(spawn.doc.worktreePath), false);
});

test('send writes lines to the headless agent stdin; after it exits, send says so', async () => {
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'reader', command: READER, launch: 'headless' });
  assert.equal(spawn.isError, false, spawn.text);
  const one = await mcp.call({ action: 'send', instanceId: 'reader', text: 'first line' });
  assert.equal(one.isError, false, one.text);
  assert.equal(one.doc.delivered, 'stdin');
  await mcp.call({ action: 'send', instanceId: 'reader', text: 'quit' });
  const st = await exited(mcp, 'reader');
  assert.equal(st.exitCode, 5);
  assert.equal(fs.readFileSync(path.join(spawn.doc.worktreePath, 'lines.txt'), 'utf8'), 'first line\nquit\n');
  const late = await mcp.call({ action: 'send', instanceId: 'reader', text: 'anyone?' });
  assert.equal(late.doc.error.code, 'AgentNotRunning');
  assert.match(late.text, /exited with code 5/);
  assert.equal((await mcp.call({ action: 'cleanup', instanceId: 'reader', force: true })).isError, false);
});

test('another server cannot type into an agent it does not own; its cleanup stops the agent and its children', async () => {
  const script = "require('node:child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});setInterval(()=>{},1000);";
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'longrun', command: [process.execPath, '-e', script], launch: 'headless' });
  assert.equal(spawn.isError, false, spawn.text);
  const pid = spawn.doc.pid as number;
  const other = await connect(repo.dir);
  try {
    const status = await other.call({ action: 'status', instanceId: 'longrun' });
    assert.equal(status.doc.agentPhase, 'working');
    const send = await other.call({ action: 'send', instanceId: 'longrun', text: 'hello' });
    assert.equal(send.doc.error.code, 'NotOwned');
    assert.match(send.text, /started by another Axiom server process/);
    const cleanup = await other.call({ action: 'cleanup', instanceId: 'longrun' });
    assert.equal(cleanup.isError, false, cleanup.text);
    await waitFor('the agent to stop', async () => !alive(pid));
    // The grandchild got the same signal through the process group.
    await waitFor('the whole process group to stop', async () => !alive(-pid), 5000);
  } finally {
    await other.close();
  }
});

test('the exit is recorded even when the server that started the agent is gone', async () => {
  const first = await connect(repo.dir);
  const script = "process.stdin.resume();setTimeout(()=>process.exit(3),700);";
  const spawn = await first.call({ action: 'spawn', instanceId: 'orphan', command: [process.execPath, '-e', script], launch: 'headless' });
  assert.equal(spawn.isError, false, spawn.text);
  await first.close(); // the server exits; the agent keeps running (detached)
  assert.ok(alive(spawn.doc.pid), 'the agent outlives the server');
  const st = await exited(mcp, 'orphan');
  assert.equal(st.exitCode, 3);
  assert.equal((await mcp.call({ action: 'cleanup', instanceId: 'orphan' })).isError, false);
});

test('an agent killed outright is reported exited with its signal; a missing program exits 127', async () => {
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'killed', command: [process.execPath, '-e', 'setInterval(()=>{},1000)'], launch: 'headless' });
  process.kill(-spawn.doc.pid, 'SIGKILL');
  const st = await exited(mcp, 'killed');
  assert.equal(st.exitCode, null);
  const record = JSON.parse(fs.readFileSync(path.join(path.dirname(spawn.doc.logFile), 'axiom-agent.json'), 'utf8'));
  assert.equal(record.signal, 'SIGKILL');

  const missing = await mcp.call({ action: 'spawn', instanceId: 'missing', command: ['./no-such-agent.sh', '{prompt}'], prompt: 'x' });
  assert.equal(missing.isError, false, missing.text);
  const st2 = await waitFor('missing to fail', async () => {
    const s = await mcp.call({ action: 'status', instanceId: 'missing' });
    return s.doc.agentPhase === 'failed-to-start' ? s.doc : null;
  });
  assert.equal(st2.exitCode, 127);
  assert.match(st2.reason, /ENOENT/);
  assert.match(fs.readFileSync(missing.doc.logFile, 'utf8'), /could not start "\.\/no-such-agent\.sh"/);
  for (const id of ['killed', 'missing']) assert.equal((await mcp.call({ action: 'cleanup', instanceId: id })).isError, false);
});
