/**
 * Open as Instance: brings a node of a search back as a live instance at the node's state (spawned
 * from the search's base, its branch set to the node's commit, as restoring a salvage does); no
 * agent is started in it. The search itself does not change.
 */
import * as vscode from 'vscode';
import { AxiomError, describeInvalidId, openSearchNode, openedNodeId, type SpawnedInstance } from '../core';
import { Cancelled, type Invocation } from './invocation';
import { searchOf } from './searchPick';
import type { Services } from './services';
import { spawnOptionsFromSettings } from './settings';

export async function openSearchNodeCommand(s: Services, inv: Invocation): Promise<SpawnedInstance & { search: string; node: number; commit: string }> {
  const { model, search, node } = await searchOf(s, inv);
  if (!node) throw new AxiomError('InvalidArgument', 'Open which node? Pick an attempt of the search, or pass { search, node }.');
  await model.ready();
  const suggestion = openedNodeId(search.name, node.id);
  const as = inv.headless
    ? (inv.args?.as ?? suggestion)
    : await vscode.window.showInputBox({
        title: `Open Node #${node.id} of ${search.name} as an Instance`,
        prompt: 'Id of the new instance',
        value: suggestion,
        ignoreFocusOut: true,
        validateInput: (v) => describeInvalidId(v) ?? (model.find(v) ? `An instance named ${v} exists.` : null),
      });
  if (as === undefined) throw new Cancelled();
  const { limit, dirTemplate } = spawnOptionsFromSettings(vscode.Uri.file(model.root));
  const opened = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Opening node #${node.id} of ${search.name}…` }, () =>
    model.operation(() => openSearchNode(model.engine, search.name, node.id, { as, ...(limit ? { limit } : {}), ...(dirTemplate ? { dirTemplate } : {}) })),
  );
  s.log.info(`Opened node #${node.id} of search ${search.name} as ${opened.id} at ${opened.path}.`);
  if (!inv.headless) void vscode.window.showInformationMessage(`Node #${node.id} of ${search.name} is instance ${opened.id} (${opened.path}).`);
  return opened;
}
