/**
 * Entry point. activate() is the only place where objects are built and wired together; every
 * disposable goes into one bag (context.subscriptions).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BASE_SCHEME, HISTORY_VIEW_ID, OUTPUT_NAME, VIEW_ID } from './commandIds';
import { Explorations } from './exploration';
import { Searches } from './searches';
import { HistoryView } from './historyView';
import { ConflictDecorations } from './raceNodes';
import { registerCommands } from './commands';
import { BaseContentProvider } from './diffs';
import { McpRegistration } from './mcpRegistration';
import { Repositories } from './repositories';
import { TerminalManager } from './terminals';
import { AttentionMonitor } from './attention';
import { AgentStatusPoll } from './agentStatusPoll';
import { InstancesTree } from './tree';
import { Invocation } from './invocation';
import { Review } from './review';
import { ThisWindow } from './thisWindow';
import { readSettings } from './settings';
import type { Services } from './services';
import type { RepositoryModel } from './repositoryModel';
import type { Node } from './tree';
import { onDamagedRecord, plural } from '../core';

/** What activate() returns: used by the extension-host tests (and usable by other extensions). */
export interface AxiomExtensionApi {
  repositories: Repositories;
  tree: InstancesTree;
  terminals: TerminalManager;
  /** The MCP server definitions given to VS Code (one per repository). */
  mcp: McpRegistration;
  /** Notifications, the view badge and the status-bar summary of agents that need their person. */
  attention: AttentionMonitor;
  explorations: Explorations;
  /** Searches (their records, the drivers this window runs, the end notifications). */
  searches: Searches;
  history: HistoryView;
  /** The conflict badges of instance rows. */
  decorations: ConflictDecorations;
  /** Review comments on instances' diffs (the Comments API controller). */
  review: Review;
  /** The instances whose worktree this window has open (status-bar item). */
  thisWindow: ThisWindow;
  /** The Instances view (multi-selection). */
  view: vscode.TreeView<Node>;
  activationMs: number;
  /** Resolves when the workspace's repositories are found and each has its first snapshot. */
  ready: Promise<void>;
}

export async function activate(context: vscode.ExtensionContext): Promise<AxiomExtensionApi> {
  const started = performance.now();
  const bag = context.subscriptions;
  const log = vscode.window.createOutputChannel(OUTPUT_NAME, { log: true });
  bag.push(log);
  // Damaged records the engine skipped (it goes on without them): named once each, with what to run.
  const stopDamageWarnings = onDamagedRecord((_record, message) => log.warn(message));
  bag.push({ dispose: () => void stopDamageWarnings() });

  const repos = new Repositories(log, gitBinaryOfGitExtension());
  const hookScript = path.join(context.extensionPath, 'dist', 'hook.js');
  const terminals = new TerminalManager(log, hookScript);
  const explorations = new Explorations(repos, log);
  const searches = new Searches(repos, hookScript, log);
  const review = new Review(repos, terminals, log);
  const tree = new InstancesTree(repos, explorations, searches, review);
  const history = new HistoryView(repos, explorations);
  const mcp = new McpRegistration(repos, context.extensionPath, String((context.extension.packageJSON as { version?: unknown }).version ?? '0'), log);
  const decorations = new ConflictDecorations(explorations, () => repos.models());
  const thisWindow = new ThisWindow(repos);
  bag.push(repos, terminals, explorations, searches, tree, history, mcp, decorations, review, thisWindow);
  // Several rows at once: bulk Clean Up, Merge and Send to Agents act on the selection.
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  Invocation.viewSelection = () => view.selection;
  const attention = new AttentionMonitor(repos, terminals, view, log);
  bag.push(view, attention, new AgentStatusPoll(repos));
  bag.push(vscode.window.createTreeView(HISTORY_VIEW_ID, { treeDataProvider: history }));
  bag.push(vscode.window.registerFileDecorationProvider(decorations));
  bag.push(vscode.workspace.registerTextDocumentContentProvider(BASE_SCHEME, new BaseContentProvider(repos)));

  let activationMs = 0;
  let readyMs = 0;
  const services: Services = { repos, terminals, mcp, explorations, searches, history, review, thisWindow, log, view, activationMs: () => activationMs, readyMs: () => readyMs };
  bag.push(...registerCommands(services));

  // Terminal requests and queued input from other processes (MCP, CLI) are served on every change.
  bag.push(
    repos.onDidAddRepository(({ model, watcher }) => {
      bag.push(
        model.onDidChange(() => {
          terminals.closeRemoved(model);
          void terminals.serveRequests(model);
        }),
        watcher.onTerminalInput((adminDir) => void terminals.consumeInput(model, adminDir).catch((e) => log.error('Terminal input failed:', e))),
      );
      void afterFirstSnapshot(model, terminals, log);
    }),
  );
  bag.push(vscode.workspace.onDidGrantWorkspaceTrust(() => void Promise.all(repos.models().map((m) => terminals.serveRequests(m)))));

  // Discovery and the first snapshots run after activate() returns: they must not hold up the window.
  const ready = repos
    .scan()
    .then(() => Promise.all(repos.models().map((m) => m.ready())))
    .then(() => {
      readyMs = performance.now() - started;
      log.info(`First snapshot of ${plural(repos.list().length, 'repository')} ${readyMs.toFixed(1)} ms after activation started.`);
    });
  activationMs = performance.now() - started;
  log.info(`Activated in ${activationMs.toFixed(1)} ms (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'NOT trusted: nothing runs'}).`);
  return { repositories: repos, tree, terminals, mcp, attention, explorations, searches, history, decorations, review, thisWindow, view, activationMs, ready };
}

export function deactivate(): void {
  /* everything is in context.subscriptions */
}

/** Once per repository: expire old salvage refs, and offer to restart agent terminals a reload closed. */
async function afterFirstSnapshot(model: RepositoryModel, terminals: TerminalManager, log: vscode.LogOutputChannel): Promise<void> {
  await model.ready();
  if (!vscode.workspace.isTrusted) return;
  const days = readSettings(vscode.Uri.file(model.root)).salvageRetentionDays;
  if (days > 0) {
    const expired = await model.engine.expireSalvage(days).catch((e: unknown) => (log.warn('Salvage expiry failed:', e), []));
    if (expired.length) log.info(`Expired ${plural(expired.length, 'salvage ref')} older than ${plural(days, 'day')}.`);
  }
  const lost = terminals.lost(model);
  if (lost.length === 0) return;
  // Reopening resumes each agent's recorded conversation (claude --resume); "Start New Conversation" is per instance.
  const again = 'Resume';
  const picked = await vscode.window.showInformationMessage(
    `${plural(lost.length, 'agent terminal')} of ${model.name} were closed (e.g. by a reload): ${lost.map((w) => w.id).join(', ')}. Resume their conversations?`,
    again,
  );
  if (picked === again) for (const w of lost) await terminals.open(model, w.id!, { preserveFocus: true }).catch((e) => log.error(`Resuming ${w.id} failed:`, e));
}

/** The git binary VS Code's git extension uses, when that extension is already running. */
function gitBinaryOfGitExtension(): string | undefined {
  const ext = vscode.extensions.getExtension<{ getAPI(v: 1): { git: { path: string } } }>('vscode.git');
  if (!ext?.isActive) return undefined;
  try {
    return ext.exports.getAPI(1).git.path;
  } catch {
    return undefined;
  }
}
