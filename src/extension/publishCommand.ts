/**
 * Publish…: push the instance's branch (never forced) and open a pull request with the user's `gh`,
 * else offer the remote's compare page — the engine's publish (core/publish.ts). A confirmation
 * first, progress while pushing, and the pull request (or the page) one button away at the end.
 * When the engine cannot choose a remote (no upstream, no origin), the remotes are offered.
 */
import * as vscode from 'vscode';
import { describePublished, isAxiomError, plural, type PublishResult } from '../core';
import { Cancelled, type Invocation } from './invocation';
import type { Services } from './services';

export const OPEN_PULL_REQUEST = 'Open Pull Request';
export const OPEN_COMPARE_PAGE = 'Open Compare Page';

export async function publishCommand(s: Services, inv: Invocation): Promise<PublishResult> {
  const { model, status } = await inv.instance(s.repos, (w) => w.kind === 'instance' && w.dirty !== null, 'Publish');
  const id = status.id!;
  const draft = await inv.pick(
    'draft',
    [
      { label: 'Pull request', detail: 'Push the branch, then open a pull request with gh (else offer the compare page)', value: false },
      { label: 'Draft pull request', detail: 'The same, as a draft', value: true },
    ],
    { title: `Publish ${id}`, placeHolder: 'Push the branch and open…' },
  );
  if (draft === undefined) throw new Cancelled();
  const ok = await inv.confirm(
    `Publish ${id}?`,
    `Pushes ${status.branch ?? 'its branch'} to ${inv.args?.remote ?? 'its remote'} (never forced: a remote branch that moved on refuses the push), then opens a${draft ? ' draft' : ''} pull request into ${status.base ?? 'its base'} with the GitHub CLI when it is signed in.`,
    'Publish',
  );
  if (!ok) throw new Cancelled();
  const publish = async (remote: string | undefined): Promise<PublishResult> =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Publishing ${id}` }, (progress) =>
      model.operation(() =>
        model.engine.publish(id, {
          draft,
          ...(remote !== undefined ? { remote } : {}),
          ...(inv.args?.title !== undefined ? { title: inv.args.title } : {}),
          ...(inv.args?.body !== undefined ? { body: inv.args.body } : {}),
          onStep: (step) => progress.report({ message: step === 'push' ? `pushing to ${remote ?? 'its remote'}…` : 'opening the pull request…' }),
        }),
      ),
    );
  let r: PublishResult;
  try {
    r = await publish(inv.args?.remote);
  } catch (e) {
    // No remote the engine can choose: the user picks one (the engine's hint, in buttons).
    if (!isAxiomError(e, 'NoRemote') || !e.details.hint?.next.length || inv.headless) throw e;
    const remotes = await model.engine.remotes();
    const remote = await inv.pick('remote', remotes.map((name) => ({ label: name, value: name })), { title: `Publish ${id}: Choose a Remote`, placeHolder: e.message });
    if (remote === undefined) throw new Cancelled();
    r = await publish(remote);
  }
  s.log.info(`Published ${id}: ${r.branch} to ${r.remote} at ${r.pushedSha}. ${describePublished(r)}`);
  const url = r.pr?.url ?? r.compareUrl;
  const button = r.pr ? OPEN_PULL_REQUEST : OPEN_COMPARE_PAGE;
  const unpublished = r.uncommitted ? ` ${plural(r.uncommitted, 'uncommitted change')} stayed behind: commit, then publish again.` : '';
  notifyWithLink(`Published ${id} to ${r.remote}. ${describePublished(r)}${unpublished}`, url, button);
  return r;
}

/** An information message whose button (when there is a page) opens it in the browser. Not awaited. */
export function notifyWithLink(message: string, url: string | null | undefined, button: string): void {
  void vscode.window.showInformationMessage(message, ...(url ? [button] : [])).then((chosen) =>
    chosen === button && url ? vscode.env.openExternal(vscode.Uri.parse(url)) : undefined,
  );
}
