/**
 * Change Agent… (issue 21, "failed to start"): picks another agent for an instance — missing ones
 * flagged as Spawn does — records it (the engine refuses while an agent runs that this window cannot
 * stop) and starts it in the instance's terminal. Open Shell Here: a plain terminal in the worktree,
 * with the instance's environment and no agent.
 */
import * as vscode from 'vscode';
import { appendAgentEvent, AxiomError, isAxiomError, type ChangeAgentResult, type WorktreeStatus } from '../core';
import { AGENT_NAMES } from '../agents/presets';
import { Commands } from './commandIds';
import { ActionableError } from './commandWrapper';
import { terminalEnv } from './instanceSetup';
import { Cancelled, type Invocation } from './invocation';
import type { RepositoryModel } from './repositoryModel';
import type { Services } from './services';
import { WorktreeNode } from './tree';
import { readSettings } from './settings';
import { pickAgent } from './spawnCommand';

export interface ChangeAgentCommandResult extends ChangeAgentResult {
  /** The terminal the new agent started in (null: openTerminal false). */
  terminal: string | null;
  commandLine: string | null;
}

/** Phases in which no agent process is left to stop. */
const NOT_RUNNING: readonly string[] = ['exited', 'failed-to-start', 'unknown', 'pending'];

export async function changeAgentCommand(s: Services, inv: Invocation): Promise<ChangeAgentCommandResult> {
  const { model, status } = await inv.instance(s.repos, (w) => w.dirty !== null, 'Change Agent');
  const id = status.id!;
  if (status.dirty === null) throw new AxiomError('NotFound', `The worktree of ${id} (${status.path}) is missing. Run Repair.`, { path: status.path });
  const current = status.agent;
  const settings = readSettings(vscode.Uri.file(model.root));
  const first = settings.defaultAgent !== current ? settings.defaultAgent : (AGENT_NAMES.find((a) => a !== current) ?? settings.defaultAgent);
  const openTerminal = inv.args?.openTerminal ?? true;
  const agent = await pickAgent(
    inv,
    model,
    first,
    { title: `Change Agent of ${id}`, placeHolder: `Agent to run in ${id} from now on (now ${current ?? 'none'}); its conversation starts over`, current },
    openTerminal,
  );
  await stopTerminalAgent(s, inv, model, status);
  const result = await model.operation(() => model.engine.changeAgent(id, agent, { known: AGENT_NAMES }));
  s.log.info(`Changed the agent of ${id}: ${result.previous ?? 'none'} → ${result.agent}.`);
  if (!openTerminal) return { ...result, terminal: null, commandLine: null };
  const t = await s.terminals.open(model, id);
  return { ...result, terminal: t.name, commandLine: t.commandLine };
}

/**
 * The instance's terminal here goes before another agent starts in it (else Open Terminal would only
 * show the old one). An agent still running in it is stopped only when the person agrees; its exit is
 * recorded so that the engine (and the row) see it ended.
 */
async function stopTerminalAgent(s: Services, inv: Invocation, model: RepositoryModel, status: WorktreeStatus): Promise<void> {
  const id = status.id!;
  if (!s.terminals.find(model, id)) return;
  const running = !NOT_RUNNING.includes(status.agentState.phase);
  if (running) {
    const ok = await inv.confirm(
      `Stop the agent of ${id} and change it?`,
      `${status.agent ?? 'Its agent'} still runs in the terminal ${id}: the terminal is closed (its agent with it). The worktree and its work stay.`,
      'Stop and Change Agent',
    );
    if (!ok) throw new Cancelled();
  }
  s.terminals.close(model, id);
  if (running && status.adminDir) await appendAgentEvent(status.adminDir, { event: 'TerminalClosed', phase: 'exited', reason: 'its terminal was closed to change the agent' });
}

/** Open Shell Here: a new plain terminal in the worktree (an instance's environment: its ports and variables), no agent. */
export async function openShellCommand(s: Services, inv: Invocation): Promise<{ name: string; cwd: string }> {
  const { status } = await inv.worktree(s.repos);
  if (status.dirty === null) throw new AxiomError('NotFound', `The worktree ${status.path} is missing${status.id ? `: run Repair or clean ${status.id} up` : ''}.`, { path: status.path });
  const name = `${status.id ?? status.branch ?? 'worktree'} (shell)`;
  const terminal = vscode.window.createTerminal({
    name,
    cwd: status.path,
    iconPath: new vscode.ThemeIcon('terminal'),
    ...(status.id ? { env: { AXIOM_INSTANCE: status.id, ...terminalEnv(status) } } : {}),
  });
  terminal.show();
  return { name, cwd: status.path };
}

/**
 * An agent that cannot start (its program is missing): the error's actions are the ways out —
 * another agent, or a shell in the worktree — never the same Open Terminal again. They act on the
 * instance's row (a node, not an argument object: the pickers show).
 */
export function withWaysOut(e: unknown, model: RepositoryModel, status: WorktreeStatus): unknown {
  if (!isAxiomError(e) || e.code !== 'AgentNotFound') return e;
  const row = (): WorktreeNode => new WorktreeNode(model, model.find(status.id!) ?? status);
  return new ActionableError(e, [
    { title: 'Change Agent…', run: () => vscode.commands.executeCommand(Commands.changeAgent, row()) },
    { title: 'Open Shell Here', run: () => vscode.commands.executeCommand(Commands.openShell, row()) },
  ]);
}
