/**
 * Land Best…: the best passing node (or the attempt row it came from) with its path from the root —
 * each step's score — in one modal; nothing lands without the confirmation. The node is merged
 * into the search's base by the engine's merge (all or nothing), once. When the repository has a
 * remote the modal also offers *Publish as Pull Request* and *Publish as Draft*: the engine's
 * `landSearch(…, { publish: { draft } })` pushes the node's instance and opens its pull request (a
 * draft one) with `gh` instead of merging here.
 */
import * as vscode from 'vscode';
import { AxiomError, describePublished, landSearch, nodeToLand, pathTo, plural, type Search, type SearchLandResult, type SearchLandOptions, type SearchNode } from '../core';
import { Cancelled, type Invocation } from './invocation';
import { notifyWithLink, OPEN_COMPARE_PAGE, OPEN_PULL_REQUEST } from './publishCommand';
import { describeStep, searchOf } from './searchPick';
import type { Services } from './services';

export type LandSearchResult =
  | ({ outcome: 'landed' } & SearchLandResult)
  | ({ outcome: 'published' } & SearchLandResult)
  | { outcome: 'cancelled'; node: number; path: string[] };

export const PUBLISH_AS_PULL_REQUEST = 'Publish as Pull Request';
export const PUBLISH_AS_DRAFT = 'Publish as Draft';

/** The modal's text: the path from the base to the node, each step's result and score (and what publishing would do, when it is offered). */
export function describeSearchLanding(search: Search, node: SearchNode, publishable = false): string {
  const steps = pathTo(search, node.id).map(describeStep);
  return [
    `Node #${node.id} merges into ${search.base} (a merge commit); the path from the base:`,
    ...steps.map((line, i) => `${'  '.repeat(i)}${i ? '→ ' : ''}${line}`),
    '',
    `The other ${plural(search.nodes.length - 1, 'node')} stay in refs/axiom/searches/${search.name}/nodes/ (Open as Instance brings any of them back). A search lands once.`,
    ...(publishable
      ? ['', `${PUBLISH_AS_PULL_REQUEST} merges nothing here: node #${node.id} becomes instance ${search.name}-l${node.id}, its branch is pushed (never forced) and a pull request into ${search.base} is opened with gh (else you get the compare page); the instance stays while the pull request is open. ${PUBLISH_AS_DRAFT} opens it as a draft.`]
      : []),
  ].join('\n');
}

/** The landing's buttons: Land, and Publish as Pull Request or as Draft when the repository has a remote. */
export function searchLandingButtons(node: SearchNode, remotes: readonly string[]): string[] {
  return [`Land #${node.id}`, ...(remotes.length ? [PUBLISH_AS_PULL_REQUEST, PUBLISH_AS_DRAFT] : [])];
}

export type LandingChoice = { to: 'land' } | { to: 'publish'; draft: boolean };

/** What a button of the modal means (undefined: it was dismissed). */
export function landingChoice(chosen: string | undefined, buttons: readonly string[]): LandingChoice | undefined {
  if (chosen === undefined) return undefined;
  if (chosen === buttons[0]) return { to: 'land' };
  if (chosen === PUBLISH_AS_PULL_REQUEST || chosen === PUBLISH_AS_DRAFT) return { to: 'publish', draft: chosen === PUBLISH_AS_DRAFT };
  return undefined;
}

/** Merge or publish (or neither): the modal's answer, or headless `confirm` (with `publish` and `draft`). */
async function chooseLanding(inv: Invocation, title: string, detail: string, buttons: string[]): Promise<LandingChoice | undefined> {
  if (inv.headless) return inv.args?.confirm !== true ? undefined : inv.args.publish === true ? { to: 'publish', draft: inv.args.draft === true } : { to: 'land' };
  return landingChoice(await vscode.window.showWarningMessage(title, { modal: true, detail }, ...buttons), buttons);
}

/** The remote to publish to: the one asked for; the only one; none (the engine's choice: the base's upstream, else origin); else a pick. */
async function remoteFor(inv: Invocation, remotes: readonly string[], title: string): Promise<string | undefined> {
  if (inv.args?.remote !== undefined) return inv.args.remote;
  if (remotes.length === 1) return remotes[0];
  if (remotes.includes('origin') || inv.headless) return undefined;
  const remote = await inv.pick('remote', remotes.map((name) => ({ label: name, value: name })), { title, placeHolder: 'Push the branch to which remote?' });
  if (remote === undefined) throw new Cancelled();
  return remote;
}

export async function landSearchCommand(s: Services, inv: Invocation): Promise<LandSearchResult> {
  const { model, search, node: picked } = await searchOf(s, inv, (x) => !x.landed);
  const node = nodeToLand(search, picked?.id);
  const steps = pathTo(search, node.id).map(describeStep);
  const remotes = await model.engine.remotes();
  if (inv.headless && inv.args?.publish === true && remotes.length === 0) {
    throw new AxiomError('NoRemote', `This repository has no remote: node #${node.id} of search ${search.name} cannot be published (add one: git remote add origin <url>). Nothing was changed.`);
  }
  const title = `Land node #${node.id} of search ${search.name} into ${search.base}?`;
  const choice = await chooseLanding(inv, title, describeSearchLanding(search, node, remotes.length > 0), searchLandingButtons(node, remotes));
  if (!choice) return { outcome: 'cancelled', node: node.id, path: steps };
  let publish: SearchLandOptions['publish'];
  if (choice.to === 'publish') {
    const remote = await remoteFor(inv, remotes, `Publish node #${node.id} of ${search.name}: Choose a Remote`);
    publish = { draft: choice.draft, ...(remote !== undefined ? { remote } : {}) };
  }
  const verb = publish ? 'Publishing' : 'Landing';
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${verb} node #${node.id} of ${search.name}…` }, (progress) =>
    model.operation(() =>
      landSearch(model.engine, search.name, {
        node: node.id,
        ...(publish ? { publish: { ...publish, onStep: (step) => progress.report({ message: step === 'push' ? 'pushing…' : 'opening the pull request…' }) } } : {}),
      }),
    ),
  );
  s.log.info(`${publish ? 'Published' : 'Landed'} search ${search.name}: ${JSON.stringify({ ...result, published: result.published?.record })}`);
  await s.searches.of(model).refresh();
  const p = result.published;
  if (p) {
    notifyWithLink(
      `Published node #${result.node} of search ${search.name}: ${p.branch} pushed to ${p.remote}, instance ${p.id} kept while its pull request is open. ${describePublished(p)}`,
      p.pr?.url ?? p.compareUrl,
      p.pr ? OPEN_PULL_REQUEST : OPEN_COMPARE_PAGE,
    );
    return { outcome: 'published', ...result };
  }
  void vscode.window.showInformationMessage(`Landed node #${result.node} of search ${search.name} into ${result.into}${result.mergedSha ? ` (${result.mergedSha.slice(0, 10)})` : ''}.`);
  return { outcome: 'landed', ...result };
}
