/** Client configuration helpers: quoting through a real shell, and (optional) the real `claude mcp` health check. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claudeMcpAddCommand, mcpJsonSnippet, mcpServerConfig } from '../../src/mcp/config';
import { fillCommand, findExecutable } from '../../src/agents/headless';
import { CLAUDE_MISSING, findClaude, git, MCP } from './helpers';

const NASTY = "/tmp/a dir/it's $HOME `id` \"q\" ;|&";

test('mcpServerConfig is argv (no shell); the JSON snippet round-trips exactly', () => {
  const c = mcpServerConfig({ nodePath: '/usr/bin/node', mcpScript: '/ext/dist/mcp.js', repo: NASTY });
  assert.deepEqual(c, { command: '/usr/bin/node', args: ['/ext/dist/mcp.js', '--repo', NASTY] });
  const withEnv = mcpServerConfig({ nodePath: '/app/code', mcpScript: 'm.js', repo: '/r', env: { ELECTRON_RUN_AS_NODE: '1' } });
  assert.deepEqual(withEnv.env, { ELECTRON_RUN_AS_NODE: '1' });
  const snippet = JSON.parse(mcpJsonSnippet({ nodePath: 'node', mcpScript: '/x/mcp.js', repo: NASTY }));
  assert.deepEqual(snippet, { mcpServers: { 'axiom-worktrees': { type: 'stdio', command: 'node', args: ['/x/mcp.js', '--repo', NASTY] } } });
  assert.throws(() => mcpServerConfig({ nodePath: '', mcpScript: 'm', repo: 'r' }), /needs nodePath/);
  assert.throws(() => mcpServerConfig({ nodePath: 'node', mcpScript: 'm', repo: 'a\0b' }), /NUL/);
});

test('claudeMcpAddCommand quotes every argument: a real shell hands back exactly the argv', () => {
  const line = claudeMcpAddCommand({ nodePath: '/opt/my node/bin/node', mcpScript: '/x/dist/mcp.js', repo: NASTY, env: { A: 'b c' } });
  assert.match(line, /^claude mcp add axiom-worktrees --scope local -e 'A=b c' -- /);
  // Replace the program with one that prints its argv, then let sh parse the line.
  const printer = `${JSON.stringify(process.execPath)} -e 'console.log(JSON.stringify(process.argv.slice(1)))' --`;
  const out = execFileSync('sh', ['-c', line.replace(/^claude /, `${printer} `)], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), ['mcp', 'add', 'axiom-worktrees', '--scope', 'local', '-e', 'A=b c', '--', '/opt/my node/bin/node', '/x/dist/mcp.js', '--repo', NASTY]);
  const ps = claudeMcpAddCommand({ nodePath: 'node', mcpScript: 'C:\\x\\mcp.js', repo: "C:\\it's" }, 'powershell');
  assert.match(ps, /^& 'claude' 'mcp' 'add'/);
  assert.match(ps, /'C:\\it''s'/);
});

test('custom commands are filled per element, never split or shell-parsed', () => {
  assert.deepEqual(fillCommand(['node', 'a.js', '{prompt}', '--id={id}', '{worktree}'], { prompt: 'fix "it"; rm -rf ~', id: 'x1', worktree: '/w t' }), [
    'node',
    'a.js',
    'fix "it"; rm -rf ~',
    '--id=x1',
    '/w t',
  ]);
  assert.deepEqual(fillCommand(['agent', '{prompt}'], { prompt: null, id: 'x', worktree: '/w' }), ['agent'], 'an empty whole placeholder drops the argument');
  assert.deepEqual(fillCommand(['{unknown}'], { prompt: 'p', id: 'x', worktree: '/w' }), ['{unknown}']);
  assert.equal(findExecutable('node', '/', path.dirname(process.execPath)), process.execPath);
  assert.equal(findExecutable('surely-not-a-program-xyz', '/'), null);
});

test('optional: the real `claude mcp add` (name before -e, env form) + `claude mcp list`/`get` health-check the server', (t) => {
  const claude = findClaude();
  if (!claude) {
    t.skip(CLAUDE_MISSING);
    return;
  }
  const parent = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-claude-')));
  try {
    const home = path.join(parent, 'home');
    const repo = path.join(parent, "re'po x");
    fs.mkdirSync(home);
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, '-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', 'commit', '-q', '--allow-empty', '-m', 'init');
    const env = { ...process.env, HOME: home, PATH: `${path.dirname(claude)}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
    // The exact line a user would paste, run by a real shell.
    // The env form (VS Code's Electron runtime needs ELECTRON_RUN_AS_NODE=1): -e must not swallow the name.
    const input = { nodePath: process.execPath, mcpScript: MCP, repo, env: { ELECTRON_RUN_AS_NODE: '1' } };
    const line = claudeMcpAddCommand(input).replace(/^claude /, `'${claude.replace(/'/g, `'\\''`)}' `);
    execFileSync('sh', ['-c', line], { cwd: repo, env, encoding: 'utf8', timeout: 60_000 });
    const list = execFileSync(claude, ['mcp', 'list'], { cwd: repo, env, encoding: 'utf8', timeout: 60_000 });
    assert.match(list, /axiom-worktrees: .*mcp\.js --repo .* - ✔ Connected/);
    const get = execFileSync(claude, ['mcp', 'get', 'axiom-worktrees'], { cwd: repo, env, encoding: 'utf8', timeout: 60_000 });
    assert.match(get, /Status: ✔ Connected/);
    assert.match(get, /ELECTRON_RUN_AS_NODE=1/);
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});
