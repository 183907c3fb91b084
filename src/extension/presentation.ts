/** How a WorktreeStatus looks in the tree: description, icon, tooltip, context value. Rendering only. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FileChange, StatusEntry, WorktreeStatus } from '../core';
import { ContextValues } from './commandIds';
import { AGENT_ICONS, agentLine, agentRowState, attentionWord, URGENT_AGENT_STATES, type AgentRowState } from './agentPresentation';

export type RowState = 'missing' | 'setupFailed' | 'settingUp' | 'locked' | 'conflicts' | 'merged' | 'dirty' | 'clean' | AgentRowState;

export function dirtyCount(w: WorktreeStatus): number {
  return w.changes.length;
}

/** The one state a row shows, most urgent first. */
export function rowState(w: WorktreeStatus): RowState {
  if (w.prunable || w.dirty === null) return 'missing';
  // A spawn still provisioning holds the spawn lock: "setting up" says more than "locked".
  if (w.setup?.state === 'failed') return 'setupFailed';
  if (w.setup?.state === 'running' || (w.setup?.state === 'pending' && w.launch === 'terminal')) return 'settingUp';
  if (w.locked) return 'locked';
  if (w.conflictsWithBase) return 'conflicts';
  const agent = agentRowState(w.agentState);
  if (agent && (URGENT_AGENT_STATES.has(agent) || agent === 'working' || agent === 'starting')) return agent;
  if (w.merged && dirtyCount(w) === 0) return 'merged';
  if (dirtyCount(w) > 0) return 'dirty';
  return agent ?? 'clean';
}

const ICONS: Record<RowState, [string, string | undefined]> = {
  missing: ['warning', 'list.warningForeground'],
  setupFailed: ['error', 'list.errorForeground'],
  settingUp: ['loading~spin', undefined],
  locked: ['lock', undefined],
  conflicts: ['git-pull-request-closed', 'list.errorForeground'],
  merged: ['git-merge', 'gitDecoration.addedResourceForeground'],
  dirty: ['circle-filled', 'gitDecoration.modifiedResourceForeground'],
  clean: ['pass', 'gitDecoration.addedResourceForeground'],
  ...AGENT_ICONS,
};

export function iconFor(w: WorktreeStatus): vscode.ThemeIcon {
  if (w.kind === 'main') return new vscode.ThemeIcon('repo');
  const [id, color] = ICONS[rowState(w)];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

export function labelFor(w: WorktreeStatus): string {
  return w.id ?? path.basename(w.path);
}

/** "3 changed · ↑2 ↓1 · axiom/x/123": the state first, so a narrow side bar cuts off the branch, not the news. */
export function descriptionFor(w: WorktreeStatus): string {
  const parts: string[] = [];
  if (w.setup?.state === 'failed') parts.push('setup failed');
  else if (rowState(w) === 'settingUp') parts.push('setting up');
  const attention = w.kind === 'instance' ? attentionWord(w.agentState) : null;
  if (attention) parts.push(attention);
  if (w.dirty === null) parts.push(w.prunable ? 'missing' : 'unavailable');
  else if (dirtyCount(w) > 0) parts.push(`${dirtyCount(w)} changed`);
  if (w.ahead !== null && w.behind !== null && (w.ahead > 0 || w.behind > 0)) parts.push(`↑${w.ahead} ↓${w.behind}`);
  if (w.merged) parts.push('merged');
  parts.push(w.branch ?? (w.detached ? `detached ${w.head?.slice(0, 8) ?? ''}` : ''));
  return parts.filter(Boolean).join(' · ');
}

export function contextValueFor(w: WorktreeStatus): string {
  if (w.kind === 'main') return ContextValues.main;
  if (w.kind === 'foreign') return ContextValues.foreign;
  return w.dirty === null ? ContextValues.instanceMissing : ContextValues.instance;
}

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

export function tooltipFor(w: WorktreeStatus): vscode.MarkdownString {
  const lines: string[] = [`**${escape(labelFor(w))}**${w.kind === 'instance' ? '' : ` (${w.kind === 'main' ? 'main worktree' : 'not made by Axiom'})`}`, ''];
  const row = (k: string, v: string | null | undefined): void => {
    if (v) lines.push(`${k}: ${escape(v)}  `);
  };
  row('Path', w.path);
  row('Branch', w.branch);
  row('Base', w.base);
  if (w.ahead !== null && w.behind !== null) row('Against base', `${w.ahead} ahead, ${w.behind} behind`);
  if (w.dirty) row('Uncommitted', dirtyCount(w) === 0 ? 'none' : `${w.dirty.staged} staged, ${w.dirty.unstaged} unstaged, ${w.dirty.untracked} untracked, ${w.dirty.conflicted} conflicted`);
  if (w.conflictsWithBase) row('Conflicts with base', w.conflictFiles.join(', '));
  if (w.merged) row('Merged', w.metadata?.merged ? `into ${w.metadata.merged.into} (${w.metadata.merged.strategy})` : 'everything is in the base');
  if (w.locked) row('Locked', w.lockReason ?? 'yes');
  if (w.prunable) row('Missing', w.prunableReason ?? 'the folder is gone; run Repair');
  row('Created', w.createdAt ? new Date(w.createdAt).toLocaleString() : null);
  row('Agent', w.agent || w.agentState.phase !== 'unknown' ? agentLine(w.agent ?? 'agent', w.agentState) : null);
  if (w.agentState.lastActivity) row('Last agent activity', new Date(w.agentState.lastActivity).toLocaleString());
  if (w.setup) {
    const how = w.setup.state === 'failed' ? ` (${w.setup.timedOut ? 'timed out' : `exit ${w.setup.exitCode ?? '?'}`}: ${w.setup.failedCommand ?? '?'})` : '';
    row('Setup', `${w.setup.state}${how}`);
  }
  if (w.ports.length) row('Ports', w.ports.join(', '));
  if (w.provisioned.length) row('Shared', w.provisioned.map((p) => `${p.path} (${p.mode})`).join(', '));
  if (w.included.length) row('Copied', w.included.join(', '));
  row('Prompt', w.prompt ? (w.prompt.length > 200 ? w.prompt.slice(0, 200) + '…' : w.prompt) : null);
  if (w.lastCommit) row('Last commit', `${w.lastCommit.sha.slice(0, 10)} ${w.lastCommit.subject} (${new Date(w.lastCommit.date * 1000).toLocaleString()})`);
  const md = new vscode.MarkdownString(lines.join('\n'));
  md.supportThemeIcons = false;
  return md;
}

/** A one-letter status for a changed file (A, M, D, ?, U). */
export function letterFor(change: FileChange | StatusEntry): string {
  if ('status' in change) return change.status;
  if (change.kind === 'untracked') return '?';
  if (change.kind === 'conflicted') return 'U';
  const code = change.worktree !== '.' ? change.worktree : change.index;
  return code ?? 'M';
}
