/** Compare with Parent: what an attempt changed against the node it started from, in the multi-file diff editor. */
import * as vscode from 'vscode';
import { AxiomError, nodeChanges } from '../core';
import { baseUri } from './diffs';
import type { Invocation } from './invocation';
import { searchOf } from './searchPick';
import type { Services } from './services';

export interface CompareWithParentResult {
  search: string;
  node: number;
  parent: number;
  files: { path: string; status: string }[];
}

export async function compareWithParentCommand(s: Services, inv: Invocation): Promise<CompareWithParentResult> {
  const { model, search, node } = await searchOf(s, inv);
  if (!node) throw new AxiomError('InvalidArgument', 'Compare which node with its parent? Pick an attempt of the search, or pass { search, node }.');
  const c = await nodeChanges(model.engine.git, model.engine.repo, search, node.id);
  const result = { search: search.name, node: c.node.id, parent: c.parent.id, files: c.files };
  if (c.files.length === 0) {
    void vscode.window.showInformationMessage(`Node #${c.node.id} of ${search.name} has the same files as its parent #${c.parent.id}.`);
    return result;
  }
  const side = (commit: string, file: string, present: boolean): vscode.Uri => baseUri(model, present ? commit : '', file);
  const resources = c.files.map((f) => [baseUri(model, c.node.commit!, f.path), side(c.parent.commit!, f.path, f.status !== 'A'), side(c.node.commit!, f.path, f.status !== 'D')] as const);
  await vscode.commands.executeCommand('vscode.changes', `${search.name}: #${c.parent.id} ↔ #${c.node.id}`, resources);
  return result;
}
