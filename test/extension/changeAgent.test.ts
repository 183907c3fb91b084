/**
 * Failed to start (issue 21), in a real VS Code: the notification offers Change Agent… (not the
 * Open Terminal that fails again), Change Agent… starts the new agent in the instance's terminal
 * (stopping a running one only when the person agrees), Open Shell Here opens a plain shell.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { appendAgentEvent, AxiomError } from '../../src/core';
import { withWaysOut, type ChangeAgentCommandResult } from '../../src/extension/changeAgentCommand';
import { ActionableError } from '../../src/extension/commandWrapper';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import { api, BASIC_PROGRAMS, errorCode, pathWithOnly, row, runCli, setTerminalPath, testWorkspace, waitFor, waitForFile } from './helpers';

const exec = <T>(command: string, args?: object): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, args));

describe('Change Agent, Open Shell Here (issue 21: failed to start)', () => {
  let model: RepositoryModel;
  let repo: string;
  let scratch: string;

  before(async () => {
    ({ model, repo, scratch } = await testWorkspace('change-agent-'));
    // No agent program on the terminals' PATH: claude cannot start.
    await setTerminalPath(pathWithOnly(BASIC_PROGRAMS));
  });

  after(async () => {
    for (const t of vscode.window.terminals) t.dispose();
    await setTerminalPath(undefined);
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', undefined, vscode.ConfigurationTarget.Global);
    for (const id of ['fts', 'fts-cli']) if (model.find(id)) await exec('axiom.cleanup', { id, force: true }).catch(() => undefined);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('an agent that failed to start: the notification offers Change Agent…, which starts the agent picked in the instance\'s terminal', async () => {
    const a = await api();
    runCli(repo, 'spawn', 'fts', '--agent', 'claude');
    await waitFor(model, () => model.find('fts'), 'the CLI-made row');
    await assert.rejects(exec('axiom.openTerminal', { id: 'fts' }), (e) => errorCode(e) === 'AgentNotFound');
    // Its error message offers the ways out too (not Open Terminal again).
    const refusal = withWaysOut(new AxiomError('AgentNotFound', 'claude was not found'), model, model.find('fts')!);
    assert.ok(refusal instanceof ActionableError);
    assert.deepEqual(refusal.actions.map((x) => x.title), ['Change Agent…', 'Open Shell Here']);
    const notice = await waitFor(model, () => a.attention.notices.find((n) => n.id === 'fts' && n.kind === 'failure'), 'the failed-to-start notification');
    assert.equal(notice.action, 'Change Agent…', 'not Open Terminal: it would fail the same way again');

    const marker = path.join(scratch, 'custom-ran');
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', `sh -c "pwd > ${marker}-$0; sleep 600" {id}`, vscode.ConfigurationTarget.Global);
    const r = await exec<ChangeAgentCommandResult>('axiom.changeAgent', { id: 'fts', agent: 'custom' });
    assert.deepEqual([r.previous, r.agent, r.terminal], ['claude', 'custom', 'fts']);
    const cwd = (await waitForFile(`${marker}-fts`)).trim();
    assert.equal(fs.realpathSync(cwd), fs.realpathSync(model.find('fts')!.path), 'the new agent ran in the worktree');
    const shown = await waitFor(model, async () => {
      const x = await row('fts');
      return x?.status.agent === 'custom' ? x : undefined;
    }, 'the row to show the new agent');
    assert.doesNotMatch(String(shown.item.description), /failed to start/);
  });

  it('Change Agent… refuses an agent that is not installed, and stops a running agent only when confirmed', async () => {
    await assert.rejects(exec('axiom.changeAgent', { id: 'fts', agent: 'codex' }), (e) => errorCode(e) === 'AgentNotFound');
    assert.equal(model.find('fts')!.agent, 'custom', 'nothing changed');

    // The agent still runs (it sleeps); said by its own event too, whether or not the shell reports its commands.
    const adminDir = model.find('fts')!.adminDir!;
    await appendAgentEvent(adminDir, { event: 'UserPromptSubmit' });
    await model.refreshNow();
    await waitFor(model, () => model.find('fts')?.agentState.phase === 'working', 'the agent to read as working');
    const before = vscode.window.terminals.find((t) => t.name === 'fts');
    assert.ok(before, 'its terminal is open');
    await assert.rejects(exec('axiom.changeAgent', { id: 'fts', agent: 'custom' }), (e: Error) => /Cancelled/.test(`${e.name} ${e.message}`));
    assert.equal(before.exitStatus, undefined, 'not confirmed: the running agent\'s terminal stays');

    const marker = path.join(scratch, 'custom-ran-fts');
    fs.rmSync(marker, { force: true });
    const r = await exec<ChangeAgentCommandResult>('axiom.changeAgent', { id: 'fts', agent: 'custom', confirm: true });
    assert.equal(r.previous, 'custom');
    await waitForFile(marker);
    const now = vscode.window.terminals.filter((t) => t.name === 'fts' && t.exitStatus === undefined && t !== before);
    assert.equal(now.length, 1, 'a new terminal runs the agent');
    assert.ok(!vscode.window.terminals.includes(before) || before.exitStatus !== undefined, 'the old one was closed');
  });

  it('Open Shell Here: a plain terminal in the worktree with the instance\'s environment, no agent', async () => {
    const a = await api();
    const status = model.find('fts')!;
    const r = await exec<{ name: string; cwd: string }>('axiom.openShell', { id: 'fts' });
    assert.equal(r.name, 'fts (shell)');
    const shell = vscode.window.terminals.find((t) => t.name === 'fts (shell)');
    assert.ok(shell);
    const options = shell.creationOptions as vscode.TerminalOptions;
    assert.equal(options.cwd, status.path);
    assert.equal(options.env?.AXIOM_INSTANCE, 'fts');
    assert.notEqual(a.terminals.find(model, 'fts'), shell, 'not the agent\'s terminal');
  });

  it('axiom set-agent with its own command: the next Open Terminal runs that command, not the configured one', async () => {
    runCli(repo, 'spawn', 'fts-cli');
    const marker = path.join(scratch, 'recorded-command');
    runCli(repo, 'set-agent', 'fts-cli', 'custom', '--agent-command', `sh -c "pwd > ${marker}"`);
    await waitFor(model, () => model.find('fts-cli')?.agent === 'custom', 'the row with the recorded agent');
    const t = await exec<{ commandLine: string }>('axiom.openTerminal', { id: 'fts-cli' });
    assert.match(t.commandLine, /recorded-command/);
    const cwd = (await waitForFile(marker)).trim();
    assert.equal(fs.realpathSync(cwd), fs.realpathSync(model.find('fts-cli')!.path));
  });
});
