/**
 * Every row state at the default side-bar width (300 px), in a real browser (issue 21: "at the default
 * side-bar width the part that matters is cut"). The states come from the CLI, git, the hook runner
 * Claude Code calls and the agent events the extension writes for its terminals — no real agent:
 * work in git (uncommitted, ahead, conflict, landed by merge and by squash, empty, not started), the
 * agent (working, needs approval, needs input, failed to start, failed, turn done, done), the
 * lifecycle (setting up, setup failed, locked, folder missing), a pull request (`PR #7 open`, with a
 * stand-in `gh` and a bare `origin`), a worktree made by hand, a race before and after its
 * evaluation, a search and its attempts. For each row the test measures, in the page, what is drawn
 * before the ellipsis, and asserts that the row's label and the words that matter show; then the
 * row menus: a submenu open, and what a multi-selection does not offer.
 *
 * UPDATE_SCREENSHOTS=1 writes media/screenshots/rows-300*.png (rows-300.png: every state at once), row-menu-agent.png and
 * multi-select-menu.png (see the README).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import { appendAgentEvent } from '../../src/core';
import type { SearchRecord } from '../../src/core/search/searchRecord';
import { ghStandIn } from '../core/ghStandIn';
import { writeSearchStandIns } from '../core/searchStandIns';
import { CLI, cli, cliWith, commit, git, openE2E, ROOT, since, step, viewClip, write, type E2E } from './support/env';
import { until, VIEW } from './support/workbench';

/** VS Code's default side-bar width. */
const WIDTH = 300;

/** A row and what must show of it at 300 px: `key`, the words that matter, fully drawn before the ellipsis. */
interface Expect {
  label: string;
  /** The description starts with this (what the state is). */
  lead?: RegExp;
  /** Words that must show whole (default: only the label must). */
  key?: string;
}

/** A race member: commits its score, then works until the test drops go-<id> beside the repository. */
const RACE_AGENT = `
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const [id, dir] = process.argv.slice(2);
fs.writeFileSync('score.txt', id.endsWith('-1') ? '5\\n' : '3\\n');
execFileSync('git', ['add', '-A']);
execFileSync('git', ['commit', '-q', '-m', 'A score by ' + id]);
// Waits for its go file; gives up when the test's folder is gone or after 10 minutes (a failed run leaves no process behind).
const until = Date.now() + 600000;
const wait = setInterval(() => { if (fs.existsSync(dir + '/go-' + id) || !fs.existsSync(dir) || Date.now() > until) clearInterval(wait); }, 100);
`;
/** The race's evaluation: the worktree's score; passes at 5. */
const RACE_EVALUATOR = `
const score = Number(require('node:fs').readFileSync(process.argv[2] + '/score.txt', 'utf8'));
console.log('AXIOM_SCORE=' + score);
process.exit(score >= 5 ? 0 : 1);
`;
/** The repository's setup: fails for `migrate`, waits for go-setup for `checkout`, else passes. */
const SETUP = `import * as fs from 'node:fs';
const id = process.env.AXIOM_INSTANCE_ID;
if (id === 'migrate') { console.error('migration 004 failed: column "discount" already exists'); process.exit(1); }
const until = Date.now() + 600000; // a failed run leaves no setup waiting forever
while (id === 'checkout' && !fs.existsSync('../go-setup') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
console.log('database ready');
`;

describe('Every row at the default side-bar width (300 px), and the row menus', { timeout: 900_000 }, () => {
  let e: E2E | undefined;
  const t0 = Date.now();
  const wt = (id: string): string => path.join(e!.dir, `axiom-${id}`);
  const adminDirs = new Map<string, string>();
  let setupRun: ChildProcess | undefined;

  function spawnInstance(id: string, agent: string): string {
    const { adminDir } = JSON.parse(cli(e!.repo, 'spawn', id, '--agent', agent, '--json')) as { adminDir: string };
    adminDirs.set(id, adminDir);
    return adminDir;
  }

  /** What Claude Code's hooks report for an instance, through the real hook runner. */
  function hook(id: string, event: string, input: Record<string, unknown> = {}): void {
    execFileSync(process.execPath, [path.join(ROOT, 'dist', 'hook.js'), adminDirs.get(id)!, event], { input: JSON.stringify({ hook_event_name: event, session_id: `s-${id}`, ...input }) });
  }

  /**
   * Each row: its label whole, `key` drawn before the ellipsis (and the description leading with
   * `lead`). Every row's measure is printed, so the log says what a person reads at 300 px.
   */
  async function checkRows(rows: Expect[]): Promise<void> {
    const { wb } = e!;
    // As in the screenshots: the focus out of the view (no inline buttons on the selected row), no hover.
    await wb.runCommand('View: Focus Active Editor Group');
    await wb.restMouse();
    const problems: string[] = [];
    for (const r of rows) {
      await wb.row(r.label).first().waitFor({ timeout: 60_000 });
      const s = await wb.shown(r.label);
      const cut = s.descriptionShown.length < s.description.length ? '…' : '';
      console.log(`[e2e] ${WIDTH} px  ${r.label.padEnd(14)} ${s.descriptionShown}${cut}${cut ? `   (whole: ${s.description})` : ''}`);
      if (s.nameShown !== s.name) problems.push(`${r.label}: the label is cut ("${s.nameShown}…")`);
      if (r.lead && !r.lead.test(s.description)) problems.push(`${r.label}: "${s.description}" does not lead with ${String(r.lead)}`);
      if (r.key === undefined) continue;
      if (!s.description.includes(r.key)) problems.push(`${r.label}: "${s.description}" does not say "${r.key}"`);
      else if (!s.descriptionShown.includes(r.key)) problems.push(`${r.label}: "${r.key}" is cut: a person reads "${s.descriptionShown}…" of "${s.description}"`);
    }
    assert.deepEqual(problems, []);
  }

  /** The view as a person sees it: the panel closed, no hover, the focus in the editor area (no inline buttons on the selected row). */
  async function shoot(name: string): Promise<void> {
    const { wb } = e!;
    await wb.clearNotifications();
    await clearSelection();
    await wb.runCommand('View: Focus Active Editor Group');
    await wb.restMouse();
    await e!.screenshot(name, await viewClip(e!, 30));
  }

  /** No selected row (its inline buttons would cover its words): Escape in the view clears the selection. */
  async function clearSelection(): Promise<void> {
    await e!.page.locator(`${VIEW} .monaco-list`).first().focus();
    await e!.page.keyboard.press('Escape');
  }

  /** The side bar and the open menu (and submenu), with a margin. */
  async function menuClip(e: E2E): Promise<{ x: number; y: number; width: number; height: number }> {
    const boxes = await e.page.locator('.context-view .monaco-menu, .part.sidebar').evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map((r) => [r.right, r.bottom]));
    const { width, height } = e.page.viewportSize()!;
    return { x: 0, y: 0, width: Math.min(width, Math.ceil(Math.max(...boxes.map((b) => b[0]!)) + 16)), height: Math.min(height, Math.ceil(Math.max(...boxes.filter((b) => b[1]! < height - 40).map((b) => b[1]!), 200) + 16)) };
  }

  before(async () => {
    e = await openE2E({ viewport: { width: 1280, height: 1080 } });
    // More live instances than the default limit (10) of the repository.
    git(e.repo, 'config', 'axiom.maxInstances', '60');
  });

  after(async () => {
    if (setupRun && setupRun.exitCode === null) setupRun.kill();
    await e?.close();
    console.log(`[e2e] whole file: ${since(t0)}`);
  });

  step(() => e, 'work in git at 300 px: uncommitted, ahead, conflict, landed (merge, squash), empty, not started, a hand-made worktree', async (e) => {
    const { wb, repo } = e;
    await wb.openAxiom();
    const width = await wb.sideBarWidth(WIDTH);
    assert.ok(Math.abs(width - WIDTH) <= 2, `side bar ${width}px`);
    // Three that touch docs/api.md; two land, so the third conflicts with main.
    for (const [id, agent] of [['docs-refresh', 'codex'], ['api-docs', 'claude'], ['tidy-cart', 'claude']] as const) spawnInstance(id, agent);
    commit(wt('docs-refresh'), 'Rewrite the API docs', { 'docs/api.md': '# API reference\n\ntotal, greet\n' });
    commit(wt('api-docs'), 'Document every function', { 'docs/api.md': '# API\n\n- `total(items)`: sum of price × qty\n- `greet(name)`: a greeting\n' });
    commit(wt('tidy-cart'), 'Name the reducer', { 'src/cart.js': 'export function total(items) {\n  return items.reduce(add, 0);\n}\nconst add = (sum, i) => sum + i.price * i.qty;\n' });
    cli(repo, 'merge', 'api-docs');
    cli(repo, 'merge', 'tidy-cart', '--strategy', 'squash');
    spawnInstance('add-discounts', 'claude');
    commit(wt('add-discounts'), 'Add percentage discounts', { 'src/discount.js': 'export const discount = (t, p) => t - (t * p) / 100;\n', 'test/discount.test.js': '// discount\n' });
    write(wt('add-discounts'), 'src/rounding.js', 'export const round = (x) => Math.round(x * 100) / 100;\n');
    hook('add-discounts', 'UserPromptSubmit', { prompt: 'Add percentage discounts to the cart' });
    spawnInstance('spike-cache', 'aider');
    spawnInstance('fix-login', 'claude');
    commit(wt('fix-login'), 'Fix the login redirect', { 'src/login.js': 'export const next = (u) => u || "/";\n' });
    spawnInstance('wip-notes', 'gemini');
    write(wt('wip-notes'), 'NOTES.md', '# Notes\n');
    git(repo, 'worktree', 'add', '-q', '-b', 'hand-made', path.join(e.dir, 'hand-made'), 'main');

    await wb.waitForDescription('docs-refresh', (d) => d.startsWith('conflict'), 'conflict');
    await wb.waitForDescription('add-discounts', (d) => d.includes('working'), 'working');
    // Worktrees made by hand are in a group of their own.
    await wb.row('Other worktrees').locator('.monaco-tl-twistie').click();
    await checkRows([
      // Its agent at work is the icon (spinning); the words say what it changed.
      { label: 'add-discounts', lead: /^3 files, 1 uncommitted · ↑1 · claude working$/, key: '3 files' },
      { label: 'api-docs', lead: /^landed \(merge\)/, key: 'landed (merge)' },
      { label: 'docs-refresh', lead: /^conflict · /, key: 'conflict' },
      // The agent's words come last: "claude not sta…" at this label's length; the icon is the neutral circle.
      { label: 'fix-login', lead: /^1 file · ↑1 · claude not started$/, key: '1 file · ↑1' },
      { label: 'spike-cache', lead: /^empty/, key: 'empty' },
      { label: 'tidy-cart', lead: /^landed \(squash\)/, key: 'landed (squash)' },
      { label: 'wip-notes', lead: /^1 uncommitted file/, key: '1 uncommitted file' },
      { label: 'Other worktrees' },
      { label: 'hand-made', lead: /hand-made$/ },
      { label: 'main', lead: /^base/, key: 'base' },
    ]);
    assert.ok(['sync', 'sync~spin'].includes(await wb.icon('add-discounts')));
    assert.equal(await wb.icon('docs-refresh'), 'git-pull-request-closed');
    assert.equal(await wb.icon('tidy-cart'), 'git-merge');
    await shoot('rows-300-git');
  });

  step(() => e, 'the agent at 300 px: working, needs approval, needs input with its question, failed to start, failed, turn done, done', async (e) => {
    const { wb } = e;
    for (const id of ['needy', 'asks-db', 'no-claude', 'crashed', 'turn-done', 'finished']) spawnInstance(id, 'claude');
    hook('needy', 'PermissionRequest', { tool_name: 'Bash', tool_input: { command: 'npm publish' } });
    hook('asks-db', 'Notification', { notification_type: 'idle_prompt', message: 'Which database should the cart use: Postgres or SQLite?' });
    // What the extension records when a terminal's agent is missing, and when its command ends (shell integration).
    await appendAgentEvent(adminDirs.get('no-claude')!, { event: 'LaunchFailed', reason: 'Claude Code ("claude") was not found on the PATH of VS Code terminals. Install it or pick another agent.' });
    hook('crashed', 'UserPromptSubmit');
    await appendAgentEvent(adminDirs.get('crashed')!, { event: 'CommandEnd', exitCode: 1 });
    hook('turn-done', 'Stop');
    hook('finished', 'SessionEnd');
    await wb.waitForDescription('finished', (d) => d.endsWith('claude done'), 'done');
    await checkRows([
      { label: 'needy', lead: /^needs approval · approve Bash/, key: 'needs approval' },
      { label: 'asks-db', lead: /^needs input · Which database/, key: 'needs input' },
      { label: 'no-claude', lead: /^failed to start/, key: 'failed to start' },
      { label: 'crashed', lead: /^failed \(exit 1\)/, key: 'failed (exit 1)' },
      { label: 'turn-done', lead: /^empty/, key: 'claude idle' },
      { label: 'finished', lead: /^empty/, key: 'claude done' },
    ]);
    assert.equal(await wb.icon('needy'), 'shield');
    assert.equal(await wb.icon('asks-db'), 'bell-dot');
    assert.equal(await wb.icon('no-claude'), 'error');
    await shoot('rows-300-agents');
  });

  step(() => e, 'the lifecycle at 300 px: setting up, setup failed, locked, folder missing, and a pull request (PR #7 open)', async (e) => {
    const { wb, repo, dir } = e;
    commit(repo, 'Set up each instance: .axiom.json', { '.axiom.json': '{ "setup": ["node scripts/setup.mjs"] }\n', 'scripts/setup.mjs': SETUP });
    // A failed setup keeps the instance (exit 3 from the CLI).
    assert.throws(() => spawnInstance('migrate', 'claude'), /setup/);
    adminDirs.set('migrate', path.join(repo, '.git', 'worktrees', 'axiom-migrate'));
    // A setup that runs until the test lets it go: the CLI runs it, in the background.
    setupRun = spawn(process.execPath, [CLI, '-C', repo, 'spawn', 'checkout', '--agent', 'claude'], { stdio: 'ignore' });
    spawnInstance('locked-one', 'codex');
    git(repo, 'worktree', 'lock', '--reason', 'on a USB disk', wt('locked-one'));
    spawnInstance('gone', 'codex');
    fs.rmSync(wt('gone'), { recursive: true, force: true });
    // A pull request: the branch pushed to a bare origin, the pull request opened by a stand-in gh.
    const origin = path.join(dir, 'origin.git');
    git(dir, 'init', '-q', '--bare', origin);
    git(repo, 'remote', 'add', 'origin', origin);
    git(repo, 'push', '-q', 'origin', 'main');
    spawnInstance('pr-ready', 'claude');
    commit(wt('pr-ready'), 'Show the cart total', { 'src/total.js': 'export const show = (t) => `$${t}`;\n' });
    const gh = ghStandIn(dir);
    cliWith(gh.env, repo, 'publish', 'pr-ready');
    assert.ok(gh.calls().some((c) => c[0] === 'pr' && c[1] === 'create'), 'gh pr create was called');

    await wb.waitForDescription('checkout', (d) => d.startsWith('setting up'), 'setting up');
    await wb.waitForDescription('pr-ready', (d) => d.includes('PR #7 open'), 'PR #7 open');
    await checkRows([
      { label: 'checkout', lead: /^setting up/, key: 'setting up' },
      { label: 'migrate', lead: /^setup failed/, key: 'setup failed' },
      { label: 'locked-one', lead: /^locked/, key: 'locked' },
      { label: 'gone', lead: /^folder missing/, key: 'folder missing' },
      { label: 'pr-ready', key: 'PR #7 open' },
    ]);
    assert.equal(await wb.icon('migrate'), 'error');
    await shoot('rows-300-lifecycle');
    fs.writeFileSync(path.join(dir, 'go-setup'), '');
    await until('the setup to end', () => setupRun!.exitCode !== null, 60_000);
  });

  step(() => e, 'a race at 300 px: members without a rank while they work, then "#1 5" first once evaluated', async (e) => {
    const { wb, repo, dir } = e;
    const agent = path.join(dir, 'race-agent.js');
    const evaluator = path.join(dir, 'race-eval.js');
    fs.writeFileSync(agent, RACE_AGENT);
    fs.writeFileSync(evaluator, RACE_EVALUATOR);
    cli(repo, 'race', 'pick', '--count', '2', '--agent-command', `node ${agent} {id} ${dir}`, '--evaluate', `node ${evaluator} {worktree}`, '--prompt', 'Score as high as you can');
    await wb.waitForDescription('pick-1', (d) => d.includes('↑1') && d.includes('working'), 'pick-1 committed, at work');
    await wb.waitForDescription('pick-2', (d) => d.includes('↑1') && d.includes('working'), 'pick-2 committed, at work');
    await checkRows([
      { label: 'pick', lead: /^2 working · not evaluated/, key: '2 working' },
      // No rank before an evaluation: the row says what the member is doing.
      { label: 'pick-1', lead: /^↑1 · custom working$/, key: '↑1 · custom working' },
      { label: 'pick-2', lead: /^↑1 · custom working$/, key: '↑1 · custom working' },
    ]);
    await shoot('rows-300-race-working');
    e.go('pick-1');
    e.go('pick-2');
    // The window evaluates the members whose agent finished, and ranks them.
    await wb.waitForDescription('pick-1', (d) => d.startsWith('#1 '), 'pick-1 ranked first', 180_000);
    await wb.waitForDescription('pick-2', (d) => d.startsWith('#2 '), 'pick-2 ranked second', 60_000);
    await checkRows([
      { label: 'pick', lead: /^1 passed, 1 failed/, key: '1 passed, 1 failed' },
      { label: 'pick-1', lead: /^#1 5 · /, key: '#1 5' },
      { label: 'pick-2', lead: /^#2 failed · /, key: '#2 failed' },
    ]);
    await shoot('rows-300-race-ranked');
  });

  step(() => e, 'a search at 300 px: its row and its attempts', async (e) => {
    const { wb, repo, dir } = e;
    // Fold the race, so the search's rows are in view.
    await wb.row('pick').locator('.monaco-tl-twistie').click();
    const { agentCommand, evaluateCommand } = writeSearchStandIns(dir, { tests: 2 });
    const out = cli(repo, 'search', 'checks', '--prompt', 'Make the 2 checks pass', '--agent-command', agentCommand, '--evaluate', evaluateCommand, '--width', '2', '--parallel', '2', '--attempts', '3', '--select', 'best', '--wait', '--json');
    const { search } = JSON.parse(out) as { search: SearchRecord };
    const best = search.nodes.filter((n) => n.result?.passed).sort((a, b) => (b.result!.score ?? 0) - (a.result!.score ?? 0) || a.id - b.id)[0];
    assert.ok(best, JSON.stringify(search.nodes.map((n) => [n.id, n.state, n.result?.score])));
    await wb.waitForDescription('checks', (d) => d.startsWith(`done · best #${best.id}`), 'the search row, done, with its best node');
    // The search's attempts ran in instances of its own, cleaned up as it went: none is left as a row.
    await until('no row of an attempt instance', async () => !(await wb.rows().locator('.label-name').allTextContents()).some((l) => l.startsWith('checks-')), 60_000);
    await until('every node of the search', async () => (await wb.rows().locator('.label-name').allTextContents()).filter((l) => /^#\d+( base)?$/.test(l)).length === search.nodes.length);
    await checkRows([
      // It leads with its state and its best, whole at 300 px; its best node is the starred row just under it.
      { label: 'checks', lead: new RegExp(`^done · best #${best.id} ✓ 2 · 3/3 attempts$`), key: `done · best #${best.id} ✓ 2` },
      { label: '#0 base', lead: /^✗ 0 · round 0/, key: '✗ 0' },
      { label: `#${best.id}`, lead: /^✓ 2 · round 2/, key: '✓ 2' },
    ]);
    // Every state at once: the picture of the README.
    await shoot('rows-300');
  });

  step(() => e, 'the row menu at 300 px: Agent ▸ open on an instance with a setup; a multi-selection offers only what acts on all', async (e) => {
    const { wb, page } = e;
    // Fold the search, so every instance row is in view.
    await wb.row('checks').locator('.monaco-tl-twistie').click();
    await wb.row('migrate').click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu').first();
    await menu.locator('.action-menu-item').first().waitFor();
    const top = await menu.locator('.action-menu-item .action-label').evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.textContent ?? ''));
    const agentItem = menu.locator('.action-menu-item', { has: page.locator('.action-label[aria-label="Agent"]') }).first();
    await agentItem.hover();
    const sub = page.locator('.context-view .monaco-submenu .monaco-menu').first();
    await sub.waitFor({ timeout: 10_000 }).catch(async () => {
      await agentItem.focus();
      await page.keyboard.press('ArrowRight');
      await sub.waitFor();
    });
    const agentEntries = await sub.locator('.action-menu-item .action-label').evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.textContent ?? ''));
    for (const entry of ['Open Terminal', 'Show Changes', 'Send to Agents…', 'Merge into Base…', 'Publish…', 'Agent', 'Race', 'Open', 'Clean Up Instance']) assert.ok(top.includes(entry), `${entry} in ${top.join(' | ')}`);
    assert.ok(!top.includes('Refresh Pull Request'), 'no pull request recorded for migrate');
    assert.deepEqual(agentEntries, ['Start New Conversation', 'Stop Agent', 'Change Agent…', 'Show Setup Log', 'Retry Setup']);
    await e.screenshot('row-menu-agent', await menuClip(e));
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });

    // Ctrl+click on each, from no selection (a plain click on a row with children also unfolds it).
    await clearSelection();
    for (const id of ['fix-login', 'pr-ready', 'spike-cache']) await wb.row(id).click({ modifiers: ['Control'] });
    assert.deepEqual(await wb.selectedRows(), ['fix-login', 'pr-ready', 'spike-cache']);
    await wb.row('spike-cache').click({ button: 'right' });
    await menu.locator('.action-menu-item').first().waitFor();
    const multi = await menu.locator('.action-menu-item .action-label').evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.textContent ?? ''));
    assert.deepEqual(multi, ['Send to Agents…', 'Merge into Base…', 'Clean Up Instance']);
    for (const absent of ['Open Terminal', 'Show Changes', 'Agent', 'Race', 'Open', 'Publish…', 'Refresh Pull Request', 'Compare With…', 'Branch From Here…', 'Open in New Window']) assert.ok(!multi.includes(absent));
    await e.screenshot('multi-select-menu', await menuClip(e));
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
  });
});
