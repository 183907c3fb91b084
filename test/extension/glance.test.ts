/**
 * The workbench at a glance (issue 21), in a real VS Code on a real repository: an instance row's
 * menu holds only what applies to it (per context value, single or multi selection, in submenus),
 * row descriptions lead with the word that matters, and what an operation removed takes its
 * terminal with it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorktreeStatus } from '../../src/core';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import type { RankRow } from '../../src/core';
import { cleanupRefusalChoice, MERGE_FIRST, RESOLVE_IN_MERGE_EDITOR } from '../../src/extension/cleanupCommands';
import { conflictsAfterWords, resolveInMergeEditor, type MergeCommandResult } from '../../src/extension/mergeCommand';
import { contextValueFor, descriptionFor, iconFor, rowState, tooltipFor } from '../../src/extension/presentation';
import { rankSummary, raceSummary } from '../../src/extension/raceNodes';
import { api, BASIC_PROGRAMS, cleanUpSpawned, closeEditorsWithoutSaving, commitFile, errorCode, EXTENSION_ID, git, pathWithOnly, setTerminalPath, label, repoRoot, row, runCli, spawnForTest, theModel, waitFor, waitForFile } from './helpers';

const exec = <T>(command: string, ...args: unknown[]): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));

interface MenuEntry {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}

type Context = Record<string, string | boolean>;

/**
 * The `when` clauses the menus use, evaluated: terms joined by `&&`, each `key`, `!key`,
 * `key == value`, `key != value` or `key =~ /regex/`. Anything else fails the test (a clause this
 * evaluator cannot read would otherwise pass unseen).
 */
export function evaluateWhen(when: string | undefined, ctx: Context): boolean {
  if (!when) return true;
  return when.split('&&').every((raw) => {
    const term = raw.trim();
    let m = /^(!?)([\w.]+)$/.exec(term);
    if (m) return Boolean(ctx[m[2]!]) !== (m[1] === '!');
    m = /^([\w.]+)\s*(==|!=)\s*([\w.-]+)$/.exec(term);
    if (m) return (String(ctx[m[1]!] ?? '') === m[3]) === (m[2] === '==');
    m = /^([\w.]+)\s*=~\s*\/(.*)\/(\w*)$/.exec(term);
    if (m) return new RegExp(m[2]!, m[3]).test(String(ctx[m[1]!] ?? ''));
    throw new Error(`The test's when evaluator cannot read "${term}" (in "${when}").`);
  });
}

function menus(): Record<string, MenuEntry[]> {
  const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { menus: Record<string, MenuEntry[]> } };
  return pkg.contributes.menus;
}

/** What a row's context menu shows: "command" at the top level, "Submenu ▸ command" inside one; inline buttons apart. */
function shown(viewItem: string, multi = false): { menu: string[]; inline: string[] } {
  const all = menus();
  const submenus = (JSON.parse(JSON.stringify((vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { submenus: { id: string; label: string }[] } }).contributes.submenus)) as { id: string; label: string }[]);
  const ctx: Context = { view: 'axiom.instances', viewItem, listMultiSelection: multi, isWeb: false, remoteName: '' };
  const visible = (list: MenuEntry[]): MenuEntry[] => list.filter((e) => evaluateWhen(e.when, ctx));
  const menu: string[] = [];
  const inline: string[] = [];
  for (const e of visible(all['view/item/context']!)) {
    if (e.group?.startsWith('inline')) inline.push(e.command!);
    else if (e.command) menu.push(e.command);
    else {
      const label = submenus.find((s) => s.id === e.submenu)!.label;
      const inside = visible(all[e.submenu!] ?? []).map((x) => `${label} ▸ ${x.command}`);
      // A submenu with nothing in it is not shown.
      menu.push(...inside);
    }
  }
  return { menu: menu.sort(), inline };
}

const names = (list: string[]): string[] => list.map((c) => c.replace(/axiom\./g, '')).sort();

describe('At a glance (issue 21): menus that fit the row, rows that lead with what matters', () => {
  let model: RepositoryModel;

  before(async () => {
    model = await theModel();
  });

  after(async () => {
    for (const t of vscode.window.terminals) t.dispose();
    // Branch From Here… is refused below; should it not be, its child goes first.
    if (model.find('menus.1')) await exec('axiom.cleanup', { id: 'menus.1', force: true }).catch(() => undefined);
    await cleanUpSpawned();
  });

  describe('menus (the contributed menus evaluated against each row\'s context value)', () => {
    let plain: WorktreeStatus;

    before(async () => {
      await spawnForTest('menus');
      plain = model.find('menus')!;
    });

    it('an instance without setup, agent log or review: no Show Setup Log, Retry Setup, Show Agent Log or Send Review', async () => {
      const r = await row('menus');
      assert.equal(r?.item.contextValue, 'instance', 'a plain instance has no facets');
      const { menu, inline } = shown('instance');
      assert.deepEqual(names(inline), ['merge', 'openTerminal', 'showChanges'].sort(), 'the three most used are inline buttons');
      assert.deepEqual(names(menu), [
        'Agent ▸ changeAgent',
        'Agent ▸ startNewConversation',
        'Agent ▸ stopAgent',
        'Open ▸ addToWorkspace',
        'Open ▸ copyPath',
        'Open ▸ openInNewWindow',
        'Open ▸ openShell',
        'Open ▸ revealInOS',
        'Race ▸ branchFromHere',
        'Race ▸ compareWith',
        'Race ▸ evaluate',
        'Race ▸ explore',
        'cleanup',
        'merge',
        'openTerminal',
        'publish',
        'sendToAgents',
        'showChanges',
      ].sort());
    });

    it('setup commands bring Show Setup Log and Retry Setup; a headless or Claude-made agent brings Show Agent Log', () => {
      const withSetup = contextValueFor({ ...plain, setup: { state: 'failed', exitCode: 1, logFile: 'setup.log', commands: ['npm ci'], failedCommand: 'npm ci' } });
      assert.equal(withSetup, 'instance.setup');
      assert.deepEqual(names(shown(withSetup).menu.filter((e) => e.startsWith('Agent'))), ['Agent ▸ changeAgent', 'Agent ▸ retrySetup', 'Agent ▸ showSetupLog', 'Agent ▸ startNewConversation', 'Agent ▸ stopAgent']);
      const headless = contextValueFor({ ...plain, launch: 'headless' });
      assert.equal(headless, 'instance.agentLog');
      assert.deepEqual(names(shown(headless).menu.filter((e) => e.startsWith('Agent'))), ['Agent ▸ changeAgent', 'Agent ▸ showAgentLog', 'Agent ▸ startNewConversation', 'Agent ▸ stopAgent']);
      const both = contextValueFor({ ...plain, launch: 'headless', setup: { state: 'succeeded', exitCode: 0, logFile: 'setup.log', commands: ['npm ci'] } }, { review: true });
      assert.equal(both, 'instance.setup.agentLog.review');
      assert.equal(shown(both).menu.filter((e) => /showAgentLog|showSetupLog|retrySetup|sendReview/.test(e)).length, 4);
    });

    it('Send Review to Agent appears on the row once a review comment waits, and goes when it is deleted', async () => {
      const a = await api();
      const file = vscode.Uri.file(path.join(plain.path, 'README.md'));
      const thread = a.review.controller.createCommentThread(file, new vscode.Range(0, 0, 0, 0), []);
      await exec('axiom.addReviewComment', { thread, text: 'Say more here' });
      try {
        const r = await row('menus');
        assert.equal(r?.item.contextValue, 'instance.review');
        assert.ok(shown(String(r?.item.contextValue)).menu.includes('Agent ▸ axiom.sendReview'));
      } finally {
        await exec('axiom.deleteReviewComment', thread);
      }
      const after = await row('menus');
      assert.equal(after?.item.contextValue, 'instance');
      assert.ok(!shown('instance').menu.includes('Agent ▸ axiom.sendReview'));
    });

    it('a multi-selection offers only what acts on every selected row', () => {
      const { menu } = shown('instance.setup.agentLog.review', true);
      assert.deepEqual(names(menu), ['cleanup', 'merge', 'sendToAgents']);
    });

    it('a missing instance offers Clean Up; the base and hand-made worktrees offer the Open entries', () => {
      assert.deepEqual(names(shown('instance-missing').menu), ['cleanup']);
      assert.deepEqual(shown('instance-missing').inline, []);
      for (const cv of ['worktree-main', 'worktree-foreign']) {
        assert.deepEqual(names(shown(cv).menu), ['Open ▸ addToWorkspace', 'Open ▸ copyPath', 'Open ▸ openInNewWindow', 'Open ▸ openShell', 'Open ▸ revealInOS'], cv);
      }
      assert.deepEqual(names(shown('race').menu), ['evaluate', 'landWinner']);
    });

    it('order numbers are unique within each group of every menu, and every entry names a contributed command', () => {
      const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[]; submenus: { id: string }[] } };
      const commands = new Set(pkg.contributes.commands.map((c) => c.command));
      const submenuIds = new Set(pkg.contributes.submenus.map((s) => s.id));
      for (const [menu, entries] of Object.entries(menus())) {
        if (menu === 'commandPalette') continue;
        const seen = new Map<string, string>();
        for (const e of entries) {
          assert.ok(e.command ? commands.has(e.command) : submenuIds.has(e.submenu!), `${menu}: ${e.command ?? e.submenu} is contributed`);
          if (!e.group?.includes('@')) continue;
          // Entries that can never show together (different rows) may share a number.
          const where = /viewItem (?:==|=~) (\S+)/.exec(e.when ?? '')?.[1] ?? /\bview == (\S+)/.exec(e.when ?? '')?.[1] ?? '';
          const key = `${e.group}|${where}`;
          assert.ok(!seen.has(key), `${menu}: ${e.command ?? e.submenu} and ${seen.get(key)} share ${e.group}`);
          seen.set(key, e.command ?? e.submenu!);
        }
      }
    });
  });

  describe('rows lead with the word that matters (truncation at the default width)', () => {
    let plain: WorktreeStatus;

    before(async () => {
      if (!model.find('menus')) {
        await spawnForTest('menus');
      }
      plain = model.find('menus')!;
    });

    it('each state\'s first word is short and the details are in the tooltip', () => {
      const cases: [string, WorktreeStatus, string][] = [
        ['conflict', { ...plain, ahead: 1, behind: 1, conflictsWithBase: true, conflictFiles: ['src/app.txt'] }, 'conflict'],
        ['setup failed', { ...plain, setup: { state: 'failed', exitCode: 1, logFile: 'setup.log', commands: ['npm ci'], failedCommand: 'npm ci' } }, 'setup failed'],
        ['locked', { ...plain, locked: true, lockReason: 'spawn in progress' }, 'locked'],
        ['missing', { ...plain, dirty: null, prunable: true, prunableReason: 'gone' }, 'folder missing'],
        ['empty', plain, 'empty'],
      ];
      for (const [name, w, first] of cases) {
        const d = descriptionFor(w);
        assert.equal(d.split(' · ')[0], first, `${name}: ${d}`);
        assert.ok(first.length <= 14, `${name}: the first word fits a narrow side bar`);
      }
      const tip = tooltipFor(cases[0]![1]).value;
      assert.match(tip, /Conflicts with main in: src\/app\\?\.txt/, 'what it conflicts with, and where, is in the tooltip');
    });

    it('one word per state: the tooltip says what the row says; an agent that never ran gets no green check', () => {
      assert.match(descriptionFor(plain), /claude not started$/);
      const tip = tooltipFor(plain).value;
      assert.match(tip, /Agent: claude not started/);
      assert.doesNotMatch(tip, /unknown/);
      const committed: WorktreeStatus = { ...plain, ahead: 1 };
      assert.equal(rowState(committed), 'clean');
      assert.notEqual(iconFor(committed).id, 'pass', 'not a green check: its agent never ran');
      const ran: WorktreeStatus = { ...committed, metadata: { ...committed.metadata!, terminal: { ...committed.metadata!.terminal, takenAt: new Date().toISOString() } } as WorktreeStatus['metadata'] };
      assert.equal(iconFor(ran, Date.now() + 60_000).id, 'pass', 'one whose agent ran and left it clean does');
    });

    it('the agent\'s last word: short, second in the row when it needs you; whole in the tooltip', () => {
      const reason = 'approve Bash: rm -rf build/generated/assets --verbose';
      const asking: WorktreeStatus = { ...plain, agentState: { phase: 'needs-approval', lastActivity: new Date().toISOString(), reason } };
      const parts = descriptionFor(asking).split(' · ');
      assert.equal(parts[0], 'needs approval');
      assert.equal(parts[1], 'approve Bash: rm -rf build/gene…');
      assert.ok(parts[1]!.length <= 32);
      assert.ok(tooltipFor(asking).value.includes('needs approval — approve Bash\\: rm \\-rf build/generated/assets \\-\\-verbose'), tooltipFor(asking).value);
      const done: WorktreeStatus = { ...plain, agentState: { phase: 'idle', lastActivity: new Date().toISOString(), reason: 'I fixed the flaky test.' } };
      assert.doesNotMatch(descriptionFor(done), /flaky/, 'a turn that is done does not need you: the row stays short');
      assert.match(tooltipFor(done).value, /claude idle — I fixed the flaky test\\\./);
    });

    it('race members: no rank before they are evaluated; then rank and score first ("#1 28021")', () => {
      const rank = (over: Partial<RankRow>): RankRow => ({
        id: 'm', rank: 1, passed: null, exitCode: null, timedOut: false, score: null, durationMs: null, agentMs: null, diff: null,
        conflictsWithBase: null, agent: 'claude', evaluatedAt: null, live: true, stale: false, agentPhase: 'working', ...over,
      });
      assert.equal(rankSummary(rank({}), false), '', 'not evaluated: no rank at all');
      assert.equal(rankSummary(rank({}), true), 'evaluating…');
      assert.equal(rankSummary(rank({ passed: true, score: 28021, durationMs: 431 }), false), '#1 28021');
      assert.equal(rankSummary(rank({ rank: 2, passed: true }), false), '#2 passed');
      assert.equal(rankSummary(rank({ rank: 3, passed: false, exitCode: 1, durationMs: 50 }), false), '#3 failed');
      assert.equal(rankSummary(rank({ rank: 3, passed: false, timedOut: true }), false), '#3 timed out');
      assert.equal(rankSummary(rank({ passed: true, score: 5, stale: true }), false), '#1 5 (changed)');
      assert.equal(raceSummary({ working: 3, evaluating: 0, evaluated: 0, passed: 0, live: 3, members: 3 }), '3 working · not evaluated · 3 members');
      assert.equal(raceSummary({ working: 0, evaluating: 1, evaluated: 3, passed: 2, live: 3, members: 4 }), '1 evaluating · 2 passed, 1 failed · 3 of 4 left');
    });

    it('a worktree Axiom did not make shows its branch and its folder, not the name twice', async () => {
      const repo = repoRoot();
      const parent = fs.mkdtempSync(path.join(path.dirname(repo), 'glance-'));
      const folder = path.join(parent, 'hand-made');
      git(repo, 'worktree', 'add', '-q', '-b', 'glance-hand', folder);
      try {
        await model.refreshNow();
        const a = await api();
        const group = (await a.tree.getChildren()).find((n) => n.kind === 'group');
        assert.ok(group, 'the "Other worktrees" group');
        const [foreign] = await a.tree.getChildren(group);
        const item = a.tree.getTreeItem(foreign!);
        assert.equal(label(item), 'glance-hand');
        assert.match(String(item.description), /hand-made$/);
        assert.doesNotMatch(String(item.description), /glance-hand/, 'the branch is the label: not repeated');
      } finally {
        git(repo, 'worktree', 'remove', '--force', folder);
        git(repo, 'branch', '-D', 'glance-hand');
        fs.rmSync(parent, { recursive: true, force: true });
        await model.refreshNow();
      }
    });
  });

  describe('dialogs that already know', () => {
    it('the merge names the live instances that will conflict after it, and a squash takes the message it is given', async () => {
      const repo = repoRoot();
      const a = await spawnForTest('after-a');
      const b = await spawnForTest('after-b');
      commitFile(a.path, 'src/after.txt', 'a\n', 'after-a: one');
      commitFile(b.path, 'src/after.txt', 'b\n', 'after-b: one');
      await model.refreshNow();
      const exploration = (await api()).explorations.of(model);
      exploration.schedule(0);
      await waitFor(model, () => exploration.conflictsOf('after-a').some((c) => c.other === 'after-b'), 'the forecast: after-a and after-b conflict');
      const r = await exec<MergeCommandResult>('axiom.merge', { id: 'after-a', strategy: 'squash', squashMessage: 'Add the after file', confirm: true });
      assert.equal(r.outcome, 'merged');
      assert.deepEqual(r.outcome === 'merged' ? r.conflictsAfter : [], [{ id: 'after-b', files: ['src/after.txt'] }]);
      assert.equal(conflictsAfterWords(r.outcome === 'merged' ? r.conflictsAfter : [], 'main'), 'After this merge after-b (src/after.txt) will conflict with main.', 'what the confirmation says');
      assert.equal(git(repo, 'log', '-1', '--format=%s', 'main').trim(), 'Add the after file');
      assert.match(git(repo, 'log', '-1', '--format=%b', 'main'), /\* after-a: one/, 'the commits\' subjects follow the message');
    });

    // Last in this section: the merge editor it opens may write to main's working tree after it closes (the next file starts from a reset workspace).
    it('Clean Up of an instance whose row says it conflicts defaults to Resolve in Merge Editor… and says it conflicts', async () => {
      const repo = repoRoot();
      const w = await spawnForTest('clash');
      commitFile(w.path, 'src/clash.txt', 'clash version\n', 'clash: its version');
      commitFile(repo, 'src/clash.txt', 'main version\n', 'main: its version');
      await model.refreshNow();
      const status = await waitFor(model, () => (model.find('clash')?.conflictsWithBase ? model.find('clash') : undefined), 'clash conflicts with main');
      assert.ok(String((await row('clash'))?.item.description).startsWith('conflict'), 'the row says it');
      await assert.rejects(exec('axiom.cleanup', { id: 'clash' }), (e) => errorCode(e) === 'UnmergedCommits');
      const choice = cleanupRefusalChoice(status, 'UnmergedCommits');
      assert.equal(choice.first, RESOLVE_IN_MERGE_EDITOR, 'the safe default is the merge editor, not a merge that stops three steps later');
      assert.equal(choice.lead, 'It conflicts with main in src/clash.txt.');
      assert.ok(choice.canForce);
      assert.equal(cleanupRefusalChoice({ ...status, conflictsWithBase: false, conflictFiles: [] }, 'UnmergedCommits').first, MERGE_FIRST, 'without a conflict: Merge…');
      try {
        await resolveInMergeEditor(model, 'clash');
        assert.ok(fs.existsSync(path.join(repo, '.git', 'MERGE_HEAD')), 'the merge waits in main\'s working tree');
        assert.match(git(repo, 'diff', '--name-only', '--diff-filter=U'), /src\/clash\.txt/);
      } finally {
        // The merge editor first (it could write its result after the abort), then the merge, then anything it left.
        await closeEditorsWithoutSaving();
        if (fs.existsSync(path.join(repo, '.git', 'MERGE_HEAD'))) git(repo, 'merge', '--abort');
        git(repo, 'reset', '-q', '--hard');
        await model.refreshNow();
      }
    });
  });

  describe('keyboard in the Instances view', () => {
    const FROM_VIEW = 'axiom.instances.selection';

    it('default keybindings: Enter and Delete on the view\'s selection, a chord to spawn and one to focus the view', () => {
      const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { keybindings: { command: string; key: string; when?: string; args?: unknown }[] } };
      const keys = pkg.contributes.keybindings;
      const inView = { focusedView: 'axiom.instances', inputFocus: false, 'axiom.state': 'ready' };
      const bound = (key: string, ctx: Context): string | undefined => keys.find((k) => k.key === key && evaluateWhen(k.when, ctx))?.command;
      assert.equal(bound('enter', inView), 'axiom.openTerminal');
      assert.equal(bound('delete', inView), 'axiom.cleanup');
      assert.equal(bound('enter', { ...inView, focusedView: 'workbench.explorer.fileView' }), undefined, 'only in the Instances view');
      assert.equal(bound('delete', { ...inView, inputFocus: true }), undefined, 'not while typing in its filter');
      assert.equal(bound('ctrl+alt+a s', inView), 'axiom.spawn');
      assert.equal(bound('ctrl+alt+a a', {}), 'axiom.instances.focus');
      assert.ok(keys.filter((k) => k.key === 'enter' || k.key === 'delete').every((k) => k.args === FROM_VIEW), 'the keys act on the selection');
    });

    it('Delete cleans up the selected row with the same command (and dialog) as its menu', async () => {
      const a = await api();
      await spawnForTest('key-delete');
      const node = (await a.tree.getChildren()).find((n) => n.kind === 'worktree' && n.status.id === 'key-delete')!;
      await a.view.reveal(node, { select: true, focus: true });
      await exec('axiom.cleanup', FROM_VIEW);
      await waitFor(model, () => !model.find('key-delete'), 'key-delete cleaned up');
    });

    it('Enter on a file row opens its diff', async () => {
      const a = await api();
      const w = await spawnForTest('key-enter');
      commitFile(w.path, 'src/enter.txt', 'enter\n', 'key-enter: a file');
      await model.refreshNow();
      const node = await waitFor(model, async () => (await a.tree.getChildren()).find((n) => n.kind === 'worktree' && n.status.id === 'key-enter' && n.status.ahead === 1), 'key-enter with its commit');
      const [file] = await a.tree.getChildren(node);
      assert.equal(file?.kind, 'file');
      await a.view.reveal(file!, { select: true, focus: true });
      await exec('axiom.openTerminal', FROM_VIEW);
      await waitFor(model, () => vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputTextDiff, 'the diff of src/enter.txt');
      assert.match((vscode.window.tabGroups.activeTabGroup.activeTab!.input as vscode.TabInputTextDiff).modified.fsPath, /enter\.txt$/);
      assert.equal(a.terminals.find(model, 'key-enter'), undefined, 'no terminal was opened');
    });
  });

  describe('pickers that say what they are for', () => {
    it('Branch From Here… refuses an agent that is not installed before creating anything, as Spawn does', async () => {
      if (!model.find('menus')) {
        await spawnForTest('menus');
      }
      await setTerminalPath(pathWithOnly(BASIC_PROGRAMS));
      try {
        await assert.rejects(exec('axiom.branchFromHere', { id: 'menus', as: 'menus.1', agent: 'claude' }), (e) => errorCode(e) === 'AgentNotFound');
        await model.refreshNow();
        assert.equal(model.find('menus.1'), undefined, 'nothing was created');
      } finally {
        await setTerminalPath(undefined);
      }
    });

    it('every quick pick of the extension has a title', () => {
      const dir = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'src', 'extension');
      const untitled: string[] = [];
      for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
        const text = fs.readFileSync(path.join(dir, f), 'utf8');
        for (let at = text.indexOf('showQuickPick('); at >= 0; at = text.indexOf('showQuickPick(', at + 1)) {
          let depth = 0;
          let end = at + 'showQuickPick'.length;
          for (; end < text.length; end++) {
            if (text[end] === '(') depth++;
            else if (text[end] === ')' && --depth === 0) break;
          }
          const call = text.slice(at, end);
          // Invocation.pick's options type (TitledPickOptions) requires a title of every caller.
          const titledByType = f === 'invocation.ts' && call.includes('...options');
          if (!/\btitle\b/.test(call) && !titledByType) untitled.push(`${f}:${text.slice(0, at).split('\n').length}`);
        }
      }
      assert.deepEqual(untitled, []);
    });
  });

  describe('feedback', () => {
    it('Refresh shows its progress in the Instances view while it reads everything again', async () => {
      // The extension and its tests share one vscode API object: its withProgress is watched for the call.
      const w = vscode.window as { withProgress: typeof vscode.window.withProgress };
      const original = w.withProgress;
      const locations: unknown[] = [];
      w.withProgress = ((options, task) => {
        locations.push(options.location);
        return original(options, task);
      }) as typeof original;
      try {
        await exec('axiom.refresh');
      } finally {
        w.withProgress = original;
      }
      assert.deepEqual(locations, [{ viewId: 'axiom.instances' }]);
    });
  });

  describe('the last word of an agent in a terminal (no hooks)', () => {
    let scratch: string;

    before(async () => {
      scratch = fs.mkdtempSync(path.join(path.dirname(repoRoot()), 'glance-last-'));
      // Prints a lot (a long line without a newline, a progress bar), then its last word in colour with markup and a link, then blank lines, and exits.
      fs.writeFileSync(path.join(scratch, 'talking-agent.cjs'), [
        "for (let i = 0; i < 2000; i++) process.stdout.write('step ' + i + '\\n');",
        "process.stdout.write('x'.repeat(100 * 1024) + '\\n10%\\r50%\\r100%\\n');",
        "process.stdout.write('\\x1b[1;32mDone: **3 files** changed, see https://evil.example/x <img src=x> [y](https://evil.example) ' + 'z'.repeat(200) + '\\x1b[0m\\n\\n  \\n');",
        "require('node:fs').writeFileSync(require('node:path').join(process.argv[3], 'said-' + process.argv[2]), 'said');",
      ].join('\n'));
      await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', `node ${path.join(scratch, 'talking-agent.cjs')} {id} ${scratch}`, vscode.ConfigurationTarget.Global);
    });

    after(async () => {
      await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', undefined, vscode.ConfigurationTarget.Global);
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    it('a terminal agent that exits: its last line, plain and bounded, is second in the row and whole in the tooltip, escaped', async () => {
      await spawnForTest('last-word', { agent: 'custom', openTerminal: true });
      await waitForFile(path.join(scratch, 'said-last-word'));
      const said = await waitFor(model, () => {
        const s = model.find('last-word')?.agentState;
        return s?.phase === 'exited' && s.reason ? s : undefined;
      }, 'the agent\'s exit with its last line', 60_000);
      assert.equal(said.exitCode, 0);
      assert.ok(said.reason!.startsWith('Done: **3 files** changed, see https://evil.example/x <img src=x> [y](https://evil.example) zzz'), said.reason);
      assert.equal(said.reason!.length, 120, 'bounded, escapes stripped');
      assert.ok(said.reason!.endsWith('…'));
      const r = (await row('last-word'))!;
      const parts = String(r.item.description).split(' · ');
      assert.deepEqual([parts[0], parts[1]], ['done', 'Done: **3 files** changed, see…'], String(r.item.description));
      assert.equal(parts.at(-1), 'custom', 'the agent\'s name last, its state already said');
      const tip = (r.item.tooltip as vscode.MarkdownString).value;
      assert.ok(tip.includes('Agent: custom done — Done\\: \\*\\*3 files\\*\\* changed, see https\\://evil\\.example/x \\<img src\\=x\\> \\[y\\]\\(https\\://evil\\.example\\)'), tip);
      assert.doesNotMatch(tip, /[^\\]https:\/\//, 'no link an agent wrote');
    });
  });

  describe('what an operation removed takes its terminal with it', () => {
    let scratch: string;

    before(async () => {
      scratch = fs.mkdtempSync(path.join(path.dirname(repoRoot()), 'glance-agent-'));
      fs.writeFileSync(path.join(scratch, 'idle-agent.cjs'), "require('node:fs').writeFileSync(require('node:path').join(process.argv[3], 'ready-' + process.argv[2]), 'ready');\nsetInterval(() => {}, 1000);\n");
      await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', `node ${path.join(scratch, 'idle-agent.cjs')} {id} ${scratch}`, vscode.ConfigurationTarget.Global);
    });

    after(async () => {
      await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', undefined, vscode.ConfigurationTarget.Global);
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    it('a CLI cleanup of an instance whose terminal is open closes that terminal', async () => {
      const a = await api();
      await spawnForTest('cli-removed', { agent: 'custom', openTerminal: true });
      await waitForFile(path.join(scratch, 'ready-cli-removed'));
      const terminal = a.terminals.find(model, 'cli-removed');
      assert.ok(terminal, 'the agent runs in its terminal');
      let closed = false;
      const sub = vscode.window.onDidCloseTerminal((t) => {
        if (t === terminal) closed = true;
      });
      try {
        runCli(repoRoot(), 'cleanup', 'cli-removed', '--force');
        await waitFor(model, () => !model.find('cli-removed'), 'the model without cli-removed');
        await waitFor(model, () => closed, 'the terminal of cli-removed closed');
      } finally {
        sub.dispose();
      }
      assert.equal(a.terminals.find(model, 'cli-removed'), undefined);
    });
  });
});
