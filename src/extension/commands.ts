/** Every command with its handler; `register` (commandWrapper) adds trust checks and error UI. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AxiomError, flavorOfShell } from '../core';
import { claudeMcpAddCommand, mcpJsonSnippet } from '../mcp/config';
import { Commands, VIEW_ID } from './commandIds';
import { ActionableError, register, type CommandSpec } from './commandWrapper';
import { sendToAgentsCommand } from './agentMessages';
import { sortByCommand } from './sortCommand';
import { instanceActionsCommand } from './thisWindow';
import { cleanupCommand, cleanupMergedCommand, repairCommand, restoreCommand } from './cleanupCommands';
import { showFileChange, showInstanceChanges } from './diffs';
import { Cancelled, type Invocation } from './invocation';
import { mergeCommand } from './mergeCommand';
import { publishCommand } from './publishCommand';
import { refreshPullRequestCommand } from './prRefreshCommand';
import { exploreCommandSpecs } from './exploreCommands';
import type { Services } from './services';
import { spawnCommand, spawnManyCommand } from './spawnCommand';
import { showAgentLog, startNewConversation, stopAgentCommand } from './agentCommands';
import { changeAgentCommand, openShellCommand, withWaysOut } from './changeAgentCommand';
import { retrySetupCommand, showSetupLogCommand } from './instanceSetup';
import { installClaudeHooksCommand } from './claudeHooksCommand';
import { searchCommand } from './searchCommand';
import { stopSearchCommand } from './searchStop';
import { continueSearchCommand } from './searchContinue';
import { landSearchCommand } from './searchLand';
import { compareWithParentCommand } from './searchCompare';
import { openSearchNodeCommand } from './searchOpen';

export function registerCommands(s: Services): vscode.Disposable[] {
  const specs: CommandSpec[] = [
    { id: Commands.spawn, runs: true, handler: (inv) => spawnCommand(s, inv) },
    { id: Commands.spawnMany, runs: true, handler: (inv) => spawnManyCommand(s, inv) },
    {
      id: Commands.openTerminal,
      runs: true,
      handler: async (inv) => {
        // Enter in the view: a file opens its diff; the base, a race or a group folds or unfolds.
        if (inv.node?.kind === 'file') return vscode.commands.executeCommand(Commands.openFileDiff, inv.node);
        if (inv.node && (inv.node.kind !== 'worktree' || inv.node.status.kind !== 'instance')) return vscode.commands.executeCommand('list.toggleExpand');
        const { model, status } = await inv.instance(s.repos, (w) => w.dirty !== null);
        const t = await s.terminals.open(model, status.id!).catch((e: unknown) => {
          throw withWaysOut(e, model, status);
        });
        return { name: t.name, created: t.created, commandLine: t.commandLine, cwd: status.path, sessionId: t.sessionId, resumed: t.resumed, via: t.via };
      },
    },
    { id: Commands.startNewConversation, runs: true, handler: (inv) => startNewConversation(s, inv) },
    { id: Commands.showAgentLog, runs: false, handler: (inv) => showAgentLog(s, inv) },
    { id: Commands.stopAgent, runs: false, handler: (inv) => stopAgentCommand(s, inv) },
    { id: Commands.changeAgent, runs: true, handler: (inv) => changeAgentCommand(s, inv) },
    { id: Commands.openShell, runs: true, handler: (inv) => openShellCommand(s, inv) },
    {
      id: Commands.openInNewWindow,
      runs: false,
      handler: async (inv) => {
        const { status } = await inv.worktree(s.repos);
        await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(status.path), { forceNewWindow: true });
        return status.path;
      },
    },
    {
      id: Commands.addToWorkspace,
      runs: false,
      handler: async (inv) => {
        const { status } = await inv.worktree(s.repos);
        const folders = vscode.workspace.workspaceFolders ?? [];
        if (!folders.some((f) => f.uri.fsPath === status.path)) {
          vscode.workspace.updateWorkspaceFolders(folders.length, 0, { uri: vscode.Uri.file(status.path), name: `${status.id ?? path.basename(status.path)} (axiom)` });
        }
        return status.path;
      },
    },
    {
      id: Commands.revealInOS,
      runs: false,
      handler: async (inv) => {
        const { status } = await inv.worktree(s.repos);
        // The OS file manager is on the machine of the window, not of the worktree, in a browser or a remote window.
        if (vscode.env.uiKind === vscode.UIKind.Web || vscode.env.remoteName) {
          throw new ActionableError(
            new AxiomError('InvalidArgument', `Reveal in File Manager works only in a desktop window on the worktree's machine. ${status.id ?? 'The worktree'} is at ${status.path}.`, { path: status.path }),
            [
              { title: 'Copy Path', run: () => vscode.env.clipboard.writeText(status.path) },
              { title: 'Add to Workspace', run: () => vscode.commands.executeCommand(Commands.addToWorkspace, inv.node ?? { id: status.id }) },
            ],
          );
        }
        await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(status.path));
        return status.path;
      },
    },
    {
      id: Commands.copyPath,
      runs: false,
      handler: async (inv) => {
        const { status } = await inv.worktree(s.repos);
        await vscode.env.clipboard.writeText(status.path);
        return status.path;
      },
    },
    {
      id: Commands.showChanges,
      runs: true,
      handler: async (inv) => {
        const { model, status } = await inv.instance(s.repos, (w) => w.dirty !== null);
        return showInstanceChanges(model, status.id!);
      },
    },
    { id: Commands.openFileDiff, runs: true, handler: (inv) => openFileDiff(s, inv) },
    { id: Commands.merge, runs: true, handler: (inv) => mergeCommand(s, inv) },
    { id: Commands.publish, runs: true, handler: (inv) => publishCommand(s, inv) },
    { id: Commands.refreshPullRequest, runs: true, handler: (inv) => refreshPullRequestCommand(s, inv) },
    { id: Commands.cleanup, runs: true, handler: (inv) => cleanupCommand(s, inv) },
    { id: Commands.cleanupMerged, runs: true, handler: (inv) => cleanupMergedCommand(s, inv) },
    { id: Commands.restoreSalvage, runs: true, handler: (inv) => restoreCommand(s, inv) },
    { id: Commands.repair, runs: true, handler: (inv) => repairCommand(s, inv) },
    { id: Commands.sendToAgents, runs: true, handler: (inv) => sendToAgentsCommand(s, inv) },
    { id: Commands.sortBy, runs: false, handler: (inv) => sortByCommand(inv) },
    { id: Commands.instanceActions, runs: false, handler: (inv) => instanceActionsCommand(s, inv) },
    {
      id: Commands.addReviewComment,
      runs: false,
      handler: async (inv) => {
        const reply = inv.raw[0] as vscode.CommentReply | undefined;
        if (!reply?.thread) throw new AxiomError('InvalidArgument', 'Add Review Comment works in a comment box on a file of an instance.');
        s.review.add(reply);
      },
    },
    { id: Commands.deleteReviewComment, runs: false, handler: async (inv) => s.review.delete(inv.raw[0]) },
    { id: Commands.sendReview, runs: true, handler: (inv) => s.review.send(inv) },
    {
      id: Commands.refresh,
      runs: false,
      handler: async () => {
        // The view shows its progress bar while everything is read again.
        await vscode.window.withProgress({ location: { viewId: VIEW_ID } }, async () => {
          await s.repos.scan();
          await Promise.all(s.repos.models().map((m) => m.refreshNow('all')));
        });
        return s.repos.models().map((m) => ({ root: m.root, worktrees: m.worktrees().length }));
      },
    },
    { id: Commands.copyMcpConfig, runs: false, handler: (inv) => copyMcpConfig(s, inv) },
    { id: Commands.installClaudeHooks, runs: true, handler: (inv) => installClaudeHooksCommand(s, inv) },
    { id: Commands.showSetupLog, runs: false, handler: (inv) => showSetupLogCommand(s, inv) },
    { id: Commands.retrySetup, runs: true, handler: (inv) => retrySetupCommand(s, inv) },
    ...exploreCommandSpecs(s),
    { id: Commands.search, runs: true, handler: (inv) => searchCommand(s, inv) },
    { id: Commands.stopSearch, runs: true, handler: (inv) => stopSearchCommand(s, inv) },
    { id: Commands.continueSearch, runs: true, handler: (inv) => continueSearchCommand(s, inv) },
    { id: Commands.landSearch, runs: true, handler: (inv) => landSearchCommand(s, inv) },
    { id: Commands.compareWithParent, runs: true, handler: (inv) => compareWithParentCommand(s, inv) },
    { id: Commands.openSearchNode, runs: true, handler: (inv) => openSearchNodeCommand(s, inv) },
    { id: Commands.refreshHistory, runs: false, handler: async () => s.history.refresh() },
    {
      id: Commands.showLog,
      runs: false,
      handler: async () => s.log.show(),
    },
    {
      id: Commands.diagnostics,
      runs: false,
      handler: async () => ({
        activationMs: s.activationMs(),
        readyMs: s.readyMs(),
        trusted: vscode.workspace.isTrusted,
        repositories: s.repos.list().map((r) => ({
          root: r.model.root,
          commonDir: r.model.engine.repo.commonDir,
          worktrees: r.model.worktrees().length,
          watchedWorktrees: r.watcher.watchedWorktrees(),
          gitProcesses: r.model.engine.git.processCount,
          untrustedGit: r.model.engine.git.untrusted,
        })),
      }),
    },
  ];
  return specs.map((spec) => register(spec, s.log));
}

/** A changed file against the merge-base (instances) or HEAD (other worktrees). */
async function openFileDiff(s: Services, inv: Invocation): Promise<void> {
  if (inv.node?.kind === 'file') {
    const n = inv.node;
    await showFileChange(n.model, n.worktree.path, n.file, n.baseCommit, n.baseCommit ? `vs ${n.worktree.base ?? 'HEAD'}` : 'new file');
    return;
  }
  const file = inv.args?.file;
  if (!file) throw new AxiomError('InvalidArgument', 'Which file? Pass { id, file } or pick one in the Instances view.');
  const { model, status } = await inv.instance(s.repos);
  const d = await model.diffOf(status);
  const change = d.files.find((f) => f.path === file);
  if (!change) throw new AxiomError('NotFound', `${file} has no changes in ${status.id}.`);
  await showFileChange(model, status.path, file, change.status === 'A' ? null : d.mergeBase, `vs ${status.base}`);
}

export interface CopyMcpConfigResult {
  format: 'claude' | 'json';
  repo: string;
  text: string;
}

/** Puts a client configuration for the MCP server (this extension's dist/mcp.js, the repository) on the clipboard. */
async function copyMcpConfig(s: Services, inv: Invocation): Promise<CopyMcpConfigResult> {
  const model = await inv.model(s.repos);
  const format = await inv.pick<'claude' | 'json'>(
    'format',
    [
      { label: 'Claude Code command (claude mcp add …)', description: 'to paste into a terminal', value: 'claude' },
      { label: '.mcp.json snippet', description: 'for a project\'s .mcp.json (Claude Code and other MCP clients)', value: 'json' },
    ],
    { title: 'Copy MCP Configuration', placeHolder: `MCP configuration of the Axiom server for ${model.name}` },
  );
  if (!format) throw new Cancelled();
  const input = s.mcp.input(model.root);
  const text = format === 'claude' ? claudeMcpAddCommand(input, flavorOfShell(vscode.env.shell)) : mcpJsonSnippet(input);
  await vscode.env.clipboard.writeText(text);
  const what = format === 'claude' ? 'the `claude mcp add` command' : 'the .mcp.json snippet';
  // Not awaited: the message stays while the command returns.
  void vscode.window.showInformationMessage(
    `Copied ${what} for ${model.name} to the clipboard (server ${s.mcp.script}, repository ${model.root}). It names this installation's files: copy it again after the extension updates.`,
  );
  return { format, repo: model.root, text };
}
