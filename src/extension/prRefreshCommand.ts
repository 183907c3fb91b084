/**
 * Refresh Pull Request: what became of an instance's pull request — the engine's refresh
 * (core/publish/prRefresh.ts: `gh pr view <recorded url>`), which records the state gh reports (open,
 * draft, merged, closed) on the instance; its row then says `PR #7 merged`, its tooltip when it was
 * checked. Nothing is pushed and no ref moves. On a row whose context value has the `pr` facet, and
 * in the palette (a pick among the instances with a pull request recorded).
 */
import * as vscode from 'vscode';
import type { RefreshResult } from '../core';
import { VIEW_ID } from './commandIds';
import type { Invocation } from './invocation';
import { notifyWithLink, OPEN_PULL_REQUEST } from './publishCommand';
import type { Services } from './services';

export async function refreshPullRequestCommand(s: Services, inv: Invocation): Promise<RefreshResult> {
  const { model, status } = await inv.instance(s.repos, (w) => w.kind === 'instance' && w.metadata?.published?.pr !== undefined, 'Refresh Pull Request');
  const id = status.id!;
  // The view's progress bar while gh asks the host; the row is read again after the operation.
  const r = await vscode.window.withProgress({ location: { viewId: VIEW_ID } }, () => model.operation(() => model.engine.refreshPullRequest(id)));
  s.log.info(`Refreshed the pull request of ${id}: ${r.url} is ${r.state} (was ${r.previous}), checked ${r.checkedAt}.`);
  const change = r.state === r.previous ? `still ${r.state}` : `${r.state} (was ${r.previous})`;
  notifyWithLink(`The pull request of ${id} is ${change}: ${r.url}`, r.url, OPEN_PULL_REQUEST);
  return r;
}
