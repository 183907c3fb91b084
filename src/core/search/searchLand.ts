/**
 * Landing a search's node (issue 18; `--publish`, issue 20): the one landing path of a search, used
 * by `search land` in every front end and by the landing a search started with `--land` does when
 * it ends (search.ts).
 *
 * The node is brought back as a live instance `<name>-l<node>` at its commit, then either merged
 * into the search's base through the engine's merge (all or nothing; the target checked and moved
 * with compare-and-swap) and that instance cleaned up, or — with `publish` — that instance's branch
 * pushed and its pull request opened (publish.ts), the instance kept while the pull request is open.
 * Every other node stays kept by its ref, as after any search.
 *
 * Once only, journalled in the record (DESIGN §4.6): the intent (node, target, the publish choices)
 * is recorded before anything is created; a merge's next target commit before the target moves.
 * A landing cut off is finished by the next one with the journalled choices: a merge the target holds
 * is recorded as landed, never made again; a publish is done again with the same instance (a push
 * of the same commit changes nothing, a pull request the instance records is not opened twice).
 */
import type { AxiomEngine } from '../engine';
import { AxiomError, isAxiomError } from '../errors';
import { currentProcessIdentity, formatProcessIdentity, isSameProcessAlive, parseProcessIdentity } from '../processes/processIdentity';
import type { MergeResult } from '../merge/merge';
import type { PublishOptions, PublishResult } from '../publish/publish';
import { isDriven } from './search';
import { findSearch, updateSearch, nodeOf, type Search, type SearchLanding, type SearchNode, type SearchPublishChoice, type SearchRecord } from './searchRecord';
import { bestNode } from './searchSelect';

export interface SearchLandResult {
  search: string;
  node: number;
  into: string;
  mergedSha: string | null;
  commits: number;
  files: number;
  /** The landing was finished from a record left by a landing that was cut off after its merge. */
  resumed?: boolean;
  /** With `publish`: what was pushed and the pull request (nothing was merged locally). */
  published?: PublishResult;
}

export interface SearchLandOptions {
  /** The node to land instead of the best passing one. */
  node?: number;
  /** Publish the node (push its instance's branch, open a pull request) instead of merging it locally. */
  publish?: SearchPublishChoice & Pick<PublishOptions, 'title' | 'body' | 'env' | 'onStep'>;
}

/** The node a landing takes: the given one, else the best passing node (never the root). */
export function nodeToLand(search: Search, id?: number): SearchNode {
  if (id !== undefined) {
    const node = nodeOf(search, id);
    if (node.parent === null) throw new AxiomError('InvalidArgument', 'Node 0 is the base itself: there is nothing to land.');
    if (node.state !== 'evaluated' || !node.commit) throw new AxiomError('InvalidArgument', `Node ${id} of search ${search.name} was not evaluated (${node.state}); land an evaluated node.`);
    return node;
  }
  const best = bestNode(search.nodes, search.evaluate.score, false);
  if (!best || !best.result?.passed) {
    throw new AxiomError('NotFound', `Search ${search.name} has no passing node to land; name the node to land (its id) to land it anyway.`);
  }
  return best;
}

async function targetHolds(engine: AxiomEngine, into: string, commit: string): Promise<boolean> {
  const r = await engine.git.run(engine.repo.commonDir, ['merge-base', '--is-ancestor', commit, `refs/heads/${into}`], { readOnly: true, okExitCodes: [1, 128] });
  return r.exitCode === 0;
}

function withoutLanding(r: SearchRecord): SearchRecord {
  const { landing: _l, ...rest } = r;
  return rest;
}

function isLiveHolder(holder: string): boolean {
  const id = parseProcessIdentity(holder);
  return id !== null && isSameProcessAlive(id);
}

/**
 * The landing instance `<name>-l<node>` at the node's commit: the one a cut-off landing left when it
 * is still there at that commit (a publish pushes its branch again, never a second one), else a new
 * one (a leftover that moved is cleaned up first, forced: whatever it holds is salvaged).
 */
async function landingInstance(engine: AxiomEngine, id: string, into: string, node: SearchNode): Promise<void> {
  const left = await engine.locate(id).catch((e: unknown) => {
    if (isAxiomError(e, 'NotFound')) return null;
    throw e;
  });
  if (left) {
    const tip = await engine.git.run(engine.repo.commonDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${left.metadata.branch}`], { readOnly: true, okExitCodes: [1] });
    if (!left.missing && tip.stdout.trim() === node.commit) return;
    await engine.cleanup(id, { force: true, countIgnored: false });
  }
  const s = await engine.spawn(id, { base: into, agent: node.agent, prompt: node.prompt, setup: 'skip' });
  await engine.git.run(s.path, ['reset', '--hard', '--quiet', node.commit!]);
}

/**
 * Lands a node (the best passing one unless `node` is given) into the search's base, or publishes it
 * with `publish`. Once only (AlreadyLanded after); a landing another live process is making is Locked;
 * one cut off is finished with its journalled choices (see the header).
 */
export async function landSearch(engine: AxiomEngine, name: string, options: SearchLandOptions = {}): Promise<SearchLandResult> {
  const { git, repo } = engine;
  let search = await findSearch(git, repo, name);
  if (search.landed) {
    const l = search.landed;
    throw new AxiomError('AlreadyLanded', `Search ${name} already ${l.published ? 'published' : 'landed'} node ${l.node} ${l.published ? 'for' : 'into'} ${l.into}; a search lands once.`);
  }
  let node: SearchNode;
  let publish = options.publish;
  const cut = search.landing;
  if (cut) {
    if (isLiveHolder(cut.holder)) throw new AxiomError('Locked', `Search ${name} is being landed by another process (${cut.holder}).`);
    if (cut.next && (await targetHolds(engine, cut.into, cut.next))) {
      // The merge of a landing that was cut off happened: it is recorded, never repeated with another node.
      await updateSearch(git, repo, search, (r) => ({ ...withoutLanding(r), landed: { node: cut.node, into: cut.into, mergedSha: cut.next, at: cut.at } }));
      return { search: name, node: cut.node, into: cut.into, mergedSha: cut.next, commits: 0, files: 0, resumed: true };
    }
    if (cut.publish) {
      // A publish cut off may have pushed already: it is finished as it was chosen (node, remote, draft).
      node = nodeOf(search, cut.node);
      publish = { ...options.publish, ...cut.publish };
    }
  }
  if (isDriven(search)) throw new AxiomError('Locked', `Search ${name} is still running: stop it, or wait for it to end, then land.`);
  node ??= nodeToLand(search, options.node);
  const into = search.base;
  const holder = formatProcessIdentity(currentProcessIdentity());
  const choice: SearchPublishChoice | undefined = publish ? { ...(publish.remote !== undefined ? { remote: publish.remote } : {}), draft: publish.draft === true } : undefined;
  search = await updateSearch(git, repo, search, (r) => {
    if (r.landed) throw new AxiomError('AlreadyLanded', `Search ${name} already landed node ${r.landed.node}.`);
    if (r.landing && r.landing.holder !== holder && isLiveHolder(r.landing.holder)) throw new AxiomError('Locked', `Search ${name} is being landed by another process (${r.landing.holder}).`);
    return { ...r, landing: { node: node.id, into, mergedSha: null, at: new Date().toISOString(), holder, next: null, ...(choice ? { publish: choice } : {}) } };
  });
  const id = `${name}-l${node.id}`;
  if (publish) return publishNode(engine, search, node, id, publish);
  let merged: MergeResult;
  try {
    await landingInstance(engine, id, into, node);
    merged = (await engine.merge(id, {
      strategy: 'merge',
      message: `Land node ${node.id} of search ${name} (round ${node.round}, score ${node.result?.score ?? 'none'})\n`,
      beforeAdvance: async (next) => {
        search = await updateSearch(git, repo, search, (r) => ({ ...r, landing: { ...r.landing!, next } }));
      },
    })) as MergeResult;
  } catch (e) {
    const next = search.landing?.next ?? null;
    const landedAnyway = next !== null && (await targetHolds(engine, into, next));
    await updateSearch(git, repo, search, (r) => (landedAnyway ? { ...withoutLanding(r), landed: { node: node.id, into, mergedSha: next, at: new Date().toISOString() } } : withoutLanding(r)));
    await engine.cleanup(id, { force: true, countIgnored: false }).catch(() => undefined);
    throw e;
  }
  await updateSearch(git, repo, search, (r) => ({ ...withoutLanding(r), landed: { node: node.id, into, mergedSha: merged.newTargetSha, at: new Date().toISOString() } }));
  // Its work is in the target now: an unforced cleanup (it refuses, and keeps the instance, if not).
  await engine.cleanup(id, { countIgnored: false }).catch(() => undefined);
  return { search: name, node: node.id, into, mergedSha: merged.newTargetSha, commits: merged.commits.length, files: merged.files.length };
}

/**
 * `search land --publish`: the node's instance pushed (exactly the node's commit) and its pull
 * request opened; nothing merged locally. The instance stays while its pull request is open. A push
 * that fails drops the intent and the instance (the node keeps its commit by its ref).
 */
async function publishNode(engine: AxiomEngine, search: Search, node: SearchNode, id: string, publish: NonNullable<SearchLandOptions['publish']>): Promise<SearchLandResult> {
  const { git, repo } = engine;
  let published: PublishResult;
  try {
    await landingInstance(engine, id, search.base, node);
    const { draft, ...rest } = publish;
    published = await engine.publish(id, { ...rest, draft: draft === true, expectedTip: node.commit! });
  } catch (e) {
    await updateSearch(git, repo, search, withoutLanding);
    await engine.cleanup(id, { force: true, countIgnored: false }).catch(() => undefined);
    throw e;
  }
  const landed: SearchLanding = {
    node: node.id,
    into: published.base,
    mergedSha: null,
    at: new Date().toISOString(),
    published: { instance: id, remote: published.remote, branch: published.branch, url: published.pr?.url ?? null },
  };
  await updateSearch(git, repo, search, (r) => ({ ...withoutLanding(r), landed }));
  return { search: search.name, node: node.id, into: published.base, mergedSha: null, commits: published.commits, files: 0, published };
}
