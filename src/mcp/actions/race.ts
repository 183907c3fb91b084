/**
 * `race`: N members on one task, agents started headless (or in VS Code terminals, or none). The
 * server evaluates each member as soon as its agent exits, in the background, so a lead agent can
 * poll `rank`; `wait: true` returns only with the ranking.
 */
import type { AxiomEngine, Race, RaceOptions } from '../../core';
import { terminalRequestLauncher } from '../../agents/raceLauncher';
import { serverHeadlessLauncher } from './headlessAgents';
import type { RaceArgs } from '../exploreSchema';
import type { ExploreMcpContext } from './exploreContext';

export async function race(ctx: ExploreMcpContext, args: RaceArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  const prompt = args.prompt ?? null;
  const launch = args.launch ?? (prompt !== null ? 'headless' : 'none');
  const options: RaceOptions = { task: args.task, prompt, launch };
  if (args.count !== undefined) options.count = args.count;
  if (args.agents !== undefined) options.agents = args.agents;
  if (args.command !== undefined) options.agentCommand = args.command;
  if (args.baseBranch !== undefined) options.base = args.baseBranch;
  if (args.from !== undefined) options.from = args.from;
  if (args.evaluate !== undefined) options.evaluate = args.evaluate;
  if (args.score !== undefined) options.score = args.score;
  if (args.timeoutSec !== undefined) options.timeoutSec = args.timeoutSec;

  const exits: Promise<unknown>[] = [];
  const pids = new Map<string, { pid: number; logFile: string }>();
  // Made before anything is created: an unknown permission mode is refused, never replaced.
  const launcher =
    launch === 'headless'
      ? await serverHeadlessLauncher(ctx, engine, args.permissionMode, (h) => {
          exits.push(h.exited);
          pids.set(h.id, { pid: h.pid, logFile: h.logFile });
        })
      : launch === 'terminal'
        ? terminalRequestLauncher
        : null;
  const started = await engine.explore.startRace(options, launcher);
  const result: Record<string, unknown> = {
    task: started.race.task,
    race: started.race.ref,
    base: started.race.base,
    evaluate: started.race.evaluate,
    launch,
    members: started.members.map((m) => ({
      instanceId: m.id,
      worktreePath: m.path,
      branch: m.branch,
      agent: m.metadata.agent,
      ...(pids.get(m.id) ?? {}),
    })),
  };
  if (args.wait) {
    const ranked = await engine.explore.waitForRace(started.race.ref, { exits, ...(args.waitTimeoutSec !== undefined ? { timeoutMs: args.waitTimeoutSec * 1000 } : {}) });
    return { ...result, ranking: ranked.rows, unfinished: ranked.unfinished, next: `{"action":"land","task":"${started.race.task}"} merges the winner and salvages the rest.` };
  }
  if (launch === 'headless') evaluateInBackground(engine, started.race, exits);
  return {
    ...result,
    next:
      launch === 'none'
        ? `Work in each member's worktree, then {"action":"evaluate","task":"${started.race.task}"} and {"action":"rank","task":"${started.race.task}"}.`
        : `Each member is evaluated when its agent finishes. Poll {"action":"rank","task":"${started.race.task}"} until every member has a result, then {"action":"land","task":"${started.race.task}"}.`,
  };
}

/** Evaluates members as their agents exit, while the server runs; problems go to the server's log. */
function evaluateInBackground(engine: AxiomEngine, race: Race, exits: Promise<unknown>[]): void {
  engine.explore.waitForRace(race.ref, { exits }).catch((e: unknown) => {
    process.stderr.write(`axiom mcp: race ${race.task} is not evaluated automatically: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
  });
}
