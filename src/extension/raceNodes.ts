/**
 * The exploration pieces of the Instances view: a race node whose children are its members ranked
 * live (result, score, evaluation time), members' rows prefixed with their rank, children of an
 * expanded instance under their parent, and a conflict badge (a file decoration on the row) on
 * instances that conflict with another live instance, whose tooltip names it (members of one race
 * clash with each other by nature: that shows in the tooltip only).
 */
import * as vscode from 'vscode';
import { plural, type RankRow, type WorktreeStatus } from '../core';
import { ContextValues } from './commandIds';
import type { Exploration, Explorations, RaceView } from './exploration';
import type { RepositoryModel } from './repositoryModel';

export const INSTANCE_SCHEME = 'axiom-instance';

export class RaceNode {
  readonly kind = 'race';
  constructor(
    readonly model: RepositoryModel,
    readonly view: RaceView,
  ) {}
}

/** Splits top-level instances into race nodes (live races) and the rest; children of a live parent go under it. */
export function groupRows(model: RepositoryModel, instances: WorktreeStatus[], exploration: Exploration | undefined): { races: RaceNode[]; loose: WorktreeStatus[] } {
  const races = (exploration?.races() ?? []).map((v) => new RaceNode(model, v));
  const inRace = new Set(races.flatMap((r) => r.view.live));
  const liveIds = new Set(instances.map((w) => w.id));
  const loose = instances.filter((w) => !inRace.has(w.id!) && !(w.metadata?.parent && liveIds.has(w.metadata.parent)));
  return { races, loose };
}

/** The live members of a race, best first, with their ranking rows. */
export function membersOf(node: RaceNode): { status: WorktreeStatus; rank: RankRow }[] {
  return node.view.rows
    .map((rank) => ({ rank, status: node.model.find(rank.id) }))
    .filter((m): m is { status: WorktreeStatus; rank: RankRow } => m.status !== undefined && m.status.metadata?.race === node.view.race.ref);
}

/** Instances spawned from `parent` (expand) that are not shown in a race node. */
export function childrenOf(model: RepositoryModel, parent: WorktreeStatus, exploration: Exploration | undefined): WorktreeStatus[] {
  return model
    .instances()
    .filter((w) => w.metadata?.parent === parent.id && !exploration?.raceOf(w.id!))
    .sort((a, b) => a.id!.localeCompare(b.id!));
}

function seconds(ms: number | null): string {
  return ms === null ? '' : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export function raceTreeItem(node: RaceNode, exploration: Exploration | undefined): vscode.TreeItem {
  const { race, rows, live } = node.view;
  const item = new vscode.TreeItem(race.task, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `race:${race.ref}`;
  const working = rows.filter((r) => r.live && (r.agentPhase === 'working' || r.agentPhase === 'starting' || r.agentPhase === 'waiting' || r.agentPhase === 'pending'));
  const evaluating = live.filter((id) => exploration?.isEvaluating(id));
  const evaluated = rows.filter((r) => r.live && r.passed !== null).length;
  const passed = rows.filter((r) => r.live && r.passed === true).length;
  item.description = raceSummary({ working: working.length, evaluating: evaluating.length, evaluated, passed, live: live.length, members: race.members.length });
  const busy = working.length > 0 || evaluating.length > 0;
  item.iconPath = new vscode.ThemeIcon(busy ? 'loading~spin' : passed > 0 ? 'star-full' : 'beaker', passed > 0 && !busy ? new vscode.ThemeColor('charts.yellow') : undefined);
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**Race ${race.task}**  \n`);
  if (race.prompt) md.appendText(`Prompt: ${race.prompt.length > 200 ? race.prompt.slice(0, 200) + '…' : race.prompt}\n`);
  md.appendText(`\nMembers: ${live.length} of ${race.members.length} left; ${evaluated} evaluated, ${passed} passed${evaluating.length ? `; evaluating ${evaluating.join(', ')}` : ''}`);
  md.appendText(`\nBase: ${race.base}${race.parent ? ` (instance ${race.parent})` : ''}\nEvaluation: ${race.evaluate.command ?? '(from .axiom.json)'}; ${race.evaluate.score} score is better\nStarted: ${new Date(race.createdAt).toLocaleString()}`);
  item.tooltip = md;
  item.contextValue = ContextValues.race;
  return item;
}

export interface RaceCounts {
  working: number;
  evaluating: number;
  evaluated: number;
  passed: number;
  live: number;
  members: number;
}

/**
 * A race node's description, the news first and short: "2 working · 1 passed, 1 failed · 3 of 4
 * left". Its base, the ids being evaluated and the evaluation are in the tooltip.
 */
export function raceSummary(c: RaceCounts): string {
  const parts: string[] = [];
  if (c.working) parts.push(`${c.working} working`);
  if (c.evaluating) parts.push(`${c.evaluating} evaluating`);
  const failed = c.evaluated - c.passed;
  parts.push(c.evaluated === 0 ? 'not evaluated' : [c.passed ? `${c.passed} passed` : '', failed ? `${failed} failed` : ''].filter(Boolean).join(', '));
  parts.push(c.live === c.members ? plural(c.members, 'member') : `${c.live} of ${c.members} left`);
  return parts.join(' · ');
}

/**
 * "#1 28021" — the member's rank and score, ahead of the row's own description (its result is the
 * row's icon; the evaluation's time and size are in the tooltip). A member not evaluated yet has no
 * rank: "" (its row says what it is doing instead).
 */
export function rankSummary(rank: RankRow, evaluating: boolean): string {
  if (evaluating) return 'evaluating…';
  if (rank.passed === null) return '';
  const result = rank.passed ? (rank.score === null ? 'passed' : String(rank.score)) : rank.timedOut ? 'timed out' : 'failed';
  return `#${rank.rank} ${result}${rank.stale ? ' (changed)' : ''}`;
}

/** A race member's result as its icon (passed, failed, being evaluated); null while it has none: the row keeps its state icon. */
function resultIcon(rank: RankRow, evaluating: boolean): vscode.ThemeIcon | null {
  if (evaluating) return new vscode.ThemeIcon('loading~spin');
  if (rank.passed === null || rank.stale || !rank.live) return null;
  return rank.passed ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')) : new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
}

/** Adds the exploration facts to an instance row: rank (in a race), conflicts (badge and tooltip). */
export function decorateInstance(item: vscode.TreeItem, model: RepositoryModel, w: WorktreeStatus, exploration: Exploration | undefined, rank?: RankRow): void {
  if (!exploration || w.kind !== 'instance' || !w.id) return;
  item.resourceUri = instanceUri(model, w.id);
  if (rank) {
    const summary = rankSummary(rank, exploration.isEvaluating(w.id));
    if (summary) item.description = `${summary} · ${String(item.description ?? '')}`;
    const icon = resultIcon(rank, exploration.isEvaluating(w.id));
    if (icon) item.iconPath = icon;
  }
  const conflicts = exploration.conflictsOf(w.id);
  if (conflicts.length === 0 && !rank) return;
  const extra: string[] = [];
  if (rank && rank.passed === null) extra.push('Not evaluated yet: no rank.');
  if (rank && rank.passed !== null) {
    extra.push(`Rank ${rank.rank}: ${rank.passed ? 'passed' : rank.timedOut ? 'timed out' : `failed (exit ${rank.exitCode})`}${rank.score !== null ? `, score ${rank.score}` : ''}, evaluation ${seconds(rank.durationMs)}${rank.diff ? `, +${rank.diff.added} −${rank.diff.deleted} in ${plural(rank.diff.files, 'file')}` : ''}${rank.stale ? ' (changed since)' : ''}`);
  }
  const mates = exploration.raceOf(w.id)?.live ?? [];
  for (const c of conflicts) extra.push(`Conflicts with ${c.other}${mates.includes(c.other) ? ' (same race)' : ''} in ${c.files.join(', ')}`);
  const md = item.tooltip instanceof vscode.MarkdownString ? item.tooltip : new vscode.MarkdownString(typeof item.tooltip === 'string' ? item.tooltip : '');
  md.appendMarkdown('\n\n');
  md.appendText(extra.join('\n'));
  item.tooltip = md;
}

export function instanceUri(model: RepositoryModel, id: string): vscode.Uri {
  return vscode.Uri.from({ scheme: INSTANCE_SCHEME, authority: 'instance', path: `/${id}`, query: model.root });
}

/** The conflict badge: rows whose resource is an instance that conflicts with another live instance. */
export class ConflictDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<undefined>();
  readonly onDidChangeFileDecorations = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly explorations: Explorations,
    private readonly models: () => RepositoryModel[],
  ) {
    this.sub = explorations.onDidChange(() => this.emitter.fire(undefined));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== INSTANCE_SCHEME) return undefined;
    const model = this.models().find((m) => m.root === uri.query);
    if (!model) return undefined;
    const exploration = this.explorations.of(model);
    const id = uri.path.slice(1);
    // Members of one race solve the same task: that they clash is expected (only one lands), no badge for it.
    const mates = exploration.raceOf(id)?.live ?? [];
    const conflicts = exploration.conflictsOf(id).filter((c) => !mates.includes(c.other));
    if (conflicts.length === 0) return undefined;
    const tooltip = `Conflicts with ${conflicts.map((c) => `${c.other} (${c.files.join(', ')})`).join('; ')}`;
    return new vscode.FileDecoration('⚠', tooltip, new vscode.ThemeColor('list.warningForeground'));
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
