/**
 * What a front end does with a search's record besides driving it (issue 18): give it more
 * attempts (Continue), show the path from the root to a node (the landing modal), list what a node
 * changed against its parent node (Compare with Parent), and bring a node back as a live instance
 * (Open as Instance: spawned from the search's base, its branch set to the node's commit, as
 * restoring a salvage or landing a node does).
 */
import type { AxiomEngine } from '../engine';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import type { RepoInfo } from '../git/repo';
import { isDriven } from './search';
import { findSearch, nodeOf, updateSearch, type Search, type SearchNode } from './searchRecord';
import type { SpawnedInstance, SpawnOptions } from '../instances/spawn';

const MAX_MORE_ATTEMPTS = 1000;

/**
 * Gives a search `more` attempts. A search that ended (and did not land) is opened again for `more`
 * attempts from now on (its budget: the attempts it made + `more`), and the limit
 * that ended it is lifted (a used time budget, a reached target score, an exhausted patience), so
 * the next driver goes on from the recorded tree. A running search just gets the attempts (its
 * driver reads the budget on every look). `more` may be 0 only for a search that is still running
 * (a search left without a driver: Continue just drives it again).
 */
export async function continueSearch(git: GitRunner, repo: RepoInfo, name: string, more: number, now = Date.now()): Promise<Search> {
  if (!Number.isInteger(more) || more < 0 || more > MAX_MORE_ATTEMPTS) throw new AxiomError('InvalidArgument', `The number of attempts to add is a whole number from 0 to ${MAX_MORE_ATTEMPTS} (got ${more}).`);
  const search = await findSearch(git, repo, name);
  return updateSearch(git, repo, search, (r) => {
    if (r.landed || r.landing) throw new AxiomError('AlreadyLanded', `Search ${name} has landed node ${(r.landed ?? r.landing)!.node}: it does not go on.`);
    const ended = r.state === 'done' || r.state === 'stopped' || (r.state === 'stopping' && !isDriven(r, now));
    if (r.state === 'stopping' && !ended) throw new AxiomError('InvalidArgument', `Search ${name} is stopping: continue it once it has stopped.`);
    if (ended && more === 0) throw new AxiomError('InvalidArgument', `Search ${name} has ended (${r.stopReason ?? r.state}): give it at least one more attempt.`);
    // An ended search makes `more` attempts from now on; a running one gets `more` on top of its budget.
    const made = r.nodes.filter((n) => n.parent !== null).length;
    const budget = { ...r.budget, attempts: (ended ? made : Math.max(r.budget.attempts, made)) + more };
    if (!ended) return { ...r, budget };
    const elapsedMin = (now - Date.parse(r.createdAt)) / 60_000;
    if (budget.minutes !== null && elapsedMin >= budget.minutes) budget.minutes = null;
    const reached = r.nodes.some((n) => n.state === 'evaluated' && n.result?.passed && n.result.score !== null && budget.targetScore !== null && (r.evaluate.score === 'higher' ? n.result.score >= budget.targetScore : n.result.score <= budget.targetScore));
    if (reached) budget.targetScore = null;
    // Patience counts rounds since the best node: going on means not stopping for it again at once.
    budget.patience = null;
    const { stopReason: _s, endedAt: _e, ...rest } = r;
    return { ...rest, state: 'running', budget };
  });
}

/** The nodes from the root to `id` (the root first). */
export function pathTo(search: Pick<Search, 'name' | 'nodes'>, id: number): SearchNode[] {
  const path: SearchNode[] = [];
  for (let n: SearchNode | null = nodeOf(search, id); n; n = n.parent === null ? null : nodeOf(search, n.parent)) {
    path.unshift(n);
    if (path.length > search.nodes.length) throw new AxiomError('InvalidArgument', `The record of search ${search.name} has a cycle of parents.`);
  }
  return path;
}

export interface NodeChanges {
  node: SearchNode;
  parent: SearchNode;
  /** The files that differ between the parent node's commit and the node's (name-status, no renames). */
  files: { path: string; status: string }[];
}

/** What node `id` changed against its parent node (both evaluated states). */
export async function nodeChanges(git: GitRunner, repo: RepoInfo, search: Search, id: number): Promise<NodeChanges> {
  const node = nodeOf(search, id);
  if (node.parent === null) throw new AxiomError('InvalidArgument', `Node 0 of search ${search.name} is the base: it has no parent to compare with.`);
  const parent = nodeOf(search, node.parent);
  if (!node.commit || !parent.commit) throw new AxiomError('InvalidArgument', `Node ${node.commit ? parent.id : id} of search ${search.name} was not evaluated (${node.commit ? parent.state : node.state}): it has no state to compare.`);
  const out = await git.out(repo.commonDir, ['diff', '--name-status', '-z', '--no-renames', parent.commit, node.commit, '--'], { readOnly: true });
  const fields = out.split('\0');
  const files: { path: string; status: string }[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) files.push({ status: fields[i]!, path: fields[i + 1]! });
  return { node, parent, files };
}

/** The default id of the instance a node is opened as. */
export function openedNodeId(name: string, id: number): string {
  return `${name}-o${id}`;
}

/**
 * Brings node `id` back as a live instance `as` (default `<name>-o<id>`): spawned from the search's
 * base with the node's agent and prompt, its branch then set to the node's commit. Nothing of the
 * search changes; the instance is an ordinary one (merge, clean up, race from it).
 */
export async function openSearchNode(engine: AxiomEngine, name: string, id: number, options: { as?: string } & Pick<SpawnOptions, 'limit' | 'dirTemplate'> = {}): Promise<SpawnedInstance & { search: string; node: number; commit: string }> {
  const search = await findSearch(engine.git, engine.repo, name);
  const node = nodeOf(search, id);
  if (!node.commit) throw new AxiomError('InvalidArgument', `Node ${id} of search ${name} has no state to open (${node.state}${node.error ? `: ${node.error}` : ''}).`);
  const { as, ...spawnOptions } = options;
  const spawned = await engine.spawn(as ?? openedNodeId(name, id), { ...spawnOptions, base: search.base, agent: node.agent, prompt: node.prompt });
  if (node.commit !== spawned.baseSha) {
    try {
      await engine.git.run(spawned.path, ['reset', '--hard', '--quiet', node.commit]);
    } catch (e) {
      await engine.cleanup(spawned.id, { force: true }).catch(() => undefined);
      throw e;
    }
  }
  return { ...spawned, search: name, node: id, commit: node.commit };
}
