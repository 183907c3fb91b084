/** An untrusted workspace: the tree lists, and no command, terminal or agent runs. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorCode, git, repoRoot, row, runCli, theModel, waitFor } from './helpers';

describe('Axiom Worktrees in an untrusted workspace', () => {
  // First: later tests run the CLI, which is trusted git and would start the repository's programs.
  it('lists a repository whose config names programs (fsmonitor, clean filter) without starting any', async () => {
    const repo = repoRoot();
    const canaries = path.join(path.dirname(repo), 'canaries');
    if (!fs.existsSync(canaries)) {
      // Not made by fixture.mjs --hostile (another launcher): configure the same programs now.
      fs.mkdirSync(canaries);
      const script = (name: string, body: string): string => {
        const file = path.join(path.dirname(repo), `${name}.sh`);
        fs.writeFileSync(file, `#!/bin/sh\ntouch '${canaries}/${name}'\n${body}\n`, { mode: 0o755 });
        return file;
      };
      fs.writeFileSync(path.join(repo, '.git', 'info', 'attributes'), '* filter=canary\n');
      git(repo, 'config', 'core.fsmonitor', script('fsmonitor', 'exit 1'));
      git(repo, 'config', 'filter.canary.clean', script('clean', 'cat'));
      git(repo, 'config', 'filter.canary.required', 'true');
      const future = new Date(Date.now() + 3_600_000);
      for (const f of git(repo, 'ls-files', '-z').split('\0').filter(Boolean)) fs.utimesSync(path.join(repo, f), future, future);
    }
    assert.deepEqual(fs.readdirSync(canaries), [], 'nothing ran before the test');
    const model = await theModel();
    const d = await vscode.commands.executeCommand<{ repositories: { untrustedGit: boolean }[] }>('axiom.diagnostics');
    assert.equal(d.repositories[0]!.untrustedGit, true, 'git runs in untrusted mode');
    // The tree lists (main row) and re-reads status after an edit: with the programs configured.
    fs.writeFileSync(path.join(repo, 'untracked.txt'), 'x\n');
    await vscode.commands.executeCommand('axiom.refresh');
    const main = await waitFor(model, () => model.worktrees().find((w) => w.kind === 'main' && w.changes.some((c) => c.path === 'untracked.txt')), 'the main row to show the edit');
    assert.ok(main.dirty);
    assert.deepEqual(fs.readdirSync(canaries), [], 'no canary: neither the fsmonitor hook nor the clean filter ran');
    // The control: plain git in this repository does start them (so the check above means something).
    git(repo, 'status', '--porcelain');
    assert.deepEqual(fs.readdirSync(canaries).sort(), ['clean', 'fsmonitor']);
    // Later tests run the (trusted) CLI here: leave a plain repository.
    git(repo, 'config', '--unset', 'core.fsmonitor');
    git(repo, 'config', '--remove-section', 'filter.canary');
    fs.rmSync(path.join(repo, 'untracked.txt'));
  });

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
      ['axiom.changeAgent', { id: 'listed', agent: 'custom', confirm: true }],
      ['axiom.openShell', { id: 'listed' }],
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

  it("runs none of the repository's setup commands (spawn, Retry Setup, a pending setup with a terminal request)", async () => {
    const repo = repoRoot();
    const model = await theModel();
    const canary = path.join(path.dirname(repo), 'setup-canary');
    git(repo, 'config', 'axiom.setup', `touch '${canary}'`);
    try {
      await model.engine.updateMetadata('listed', (m) => ({ ...m, launch: 'terminal', terminal: { requestedAt: new Date().toISOString() } }));
      fs.writeFileSync(
        path.join(model.find('listed')!.adminDir!, 'axiom-setup.json'),
        JSON.stringify({ state: 'pending', commands: [`touch '${canary}'`], exitCode: null, steps: [], logFile: path.join(model.find('listed')!.adminDir!, 'axiom-setup.log') }),
      );
      await model.refreshNow();
      for (const [command, args] of [
        ['axiom.spawn', { id: 'nope2', openTerminal: false }],
        ['axiom.retrySetup', { id: 'listed', openTerminal: false }],
        ['axiom.retrySetup', { id: 'listed' }],
      ] as const) {
        await assert.rejects(Promise.resolve(vscode.commands.executeCommand(command, args)), (e) => errorCode(e) === 'Untrusted', command);
      }
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(fs.existsSync(canary), false, 'no setup command ran');
      assert.equal(model.find('listed')?.setup?.state, 'pending');
    } finally {
      git(repo, 'config', '--unset-all', 'axiom.setup');
    }
  });

  it('runs no evaluation: neither Evaluate nor the automatic one of a finished race member; no race command works', async () => {
    const repo = repoRoot();
    const model = await theModel();
    const canary = path.join(path.dirname(repo), 'evaluation-canary');
    // A race whose member has no agent (finished at once) and whose evaluation would write the canary.
    const evaluate = `${JSON.stringify(process.execPath)} -e "require('fs').writeFileSync(process.argv[1], 'ran')" ${JSON.stringify(canary)}`;
    runCli(repo, 'race', 'untr', '--count', '1', '--launch', 'none', '--evaluate', evaluate);
    await waitFor(model, () => model.find('untr-1'), 'the race member');
    const attempts: [string, object][] = [
      ['axiom.evaluate', { id: 'untr-1' }],
      ['axiom.evaluate', { task: 'untr' }],
      ['axiom.explore', { task: 'again', prompt: 'p', evaluate }],
      ['axiom.landWinner', { task: 'untr', confirm: true }],
      ['axiom.landAllClean', { confirm: true }],
      ['axiom.branchFromHere', { id: 'untr-1', as: 'child' }],
      ['axiom.compareWith', { id: 'untr-1', other: 'listed' }],
      ['axiom.search', { search: 'untr-search', prompt: 'p', evaluate, agents: 'custom' }],
      ['axiom.stopSearch', { search: 'untr-search' }],
      ['axiom.continueSearch', { search: 'untr-search', attempts: 1 }],
      ['axiom.landSearch', { search: 'untr-search', confirm: true }],
      ['axiom.openSearchNode', { search: 'untr-search', node: 0 }],
      ['axiom.compareWithParent', { search: 'untr-search', node: 1 }],
    ];
    for (const [command, args] of attempts) {
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand(command, args)), (e) => errorCode(e) === 'Untrusted', command);
    }
    await vscode.commands.executeCommand('axiom.refresh');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(fs.existsSync(canary), false, 'the evaluation command never ran');
    assert.equal(git(repo, 'notes', '--ref=refs/notes/axiom', 'list'), '', 'no result was recorded');
  });
});
