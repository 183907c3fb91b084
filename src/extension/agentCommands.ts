/** Start New Conversation (instead of resuming the recorded one), Show Agent Log (a headless agent's output) and Stop Agent. */
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { AGENT_LOG_FILE, AxiomError, describeAgentState } from '../core';
import { Cancelled, type Invocation } from './invocation';
import type { Services } from './services';

export async function startNewConversation(s: Services, inv: Invocation): Promise<{ name: string; sessionId: string | null; commandLine: string | null }> {
  const { model, status } = await inv.instance(s.repos, (w) => w.dirty !== null);
  const id = status.id!;
  if (s.terminals.find(model, id)) {
    const ok = await inv.confirm(
      `Start a new conversation in ${id}?`,
      'The agent in its terminal is stopped and a new session starts. The old conversation stays on disk (claude --resume can still open it).',
      'Start New Conversation',
    );
    if (!ok) throw new Cancelled();
  }
  const t = await s.terminals.startNewConversation(model, id);
  return { name: t.name, sessionId: t.sessionId, commandLine: t.commandLine };
}

export async function showAgentLog(s: Services, inv: Invocation): Promise<string> {
  const { status } = await inv.instance(s.repos);
  const file = status.adminDir ? path.join(status.adminDir, AGENT_LOG_FILE) : null;
  if (!file || !existsSync(file)) throw new AxiomError('NotFound', `${status.id} has no agent log (headless agents started over MCP and Claude Code worktrees write one).`);
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  return file;
}

/** Stops the instance's agent and nothing else: a headless one's process group, or its terminal here. */
export async function stopAgentCommand(s: Services, inv: Invocation): Promise<{ stopped: boolean; agentState: string }> {
  const { model, status } = await inv.instance(s.repos, (w) => w.dirty !== null);
  const id = status.id!;
  const r = await model.engine.stopAgent(id, async () => s.terminals.close(model, id));
  return { stopped: r.stopped, agentState: describeAgentState(r.agentState) };
}
