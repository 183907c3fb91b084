/**
 * Land Best…: the best passing node (or the attempt row it came from) with its path from the root —
 * each step's score — in one modal; nothing lands without the confirmation. The node is merged
 * into the search's base by the engine's merge (all or nothing), once.
 */
import * as vscode from 'vscode';
import { landSearch, nodeToLand, pathTo, plural, type Search, type SearchLandResult, type SearchNode } from '../core';
import type { Invocation } from './invocation';
import { describeStep, searchOf } from './searchPick';
import type { Services } from './services';

export type LandSearchResult = ({ outcome: 'landed' } & SearchLandResult) | { outcome: 'cancelled'; node: number; path: string[] };

/** The modal's text: the path from the base to the node, each step's result and score. */
export function describeSearchLanding(search: Search, node: SearchNode): string {
  const steps = pathTo(search, node.id).map(describeStep);
  return [
    `Node #${node.id} merges into ${search.base} (a merge commit); the path from the base:`,
    ...steps.map((line, i) => `${'  '.repeat(i)}${i ? '→ ' : ''}${line}`),
    '',
    `The other ${plural(search.nodes.length - 1, 'node')} stay in refs/axiom/searches/${search.name}/nodes/ (Open as Instance brings any of them back). A search lands once.`,
  ].join('\n');
}

export async function landSearchCommand(s: Services, inv: Invocation): Promise<LandSearchResult> {
  const { model, search, node: picked } = await searchOf(s, inv, (x) => !x.landed);
  const node = nodeToLand(search, picked?.id);
  const steps = pathTo(search, node.id).map(describeStep);
  const ok = await inv.confirm(`Land node #${node.id} of search ${search.name} into ${search.base}?`, describeSearchLanding(search, node), `Land #${node.id}`);
  if (!ok) return { outcome: 'cancelled', node: node.id, path: steps };
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Landing node #${node.id} of ${search.name}…` }, () =>
    model.operation(() => landSearch(model.engine, search.name, { node: node.id })),
  );
  s.log.info(`Landed search ${search.name}: ${JSON.stringify(result)}`);
  await s.searches.of(model).refresh();
  void vscode.window.showInformationMessage(`Landed node #${result.node} of search ${search.name} into ${result.into}${result.mergedSha ? ` (${result.mergedSha.slice(0, 10)})` : ''}.`);
  return { outcome: 'landed', ...result };
}
