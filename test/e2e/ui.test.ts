/**
 * The Axiom UI through a real browser: headless Chromium (playwright-core) driving code-server with
 * the built extension, on a fresh git repository. One server and one browser for the whole file; the
 * tests run in order and build on each other, like a person's session.
 *
 * UPDATE_SCREENSHOTS=1 also writes the key steps into media/screenshots/ (see the README).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, commit, git, openE2E, since, type E2E } from './support/env';
import { until } from './support/workbench';

const STEP_TIMEOUT = 150_000;

describe('Axiom in a real browser (code-server + Chromium)', { timeout: 900_000 }, () => {
  let e: E2E;
  const t0 = Date.now();

  /** Each test: timed, and on failure a screenshot + server log tail before the error propagates. */
  function step(name: string, fn: () => Promise<void>): void {
    it(name, { timeout: STEP_TIMEOUT }, async () => {
      const started = Date.now();
      try {
        await e.wb.dismissAll(); // a failed step must not leave a menu or dialog in the next one's way
        await fn();
      } catch (err) {
        if (e) await e.failure(name, err);
        throw err;
      } finally {
        console.log(`[e2e] ${name}: ${since(started)}`);
      }
    });
  }

  before(async () => {
    e = await openE2E();
  });

  after(async () => {
    await e?.close();
    console.log(`[e2e] whole file: ${since(t0)}`);
  });

  step('the Axiom activity-bar entry opens the Instances view, with the welcome view in a repo without instances', async () => {
    await e.wb.openAxiom();
    const welcome = e.wb.welcome();
    await welcome.getByText('No agent instances yet').waitFor({ timeout: 90_000 });
    assert.ok(await welcome.getByRole('button', { name: 'Spawn an Agent Instance' }).isVisible());
    assert.equal(await e.wb.rows().count(), 0);
  });

  step('Spawn Instance… from the palette: id, base, the custom agent → a row, a terminal named after it, its output', async () => {
    const { wb } = e;
    await wb.runCommand('Axiom: Spawn Instance…');
    await wb.quickInputStep('(1/4)');
    await wb.typeAndEnter('fix-greeting');
    await wb.quickInputStep('(2/4)');
    assert.deepEqual(await wb.pickItems(), ['main, default']);
    await wb.pick('main');
    await wb.quickInputStep('(3/4)');
    const agents = await wb.pickItems();
    assert.ok(agents.some((a) => a.startsWith('custom, Custom command, node ')), agents.join(' | '));
    await wb.pick('custom,');
    await wb.quickInputStep('(4/4)');
    await wb.typeAndEnter('Make greet() use a template string');

    const desc = await wb.waitForDescription('fix-greeting', (d) => /axiom\/fix-greeting\/\d+/.test(d), 'a row with its branch');
    assert.match(desc, /axiom\/fix-greeting\/\d+/);
    await until('a terminal tab named fix-greeting', async () => (await wb.terminalTabs()).some((t) => t.startsWith('fix-greeting')));
    const text = await until('the agent output in the terminal', async () => {
      const t = await wb.terminalText();
      return /stand-in agent fix-greeting: committed [0-9a-f]{7}/.test(t) ? t : '';
    });
    assert.match(text, /stand-in agent fix-greeting: committed/);
  });

  step('the row turns ahead after the agent commits, then dirty when it leaves a file — without Refresh', async () => {
    const { wb } = e;
    // The agent is still running (waiting for go): committed, nothing uncommitted.
    const ahead = await wb.waitForDescription('fix-greeting', (d) => d.includes('↑1 ↓0'), '↑1');
    assert.doesNotMatch(ahead, /changed/);
    const started = Date.now();
    e.go('fix-greeting');
    const dirty = await wb.waitForDescription('fix-greeting', (d) => d.includes('1 changed'), '1 changed');
    assert.match(dirty, /↑1 ↓0/);
    console.log(`[e2e] dirty shown ${since(started)} after the agent was let go`);
    assert.ok((await wb.terminalText()).includes('wrote NOTES.md, done'));
  });

  step('spawns from the CLI in a separate process appear in the tree live', async () => {
    const { wb, repo } = e;
    const started = Date.now();
    cli(repo, 'spawn', 'add-discounts', '--agent', 'codex', '--prompt', 'Add percentage discounts to the cart');
    await wb.row('add-discounts').waitFor({ timeout: 60_000 });
    console.log(`[e2e] CLI spawn visible ${since(started)} after the CLI returned`);
    // More instances for the states shown below: made by the CLI and plain git, as agents would.
    cli(repo, 'spawn', 'api-docs', '--agent', 'claude');
    cli(repo, 'spawn', 'docs-refresh', '--agent', 'gemini');
    cli(repo, 'spawn', 'spike-cache', '--agent', 'aider');
    const wt = (id: string): string => path.join(e.dir, `axiom-${id}`);
    commit(wt('add-discounts'), 'Add percentage discounts', {
      'src/discount.js': 'export function discount(total, percent) {\n  return total - (total * percent) / 100;\n}\n',
      'test/discount.test.js': "import { discount } from '../src/discount.js';\nconsole.assert(discount(200, 10) === 180);\n",
    });
    commit(wt('api-docs'), 'Document every function', {
      'docs/api.md': '# API\n\n- `total(items)`: sum of price × qty\n- `greet(name)`: a greeting for name\n',
      'docs/examples.md': '# Examples\n\n```js\ntotal([{ price: 2, qty: 3 }]); // 6\n```\n',
    });
    commit(wt('docs-refresh'), 'Rewrite the API docs', { 'docs/api.md': '# API reference\n\ntotal, greet\n' });
    for (const id of ['add-discounts', 'api-docs', 'docs-refresh', 'spike-cache']) await wb.row(id).waitFor({ timeout: 60_000 });
    await wb.waitForDescription('add-discounts', (d) => d.includes('↑1'), '↑1');
    await wb.waitForDescription('api-docs', (d) => d.includes('↑1'), '↑1');
  });

  step('Show Changes opens the multi-file diff editor of the instance against its base', async () => {
    const { wb, page } = e;
    // Wide enough to read the rows' descriptions, in this test's screenshots and the ones after it.
    const width = await wb.sideBarWidth(470);
    assert.ok(width > 400, `side bar ${width}px`);
    await wb.contextMenu('fix-greeting', 'Show Changes');
    const tab = await until('the multi-diff editor tab', async () => (await wb.editorTabs()).find((t) => t.startsWith('fix-greeting ↔ main')));
    assert.match(tab, /\(2 files\)/);
    const editor = page.locator('.editor-instance .multiDiffEditor, .editor-instance.multiDiffEditor').first();
    await editor.waitFor();
    await until('both files in the diff editor', async () => {
      const text = await editor.innerText();
      return text.includes('NOTES.md') && text.includes('greet.js');
    });
  });

  step('Merge into Base… from the context menu: strategy, preview in a modal, confirm → the commit is on main', async () => {
    const { wb, repo } = e;
    await wb.clearNotifications();
    await wb.contextMenu('api-docs', 'Merge into Base…');
    await wb.quickInputStep('Merge api-docs into main');
    const strategies = (await wb.pickItems()).map((s) => s.split(',')[0]);
    assert.deepEqual(strategies, ['merge', 'squash', 'rebase', 'cherry-pick']);
    await wb.pick('merge,');
    const dialog = await wb.dialogText();
    assert.equal(dialog.message, 'Merge api-docs into main (merge)?');
    assert.match(dialog.detail, /docs\/api\.md/);
    assert.match(dialog.detail, /docs\/examples\.md/);
    assert.deepEqual(new Set(dialog.buttons), new Set(['Cancel', 'Merge']));
    await wb.restMouse();
    await e.screenshot('merge-confirm');
    await wb.dialogButton('Merge');
    await until('the merge commit on main', () => git(repo, 'log', '--format=%s', 'main').includes('Document every function'));
    // The server runs with npm start's options (no smoke-test driver), so the result shows as a toast, not only in the bell.
    await wb.toast('Merged api-docs into main').waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(git(repo, 'log', '-1', '--format=%s', 'main'), /api-docs/);
    await wb.waitForDescription('api-docs', (d) => d.includes('merged'), 'merged');
    await wb.waitForIcon('api-docs', ['git-merge']);
  });

  step('the sidebar shows instances in every state: clean, ahead, dirty, conflicts with base, merged', async () => {
    const { wb, page } = e;
    // main moved (api-docs merged), and docs-refresh changed the same lines of docs/api.md.
    await wb.waitForIcon('docs-refresh', ['git-pull-request-closed']);
    await wb.waitForIcon('spike-cache', ['pass']);
    // Dirty once its agent has exited (the terminal's shell integration reports the command end).
    await wb.waitForIcon('fix-greeting', ['circle-filled']);
    await wb.waitForIcon('api-docs', ['git-merge']);
    assert.match(await wb.description('add-discounts'), /↑1 ↓2/);
    assert.match(await wb.description('docs-refresh'), /↑1 ↓2/);

    // The picture users see first: the instances, one expanded to its files, its diff and its terminal.
    await wb.row('fix-greeting').locator('.monaco-tl-twistie').click();
    await wb.rows().filter({ hasText: 'NOTES.md' }).waitFor();
    await wb.clearNotifications();
    await wb.restMouse();
    await e.screenshot('overview');
    const bar = (await page.locator('.part.sidebar').boundingBox())!;
    const rowsBottom = await wb.rows().last().evaluate((el) => el.getBoundingClientRect().bottom);
    await e.screenshot('instances', { x: 0, y: 0, width: Math.ceil(bar.x + bar.width + 2), height: Math.ceil(Math.min(bar.y + bar.height, rowsBottom + 40)) });
    await wb.row('fix-greeting').locator('.monaco-tl-twistie').click();
  });

  step('the diff editor, seen in full (panel hidden)', async () => {
    const { wb, page } = e;
    await wb.runCommand('View: Hide Panel');
    await page.locator('.part.panel').waitFor({ state: 'hidden' });
    await wb.clearNotifications();
    await wb.restMouse();
    await e.screenshot('diff-editor');
  });

  step('Open in New Window opens the worktree in a new browser window (?folder=<worktree>)', async () => {
    const { wb, context } = e;
    const popup = context.waitForEvent('page', { timeout: 30_000 });
    await wb.contextMenu('spike-cache', 'Open in New Window');
    const page = await popup;
    const url = new URL(page.url());
    await page.close();
    assert.equal(url.searchParams.get('folder'), path.join(e.dir, 'axiom-spike-cache'));
  });

  step('Clean Up Instance on a dirty instance: a modal lists the files; Clean Up Anyway keeps a salvage ref and the row goes away', async () => {
    const { wb, repo } = e;
    await wb.clearNotifications();
    await wb.contextMenu('fix-greeting', 'Clean Up Instance');
    const dialog = await wb.dialogText();
    assert.match(dialog.message, /fix-greeting/);
    assert.match(dialog.detail, /NOTES\.md/);
    assert.match(dialog.detail, /Greet with a template string/);
    assert.ok(dialog.buttons.includes('Clean Up Anyway (salvage kept)'), dialog.buttons.join(' | '));
    await wb.restMouse();
    await e.screenshot('cleanup-modal');
    await wb.dialogButton('Clean Up Anyway (salvage kept)');
    await wb.row('fix-greeting').waitFor({ state: 'detached', timeout: 60_000 });
    const salvage = git(repo, 'for-each-ref', '--format=%(refname)', 'refs/axiom/salvage');
    assert.match(salvage, /^refs\/axiom\/salvage\/fix-greeting\/\d+$/m);
    assert.ok(!fs.existsSync(path.join(e.dir, 'axiom-fix-greeting')), 'the worktree folder is gone');
    // The salvage holds the uncommitted file too.
    assert.match(git(repo, 'show', `${salvage.trim()}:NOTES.md`), /template string/);
  });
});
