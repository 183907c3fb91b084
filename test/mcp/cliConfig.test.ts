/** `axiom mcp config`: the registration a user without VS Code copies, checked by a shell and (optional) by the real claude. */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLAUDE_MISSING, findClaude, makeRepo, MCP, runCli, type TempRepo } from './helpers';

let repo: TempRepo;
before(() => {
  repo = makeRepo();
});
after(() => repo?.cleanup());

test('axiom mcp config --claude: one line, name before -e, the server command after --', async () => {
  const r = await runCli(['-C', repo.dir, 'mcp', 'config', '--claude']);
  assert.equal(r.code, 0, r.stderr);
  const line = r.stdout.trim();
  assert.equal(line.split('\n').length, 1);
  assert.match(line, /^claude mcp add axiom-worktrees --scope local -- /);
  // A shell hands the server command back exactly (the repository path included).
  const printer = `${JSON.stringify(process.execPath)} -e 'console.log(JSON.stringify(process.argv.slice(1)))' --`;
  const argv = JSON.parse(execFileSync('sh', ['-c', line.replace(/^claude /, `${printer} `)], { encoding: 'utf8' })) as string[];
  assert.deepEqual(argv.slice(argv.indexOf('--') + 1), [process.execPath, MCP, '--repo', repo.dir]);
});

test('axiom mcp config --json: the .mcp.json document; no flag: both, with the approval note', async () => {
  const j = await runCli(['-C', repo.dir, 'mcp', 'config', '--json']);
  assert.equal(j.code, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout), { mcpServers: { 'axiom-worktrees': { type: 'stdio', command: process.execPath, args: [MCP, '--repo', repo.dir] } } });
  const both = await runCli(['-C', repo.dir, 'mcp', 'config']);
  assert.equal(both.code, 0, both.stderr);
  assert.match(both.stdout, /claude mcp add axiom-worktrees/);
  assert.match(both.stdout, /"mcpServers"/);
  assert.match(both.stdout, /Pending approval/);
  const outside = await runCli(['-C', repo.parent, 'mcp', 'config']);
  assert.equal(outside.code, 1, outside.stderr);
  assert.match(outside.stderr, /is not inside a git repository/);
});

test('axiom mcp config --claude --json: the claude mcp add argv as a JSON array, the line it quotes', async () => {
  const r = await runCli(['-C', repo.dir, 'mcp', 'config', '--claude', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const argv = JSON.parse(r.stdout) as string[];
  assert.deepEqual(argv, ['claude', 'mcp', 'add', 'axiom-worktrees', '--scope', 'local', '--', process.execPath, MCP, '--repo', repo.dir]);
  // The same command as the line --claude prints, read back by a shell.
  const line = (await runCli(['-C', repo.dir, 'mcp', 'config', '--claude'])).stdout.trim();
  const printer = `${JSON.stringify(process.execPath)} -e 'console.log(JSON.stringify(process.argv.slice(1)))' --`;
  assert.deepEqual(JSON.parse(execFileSync('sh', ['-c', `${printer} ${line}`], { encoding: 'utf8' })), argv);
});

test('optional: the real claude accepts the line from axiom mcp config --claude and health-checks the server', async (t) => {
  const claude = findClaude();
  if (!claude) {
    t.skip(CLAUDE_MISSING);
    return;
  }
  const home = fs.mkdtempSync(path.join(repo.parent, 'home-'));
  const line = (await runCli(['-C', repo.dir, 'mcp', 'config', '--claude'])).stdout.trim();
  const env = { ...process.env, HOME: home, PATH: `${path.dirname(claude)}${path.delimiter}${process.env.PATH ?? ''}` };
  execFileSync('sh', ['-c', line], { cwd: repo.dir, env, encoding: 'utf8', timeout: 60_000 });
  const get = execFileSync(claude, ['mcp', 'get', 'axiom-worktrees'], { cwd: repo.dir, env, encoding: 'utf8', timeout: 60_000 });
  assert.match(get, /Status: ✔ Connected/);
});
