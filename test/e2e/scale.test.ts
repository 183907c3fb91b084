/**
 * The Instances view with 300 instances, in a real browser (issue 19: "the view with 300 instances
 * stays responsive"). The instances are made before the workbench opens with spawn's own steps
 * (bench/grow.mjs, as bench/scale.mjs: `git worktree add --no-checkout`, the record spawn writes, checkouts two at
 * a time). Timed and printed, never asserted: the command palette opening, a row's context menu
 * opening, and a row's update after an edit in its worktree. Asserted: the view holds all 300 (the
 * tree's own count of the rows at the top level, and the last one reached by scrolling), and each
 * edited row shows its change.
 *
 * UPDATE_SCREENSHOTS=1 writes media/screenshots/scale-300.png (see the README's performance section).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import { git, openE2E, ROOT, since, step, type E2E } from './support/env';
import { until, VIEW } from './support/workbench';

const N = 300;
/** How many times each figure is taken (each printed). */
const ROUNDS = 3;

/** bench/grow.mjs (an ES module, loaded with require() on Node ≥ 20.19). */
interface Grow {
  grow(repo: string, from: number, to: number): Promise<void>;
}

describe(`The Instances view with ${N} instances`, { timeout: 900_000 }, () => {
  let e: E2E | undefined;
  const t0 = Date.now();
  const figures: Record<string, number[]> = {};

  /** Times `fn` and prints it; the figures are summed up at the end. */
  async function timed(what: string, fn: () => Promise<void>): Promise<void> {
    const t = performance.now();
    await fn();
    const ms = performance.now() - t;
    (figures[what] ??= []).push(ms);
    console.log(`[e2e] at ${N} instances: ${what}: ${ms.toFixed(0)} ms`);
  }

  before(async () => {
    e = await openE2E({
      prepare: async (repo) => {
        const t = Date.now();
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { grow } = require(path.join(ROOT, 'bench', 'grow.mjs')) as Grow;
        await grow(repo, 0, N);
        console.log(`[e2e] ${N} instances made in ${since(t)}`);
      },
    });
  });

  after(async () => {
    await e?.close();
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const [what, xs] of Object.entries(figures)) console.log(`[e2e] at ${N} instances, median of ${xs.length}: ${what}: ${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(`[e2e] whole file: ${since(t0)}`);
  });

  step(() => e, `the view lists all ${N}: the tree counts them, and scrolling reaches the last`, async (e) => {
    const { wb, page } = e;
    await timed('the Instances view open with its first rows', async () => {
      await wb.openAxiom();
      await wb.row('s0').waitFor({ timeout: 180_000 });
    });
    // The tree's own count of the rows at the top level (each row carries it: aria-setsize): the base and every instance.
    const setSize = await wb.row('s0').getAttribute('aria-setsize');
    assert.equal(setSize, String(N + 1), `the base and ${N} instances`);
    // Natural order: s0, s1, …, s299. The list draws only what is in view: End scrolls to the last.
    await wb.row('s0').click();
    await page.keyboard.press('End');
    const last = wb.row(`s${N - 1}`);
    await last.waitFor({ timeout: 30_000 });
    assert.equal(await last.getAttribute('aria-posinset'), String(N + 1));
    assert.equal(await wb.description(`s${N - 1}`), 'empty');
    await wb.runCommand('View: Focus Active Editor Group');
    await wb.clearNotifications();
    await wb.restMouse();
    await e.screenshot('scale-300');
    await page.locator(`${VIEW} .monaco-list`).first().focus();
    await page.keyboard.press('Home');
    await wb.row('s0').waitFor();
  });

  step(() => e, `at ${N}: the command palette, a row's context menu, and a row after an edit, each timed`, async (e) => {
    const { wb, page } = e;
    const palette = page.locator('.quick-input-widget');
    for (let r = 0; r < ROUNDS; r++) {
      await timed('the command palette (F1) open with its commands', async () => {
        await page.keyboard.press('F1');
        await palette.locator('.monaco-list-row').first().waitFor({ state: 'visible' });
      });
      await page.keyboard.press('Escape');
      await palette.waitFor({ state: 'hidden' });
    }
    const menu = page.locator('.context-view .monaco-menu').first();
    for (let r = 0; r < ROUNDS; r++) {
      const id = `s${r + 1}`;
      await timed("a row's context menu open", async () => {
        await wb.row(id).click({ button: 'right' });
        await menu.locator('.action-menu-item .action-label[aria-label="Clean Up Instance"]').waitFor({ state: 'visible' });
      });
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'detached' });
    }
    await wb.restMouse();
    for (let r = 0; r < ROUNDS; r++) {
      const id = `s${r + 4}`;
      assert.equal(await wb.description(id), 'empty');
      // From the write to the row saying so (the watcher's debounce, axiom.refreshDebounceMs = 500 ms, included).
      await timed('a row updated after an edit in its worktree (500 ms debounce included)', async () => {
        fs.writeFileSync(path.join(e.dir, `axiom-${id}`, 'NOTES.md'), `# ${id}\n`);
        await wb.waitForDescription(id, (d) => d.startsWith('1 uncommitted file'), `${id}: 1 uncommitted file`, 120_000);
      });
    }
    // Only the edited ones changed.
    assert.equal(await wb.description('s1'), 'empty');
    assert.equal(git(path.join(e.dir, 'axiom-s4'), 'status', '--porcelain'), '?? NOTES.md\n');
    await until('the palette closed', async () => !(await palette.isVisible()));
  });
});
