/**
 * Claude Code's worktrees as Axiom instances: `axiom claude hooks install|uninstall|status` on real
 * settings files, `axiom claude hook worktree-create|worktree-remove` with each payload generation,
 * a stand-in `claude --worktree` that fires the installed hooks, and (when installed) the real claude.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandLine } from '../../src/core/processes/shellQuote';
import { idFromWorktreeName, uniqueId } from '../../src/agents/claudeWorktrees';
import { hookCliOf, installWorktreeHooks } from '../../src/agents/claudeHooksSettings';
import { CLI, commitIn, git, makeRepo, repoState, ROOT, runCli, writeFile, type CliResult, type TempRepo } from './helpers';
import { CLAUDE_MISSING, connect, findClaude } from '../mcp/helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

const STANDIN_CLAUDE = path.join(ROOT, 'test', 'fixtures', 'bin', 'claude');

/** A HOME (and no CLAUDE_CONFIG_DIR) inside the test's temp folder: the user scope never touches the real one. */
function homeEnv(r: TempRepo): Record<string, string> {
  const home = path.join(r.parent, 'home');
  fs.mkdirSync(home, { recursive: true });
  return { HOME: home, CLAUDE_CONFIG_DIR: '' };
}

function expectedCommand(step: 'worktree-create' | 'worktree-remove', untrusted = false): string {
  return commandLine([process.execPath, CLI, 'claude', 'hook', step, ...(untrusted ? ['--untrusted'] : [])]);
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function create(r: TempRepo, payload: unknown, args: string[] = []): Promise<CliResult> {
  return runCli(['claude', 'hook', 'worktree-create', ...args], { cwd: r.dir, input: typeof payload === 'string' ? payload : JSON.stringify(payload), env: homeEnv(r) });
}

function remove(r: TempRepo, payload: unknown, args: string[] = []): Promise<CliResult> {
  return runCli(['claude', 'hook', 'worktree-remove', ...args], { cwd: r.dir, input: typeof payload === 'string' ? payload : JSON.stringify(payload), env: homeEnv(r) });
}

interface StatusDoc {
  id: string;
  path: string;
  agent: string;
  base: string;
  adminDir: string;
  metadata: { source?: { kind: string; name: string }; session?: { id: string; agent: string } };
}

async function statusOf(r: TempRepo, id: string): Promise<StatusDoc> {
  const s = await runCli(['-C', r.dir, 'status', id, '--json']);
  assert.equal(s.code, 0, s.stderr);
  return JSON.parse(s.stdout) as StatusDoc;
}

function instanceLog(s: StatusDoc): string {
  return fs.readFileSync(path.join(s.adminDir, 'axiom-agent.log'), 'utf8');
}

async function salvageRefs(r: TempRepo): Promise<{ ref: string; branch: string | null }[]> {
  const l = await runCli(['-C', r.dir, 'salvage', 'list', '--json']);
  assert.equal(l.code, 0, l.stderr);
  return JSON.parse(l.stdout) as { ref: string; branch: string | null }[];
}

// ───────────── install / uninstall / status ─────────────

test('hooks install merges into .claude/settings.json: other keys and hooks kept, never duplicated; uninstall removes exactly its entries', async () => {
  repo = makeRepo();
  const file = path.join(repo.dir, '.claude', 'settings.json');
  const original = {
    model: 'opus',
    permissions: { allow: ['Bash(ls)'] },
    hooks: {
      PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'echo pre' }] }],
      WorktreeRemove: [{ hooks: [{ type: 'command', command: 'echo other-remove' }] }],
    },
  };
  writeFile(repo.dir, '.claude/settings.json', JSON.stringify(original, null, 4));
  const env = homeEnv(repo);

  const install = await runCli(['-C', repo.dir, 'claude', 'hooks', 'install'], { env });
  assert.equal(install.code, 0, install.stderr);
  assert.match(install.stdout, /also has another WorktreeRemove hook \(echo other-remove\)/);
  const after = readJson(file) as typeof original & { hooks: Record<string, { hooks: { command: string }[] }[]> };
  assert.equal(after.model, 'opus');
  assert.deepEqual(after.permissions, original.permissions);
  assert.deepEqual(after.hooks.PreToolUse, original.hooks.PreToolUse);
  assert.deepEqual(after.hooks.WorktreeCreate, [{ hooks: [{ type: 'command', command: expectedCommand('worktree-create') }] }]);
  assert.deepEqual(after.hooks.WorktreeRemove, [...original.hooks.WorktreeRemove, { hooks: [{ type: 'command', command: expectedCommand('worktree-remove') }] }]);

  // Again: nothing written (byte for byte), still one entry each.
  const bytes = fs.readFileSync(file);
  const again = await runCli(['-C', repo.dir, 'claude', 'hooks', 'install'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Already installed/);
  assert.deepEqual(fs.readFileSync(file), bytes);

  const status = await runCli(['-C', repo.dir, 'claude', 'hooks', 'status', '--json'], { env });
  assert.equal(status.code, 0, status.stderr);
  const scopes = JSON.parse(status.stdout) as { scope: string; installed: boolean; events: { WorktreeRemove: { others: string[] } } }[];
  assert.deepEqual(scopes.map((s) => [s.scope, s.installed]), [['project', true], ['local', false], ['user', false]]);
  assert.deepEqual(scopes[0]!.events.WorktreeRemove.others, ['echo other-remove']);

  const uninstall = await runCli(['-C', repo.dir, 'claude', 'hooks', 'uninstall'], { env });
  assert.equal(uninstall.code, 0, uninstall.stderr);
  assert.deepEqual(readJson(file), original);
  const twice = await runCli(['-C', repo.dir, 'claude', 'hooks', 'uninstall'], { env });
  assert.match(twice.stdout, /No Axiom worktree hooks/);
});

test("hooks install replaces an older installation's entry (another cli.js path) instead of adding a second", async () => {
  repo = makeRepo();
  const old = { hooks: { WorktreeCreate: [{ hooks: [{ type: 'command', command: "/old/node '/old place/dist/cli.js' claude hook worktree-create" }] }] } };
  writeFile(repo.dir, '.claude/settings.local.json', JSON.stringify(old));
  const env = homeEnv(repo);
  const before = await runCli(['-C', repo.dir, 'claude', 'hooks', 'status', '--scope', 'local'], { env });
  assert.match(before.stdout, /installed by another Axiom installation or partly/);
  const r = await runCli(['-C', repo.dir, 'claude', 'hooks', 'install', '--scope', 'local'], { env });
  assert.equal(r.code, 0, r.stderr);
  const after = readJson(path.join(repo.dir, '.claude', 'settings.local.json')) as { hooks: Record<string, unknown> };
  assert.deepEqual(after.hooks.WorktreeCreate, [{ hooks: [{ type: 'command', command: expectedCommand('worktree-create') }] }]);
});

test('hooks install --scope user writes $CLAUDE_CONFIG_DIR/settings.json, else $HOME/.claude/settings.json, with --untrusted hooks', async () => {
  repo = makeRepo();
  const env = homeEnv(repo);
  const r = await runCli(['claude', 'hooks', 'install', '--scope', 'user'], { env, cwd: repo.parent });
  assert.equal(r.code, 0, r.stderr);
  const userFile = path.join(env.HOME!, '.claude', 'settings.json');
  const hooks = (readJson(userFile) as { hooks: Record<string, { hooks: { command: string }[] }[]> }).hooks;
  assert.equal(hooks.WorktreeCreate![0]!.hooks[0]!.command, expectedCommand('worktree-create', true));
  assert.equal(hooks.WorktreeRemove![0]!.hooks[0]!.command, expectedCommand('worktree-remove', true));

  const configDir = path.join(repo.parent, 'claude-config');
  const c = await runCli(['claude', 'hooks', 'install', '--scope', 'user'], { env: { ...env, CLAUDE_CONFIG_DIR: configDir }, cwd: repo.parent });
  assert.equal(c.code, 0, c.stderr);
  assert.ok(fs.existsSync(path.join(configDir, 'settings.json')));

  // The same hooks in a repository too: Claude would run both, so install says so.
  const local = await runCli(['-C', repo.dir, 'claude', 'hooks', 'install', '--scope', 'local'], { env });
  assert.equal(local.code, 0, local.stderr);
  assert.match(local.stdout, /also in .*settings\.json \(user scope\)/);
});

test('a settings file that is not valid JSON is refused with a clear message and left untouched', async () => {
  repo = makeRepo();
  const text = '{\n  "hooks": {\n    // a comment\n';
  writeFile(repo.dir, '.claude/settings.json', text);
  const env = homeEnv(repo);
  for (const action of ['install', 'uninstall']) {
    const r = await runCli(['-C', repo.dir, 'claude', 'hooks', action], { env });
    assert.equal(r.code, 2, `${action}: ${r.stderr}`);
    assert.match(r.stderr, /settings\.json is not valid JSON .*left it untouched/);
    assert.equal(fs.readFileSync(path.join(repo.dir, '.claude', 'settings.json'), 'utf8'), text);
  }
  const status = await runCli(['-C', repo.dir, 'claude', 'hooks', 'status'], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /! .*not valid JSON/);
});

// ───────────── WorktreeCreate ─────────────

test('ids from Claude worktree names are made valid and unique', () => {
  assert.equal(idFromWorktreeName('Feat X!'), 'feat-x');
  assert.equal(idFromWorktreeName('agent-a1b2c3'), 'agent-a1b2c3');
  assert.equal(idFromWorktreeName('a..b'), 'a.b');
  assert.equal(idFromWorktreeName('--lead'), 'lead');
  assert.equal(idFromWorktreeName('x.lock'), 'x-lock');
  assert.equal(idFromWorktreeName('Ünïcödé'), 'unicode');
  assert.equal(idFromWorktreeName('x'.repeat(60)), 'x'.repeat(40));
  assert.throws(() => idFromWorktreeName('!!!'), /Cannot make an instance id/);
  assert.equal(uniqueId('a', () => false), 'a');
  assert.equal(uniqueId('a', (c) => c === 'a' || c === 'a-2'), 'a-3');
  assert.equal(uniqueId('y'.repeat(40), (c) => c === 'y'.repeat(40)), `${'y'.repeat(38)}-2`);
});

test('WorktreeCreate: each payload generation creates the instance (agent claude, source, session) and prints only its absolute path', async () => {
  repo = makeRepo();
  git(repo.dir, 'branch', 'dev');
  const base = git(repo.dir, 'rev-parse', 'HEAD').trim();
  const generations: { payload: Record<string, string>; id: string; session: string | null; base: string }[] = [
    // 2.1.197 and 2.1.332 (checked here): the name as `name`
    {
      payload: { session_id: 's-1', transcript_path: path.join(repo.parent, 't.jsonl'), cwd: repo.dir, hook_event_name: 'WorktreeCreate', name: 'feat-a' },
      id: 'feat-a',
      session: 's-1',
      base: 'main',
    },
    // `worktree_name` with base_path and source_ref (a local branch: the base)
    {
      payload: { session_id: 's-2', cwd: repo.dir, hook_event_name: 'WorktreeCreate', worktree_name: 'feat-b', base_path: repo.dir, source_ref: 'refs/heads/dev' },
      id: 'feat-b',
      session: 's-2',
      base: 'dev',
    },
    // no session, no cwd: base_commit and the path Claude would have used
    {
      payload: { hook_event_name: 'WorktreeCreate', worktree_name: 'Feat C (copy)', base_commit: base, worktree_path: path.join(repo.dir, '.claude', 'worktrees', 'feat-c') },
      id: 'feat-c-copy',
      session: null,
      base: 'main',
    },
  ];
  for (const g of generations) {
    const r = await create(repo, g.payload);
    assert.equal(r.code, 0, r.stderr);
    const s = await statusOf(repo, g.id);
    assert.equal(r.stdout, `${s.path}\n`, 'stdout is the path and nothing else');
    assert.ok(path.isAbsolute(s.path) && fs.existsSync(path.join(s.path, '.git')));
    assert.equal(s.agent, 'claude');
    assert.equal(s.base, g.base);
    assert.deepEqual(s.metadata.source, { kind: 'claude-worktree', name: g.payload.name ?? g.payload.worktree_name });
    assert.equal(s.metadata.session?.id ?? null, g.session);
    assert.ok(instanceLog(s).includes(`payload fields seen: ${Object.keys(g.payload).join(', ')}`), instanceLog(s));
  }
  const list = await runCli(['-C', repo.dir, 'list']);
  assert.match(list.stdout, /feat-a .*\(Claude Code worktree\)/);
  const status = await runCli(['-C', repo.dir, 'status', 'feat-b']);
  assert.match(status.stdout, /source: {2}Claude Code worktree \(name "feat-b"\)/);
  const mcp = await connect(repo.dir);
  try {
    const rows = (await mcp.call({ action: 'list' })).doc.instances as { instanceId: string; agent?: string; source: string | null }[];
    assert.deepEqual(rows.map((r) => [r.instanceId, r.source]).sort(), [['feat-a', 'Claude Code worktree'], ['feat-b', 'Claude Code worktree'], ['feat-c-copy', 'Claude Code worktree']]);
  } finally {
    await mcp.close();
  }
});

test('WorktreeCreate: a name already taken gets a suffix; a name with nothing usable is refused (exit 2, one line, nothing created)', async () => {
  repo = makeRepo();
  const first = await create(repo, { name: 'x', cwd: repo.dir });
  const second = await create(repo, { name: 'x', cwd: repo.dir });
  assert.equal(second.code, 0, second.stderr);
  assert.notEqual(first.stdout, second.stdout);
  assert.equal(second.stdout, `${(await statusOf(repo, 'x-2')).path}\n`);

  const before = repoState(repo);
  for (const payload of [{ name: '!!!' }, {}, 'not json']) {
    const r = await create(repo, payload);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(repoState(repo), before);
  }
});

test('WorktreeCreate refusals: the live-instance limit and setup in an untrusted repository exit 3 with one line, nothing created', async () => {
  repo = makeRepo({ 'README.md': '# r\n', '.axiom.json': JSON.stringify({ setup: ['echo ran > set-up.txt'] }) });
  git(repo.dir, 'config', 'axiom.maxInstances', '1');
  const ok = await create(repo, { name: 'trusted', cwd: repo.dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(fs.readFileSync(path.join(ok.stdout.trim(), 'set-up.txt'), 'utf8'), 'ran\n', 'the setup ran in a trusted repository');

  let before = repoState(repo);
  const limit = await create(repo, { name: 'one-more', cwd: repo.dir });
  assert.equal(limit.code, 3, limit.stderr);
  assert.match(limit.stderr, /^axiom: 1 instances are live and the limit is 1\./);
  assert.equal(limit.stderr.trim().split('\n').length, 1);
  assert.equal(limit.stdout, '');
  assert.equal(repoState(repo), before);

  git(repo.dir, 'config', 'axiom.maxInstances', '5');
  before = repoState(repo);
  const untrusted = await create(repo, { name: 'hostile', cwd: repo.dir }, ['--untrusted']);
  assert.equal(untrusted.code, 3, untrusted.stderr);
  assert.match(untrusted.stderr, /setup commands.*axiom claude hooks install --scope local/);
  assert.equal(untrusted.stderr.trim().split('\n').length, 1);
  assert.equal(untrusted.stdout, '');
  assert.equal(repoState(repo), before);
});

// ───────────── WorktreeRemove ─────────────

test('WorktreeRemove: the instance is cleaned up, its work kept in a salvage ref that axiom salvage restore brings back', async () => {
  repo = makeRepo();
  for (const [name, key] of [['keep-a', 'worktree_path'], ['keep-b', 'path']] as const) {
    const made = await create(repo, { name, cwd: repo.dir, session_id: 's' });
    const wt = made.stdout.trim();
    commitIn(wt, 'agent work', { 'done.txt': 'committed\n' });
    writeFile(wt, 'draft.txt', 'uncommitted\n');
    const r = await remove(repo, { session_id: 's', hook_event_name: 'WorktreeRemove', [key]: wt });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /its work is kept in refs\/axiom\/salvage\//);
    assert.equal(fs.existsSync(wt), false);
    const ref = (await salvageRefs(repo)).find((s) => s.ref.startsWith(`refs/axiom/salvage/${name}/`));
    assert.ok(ref, `a salvage ref of ${name}`);
    const restored = await runCli(['-C', repo.dir, 'salvage', 'restore', ref.ref, '--json']);
    assert.equal(restored.code, 0, restored.stderr);
    const back = JSON.parse(restored.stdout) as { path: string };
    assert.equal(fs.readFileSync(path.join(back.path, 'done.txt'), 'utf8'), 'committed\n');
    assert.equal(fs.readFileSync(path.join(back.path, 'draft.txt'), 'utf8'), 'uncommitted\n');
  }
});

test('WorktreeRemove leaves alone what is not an instance the hook made, and never fails Claude (exit 0)', async () => {
  repo = makeRepo();
  const own = await runCli(['-C', repo.dir, 'spawn', 'mine', '--json']);
  const ownPath = (JSON.parse(own.stdout) as { path: string }).path;
  const foreign = path.join(repo.parent, 'plain');
  git(repo.dir, 'worktree', 'add', '-q', foreign);
  homeEnv(repo);
  const before = repoState(repo);
  const cases: [unknown, RegExp][] = [
    [{ worktree_path: ownPath }, /not made by Claude Code's worktree hook: left alone/],
    [{ worktree_path: foreign }, /is not an Axiom instance: left alone/],
    [{ worktree_path: repo.dir }, /is not an Axiom instance: left alone/],
    [{ hook_event_name: 'WorktreeRemove' }, /names no worktree/],
    ['garbage', /not JSON/],
  ];
  for (const [payload, reason] of cases) {
    const r = await remove(repo, payload);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, reason);
  }
  assert.equal(repoState(repo), before);
});

test('WorktreeRemove is bounded: a slow teardown goes on in the background, Claude is not kept waiting, and the cleanup still finishes', async () => {
  // The teardown runs in the worktree (../axiom-slow) and waits for ../release, a file in this test's folder.
  repo = makeRepo({ 'README.md': '# r\n', '.axiom.json': JSON.stringify({ teardown: ['while [ ! -f ../release ]; do sleep 0.1; done'] }) });
  const releaseFile = path.join(repo.parent, 'release');
  git(repo.dir, 'config', 'axiom.claudeHookTimeoutSeconds', '1');
  const made = await create(repo, { name: 'slow', cwd: repo.dir });
  assert.equal(made.code, 0, made.stderr);
  const wt = made.stdout.trim();
  writeFile(wt, 'work.txt', 'mine\n');
  const s = await statusOf(repo, 'slow');

  const r = await remove(repo, { worktree_path: wt });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /takes longer than 1 s: it goes on in the background/);
  assert.ok(fs.existsSync(wt), 'the teardown still waits: the worktree is there');
  assert.match(instanceLog(s), /goes on in the background/);

  fs.writeFileSync(releaseFile, '');
  // Until the folder and the branch are gone (the cleanup's last steps), so the test's own removal does not race it.
  const done = (): boolean => !fs.existsSync(wt) && git(repo.dir, 'branch', '--list', 'axiom/slow/*').trim() === '';
  for (let i = 0; i < 600 && !done(); i++) await new Promise((res) => setTimeout(res, 100));
  assert.ok(done(), 'the background cleanup finished');
  assert.ok((await salvageRefs(repo)).some((x) => x.ref.startsWith('refs/axiom/salvage/slow/')));
});

// ───────────── a claude that fires the hooks ─────────────

function runClaude(program: string[], cwd: string, env: Record<string, string>, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(program[0]!, [...program.slice(1), ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test('a stand-in claude --worktree fires the installed WorktreeCreate hook with each payload generation; removing the worktree keeps its work', async () => {
  repo = makeRepo();
  const env = homeEnv(repo);
  const install = await runCli(['-C', repo.dir, 'claude', 'hooks', 'install'], { env });
  assert.equal(install.code, 0, install.stderr);
  for (const generation of ['name', 'worktree_name', 'bare']) {
    const name = `wt-${generation.replace('_', '-')}`;
    const r = await runClaude([process.execPath, STANDIN_CLAUDE], repo.dir, { ...env, STANDIN_CLAUDE_WORKTREE_PAYLOAD: generation, STANDIN_CLAUDE_REMOVE_WORKTREE: '1' }, [
      '--worktree',
      name,
      '-p',
      `write notes.txt written in ${name}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`removed instance ${name}; its work is kept in refs/axiom/salvage/${name}/`));
    const ref = (await salvageRefs(repo)).find((s) => s.ref.startsWith(`refs/axiom/salvage/${name}/`))!;
    const restored = await runCli(['-C', repo.dir, 'salvage', 'restore', ref.ref, '--json']);
    assert.equal(restored.code, 0, restored.stderr);
    const back = JSON.parse(restored.stdout) as { id: string; path: string };
    assert.equal(fs.readFileSync(path.join(back.path, 'notes.txt'), 'utf8'), `written in ${name}\n`, 'the stand-in worked in the path the hook printed');
  }
});

test('the hook command line survives the shell: a cli.js under a folder with a space and quotes, run with env VAR=… node (as the extension writes it)', async () => {
  repo = makeRepo();
  const env = homeEnv(repo);
  const odd = path.join(repo.parent, `it's a "dir"`);
  fs.mkdirSync(odd);
  fs.symlinkSync(CLI, path.join(odd, 'cli.js'));
  const change = installWorktreeHooks(hookCliOf(process.execPath, { AXIOM_HOOK_TEST: '1' }, path.join(odd, 'cli.js')), 'project', repo.dir, env);
  assert.equal(change.commands.WorktreeCreate, `env AXIOM_HOOK_TEST=1 ${commandLine([process.execPath])} '${odd.replace(/'/g, `'\\''`)}/cli.js' claude hook worktree-create`);
  const r = await runClaude([process.execPath, STANDIN_CLAUDE], repo.dir, env, ['--worktree', 'odd', '-p', 'write here.txt yes']);
  assert.equal(r.code, 0, r.stderr);
  const s = await statusOf(repo, 'odd');
  assert.equal(fs.readFileSync(path.join(s.path, 'here.txt'), 'utf8'), 'yes\n');
});

const realClaude = findClaude();

test('the real claude: `claude --worktree feat-x -p` offline creates instance feat-x through the installed hook and works in it', { skip: realClaude ? false : CLAUDE_MISSING }, async () => {
  repo = makeRepo();
  const axiomEnv = homeEnv(repo);
  // The real claude reads an empty CLAUDE_CONFIG_DIR as a folder: name the one under this test's HOME.
  const env = { ...axiomEnv, CLAUDE_CONFIG_DIR: path.join(axiomEnv.HOME!, '.claude') };
  const install = await runCli(['-C', repo.dir, 'claude', 'hooks', 'install', '--scope', 'local'], { env: axiomEnv });
  assert.equal(install.code, 0, install.stderr);
  // Not logged in: claude exits 1 after the hook made its worktree (AGENTS.md).
  const version = await runClaude([realClaude!], repo.dir, env, ['--version']);
  const r = await runClaude([realClaude!], repo.dir, env, ['--worktree', 'feat-x', '-p', 'say hi']);
  const s = await statusOf(repo, 'feat-x');
  assert.equal(s.agent, 'claude', `claude ${version.stdout.trim()} exited ${r.code}: ${r.stderr}`);
  assert.deepEqual(s.metadata.source, { kind: 'claude-worktree', name: 'feat-x' });
  assert.match(instanceLog(s), /payload fields seen: .*\bname\b/);
  // Claude keeps a session's transcript in a folder named after the folder it works in: the hook's path.
  const projects = fs.readdirSync(path.join(axiomEnv.HOME!, '.claude', 'projects'));
  assert.ok(projects.some((p) => p.endsWith(path.basename(s.path))), `a transcript folder for ${s.path}: ${projects.join(', ')}`);
  // -p never fires WorktreeRemove: the hook's removal, with the payload claude sends, keeps the work.
  writeFile(s.path, 'from-claude.txt', 'x\n');
  const removed = await remove(repo, { session_id: s.metadata.session?.id, cwd: repo.dir, hook_event_name: 'WorktreeRemove', worktree_path: s.path });
  assert.equal(removed.code, 0, removed.stderr);
  assert.ok((await salvageRefs(repo)).some((x) => x.ref.startsWith('refs/axiom/salvage/feat-x/')));
});
