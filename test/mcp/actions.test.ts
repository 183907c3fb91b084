/** Every action and every refusal of the tool, through a real MCP client over stdio. */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASIC_PROGRAMS, pathWithOnly } from '../core/programPath';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { CLI, commitIn, connect, git, makeRepo, waitFor, writeFile, TOOL, type McpSession, type TempRepo } from './helpers';

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

test('the server advertises one tool with a flat object schema, and resources', async () => {
  const tools = await mcp.client.listTools();
  assert.deepEqual(
    tools.tools.map((t) => t.name),
    [TOOL],
  );
  const schema = tools.tools[0]!.inputSchema as { type: string; required: string[]; properties: Record<string, { enum?: string[] }> };
  assert.equal(schema.type, 'object');
  assert.deepEqual(schema.required, ['action']);
  assert.deepEqual(schema.properties.action!.enum, ['spawn', 'status', 'list', 'diff', 'merge', 'cleanup', 'send', 'stop', 'publish', 'race', 'evaluate', 'rank', 'land', 'conflicts', 'history', 'search']);
  for (const k of ['instanceId', 'useWorktree', 'baseBranch', 'agent', 'prompt', 'launch', 'command', 'strategy', 'preview', 'force', 'text']) {
    assert.ok(schema.properties[k], `schema has ${k}`);
  }
  const templates = await mcp.client.listResourceTemplates();
  assert.deepEqual(
    templates.resourceTemplates.map((t) => t.uriTemplate),
    ['axiom://instances/{id}', 'axiom://instances/{id}/log'],
  );
});

test('an unknown tool name is an MCP invalid-params error (not a tool error with code Unexpected)', async () => {
  await assert.rejects(
    mcp.client.callTool({ name: 'axiom_no_such_tool', arguments: { action: 'list' } }),
    (e: unknown) => {
      assert.ok(e instanceof McpError, String(e));
      assert.equal(e.code, ErrorCode.InvalidParams);
      assert.match(e.message, /Unknown tool "axiom_no_such_tool": this server has one tool, axiom_claude_orchestrate_worktree/);
      return true;
    },
  );
  // The server still answers afterwards.
  assert.equal((await mcp.call({ action: 'list' })).isError, false);
});

test("the seed's shape: spawn → status (worktreePath, branch) → cleanup", async () => {
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'claude1', useWorktree: true, baseBranch: 'main' });
  assert.equal(spawn.isError, false, spawn.text);
  assert.equal(spawn.doc.worktreePath, path.join(repo.parent, 'axiom-claude1'));
  assert.match(spawn.doc.branch, /^axiom\/claude1\/\d+$/);
  assert.equal(spawn.doc.launch, 'none');
  assert.ok(fs.existsSync(path.join(spawn.doc.worktreePath, 'README.md')));

  const status = await mcp.call({ action: 'status', instanceId: 'claude1' });
  assert.equal(status.isError, false, status.text);
  assert.equal(status.doc.worktreePath, spawn.doc.worktreePath);
  assert.equal(status.doc.branch, spawn.doc.branch);
  assert.equal(status.doc.base, 'main');
  assert.equal(status.doc.dirty, false);
  assert.deepEqual(status.doc.aheadBehind, { ahead: 0, behind: 0 });
  assert.equal(status.doc.agentPhase, 'unknown');
  assert.ok('lastActivity' in status.doc);

  const cleanup = await mcp.call({ action: 'cleanup', instanceId: 'claude1' });
  assert.equal(cleanup.isError, false, cleanup.text);
  assert.equal(cleanup.doc.branchDeleted, true);
  assert.ok(!fs.existsSync(spawn.doc.worktreePath));
});

test('useWorktree:false is refused with the reason, and nothing is created', async () => {
  const before = git(repo.dir, 'worktree', 'list');
  const r = await mcp.call({ action: 'spawn', instanceId: 'inplace', useWorktree: false, baseBranch: 'main' });
  assert.equal(r.isError, true);
  assert.equal(r.doc.error.code, 'IsolationRequired');
  assert.match(r.text, /its own git worktree/);
  assert.match(r.text, /main checkout is not supported/);
  assert.equal(git(repo.dir, 'worktree', 'list'), before);
});

test('list, diff with line counts and a capped patch, merge preview and merge, cleanup; resources follow', async () => {
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'work1' });
  assert.equal(spawn.isError, false, spawn.text);
  const wt = spawn.doc.worktreePath as string;
  commitIn(wt, 'add lines', { 'src/app.txt': 'one\ntwo\nthree\nfour\n', 'big.txt': 'x'.repeat(50) + '\n'.repeat(1) + 'line\n'.repeat(2000) });
  writeFile(wt, 'untracked.txt', 'a\nb\n');

  const list = await mcp.call({ action: 'list' });
  assert.equal(list.isError, false, list.text);
  const row = list.doc.instances.find((i: { instanceId: string }) => i.instanceId === 'work1');
  assert.deepEqual(row.aheadBehind, { ahead: 1, behind: 0 });
  assert.equal(row.dirty, true);
  assert.equal(list.doc.otherWorktrees[0].kind, 'main');

  const full = await mcp.call({ action: 'diff', instanceId: 'work1' });
  assert.equal(full.isError, false, full.text);
  const byPath = Object.fromEntries(full.doc.files.map((f: { path: string }) => [f.path, f]));
  assert.deepEqual(byPath['src/app.txt'], { path: 'src/app.txt', status: 'M', added: 1, deleted: 0 });
  assert.equal(byPath['big.txt'].added, 2001);
  assert.deepEqual(byPath['untracked.txt'], { path: 'untracked.txt', status: 'A', added: 2, deleted: 0 });
  assert.equal(full.doc.truncated, false);
  assert.match(full.doc.patch, /^diff --git a\/big.txt b\/big.txt/m);
  assert.match(full.doc.patch, /\+four/);

  const cut = await mcp.call({ action: 'diff', instanceId: 'work1', maxPatchBytes: 300 });
  assert.equal(cut.doc.truncated, true);
  assert.ok(Buffer.byteLength(cut.doc.patch) <= 300);
  assert.match(cut.doc.note, /cut at 300 bytes/);
  const noPatch = await mcp.call({ action: 'diff', instanceId: 'work1', includePatch: false });
  assert.equal(noPatch.doc.patch, undefined);

  // Resources: the list and one instance, cheap to poll.
  const res = await mcp.client.readResource({ uri: 'axiom://instances' });
  const listed = JSON.parse((res.contents[0] as { text: string }).text);
  assert.ok(listed.instances.some((i: { instanceId: string }) => i.instanceId === 'work1'));
  const one = JSON.parse(((await mcp.client.readResource({ uri: 'axiom://instances/work1' })).contents[0] as { text: string }).text);
  assert.equal(one.worktreePath, wt);
  const missing = JSON.parse(((await mcp.client.readResource({ uri: 'axiom://instances/nope' })).contents[0] as { text: string }).text);
  assert.equal(missing.error.code, 'NotFound');
  const resources = await mcp.client.listResources();
  assert.ok(resources.resources.some((r) => r.uri === 'axiom://instances/work1'));

  // Merge: uncommitted work refuses; a preview says so; commitMessage commits it.
  const preview = await mcp.call({ action: 'merge', instanceId: 'work1', preview: true });
  assert.equal(preview.isError, false, preview.text);
  assert.equal(preview.doc.preview, true);
  assert.equal(preview.doc.canMerge, false);
  assert.match(preview.doc.blockers.join('\n'), /uncommitted/);
  const dirtyMerge = await mcp.call({ action: 'merge', instanceId: 'work1' });
  assert.equal(dirtyMerge.isError, true);
  assert.equal(dirtyMerge.doc.error.code, 'DirtyWorktree');
  assert.match(dirtyMerge.text, /untracked\.txt/);
  const mainBefore = git(repo.dir, 'rev-parse', 'main').trim();
  const merged = await mcp.call({ action: 'merge', instanceId: 'work1', strategy: 'squash', commitMessage: 'include the untracked file' });
  assert.equal(merged.isError, false, merged.text);
  assert.equal(merged.doc.merged, true);
  assert.notEqual(git(repo.dir, 'rev-parse', 'main').trim(), mainBefore);
  assert.equal(fs.readFileSync(path.join(repo.dir, 'untracked.txt'), 'utf8'), 'a\nb\n');

  const again = await mcp.call({ action: 'merge', instanceId: 'work1' });
  assert.equal(again.isError, true, again.text);
  assert.equal(again.doc.error.code, 'NothingToMerge');

  const cleanup = await mcp.call({ action: 'cleanup', instanceId: 'work1' });
  assert.equal(cleanup.isError, false, cleanup.text);
  assert.equal(cleanup.doc.salvageRef, null);
});

test('cleanup refuses and says exactly what would be lost; force keeps it in a salvage ref', async () => {
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'risky' });
  const wt = spawn.doc.worktreePath as string;
  commitIn(wt, 'precious commit', { 'p.txt': 'p\n' });
  writeFile(wt, 'notes.txt', 'unsaved\n');

  const dirty = await mcp.call({ action: 'cleanup', instanceId: 'risky' });
  assert.equal(dirty.isError, true);
  assert.equal(dirty.doc.error.code, 'DirtyWorktree');
  assert.match(dirty.text, /would lose work/);
  assert.match(dirty.text, /notes\.txt/);
  assert.match(dirty.text, /precious commit/);
  assert.deepEqual(dirty.doc.error.details.files, ['notes.txt']);
  assert.ok(fs.existsSync(wt), 'a refused cleanup removes nothing');

  fs.rmSync(path.join(wt, 'notes.txt'));
  const unmerged = await mcp.call({ action: 'cleanup', instanceId: 'risky' });
  assert.equal(unmerged.doc.error.code, 'UnmergedCommits');
  assert.match(unmerged.text, /1 commit not in the base/);

  const forced = await mcp.call({ action: 'cleanup', instanceId: 'risky', force: true });
  assert.equal(forced.isError, false, forced.text);
  assert.match(forced.doc.salvageRef, /^refs\/axiom\/salvage\/risky\//);
  assert.match(forced.doc.restore, /axiom salvage restore refs\/axiom\/salvage\/risky\//);
  assert.equal(git(repo.dir, 'log', '-1', '--format=%s', `${forced.doc.salvageRef}^`).trim(), 'precious commit');
});

test('merge conflicts and a dirty target are refused without changing anything', async () => {
  const a = await mcp.call({ action: 'spawn', instanceId: 'conf' });
  commitIn(a.doc.worktreePath, 'instance edit', { 'src/app.txt': 'ONE\n' });
  repo.commit('main edit', { 'src/app.txt': 'uno\n' });
  const mainSha = git(repo.dir, 'rev-parse', 'main').trim();

  const preview = await mcp.call({ action: 'merge', instanceId: 'conf', preview: true });
  assert.equal(preview.isError, false, preview.text);
  assert.deepEqual(preview.doc.conflicts, ['src/app.txt']);
  assert.equal(preview.doc.canMerge, false);
  const merge = await mcp.call({ action: 'merge', instanceId: 'conf' });
  assert.equal(merge.isError, true);
  assert.equal(merge.doc.error.code, 'MergeConflict');
  assert.deepEqual(merge.doc.error.details.conflicts, ['src/app.txt']);
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), mainSha);

  const b = await mcp.call({ action: 'spawn', instanceId: 'tgt' });
  commitIn(b.doc.worktreePath, 'other file', { 'other.txt': 'o\n' });
  writeFile(repo.dir, 'README.md', '# dirty main\n');
  const dirtyTarget = await mcp.call({ action: 'merge', instanceId: 'tgt' });
  assert.equal(dirtyTarget.doc.error.code, 'TargetDirty');
  assert.match(dirtyTarget.text, /README\.md/);
  git(repo.dir, 'checkout', '--', 'README.md');

  const badInto = await mcp.call({ action: 'merge', instanceId: 'tgt', into: 'no-such-branch' });
  assert.equal(badInto.doc.error.code, 'BaseNotFound');
  for (const id of ['conf', 'tgt']) assert.equal((await mcp.call({ action: 'cleanup', instanceId: id, force: true })).isError, false);
});

test('spawn refusals: invalid id, duplicate, unknown base, limit, missing agent program, headless without prompt', async () => {
  const invalid = await mcp.call({ action: 'spawn', instanceId: 'Bad Id!' });
  assert.equal(invalid.doc.error.code, 'InvalidId');

  assert.equal((await mcp.call({ action: 'spawn', instanceId: 'dup' })).isError, false);
  const dup = await mcp.call({ action: 'spawn', instanceId: 'dup' });
  assert.equal(dup.doc.error.code, 'AlreadyExists');
  assert.match(dup.text, /Pick another id or clean it up first/);

  const base = await mcp.call({ action: 'spawn', instanceId: 'nobase', baseBranch: 'does-not-exist' });
  assert.equal(base.doc.error.code, 'BaseNotFound');

  // A server whose PATH has no agent program, whatever this machine has installed.
  const bare = await connect(repo.dir, { env: { PATH: pathWithOnly(BASIC_PROGRAMS) } });
  try {
    const program = await bare.call({ action: 'spawn', instanceId: 'nocodex', agent: 'codex', prompt: 'hi', launch: 'headless' });
    assert.equal(program.doc.error.code, 'AgentNotFound');
    assert.match(program.text, /Codex CLI \("codex"\) was not found on the PATH of this MCP server\. Install it \(npm install -g @openai\/codex\) or pick another agent\./);
  } finally {
    await bare.close();
  }
  const noPrompt = await mcp.call({ action: 'spawn', instanceId: 'noprompt', agent: 'claude', launch: 'headless' });
  assert.equal(noPrompt.doc.error.code, 'InvalidArgument');
  assert.match(noPrompt.text, /needs a prompt/);
  const customNoCommand = await mcp.call({ action: 'spawn', instanceId: 'nocmd', agent: 'custom', prompt: 'x' });
  assert.match(customNoCommand.text, /needs "command"/);
  const wrongAgent = await mcp.call({ action: 'spawn', instanceId: 'wrong', agent: 'claude', command: ['node'], launch: 'headless' });
  assert.match(wrongAgent.text, /only for agent "custom"/);
  const terminalCommand = await mcp.call({ action: 'spawn', instanceId: 'tc', command: ['node'], launch: 'terminal' });
  assert.match(terminalCommand.text, /applies to launch "headless" only/);
  for (const id of ['nobase', 'nocodex', 'noprompt', 'nocmd', 'wrong', 'tc']) {
    assert.ok(!fs.existsSync(path.join(repo.parent, `axiom-${id}`)), `nothing created for ${id}`);
  }

  git(repo.dir, 'config', 'axiom.maxInstances', '1');
  try {
    const limit = await mcp.call({ action: 'spawn', instanceId: 'over' });
    assert.equal(limit.doc.error.code, 'LimitReached');
    assert.match(limit.text, /git config axiom.maxInstances/);
  } finally {
    git(repo.dir, 'config', '--unset', 'axiom.maxInstances');
  }
  assert.equal((await mcp.call({ action: 'cleanup', instanceId: 'dup' })).isError, false);
});

test('status, diff, merge, cleanup and send of an unknown instance name the known ones', async () => {
  await mcp.call({ action: 'spawn', instanceId: 'known1' });
  for (const action of ['status', 'diff', 'merge', 'cleanup', 'send']) {
    const r = await mcp.call({ action, instanceId: 'ghost', ...(action === 'send' ? { text: 'hi' } : {}) });
    assert.equal(r.isError, true, action);
    assert.equal(r.doc.error.code, 'NotFound', action);
    assert.match(r.text, /Known instances: known1/, action);
  }
  assert.equal((await mcp.call({ action: 'cleanup', instanceId: 'known1' })).isError, false);
});

test('launch terminal: status pending until the extension takes it; send queues lines for the extension', async () => {
  const spawn = await mcp.call({ action: 'spawn', instanceId: 'term1', agent: 'claude', prompt: 'fix the bug', launch: 'terminal' });
  assert.equal(spawn.isError, false, spawn.text);
  assert.equal(spawn.doc.agentPhase, 'pending');
  const status = await mcp.call({ action: 'status', instanceId: 'term1' });
  assert.equal(status.doc.agentPhase, 'pending');
  assert.equal(status.doc.terminal.pending, true);
  assert.equal(status.doc.terminal.takenAt, null);

  const send = await mcp.call({ action: 'send', instanceId: 'term1', text: 'also add a test' });
  assert.equal(send.isError, false, send.text);
  assert.equal(send.doc.delivered, 'terminal-queue');
  assert.equal(send.doc.terminalPending, true);
  const lines = fs.readFileSync(send.doc.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].text, 'also add a test');
  assert.ok(!Number.isNaN(Date.parse(lines[0].at)));

  // What the extension does when it opens the terminal: mark the request taken.
  const meta = path.join(path.dirname(send.doc.file), 'axiom.json');
  const m = JSON.parse(fs.readFileSync(meta, 'utf8'));
  m.terminal.takenAt = new Date().toISOString();
  fs.writeFileSync(meta, JSON.stringify(m));
  const taken = await mcp.call({ action: 'status', instanceId: 'term1' });
  assert.equal(taken.doc.terminal.pending, false);
  assert.notEqual(taken.doc.agentPhase, 'pending');

  const none = await mcp.call({ action: 'spawn', instanceId: 'plain' });
  const sendNone = await mcp.call({ action: 'send', instanceId: 'plain', text: 'hello' });
  assert.equal(sendNone.doc.error.code, 'AgentNotRunning');
  assert.match(sendNone.text, /launch "none"/);
  assert.equal(none.isError, false);
  for (const id of ['term1', 'plain']) assert.equal((await mcp.call({ action: 'cleanup', instanceId: id })).isError, false);
});

test('a server started outside a repository stays up and answers NotARepository', async () => {
  const outside = fs.mkdtempSync(path.join(repo.parent, 'not-a-repo-'));
  const s = await connect(outside);
  try {
    const r = await s.call({ action: 'list' });
    assert.equal(r.isError, true);
    assert.equal(r.doc.error.code, 'NotARepository');
    const again = await s.call({ action: 'status', instanceId: 'x' });
    assert.equal(again.doc.error.code, 'NotARepository');
  } finally {
    await s.close();
  }
});

test('`axiom mcp` (the CLI) serves the same tool, and exits when the client goes', async () => {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--repo', repo.dir], stderr: 'pipe' });
  const client = new Client({ name: 'axiom-cli-test', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid!;
  const r = (await client.callTool({ name: TOOL, arguments: { action: 'list' } })) as { isError?: boolean; structuredContent?: { repository?: string } };
  assert.notEqual(r.isError, true);
  assert.equal(r.structuredContent?.repository, repo.dir);
  await client.close();
  await waitFor('the CLI server to exit', async () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 5000);
});

test('spawn with count makes <instanceId>-1 … -N in one engine call; a taken id in the range refuses and makes none', async () => {
  const made = await mcp.call({ action: 'spawn', instanceId: 'many', count: 2, launch: 'none' });
  assert.equal(made.isError, false, made.text);
  assert.deepEqual(made.doc.instances.map((i: { instanceId: string; agentPhase: string }) => [i.instanceId, i.agentPhase]), [['many-1', 'unknown'], ['many-2', 'unknown']]);
  const before = git(repo.dir, 'worktree', 'list');
  const taken = await mcp.call({ action: 'spawn', instanceId: 'many', count: 3, launch: 'none' });
  assert.equal(taken.isError, true);
  assert.match(taken.text, /AlreadyExists/);
  assert.equal(git(repo.dir, 'worktree', 'list'), before);
  const bad = await mcp.call({ action: 'spawn', instanceId: 'many', count: 0 });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /count/);
  for (const id of ['many-1', 'many-2']) assert.equal((await mcp.call({ action: 'cleanup', instanceId: id })).isError, false);
});
