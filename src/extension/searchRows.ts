/**
 * A search in the Instances view (issue 18): one row per search (state, best, attempts) whose
 * children are its attempt tree — the base (node 0) and under each node the attempts started from
 * it — each with its round, result and score, agent and state; the best node marked with a star, a
 * failing evaluation shown as failing. The instances that simulate running attempts are the
 * search's slots: they are not repeated at the top of the view.
 */
import * as vscode from 'vscode';
import { bestNode, isDriven, plural, type Search, type SearchNode } from '../core';
import { ContextValues } from './commandIds';
import type { RepositoryModel } from './repositoryModel';
import { isEnded } from './searches';

export class SearchRow {
  readonly kind = 'search';
  constructor(
    readonly model: RepositoryModel,
    readonly search: Search,
    /** This window drives it. */
    readonly drivenHere: boolean,
  ) {}
}

export class SearchAttemptRow {
  readonly kind = 'searchAttempt';
  constructor(
    readonly model: RepositoryModel,
    readonly search: Search,
    readonly node: SearchNode,
  ) {}
}

/** The children of a search row (its root) or of an attempt row (the attempts started from it). */
export function attemptChildren(parent: SearchRow | SearchAttemptRow): SearchAttemptRow[] {
  const { model, search } = parent;
  const nodes = parent.kind === 'search' ? search.nodes.filter((n) => n.parent === null) : search.nodes.filter((n) => n.parent === parent.node.id);
  return nodes.sort((a, b) => a.id - b.id).map((n) => new SearchAttemptRow(model, search, n));
}

/** The search row's context value: running (driven somewhere), orphaned (no driver), ended. */
export function searchContext(s: Search): string {
  if (isEnded(s)) return ContextValues.searchEnded;
  return isDriven(s) ? ContextValues.searchRunning : ContextValues.searchOrphaned;
}

export function searchTreeItem(row: SearchRow): vscode.TreeItem {
  const s = row.search;
  const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `search:${row.model.root}:${s.name}`;
  const attempts = s.nodes.filter((n) => n.parent !== null);
  const working = attempts.filter((n) => n.state === 'running' || n.state === 'pending').length;
  const best = bestNode(s.nodes, s.evaluate.score, false);
  const driven = isDriven(s);
  const state = isEnded(s) ? endedState(s, attempts.length) : s.state === 'stopping' ? 'stopping' : driven ? (row.drivenHere ? 'running here' : 'running') : 'no driver (Continue to go on)';
  // What matters first, whole at the default side-bar width (300 px): the state and the best; then the budget.
  const parts = [state, best ? `best #${best.id} ${best.result?.passed ? '✓' : '✗'} ${best.result?.score ?? ''}`.trimEnd() : 'no best yet', `${attempts.length}/${s.budget.attempts} attempts`];
  if (working) parts.push(`${working} working`);
  item.description = parts.join(' · ');
  const busy = !isEnded(s) && driven;
  item.iconPath = new vscode.ThemeIcon(busy ? 'loading~spin' : best?.result?.passed ? 'star-full' : 'search', !busy && best?.result?.passed ? new vscode.ThemeColor('charts.yellow') : undefined);
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**Search ${s.name}**  \n`);
  md.appendText(
    [
      `Task: ${s.task.length > 300 ? s.task.slice(0, 300) + '…' : s.task}`,
      `From ${s.base} (${s.baseSha.slice(0, 10)}); agents ${s.agents.join(', ')}; width ${s.width}, parallel ${s.parallel}, select ${s.select}`,
      `Evaluation: ${s.evaluate.command ?? '(from .axiom.json)'}; ${s.evaluate.score} score is better`,
      `Budget: ${plural(s.budget.attempts, 'attempt')}${s.budget.minutes !== null ? `, ${s.budget.minutes} min` : ''}${s.budget.targetScore !== null ? `, target score ${s.budget.targetScore}` : ''}${s.budget.patience !== null ? `, patience ${s.budget.patience}` : ''}`,
      `Started: ${new Date(s.createdAt).toLocaleString()}${s.endedAt ? `; ended ${new Date(s.endedAt).toLocaleString()}${s.stopReason ? ` (${s.stopReason})` : ''}` : ''}`,
      ...(s.landed ? [landedLine(s.landed)] : []),
      ...(driven && s.driver ? [`Driven by ${row.drivenHere ? 'this window' : s.driver.holder}`] : []),
    ].join('\n'),
  );
  item.tooltip = md;
  item.contextValue = searchContext(s);
  return item;
}

/**
 * The ended search's word: what it landed, else why it ended — except when its attempts simply ran
 * out, which the row's "6/6 attempts" already says ("done").
 */
function endedState(s: Search, used: number): string {
  if (s.landed) return s.landed.published ? `published #${s.landed.node}` : `landed #${s.landed.node}`;
  if (!s.stopReason || used >= s.budget.attempts) return 'done';
  return s.stopReason;
}

function landedLine(l: NonNullable<Search['landed']>): string {
  if (l.published) return `Published node ${l.node} as ${l.published.branch}${l.published.url ? ` (${l.published.url})` : ''}, for ${l.into}`;
  return `Landed node ${l.node} into ${l.into}${l.mergedSha ? ` (${l.mergedSha.slice(0, 10)})` : ''}`;
}

/** "✓ 4", "✗ 2", "working in fix-n3", "failed: its agent could not start". */
export function nodeSummary(n: SearchNode): string {
  if (n.state === 'evaluated' && n.result) return `${n.result.passed ? '✓' : '✗'}${n.result.score !== null ? ` ${n.result.score}` : ''}`;
  if (n.state === 'failed') return `failed: ${(n.error ?? 'unknown').split('\n')[0]}`;
  if (n.state === 'running') return n.parent === null ? 'evaluating the base' : `working${n.instance ? ` in ${n.instance}` : ''}`;
  return 'starting';
}

function nodeIcon(n: SearchNode, best: boolean): vscode.ThemeIcon {
  if (best) return new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'));
  if (n.state === 'running' || n.state === 'pending') return new vscode.ThemeIcon('loading~spin');
  if (n.state === 'failed') return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconErrored'));
  return n.result?.passed ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')) : new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
}

export function attemptTreeItem(row: SearchAttemptRow): vscode.TreeItem {
  const { search: s, node: n } = row;
  const best = bestNode(s.nodes, s.evaluate.score, false)?.id === n.id;
  const hasChildren = s.nodes.some((x) => x.parent === n.id);
  const item = new vscode.TreeItem(n.parent === null ? `#0 base` : `#${n.id}`, hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
  // VS Code keeps an element's collapse state by id: a node first shown without children would stay
  // folded when its attempts arrive. Its id changes once it has children, so the tree opens as it grows.
  item.id = `search:${row.model.root}:${s.name}:${n.id}${hasChildren ? '' : ':leaf'}`;
  item.description = [nodeSummary(n), `round ${n.round}`, ...(n.agent ? [n.agent] : []), ...(best ? ['best'] : [])].join(' · ');
  item.iconPath = nodeIcon(n, best);
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**Node #${n.id} of search ${s.name}**${best ? ' ★ best' : ''}  \n`);
  const lines = [`Round ${n.round}${n.parent !== null ? `, from node #${n.parent}` : ' (the base)'}${n.agent ? `, agent ${n.agent}` : ''}; ${n.state}`];
  if (n.result) {
    lines.push(`Evaluation: ${n.result.passed ? 'passed' : 'failed'}${n.result.score !== null ? `, score ${n.result.score}` : ''}${n.result.diff ? `, +${n.result.diff.added} −${n.result.diff.deleted} in ${plural(n.result.diff.files, 'file')}` : ''}`);
    if (n.result.feedback) lines.push(`Feedback:\n${n.result.feedback.length > 600 ? n.result.feedback.slice(0, 600) + '…' : n.result.feedback}`);
  }
  if (n.error) lines.push(`Error: ${n.error}`);
  if (n.commit) lines.push(`Commit: ${n.commit.slice(0, 12)}`);
  if (n.prompt) lines.push(`Prompt:\n${n.prompt.length > 400 ? n.prompt.slice(0, 400) + '…' : n.prompt}`);
  md.appendText(lines.join('\n'));
  item.tooltip = md;
  item.contextValue = n.parent === null ? ContextValues.searchNodeBase : n.commit ? ContextValues.searchNode : ContextValues.searchNodeEmpty;
  return item;
}
