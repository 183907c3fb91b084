/**
 * Calls the person back: when an instance's agent moves to needs-approval, waiting, idle, exited or
 * failed-to-start, a notification names it with one action (unless its terminal is the active one in
 * a focused window); `axiom.notify` chooses which moves notify. The Instances view's badge counts the
 * instances that need attention, and a status-bar item sums up ("2 need you · 3 working") and opens
 * the view. Only changes seen while the window is open notify: a state found at startup does not.
 */
import * as vscode from 'vscode';
import { attentionOf, describeAgentState, plural, type Attention, type WorktreeStatus } from '../core';
import { Commands, VIEW_ID } from './commandIds';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';
import { readSettings, type NotifyLevel } from './settings';
import type { TerminalManager } from './terminals';
import { WorktreeNode } from './tree';

/** What a move is worth telling: a need (approval, input, failure) or news (a turn done, a clean exit). */
export type NoticeKind = Attention | 'done';

export interface Notice {
  repo: string;
  id: string;
  kind: NoticeKind;
  message: string;
  action: string;
  at: string;
}

export interface AttentionSummary {
  needYou: number;
  working: number;
}

/** The notice a phase change is worth, or null (no news, or the same state as before). */
export function noticeKind(before: string | undefined, w: WorktreeStatus): NoticeKind | null {
  const s = w.agentState;
  const now = stateKey(w);
  if (before === undefined || before === now) return null;
  const attention = attentionOf(s);
  if (attention) return attention;
  if (s.phase === 'idle' || s.phase === 'exited') return 'done';
  return null;
}

function stateKey(w: WorktreeStatus): string {
  return `${w.agentState.phase}:${w.agentState.exitCode ?? ''}`;
}

/**
 * A notice's one action: an agent that failed to start gets Change Agent… (Open Terminal would only
 * fail the same way again), a headless agent its log, a finished one its changes.
 */
export function noticeAction(kind: NoticeKind, w: WorktreeStatus): { action: string; command: string } {
  if (kind === 'done') return { action: 'Show Changes', command: Commands.showChanges };
  if (w.agentState.phase === 'failed-to-start') return { action: 'Change Agent…', command: Commands.changeAgent };
  if (w.launch === 'headless') return { action: 'Show Log', command: Commands.showAgentLog };
  return { action: 'Open Terminal', command: Commands.openTerminal };
}

export function shouldNotify(level: NotifyLevel, kind: NoticeKind): boolean {
  if (level === 'none') return false;
  return level === 'all' || kind !== 'done';
}

export class AttentionMonitor implements vscode.Disposable {
  private readonly seen = new Map<string, string>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly item: vscode.StatusBarItem;
  /** Every notification shown, newest last (for tests and diagnostics). */
  readonly notices: Notice[] = [];
  private summaryNow: AttentionSummary = { needYou: 0, working: 0 };

  constructor(
    private readonly repos: Repositories,
    private readonly terminals: TerminalManager,
    private readonly view: vscode.TreeView<unknown>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.item = vscode.window.createStatusBarItem('axiom.attention', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Axiom Worktrees agents';
    this.item.command = `${VIEW_ID}.focus`;
    this.subs.push(
      this.item,
      repos.onDidAddRepository(({ model }) => {
        this.subs.push(model.onDidChange(() => this.update(model)));
        if (model.snapshot) this.update(model);
      }),
    );
    for (const model of repos.models()) {
      this.subs.push(model.onDidChange(() => this.update(model)));
      if (model.snapshot) this.update(model);
    }
  }

  get summary(): AttentionSummary {
    return { ...this.summaryNow };
  }

  /** What the Instances view's badge and the status-bar item show now. */
  get shown(): { badge: number | undefined; statusBar: string | undefined } {
    return { badge: this.view.badge?.value, statusBar: this.item.text || undefined };
  }

  private key(model: RepositoryModel, id: string): string {
    return `${model.root}\0${id}`;
  }

  private update(model: RepositoryModel): void {
    const level = readSettings(vscode.Uri.file(model.root)).notify;
    for (const w of model.instances()) {
      const k = this.key(model, w.id!);
      const before = this.seen.get(k);
      this.seen.set(k, stateKey(w));
      const kind = noticeKind(before, w);
      if (kind && shouldNotify(level, kind) && !this.terminalFocused(model, w.id!)) this.notify(model, w, kind);
    }
    this.recount();
  }

  /** The instance's terminal is the active one in a focused window: the person is already looking. */
  private terminalFocused(model: RepositoryModel, id: string): boolean {
    const t = this.terminals.find(model, id);
    return t !== undefined && vscode.window.state.focused && vscode.window.activeTerminal === t;
  }

  private notify(model: RepositoryModel, w: WorktreeStatus, kind: NoticeKind): void {
    const id = w.id!;
    const name = this.repos.models().length > 1 ? `${id} (${model.name})` : id;
    const s = w.agentState;
    const message =
      kind === 'approval' ? `${name} needs approval${s.reason ? `: ${s.reason}` : '.'}`
      : kind === 'input' ? `${name} is waiting for input${s.reason ? `: ${s.reason}` : '.'}`
      : kind === 'failure' ? `${name} ${describeAgentState(s)}`
      : s.phase === 'idle' ? `${name} finished its turn.`
      : `${name} ${describeAgentState(s)}.`;
    const { action, command } = noticeAction(kind, w);
    this.notices.push({ repo: model.root, id, kind, message, action, at: new Date().toISOString() });
    this.log.info(`Notify (${kind}): ${message}`);
    const show = kind === 'done' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    void show(message, action).then((picked) => {
      // The instance's row, not an argument object: a command with pickers (Change Agent…) shows them.
      if (picked === action) return vscode.commands.executeCommand(command, new WorktreeNode(model, model.find(id) ?? w));
      return undefined;
    }).then(undefined, (e: unknown) => this.log.error(`${action} failed:`, e));
  }

  private recount(): void {
    let needYou = 0;
    let working = 0;
    let agents = 0;
    for (const model of this.repos.models()) {
      for (const w of model.instances()) {
        if (w.agentState.phase === 'unknown') continue;
        agents++;
        if (attentionOf(w.agentState)) needYou++;
        else if (w.agentState.phase === 'working' || w.agentState.phase === 'starting') working++;
      }
    }
    this.summaryNow = { needYou, working };
    this.view.badge = needYou > 0 ? { value: needYou, tooltip: `${plural(needYou, 'instance')} need${needYou === 1 ? 's' : ''} you` } : undefined;
    if (agents === 0) {
      this.item.hide();
      return;
    }
    const parts = [needYou > 0 ? `$(bell-dot) ${needYou} need you` : '', working > 0 ? `$(sync~spin) ${working} working` : ''].filter(Boolean);
    this.item.text = parts.length ? parts.join(' · ') : '$(check) agents idle';
    this.item.tooltip = `Axiom agents: ${needYou} need you, ${working} working. Click to open the Instances view.`;
    this.item.backgroundColor = needYou > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
