/**
 * The extension in a real VS Code on a real repository (the workspace folder): commands are driven
 * with their argument objects (the test seam) and the results are checked on the model, the tree
 * and on disk with git itself.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CleanupResult, MergeStrategy, SpawnedInstance } from '../../src/core';
import type { MergeCommandResult } from '../../src/extension/mergeCommand';
import { changeResources } from '../../src/extension/diffs';
import type { SpawnCommandResult } from '../../src/extension/spawnCommand';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import { api, closeEditorsWithoutSaving, commitFile, errorCode, git, label, measure, row, rows, runCli, testWorkspace, waitFor, waitForFile } from './helpers';

const exec = <T>(command: string, args?: object): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, args));

describe('Axiom Worktrees in VS Code', () => {
  let model: RepositoryModel;
  let repo: string;
  let scratch: string;

  before(async () => {
    ({ model, repo, scratch } = await testWorkspace('scratch-'));
    // An explicit VS Code setting is passed to the engine (git config's default limit is 10).
    await vscode.workspace.getConfiguration('axiom').update('maxInstances', 40, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('axiom').update('maxInstances', undefined, vscode.ConfigurationTarget.Global);
  });

  it('activates quickly and reports its activation time', async () => {
    const d = await exec<{ activationMs: number; readyMs: number; trusted: boolean; repositories: { root: string }[] }>('axiom.diagnostics');
    assert.ok(d.activationMs > 0, 'activation time is measured');
    assert.ok(d.readyMs >= d.activationMs, 'the first snapshot comes after activation');
    assert.equal(d.trusted, true);
    assert.equal(d.repositories.length, 1);
    assert.equal(d.repositories[0]!.root, repo);
    measure('activation', d.activationMs);
    measure('activation-to-first-snapshot', d.readyMs);
  });

  it('spawn → a row with branch axiom/<id>/…', async () => {
    const r = await exec<SpawnCommandResult>('axiom.spawn', { id: 'alpha', openTerminal: false, prompt: 'do it' });
    assert.match(r.branch, /^axiom\/alpha\/\d+$/);
    assert.ok(fs.existsSync(path.join(r.path, 'README.md')), 'the worktree is checked out');
    const found = await row('alpha');
    assert.ok(found, 'the tree shows alpha without a refresh');
    assert.equal(label(found.item), 'alpha');
    // No commits, no changes, its agent not started yet (no terminal): said in words, no branch timestamp.
    assert.equal(String(found.item.description), 'empty · claude not started');
    assert.equal(found.item.contextValue, 'instance');
    assert.equal(found.status.base, 'main');
    assert.equal(found.status.prompt, 'do it');
  });

  it('an invalid id is refused before anything touches disk', async () => {
    await assert.rejects(exec('axiom.spawn', { id: 'Bad Id', openTerminal: false }), (e) => errorCode(e) === 'InvalidId');
    assert.equal((await rows()).filter((r) => r.status?.id === 'Bad Id').length, 0);
  });

  it('Spawn Several Instances makes <prefix>-1 … <prefix>-N rows, refuses a taken prefix, and they clean up', async () => {
    const made = await exec<SpawnCommandResult[]>('axiom.spawnMany', { id: 'batch', count: 3, openTerminal: false });
    assert.deepEqual(made.map((m) => m.id), ['batch-1', 'batch-2', 'batch-3']);
    for (const m of made) {
      assert.match(m.branch, new RegExp(`^axiom/${m.id}/\\d+$`));
      assert.ok(fs.existsSync(path.join(m.path, 'README.md')));
      assert.ok(await waitFor(model, async () => row(m.id), `row ${m.id}`));
    }
    await assert.rejects(exec('axiom.spawnMany', { id: 'batch', count: 2, openTerminal: false }), (e) => errorCode(e) === 'AlreadyExists');
    await assert.rejects(exec('axiom.spawnMany', { id: 'batch2', count: 0, openTerminal: false }), (e) => errorCode(e) === 'InvalidArgument');
    assert.equal(model.find('batch2-1'), undefined);
    for (const m of made) await exec('axiom.cleanup', { id: m.id });
    for (const m of made) assert.equal(fs.existsSync(m.path), false);
  });

  it('an edit in a worktree makes its row dirty without Refresh', async () => {
    const alpha = model.find('alpha')!;
    assert.equal(alpha.changes.length, 0);
    const started = performance.now();
    fs.writeFileSync(path.join(alpha.path, 'notes.txt'), 'an agent was here\n');
    const dirty = await waitFor(model, async () => {
      const r = await row('alpha');
      return r && r.status.changes.length === 1 && String(r.item.description).includes('1 uncommitted file') ? r : undefined;
    }, 'alpha to show 1 uncommitted file');
    const latency = performance.now() - started;
    measure('edit-to-dirty', latency);
    assert.equal(dirty.status.changes[0]!.path, 'notes.txt');
  });

  it('a commit in a worktree moves ↑ahead without Refresh', async () => {
    const alpha = model.find('alpha')!;
    commitFile(alpha.path, 'src/feature.txt', 'feature\n', 'alpha: add feature');
    const r = await waitFor(model, async () => {
      const x = await row('alpha');
      return x && x.status.ahead === 1 && String(x.item.description).startsWith('2 files, 1 uncommitted · ↑1 · ') ? x : undefined;
    }, 'alpha to be 1 ahead');
    assert.equal(r.status.lastCommit?.subject, 'alpha: add feature');
  });

  it('a spawn by the CLI in another process appears as a row', async () => {
    const started = performance.now();
    runCli(repo, 'spawn', 'cli-made');
    const r = await waitFor(model, () => row('cli-made'), 'the CLI-made instance to appear');
    measure('cli-spawn-to-row', performance.now() - started);
    assert.match(r.status.branch ?? '', /^axiom\/cli-made\//);
  });

  it('Open Terminal runs the agent in the worktree (custom command writes a marker)', async () => {
    const marker = path.join(scratch, 'marker-term');
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', `sh -c "pwd > ${marker}-$0" {id}`, vscode.ConfigurationTarget.Global);
    const r = await exec<SpawnCommandResult>('axiom.spawn', { id: 'term', agent: 'custom' });
    assert.equal(r.terminal, 'term');
    assert.ok(vscode.window.terminals.some((t) => t.name === 'term'), 'a terminal named after the id');
    const cwd = (await waitForFile(`${marker}-term`)).trim();
    assert.equal(fs.realpathSync(cwd), fs.realpathSync(r.path));
    const again = await exec<{ created: boolean }>('axiom.openTerminal', { id: 'term' });
    assert.equal(again.created, false, 'the open terminal is reused');
    assert.equal(vscode.window.terminals.filter((t) => t.name === 'term').length, 1);
    // Open Terminal resolves once the model shows the launch as taken (no refresh to wait for).
    assert.ok(model.find('term')!.metadata!.terminal?.takenAt, 'the launch is recorded as taken');
  });

  it('shell integration reports the phase of an agent without hooks (command end → exited)', async () => {
    const state = await waitFor(model, () => {
      const a = model.find('term')?.agentState;
      return a?.lastEvent === 'CommandEnd' ? a : undefined;
    }, 'a CommandEnd event from shell integration', 60_000);
    assert.equal(state.phase, 'exited');
    assert.equal(state.exitCode, 0);
  });

  it('types lines queued in axiom-terminal-input.jsonl into the terminal', async () => {
    const term = model.find('term')!;
    const marker = path.join(scratch, 'marker-input');
    fs.appendFileSync(path.join(term.adminDir!, 'axiom-terminal-input.jsonl'), JSON.stringify({ text: `pwd > ${marker}`, at: new Date().toISOString() }) + '\n');
    const cwd = (await waitForFile(marker)).trim();
    assert.equal(fs.realpathSync(cwd), fs.realpathSync(term.path));
    assert.ok(!fs.existsSync(path.join(term.adminDir!, 'axiom-terminal-input.jsonl')), 'the queue file was taken');
  });

  it('opens a terminal another process requested through metadata', async () => {
    const r = await exec<SpawnCommandResult>('axiom.spawn', { id: 'requested', agent: 'custom', openTerminal: false });
    assert.equal(vscode.window.terminals.filter((t) => t.name === 'requested').length, 0);
    await model.engine.updateMetadata('requested', (m) => ({ ...m, launch: 'terminal', terminal: { requestedAt: new Date().toISOString() } }));
    const cwd = (await waitForFile(path.join(scratch, 'marker-term-requested'))).trim();
    assert.equal(fs.realpathSync(cwd), fs.realpathSync(r.path));
    const taken = await waitFor(model, () => model.find('requested')?.metadata?.terminal?.takenAt, 'takenAt to be recorded');
    assert.ok(taken);
  });

  it('Show Changes opens the multi-file diff against the merge-base', async () => {
    const r = await exec<{ files: number; mergeBase: string }>('axiom.showChanges', { id: 'alpha' });
    assert.equal(r.files, 2, 'src/feature.txt (committed) and notes.txt (untracked)');
    assert.equal(r.mergeBase, git(repo, 'rev-parse', 'main').trim());
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    assert.ok(tabs.some((t) => t.label.startsWith('alpha ↔ main')), `a multi-diff tab (tabs: ${tabs.map((t) => t.label).join(' | ')})`);
    // Its rows: a file alpha added has no left side (not an empty document with a removed line 1).
    const rows = changeResources(model, model.find('alpha')!.path, await model.engine.diff('alpha'));
    const added = rows.filter(([file]) => /feature\.txt$|notes\.txt$/.test(file.fsPath));
    assert.equal(added.length, 2);
    for (const [file, left, right] of added) {
      assert.equal(left, undefined, `${file.fsPath}: added, no left side`);
      assert.equal(right?.fsPath, file.fsPath);
    }
  });

  it('a changed file child row opens a diff whose base side comes from the merge-base', async () => {
    const a = await api();
    const alphaRow = (await a.tree.getChildren()).find((n) => n.kind === 'worktree' && n.status.id === 'alpha')!;
    const children = await a.tree.getChildren(alphaRow);
    assert.deepEqual(children.map((c) => (c.kind === 'file' ? c.file : '')).sort(), ['notes.txt', 'src/feature.txt']);
    commitFile(repo, 'README.md', '# fixture\nchanged on main\n', 'main: readme');
    fs.appendFileSync(path.join(model.find('alpha')!.path, 'README.md'), 'alpha line\n');
    await model.refreshNow();
    await exec('axiom.openFileDiff', { id: 'alpha', file: 'README.md' });
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputTextDiff, 'a diff editor');
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal(input.original.scheme, 'axiom-base');
    const base = await vscode.workspace.openTextDocument(input.original);
    assert.equal(base.getText(), git(repo, 'show', `${git(repo, 'merge-base', 'main', model.find('alpha')!.head!).trim()}:README.md`));
    assert.ok(!base.getText().includes('changed on main'), 'the base side is the merge-base, not main');
  });

  for (const strategy of ['merge', 'squash', 'rebase', 'cherry-pick'] as MergeStrategy[]) {
    it(`merge (${strategy}) lands the instance's work on main`, async () => {
      const id = `m-${strategy}`;
      const spawned = await exec<SpawnedInstance>('axiom.spawn', { id, openTerminal: false });
      commitFile(spawned.path, `${id}.txt`, `${strategy}\n`, `${id}: work`);
      const before = git(repo, 'rev-parse', 'main').trim();
      const cancelled = await exec<MergeCommandResult>('axiom.merge', { id, strategy });
      assert.equal(cancelled.outcome, 'cancelled', 'no confirmation → nothing happens');
      assert.equal(git(repo, 'rev-parse', 'main').trim(), before);
      const r = await exec<MergeCommandResult>('axiom.merge', { id, strategy, confirm: true });
      assert.equal(r.outcome, 'merged');
      assert.notEqual(git(repo, 'rev-parse', 'main').trim(), before);
      assert.equal(git(repo, 'show', `main:${id}.txt`), `${strategy}\n`);
      assert.equal(fs.readFileSync(path.join(repo, `${id}.txt`), 'utf8'), `${strategy}\n`, 'main worktree updated');
      if (strategy !== 'squash') assert.match(git(repo, 'log', '--format=%s', 'main'), new RegExp(`^${id}: work$`, 'm'));
      // A squash without a message typed takes the one its input box offers, prefilled.
      else assert.match(git(repo, 'log', '-1', '--format=%s', 'main').trim(), new RegExp(`^${id}: squash 1 commit from axiom/${id}/\\d+$`));
      const merged = await waitFor(model, () => model.find(id)?.merged, `${id} to show as merged`);
      assert.ok(merged);
      assert.match(String((await row(id))!.item.description), new RegExp(`^landed \\(${strategy}\\)`));
    });
  }

  it('merge with uncommitted work commits it all first when given a message', async () => {
    const spawned = await exec<SpawnedInstance>('axiom.spawn', { id: 'wip', openTerminal: false });
    fs.writeFileSync(path.join(spawned.path, 'wip.txt'), 'unfinished\n');
    assert.equal((await exec<MergeCommandResult>('axiom.merge', { id: 'wip', confirm: true })).outcome, 'cancelled');
    const r = await exec<MergeCommandResult>('axiom.merge', { id: 'wip', confirm: true, commitMessage: 'wip: everything' });
    assert.equal(r.outcome, 'merged');
    assert.equal(git(repo, 'show', 'main:wip.txt'), 'unfinished\n');
  });

  it('a conflicting merge says which files and leaves main byte-identical', async () => {
    const spawned = await exec<SpawnedInstance>('axiom.spawn', { id: 'clash', openTerminal: false });
    commitFile(spawned.path, 'README.md', '# fixture\nclash version\n', 'clash: readme');
    commitFile(repo, 'README.md', '# fixture\nmain version\n', 'main: readme again');
    const snapshotOfMain = (): string => git(repo, 'rev-parse', 'main') + git(repo, 'status', '--porcelain=v2', '--untracked-files=all') + fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
    const before = snapshotOfMain();
    for (const strategy of ['merge', 'squash', 'rebase', 'cherry-pick'] as MergeStrategy[]) {
      const r = await exec<MergeCommandResult>('axiom.merge', { id: 'clash', strategy, confirm: true });
      assert.equal(r.outcome, 'conflicts', strategy);
      if (r.outcome === 'conflicts') assert.deepEqual(r.conflicts, ['README.md']);
      assert.equal(snapshotOfMain(), before, `main unchanged after a ${strategy} conflict`);
    }
    const row = await waitFor(model, () => model.find('clash')?.conflictsWithBase, 'the row to show the conflict');
    assert.ok(row);
  });

  it('"Open in Merge Editor" leaves the merge in progress in main for the user', async () => {
    const r = await exec<MergeCommandResult>('axiom.merge', { id: 'clash', strategy: 'merge', confirm: true, onConflict: 'open' });
    assert.equal(r.outcome, 'conflictLeft');
    assert.ok(fs.existsSync(path.join(repo, '.git', 'MERGE_HEAD')), 'a merge is in progress in the main worktree');
    assert.match(fs.readFileSync(path.join(repo, 'README.md'), 'utf8'), /^<<<<<<< /m);
    // Close the merge editor without saving before the merge is aborted: its result document must not
    // be written back into main later.
    await closeEditorsWithoutSaving();
    git(repo, 'merge', '--abort');
    assert.equal(git(repo, 'status', '--porcelain'), '');
  });

  it('cleanup of a dirty instance is refused; forced cleanup keeps a salvage ref; restore brings it back', async () => {
    const spawned = await exec<SpawnedInstance>('axiom.spawn', { id: 'dirty', openTerminal: false });
    fs.writeFileSync(path.join(spawned.path, 'precious.txt'), 'do not lose me\n');
    await assert.rejects(exec('axiom.cleanup', { id: 'dirty' }), (e) => errorCode(e) === 'DirtyWorktree');
    assert.ok(fs.existsSync(path.join(spawned.path, 'precious.txt')), 'nothing was removed');

    const cleaned = await exec<CleanupResult>('axiom.cleanup', { id: 'dirty', force: true });
    assert.match(cleaned.salvageRef ?? '', /^refs\/axiom\/salvage\/dirty\//);
    assert.ok(!fs.existsSync(spawned.path), 'the worktree folder is gone');
    assert.equal(git(repo, 'rev-parse', '--verify', cleaned.salvageRef!).trim().length, 40);
    await waitFor(model, async () => !(await row('dirty')), 'the row to disappear');

    const restored = await exec<SpawnedInstance>('axiom.restoreSalvage', { salvage: 'dirty' });
    assert.equal(restored.id, 'dirty');
    assert.equal(fs.readFileSync(path.join(restored.path, 'precious.txt'), 'utf8'), 'do not lose me\n');
    const back = await waitFor(model, () => row('dirty'), 'the restored row');
    assert.equal(back.status.changes.length, 1);
  });

  it('Clean Up Merged Instances removes exactly the merged ones (and the empty ones nobody works in)', async () => {
    await model.refreshNow();
    const mergedIds = model.instances().filter((w) => w.merged && w.changes.length === 0).map((w) => w.id!).sort();
    const idle = (w: { agentState: { phase: string } }): boolean => !['starting', 'pending', 'working', 'waiting'].includes(w.agentState.phase);
    const emptyIds = model.instances().filter((w) => !w.merged && w.ahead === 0 && w.changes.length === 0 && idle(w)).map((w) => w.id!);
    assert.ok(mergedIds.length >= 4, `merged: ${mergedIds.join(', ')}`);
    const r = await exec<{ cleaned: { id: string }[] }>('axiom.cleanupMerged', { confirm: true });
    assert.deepEqual(r.cleaned.map((c) => c.id).sort(), [...mergedIds, ...emptyIds].sort());
    for (const id of mergedIds) assert.equal(model.find(id), undefined);
    assert.ok(model.find('alpha'), 'unmerged instances stay');
  });

  it('the Show Log channel has every git command at trace level, and Repair runs', async () => {
    const report = await exec<{ pruned: string[] }>('axiom.repair', {});
    assert.deepEqual(report.pruned, []);
    const d = await exec<{ repositories: { gitProcesses: number; watchedWorktrees: string[] }[] }>('axiom.diagnostics');
    assert.ok(d.repositories[0]!.gitProcesses > 0);
    assert.ok(d.repositories[0]!.watchedWorktrees.length >= 3, 'one watcher per worktree folder');
  });
});
