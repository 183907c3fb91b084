/**
 * A search through a real browser (code-server + Chromium): a search of several rounds, run by the
 * CLI with stand-in agents that read their feedback, shows in the Instances view as a search row
 * whose children are the attempt tree — each node with its result, round and agent, the best starred.
 *
 * UPDATE_SCREENSHOTS=1 writes media/screenshots/search-tree.png (see the README's Search section).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SearchRecord } from '../../src/core/search/searchRecord';
import { writeSearchStandIns } from '../core/searchStandIns';

/** Checks the stand-in evaluation runs; each attempt fixes one, so a passing node is this many rounds deep. */
const CHECKS = 3;
import { cli, openE2E, since, type E2E } from './support/env';
import { until } from './support/workbench';

describe('A search in a real browser', { timeout: 1_500_000 }, () => {
  let e: E2E;

  before(async () => {
    e = await openE2E();
  });

  after(async () => {
    await e?.close();
  });

  it('a search of three rounds run by the CLI shows as an attempt tree: results, rounds, agents, the best starred', { timeout: 1_200_000 }, async () => {
    const started = Date.now();
    try {
      const { wb, repo, dir, page } = e;
      await wb.openAxiom();
      // Each attempt fixes the one failing check its feedback names: four checks, one per round.
      const { agentCommand, evaluateCommand } = writeSearchStandIns(dir, { tests: CHECKS });
      const out = cli(
        repo, 'search', 'checks', '--prompt', `Make the ${CHECKS} checks pass`, '--agent-command', agentCommand, '--evaluate', evaluateCommand,
        '--width', '2', '--parallel', '2', '--attempts', '6', '--select', 'best', '--wait', '--json',
      );
      const { search } = JSON.parse(out) as { search: SearchRecord };
      const evaluated = search.nodes.filter((n) => n.state === 'evaluated' && n.result);
      const best = evaluated.filter((n) => n.result!.passed).sort((a, b) => (b.result!.score ?? 0) - (a.result!.score ?? 0) || a.id - b.id)[0];
      assert.ok(best, `a passing node: ${JSON.stringify(search.nodes.map((n) => [n.id, n.parent, n.state, n.result?.score]))}`);
      assert.equal(best.result!.score, CHECKS);
      assert.ok(best.round >= CHECKS, `the best node is ${best.round} rounds deep: each round fixed one check`);

      const width = await wb.sideBarWidth(520);
      assert.ok(width > 420, `side bar ${width}px`);
      let seen = '(no row)';
      const desc = await until(`the search row with its best node #${best.id}`, async () => {
        seen = (await wb.row('checks').count()) > 0 ? await wb.description('checks') : `(no row; rows: ${(await wb.rows().locator('.label-name').allTextContents()).join(', ')})`;
        return seen.includes('6/6 attempts') && seen.includes(`best #${best.id} ✓ ${CHECKS}`) ? seen : null;
      }, 60_000, 150, () => seen);
      // The state, then the best (what a person looks for), then the budget.
      assert.match(desc, new RegExp(`^[^·]+ · best #${best.id} ✓ ${CHECKS} · 6/6 attempts`));
      // The tree is expanded: the base, then every attempt under the node it started from.
      const labels = await until('every node of the search', async () => {
        const all = await wb.rows().locator('.label-name').allTextContents();
        const nodes = all.filter((l) => /^#\d+( base)?$/.test(l));
        return nodes.length === search.nodes.length ? nodes : null;
      });
      assert.equal(labels[0], '#0 base');
      assert.match(await wb.description('#0 base'), /^✗ 0 · round 0/);
      assert.equal(await wb.description(`#${best.id}`), `✓ ${CHECKS} · round ${best.round} · custom · best`);
      assert.equal(await wb.icon(`#${best.id}`), 'star-full');
      await wb.clearNotifications();
      await wb.restMouse();
      const bar = (await page.locator('.part.sidebar').boundingBox())!;
      const rowsBottom = await wb.rows().last().evaluate((el) => el.getBoundingClientRect().bottom);
      await e.screenshot('search-tree', { x: 0, y: 0, width: Math.ceil(bar.x + bar.width + 2), height: Math.ceil(Math.min(bar.y + bar.height, rowsBottom + 60)) });
    } catch (err) {
      if (e) await e.failure('search tree', err);
      throw err;
    } finally {
      console.log(`[e2e] search tree: ${since(started)}`);
    }
  });
});
