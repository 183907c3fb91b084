/**
 * Issue 21 in a real VS Code: a child made with Branch From Here… is revealed and selected even
 * under a collapsed parent; Compare With… shows a file that is in both attempts as a modification
 * (the same path on both sides), a file on one side only with no other side.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SpawnedInstance } from '../../src/core';
import type { CompareResult } from '../../src/extension/exploreCommands';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import type { Node } from '../../src/extension/tree';
import { api, cleanUpSpawned, commitFile, spawnForTest, theModel, waitFor } from './helpers';

const exec = <T>(command: string, args?: object): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, args));
const idOf = (n: Node): string | null => (n.kind === 'worktree' ? n.status.id : null);

describe('Rows and diffs (issue 21): Branch From Here reveals its child, Compare With shows modifications', () => {
  let model: RepositoryModel;
  const spawned: string[] = [];

  before(async () => {
    model = await theModel();
  });

  after(async () => {
    // Children first (a parent with a live child is not cleaned up).
    for (const id of spawned.reverse()) if (model.find(id)) await exec('axiom.cleanup', { id, force: true }).catch(() => undefined);
    await cleanUpSpawned();
  });

  it('Branch From Here… reveals and selects the new child, expanding its collapsed parent', async () => {
    const a = await api();
    await spawnForTest('rv');
    await vscode.commands.executeCommand('axiom.instances.focus');
    await vscode.commands.executeCommand('workbench.actions.treeView.axiom.instances.collapseAll');
    const expanded: string[] = [];
    const sub = a.view.onDidExpandElement((e) => expanded.push(idOf(e.element) ?? e.element.kind));
    try {
      await exec<SpawnedInstance>('axiom.branchFromHere', { id: 'rv', as: 'rv.1', openTerminal: false });
      spawned.push('rv.1');
      await waitFor(model, () => a.view.selection.some((n) => idOf(n) === 'rv.1'), 'the child rv.1 to be selected');
      assert.deepEqual(a.view.selection.map(idOf), ['rv.1'], 'the child alone is selected');
      assert.ok(expanded.includes('rv'), `its parent was expanded (expanded: ${expanded.join(', ') || 'none'})`);
    } finally {
      sub.dispose();
    }
  });

  it('Compare With…: a file in both attempts is a modification (same path both sides), a file in one only has no other side', async () => {
    const x = await spawnForTest('cmp-a');
    const y = await spawnForTest('cmp-b');
    commitFile(x.path, 'same.txt', 'version a\n', 'cmp-a: same');
    commitFile(x.path, 'only-a.txt', 'a only\n', 'cmp-a: only a');
    commitFile(y.path, 'same.txt', 'version b\n', 'cmp-b: same');
    commitFile(y.path, 'only-b.txt', 'b only\n', 'cmp-b: only b');
    await model.refreshNow();
    const c = await exec<CompareResult>('axiom.compareWith', { id: 'cmp-a', other: 'cmp-b' });
    const side = (file: string): { left: string | null; right: string | null } => c.sides!.find((s) => s.path === file)!;
    const same = side('same.txt');
    assert.ok(same.left && same.right, 'both sides');
    const left = vscode.Uri.parse(same.left);
    const right = vscode.Uri.parse(same.right);
    assert.equal(left.path, right.path, 'the same path on both sides: a modification, not a rename');
    assert.notEqual(left.toString(), right.toString());
    assert.equal((await vscode.workspace.openTextDocument(left)).getText(), 'version a\n', 'the left side is cmp-a\'s file');
    assert.equal((await vscode.workspace.openTextDocument(right)).getText(), 'version b\n');
    assert.equal(side('only-b.txt').left, null, 'added: no left side');
    assert.ok(side('only-b.txt').right);
    assert.equal(side('only-a.txt').right, null, 'deleted: no right side');
    assert.ok(side('only-a.txt').left);
  });
});
