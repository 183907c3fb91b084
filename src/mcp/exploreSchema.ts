/**
 * The exploration actions of the tool (race, evaluate, rank, land, conflicts, history): strict zod
 * schemas like the others, and the fields they add to the flat JSON Schema clients see.
 */
import { z } from 'zod';
import { MERGE_STRATEGIES, SCORE_DIRECTIONS } from '../core';
import { CLAUDE_PERMISSION_MODES } from '../agents/presets';

const task = z.string().min(1, 'task cannot be empty').max(200);
const template = z
  .string()
  .min(1)
  .max(10_000)
  .refine((s) => !s.includes('\0'), 'cannot contain a NUL character');
const score = z.enum(SCORE_DIRECTIONS);
const timeoutSec = z.number().int().min(1).max(86_400);

export const race = z.strictObject({
  action: z.literal('race'),
  task,
  count: z.number().int().min(1).max(20).optional(),
  agents: z.string().min(1).max(500).optional(),
  command: z.array(template).min(1, 'command needs at least the program').max(200).optional(),
  prompt: z.string().max(100_000).optional(),
  baseBranch: z.string().min(1).max(250).optional(),
  from: z.string().min(1).max(200).optional(),
  evaluate: template.optional(),
  score: score.optional(),
  timeoutSec: timeoutSec.optional(),
  launch: z.enum(['headless', 'terminal', 'none']).optional(),
  wait: z.boolean().optional(),
  waitTimeoutSec: timeoutSec.optional(),
  permissionMode: z.enum(CLAUDE_PERMISSION_MODES).optional(),
});
export const evaluate = z
  .strictObject({
    action: z.literal('evaluate'),
    instanceId: z.string().min(1).max(200).optional(),
    task: task.optional(),
    evaluate: template.optional(),
    score: score.optional(),
    timeoutSec: timeoutSec.optional(),
  })
  .refine((a) => (a.instanceId === undefined) !== (a.task === undefined), 'give either instanceId (one instance) or task (every live member of a race)');
export const rank = z.strictObject({ action: z.literal('rank'), task });
/** A git remote's name (publish, land with publish): never one git could read as an option. */
export const remoteName = z.string().min(1).max(250).refine((s) => !s.startsWith('-'), 'cannot start with "-"');

export const land = z
  .strictObject({
    action: z.literal('land'),
    task: task.optional(),
    all: z.boolean().optional(),
    pick: z.string().min(1).max(200).optional(),
    strategy: z.enum(MERGE_STRATEGIES).optional(),
    keepLosers: z.boolean().optional(),
    preview: z.boolean().optional(),
    publish: z.boolean().optional(),
    remote: remoteName.optional(),
    draft: z.boolean().optional(),
  })
  .refine((a) => (a.all === true) !== (a.task !== undefined), 'give either task (land a race) or all: true (every live instance with commits)')
  .refine((a) => !a.all || (a.pick === undefined && a.keepLosers === undefined && a.preview === undefined && a.publish === undefined), 'all: true takes only strategy')
  .refine((a) => (a.publish === true ? a.strategy === undefined && a.preview === undefined : a.remote === undefined && a.draft === undefined), 'publish: true takes no strategy or preview (the winner is pushed, not merged); remote and draft go with publish: true');
export const conflicts = z.strictObject({ action: z.literal('conflicts') });
export const history = z.strictObject({ action: z.literal('history'), task: task.optional(), stats: z.boolean().optional() });

export type RaceArgs = z.infer<typeof race>;
export type EvaluateArgs = z.infer<typeof evaluate>;
export type RankArgs = z.infer<typeof rank>;
export type LandArgs = z.infer<typeof land>;
export type HistoryArgs = z.infer<typeof history>;

export const EXPLORE_SCHEMAS = { race, evaluate, rank, land, conflicts, history } as const;
export const EXPLORE_ACTIONS = Object.keys(EXPLORE_SCHEMAS) as (keyof typeof EXPLORE_SCHEMAS)[];

export const EXPLORE_ACTION_HELP =
  'race: N agents on one task in <task>-1…N, each evaluated when its agent exits; evaluate: run the evaluation in an instance or every member of a race; ' +
  'rank: a race\'s members best first; land: merge (or publish: true, push and open a pull request for) the winner and salvage the rest (or all: true, every instance in the conflict-free order); ' +
  'conflicts: which live instances conflict and a landing order; history: every attempt and per-agent totals.';

/** What the exploration fields mean, for the flat JSON Schema (its types and limits come from the zod schemas above). */
export const EXPLORE_DESCRIPTIONS = {
  task: 'race, evaluate, rank, land, history: the race\'s task name; its members are <task>-1 … <task>-N (lowercase letters, digits, ".", "_", "-").',
  count:
    'race: how many members (default: the total of "agents", else 3). spawn: make this many instances at once, named <instanceId>-1 … <instanceId>-<count> (instanceId is then their prefix); all are refused, and none made, when the limit or an existing id stops one.',
  agents: 'race, search start: the agent mix, e.g. "claude:2,codex:1", or "claude,codex" spread over count (default claude; "custom" with "command"). A search chooses among the mix\'s agents by a bandit over the recorded attempts.',
  from: 'race: start every member from this instance\'s branch (expand a node); they merge back into it.',
  evaluate:
    'race, evaluate, search start: the evaluation command template, split without a shell ({prompt}, {id}, {worktree} fill whole arguments), e.g. "npm test". Exit 0 = passed; the last stdout line AXIOM_SCORE=<number> is the score; AXIOM_FEEDBACK=<text> lines are a search\'s feedback. Default: .axiom.json "evaluate".',
  score: 'race, evaluate, search start: which score is better (default higher).',
  timeoutSec: 'race, evaluate, search start: seconds before an evaluation is stopped and counted as failed (default 600).',
  wait: 'race: return only when every member has finished and been evaluated, with the ranking (default false: poll rank). search start/resume: return only when the search ends, with its tree (default false: poll op status).',
  waitTimeoutSec:
    'race or search with wait: seconds to wait at most (default 3600; a search goes on being driven after it); race: members still at work or waiting for a person then come back in "unfinished" and count as failed.',
  all: 'land: land every live instance with commits in the conflict-free order (no race needed).',
  pick: 'land: land this member instead of the top-ranked passing one.',
  publish:
    'land: publish the winner instead of merging it locally (push its branch, open a pull request as action "publish" does); the other members are salvaged and removed all the same. ' +
    'search with op "land": publish the node instead of merging it (its instance <name>-l<id> pushed at exactly the node\'s commit, its pull request opened with gh, else the compare page); the base does not move and the instance stays while the pull request is open; once, like any landing.',
  keepLosers: 'land: leave the other members in place (default: cleaned up, their work kept in salvage refs).',
  stats: 'history: per-agent totals only.',
} as const;
