/** The MCP server and the CLI spawning (and cleaning up) at once: all succeed, never a git lock error. */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { connect, git, makeRepo, runCli, worktreePaths, type McpSession, type TempRepo } from './helpers';

let repo: TempRepo;
let mcp: McpSession;

before(async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.maxInstances', '30');
  mcp = await connect(repo.dir);
});
after(async () => {
  await mcp?.close();
  repo?.cleanup();
});

const LOCK_ERROR = /index\.lock|could not lock|cannot lock|unable to create .*\.lock|Locked|commondir|is not a working tree/i;

test('10 spawns over MCP and 10 through the CLI at the same time: 20 instances, no lock error', async () => {
  const started = Date.now();
  const [mcpAnswers, cliAnswers] = await Promise.all([
    Promise.all(Array.from({ length: 10 }, (_, i) => mcp.call({ action: 'spawn', instanceId: `mcp${i}` }))),
    Promise.all(Array.from({ length: 10 }, (_, i) => runCli(['-C', repo.dir, 'spawn', `cli${i}`, '--json']))),
  ]);
  const spawnMs = Date.now() - started;
  for (const a of mcpAnswers) {
    assert.equal(a.isError, false, a.text);
    assert.doesNotMatch(a.text, LOCK_ERROR);
  }
  for (const c of cliAnswers) {
    assert.equal(c.code, 0, c.stderr);
    assert.doesNotMatch(c.stderr, LOCK_ERROR);
  }
  assert.equal(worktreePaths(repo.dir).length, 21);
  const list = await mcp.call({ action: 'list' });
  assert.equal(list.doc.instances.length, 20);
  for (const row of list.doc.instances) assert.ok(fs.existsSync(`${row.worktreePath}/README.md`), `${row.instanceId} checked out`);

  const cleanStarted = Date.now();
  const [mcpClean, cliClean] = await Promise.all([
    Promise.all(Array.from({ length: 10 }, (_, i) => mcp.call({ action: 'cleanup', instanceId: `cli${i}` }))),
    Promise.all(Array.from({ length: 10 }, (_, i) => runCli(['-C', repo.dir, 'cleanup', `mcp${i}`]))),
  ]);
  const cleanupMs = Date.now() - cleanStarted;
  for (const a of mcpClean) assert.equal(a.isError, false, a.text);
  for (const c of cliClean) assert.equal(c.code, 0, c.stderr);
  assert.equal(worktreePaths(repo.dir).length, 1);
  assert.deepEqual(git(repo.dir, 'branch', '--list', 'axiom/*').trim(), '');
  console.log(`concurrency: 20 spawns (10 MCP + 10 CLI) in ${spawnMs} ms, 20 cleanups crosswise in ${cleanupMs} ms`);
});
