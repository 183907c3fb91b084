/**
 * `search` (issue 18): rounds of agent attempts under a budget, driven by this server in the
 * background (agents headless, each attempt evaluated when its agent finishes), so a lead agent can
 * start one, poll its tree, stop it, resume it after a crash, and land the best node once.
 */
import {
  AxiomError,
  autoLandDue,
  bestNode,
  describePublished,
  driveSearch,
  engineSearchSlots,
  findSearch,
  isAxiomError,
  isDriven,
  landSearch,
  searchDefaults,
  startSearch,
  stopSearch,
  withOperationMemo,
  type AxiomEngine,
  type Search,
  type SearchEngine,
  type SearchNode,
  type SearchOptions,
} from '../../core';
import type { SearchArgs } from '../searchSchema';
import type { ExploreMcpContext, SearchDrive } from './exploreContext';
import { serverHeadlessLauncher } from './headlessAgents';

const DEFAULT_WAIT_SEC = 3600;
const POLL_MS = 500;

function nodeView(n: SearchNode, full: boolean): Record<string, unknown> {
  return {
    id: n.id,
    parent: n.parent,
    round: n.round,
    agent: n.agent,
    state: n.state,
    passed: n.result?.passed ?? null,
    score: n.result?.score ?? null,
    ...(n.error ? { error: n.error } : {}),
    ...(full ? { commit: n.commit, instance: n.instance, feedback: n.result?.feedback ?? null, diff: n.result?.diff ?? null, prompt: n.prompt } : {}),
  };
}

/** The search as a lead agent reads it: state, budget, the best node and the node tree. */
function searchView(ctx: ExploreMcpContext, s: Search, full: boolean): Record<string, unknown> {
  const best = bestNode(s.nodes, s.evaluate.score, false);
  return {
    name: s.name,
    state: s.state,
    ...(s.stopReason ? { stopReason: s.stopReason } : {}),
    driven: isDriven(s),
    drivenByThisServer: ctx.searches.has(s.name),
    task: s.task,
    base: s.base,
    baseSha: s.baseSha,
    agents: s.agents,
    attempts: s.nodes.filter((n) => n.parent !== null).length,
    budget: s.budget,
    width: s.width,
    parallel: s.parallel,
    select: s.select,
    best: best ? nodeView(best, true) : null,
    ...(s.land ? { land: true, autoLanded: s.autoLanded ?? null } : {}),
    ...(s.landed ? { landed: s.landed } : {}),
    nodes: s.nodes.map((n) => nodeView(n, full)),
  };
}

function call(op: string, name: string): string {
  return JSON.stringify({ action: 'search', op, name });
}

/** The search's slots on this server's engine: its agents headless, through the launcher races use. */
async function slotsOf(ctx: ExploreMcpContext, engine: AxiomEngine, permissionMode?: string): Promise<SearchEngine> {
  // Made before anything is created: an unknown permission mode is refused, never replaced.
  return engineSearchSlots(engine, await serverHeadlessLauncher(ctx, engine, permissionMode));
}

/** Drives the search in this server until it ends (or the server closes); problems go to the server's log. */
function driveHere(ctx: ExploreMcpContext, slots: SearchEngine, name: string): SearchDrive {
  const controller = new AbortController();
  const done = driveSearch(slots, name, { signal: controller.signal, pollMs: POLL_MS })
    .catch((e: unknown) => {
      if (!controller.signal.aborted) process.stderr.write(`axiom mcp: search ${name} is not driven any more: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
      return null;
    })
    .finally(() => {
      if (ctx.searches.get(name) === drive) ctx.searches.delete(name);
    });
  const drive: SearchDrive = { controller, done };
  ctx.searches.set(name, drive);
  return drive;
}

/** With wait: until the search ends or the wait is over (the search goes on being driven then). */
async function answer(ctx: ExploreMcpContext, engine: AxiomEngine, name: string, drive: SearchDrive, args: SearchArgs): Promise<Record<string, unknown>> {
  if (args.wait) {
    let timer: NodeJS.Timeout | undefined;
    const over = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), (args.waitTimeoutSec ?? DEFAULT_WAIT_SEC) * 1000)));
    await Promise.race([drive.done, over]).finally(() => clearTimeout(timer));
  }
  const s = await findSearch(engine.git, engine.repo, name);
  const ended = s.state === 'done' || s.state === 'stopped';
  return {
    ...searchView(ctx, s, false),
    next: s.landed
      ? `It landed node ${s.landed.node}; ${call('tree', name)} shows every node.`
      : ended
      ? `${call('land', name)} merges the best passing node into ${s.base} (or pass the argument "node"); ${call('tree', name)} shows every node.`
      : `This server drives the search: poll ${call('status', name)} until its state is done or stopped; ${call('stop', name)} ends it early.`,
  };
}

function startOptions(args: SearchArgs): SearchOptions {
  const o: SearchOptions = { name: args.name, task: args.prompt ?? '' };
  const copy: [keyof SearchOptions, unknown][] = [
    ['evaluate', args.evaluate],
    ['score', args.score],
    ['timeoutSec', args.timeoutSec],
    ['agents', args.agents],
    ['agentCommand', args.command],
    ['base', args.baseBranch],
    ['width', args.width],
    ['parallel', args.parallel],
    ['attempts', args.attempts],
    ['minutes', args.minutes],
    ['targetScore', args.targetScore],
    ['patience', args.patience],
    ['select', args.select],
    ['exploration', args.exploration],
    ['land', args.land],
  ];
  for (const [key, value] of copy) if (value !== undefined) (o as unknown as Record<string, unknown>)[key] = value;
  return o;
}

export async function search(ctx: ExploreMcpContext, args: SearchArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  const { name } = args;
  switch (args.op) {
    case 'start': {
      const slots = await slotsOf(ctx, engine, args.permissionMode);
      await withOperationMemo(async () => startSearch(slots, startOptions(args), await searchDefaults(engine)));
      return answer(ctx, engine, name, driveHere(ctx, slots, name), args);
    }
    case 'resume': {
      const here = ctx.searches.get(name);
      if (here) return answer(ctx, engine, name, here, args);
      const s = await findSearch(engine.git, engine.repo, name);
      if (isDriven(s)) throw new AxiomError('Locked', `Search ${name} is driven by another process (${s.driver!.holder}); poll ${call('status', name)}, or stop it with ${call('stop', name)}.`);
      // An ended search whose approved landing was cut off: resuming it lands it (once).
      if ((s.state === 'done' || s.state === 'stopped') && !autoLandDue(s)) throw new AxiomError('InvalidArgument', `Search ${name} has ended (${s.stopReason ?? s.state}); start a new search to search further.`);
      return answer(ctx, engine, name, driveHere(ctx, await slotsOf(ctx, engine, args.permissionMode), name), args);
    }
    case 'status':
    case 'tree':
      return searchView(ctx, await findSearch(engine.git, engine.repo, name), args.op === 'tree');
    case 'stop': {
      const s = await stopSearch(engineSearchSlots(engine, null), name, { pollMs: 200 });
      return { ...searchView(ctx, s, false), ...(s.state === 'stopping' ? { next: `The driver stops it at its next look: poll ${call('status', name)}.` } : {}) };
    }
    case 'land':
      try {
        const publish = args.publish ? { ...(args.remote !== undefined ? { remote: args.remote } : {}), draft: args.draft === true } : undefined;
        const r = await landSearch(engine, name, { ...(args.node !== undefined ? { node: args.node } : {}), ...(publish ? { publish } : {}) });
        if (!r.published) return { ...r };
        const { body: _body, record: _record, ...published } = r.published;
        return { ...r, published, summary: describePublished(r.published) };
      } catch (e) {
        if (args.node === undefined && isAxiomError(e, 'NotFound') && /no passing node/.test(e.message)) {
          throw new AxiomError('NotFound', `${e.message} Next: pass the argument "node" (a node id from ${call('tree', name)}).`);
        }
        throw e;
      }
  }
}
