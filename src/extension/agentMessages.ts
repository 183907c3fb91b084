/**
 * Messages to running agents: Send to Agents… (one message to a selection, any mix of agents) and
 * the review comments of a diff. `sendToAgent` is the one way a message reaches an agent from the
 * extension; issue 11's delivery (headless stdin, stream-json) plugs in here.
 */
import * as vscode from 'vscode';
import { plural, type WorktreeStatus } from '../core';
import { Cancelled, type Invocation } from './invocation';
import type { RepositoryModel } from './repositoryModel';
import type { Services } from './services';
import type { TerminalManager } from './terminals';

export type Delivery = { id: string; delivered: 'terminal' } | { id: string; refused: string };

export interface SendResult {
  delivered: string[];
  refused: { id: string; reason: string }[];
}

/** A message becomes one line: a newline typed into an agent's prompt would send it half-written. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * Types the message into the instance's agent terminal in this window, only while its agent runs
 * there: a line typed into the shell after the agent exited would run as a command.
 */
export function sendToAgent(terminals: TerminalManager, model: RepositoryModel, status: WorktreeStatus, text: string): Delivery {
  const id = status.id!;
  if (status.launch === 'headless') return { id, refused: 'its agent runs headless (started over MCP): send through the MCP server' };
  const terminal = terminals.find(model, id);
  if (!terminal) return { id, refused: 'no agent terminal is open for it in this window (Open Terminal starts one)' };
  if (status.agentState.phase === 'exited') return { id, refused: 'its agent has exited' };
  terminal.sendText(oneLine(text), true);
  return { id, delivered: 'terminal' };
}

export function deliverAll(terminals: TerminalManager, model: RepositoryModel, statuses: WorktreeStatus[], text: string): SendResult {
  const result: SendResult = { delivered: [], refused: [] };
  for (const w of statuses) {
    const d = sendToAgent(terminals, model, model.find(w.id!) ?? w, text);
    if ('delivered' in d) result.delivered.push(d.id);
    else result.refused.push({ id: d.id, reason: d.refused });
  }
  return result;
}

export function describeSend(r: SendResult): string {
  const sent = r.delivered.length ? `Sent to ${r.delivered.join(', ')}.` : 'Sent to no agent.';
  return r.refused.length ? `${sent} Not sent to ${r.refused.map((x) => `${x.id}: ${x.reason}`).join('; ')}.` : sent;
}

/** Send to Agents…: one message to the agents of the selected instances (or the ones picked). */
export async function sendToAgentsCommand(s: Services, inv: Invocation): Promise<SendResult> {
  const { model, statuses } = await inv.instances(s.repos, 'Send to Agents', (w) => w.dirty !== null);
  const names = statuses.map((w) => w.id!).join(', ');
  const text = await inv.text('text', {
    title: `Send to Agents: ${names}`,
    prompt: `A message typed into the agent terminal of ${plural(statuses.length, 'instance')}`,
    placeHolder: 'e.g. Run the tests before you commit',
    validateInput: (v) => (v.trim() ? null : 'Type a message.'),
  });
  if (text === undefined || !text.trim()) throw new Cancelled();
  const r = deliverAll(s.terminals, model, statuses, text);
  s.log.info(`Send to agents: ${describeSend(r)}`);
  const show = r.refused.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(describeSend(r));
  return r;
}
