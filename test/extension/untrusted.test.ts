/** An untrusted workspace: the tree lists, and no command, terminal or agent runs. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorCode, git, repoRoot, row, runCli, theModel, waitFor } from './helpers';

describe('Axiom Worktrees in an untrusted workspace', () => {
  it('lists worktrees made elsewhere', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const model = await theModel();
    runCli(repoRoot(), 'spawn', 'listed');
    const r = await waitFor(model, () => row('listed'), 'the CLI-made row');
    assert.match(r.status.branch ?? '', /^axiom\/listed\//);
  });

  it('refuses every command that runs something, and changes nothing', async () => {
    const repo = repoRoot();
    const refsBefore = git(repo, 'for-each-ref');
    const terminalsBefore = vscode.window.terminals.length;
    const attempts: [string, object][] = [
      ['axiom.spawn', { id: 'nope', openTerminal: true }],
      ['axiom.openTerminal', { id: 'listed' }],
      ['axiom.merge', { id: 'listed', confirm: true }],
      ['axiom.cleanup', { id: 'listed', force: true }],
      ['axiom.cleanupMerged', { confirm: true }],
      ['axiom.repair', {}],
      ['axiom.showChanges', { id: 'listed' }],
    ];
    for (const [command, args] of attempts) {
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand(command, args)), (e) => errorCode(e) === 'Untrusted', command);
    }
    assert.equal(git(repo, 'for-each-ref'), refsBefore);
    assert.ok(!fs.existsSync(path.join(path.dirname(repo), 'axiom-nope')));
    assert.equal(vscode.window.terminals.length, terminalsBefore);
  });

  it('does not open terminals that other processes request', async () => {
    const model = await theModel();
    await model.engine.updateMetadata('listed', (m) => ({ ...m, launch: 'terminal', terminal: { requestedAt: new Date().toISOString() } }));
    await model.refreshNow();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(model.find('listed')?.metadata?.terminal?.takenAt, undefined);
    assert.equal(vscode.window.terminals.filter((t) => t.name === 'listed').length, 0);
  });
});
