/**
 * Explore and land through a real browser (code-server + Chromium): a race of four stand-in agents
 * started from the CLI appears as a race node with its members ranked; Land Winner… from the race
 * node's context menu shows what merges and what is salvaged, and lands it.
 *
 * UPDATE_SCREENSHOTS=1 writes media/screenshots/race-ranked.png and land-winner.png (see the README).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, git, openE2E, since, type E2E } from './support/env';
import { until } from './support/workbench';

/** Four ways to implement discount(): two pass all five checks (one with a bigger diff), two do not. */
const AGENT = `
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const id = process.argv[2];
const n = Number(id.split('-').pop());
const bodies = {
  1: 'export function discount(total, percent) {\\n  const p = Math.min(100, Math.max(0, percent));\\n  return Math.round(total * (100 - p)) / 100;\\n}\\n',
  2: 'export function discount(total, percent) {\\n  return total - percent;\\n}\\n',
  3: '// Percentage discount, clamped to 0..100, computed in cents.\\nexport function discount(total, percent) {\\n  const p = Math.min(100, Math.max(0, percent));\\n  const cents = Math.round(total * 100);\\n  const discounted = (cents * (100 - p)) / 100;\\n  return Math.round(discounted) / 100;\\n}\\n',
  4: 'export function discount(total, percent) {\\n  return total * (1 - percent / 100);\\n}\\n',
};
setTimeout(() => {
  fs.mkdirSync('src', { recursive: true });
  fs.writeFileSync('src/discount.mjs', bodies[n]);
  execFileSync('git', ['add', '-A']);
  execFileSync('git', ['commit', '-q', '-m', 'discount() by ' + id]);
}, 300 * n);
`;

/** Five checks on the worktree's discount() (argv[2] = the worktree); AXIOM_SCORE = checks passed; fails unless all pass. */
const EVALUATOR = `
const { discount } = await import(process.argv[2] + '/src/discount.mjs');
const cases = [[200, 10, 180], [100, 0, 100], [19.99, 15, 16.99], [50, 100, 0], [10, 150, 0]];
let ok = 0;
for (const [t, p, want] of cases) if (Math.abs(discount(t, p) - want) < 0.005) ok++;
console.log(ok + ' of ' + cases.length + ' checks pass');
console.log('AXIOM_SCORE=' + ok);
process.exit(ok === cases.length ? 0 : 1);
`;

describe('Explore and land in a real browser', { timeout: 600_000 }, () => {
  let e: E2E;

  function step(name: string, fn: () => Promise<void>): void {
    it(name, { timeout: 200_000 }, async () => {
      const started = Date.now();
      try {
        await e.wb.dismissAll();
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
  });

  step('a race started from the CLI shows as a race node with its members ranked after evaluation', async () => {
    const { wb, repo, dir } = e;
    await wb.openAxiom();
    const agent = path.join(dir, 'discount-agent.js');
    const evaluator = path.join(dir, 'check-discount.mjs');
    fs.writeFileSync(agent, AGENT);
    // The evaluator imports the worktree's own module: {worktree} fills the whole argument.
    fs.writeFileSync(evaluator, EVALUATOR);
    const out = cli(
      repo, 'race', 'discount', '--count', '4', '--agent-command', `node ${agent} {id}`,
      '--prompt', 'Add percentage discounts to the cart', '--evaluate', `node ${evaluator} {worktree}`, '--wait', '--json',
    );
    const ranking = (JSON.parse(out) as { ranking: { id: string; passed: boolean; score: number }[] }).ranking;
    assert.deepEqual(ranking.map((r) => [r.id, r.passed, r.score]), [
      ['discount-1', true, 5],
      ['discount-3', true, 5],
      ['discount-4', false, 4],
      ['discount-2', false, 1],
    ]);
    const width = await wb.sideBarWidth(560);
    assert.ok(width > 450, `side bar ${width}px`);
    const desc = await wb.waitForDescription('discount', (d) => d.includes('2 passed, 2 failed'), 'the race node ranked');
    assert.match(desc, /4 members$/);
    // Members in rank order, each row leading with its rank and result.
    const labels = await until('the four members under the race', async () => {
      const all = await wb.rows().locator('.label-name').allTextContents();
      const members = all.filter((l) => l.startsWith('discount-'));
      return members.length === 4 ? members : null;
    });
    assert.deepEqual(labels, ['discount-1', 'discount-3', 'discount-4', 'discount-2']);
    assert.match(await wb.description('discount-1'), /^#1 5 · /);
    assert.match(await wb.description('discount-2'), /^#4 failed · /);
    await wb.clearNotifications();
    await wb.restMouse();
    const bar = (await e.page.locator('.part.sidebar').boundingBox())!;
    const rowsBottom = await wb.rows().last().evaluate((el) => el.getBoundingClientRect().bottom);
    await e.screenshot('race-ranked', { x: 0, y: 0, width: Math.ceil(bar.x + bar.width + 2), height: Math.ceil(Math.min(bar.y + bar.height, rowsBottom + 60)) });
  });

  step('Land Winner… on the race node: one modal with what merges and what is salvaged; confirmed, the winner is on main', async () => {
    const { wb, repo } = e;
    await wb.contextMenu('discount', 'Land Winner…');
    const dialog = await wb.dialogText();
    assert.equal(dialog.message, 'Land race discount: merge discount-1 into main?');
    assert.match(dialog.detail, /discount-1 \(rank 1, passed, score 5\) merges into main \(merge\): 1 commit, 1 file/);
    assert.match(dialog.detail, /A src\/discount\.mjs/);
    assert.match(dialog.detail, /Salvaged \(kept in a salvage ref, restorable\) and removed:/);
    for (const loser of ['discount-2', 'discount-3', 'discount-4']) assert.match(dialog.detail, new RegExp(`${loser}: 1 commit`));
    await wb.restMouse();
    await e.screenshot('land-winner');
    await wb.dialogButton('Land discount-1');
    await until('the winner on main', () => git(repo, 'log', '--format=%s', 'main').includes('discount() by discount-1'));
    await wb.row('discount').waitFor({ state: 'detached', timeout: 60_000 });
    const salvage = git(repo, 'for-each-ref', '--format=%(refname)', 'refs/axiom/salvage').trim().split('\n');
    assert.equal(salvage.length, 3);
    assert.match(git(repo, 'show', 'main:src/discount.mjs'), /Math\.round\(total \* \(100 - p\)\)/);
  });

  step('the History view keeps every attempt with its outcome, and per-agent totals', async () => {
    const { wb, page } = e;
    await wb.runCommand('Axiom: Focus on History View');
    // The Instances view is empty now: fold it, so the History view gets the height.
    await page.locator('.pane-header', { hasText: 'Instances' }).click();
    const history = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'History' }) });
    const row = (label: string) => history.locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) });
    await row('discount').waitFor({ timeout: 60_000 });
    await row('discount').locator('.monaco-tl-twistie').click();
    await row('discount-1').waitFor();
    const outcome = async (label: string) => (await row(label).locator('.label-description').textContent()) ?? '';
    assert.match(await outcome('discount-1'), /✓ 5 · landed · custom/);
    for (const loser of ['discount-2', 'discount-3', 'discount-4']) assert.match(await outcome(loser), /· salvaged · custom/);
    assert.match((await row('custom').locator('.label-description').textContent()) ?? '', /4 attempts · 50% passed · 1 win/);
    await wb.clearNotifications();
    await wb.restMouse();
    const bar = (await page.locator('.part.sidebar').boundingBox())!;
    const rowsBottom = await history.locator('.monaco-list-row[role="treeitem"]').last().evaluate((el) => el.getBoundingClientRect().bottom);
    await e.screenshot('history', { x: 0, y: 0, width: Math.ceil(bar.x + bar.width + 2), height: Math.ceil(Math.min(bar.y + bar.height, rowsBottom + 40)) });
  });
});
