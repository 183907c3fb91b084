/**
 * "Needs you" in a real browser: an instance's agent asks for approval (the real hook runner records
 * a PermissionRequest, as Claude Code would), and the workbench shows a notification naming it with
 * its action, the Instances view's badge and the status-bar summary.
 * UPDATE_SCREENSHOTS=1 writes media/screenshots/needs-you.png (the toast, the badge, the status bar).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, openE2E, ROOT, since, type E2E } from './support/env';
import { until } from './support/workbench';

describe('Agents that need their person, in a real browser', { timeout: 600_000 }, () => {
  let e: E2E;
  const t0 = Date.now();

  before(async () => {
    e = await openE2E();
  });

  after(async () => {
    await e?.close();
    console.log(`[e2e] whole file: ${since(t0)}`);
  });

  it('an agent asking for approval: a toast names it with "Open Terminal", the view shows a badge, the status bar counts it', { timeout: 300_000 }, async () => {
    try {
      await e.wb.openAxiom();
      const spawned = JSON.parse(cli(e.repo, 'spawn', 'needy', '--agent', 'claude', '--prompt', 'Tidy the cart code', '--json')) as { adminDir: string };
      await e.wb.waitForDescription('needy', (d) => /\bclaude\b/.test(d), 'the CLI-made row (its agent named on it)');
      const input = JSON.stringify({ hook_event_name: 'PermissionRequest', session_id: 'e2e', tool_name: 'Bash', tool_input: { command: 'npm publish' } });
      execFileSync(process.execPath, [path.join(ROOT, 'dist', 'hook.js'), spawned.adminDir, 'PermissionRequest'], { input });

      // The notification as a toast; where the harness keeps toasts hidden (scripts/vscode-env.mjs before
      // toasts were enabled for it), the same notification item in the Notification Center.
      const item = e.page.locator('.notification-list-item', { hasText: 'needy needs approval' }).first();
      const asToast = await item.waitFor({ timeout: 15_000 }).then(() => true, () => false);
      if (!asToast) {
        await e.wb.runCommand('Notifications: Show Notifications');
        await item.waitFor({ timeout: 30_000 });
      }
      console.log(`[e2e] the needs-approval notification was seen ${asToast ? 'as a toast' : 'in the Notification Center'}`);
      assert.match(await item.innerText(), /needy needs approval: approve Bash: npm publish/);
      assert.ok(await item.getByRole('button', { name: 'Open Terminal' }).isVisible(), 'one action: Open Terminal');
      const badge = await until('the view badge', async () => {
        const text = (await e.page.locator('.activitybar .badge-content').allInnerTexts()).map((t) => t.trim());
        return text.includes('1') ? text : null;
      });
      assert.ok(badge.includes('1'));
      const status = await until('the status-bar summary', async () => {
        const t = await e.page.locator('.statusbar-item', { hasText: 'need you' }).allInnerTexts();
        return t.length ? t.join(' ') : null;
      });
      assert.match(status, /1 need you/);
      await e.wb.waitForDescription('needy', (d) => d.startsWith('needs approval'), 'the row to lead with "needs approval"');
      await e.screenshot('needs-you');
    } catch (err) {
      await e.failure('needs-you', err);
      throw err;
    }
  });
});
