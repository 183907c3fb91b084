/**
 * The workbench as a new user meets it (issue 12), in a real VS Code on a real repository: rows in
 * words, natural order and sort keys, bulk actions on a selection, messages and review comments
 * reaching agents, restore keeping agent and prompt, and the wording of the contributions.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorktreeStatus } from '../../src/core';
import type { BulkCleanupResult, RestoreCommandResult } from '../../src/extension/cleanupCommands';
import type { BulkMergeResult, MergeCommandResult } from '../../src/extension/mergeCommand';
import type { SendResult } from '../../src/extension/agentMessages';
import type { SendReviewResult } from '../../src/extension/review';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import type { WorktreeNode } from '../../src/extension/tree';
import { Invocation } from '../../src/extension/invocation';
import { countProblem } from '../../src/extension/spawnCommand';
import { iconFor, ROW_STATE_ORDER, rowState } from '../../src/extension/presentation';
import { refusalLines } from '../../src/extension/refusals';
import { api, cleanUpSpawned, commitFile, EXTENSION_ID, errorCode, git, label, repoRoot, row, rows, runCli, spawnForTest, theModel, waitFor, waitForFile } from './helpers';

const exec = <T>(command: string, ...args: unknown[]): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));
const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('axiom');

/** A stand-in agent for the terminal: says it is ready, then appends every line it reads to inbox-<id>.txt. */
const INBOX_AGENT = `const fs = require('node:fs');
const path = require('node:path');
const [id, dir] = process.argv.slice(2);
const inbox = path.join(dir, 'inbox-' + id + '.txt');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => fs.appendFileSync(inbox, d));
fs.writeFileSync(path.join(dir, 'ready-' + id), 'ready');
console.log('stand-in agent ' + id + ' is listening');
setInterval(() => {}, 1000);
`;

describe('Workbench (issue 12): rows, order, bulk actions, messages to agents', () => {
  let model: RepositoryModel;
  let repo: string;
  let scratch: string;
  const spawned: string[] = [];

  const spawn = spawnForTest;
  const description = async (id: string): Promise<string> => String((await row(id))?.item.description ?? '');

  before(async () => {
    model = await theModel();
    repo = repoRoot();
    scratch = fs.mkdtempSync(path.join(path.dirname(repo), 'workbench-'));
    fs.writeFileSync(path.join(scratch, 'inbox-agent.cjs'), INBOX_AGENT);
    await config().update('maxInstances', 60, vscode.ConfigurationTarget.Global);
    await config().update('customAgentCommand', `node ${path.join(scratch, 'inbox-agent.cjs')} {id} ${scratch}`, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    for (const t of vscode.window.terminals) t.dispose();
    for (const id of spawned) if (model.find(id)) await exec('axiom.cleanup', { id, force: true }).catch(() => undefined);
    await cleanUpSpawned();
    for (const key of ['maxInstances', 'customAgentCommand', 'sortBy']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
  });

  describe('rows say what matters, in words', () => {
    it('no ↑0, no branch timestamp; "empty", then files that match the children, ahead in one arrow', async () => {
      const w = await spawn('words', { agent: 'codex', prompt: 'tidy up' });
      assert.equal(await description('words'), 'empty · codex not started');
      commitFile(w.path, 'src/words.txt', 'one\n', 'words: one');
      fs.writeFileSync(path.join(w.path, 'scratch.md'), 'draft\n');
      // Live updates are tested in extension.test.ts; here the words matter, so no waiting on the watcher.
      await model.refreshNow();
      let last = '';
      const d = await waitFor(model, async () => {
        last = await description('words');
        return last.startsWith('2 files, 1 uncommitted · ↑1') ? last : undefined;
      }, 'words: 2 files, 1 uncommitted, ↑1').catch((e: Error) => assert.fail(`${e.message} Last seen: ${last}`));
      assert.doesNotMatch(d, /↓0|↑0|axiom\/words\/\d/);
      assert.match(d, /codex not started$/);
      const a = await api();
      const node = (await a.tree.getChildren()).find((n) => n.kind === 'worktree' && n.status.id === 'words')!;
      assert.equal((await a.tree.getChildren(node)).length, 2, 'the row expands to the 2 files it counts');
    });

    it('conflicts with the base are said in words, not only by the icon', async () => {
      const w = await spawn('clashing');
      commitFile(w.path, 'src/app.txt', 'clashing version\n', 'clashing: app');
      commitFile(repo, 'src/app.txt', 'main version\n', 'main: app');
      const d = await waitFor(model, async () => {
        const x = await description('clashing');
        return x.startsWith('conflict') ? x : undefined;
      }, 'clashing: conflict');
      assert.match(d, /^conflict · 1 file · ↑1 ↓1/);
      assert.equal(iconFor(model.find('clashing')!).id, 'git-pull-request-closed');
    });

    it('after a squash merge the row says "landed (squash)", not ↑1 ↓1 · merged', async () => {
      const w = await spawn('squashed');
      commitFile(w.path, 'squashed.txt', 'squashed\n', 'squashed: work');
      const r = await exec<MergeCommandResult>('axiom.merge', { id: 'squashed', strategy: 'squash', confirm: true });
      assert.equal(r.outcome, 'merged');
      const d = await waitFor(model, async () => {
        const x = await description('squashed');
        return x.startsWith('landed') ? x : undefined;
      }, 'squashed: landed');
      assert.equal(d, 'landed (squash) · claude not started');
      const s = model.find('squashed')!;
      assert.ok(s.ahead === 1 && s.behind === 1, `git still counts ↑${s.ahead} ↓${s.behind}; the row does not show it`);
    });

    it('the main worktree is shown first as the base, not under "not made by Axiom"', async () => {
      const all = await rows();
      assert.equal(all[0]!.status?.kind, 'main');
      assert.equal(label(all[0]!.item), 'main');
      assert.match(String(all[0]!.item.description), /^base · /);
      assert.equal(all[0]!.item.contextValue, 'worktree-main');
      assert.ok(!all.some((r) => label(r.item) === 'Other worktrees'), 'no group without foreign worktrees');
      git(repo, 'worktree', 'add', '-q', '-b', 'hand-made', path.join(scratch, 'hand-made'));
      try {
        await model.refreshNow();
        const group = (await rows()).find((r) => label(r.item) === 'Other worktrees');
        assert.ok(group, 'a foreign worktree gets its own group');
        assert.equal(String(group.item.description), '1 · not made by Axiom');
      } finally {
        git(repo, 'worktree', 'remove', '--force', path.join(scratch, 'hand-made'));
        git(repo, 'branch', '-D', 'hand-made');
        await model.refreshNow();
      }
    });

    it('a spawning agent does not flicker starting → clean → working', async () => {
      const w = model.find('words')!;
      const at = (patch: Partial<WorktreeStatus>): string => iconFor({ ...w, changes: [], dirty: { staged: 0, unstaged: 0, untracked: 0, conflicted: 0 }, ...patch }).id;
      const now = new Date().toISOString();
      const meta = w.metadata!;
      // The sequence a terminal spawn goes through: requested, terminal opened (no event yet), first event.
      const icons = [
        at({ agentState: { phase: 'pending', lastActivity: null }, metadata: { ...meta, terminal: { requestedAt: now } } }),
        at({ agentState: { phase: 'unknown', lastActivity: null }, metadata: { ...meta, terminal: { requestedAt: now, takenAt: now } } }),
        at({ agentState: { phase: 'working', lastActivity: now, lastEvent: 'CommandStart' }, metadata: { ...meta, terminal: { requestedAt: now, takenAt: now } } }),
      ];
      assert.deepEqual(icons, ['loading~spin', 'loading~spin', 'sync~spin']);
      // Long after the terminal opened with no word from the agent, the row shows its git state again.
      const long = new Date(Date.now() - 120_000).toISOString();
      assert.notEqual(rowState({ ...w, agentState: { phase: 'unknown', lastActivity: null }, metadata: { ...meta, terminal: { requestedAt: long, takenAt: long } } }), 'starting');
    });

    it('a real terminal spawn: every icon the row shows until the agent works is "starting"', async () => {
      const seen: string[] = [];
      const sub = model.onDidChange(() => {
        const s = model.find('listener');
        if (s) seen.push(iconFor(s).id);
      });
      try {
        await exec('axiom.spawn', { id: 'listener', agent: 'custom' });
        spawned.push('listener');
        await waitForFile(path.join(scratch, 'ready-listener'));
        await waitFor(model, () => model.find('listener')?.agentState.phase === 'working', 'listener to be working', 20_000);
      } finally {
        sub.dispose();
      }
      assert.ok(seen.includes('sync~spin'), `icons seen: ${seen.join(' → ')}`);
      const untilWorking = seen.slice(0, seen.indexOf('sync~spin'));
      assert.ok(untilWorking.length > 0, `icons seen: ${seen.join(' → ')}`);
      assert.deepEqual([...new Set(untilWorking)], ['loading~spin'], `icons seen: ${seen.join(' → ')}`);
      assert.match(await description('listener'), /custom working$/);
    });
  });

  describe('order and bulk actions', () => {
    it('sorts naturally (x2 before x10) and by a chosen key', async () => {
      for (const id of ['x10', 'x2', 'x1']) {
        runCli(repo, 'spawn', id);
        spawned.push(id);
      }
      await waitFor(model, () => ['x1', 'x2', 'x10'].every((id) => model.find(id)), 'x1, x2, x10');
      const order = async (): Promise<string[]> => (await rows()).map((r) => r.status?.id).filter((id): id is string => !!id && /^x\d+$/.test(id));
      assert.deepEqual(await order(), ['x1', 'x2', 'x10']);
      assert.equal(await exec('axiom.sortBy', { sortBy: 'created' }), 'created');
      await waitFor(model, async () => (await order()).join() === 'x10,x2,x1', 'creation order');
      await exec('axiom.sortBy', { sortBy: 'state' });
      const states = (await rows()).filter((r) => r.status?.kind === 'instance').map((r) => rowState(r.status!));
      const ranks = states.map((st) => ROW_STATE_ORDER.indexOf(st));
      assert.deepEqual(ranks, [...ranks].sort((x, y) => x - y), `most urgent first: ${states.join(', ')}`);
      assert.ok(states.indexOf('conflicts') < states.indexOf('empty'), states.join(', '));
      await exec('axiom.sortBy', { sortBy: 'name' });
      assert.deepEqual(await order(), ['x1', 'x2', 'x10']);
    });

    it('a menu on a multi-selection acts on every selected instance, in view order', async () => {
      const a = await api();
      const nodes = (await a.tree.getChildren()).filter((n): n is WorktreeNode => n.kind === 'worktree' && /^x\d+$/.test(n.status.id ?? ''));
      assert.deepEqual(nodes.map((n) => n.status.id), ['x1', 'x2', 'x10']);
      // VS Code calls a row's menu command with (clicked row, selected rows); clicked x10, selected x10 and x1.
      const inv = new Invocation([nodes[2], [nodes[2], nodes[0]]]);
      assert.equal(inv.headless, false);
      const { statuses } = await inv.instances(a.repositories, 'test');
      assert.deepEqual(statuses.map((w) => w.id), ['x1', 'x10']);
      // The main worktree in a selection is not an instance: left out.
      const main = (await a.tree.getChildren()).find((n) => n.kind === 'worktree' && n.status.kind === 'main')!;
      assert.deepEqual((await new Invocation([main, [main, nodes[1]]]).instances(a.repositories, 'test')).statuses.map((w) => w.id), ['x2']);
    });

    it('bulk Clean Up: one run for all, the one that would lose work refused and listed', async () => {
      fs.writeFileSync(path.join(model.find('x2')!.path, 'keep-me.txt'), 'work\n');
      await model.refreshNow();
      const r = await exec<BulkCleanupResult>('axiom.cleanup', { ids: ['x10', 'x2', 'x1'], confirm: true });
      assert.deepEqual(r.cleaned.map((c) => c.id), ['x1', 'x10'], 'in view order');
      assert.deepEqual(r.refused.map((x) => [x.id, x.code]), [['x2', 'DirtyWorktree']]);
      assert.ok(model.find('x2'), 'the refused one stays');
      assert.ok(fs.existsSync(path.join(model.find('x2')!.path, 'keep-me.txt')));
      assert.equal(model.find('x1'), undefined);
      assert.equal(model.find('x10'), undefined);
      const unconfirmed = await exec<BulkCleanupResult>('axiom.cleanup', { ids: ['x2'] }).catch((e: Error) => e);
      assert.ok(unconfirmed instanceof Error && unconfirmed.name === 'Cancelled', 'no confirmation, nothing happens');
    });

    it('bulk Merge merges in view order and lists what it skipped', async () => {
      for (const id of ['m-b', 'm-a', 'm-c']) {
        const w = await spawn(id);
        commitFile(w.path, `${id}.txt`, `${id}\n`, `${id}: work`);
      }
      const empty = await spawn('m-empty');
      await model.refreshNow();
      const r = await exec<BulkMergeResult>('axiom.merge', { ids: ['m-c', 'm-empty', 'm-a', 'm-b'], strategy: 'merge', confirm: true });
      assert.deepEqual(r.merged.map((m) => m.id), ['m-a', 'm-b', 'm-c'], 'view order (by name), not the order given');
      assert.deepEqual(r.skipped.map((x) => [x.id, x.code]), [[empty.id, 'NothingToMerge']]);
      // The merge commits on main, oldest first: the order they were merged in.
      const merges = git(repo, 'log', '--first-parent', '--reverse', '--format=%s', '-3', 'main').trim().split('\n');
      assert.deepEqual(merges.map((m) => /instance (m-[a-c])/.exec(m)?.[1]), ['m-a', 'm-b', 'm-c'], merges.join('\n'));
    });

    it('Clean Up Merged also offers empty instances (no commits, no changes)', async () => {
      const r = await exec<BulkCleanupResult>('axiom.cleanupMerged', { confirm: true });
      const cleaned = r.cleaned.map((c) => c.id);
      for (const id of ['m-a', 'm-b', 'm-c', 'squashed', 'm-empty']) assert.ok(cleaned.includes(id), `${id} cleaned (${cleaned.join(', ')})`);
      assert.ok(!cleaned.includes('x2') && !cleaned.includes('clashing'), 'work at risk stays');
      assert.ok(!cleaned.includes('listener'), 'an empty instance whose agent is working is not cleaned');
    });

    it('Send to Agents… types one message into two running agents, and says which got none', async () => {
      await exec('axiom.spawn', { id: 'listener-2', agent: 'custom' });
      spawned.push('listener-2');
      await waitForFile(path.join(scratch, 'ready-listener-2'));
      const r = await exec<SendResult>('axiom.sendToAgents', { ids: ['listener', 'listener-2', 'x2'], text: 'Please run the tests\nbefore you commit' });
      assert.deepEqual(r.delivered.sort(), ['listener', 'listener-2']);
      assert.deepEqual(r.refused.map((x) => x.id), ['x2']);
      assert.match(r.refused[0]!.reason, /no agent terminal/);
      for (const id of ['listener', 'listener-2']) {
        const inbox = await waitForFile(path.join(scratch, `inbox-${id}.txt`));
        assert.equal(inbox.trim(), 'Please run the tests before you commit', 'one line: a newline would send half a message');
      }
    });
  });

  describe('review comments reach the agent', () => {
    it('a comment on a line of the instance\'s diff is sent to its agent with file and line', async () => {
      const a = await api();
      const listener = model.find('listener')!;
      fs.writeFileSync(path.join(listener.path, 'src', 'app.txt'), 'first\nsecond\nthird\n');
      const file = vscode.Uri.file(path.join(listener.path, 'src', 'app.txt'));
      assert.ok(a.review.ownerOf(file), 'files of an instance take comments');
      assert.equal(a.review.ownerOf(vscode.Uri.file(path.join(repo, 'README.md'))), undefined, 'files of the main worktree do not');
      const thread = a.review.controller.createCommentThread(file, new vscode.Range(1, 0, 1, 0), []);
      await exec('axiom.addReviewComment', { thread, text: 'Say why this line is here' });
      assert.equal(thread.comments.length, 1);
      assert.equal(thread.contextValue, 'axiom-review-pending');
      const other = a.review.controller.createCommentThread(file, new vscode.Range(2, 0, 2, 0), []);
      await exec('axiom.addReviewComment', { thread: other, text: 'Drop this one' });
      const r = await exec<SendReviewResult>('axiom.sendReview', { id: 'listener' });
      assert.equal(r.comments, 2);
      const inbox = await waitFor(model, () => {
        const t = fs.readFileSync(path.join(scratch, 'inbox-listener.txt'), 'utf8');
        return t.includes('Review comments') ? t : undefined;
      }, 'the review in the agent\'s input');
      assert.match(inbox, /Review comments on your changes — src\/app\.txt line 2: Say why this line is here \| src\/app\.txt line 3: Drop this one/);
      assert.equal(thread.contextValue, 'axiom-review-sent');
      await assert.rejects(exec('axiom.sendReview', { id: 'listener' }), (e) => errorCode(e) === 'NotFound', 'nothing left to send');
    });

    it('a review for an instance without a running agent is refused and the comments stay', async () => {
      const a = await api();
      const x2 = model.find('x2')!;
      const thread = a.review.controller.createCommentThread(vscode.Uri.file(path.join(x2.path, 'keep-me.txt')), new vscode.Range(0, 0, 0, 0), []);
      await exec('axiom.addReviewComment', { thread, text: 'Commit this' });
      await assert.rejects(exec('axiom.sendReview', { id: 'x2' }), (e) => errorCode(e) === 'AgentNotRunning');
      assert.equal(thread.contextValue, 'axiom-review-pending');
      thread.dispose();
    });
  });

  describe('prompts that say things before it is too late', () => {
    it('Spawn Several refuses a count over the limit before spawning any, and says how many are free', async () => {
      const live = model.instances().length;
      await config().update('maxInstances', live + 2, vscode.ConfigurationTarget.Global);
      try {
        await assert.rejects(exec('axiom.spawnMany', { id: 'over', count: 3, openTerminal: false }), (e: Error) => errorCode(e) === 'LimitReached' && /2 free/.test(e.message));
        assert.equal(model.find('over-1'), undefined, 'nothing was spawned');
        const room = { limit: 10, live: 7, free: 3 };
        assert.equal(countProblem('3', room), null);
        assert.match(countProblem('50', room)!, /50 is more than the 3 free: the limit is 10 live instances and 7 are live/);
        assert.match(countProblem('1', { limit: 10, live: 10, free: 0 })!, /No room/);
      } finally {
        await config().update('maxInstances', 60, vscode.ConfigurationTarget.Global);
      }
    });

    it('Merge says "nothing to merge" before asking for a strategy', async () => {
      const w = await spawn('nothing-yet');
      // An invalid strategy would be refused by the strategy question: the earlier refusal wins.
      await assert.rejects(exec('axiom.merge', { id: w.id, strategy: 'octopus' }), (e: Error) => errorCode(e) === 'NothingToMerge' && /no commits and no changes/.test(e.message));
    });

    it('the cleanup refusal lists files in words, not git letters', async () => {
      const x2 = model.find('x2')!;
      fs.writeFileSync(path.join(x2.path, 'README.md'), 'changed\n');
      await model.refreshNow();
      const error = await model.engine.cleanup('x2').then(
        () => assert.fail('x2 has work: the cleanup must be refused'),
        (e: unknown) => e as import('../../src/core').AxiomError,
      );
      const lines = refusalLines(error, model.find('x2'));
      assert.ok(lines.includes('• keep-me.txt — untracked'), lines.join('\n'));
      assert.ok(lines.includes('• README.md — modified'), lines.join('\n'));
      assert.ok(!lines.some((l) => /^\s*[?M] /.test(l)), lines.join('\n'));
    });

    it('Restore Salvaged… brings back the agent and prompt, and can drop the salvage ref', async () => {
      const w = await spawn('salvaged', { agent: 'gemini', prompt: 'Write the docs\nfor everything' });
      fs.writeFileSync(path.join(w.path, 'draft.md'), 'draft\n');
      const cleaned = await exec<{ salvageRef: string }>('axiom.cleanup', { id: 'salvaged', force: true });
      const restored = await exec<RestoreCommandResult>('axiom.restoreSalvage', { salvage: cleaned.salvageRef, dropSalvage: true });
      assert.equal(restored.metadata.agent, 'gemini');
      assert.equal(restored.metadata.prompt, 'Write the docs\nfor everything');
      assert.equal(restored.salvageDropped, true);
      assert.equal(git(repo, 'for-each-ref', cleaned.salvageRef).trim(), '', 'the salvage ref is gone');
      assert.equal(fs.readFileSync(path.join(restored.path, 'draft.md'), 'utf8'), 'draft\n');
    });
  });

  describe('where things are offered, and what they are called', () => {
    it('Reveal in File Manager is hidden in the browser and refused there with a way out', async () => {
      const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as PackageJson;
      const reveal = Object.values(pkg.contributes.menus).flat().find((m) => m.command === 'axiom.revealInOS')!; // in the row's Open ▸ submenu
      assert.match(reveal.when, /!isWeb && !remoteName/);
      assert.equal(vscode.env.uiKind, vscode.UIKind.Web, 'code-server is a browser window');
      await assert.rejects(exec('axiom.revealInOS', { id: 'x2' }), (e: Error) => /works only in a desktop window/.test(e.message) && !/not found/.test(e.message));
    });

    it('command titles have no slashes or parentheses, the category is the display name, "instance" is explained', async () => {
      const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as PackageJson;
      for (const c of pkg.contributes.commands) {
        assert.doesNotMatch(c.title, /[/()]/, c.command);
        assert.equal(c.category, pkg.displayName, c.command);
      }
      assert.ok(pkg.contributes.commands.some((c) => c.command === 'axiom.repair' && c.title === 'Repair Worktrees'));
      assert.ok(pkg.contributes.viewsWelcome.some((v) => v.contents.includes('instance (agent worktree)')));
    });

    it('the activity-bar glyph is Axiom\'s own: monochrome, tinted by the theme', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const pkg = ext.packageJSON as PackageJson;
      const icon = pkg.contributes.viewsContainers.activitybar.find((c) => c.id === 'axiom')!.icon;
      const svg = fs.readFileSync(path.join(ext.extensionPath, icon), 'utf8');
      const colours = [...svg.matchAll(/(?:fill|stroke|color)="([^"]+)"/g)].map((m) => m[1]);
      assert.ok(colours.length > 0);
      for (const c of colours) assert.ok(c === 'currentColor' || c === 'none', `only currentColor: ${c}`);
      assert.doesNotMatch(svg, /<circle/, 'no commit dots: that is Source Control\'s glyph');
    });

    it('Instance Actions… runs an action on the instance', async () => {
      const r = await exec<string>('axiom.instanceActions', { id: 'words', action: 'axiom.showChanges' });
      assert.equal(r, 'axiom.showChanges');
      const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label);
      assert.ok(tabs.some((t) => t.startsWith('words ↔ main')), tabs.join(' | '));
    });
  });
});

interface PackageJson {
  displayName: string;
  contributes: {
    commands: { command: string; title: string; category: string }[];
    menus: Record<string, { command: string; when: string }[]>;
    viewsWelcome: { contents: string }[];
    viewsContainers: { activitybar: { id: string; icon: string }[] };
  };
}
