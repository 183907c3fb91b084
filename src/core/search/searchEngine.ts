/**
 * The search on the real engine (issue 18): {@link SearchEngine} made of the engine's own
 * operations — spawn (then the branch set to the node's commit, as restoring a salvage does), the
 * launcher races use, the race evaluation path, forced cleanup — and the landing of a node.
 */
import * as fs from 'node:fs';
import type { AxiomEngine } from '../engine';
import { AxiomError, isAxiomError } from '../errors';
import { agentFailed, finishedAt, readMemberFacts, type MemberLauncher } from '../explore/race';
import { resolveBase } from '../instances/spawn';
import { stopHeadlessAgent } from '../processes/processes';
import { Limiter } from '../pool';
import { currentProcessIdentity, formatProcessIdentity, isSameProcessAlive, parseProcessIdentity } from '../processes/processIdentity';
import type { MergeResult } from '../merge/merge';
import { DEFAULT_EVALUATION_PARALLELISM } from '../explore/explore';
import { isDriven, type SearchEngine, type SearchDefaults } from './search';
import { findSearch, updateSearch, nodeOf, type Search, type SearchNode } from './searchRecord';
import { bestNode } from './searchSelect';

/** The engine as a search's slots. `launcher` starts the agents (headless for the CLI); null: none can start. */
export function engineSearchSlots(engine: AxiomEngine, launcher: MemberLauncher | null): SearchEngine {
  const slots = new Limiter(DEFAULT_EVALUATION_PARALLELISM);
  const spawned = new Map<string, Awaited<ReturnType<AxiomEngine['spawn']>>>();
  return {
    git: engine.git,
    repo: engine.repo,
    resolveBase: (base) => resolveBase(engine.git, engine.repo, base),
    async checkAgents(agents, prompt) {
      if (!launcher) throw new AxiomError('InvalidArgument', 'This front end cannot start agents for a search.');
      await launcher.check?.(
        agents.map((a) => ({ id: a.id, agent: a.agent, ...(a.command ? { command: a.command } : {}) })),
        { task: 'search', prompt },
      );
    },
    async spawnAt(id, at, agent, prompt) {
      const s = await engine.spawn(id, { base: at.base, agent, prompt, launch: agent ? 'headless' : 'none' });
      try {
        if (s.setup?.state === 'failed') throw new AxiomError('SetupFailed', `The setup of ${id} failed; see ${s.setup.logFile ?? 'its setup log'}.`);
        // The child starts at the node's state (what restoring a salvage does): a fresh branch, nothing to lose.
        if (at.commit !== s.baseSha) await engine.git.run(s.path, ['reset', '--hard', '--quiet', at.commit]);
      } catch (e) {
        await engine.cleanup(id, { force: true }).catch(() => undefined);
        throw e;
      }
      spawned.set(id, s);
    },
    async launch(id, agent, command) {
      if (!launcher) throw new AxiomError('InvalidArgument', 'This front end cannot start agents for a search.');
      const s = spawned.get(id);
      if (!s) throw new AxiomError('NotFound', `${id} was not created by this search driver; its agent is not started.`);
      await launcher.launch({ id, agent, ...(command ? { command } : {}) }, s, null);
    },
    async progress(id) {
      const facts = (await readMemberFacts(engine.repo.commonDir)).find((m) => m.id === id);
      if (!facts) return 'gone';
      const graceMs = (await engine.settings()).agentFailureGraceSeconds * 1000;
      if (finishedAt(facts.agentState, facts, graceMs) === null) return 'working';
      // A failed turn ends the attempt: its agent (alive, waiting) is stopped before the evaluation.
      if (agentFailed(facts.agentState, graceMs)) await stopHeadlessAgent((await engine.locate(id)).adminDir);
      return 'finished';
    },
    async stopAgent(id) {
      const inst = await engine.locate(id).catch(() => null);
      if (inst) await stopHeadlessAgent(inst.adminDir);
    },
    async evaluate(id, spec) {
      const { command, score, timeoutSec } = spec;
      const record = await engine.explore.evaluate(id, { ...(command ? { command } : {}), score, timeoutSec, slots });
      const log = record.logFile ? await fs.promises.readFile(record.logFile, 'utf8').catch(() => '') : '';
      return { passed: record.passed, score: record.score, commit: record.commit, diff: record.diff, log };
    },
    async pastAttempts() {
      return (await engine.explore.history()).attempts;
    },
    async cleanup(id) {
      spawned.delete(id);
      try {
        await engine.cleanup(id, { force: true, countIgnored: false });
      } catch (e) {
        if (!isAxiomError(e, 'NotFound')) throw e;
      }
    },
  };
}

/** What a search needs from the repository's configuration (read once when it starts). */
export async function searchDefaults(engine: AxiomEngine): Promise<SearchDefaults> {
  const [config, settings] = await Promise.all([engine.worktreeConfig(), engine.settings()]);
  return { evaluate: config.evaluate, template: config.searchPrompt, base: settings.defaultBase ?? engine.repo.defaultBranch ?? null };
}

export interface SearchLandResult {
  search: string;
  node: number;
  into: string;
  mergedSha: string | null;
  commits: number;
  files: number;
  /** The landing was finished from a record left by a landing that was cut off after its merge. */
  resumed?: boolean;
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

/**
 * Lands a node (the best passing one unless `node` is given) into the search's base: the node is
 * brought back as a live instance at its commit and merged through the engine's merge (all or
 * nothing; the target checked and moved with compare-and-swap), then that instance is cleaned up.
 * Once only: the record says what landed; a landing cut off after its merge is recorded as landed
 * by the next `land` (the intent with the target's next commit is in the record before the target moves).
 */
export async function landSearch(engine: AxiomEngine, name: string, options: { node?: number } = {}): Promise<SearchLandResult> {
  const { git, repo } = engine;
  let search = await findSearch(git, repo, name);
  if (search.landed) {
    throw new AxiomError('AlreadyLanded', `Search ${name} already landed node ${search.landed.node} into ${search.landed.into}; a search lands once.`);
  }
  if (search.landing) {
    const holder = parseProcessIdentity(search.landing.holder);
    if (holder && isSameProcessAlive(holder)) throw new AxiomError('Locked', `Search ${name} is being landed by another process (${search.landing.holder}).`);
    const l = search.landing;
    if (l.next && (await targetHolds(engine, l.into, l.next))) {
      // The merge of a landing that was cut off happened: it is recorded, never repeated with another node.
      await updateSearch(git, repo, search, (r) => {
        const { landing: _l, ...rest } = r;
        return { ...rest, landed: { node: l.node, into: l.into, mergedSha: l.next, at: l.at } };
      });
      return { search: name, node: l.node, into: l.into, mergedSha: l.next, commits: 0, files: 0, resumed: true };
    }
  }
  if (isDriven(search)) throw new AxiomError('Locked', `Search ${name} is still running: stop it, or wait for it to end, then land.`);
  const node = nodeToLand(search, options.node);
  const into = search.base;
  const holder = formatProcessIdentity(currentProcessIdentity());
  search = await updateSearch(git, repo, search, (r) => {
    if (r.landed) throw new AxiomError('AlreadyLanded', `Search ${name} already landed node ${r.landed.node}.`);
    return { ...r, landing: { node: node.id, into, mergedSha: null, at: new Date().toISOString(), holder, next: null } };
  });
  const id = `${name}-l${node.id}`;
  let merged: MergeResult;
  try {
    await engine.spawn(id, { base: into, agent: node.agent, prompt: node.prompt, setup: 'skip' }).then((s) => git.run(s.path, ['reset', '--hard', '--quiet', node.commit!]));
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
    await updateSearch(git, repo, search, (r) => {
      const { landing: _l, ...rest } = r;
      return landedAnyway ? { ...rest, landed: { node: node.id, into, mergedSha: next, at: new Date().toISOString() } } : rest;
    });
    await engine.cleanup(id, { force: true, countIgnored: false }).catch(() => undefined);
    throw e;
  }
  await updateSearch(git, repo, search, (r) => {
    const { landing: _l, ...rest } = r;
    return { ...rest, landed: { node: node.id, into, mergedSha: merged.newTargetSha, at: new Date().toISOString() } };
  });
  // Its work is in the target now: an unforced cleanup (it refuses, and keeps the instance, if not).
  await engine.cleanup(id, { countIgnored: false }).catch(() => undefined);
  return { search: name, node: node.id, into, mergedSha: merged.newTargetSha, commits: merged.commits.length, files: merged.files.length };
}
