/**
 * The search on the real engine (issue 18): {@link SearchEngine} made of the engine's own
 * operations — spawn (then the branch set to the node's commit, as restoring a salvage does), the
 * launcher races use, the race evaluation path, forced cleanup, the landing of a node (searchLand.ts).
 */
import * as fs from 'node:fs';
import type { AxiomEngine } from '../engine';
import { AxiomError, isAxiomError } from '../errors';
import { readMemberFacts, type MemberLauncher } from '../explore/race';
import { attemptEnd } from '../explore/raceDriver';
import { resolveBase } from '../instances/spawn';
import { stopHeadlessAgent } from '../processes/processes';
import { Limiter } from '../pool';
import { DEFAULT_EVALUATION_PARALLELISM } from '../explore/explore';
import type { SearchEngine, SearchDefaults } from './search';
import { landSearch } from './searchLand';

export { landSearch, nodeToLand, type SearchLandResult, type SearchLandOptions } from './searchLand';

/** The engine as a search's slots. `launcher` starts the agents (headless for the CLI); null: none can start. */
export function engineSearchSlots(engine: AxiomEngine, launcher: MemberLauncher | null): SearchEngine {
  const slots = new Limiter(DEFAULT_EVALUATION_PARALLELISM);
  const spawned = new Map<string, Awaited<ReturnType<AxiomEngine['spawn']>>>();
  // Read once per search driver, as `race --wait` does: the loop asks at every look, a git process each time.
  let grace: Promise<number> | null = null;
  const graceMs = (): Promise<number> => {
    if (!grace) {
      grace = engine.settings().then((s) => s.agentFailureGraceSeconds * 1000);
      grace.catch(() => (grace = null));
    }
    return grace;
  };
  const stopAgent = async (id: string): Promise<void> => {
    const inst = await engine.locate(id).catch(() => null);
    if (inst) await stopHeadlessAgent(inst.adminDir);
  };
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
    ...(launcher?.permissionMode !== undefined ? { permissionMode: launcher.permissionMode } : {}),
    async launch(id, agent, command, permissionMode) {
      if (!launcher) throw new AxiomError('InvalidArgument', 'This front end cannot start agents for a search.');
      const s = spawned.get(id);
      if (!s) throw new AxiomError('NotFound', `${id} was not created by this search driver; its agent is not started.`);
      return launcher.launch({ id, agent, ...(command ? { command } : {}) }, s, null, permissionMode !== undefined ? { permissionMode } : undefined);
    },
    async progress(id) {
      const facts = (await readMemberFacts(engine.repo.commonDir)).find((m) => m.id === id);
      if (!facts) return 'gone';
      // The race driver's rule: a failed turn ends the attempt, its agent stopped before the evaluation.
      const end = attemptEnd(facts, await graceMs());
      if (!end) return 'working';
      if (end.stopAgent) await stopAgent(id);
      return 'finished';
    },
    stopAgent,
    async evaluate(id, spec) {
      const { command, score, timeoutSec } = spec;
      const record = await engine.explore.evaluate(id, { ...(command ? { command } : {}), score, timeoutSec, slots });
      const log = record.logFile ? await fs.promises.readFile(record.logFile, 'utf8').catch(() => '') : '';
      return { passed: record.passed, score: record.score, commit: record.commit, diff: record.diff, log };
    },
    async pastAttempts() {
      return (await engine.explore.history()).attempts;
    },
    land: (name) => landSearch(engine, name),
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
