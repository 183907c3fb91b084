/**
 * The `search` action of the tool (issue 18): one action with an `op` (start, status, tree, stop,
 * resume, land), a strict zod schema like the others, and the fields it adds to the flat JSON Schema.
 */
import { z } from 'zod';
import { SCORE_DIRECTIONS } from '../core/explore/raceRecord';
import { SELECT_MODES } from '../core/search/searchRecord';
import { CLAUDE_PERMISSION_MODES } from '../agents/presets';
import { remoteName } from './exploreSchema';

export const SEARCH_OPS = ['start', 'status', 'tree', 'stop', 'resume', 'land'] as const;
export type SearchOp = (typeof SEARCH_OPS)[number];

const template = z
  .string()
  .min(1)
  .max(10_000)
  .refine((s) => !s.includes('\0'), 'cannot contain a NUL character');
const timeoutSec = z.number().int().min(1).max(86_400);
/** What only `op: "start"` takes (the search's definition is fixed when it starts). */
const START_ONLY = ['prompt', 'evaluate', 'score', 'timeoutSec', 'agents', 'command', 'baseBranch', 'width', 'parallel', 'attempts', 'minutes', 'targetScore', 'patience', 'select', 'exploration', 'land'] as const;

export const search = z
  .strictObject({
    action: z.literal('search'),
    op: z.enum(SEARCH_OPS),
    name: z.string().min(1, 'name cannot be empty').max(200),
    prompt: z.string().max(100_000).optional(),
    evaluate: template.optional(),
    score: z.enum(SCORE_DIRECTIONS).optional(),
    timeoutSec: timeoutSec.optional(),
    agents: z.string().min(1).max(500).optional(),
    command: z.array(template).min(1, 'command needs at least the program').max(200).optional(),
    baseBranch: z.string().min(1).max(250).optional(),
    width: z.number().int().min(1).max(20).optional(),
    parallel: z.number().int().min(1).max(20).optional(),
    attempts: z.number().int().min(1).max(1000).optional(),
    minutes: z.number().positive().max(100_000).optional(),
    targetScore: z.number().optional(),
    patience: z.number().int().min(1).max(1000).optional(),
    select: z.enum(SELECT_MODES).optional(),
    exploration: z.number().min(0).max(1000).optional(),
    land: z.boolean().optional(),
    node: z.number().int().min(0).optional(),
    publish: z.boolean().optional(),
    remote: remoteName.optional(),
    draft: z.boolean().optional(),
    wait: z.boolean().optional(),
    waitTimeoutSec: timeoutSec.optional(),
    permissionMode: z.enum(CLAUDE_PERMISSION_MODES).optional(),
  })
  .refine((a) => a.op !== 'start' || (a.prompt !== undefined && a.prompt.trim() !== ''), 'op "start" needs prompt: the task the agents are to do')
  .refine((a) => a.op === 'start' || START_ONLY.every((k) => a[k] === undefined), `${START_ONLY.join(', ')} are fixed when a search starts: only op "start" takes them`)
  .refine((a) => a.node === undefined || a.op === 'land', 'node is the node to land: only op "land" takes it')
  .refine((a) => a.publish === undefined || a.op === 'land', 'publish: true publishes the node op "land" lands: only op "land" takes it')
  .refine((a) => (a.remote === undefined && a.draft === undefined) || a.publish === true, 'remote and draft go with op "land" and publish: true')
  .refine((a) => (a.wait === undefined && a.waitTimeoutSec === undefined) || a.op === 'start' || a.op === 'resume', 'wait and waitTimeoutSec go with op "start" or "resume"');

export type SearchArgs = z.infer<typeof search>;

export const SEARCH_SCHEMAS = { search } as const;
export const SEARCH_ACTIONS = Object.keys(SEARCH_SCHEMAS) as (keyof typeof SEARCH_SCHEMAS)[];

export const SEARCH_ACTION_HELP =
  'search: rounds of agent attempts, each started from an earlier attempt with its evaluation\'s feedback, under a budget (op start, status, tree, stop, resume, land); start with land: true to land its best passing node when it ends by itself, land with publish: true to open a pull request instead of merging.';

/** What the search fields mean (the fields it shares with race are described there). */
export const SEARCH_DESCRIPTIONS = {
  op:
    'search: start (record the search and drive it in this server; wait: true returns when it ends), status (the state, budget, best node and the node tree), ' +
    'tree (each node with its commit, feedback and error too), stop (running attempts stopped, their work salvaged), resume (drive a search whose driver is gone), land (merge the best passing node, or "node", into the base; once; publish: true pushes it and opens a pull request instead).',
  name: 'search: the search\'s name; its attempts are the instances <name>-n1, <name>-n2, … (lowercase letters, digits, ".", "_", "-").',
  width: 'search start: children per expansion of a node (default 2).',
  parallel: 'search start: live instances at most (attempts at work or being evaluated; default 2).',
  attempts: 'search start: attempts at most (the evaluation of the base is not one; default 10).',
  minutes: 'search start: minutes from the start after which the search ends (attempts at work are stopped).',
  targetScore: 'search start: a passing attempt with this score (or better) ends the search.',
  patience: 'search start: rounds without a better node after which nothing more is expanded.',
  select: 'search start: which nodes to expand: uct (UCT over the tree, default) or best (the best node only).',
  exploration: 'search start: UCT\'s exploration constant (default 1.414).',
  node: 'search land: the node id to land instead of the best passing one.',
  land:
    'search start: land the best passing node into the base when the search ends by itself (attempts, minutes, targetScore, patience) — the approval given in advance; a stopped search, or one with no passing node, lands nothing.',
} as const;
