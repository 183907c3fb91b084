/**
 * The History view ("learn from all attempts"): per-agent totals (attempts, pass rate, wins,
 * median agent time), then every race with its attempts and what became of each (landed,
 * salvaged, cleaned, open), cleaned-up ones included; evaluations outside races last. Read from git
 * (race records, notes, salvage refs) when the view is shown and whenever they move.
 */
import * as vscode from 'vscode';
import { plural, type AgentStats, type AttemptRow, type History } from '../core';
import { ContextValues } from './commandIds';
import type { Explorations } from './exploration';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';

export type HistoryNode =
  | { kind: 'repo'; model: RepositoryModel }
  | { kind: 'agents'; model: RepositoryModel; stats: AgentStats[] }
  | { kind: 'agent'; stats: AgentStats }
  | { kind: 'race'; model: RepositoryModel; task: string | null; attempts: AttemptRow[] }
  | { kind: 'attempt'; row: AttemptRow };

const OUTCOME_ICONS: Record<AttemptRow['outcome'], [string, string | undefined]> = {
  landed: ['git-merge', 'gitDecoration.addedResourceForeground'],
  salvaged: ['archive', undefined],
  cleaned: ['trash', undefined],
  open: ['circle-outline', undefined],
};

function seconds(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

export class HistoryView implements vscode.TreeDataProvider<HistoryNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<HistoryNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly cache = new Map<RepositoryModel, Promise<History>>();
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly repos: Repositories,
    explorations: Explorations,
  ) {
    this.subs = [repos.onDidChange(() => this.refresh()), explorations.onDidChange(() => this.refresh())];
  }

  refresh(): void {
    this.cache.clear();
    this.emitter.fire(undefined);
  }

  /** The history of a repository (read once per change). */
  historyOf(model: RepositoryModel): Promise<History> {
    let h = this.cache.get(model);
    if (!h) {
      h = model.engine.explore.history();
      h.catch(() => this.cache.delete(model));
      this.cache.set(model, h);
    }
    return h;
  }

  async getChildren(node?: HistoryNode): Promise<HistoryNode[]> {
    if (!node) {
      const models = this.repos.models();
      if (models.length === 1) return this.rowsOf(models[0]!);
      return models.map((model) => ({ kind: 'repo', model }));
    }
    switch (node.kind) {
      case 'repo':
        return this.rowsOf(node.model);
      case 'agents':
        return node.stats.map((stats) => ({ kind: 'agent', stats }));
      case 'race':
        return node.attempts.map((row) => ({ kind: 'attempt', row }));
      default:
        return [];
    }
  }

  private async rowsOf(model: RepositoryModel): Promise<HistoryNode[]> {
    await model.ready();
    const h = await this.historyOf(model);
    if (h.attempts.length === 0) return [];
    const byRace = new Map<string, AttemptRow[]>();
    for (const a of h.attempts) {
      const key = a.raceRef ?? '';
      byRace.set(key, [...(byRace.get(key) ?? []), a]);
    }
    // Newest race first; evaluations outside races last.
    const races = [...byRace.entries()]
      .filter(([k]) => k !== '')
      .sort((x, y) => (y[1][0]!.createdAt ?? '').localeCompare(x[1][0]!.createdAt ?? ''))
      .map(([, attempts]): HistoryNode => ({ kind: 'race', model, task: attempts[0]!.race, attempts }));
    const loose = byRace.get('');
    return [{ kind: 'agents', model, stats: h.agents }, ...races, ...(loose ? [{ kind: 'race', model, task: null, attempts: loose } as HistoryNode] : [])];
  }

  getTreeItem(node: HistoryNode): vscode.TreeItem {
    switch (node.kind) {
      case 'repo': {
        const item = new vscode.TreeItem(node.model.name, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('repo');
        return item;
      }
      case 'agents': {
        const item = new vscode.TreeItem('Agents', vscode.TreeItemCollapsibleState.Expanded);
        item.description = plural(node.stats.reduce((n, s) => n + s.attempts, 0), 'attempt');
        item.iconPath = new vscode.ThemeIcon('graph');
        return item;
      }
      case 'agent': {
        const s = node.stats;
        const item = new vscode.TreeItem(s.agent, vscode.TreeItemCollapsibleState.None);
        item.description = `${plural(s.attempts, 'attempt')} · ${s.passRate === null ? 'none evaluated' : `${Math.round(s.passRate * 100)}% passed`} · ${plural(s.wins, 'win')} · median ${seconds(s.medianDurationMs)}`;
        item.tooltip = `${s.agent}: ${s.attempts} attempts, ${s.evaluated} evaluated, ${s.passed} passed, ${s.wins} landed, median agent time ${seconds(s.medianDurationMs)}`;
        item.iconPath = new vscode.ThemeIcon('robot');
        return item;
      }
      case 'race': {
        const landed = node.attempts.find((a) => a.outcome === 'landed');
        const item = new vscode.TreeItem(node.task ?? 'Other evaluations', vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${plural(node.attempts.length, 'attempt')}${landed ? ` · landed ${landed.id}` : node.attempts.some((a) => a.outcome === 'open') ? ' · open' : ''}`;
        if (node.attempts[0]?.prompt) item.tooltip = node.attempts[0].prompt;
        item.iconPath = new vscode.ThemeIcon(node.task ? 'beaker' : 'checklist');
        item.contextValue = ContextValues.historyRace;
        return item;
      }
      case 'attempt': {
        const r = node.row;
        const item = new vscode.TreeItem(r.id, vscode.TreeItemCollapsibleState.None);
        const result = r.passed === null ? 'not evaluated' : r.passed ? `✓${r.score !== null ? ` ${r.score}` : ''}` : `✗${r.score !== null ? ` ${r.score}` : ''}`;
        item.description = `${result} · ${r.outcome} · ${r.agent ?? '–'} · ${seconds(r.durationMs)}`;
        const md = new vscode.MarkdownString();
        md.appendText(
          [
            `${r.id}${r.race ? ` (race ${r.race})` : ''} — ${r.outcome}`,
            `Agent: ${r.agent ?? '–'}, worked ${seconds(r.durationMs)}`,
            `Result: ${r.passed === null ? 'not evaluated' : r.passed ? 'passed' : 'failed'}${r.score !== null ? `, score ${r.score}` : ''}${r.evaluationMs !== null ? `, evaluation ${seconds(r.evaluationMs)}` : ''}`,
            r.diff ? `Diff: ${plural(r.diff.files, 'file')}, +${r.diff.added} −${r.diff.deleted}` : '',
            r.commit ? `Evaluated state: ${r.commit.slice(0, 12)}` : '',
            r.salvageRef ? `Salvage: ${r.salvageRef}` : '',
            r.prompt ? `Prompt: ${r.prompt.length > 300 ? r.prompt.slice(0, 300) + '…' : r.prompt}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
        item.tooltip = md;
        const [icon, color] = OUTCOME_ICONS[r.outcome];
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        item.contextValue = ContextValues.historyAttempt;
        return item;
      }
    }
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
