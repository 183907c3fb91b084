import * as path from 'node:path';
import { SCORE_DIRECTIONS, type ScoreDirection } from '../../core/choices';
import { plural } from '../../core/text';
import type { EvaluationOutcome, RaceOptions, UnfinishedMember } from '../../core';
import { CLAUDE_PERMISSION_MODES } from '../../agents/names';
import type { EngineLauncherOptions } from '../backend';
import { EXIT, UsageError, integerOption, need, noExtra, stringOption, type OptionSpec, type Verb, type VerbContext } from '../context';
import { describeEvaluation, formatRanking } from '../exploreFormat';
import { backend } from '../lazy';

const LAUNCH = ['headless', 'none'] as const;

/** The --permission-mode option of race and search. */
export const PERMISSION_MODE_OPTION: OptionSpec = {
  type: 'string',
  value: '<mode>',
  description: `Claude Code's --permission-mode for the headless Claudes (${CLAUDE_PERMISSION_MODES.join(', ')}); any other value is refused.`,
  default: 'git config axiom.claudePermissionMode, else acceptEdits',
};

/** --permission-mode, one of Claude Code's own choices (else a usage error). */
export function permissionModeOption(ctx: VerbContext): string | undefined {
  const mode = stringOption(ctx.values, 'permission-mode');
  if (mode !== undefined && !(CLAUDE_PERMISSION_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`--permission-mode must be one of ${CLAUDE_PERMISSION_MODES.join(', ')} (Claude Code's own choices).`);
  }
  return mode;
}

/**
 * How the CLI's races and searches start their agents (engineHeadlessLauncher: the launcher of every
 * front end): the hook beside this bundle, the mode of --permission-mode (else git config's).
 */
export function headlessOptions(permissionMode: string | undefined, onStarted?: (h: { exited: Promise<unknown> }) => void): EngineLauncherOptions {
  return {
    hookScript: path.join(__dirname, 'hook.js'),
    permissionModes: [{ value: permissionMode, from: '--permission-mode' }],
    ...(onStarted ? { onStarted } : {}),
  };
}

export const race: Verb = {
  usage: [
    'race <task> --count N [--agent claude[:k],codex[:k]] [--agent-command "<template>"] [--prompt <text>]',
    '     [--base <branch> | --from <instance>] [--evaluate "<template>"] [--score higher|lower] [--timeout <sec>]',
    `     [--launch headless|none] [--permission-mode ${CLAUDE_PERMISSION_MODES.join('|')}]`,
    '     [--wait [--wait-timeout <sec>]]                             race agents on one task in <task>-1 … <task>-N',
  ],
  summary: 'Starts a race: N instances on one task, each with an agent, to evaluate, rank and land the best.',
  options: {
    count: { type: 'string', value: 'N', description: 'How many members.', default: 'the size of the --agent mix, else 3' },
    agent: { type: 'string', value: 'claude[:k],codex[:k]', description: 'The agent mix, k members each.', default: 'claude' },
    'agent-command': { type: 'string', value: '"<template>"', description: 'The command of the custom agent ({prompt}, {id}, {worktree} filled in).' },
    prompt: { type: 'string', value: '<text>', description: 'The task given to every agent.' },
    base: { type: 'string', value: '<branch>', description: 'The branch the members start from.', default: 'the repository\'s default branch' },
    from: { type: 'string', value: '<instance>', description: 'Start the members from this instance\'s branch instead of a base branch.', complete: 'instance' },
    evaluate: { type: 'string', value: '"<template>"', description: 'The race\'s evaluation command.', default: '"evaluate" in .axiom.json' },
    score: { type: 'string', value: 'higher|lower', description: 'Which way a score is better.', default: 'higher', complete: SCORE_DIRECTIONS },
    timeout: { type: 'string', value: '<sec>', description: 'The evaluation timeout in seconds.', default: '600 (or .axiom.json "evaluate")' },
    launch: { type: 'string', value: 'headless|none', description: 'Start the agents as background processes, or only create the worktrees.', default: 'headless', complete: ['headless', 'none'] },
    wait: { type: 'boolean', description: 'Wait for every agent to finish and be evaluated, then print the ranking.' },
    'wait-timeout': { type: 'string', value: '<sec>', description: 'With --wait: give up after this many seconds; members still at work or waiting for a person are listed as unfinished and count as failed.', default: '3600' },
    'permission-mode': PERMISSION_MODE_OPTION,
  },
  examples: ['axiom race login --count 3 --prompt "Fix the login bug" --evaluate "npm test" --wait'],
  async run(ctx) {
    const task = need(ctx.args, 0, 'task name (axiom race <task> --count N)');
    noExtra(ctx.args, 1);
    const launch = stringOption(ctx.values, 'launch') ?? 'headless';
    if (!(LAUNCH as readonly string[]).includes(launch)) throw new UsageError(`--launch must be one of ${LAUNCH.join(', ')} (a terminal launch is the extension's).`);
    const score = stringOption(ctx.values, 'score');
    if (score !== undefined && !(SCORE_DIRECTIONS as readonly string[]).includes(score)) throw new UsageError(`--score must be one of ${SCORE_DIRECTIONS.join(', ')}.`);
    const count = integerOption(ctx.values, 'count', 1);
    const timeoutSec = integerOption(ctx.values, 'timeout', 1);
    const waitTimeoutSec = integerOption(ctx.values, 'wait-timeout', 1);
    if (waitTimeoutSec !== undefined && !ctx.values.wait) throw new UsageError('--wait-timeout goes with --wait.');
    const modeOption = permissionModeOption(ctx);
    const text = (name: string): string | undefined => stringOption(ctx.values, name);
    const options: RaceOptions = {
      task,
      launch: launch as 'headless' | 'none',
      ...(count !== undefined ? { count } : {}),
      ...(timeoutSec !== undefined ? { timeoutSec } : {}),
      ...(score ? { score: score as ScoreDirection } : {}),
    };
    if (text('agent') !== undefined) options.agents = text('agent')!;
    if (text('agent-command') !== undefined) options.agentCommand = text('agent-command')!;
    if (text('prompt') !== undefined) options.prompt = text('prompt')!;
    if (text('base') !== undefined) options.base = text('base')!;
    if (text('from') !== undefined) options.from = text('from')!;
    if (text('evaluate') !== undefined) options.evaluate = text('evaluate')!;
    const engine = await ctx.engine();
    const exits: Promise<unknown>[] = [];
    // One read of the settings and the worktree configuration for the launcher and the race's
    // spawns, made side by side.
    const { race, members } = await backend().withOperationMemo(async () => {
      // An unknown permission mode (the option's, else git config's) is refused before anything is created, never replaced.
      const [launcher] = await Promise.all([
        launch === 'headless' ? backend().engineHeadlessLauncher(engine, headlessOptions(modeOption, (h) => exits.push(h.exited))) : null,
        engine.worktreeConfig(),
      ]);
      return engine.explore.startRace(options, launcher);
    });
    const started = `Race ${race.task}: ${plural(members.length, 'member')} from ${members[0]!.base} (${race.members.map((m) => m.agent).join(', ')})${launch === 'headless' ? ', agents started headless' : ''}.\n` +
      members.map((m) => `  ${m.id.padEnd(16)} ${m.path}\n`).join('');
    if (!ctx.values.wait) {
      ctx.print({ race, members }, () => started + `Next: axiom evaluate --race ${task} when the agents are done, then axiom rank ${task} and axiom land ${task}.\n`);
      return EXIT.ok;
    }
    if (!ctx.json) ctx.io.out(started + 'Waiting for every agent to finish and be evaluated…\n');
    const onEvaluated = (o: EvaluationOutcome): void => {
      if (!ctx.json) ctx.io.out('error' in o ? `  ${o.id}: not evaluated: ${o.error.message}\n` : `  ${describeEvaluation(o.result)}\n`);
    };
    const onWaiting = (m: UnfinishedMember): void => {
      if (!ctx.json) ctx.io.out(`  ${m.id}: ${backend().describeAgentState(m)} (waiting for you; the race waits${waitTimeoutSec ? ` up to ${waitTimeoutSec} s` : ''})\n`);
    };
    const ranked = await engine.explore.waitForRace(race.ref, { onEvaluated, onWaiting, exits, ...(waitTimeoutSec !== undefined ? { timeoutMs: waitTimeoutSec * 1000 } : {}) });
    const unfinished = ranked.unfinished.map((m) => `  ${m.id}: not finished when the wait ended (${backend().describeAgentState(m)}): counted as failed\n`).join('');
    ctx.print({ race: ranked.race, members, ranking: ranked.rows, unfinished: ranked.unfinished }, () => unfinished + formatRanking(ranked.race, ranked.rows));
    if (ranked.rows.length === 0) throw new (backend().AxiomError)('NotFound', 'The race has no members left.');
    return ranked.rows.some((r) => r.passed === true) ? EXIT.ok : EXIT.refused;
  },
};
