/**
 * Headless Claude over MCP with the stand-in `claude` (test/fixtures/bin) on the server's PATH: the
 * argv carries the permission mode and the session id, the prompt arrives as stream-json on stdin
 * (no 3 s wait on an open pipe), `send` delivers a second prompt the agent acts on, failures keep
 * their reason, agents that take no input refuse `send`. Optional: the same with the real claude.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { wholeJsonLines } from '../core/jsonLines';
import { BASIC_PROGRAMS, pathWithOnly } from '../core/programPath';
import { CLAUDE_MISSING, connect, findClaude, git, makeRepo, STANDIN_BIN, waitFor, type McpSession, type TempRepo } from './helpers';

let repo: TempRepo;
let mcp: McpSession;
const PATH = `${STANDIN_BIN}${path.delimiter}${process.env.PATH ?? ''}`;

before(async () => {
  repo = makeRepo();
  mcp = await connect(repo.dir, { env: { PATH } });
});
after(async () => {
  await mcp?.close();
  repo?.cleanup();
});

interface StandinRecord {
  kind: string;
  argv?: string[];
  prompt?: string;
  line?: string;
  stdinIsTTY?: boolean;
  code?: number;
  env?: Record<string, string>;
}

function standin(adminDir: string): StandinRecord[] {
  return wholeJsonLines<StandinRecord>(path.join(adminDir, 'standin-claude.jsonl'));
}

function events(adminDir: string): { event: string; phase?: string; reason?: string; sessionId?: string }[] {
  return wholeJsonLines(path.join(adminDir, 'axiom-status.jsonl'));
}

async function phase(session: McpSession, id: string, want: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  return waitFor(`${id} to be ${want}`, async () => {
    const s = await session.call({ action: 'status', instanceId: id });
    return s.doc.agentPhase === want ? s.doc : null;
  }, timeoutMs);
}

test('headless claude: permission mode, recorded session id, stream-json prompt; send delivers a second prompt it acts on', async () => {
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'c1', prompt: 'write one.txt first' });
  assert.equal(spawn.isError, false, spawn.text);
  const admin = path.dirname(spawn.doc.logFile as string);
  const argv = spawn.doc.command as string[];
  assert.equal(argv[0], 'claude');
  assert.deepEqual(argv.slice(argv.indexOf('--permission-mode'), argv.indexOf('--permission-mode') + 2), ['--permission-mode', 'acceptEdits']);
  assert.deepEqual(argv.slice(argv.indexOf('--input-format'), argv.indexOf('--input-format') + 2), ['--input-format', 'stream-json']);
  assert.match(spawn.doc.sessionId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(argv.slice(argv.indexOf('--session-id'), argv.indexOf('--session-id') + 2), ['--session-id', spawn.doc.sessionId]);
  assert.ok(!argv.includes('write one.txt first'), 'the prompt goes on stdin, not in argv');
  assert.equal(spawn.doc.acceptsInput, true);
  const meta = JSON.parse(fs.readFileSync(path.join(admin, 'axiom.json'), 'utf8'));
  assert.equal(meta.session.id, spawn.doc.sessionId, 'the session id is in the instance metadata');

  const idle = await phase(mcp, 'c1', 'idle');
  assert.equal(idle.sessionId, spawn.doc.sessionId, 'status returns the session id the agent reported');
  assert.equal(fs.readFileSync(path.join(spawn.doc.worktreePath, 'one.txt'), 'utf8'), 'first\n');
  const started = standin(admin).find((r) => r.kind === 'start')!;
  assert.equal(started.stdinIsTTY, false);
  assert.equal(started.env!.AXIOM_INSTANCE_ID, 'c1');

  const sent = await mcp.call({ action: 'send', instanceId: 'c1', text: 'write two.txt second' });
  assert.equal(sent.isError, false, sent.text);
  assert.equal(sent.doc.delivered, 'user-message');
  await waitFor('the second file', async () => fs.existsSync(path.join(spawn.doc.worktreePath, 'two.txt')));
  await phase(mcp, 'c1', 'idle');
  const prompts = events(admin).filter((e) => e.event === 'UserPromptSubmit');
  assert.equal(prompts.length, 2, 'its hooks show the second UserPromptSubmit');
  assert.deepEqual(standin(admin).filter((r) => r.kind === 'prompt').map((r) => r.prompt), ['write one.txt first', 'write two.txt second']);

  const cleanup = await mcp.call({ action: 'cleanup', instanceId: 'c1', force: true });
  assert.equal(cleanup.isError, false, cleanup.text);
});

test('the permission mode comes from git config axiom.claudePermissionMode or the call; an unknown one (manual, yolo) is refused before anything is created', async () => {
  git(repo.dir, 'config', 'axiom.claudePermissionMode', 'plan');
  try {
    const plan = await mcp.call({ action: 'spawn', instanceId: 'c2', prompt: 'hello' });
    assert.equal(plan.isError, false, plan.text);
    assert.ok((plan.doc.command as string[]).join(' ').includes('--permission-mode plan'));
    const fromCall = await mcp.call({ action: 'spawn', instanceId: 'c3', prompt: 'hello', permissionMode: 'dontAsk' });
    assert.ok((fromCall.doc.command as string[]).join(' ').includes('--permission-mode dontAsk'));
    // `manual` is not a mode of the real CLI ("argument 'manual' is invalid"): the tool's enum refuses it.
    const manual = await mcp.call({ action: 'spawn', instanceId: 'c3m', prompt: 'hello', permissionMode: 'manual' });
    assert.equal(manual.doc.error.code, 'InvalidArgument');
    assert.match(manual.text, /permissionMode/);
    for (const bad of ['yolo', 'manual']) {
      git(repo.dir, 'config', 'axiom.claudePermissionMode', bad);
      const r = await mcp.call({ action: 'spawn', instanceId: 'c3b', prompt: 'hello' });
      assert.equal(r.doc.error.code, 'InvalidArgument');
      assert.match(r.text, new RegExp(`Unknown git config axiom.claudePermissionMode "${bad}": use one of acceptEdits, auto, bypassPermissions, default, dontAsk, plan`));
      const race = await mcp.call({ action: 'race', task: 'pm', count: 1, prompt: 'hello', evaluate: 'true' });
      assert.equal(race.doc.error.code, 'InvalidArgument');
    }
    assert.ok(!fs.existsSync(path.join(repo.parent, 'axiom-c3m')) && !fs.existsSync(path.join(repo.parent, 'axiom-c3b')) && !fs.existsSync(path.join(repo.parent, 'axiom-pm-1')), 'nothing was created');
  } finally {
    git(repo.dir, 'config', '--unset', 'axiom.claudePermissionMode');
  }
  for (const id of ['c2', 'c3']) assert.equal((await mcp.call({ action: 'cleanup', instanceId: id, force: true })).isError, false);
});

test('a Claude that exits before any hook (bypassPermissions as root) shows exited 1 with the last lines of its log as the reason', async () => {
  const s = await connect(repo.dir, { env: { PATH, STANDIN_CLAUDE_ROOT: '1' } });
  try {
    const spawn = await s.call({ action: 'spawn', instanceId: 'root1', prompt: 'hello', permissionMode: 'bypassPermissions' });
    assert.equal(spawn.isError, false, spawn.text);
    const exited = await phase(s, 'root1', 'exited');
    assert.equal(exited.exitCode, 1);
    assert.match(String(exited.reason), /--dangerously-skip-permissions cannot be used with root\/sudo privileges/);
    const list = await s.call({ action: 'list' });
    const row = (list.doc.instances as { instanceId: string; reason?: string }[]).find((r) => r.instanceId === 'root1')!;
    assert.match(String(row.reason), /cannot be used with root/);
    assert.equal((await s.call({ action: 'cleanup', instanceId: 'root1' })).isError, false);
  } finally {
    await s.close();
  }
});

test('real Claude failure ends: MCP race with wait returns after a failed turn (StopFailure), the member counts as failed and its Claude is stopped', async () => {
  git(repo.dir, 'config', 'axiom.agentFailureGraceSeconds', '0');
  try {
    const r = await mcp.call({ action: 'race', task: 'sf', count: 1, prompt: 'fail auth please', evaluate: 'node -e "process.exit(1)"', wait: true });
    assert.equal(r.isError, false, r.text);
    const ranking = r.doc.ranking as { id: string; passed: boolean | null }[];
    assert.deepEqual(ranking.map((x) => [x.id, x.passed]), [['sf-1', false]]);
    assert.deepEqual(r.doc.unfinished, []);
    const status = await mcp.call({ action: 'status', instanceId: 'sf-1' });
    assert.equal(status.doc.agentPhase, 'exited', 'the failed Claude was stopped: it no longer waits alive');
    assert.equal(status.doc.reason, 'authentication_failed: Not logged in · Please run /login');
    assert.equal((await mcp.call({ action: 'cleanup', instanceId: 'sf-1', force: true })).isError, false);
  } finally {
    git(repo.dir, 'config', '--unset', 'axiom.agentFailureGraceSeconds');
  }
});

test('Stop Agent over MCP: stop stops a headless Claude waiting for approval without cleaning up', async () => {
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'st1', prompt: 'ask permission to rm' });
  assert.equal(spawn.isError, false, spawn.text);
  await phase(mcp, 'st1', 'needs-approval');
  const stop = await mcp.call({ action: 'stop', instanceId: 'st1' });
  assert.equal(stop.isError, false, stop.text);
  assert.equal(stop.doc.stopped, true);
  assert.equal(stop.doc.agentPhase, 'exited');
  assert.ok(fs.existsSync(spawn.doc.worktreePath as string), 'the instance stays');
  const again = await mcp.call({ action: 'stop', instanceId: 'st1' });
  assert.equal(again.doc.stopped, false, 'nothing left to stop');
  assert.equal((await mcp.call({ action: 'cleanup', instanceId: 'st1' })).isError, false);
});

test('StopFailure: waiting with the reason while the agent runs; exited 1 with the reason once it ends', async () => {
  const first = await connect(repo.dir, { env: { PATH } });
  const spawn = await first.call({ action: 'spawn', instanceId: 'c4', prompt: 'fail auth please' });
  assert.equal(spawn.isError, false, spawn.text);
  const waiting = await phase(first, 'c4', 'waiting');
  assert.equal(waiting.reason, 'authentication_failed: Not logged in · Please run /login');
  // The server goes away: the agent's stdin ends, the stand-in ends its session like claude does.
  await first.close();
  const exited = await phase(mcp, 'c4', 'exited');
  assert.equal(exited.exitCode, 1);
  assert.equal(exited.reason, 'authentication_failed: Not logged in · Please run /login');
  const list = await mcp.call({ action: 'list' });
  const row = (list.doc.instances as { instanceId: string; exitCode: number; reason: string }[]).find((r) => r.instanceId === 'c4')!;
  assert.deepEqual([row.exitCode, row.reason], [1, 'authentication_failed: Not logged in · Please run /login']);
  assert.equal((await mcp.call({ action: 'cleanup', instanceId: 'c4' })).isError, false);
});

test('a headless agent that takes no input gets a closed stdin, and send is refused (never a false "delivered")', async () => {
  const log = path.join(repo.parent, 'codex.jsonl');
  const s = await connect(repo.dir, { env: { PATH, STANDIN_CODEX_LOG: log } });
  try {
    const spawn = await s.call({ action: 'spawn', instanceId: 'cx', agent: 'codex', prompt: 'do the thing' });
    assert.equal(spawn.isError, false, spawn.text);
    assert.equal(spawn.doc.acceptsInput, false);
    const send = await s.call({ action: 'send', instanceId: 'cx', text: 'more' });
    assert.equal(send.isError, true);
    assert.equal(send.doc.error.code, 'InputNotSupported');
    assert.match(send.text, /takes no input after it started/);
    const exited = await phase(s, 'cx', 'exited');
    assert.equal(exited.exitCode, 0);
    const rec = JSON.parse(fs.readFileSync(log, 'utf8').trim()) as { argv: string[]; stdin: string };
    assert.deepEqual(rec.argv, ['exec', 'do the thing']);
    assert.equal(rec.stdin, '', 'stdin was closed: read at once to its end');
    assert.equal((await s.call({ action: 'cleanup', instanceId: 'cx' })).isError, false);
  } finally {
    await s.close();
  }
});

test('a missing claude is refused before anything is created, with how to install it', async () => {
  // No agent on this PATH (node's own folder may hold a global claude, as with nvm).
  const s = await connect(repo.dir, { env: { PATH: pathWithOnly(BASIC_PROGRAMS) } });
  try {
    const r = await s.call({ action: 'spawn', instanceId: 'noclaude', prompt: 'hi' });
    assert.equal(r.doc.error.code, 'AgentNotFound');
    assert.match(r.text, /Claude Code \("claude"\) was not found .* Install it \(npm install -g @anthropic-ai\/claude-code\) or pick another agent/);
    assert.ok(!fs.existsSync(path.join(repo.parent, 'axiom-noclaude')));
  } finally {
    await s.close();
  }
});

test('optional: the real claude headless (no login, temp HOME): stream-json, two prompts, StopFailure reason, exited 1', async (t) => {
  const claude = findClaude();
  if (!claude) {
    t.skip(CLAUDE_MISSING);
    return;
  }
  const home = fs.mkdtempSync(path.join(repo.parent, 'home-'));
  const s = await connect(repo.dir, { env: { HOME: home, PATH: `${path.dirname(claude)}${path.delimiter}${process.env.PATH ?? ''}` } });
  let closed = false;
  try {
    const spawn = await s.call({ action: 'spawn', instanceId: 'realclaude', prompt: 'say hi' });
    assert.equal(spawn.isError, false, spawn.text);
    const admin = path.dirname(spawn.doc.logFile as string);
    const waiting = await phase(s, 'realclaude', 'waiting', 60_000);
    assert.match(String(waiting.reason), /authentication_failed|Not logged in/);
    assert.equal(waiting.sessionId, spawn.doc.sessionId, 'claude used the session id Axiom gave it');
    const sent = await s.call({ action: 'send', instanceId: 'realclaude', text: 'and again' });
    assert.equal(sent.doc.delivered, 'user-message');
    await waitFor('the second UserPromptSubmit', async () => events(admin).filter((e) => e.event === 'UserPromptSubmit').length === 2, 60_000);
    // The second turn's failure too: a prompt clears the reason, and a Claude closed before its turn
    // failed ends without one (a fresh-clone run closed it in between once).
    await waitFor('the second StopFailure', async () => events(admin).filter((e) => e.event === 'StopFailure').length === 2, 60_000);
    const init = fs.readFileSync(spawn.doc.logFile, 'utf8');
    assert.match(init, /"permissionMode":"acceptEdits"/);
    await s.close();
    closed = true;
    const exited = await phase(mcp, 'realclaude', 'exited', 60_000);
    assert.equal(exited.exitCode, 1, 'not logged in');
    assert.match(String(exited.reason), /Not logged in/);
    assert.ok(events(admin).some((e) => e.event === 'SessionEnd'));
    assert.equal((await mcp.call({ action: 'cleanup', instanceId: 'realclaude', force: true })).isError, false);
  } finally {
    if (!closed) await s.close();
  }
});
