/**
 * The Axiom UI through a real browser: headless Chromium (playwright-core) driving code-server with
 * the built extension, on a fresh git repository. One server and one browser for the whole file; the
 * tests run in order and build on each other, like a person's session. The server runs with the
 * options `npm start` gives a user (no smoke-test driver), so notifications show as toasts.
 *
 * UPDATE_SCREENSHOTS=1 also writes the key steps into media/screenshots/ (see the README).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, commit, git, openE2E, since, write, type E2E } from './support/env';
import { until, VIEW } from './support/workbench';

const STEP_TIMEOUT = 150_000;

describe('Axiom in a real browser (code-server + Chromium)', { timeout: 1_200_000 }, () => {
  let e: E2E;
  const t0 = Date.now();
  const wt = (id: string): string => path.join(e.dir, `axiom-${id}`);

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

  step('the Axiom activity-bar entry (its own glyph) opens the Instances view; the welcome says what an instance is', async () => {
    await e.wb.openAxiom();
    const welcome = e.wb.welcome();
    await welcome.getByText('No agent instances yet').waitFor({ timeout: 90_000 });
    assert.match(await welcome.innerText(), /instance \(agent worktree\)/);
    assert.ok(await welcome.getByRole('button', { name: 'Spawn an Agent Instance' }).isVisible());
    assert.equal(await e.wb.rows().count(), 0);
    // The glyph is drawn from media/axiom.svg as a mask, so the theme colours it.
    const mask = await e.wb.activityBarEntry().evaluate((el) => {
      const style = (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(el);
      return style.maskImage || style.webkitMaskImage || '';
    });
    assert.match(mask, /axiom\.svg/);
  });

  step('Spawn Instance… from the palette: id, base, the custom agent → a row, a terminal named after it, its output', async () => {
    const { wb } = e;
    await wb.runCommand('Axiom Worktrees: Spawn Instance…');
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

    // The row names the agent and what it does, not the branch's timestamp.
    const desc = await wb.waitForDescription('fix-greeting', (d) => /custom (starting|working)/.test(d), 'the agent on the row');
    assert.doesNotMatch(desc, /axiom\/fix-greeting\/\d+/);
    await until('a terminal tab named fix-greeting', async () => (await wb.terminalTabs()).some((t) => t.startsWith('fix-greeting')));
    const text = await until('the agent output in the terminal', async () => {
      const t = await wb.terminalText();
      return /stand-in agent fix-greeting: committed [0-9a-f]{7}/.test(t) ? t : '';
    });
    assert.match(text, /stand-in agent fix-greeting: committed/);
  });

  step('the row turns ahead after the agent commits, then counts the files it expands to — without Refresh', async () => {
    const { wb } = e;
    // The agent is still running (waiting for go): committed, nothing uncommitted.
    const ahead = await wb.waitForDescription('fix-greeting', (d) => d.startsWith('1 file · ↑1'), '1 file · ↑1');
    assert.doesNotMatch(ahead, /↓0|uncommitted/);
    const started = Date.now();
    e.go('fix-greeting');
    const dirty = await wb.waitForDescription('fix-greeting', (d) => d.startsWith('2 files, 1 uncommitted · ↑1'), '2 files, 1 uncommitted');
    assert.match(dirty, /custom working$/);
    console.log(`[e2e] dirty shown ${since(started)} after the agent was let go`);
    assert.ok((await wb.terminalText()).includes('wrote NOTES.md, waiting for a review'));
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
    commit(wt('add-discounts'), 'Add percentage discounts', {
      'src/discount.js': 'export function discount(total, percent) {\n  return total - (total * percent) / 100;\n}\n',
      'test/discount.test.js': "import { discount } from '../src/discount.js';\nconsole.assert(discount(200, 10) === 180);\n",
    });
    write(wt('add-discounts'), 'src/rounding.js', 'export const round = (x) => Math.round(x * 100) / 100;\n');
    commit(wt('api-docs'), 'Document every function', {
      'docs/api.md': '# API\n\n- `total(items)`: sum of price × qty\n- `greet(name)`: a greeting for name\n',
      'docs/examples.md': '# Examples\n\n```js\ntotal([{ price: 2, qty: 3 }]); // 6\n```\n',
    });
    commit(wt('docs-refresh'), 'Rewrite the API docs', { 'docs/api.md': '# API reference\n\ntotal, greet\n' });
    for (const id of ['add-discounts', 'api-docs', 'docs-refresh', 'spike-cache']) await wb.row(id).waitFor({ timeout: 60_000 });
    await wb.waitForDescription('add-discounts', (d) => d.startsWith('3 files, 1 uncommitted · ↑1'), '3 files, 1 uncommitted · ↑1');
    await wb.waitForDescription('api-docs', (d) => d.startsWith('2 files · ↑1'), '2 files · ↑1');
    // The main worktree is the base, shown first and apart.
    assert.equal((await wb.rows().first().locator('.label-name').textContent())?.trim(), 'main');
    assert.match(await wb.description('main'), /^base · shop/);
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

  step('Merge into Base… from the palette: the picker shows each instance\'s state; preview in a modal; the commit is on main', async () => {
    const { wb, repo } = e;
    await wb.clearNotifications();
    await wb.runCommand('Axiom Worktrees: Merge into Base…');
    await wb.quickInputStep('Merge into Base');
    const items = await wb.pickItems();
    const apiDocs = items.find((i) => i.startsWith('api-docs'));
    assert.match(apiDocs ?? '', /2 files · ↑1 · claude not started/, items.join(' | '));
    assert.match(items.find((i) => i.startsWith('spike-cache')) ?? '', /empty · aider not started/);
    await wb.pick('api-docs');
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
    assert.match(git(repo, 'log', '-1', '--format=%s', 'main'), /api-docs/);
    // The server runs with npm start's options (no smoke-test driver), so the result shows as a toast, not only in the bell.
    await wb.toast('Merged api-docs into main').waitFor({ state: 'visible', timeout: 15_000 });
    await wb.waitForDescription('api-docs', (d) => d.startsWith('landed (merge)'), 'landed (merge)');
    await wb.waitForIcon('api-docs', ['git-merge']);
  });

  step('the sidebar says every state in words: working, dirty, conflicts with main, landed, empty', async () => {
    const { wb, page } = e;
    // main moved (api-docs merged), and docs-refresh changed the same lines of docs/api.md.
    await wb.waitForDescription('docs-refresh', (d) => d.startsWith('conflict · 1 file · ↑1 ↓2'), 'conflict');
    await wb.waitForIcon('docs-refresh', ['git-pull-request-closed']);
    await wb.waitForIcon('spike-cache', ['circle-large-outline']);
    await wb.waitForIcon('fix-greeting', ['sync', 'sync~spin']);
    await wb.waitForIcon('add-discounts', ['circle-filled']);
    assert.match(await wb.description('add-discounts'), /^3 files, 1 uncommitted · ↑1 ↓2 · codex not started$/);
    assert.equal(await wb.description('spike-cache'), 'empty · aider not started');

    // The picture users see first: the instances, one expanded to its files, its diff and its terminal.
    await wb.row('fix-greeting').locator('.monaco-tl-twistie').click();
    await wb.rows().filter({ hasText: 'NOTES.md' }).waitFor();
    await wb.clearNotifications();
    // Focus out of the view, so the selected row shows its whole description, not its inline buttons.
    await wb.runCommand('View: Focus Active Editor Group');
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

  step('a review comment on a line of the diff is sent to the instance\'s agent, with file and line', async () => {
    const { wb, page } = e;
    // The file's own diff: the child row of the instance.
    await wb.row('fix-greeting').locator('.monaco-tl-twistie').click();
    await wb.rows().filter({ hasText: 'greet.js' }).first().click();
    await until('the diff editor of greet.js', async () => (await wb.editorTabs()).some((t) => t.startsWith('greet.js')));
    const modified = page.locator('.editor-instance .monaco-diff-editor .editor.modified');
    await modified.waitFor();
    // As a person does: hover line 2 in the gutter, click the "+" the Comments API puts there (a commenting range).
    const lineNumber = modified.locator('.margin-view-overlays .line-numbers', { hasText: /^2$/ });
    await lineNumber.hover();
    const glyph = modified.locator('.margin-view-overlays > div', { has: page.locator('.line-numbers', { hasText: /^2$/ }) }).locator('.comment-range-glyph');
    await glyph.waitFor({ timeout: 15_000 });
    await glyph.click();
    const widget = page.locator('.review-widget').first();
    await widget.waitFor({ timeout: 15_000 });
    await page.keyboard.type('Keep the trailing comma style of the repo here');
    await widget.locator('.monaco-button', { hasText: 'Add Review Comment' }).click();
    await widget.locator('.review-comment', { hasText: 'Keep the trailing comma style' }).waitFor();
    await widget.getByText('not sent yet').waitFor();
    // The terminal, to see the agent receive it (the Comments panel opened with the first comment).
    await wb.runCommand('Terminal: Focus Terminal');
    await widget.locator('.head .action-label[aria-label="Send Review to Agent"]').click();
    // The terminal wraps long lines anywhere, even inside a word: compare without whitespace.
    const expected = "stand-in agent fix-greeting got: Review comments on your changes — src/greet.js line 2: Keep the trailing comma style of the repo here".replace(/\s+/g, '');
    const text = await until('the review in the agent terminal', async () => {
      const t = await wb.terminalText();
      return t.replace(/\s+/g, '').includes(expected) ? t : '';
    });
    assert.ok(text);
    await widget.getByText("Sent to fix-greeting's agent").waitFor();
    await wb.clearNotifications();
    await wb.restMouse();
    await e.screenshot('review');
  });

  step('Open in New Window: the new window says which instance it is (status bar, highlighted row); no Reveal in File Manager in a browser', async () => {
    const { wb, context } = e;
    const entries = await wb.menuEntries('spike-cache', 'Open');
    assert.ok(entries.includes('Copy Path'), entries.join(' | '));
    assert.ok(!entries.includes('Reveal in File Manager'), `offered where it cannot work: ${entries.join(' | ')}`);
    const popup = context.waitForEvent('page', { timeout: 30_000 });
    await wb.contextMenu('spike-cache', 'Open in New Window', 'Open');
    const page = await popup;
    try {
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('folder'), wt('spike-cache'));
      await page.locator('.part.statusbar .statusbar-item', { hasText: 'Axiom: spike-cache' }).waitFor({ timeout: 90_000 });
      const entry = page.locator('.part.activitybar .action-item a[aria-label="Axiom"]');
      await entry.click();
      const row = page.locator(`${VIEW} .monaco-list-row[role="treeitem"]`, { has: page.locator('.label-name', { hasText: /^spike-cache$/ }) });
      await row.waitFor({ timeout: 60_000 });
      assert.match((await row.locator('.label-description').textContent()) ?? '', /^this window · /);
      assert.ok((await row.locator('.label-name .highlight').count()) > 0, 'the row is highlighted');
    } finally {
      await page.close();
    }
  });

  step('Clean Up Instance on a dirty instance: the safe button (Merge…) is the default; the files are listed in words', async () => {
    const { wb, repo, page } = e;
    // An agent that exits with words leads its row with them ("done · <its last line> · … · custom"); without, "… · custom done".
    await until('the agent to exit after its review', async () => /^done · .* · custom$|custom done$/.test(await wb.description('fix-greeting')));
    await wb.clearNotifications();
    await wb.contextMenu('fix-greeting', 'Clean Up Instance');
    let dialog = await wb.dialogText();
    assert.match(dialog.message, /fix-greeting/);
    assert.match(dialog.detail, /NOTES\.md — untracked/);
    assert.doesNotMatch(dialog.detail, /^\s*\? NOTES\.md/m);
    assert.match(dialog.detail, /Greet with a template string/);
    assert.deepEqual(new Set(dialog.buttons), new Set(['Merge…', 'Clean Up Anyway (salvage kept)', 'Cancel']));
    assert.equal(await wb.focusedText(), 'Merge…', 'Enter must not force the cleanup');
    // Enter takes the default: the merge flow, and nothing is cleaned up.
    await page.keyboard.press('Enter');
    await wb.quickInputStep('Merge fix-greeting into main');
    await page.keyboard.press('Escape');
    assert.ok(fs.existsSync(wt('fix-greeting')), 'Enter did not clean up');

    await wb.contextMenu('fix-greeting', 'Clean Up Instance');
    dialog = await wb.dialogText();
    await wb.restMouse();
    await e.screenshot('cleanup-modal');
    await wb.dialogButton('Clean Up Anyway (salvage kept)');
    await wb.row('fix-greeting').waitFor({ state: 'detached', timeout: 60_000 });
    const salvage = git(repo, 'for-each-ref', '--format=%(refname)', 'refs/axiom/salvage');
    assert.match(salvage, /^refs\/axiom\/salvage\/fix-greeting\/\d+$/m);
    assert.ok(!fs.existsSync(wt('fix-greeting')), 'the worktree folder is gone');
    // The salvage holds the uncommitted file too.
    assert.match(git(repo, 'show', `${salvage.trim()}:NOTES.md`), /template string/);
  });

  step('Restore Salvaged… has a title and shows the agent of the salvaged work', async () => {
    const { wb, page } = e;
    await wb.runCommand('Axiom Worktrees: Restore Salvaged…');
    await wb.quickInputStep('Restore Salvaged Work');
    const items = await wb.pickItems();
    assert.match(items.find((i) => i.startsWith('fix-greeting')) ?? '', /custom/, items.join(' | '));
    await page.keyboard.press('Escape');
  });

  step('Spawn Several Instances… says the limit while the count is typed', async () => {
    const { wb, page } = e;
    await wb.runCommand('Axiom Worktrees: Spawn Several Instances…');
    await wb.quickInputStep('(1/5)');
    await wb.typeAndEnter('try');
    await wb.quickInputStep('(2/5)');
    await wb.quickInput().fill('50');
    const message = await until('the limit message', async () => {
      const m = await wb.quickInputMessage().catch(() => '');
      return /50 is more than the \d+ free: the limit is 10 live instances/.test(m) ? m : '';
    });
    assert.match(message, /and 4 are live/);
    await page.keyboard.press('Escape');
  });

  step('natural order, a multi-selection, and one Clean Up for all of it with the refusal listed', async () => {
    const { wb, repo, page } = e;
    for (const id of ['try-10', 'try-2', 'try-1']) cli(repo, 'spawn', id, '--agent', 'claude');
    write(wt('try-2'), 'keep.txt', 'an idea worth keeping\n');
    // The three spawns end before this line, but the tree may show them over more than one refresh: wait for all three rows.
    for (const id of ['try-10', 'try-2', 'try-1']) await wb.row(id).waitFor({ timeout: 60_000 });
    await wb.waitForDescription('try-2', (d) => d.startsWith('1 uncommitted file'), 'try-2 dirty');
    const labels = (await wb.rows().locator('.label-name').allTextContents()).map((l) => l.trim()).filter((l) => l.startsWith('try-'));
    assert.deepEqual(labels, ['try-1', 'try-2', 'try-10'], 'try-2 before try-10');

    await wb.clearNotifications();
    await wb.runCommand('View: Close All Editors');
    await wb.selectRows(['try-1', 'try-2', 'try-10']);
    assert.deepEqual((await wb.selectedRows()).map((l) => l.trim()), ['try-1', 'try-2', 'try-10']);
    await wb.row('try-10').click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await menu.locator('.action-label[aria-label="Send to Agents…"]').waitFor();
    await e.screenshot('multi-select');
    const cleanUp = menu.locator('.action-menu-item', { has: page.locator('.action-label[aria-label="Clean Up Instance"]') });
    await cleanUp.hover();
    await cleanUp.click();
    const confirm = await wb.dialogText();
    assert.equal(confirm.message, 'Clean up 3 instances?');
    assert.match(confirm.detail, /• try-1 — empty[\s\S]*• try-2 — 1 uncommitted file[\s\S]*• try-10 — empty/);
    await wb.dialogButton('Clean Up');
    const result = await wb.dialogText(60_000);
    assert.equal(result.message, 'Cleaned up 2 of 3 instances. Kept try-2: cleaning it up would lose work.');
    assert.match(result.detail, /keep\.txt — untracked/);
    await wb.restMouse();
    await e.screenshot('bulk-cleanup');
    await page.keyboard.press('Escape');
    await wb.row('try-1').waitFor({ state: 'detached', timeout: 30_000 });
    await wb.row('try-10').waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await wb.row('try-2').count(), 1, 'the refused one stays');
    assert.ok(fs.existsSync(path.join(wt('try-2'), 'keep.txt')));
  });

  step('a repository with .axiom.json: the setup runs visibly in the instance\'s terminal, then the agent', async () => {
    const { wb, repo, page } = e;
    // The repository's worktree configuration: an ignored .env copied in, two ports, its own database, two setup commands.
    write(repo, '.env', 'STRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc\n');
    commit(repo, 'Ready-to-run instances: .axiom.json', {
      '.gitignore': '.env\n',
      '.axiom.json': SHOP_AXIOM_JSON,
      'scripts/check-env.mjs': CHECK_ENV,
      'scripts/setup-db.mjs': SETUP_DB,
    });
    await wb.clearNotifications();
    await wb.runCommand('View: Close All Editors');
    await wb.runCommand('Go to File...');
    await wb.quickInput().fill('.axiom.json');
    await page.locator('.quick-input-widget .monaco-list-row[aria-label*=".axiom.json"]').first().click({ timeout: 30_000 });
    await until('the .axiom.json editor', async () => (await wb.editorTabs()).some((t) => t.startsWith('.axiom.json')));

    await wb.runCommand('Axiom Worktrees: Spawn Instance…');
    await wb.quickInputStep('(1/4)');
    await wb.typeAndEnter('checkout');
    await wb.quickInputStep('(2/4)');
    await wb.pick('main');
    await wb.quickInputStep('(3/4)');
    await wb.pick('custom,');
    await wb.quickInputStep('(4/4)');
    await wb.typeAndEnter('Add a checkout page');
    // The setup is running (its second command waits for go-setup-checkout): the row says so.
    await until('the setup output in the terminal', async () => /applied migration 003_add_discounts/.test(await wb.terminalText()));
    await wb.waitForDescription('checkout', (d) => d.startsWith('setting up'), 'setting up');
    const text = await wb.terminalText();
    assert.match(text, /\[1\/2\] node scripts\/check-env\.mjs/);
    assert.match(text, /\.env: STRIPE_KEY=sk_test_… \(copied from the main worktree\)/);
    assert.match(text, /Creating database shop_checkout for port 4\d{3}/);
    assert.doesNotMatch(text, /stand-in agent checkout/, 'the agent waits for the setup');
    await wb.restMouse();
    await page.locator('.notifications-toasts .notification-toast').first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    await e.screenshot('setup-terminal');

    fs.writeFileSync(path.join(e.dir, 'go-setup-checkout'), '');
    await until('the agent after the setup', async () => /stand-in agent checkout: committed/.test(await wb.terminalText()));
    assert.match(await wb.terminalText(), /Database ready/);
    await wb.waitForDescription('checkout', (d) => d.includes('↑1'), '↑1 after the agent committed');
    e.go('checkout');
  });
});

const SHOP_AXIOM_JSON = `{
  // Ignored files every instance needs, copied from the main worktree.
  "include": [".env"],
  // Two free ports per instance: AXIOM_PORT, AXIOM_PORTS, PORT.
  "ports": 2,
  "env": { "DATABASE_URL": "postgres://localhost:5432/shop_{id}" },
  // Runs in the new worktree before the agent starts.
  "setup": ["node scripts/check-env.mjs", "node scripts/setup-db.mjs"]
}
`;

const CHECK_ENV = `import * as fs from 'node:fs';
const [key, value] = fs.readFileSync('.env', 'utf8').trim().split('=');
console.log('.env: ' + key + '=' + value.slice(0, 8) + '… (copied from the main worktree)');
`;

// Waits for go-setup-<id> beside the repository, so the test can look at the setup while it runs.
const SETUP_DB = `import * as fs from 'node:fs';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const id = process.env.AXIOM_INSTANCE_ID;
console.log('Creating database shop_' + id + ' for port ' + process.env.AXIOM_PORT + ' (' + process.env.DATABASE_URL + ')');
for (const m of ['001_create_products', '002_create_carts', '003_add_discounts']) {
  await sleep(300);
  console.log('  applied migration ' + m);
}
console.log('Seeding 25 products …');
const until = Date.now() + 600000; // a failed run leaves no setup waiting forever
while (!fs.existsSync('../go-setup-' + id) && Date.now() < until) await sleep(100);
console.log('Database ready.');
`;
