/**
 * Setup in VS Code (issue 9): the instance's terminal runs `axiom setup <id>` (this extension's own
 * CLI bundle) visibly before the agent, and the agent's line runs only when it succeeded; the spawn
 * notification follows its progress; Show Setup Log and Retry Setup. Trusted workspaces only: the
 * commands are the repository's, and nothing here runs while the workspace is untrusted.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AxiomError, instanceEnv, readSetupRecord, recordSetup, type SetupRecord, type WorktreeStatus, commandLine, type ShellFlavor } from '../core';
import type { Invocation } from './invocation';
import type { Services } from './services';

/** The setup still has to run before the agent may start (spawned with setup deferred, or it failed). */
export function setupBeforeAgent(status: WorktreeStatus): boolean {
  return status.setup?.state === 'pending' || status.setup?.state === 'failed';
}

/** The instance's variables for its terminal (AXIOM_INSTANCE_ID, AXIOM_PORT, PORT, `env` …). */
export function terminalEnv(status: WorktreeStatus): Record<string, string> {
  const m = status.metadata;
  if (!m) return {};
  return instanceEnv({
    id: m.id,
    worktree: status.path,
    base: m.base,
    ports: m.ports ?? [],
    env: m.env ?? {},
  });
}

/**
 * The terminal line: `axiom setup <id>` and then, only when it succeeded, the agent's line. The CLI
 * runs with the extension host's own runtime (Electron needs ELECTRON_RUN_AS_NODE for that, set for
 * that one command only). Every part is quoted by the one quoting helper.
 */
export function setupThenAgentLine(
  cliScript: string,
  status: WorktreeStatus,
  agentLine: string,
  flavor: ShellFlavor,
): string {
  const setup = commandLine([process.execPath, cliScript, '-C', status.path, 'setup', status.id!], flavor);
  const electron = process.versions.electron !== undefined;
  if (flavor === 'powershell') {
    const run = electron ? `$env:ELECTRON_RUN_AS_NODE='1'; ${setup}; $env:ELECTRON_RUN_AS_NODE=$null` : setup;
    return `${run}; if ($LASTEXITCODE -eq 0) { ${agentLine} }`;
  }
  return `${electron ? 'ELECTRON_RUN_AS_NODE=1 ' : ''}${setup} && ${agentLine}`;
}

/** Git's `git.worktreeIncludeFiles` setting (VS Code's own include patterns), used as extra include patterns. */
export function worktreeIncludeFiles(scope: vscode.Uri): string[] {
  const v = vscode.workspace.getConfiguration('git', scope).get<unknown>('worktreeIncludeFiles');
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [];
}

/** How long a setup may stay "pending" after its terminal opened before we stop waiting (the line never ran). */
const PENDING_LIMIT_MS = 60_000;

/**
 * Waits until the setup recorded in the admin dir has an outcome, reporting which command runs.
 * Resolves with the final record, or null when it never started (terminal closed, line not run).
 */
export async function waitForSetup(
  adminDir: string,
  report: (message: string) => void,
  terminal?: vscode.Terminal,
): Promise<SetupRecord | null> {
  const started = Date.now();
  for (;;) {
    const rec = await readSetupRecord(adminDir);
    if (!rec) return null;
    if (rec.state === 'succeeded' || rec.state === 'failed' || rec.state === 'skipped') return rec;
    if (rec.state === 'running') {
      const i = rec.current ?? rec.steps.length;
      report(
        `setup ${Math.min(i + 1, rec.commands.length)}/${rec.commands.length}: ${rec.commands[i] ?? ''}`,
      );
    } else if (Date.now() - started > PENDING_LIMIT_MS) {
      return null;
    }
    if (terminal?.exitStatus !== undefined) return readSetupRecord(adminDir);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A setup failed: say what, with the way to its log and to a retry (not awaited: the message stays). */
export function announceSetupFailure(id: string, rec: SetupRecord): void {
  const what = rec.timedOut ? 'timed out' : `exit ${rec.exitCode ?? '?'}`;
  void vscode.window
    .showErrorMessage(
      `The setup of ${id} failed (${what}: ${rec.failedCommand ?? '?'}). The agent was not started.`,
      'Show Setup Log',
      'Retry Setup',
    )
    .then((picked) => {
      if (picked === 'Show Setup Log') void vscode.commands.executeCommand('axiom.showSetupLog', { id });
      if (picked === 'Retry Setup') void vscode.commands.executeCommand('axiom.retrySetup', { id });
    });
}

/** Show Setup Log: the instance's setup log in an editor. */
export async function showSetupLogCommand(s: Services, inv: Invocation): Promise<string> {
  const { status } = await inv.instance(s.repos);
  if (!status.setup)
    throw new AxiomError(
      'NotFound',
      `${status.id} has no setup: .axiom.json (or git config axiom.setup) names no setup commands.`,
    );
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(status.setup.logFile));
  await vscode.window.showTextDocument(doc, { preview: true });
  return status.setup.logFile;
}

export interface RetrySetupResult {
  id: string;
  /** `terminal`: setup and then the agent run again in a new terminal; `engine`: the setup ran here. */
  ranIn: 'terminal' | 'engine';
  setup: SetupRecord | null;
}

/**
 * Retry Setup: a setup that failed (or never ran) before the agent runs again in a new terminal of
 * the instance, then the agent; a setup that already ran is run again here, with progress.
 */
export async function retrySetupCommand(s: Services, inv: Invocation): Promise<RetrySetupResult> {
  const { model, status } = await inv.instance(s.repos, (w) => w.dirty !== null);
  const id = status.id!;
  if (setupBeforeAgent(status) && inv.args?.openTerminal !== false) {
    // Its shell is idle (the setup failed, the agent never started): a new terminal runs setup and agent.
    await closeAndWait(s.terminals.find(model, id), () => s.terminals.close(model, id));
    // Pending again, so the wait below sees this run and not the failure before it.
    await recordSetup(status.adminDir!, status.setup!.commands, 'pending');
    await model.refreshNow([status.path]);
    await s.terminals.open(model, id);
    const rec = await withSetupProgress(`Setting up ${id}…`, (report) =>
      waitForSetup(status.adminDir!, report, s.terminals.find(model, id)),
    );
    if (rec?.state === 'failed') announceSetupFailure(id, rec);
    return { id, ranIn: 'terminal', setup: rec };
  }
  const rec = await withSetupProgress(`Setting up ${id}…`, (report) =>
    model.operation(() =>
      model.engine.setup(id, {
        onStep: (e) => e.done || report(`setup ${e.index + 1}/${e.total}: ${e.command}`),
      }),
    ),
  );
  model.changed([status.path]);
  if (rec?.state === 'failed') announceSetupFailure(id, rec);
  return { id, ranIn: 'engine', setup: rec };
}

/** Closes a terminal and resolves when VS Code no longer lists it (at most 5 s): a terminal of the same name is found by name. */
async function closeAndWait(terminal: vscode.Terminal | undefined, close: () => void): Promise<void> {
  if (!terminal) return;
  close();
  const until = Date.now() + 5000;
  while (vscode.window.terminals.includes(terminal) && Date.now() < until)
    await new Promise((r) => setTimeout(r, 100));
}

function withSetupProgress<T>(
  title: string,
  work: (report: (message: string) => void) => Promise<T>,
): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, (progress) =>
      work((message) => progress.report({ message })),
    ),
  );
}

/** The CLI bundle beside the hook script (both in the extension's dist/). */
export function cliScriptBeside(hookScript: string): string {
  return path.join(path.dirname(hookScript), 'cli.js');
}
