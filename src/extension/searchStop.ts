/** Stop Search: the driver ends the search at its next look (running attempts stopped, their work salvaged). */
import * as vscode from 'vscode';
import { stopSearch, type Search } from '../core';
import type { Invocation } from './invocation';
import { isEnded } from './searches';
import { searchOf } from './searchPick';
import type { Services } from './services';

export async function stopSearchCommand(s: Services, inv: Invocation): Promise<Search> {
  const { model, search } = await searchOf(s, inv, (x) => !isEnded(x));
  if (isEnded(search)) {
    void vscode.window.showInformationMessage(`Search ${search.name} has already ended (${search.stopReason ?? search.state}).`);
    return search;
  }
  // With no live driver this process ends it now (stopping what still runs); else the driver does.
  const stopped = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stopping search ${search.name}…` }, async () =>
    stopSearch(await s.searches.slots(model), search.name),
  );
  s.log.info(`Search ${search.name}: ${stopped.state === 'stopping' ? 'asked its driver to stop' : `stopped (${stopped.stopReason ?? stopped.state})`}.`);
  await s.searches.of(model).refresh();
  return stopped;
}
