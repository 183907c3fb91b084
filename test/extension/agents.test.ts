/**
 * Agents in a real VS Code: a missing program is refused or marked failed-to-start (never a quiet
 * "clean" row); Claude in a terminal (the stand-in from test/fixtures/bin on the terminal's PATH)
 * gets its permission mode and session id, and reopening resumes the conversation; notifications,
 * the view badge and the status bar follow the phases that the real hook runner records.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { wholeJsonLines } from '../core/jsonLines';
import type { SpawnCommandResult } from '../../src/extension/spawnCommand';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import { api, BASIC_PROGRAMS, errorCode, pathWithOnly, repoRoot, row, runCli, setTerminalPath, theModel, waitFor } from './helpers';

const exec = <T>(command: string, args?: object): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, args));
const ROOT = path.resolve(__dirname, '../../..');
const STANDIN_BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
const HOOK = path.join(ROOT, 'dist', 'hook.js');

/** Runs the real hook runner the way Claude Code does: event name in argv, hook JSON on stdin. */
function hook(adminDir: string, event: string, input: Record<string, unknown> = {}): void {
  execFileSync(process.execPath, [HOOK, adminDir, event], {
    input: JSON.stringify({ hook_event_name: event, session_id: 'test-session', ...input }),
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
}

function standinStarts(adminDir: string): string[][] {
  return wholeJsonLines<{ kind: string; argv?: string[] }>(path.join(adminDir, 'standin-claude.jsonl'))
    .filter((r) => r.kind === 'start')
    .map((r) => r.argv!);
}

function iconId(item: vscode.TreeItem): string {
  return (item.iconPath as vscode.ThemeIcon).id;
}

describe('Agents: missing programs, Claude sessions, notifications', () => {
  let model: RepositoryModel;
  let repo: string;

  before(async () => {
    model = await theModel();
    repo = repoRoot();
  });

  after(async () => {
    await setTerminalPath(undefined);
    await vscode.workspace.getConfiguration('axiom').update('notify', undefined, vscode.ConfigurationTarget.Global);
  });

  it('a missing agent program: Spawn refuses before creating anything, and says how to install it', async () => {
    // No agent program on this PATH, whatever this machine has installed in /usr/bin or beside node.
    await setTerminalPath(pathWithOnly(BASIC_PROGRAMS));
    await assert.rejects(exec('axiom.spawn', { id: 'noagent', agent: 'claude' }), (e) => {
      assert.equal(errorCode(e), 'AgentNotFound');
      assert.match((e as Error).message, /Claude Code \("claude"\) was not found on the PATH of VS Code terminals\. Install it \(npm install -g @anthropic-ai\/claude-code\) or pick another agent\./);
      return true;
    });
    assert.equal(model.find('noagent'), undefined);
    assert.ok(!fs.existsSync(path.join(path.dirname(repo), 'axiom-noagent')));
  });

  it('Open Terminal on a CLI-made instance whose agent is missing: failed-to-start with the reason, no "clean" row', async () => {
    runCli(repo, 'spawn', 'cli-noagent');
    await waitFor(model, () => model.find('cli-noagent'), 'the CLI-made row');
    await assert.rejects(exec('axiom.openTerminal', { id: 'cli-noagent' }), (e) => errorCode(e) === 'AgentNotFound');
    assert.equal(vscode.window.terminals.filter((t) => t.name === 'cli-noagent').length, 0, 'no terminal typing "command not found"');
    const r = await waitFor(model, async () => {
      const x = await row('cli-noagent');
      return x && x.status.agentState.phase === 'failed-to-start' ? x : undefined;
    }, 'the row to show failed-to-start');
    assert.equal(iconId(r.item), 'error');
    assert.match(String(r.item.description), /^failed to start/);
    assert.match(r.status.agentState.reason ?? '', /npm install -g @anthropic-ai\/claude-code/);
    assert.match((r.item.tooltip as vscode.MarkdownString).value, /failed to start/);
    await exec('axiom.cleanup', { id: 'cli-noagent' });
  });

  it('Claude in a terminal: permission mode and --session-id; reopening resumes it; Start New Conversation starts another', async () => {
    await setTerminalPath(pathWithOnly(BASIC_PROGRAMS, [STANDIN_BIN]));
    const r = await exec<SpawnCommandResult>('axiom.spawn', { id: 'talk', agent: 'claude', prompt: 'hello there' });
    assert.equal(r.terminal, 'talk');
    const first = await waitFor(model, () => standinStarts(r.adminDir)[0], 'the stand-in claude to start', 60_000);
    const at = (flag: string): string | undefined => first[first.indexOf(flag) + 1];
    assert.equal(at('--permission-mode'), 'acceptEdits');
    assert.equal(at('-n'), 'axiom-talk');
    assert.equal(first.at(-1), 'hello there');
    const session = at('--session-id')!;
    assert.match(session, /^[0-9a-f-]{36}$/);
    const reported = await waitFor(model, () => {
      const s = model.find('talk')?.agentState;
      return s?.sessionId === session && s.phase === 'idle' ? s : undefined;
    }, 'the hooks to report the session and the finished turn', 60_000);
    assert.equal(reported.sessionId, session);
    assert.equal(model.find('talk')!.metadata!.session?.id, session, 'recorded in the instance metadata');

    // The terminal goes away (as after a reload or a close): Open Terminal continues the same conversation.
    (await api()).terminals.close(model, 'talk');
    const again = await exec<{ created: boolean; resumed: boolean; sessionId: string; commandLine: string; via: string }>('axiom.openTerminal', { id: 'talk' });
    assert.equal(again.created, true);
    assert.equal(again.resumed, true);
    assert.equal(again.sessionId, session);
    assert.match(again.commandLine, new RegExp(`--resume ${session}`));
    const terminal = vscode.window.terminals.find((t) => t.name === 'talk')!;
    console.log(`AXIOM-INFO reopened terminal launched via ${again.via}`);
    if (terminal.shellIntegration) assert.equal(again.via, 'shellIntegration', 'run through shell integration when the shell has it');
    const second = await waitFor(model, () => standinStarts(r.adminDir)[1], 'the resumed stand-in', 60_000);
    assert.equal(second[second.indexOf('--resume') + 1], session);
    assert.ok(!second.includes('hello there'), 'a resumed conversation is not sent the first prompt again');

    const fresh = await exec<{ sessionId: string; commandLine: string }>('axiom.startNewConversation', { id: 'talk', confirm: true });
    assert.notEqual(fresh.sessionId, session);
    assert.match(fresh.commandLine, new RegExp(`--session-id ${fresh.sessionId}`));
    await waitFor(model, () => model.find('talk')?.metadata?.session?.id === fresh.sessionId, 'the new session in the metadata');
    (await api()).terminals.close(model, 'talk');
  });

  it('notifications, the view badge and the status bar follow the phases', async () => {
    const a = await api();
    const spawned = await Promise.all(['bell-1', 'bell-2'].map((id) => exec<SpawnCommandResult>('axiom.spawn', { id, agent: 'claude', openTerminal: false })));
    const [one, two] = spawned.map((s) => s.adminDir) as [string, string];
    await waitFor(model, () => model.find('bell-1') && model.find('bell-2'), 'both rows');
    const needYou = (n: number): Promise<unknown> => waitFor(model, () => a.attention.summary.needYou === n && a.attention.shown.badge === (n || undefined), `${n} to need attention`);

    // The counts below are this test's own: nothing else needs attention when it starts.
    await needYou(0);
    const before = a.attention.notices.length;
    hook(one, 'PermissionRequest', { tool_name: 'Bash', tool_input: { command: 'rm -rf build' } });
    await needYou(1);
    const approval = a.attention.notices.at(-1)!;
    assert.deepEqual([approval.id, approval.kind, approval.action], ['bell-1', 'approval', 'Open Terminal']);
    assert.equal(approval.message, 'bell-1 needs approval: approve Bash: rm -rf build');
    const r1 = (await row('bell-1'))!;
    assert.equal(iconId(r1.item), 'shield');
    assert.match(String(r1.item.description), /^needs approval/);

    hook(two, 'StopFailure', { error: 'authentication_failed', last_assistant_message: 'Not logged in · Please run /login' });
    await needYou(2);
    assert.equal(a.attention.notices.at(-1)!.message, 'bell-2 is waiting for input: authentication_failed: Not logged in · Please run /login');
    assert.match(a.attention.shown.statusBar ?? '', /2 need you/);

    hook(one, 'PostToolUse', { tool_name: 'Bash' });
    await needYou(1);
    assert.match(a.attention.shown.statusBar ?? '', /1 need you · \$\(sync~spin\) [1-9]\d* working/);
    const quietBefore = a.attention.notices.length;
    hook(two, 'Stop');
    await needYou(0);
    assert.equal(a.attention.notices.length, quietBefore, 'a finished turn does not notify with axiom.notify "attention"');
    assert.equal(iconId((await row('bell-2'))!.item), 'debug-pause');

    await vscode.workspace.getConfiguration('axiom').update('notify', 'all', vscode.ConfigurationTarget.Global);
    hook(one, 'Stop');
    await waitFor(model, () => a.attention.notices.at(-1)?.id === 'bell-1' && a.attention.notices.at(-1)?.kind === 'done', 'the "done" notice');
    assert.equal(a.attention.notices.at(-1)!.action, 'Show Changes');

    await vscode.workspace.getConfiguration('axiom').update('notify', 'none', vscode.ConfigurationTarget.Global);
    const silent = a.attention.notices.length;
    hook(one, 'PermissionRequest', { tool_name: 'Write' });
    await needYou(1);
    assert.equal(a.attention.notices.length, silent, 'axiom.notify "none": the badge counts, nothing pops up');
    assert.ok(a.attention.notices.length > before);

    hook(one, 'SessionEnd');
    await needYou(0);
    assert.equal(iconId((await row('bell-1'))!.item), 'check', 'a clean end looks like success, not like a failure');
    for (const id of ['bell-1', 'bell-2']) await exec('axiom.cleanup', { id });
  });
});
