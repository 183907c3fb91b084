/**
 * Which search (and which node) a search command is about: a search row or an attempt row of the
 * Instances view, `args.search` (and `args.node`), or a pick among the repository's searches.
 */
import * as vscode from 'vscode';
import { AxiomError, findSearch, plural, type Search, type SearchNode } from '../core';
import { Cancelled, type Invocation } from './invocation';
import type { RepositoryModel } from './repositoryModel';
import type { Services } from './services';

export interface SearchTarget {
  model: RepositoryModel;
  /** The record as read now (not as the row last showed it). */
  search: Search;
  /** The attempt row the command came from, or `args.node`. */
  node: SearchNode | null;
}

export async function searchOf(s: Services, inv: Invocation, filter: (x: Search) => boolean = () => true): Promise<SearchTarget> {
  const n = inv.node;
  if (n?.kind === 'search' || n?.kind === 'searchAttempt') {
    const search = await findSearch(n.model.engine.git, n.model.engine.repo, n.search.name);
    const node = n.kind === 'searchAttempt' ? (search.nodes.find((x) => x.id === n.node.id) ?? null) : null;
    return { model: n.model, search, node };
  }
  const model = await inv.model(s.repos);
  const { git, repo } = model.engine;
  let name = inv.args?.search;
  if (name === undefined) {
    if (inv.headless) throw new AxiomError('InvalidArgument', 'Which search? Pass { search }.');
    const state = s.searches.of(model);
    await state.refresh();
    const candidates = state.searches().filter(filter);
    if (candidates.length === 0) throw new AxiomError('NotFound', 'There is no search for this. Start one with Search….');
    const chosen = await vscode.window.showQuickPick(
      candidates.map((x) => ({ label: x.name, description: `${x.state} · ${plural(x.nodes.length - 1, 'attempt')} · ${x.base}`, detail: x.task.split('\n')[0], value: x.name })),
      { title: 'Axiom: Choose a Search', placeHolder: 'Which search?' },
    );
    if (!chosen) throw new Cancelled();
    name = chosen.value;
  }
  const search = await findSearch(git, repo, name);
  const id = inv.args?.node;
  const node = id === undefined ? null : (search.nodes.find((x) => x.id === id) ?? null);
  if (id !== undefined && !node) throw new AxiomError('NotFound', `Search ${name} has no node ${id}.`);
  return { model, search, node };
}

/** "#3 (round 2, custom): passed, score 4" */
export function describeStep(n: SearchNode): string {
  const who = n.parent === null ? 'the base' : `round ${n.round}, ${n.agent ?? '-'}`;
  const result = n.result ? `${n.result.passed ? 'passed' : 'failed'}, score ${n.result.score ?? 'none'}${n.result.diff?.files ? ` (+${n.result.diff.added} −${n.result.diff.deleted} in ${plural(n.result.diff.files, 'file')})` : ''}` : n.state;
  return `#${n.id} (${who}): ${result}`;
}
