import { SCORE_DIRECTIONS, type ScoreDirection } from '../../core/choices';
import { plural } from '../../core/text';
import type { EvaluateOptions } from '../../core';
import { EXIT, UsageError, integerOption, stringOption, type Verb } from '../context';
import { describeEvaluation } from '../exploreFormat';
import { backend } from '../lazy';

export const evaluate: Verb = {
  usage: [
    'evaluate <id>… | --race <task> [--command "<template>"] [--score higher|lower] [--timeout <sec>]',
    '                                                                 run the evaluation in each worktree; results kept in git',
  ],
  summary: 'Runs the evaluation command in each instance\'s worktree and records the result (pass/fail, score, log) in git.',
  options: {
    race: { type: 'string', value: '<task>', description: 'Evaluate every live member of this race instead of the instances named.', complete: 'race' },
    command: { type: 'string', value: '"<template>"', description: 'The evaluation command ({id}, {worktree} filled in; run without a shell).', default: 'the race\'s, else "evaluate" in .axiom.json' },
    score: { type: 'string', value: 'higher|lower', description: 'Which way a score printed by the command is better.', default: 'higher', complete: SCORE_DIRECTIONS },
    timeout: { type: 'string', value: '<sec>', description: 'Stop the command after this many seconds (it then fails).', default: '600 (or .axiom.json "evaluate")' },
  },
  operands: 'instance',
  examples: ['axiom evaluate --race login --command "npm test"  # evaluate every member of race login'],
  async run(ctx) {
    const task = stringOption(ctx.values, 'race');
    if (task !== undefined && ctx.args.length > 0) throw new UsageError('Give instance ids or --race <task>, not both.');
    if (task === undefined && ctx.args.length === 0) throw new UsageError('Missing instance id (axiom evaluate <id>…, or --race <task>).');
    const score = stringOption(ctx.values, 'score');
    if (score !== undefined && !(SCORE_DIRECTIONS as readonly string[]).includes(score)) throw new UsageError(`--score must be one of ${SCORE_DIRECTIONS.join(', ')}.`);
    const timeoutSec = integerOption(ctx.values, 'timeout', 1);
    const command = stringOption(ctx.values, 'command');
    const options: EvaluateOptions = {
      ...(command !== undefined ? { command } : {}),
      ...(score ? { score: score as ScoreDirection } : {}),
      ...(timeoutSec !== undefined ? { timeoutSec } : {}),
    };
    const engine = await ctx.engine();
    const ids = task === undefined ? ctx.args : await engine.explore.liveMembers(await engine.explore.race(task));
    if (ids.length === 0) throw new (backend().AxiomError)('NotFound', `Race ${task} has no live members to evaluate.`);
    const outcomes = await engine.explore.evaluateMany(ids, options);
    const failedToRun = outcomes.find((o) => 'error' in o);
    // One id and it could not run: that error is the answer (its code, its exit status).
    if (ids.length === 1 && failedToRun && 'error' in failedToRun) throw failedToRun.error;
    const doc = outcomes.map((o) => ('error' in o ? { id: o.id, error: o.error.toJSON() } : o.result));
    ctx.print(doc, () => {
      const lines = outcomes.map((o) => ('error' in o ? `${o.id}: could not be evaluated: ${o.error.message}` : describeEvaluation(o.result)));
      const passed = outcomes.filter((o) => 'result' in o && o.result.passed).length;
      return `${lines.join('\n')}\n${passed} of ${plural(outcomes.length, 'evaluation')} passed.\n`;
    });
    if (failedToRun) return EXIT.failure;
    return outcomes.every((o) => 'result' in o && o.result.passed) ? EXIT.ok : EXIT.refused;
  },
};
