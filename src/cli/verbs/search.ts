import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCORE_DIRECTIONS, SELECT_MODES, type ScoreDirection, type SelectMode } from '../../core/choices';
import { plural } from '../../core/text';
import type { AxiomEngine, Search, SearchEvent, SearchLandResult, SearchNode, SearchOptions } from '../../core';
import { selfCommand } from '../completion';
import { EXIT, UsageError, integerOption, need, noExtra, stringOption, type ExitCode, type Verb, type VerbContext } from '../context';
import { backend, type BackendModule } from '../lazy';
import { PERMISSION_MODE_OPTION, headlessOptions, permissionModeOption } from './race';

const ACTIONS = ['status', 'tree', 'stop', 'resume', 'land'] as const;
type Action = (typeof ACTIONS)[number];

function numberOption(ctx: VerbContext, name: string, positive: boolean): number | undefined {
  const raw = stringOption(ctx.values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (positive && n <= 0)) throw new UsageError(`--${name} takes a number${positive ? ' > 0' : ''} (got ${JSON.stringify(raw)}).`);
  return n;
}

/** The search's slots: its agents headless through the launcher races use (the bundled hook, --permission-mode else git config's). */
async function slotsOf(ctx: VerbContext, engine: AxiomEngine): Promise<ReturnType<BackendModule['engineSearchSlots']>> {
  return backend().engineSearchSlots(engine, await backend().engineHeadlessLauncher(engine, headlessOptions(permissionModeOption(ctx))));
}

function describeNode(n: SearchNode, best: boolean): string {
  const who = n.parent === null ? 'base' : (n.agent ?? '-');
  const result = n.result ? `${n.result.passed ? 'passed' : 'failed'}, score ${n.result.score ?? 'none'}` : n.state === 'failed' ? `failed: ${n.error ?? ''}` : n.state;
  return `#${n.id} ${who} round ${n.round}: ${result}${n.result ? ` (${n.state})` : ''}${best ? '  ← best' : ''}`;
}

/** The tree, indented, one node a line: id, agent, round, result and state; the best marked. */
export function formatTree(s: Search): string {
  const best = backend().bestNode(s.nodes, s.evaluate.score, false);
  const lines: string[] = [];
  const walk = (n: SearchNode, depth: number): void => {
    lines.push(`${'  '.repeat(depth)}${describeNode(n, n.id === best?.id)}`);
    for (const c of s.nodes.filter((x) => x.parent === n.id)) walk(c, depth + 1);
  };
  for (const root of s.nodes.filter((n) => n.parent === null)) walk(root, 0);
  return lines.join('\n') + '\n';
}

function describeState(s: Search): string {
  const attempts = s.nodes.filter((n) => n.parent !== null).length;
  const best = backend().bestNode(s.nodes, s.evaluate.score, false);
  const driven = backend().isDriven(s) ? `driven by ${s.driver!.holder}` : s.state === 'running' || s.state === 'stopping' ? 'no driver (axiom search resume to go on)' : '';
  return [
    `Search ${s.name}: ${s.state}${s.stopReason ? ` (${s.stopReason})` : ''}${driven ? `, ${driven}` : ''}`,
    `  task: ${s.task.split('\n')[0]}`,
    `  attempts ${attempts}/${s.budget.attempts}, width ${s.width}, parallel ${s.parallel}, select ${s.select}, from ${s.base} (${s.baseSha.slice(0, 10)})`,
    `  best: ${best ? describeNode(best, false) : 'none yet'}`,
    ...(s.landed ? [`  landed: ${describeLanding(s.landed)}`] : []),
    ...(s.land ? [`  land when it ends: ${s.autoLanded ? s.autoLanded.note : s.state === 'stopped' ? 'no (it was stopped)' : 'yes (approved with --land)'}`] : []),
  ].join('\n') + '\n';
}

function describeLanding(l: NonNullable<Search['landed']>): string {
  if (l.published) return `node ${l.node} published for ${l.into}: ${l.published.branch} on ${l.published.remote}${l.published.url ? `, ${l.published.url}` : ''} (instance ${l.published.instance})`;
  return `node ${l.node} into ${l.into} (${l.mergedSha?.slice(0, 10) ?? ''})`;
}

function progress(ctx: VerbContext): (e: SearchEvent) => void {
  return (e) => {
    if (ctx.json) return;
    if (e.kind === 'expanded') ctx.io.out(`  expanding #${e.node.parent} → #${e.node.id} (${e.node.agent}, round ${e.node.round})\n`);
    else if (e.kind === 'evaluated' || e.kind === 'failed') ctx.io.out(`  ${describeNode(e.node, false)}\n`);
    else if (e.kind === 'landed') ctx.io.out(`  land (approved with --land): ${e.autoLanded.note}\n`);
  };
}

async function drive(ctx: VerbContext, engine: AxiomEngine, name: string): Promise<ExitCode> {
  // An explicit --permission-mode other than the one the search started with is refused (the engine's rule).
  const permissionMode = permissionModeOption(ctx);
  const s = await backend().driveSearch(await slotsOf(ctx, engine), name, { onEvent: progress(ctx), ...(permissionMode !== undefined ? { permissionMode } : {}) });
  ctx.print({ search: s }, () => describeState(s) + formatTree(s));
  const passed = s.nodes.some((n) => n.parent !== null && n.result?.passed);
  // With --land, a passing node that did not land (its landing failed) is not a success either.
  return passed && !(s.autoLanded && s.autoLanded.node === null) ? EXIT.ok : EXIT.refused;
}

/** Starts the driver as a background process of its own (its output in the common dir); it records its claim in the search. */
async function driveInBackground(engine: AxiomEngine, name: string, permissionMode: string | undefined): Promise<string> {
  const { spawn } = await import('node:child_process');
  const dir = path.join(engine.repo.commonDir, 'axiom', 'searches');
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, `${name}.log`);
  const log = fs.openSync(logFile, 'a');
  const [program, ...args] = selfCommand();
  const child = spawn(program!, [...args, '-C', engine.repo.mainWorktree ?? engine.repo.commonDir, 'search', 'resume', name, ...(permissionMode !== undefined ? ['--permission-mode', permissionMode] : [])], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  fs.closeSync(log);
  return logFile;
}

async function start(ctx: VerbContext, name: string): Promise<ExitCode> {
  const text = (n: string): string | undefined => stringOption(ctx.values, n);
  const prompt = text('prompt');
  if (prompt === undefined) throw new UsageError('A search needs its task: --prompt "<what to do>".');
  const select = text('select');
  if (select !== undefined && !(SELECT_MODES as readonly string[]).includes(select)) throw new UsageError(`--select must be one of ${SELECT_MODES.join(', ')}.`);
  const score = text('score');
  if (score !== undefined && !(SCORE_DIRECTIONS as readonly string[]).includes(score)) throw new UsageError(`--score must be one of ${SCORE_DIRECTIONS.join(', ')}.`);
  const options: SearchOptions = { name, task: prompt };
  const whole: [keyof SearchOptions, string, number][] = [['width', 'width', 1], ['parallel', 'parallel', 1], ['attempts', 'attempts', 1], ['patience', 'patience', 1], ['timeoutSec', 'timeout', 1]];
  for (const [key, flag, min] of whole) {
    const v = integerOption(ctx.values, flag, min);
    if (v !== undefined) (options as unknown as Record<string, unknown>)[key] = v;
  }
  const minutes = numberOption(ctx, 'minutes', true);
  const targetScore = numberOption(ctx, 'target-score', false);
  const exploration = numberOption(ctx, 'exploration', false);
  Object.assign(options, {
    ...(minutes !== undefined ? { minutes } : {}),
    ...(targetScore !== undefined ? { targetScore } : {}),
    ...(exploration !== undefined ? { exploration } : {}),
    ...(select ? { select: select as SelectMode } : {}),
    ...(score ? { score: score as ScoreDirection } : {}),
    ...(text('agent') !== undefined ? { agents: text('agent') } : {}),
    ...(text('agent-command') !== undefined ? { agentCommand: text('agent-command') } : {}),
    ...(text('evaluate') !== undefined ? { evaluate: text('evaluate') } : {}),
    ...(text('base') !== undefined ? { base: text('base') } : {}),
    ...(ctx.values.land ? { land: true } : {}),
  });
  const engine = await ctx.engine();
  const search = await backend().withOperationMemo(async () => backend().startSearch(await slotsOf(ctx, engine), options, await backend().searchDefaults(engine)));
  const started = `Search ${name}: from ${search.base}, agents ${search.agents.join(', ')}, ${plural(search.budget.attempts, 'attempt')}, width ${search.width}, parallel ${search.parallel}${search.land ? `; its best passing node lands into ${search.base} when it ends (not when stopped)` : ''}.\n`;
  if (ctx.values.wait) {
    if (!ctx.json) ctx.io.out(started);
    return drive(ctx, engine, name);
  }
  const logFile = await driveInBackground(engine, name, permissionModeOption(ctx));
  ctx.print({ search, log: logFile }, () => started + `Driven in the background (its output: ${logFile}).\nNext: axiom search status ${name}, axiom search tree ${name}, axiom search stop ${name}${search.land ? '' : `, then axiom search land ${name}`}.\n`);
  return EXIT.ok;
}

function describeLand(name: string, r: SearchLandResult): string {
  if (r.published) {
    const p = r.published;
    return `Published node ${r.node} of search ${name}: ${p.branch} (${plural(p.commits, 'commit')}) pushed to ${p.remote}, instance ${p.id} kept while its pull request is open. ${backend().describePublished(p)}\n`;
  }
  return `Landed node ${r.node} of search ${name} into ${r.into}${r.mergedSha ? ` (${r.mergedSha.slice(0, 10)})` : ''}${r.resumed ? ', finishing a landing that was cut off' : ''}.\n`;
}

export const search: Verb = {
  usage: [
    'search <name> --prompt <task> [--evaluate "<template>"] [--agent claude[:k],codex[:k] | --agent-command "<template>"]',
    '     [--width N] [--parallel N] [--attempts N] [--minutes M] [--target-score S] [--patience R] [--select uct|best] [--land] [--wait] [--permission-mode <mode>]',
    'search status|tree|stop|resume|land <name> [--node <id>]   follow, stop, continue or land a search (resume keeps the permission mode the search started with)',
    'search land <name> --publish [--node <id>] [--remote <name>] [--draft]   publish the best node (pull request) instead of merging it',
  ],
  summary: 'Searches: rounds of agent attempts, each started from an earlier attempt with its evaluation\'s feedback, under a budget; then land the best.',
  options: {
    prompt: { type: 'string', value: '<task>', description: 'The task: {task} in the prompt each attempt gets.' },
    evaluate: { type: 'string', value: '"<template>"', description: 'The evaluation command (exit 0 = passed, AXIOM_SCORE=<n> its score, AXIOM_FEEDBACK=<text> lines its feedback).', default: '"evaluate" in .axiom.json' },
    score: { type: 'string', value: 'higher|lower', description: 'Which way a score is better.', default: 'higher', complete: SCORE_DIRECTIONS },
    timeout: { type: 'string', value: '<sec>', description: 'The evaluation timeout in seconds.', default: '600 (or .axiom.json "evaluate")' },
    agent: { type: 'string', value: 'claude[:k],codex[:k]', description: 'The agents of the attempts, taken in turn.', default: 'claude' },
    'agent-command': { type: 'string', value: '"<template>"', description: 'The command of the custom agent ({prompt}, {id}, {worktree} filled in).' },
    base: { type: 'string', value: '<branch>', description: 'The branch the search starts from (the root) and lands into.', default: 'the repository\'s default branch' },
    width: { type: 'string', value: 'N', description: 'Children per expansion of a node.', default: '2' },
    parallel: { type: 'string', value: 'N', description: 'Live instances at most (attempts at work or being evaluated).', default: '2' },
    attempts: { type: 'string', value: 'N', description: 'Attempts at most (the evaluation of the base is not one).', default: '10' },
    minutes: { type: 'string', value: 'M', description: 'Minutes from the start after which the search ends (attempts at work are stopped).' },
    'target-score': { type: 'string', value: 'S', description: 'A passing attempt with this score (or better) ends the search.' },
    patience: { type: 'string', value: 'R', description: 'Rounds without a better node after which nothing more is expanded.' },
    select: { type: 'string', value: 'uct|best', description: 'Which nodes to expand: UCT over the tree, or the best only.', default: 'uct', complete: SELECT_MODES },
    exploration: { type: 'string', value: 'C', description: 'UCT\'s exploration constant.', default: '1.414' },
    land: {
      type: 'boolean',
      description:
        'Land the best passing node into the base when the search ends by itself (attempts, minutes, target score, patience, or no node left to expand): the approval given now, the landing search land makes, once. A stopped search lands nothing; so does one with no passing node. With --wait, exit 0 only when a node passed and landed.',
    },
    wait: { type: 'boolean', description: 'Drive the search in this process until it ends, then print its tree (else it is driven in the background).' },
    'permission-mode': PERMISSION_MODE_OPTION,
    node: { type: 'string', value: '<id>', description: 'With land: the node to land instead of the best passing one.' },
    publish: {
      type: 'boolean',
      description:
        'With land: publish the node instead of merging it locally: its instance <name>-l<id> pushed at exactly the node\'s commit (never forced) and its pull request opened with gh, else the remote\'s compare page (axiom publish); the base does not move, the instance stays while the pull request is open. Once: a search lands once, merged or published.',
    },
    remote: { type: 'string', value: '<name>', description: 'With land --publish: the remote to push to.', default: "the branch's upstream remote, its base's, else origin" },
    draft: { type: 'boolean', description: 'With land --publish: open the pull request as a draft.' },
  },
  examples: [
    'axiom search login --prompt "Make the login tests pass" --evaluate "npm test" --attempts 12 --wait   # search, then print the tree',
    'axiom search tree login   # the attempts as a tree, the best marked',
    'axiom search land login   # merge the best node into the base',
    'axiom search login --prompt "Make the login tests pass" --evaluate "npm test" --land   # lands the best node by itself when it ends',
    'axiom search land login --publish --draft   # a draft pull request of the best node instead of a local merge',
  ],
  operands: 'search',
  async run(ctx) {
    const first = need(ctx.args, 0, 'search name (axiom search <name> --prompt …)');
    if (!(ACTIONS as readonly string[]).includes(first) || ctx.args.length === 1) {
      noExtra(ctx.args, 1);
      if ((ACTIONS as readonly string[]).includes(first)) throw new UsageError(`Missing the search name (axiom search ${first} <name>).`);
      return start(ctx, first);
    }
    const action = first as Action;
    const name = need(ctx.args, 1, 'search name');
    noExtra(ctx.args, 2);
    const engine = await ctx.engine();
    const { git, repo } = engine;
    switch (action) {
      case 'status':
      case 'tree': {
        const s = await backend().findSearch(git, repo, name);
        ctx.print({ search: s, driven: backend().isDriven(s) }, () => (action === 'status' ? describeState(s) : formatTree(s)));
        return EXIT.ok;
      }
      case 'stop': {
        // Stopping starts no agent: no launcher (and no permission mode to decide).
        const s = await backend().stopSearch(backend().engineSearchSlots(engine, null), name);
        ctx.print({ search: s }, () => (s.state === 'stopping' ? `Search ${name} will stop at its driver's next look.\n` : describeState(s)));
        return EXIT.ok;
      }
      case 'resume':
        return drive(ctx, engine, name);
      case 'land': {
        const raw = stringOption(ctx.values, 'node');
        if (raw !== undefined && !/^\d+$/.test(raw)) throw new UsageError(`--node takes a node id (got ${JSON.stringify(raw)}).`);
        const remote = stringOption(ctx.values, 'remote');
        if (!ctx.values.publish && (remote !== undefined || ctx.values.draft)) throw new UsageError('--remote and --draft go with search land --publish.');
        const publish = ctx.values.publish ? { ...(remote !== undefined ? { remote } : {}), draft: ctx.values.draft === true } : undefined;
        const r = await backend().landSearch(engine, name, { ...(raw !== undefined ? { node: Number(raw) } : {}), ...(publish ? { publish } : {}) });
        ctx.print(r, () => describeLand(name, r));
        return EXIT.ok;
      }
    }
    throw new (backend().AxiomError)('InvalidArgument', `Unknown search action ${action}.`);
  },
};
