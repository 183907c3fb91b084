/** The headless launcher: its pre-check (before a race creates anything) writes no file anywhere; every front end gets it from engineHeadlessLauncher. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomEngine, isAxiomError } from '../../src/core';
import { claudePermissionModeOf, engineHeadlessLauncher, headlessLauncher } from '../../src/agents/raceLauncher';
import { git, makeRepo, ROOT } from './helpers';

test("the race launcher's check of a claude member writes no axiom-claude-settings.json into the current directory", async () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-launcher-')));
  const before = process.cwd();
  process.chdir(dir);
  try {
    const launcher = headlessLauncher({ cwd: dir, hookScript: path.join(dir, 'hook.js') });
    // Whether claude is installed here or not, the check must not write into the folder it runs in.
    await launcher.check!([{ id: 'fix-1', agent: 'claude' }] as never, { prompt: 'do it' } as never).catch(() => undefined);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    process.chdir(before);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('engineHeadlessLauncher, the launcher of every front end: the first permission mode a front end was given wins, then git config\'s, else acceptEdits; an unknown one is refused, naming where it comes from', async () => {
  const repo = makeRepo();
  try {
    const engine = await AxiomEngine.open(repo.dir);
    assert.equal(await claudePermissionModeOf(engine, []), 'acceptEdits');
    git(repo.dir, 'config', 'axiom.claudePermissionMode', 'plan');
    assert.equal(await claudePermissionModeOf(engine, [{ value: undefined, from: 'permissionMode' }]), 'plan', 'nothing given: git config');
    assert.equal(await claudePermissionModeOf(engine, [{ value: undefined, from: 'a' }, { value: 'dontAsk', from: 'b' }, { value: 'auto', from: 'c' }]), 'dontAsk', 'the first one given');
    await assert.rejects(claudePermissionModeOf(engine, [{ value: 'manual', from: '--permission-mode' }]), (e) => isAxiomError(e, 'InvalidArgument') && /Unknown --permission-mode "manual"/.test(e.message));
    git(repo.dir, 'config', 'axiom.claudePermissionMode', 'manual');
    // Refused when the launcher is made: before a race or search creates anything.
    await assert.rejects(engineHeadlessLauncher(engine, {}), (e) => isAxiomError(e, 'InvalidArgument') && /git config axiom.claudePermissionMode "manual"/.test(e.message));
    const launcher = await engineHeadlessLauncher(engine, { permissionModes: [{ value: 'plan', from: 'x' }], hookScript: null });
    assert.equal(typeof launcher.launch, 'function');
  } finally {
    repo.cleanup();
  }
});

test('no front end makes a headless launcher of its own: the CLI\'s, the MCP server\'s and VS Code\'s races and searches all get theirs from engineHeadlessLauncher', () => {
  const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
  const frontEnds = ['src/cli', 'src/mcp', 'src/extension'].flatMap((d) => files(path.join(ROOT, d)));
  const own = frontEnds.filter((f) => /(?<![A-Za-z])headlessLauncher\(/.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(own.map((f) => path.relative(ROOT, f)), [], 'a front end builds its own launcher');
  const users = frontEnds.filter((f) => /engineHeadlessLauncher\(/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f)).sort();
  assert.deepEqual(users, ['src/cli/verbs/race.ts', 'src/cli/verbs/search.ts', 'src/extension/searches.ts', 'src/mcp/actions/headlessAgents.ts']);
});
