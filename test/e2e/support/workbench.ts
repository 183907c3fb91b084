/**
 * Driving the Axiom UI in code-server like a person would: the activity bar, the command palette,
 * quick inputs, tree rows and their context menus, modal dialogs, terminals. Selectors verified on
 * code-server 4.139 (VS Code 1.139); see /work/shared/E2E.md.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';

export const VIEW = '[id="workbench.view.extension.axiom"]';

/** Polls `check` until it returns a truthy value; the error names what was awaited and the last value seen. */
export async function until<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 60_000,
  everyMs = 150,
  describe?: () => string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await check();
      if (last) return last as NonNullable<T>;
    } catch (e) {
      last = e instanceof Error ? e.message : e;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${what} (last: ${describe ? describe() : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const exact = (s: string): RegExp => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

export class Workbench {
  constructor(
    readonly page: Page,
    readonly context: BrowserContext,
  ) {}

  async ready(timeoutMs = 120_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  }

  /** The activity-bar entry of the Axiom container (it appears once the extension host has registered it). */
  activityBarEntry(): Locator {
    return this.page.locator('.part.activitybar .action-item a[aria-label="Axiom"]');
  }

  async openAxiom(timeoutMs = 90_000): Promise<void> {
    const entry = this.activityBarEntry();
    await entry.waitFor({ timeout: timeoutMs });
    const view = this.page.locator(VIEW);
    if (!(await view.isVisible())) await entry.click();
    await view.waitFor({ state: 'visible', timeout: timeoutMs });
  }

  welcome(): Locator {
    return this.page.locator(`${VIEW} .welcome-view-content`);
  }

  rows(): Locator {
    return this.page.locator(`${VIEW} .monaco-list-row[role="treeitem"]`);
  }

  /** The row whose label is exactly `label` (an instance id). */
  row(label: string): Locator {
    return this.rows().filter({ has: this.page.locator('.label-name', { hasText: exact(label) }) });
  }

  async description(label: string): Promise<string> {
    return (await this.row(label).locator('.label-description').first().textContent({ timeout: 20_000 })) ?? '';
  }

  /**
   * What a person reads of a row at the view's width: its label and description, and the part of each
   * drawn before the row's edge cuts it with an ellipsis (`nameShown`, `descriptionShown`). Measured in
   * the page, one character at a time against the label container's clip (an overflowing text gives
   * up the width of its ellipsis too).
   */
  async shown(label: string): Promise<{ name: string; description: string; nameShown: string; descriptionShown: string }> {
    return this.row(label).first().evaluate((row) => {
      const container = row.querySelector('.monaco-icon-label-container');
      if (!container) throw new Error('no label container in the row');
      const clip = container.getBoundingClientRect();
      const overflows = container.scrollWidth > container.clientWidth + 1;
      const doc = row.ownerDocument;
      const visiblePart = (el: typeof container): [string, string] => {
        if (!el) return ['', ''];
        const text = el.textContent ?? '';
        // The ellipsis, in the element's own font.
        const probe = doc.createElement('span');
        probe.textContent = '…';
        el.appendChild(probe);
        const ellipsis = overflows ? probe.getBoundingClientRect().width : 0;
        probe.remove();
        const limit = clip.right - ellipsis + 0.5;
        const walker = doc.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
        let shown = '';
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const s = node.textContent ?? '';
          for (let i = 0; i < s.length; i++) {
            const range = doc.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            if (range.getBoundingClientRect().right > limit) return [text, shown];
            shown += s[i];
          }
        }
        return [text, shown];
      };
      const [name, nameShown] = visiblePart(row.querySelector('.label-name'));
      const [description, descriptionShown] = visiblePart(row.querySelector('.label-description'));
      return { name, description, nameShown, descriptionShown };
    });
  }

  /** The codicon of a row's state icon, e.g. "pass", "circle-filled", "git-merge". */
  async icon(label: string): Promise<string> {
    const cls = (await this.row(label).locator('.custom-view-tree-node-item-icon').first().getAttribute('class', { timeout: 20_000 })) ?? '';
    return /codicon-(?!colored\b)([a-z-]+(?:~spin)?)/.exec(cls)?.[1] ?? '';
  }

  async waitForDescription(label: string, test: (d: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
    return until(`${label}: ${what}`, async () => ((await this.row(label).count()) > 0 && test(await this.description(label)) ? this.description(label) : ''), timeoutMs);
  }

  async waitForIcon(label: string, icons: string[], timeoutMs = 60_000): Promise<string> {
    let seen = '';
    return until(`${label} icon ${icons.join('|')}`, async () => {
      seen = (await this.row(label).count()) > 0 ? await this.icon(label) : '(no row)';
      return icons.includes(seen) ? seen : '';
    }, timeoutMs, 150, () => seen);
  }

  /** F1, `>title`, click the exact command (Enter could pick a better-ranked neighbour). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.quickInput();
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const item = this.page.locator(`.quick-input-widget .monaco-list-row[aria-label^="${title}"]`).first();
    await item.waitFor({ timeout: 30_000 });
    await item.click();
  }

  quickInput(): Locator {
    return this.page.locator('.quick-input-widget .quick-input-box input');
  }

  /** Waits until the quick input's title contains `title` (each step of a multi-step flow has its own). */
  async quickInputStep(title: string, timeoutMs = 30_000): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: timeoutMs });
  }

  async typeAndEnter(text: string): Promise<void> {
    const input = this.quickInput();
    await input.fill(text);
    await input.press('Enter');
  }

  /** Clicks the quick-pick item whose aria-label starts with `labelPrefix` (label, then description…). */
  async pick(labelPrefix: string): Promise<void> {
    const item = this.page.locator(`.quick-input-widget .monaco-list-row[aria-label^="${labelPrefix}"]`).first();
    await item.waitFor({ timeout: 30_000 });
    await item.click();
  }

  async pickItems(): Promise<string[]> {
    return this.page.locator('.quick-input-widget .monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }

  /**
   * Right-click a row and pick an entry of its context menu. A click that lands while the menu is still
   * settling is sometimes dropped (the menu stays open, the entry highlighted): then Enter picks it.
   */
  async contextMenu(label: string, entry: string, submenu?: string): Promise<void> {
    await this.row(label).click({ button: 'right' });
    const menu = this.page.locator('.context-view .monaco-menu').first();
    const within = submenu ? await this.openSubmenu(submenu) : menu;
    const item = within.locator('.action-menu-item', { has: this.page.locator(`.action-label[aria-label="${entry}"]`) });
    await item.waitFor({ timeout: 30_000 });
    await item.hover();
    await item.click();
    try {
      await menu.waitFor({ state: 'detached', timeout: 3000 });
    } catch {
      await item.focus();
      await this.page.keyboard.press('Enter');
      await menu.waitFor({ state: 'detached', timeout: 30_000 });
    }
  }

  /** The entries of a row's context menu, or of one of its submenus (the menu is closed again). */
  async menuEntries(label: string, submenu?: string): Promise<string[]> {
    await this.row(label).click({ button: 'right' });
    const menu = this.page.locator('.context-view .monaco-menu').first();
    await menu.locator('.action-menu-item').first().waitFor({ timeout: 30_000 });
    const within = submenu ? await this.openSubmenu(submenu) : menu;
    const entries = await within.locator('.action-menu-item .action-label').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
    await this.page.keyboard.press('Escape');
    if (submenu) await this.page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached', timeout: 30_000 });
    return entries;
  }

  /** Opens a submenu of the open context menu (Agent ▸, Race ▸, Open ▸) and returns it. */
  private async openSubmenu(name: string): Promise<Locator> {
    const menu = this.page.locator('.context-view .monaco-menu').first();
    const item = menu.locator('.action-menu-item', { has: this.page.locator(`.action-label[aria-label="${name}"]`) }).first();
    await item.waitFor({ timeout: 30_000 });
    await item.hover();
    const sub = this.page.locator('.context-view .monaco-submenu .monaco-menu').first();
    try {
      await sub.waitFor({ timeout: 3000 });
    } catch {
      await item.focus();
      await this.page.keyboard.press('ArrowRight');
      await sub.waitFor({ timeout: 30_000 });
    }
    return sub;
  }

  /** Selects rows as a person does: a click on the first, Ctrl+click on the others. */
  async selectRows(labels: string[]): Promise<void> {
    await this.row(labels[0]!).click();
    for (const l of labels.slice(1)) await this.row(l).click({ modifiers: ['Control'] });
  }

  /** Labels of the selected rows of the view. */
  async selectedRows(): Promise<string[]> {
    return this.page.locator(`${VIEW} .monaco-list-row[role="treeitem"][aria-selected="true"] .label-name`).allTextContents();
  }

  /** The text of the focused element (e.g. the default button of a dialog). */
  async focusedText(): Promise<string> {
    // Runs in the page: `globalThis` is the window there (this file compiles without the DOM library).
    return this.page.evaluate(() => ((globalThis as unknown as { document: { activeElement: { textContent: string | null } | null } }).document.activeElement?.textContent ?? '').trim());
  }

  /** The validation message under a quick input box (e.g. "50 is more than the 6 free …"). */
  async quickInputMessage(): Promise<string> {
    return (await this.page.locator('.quick-input-widget .quick-input-message').innerText()).trim();
  }

  async quickInputTitle(): Promise<string> {
    return (await this.page.locator('.quick-input-widget .quick-input-title').innerText()).trim();
  }

  /** A status-bar entry whose text contains `text`. */
  statusBarItem(text: string): Locator {
    return this.page.locator('.part.statusbar .statusbar-item', { hasText: text });
  }

  /** Closes whatever a failed step may have left open: a context menu, a quick input, a modal dialog. */
  async dismissAll(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const menu = await this.page.locator('.context-view .monaco-menu').isVisible();
      const quick = await this.page.locator('.quick-input-widget').isVisible();
      const dialog = await this.dialog().isVisible();
      if (!menu && !quick && !dialog) return;
      if (dialog) await this.dialog().locator('.dialog-buttons a.monaco-button', { hasText: /^Cancel$/ }).click({ timeout: 5000 }).catch(() => undefined);
      else await this.page.keyboard.press('Escape');
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  dialog(): Locator {
    return this.page.locator('.monaco-dialog-box');
  }

  async dialogText(timeoutMs = 30_000): Promise<{ message: string; detail: string; buttons: string[] }> {
    const d = this.dialog();
    await d.waitFor({ timeout: timeoutMs });
    return {
      message: (await d.locator('.dialog-message-text').textContent()) ?? '',
      detail: (await d.locator('.dialog-message-detail').innerText()) ?? '',
      buttons: await d.locator('.dialog-buttons a.monaco-button').allTextContents(),
    };
  }

  async dialogButton(title: string): Promise<void> {
    await this.dialog().locator('.dialog-buttons a.monaco-button', { hasText: exact(title) }).click();
    await this.dialog().waitFor({ state: 'detached', timeout: 30_000 });
  }

  /** Terminal tab titles (one terminal: the single tab; several: the tabs list). */
  async terminalTabs(): Promise<string[]> {
    return this.page.locator('.single-terminal-tab, .terminal-tabs-entry').evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
  }

  async terminalText(): Promise<string> {
    return (await this.page.locator('.xterm-rows').allInnerTexts()).join('\n');
  }

  /** Tabs of the active editor group: aria-labels (they carry the full title). */
  async editorTabs(): Promise<string[]> {
    return this.page.locator('.tabs-container .tab').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }

  /** Drags the sash at the right edge of the side bar so the side bar is `width` px wide. */
  async sideBarWidth(width: number): Promise<number> {
    const bar = this.page.locator('.part.sidebar');
    const box = await bar.boundingBox();
    if (!box) throw new Error('no side bar');
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width + 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width / 2, y, { steps: 4 });
    await this.page.mouse.move(box.x + width + 1, y, { steps: 4 });
    await this.page.mouse.up();
    return (await bar.boundingBox())?.width ?? 0;
  }

  /** A notification toast (bottom right) whose text contains `text`; toasts show only without the smoke-test driver. */
  toast(text: string): Locator {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: text });
  }

  /** No toasts (the palette is unreachable while a modal dialog is open: call this before one). */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    await this.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
  }

  /** No hover: the mouse rests at the right edge of the editor area. */
  async restMouse(): Promise<void> {
    const { width, height } = this.page.viewportSize()!;
    // Through the middle first: a hover opened under a menu that has closed goes once the pointer leaves its row.
    await this.page.mouse.move(width / 2, height / 2, { steps: 4 });
    await this.page.mouse.move(width - 2, height / 2, { steps: 4 });
    await this.page.locator('.workbench-hover-container').first().waitFor({ state: 'hidden', timeout: 3_000 }).catch(() => undefined);
  }
}
