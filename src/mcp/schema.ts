/**
 * The arguments of `axiom_claude_orchestrate_worktree`: a strict per-action zod schema that every
 * call is checked against before anything touches git, and one flat JSON Schema advertised to
 * clients (tool-calling models want a top-level object, not a union), generated from the zod
 * schemas with z.toJSONSchema so the two cannot drift; only the descriptions are written by hand. Anything wrong comes back as an
 * InvalidArgument tool error naming the field and what is allowed.
 */
import { z } from 'zod';
import { AxiomError, MAX_SPAWN_COUNT, MERGE_STRATEGIES } from '../core';
import { AGENT_NAMES, CLAUDE_PERMISSION_MODES } from '../agents/presets';
import * as explore from './exploreSchema';
import * as searchSchema from './searchSchema';

export { TOOL_NAME } from './toolName';
export const ACTIONS = ['spawn', 'status', 'list', 'diff', 'merge', 'cleanup', 'send', 'stop', 'publish', ...explore.EXPLORE_ACTIONS, ...searchSchema.SEARCH_ACTIONS] as const;
export type Action = (typeof ACTIONS)[number];
export const LAUNCH_MODES = ['terminal', 'headless', 'none'] as const;

export const MAX_PROMPT = 100_000;
export const MAX_SEND = 100_000;
export const DEFAULT_PATCH_BYTES = 64 * 1024;
export const MAX_PATCH_BYTES = 1024 * 1024;

const instanceId = z.string().min(1, 'instanceId cannot be empty').max(200);
const text = (max: number) => z.string().max(max).refine((s) => !s.includes('\0'), 'cannot contain a NUL character');

const spawn = z.strictObject({
  action: z.literal('spawn'),
  instanceId,
  baseBranch: z.string().min(1).max(250).optional(),
  useWorktree: z.boolean().optional(),
  agent: z.enum(AGENT_NAMES).optional(),
  prompt: text(MAX_PROMPT).optional(),
  launch: z.enum(LAUNCH_MODES).optional(),
  command: z.array(text(10_000)).min(1, 'command needs at least the program').max(200).optional(),
  permissionMode: z.enum(CLAUDE_PERMISSION_MODES).optional(),
  count: z.number().int().min(1).max(MAX_SPAWN_COUNT).optional(),
});
const status = z.strictObject({ action: z.literal('status'), instanceId });
const list = z.strictObject({ action: z.literal('list') });
const diff = z.strictObject({
  action: z.literal('diff'),
  instanceId,
  includePatch: z.boolean().optional(),
  maxPatchBytes: z.number().int().min(0).max(MAX_PATCH_BYTES).optional(),
});
const merge = z.strictObject({
  action: z.literal('merge'),
  instanceId,
  strategy: z.enum(MERGE_STRATEGIES).optional(),
  preview: z.boolean().optional(),
  into: z.string().min(1).max(250).optional(),
  commitMessage: text(10_000).min(1).optional(),
});
const cleanup = z.strictObject({
  action: z.literal('cleanup'),
  instanceId,
  force: z.boolean().optional(),
  keepBranch: z.boolean().optional(),
});
const send = z.strictObject({ action: z.literal('send'), instanceId, text: text(MAX_SEND).min(1, 'text cannot be empty') });
const stop = z.strictObject({ action: z.literal('stop'), instanceId });
const publish = z.strictObject({
  action: z.literal('publish'),
  instanceId,
  remote: explore.remoteName.optional(),
  draft: z.boolean().optional(),
  title: text(1_000).min(1).optional(),
  body: text(60_000).optional(),
  refresh: z.boolean().optional(),
});

/** The strict check of each action's arguments (the advertised JSON Schema is generated from these). */
export const BY_ACTION = { spawn, status, list, diff, merge, cleanup, send, stop, publish, ...explore.EXPLORE_SCHEMAS, ...searchSchema.SEARCH_SCHEMAS } as const;

export type ToolArgs =
  | z.infer<typeof spawn>
  | z.infer<typeof status>
  | z.infer<typeof list>
  | z.infer<typeof diff>
  | z.infer<typeof merge>
  | z.infer<typeof cleanup>
  | z.infer<typeof send>
  | z.infer<typeof stop>
  | z.infer<typeof publish>
  | z.infer<(typeof explore.EXPLORE_SCHEMAS)[keyof typeof explore.EXPLORE_SCHEMAS]>
  | searchSchema.SearchArgs;
export type SpawnArgs = z.infer<typeof spawn>;
export type DiffArgs = z.infer<typeof diff>;
export type MergeArgs = z.infer<typeof merge>;
export type CleanupArgs = z.infer<typeof cleanup>;
export type SendArgs = z.infer<typeof send>;
export type PublishArgs = z.infer<typeof publish>;

function describeIssue(issue: z.core.$ZodIssue, action: Action): string {
  const where = issue.path.length ? issue.path.map(String).join('.') : 'arguments';
  if (issue.code === 'unrecognized_keys') {
    const allowed = Object.keys(BY_ACTION[action].shape).join(', ');
    return `${issue.keys.map((k) => JSON.stringify(k)).join(', ')} ${issue.keys.length > 1 ? 'are' : 'is'} not an argument of action "${action}" (allowed: ${allowed})`;
  }
  return `${where}: ${issue.message}`;
}

/** Checks a call's arguments; throws an InvalidArgument AxiomError an agent can act on. */
export function parseToolArgs(raw: unknown): ToolArgs {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AxiomError('InvalidArgument', `The arguments must be a JSON object with an "action" (one of ${ACTIONS.join(', ')}).`);
  }
  // Clients that send every optional field as null mean "not given".
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (v !== null || k === 'action') args[k] = v;
  const action = args.action;
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) {
    throw new AxiomError(
      'InvalidArgument',
      `"action" must be one of ${ACTIONS.join(', ')}; got ${action === undefined ? 'nothing' : JSON.stringify(action)?.slice(0, 80)}.`,
    );
  }
  const result = BY_ACTION[action as Action].safeParse(args);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((i) => describeIssue(i, action as Action));
    throw new AxiomError('InvalidArgument', `Invalid arguments for action "${action}": ${problems.join('; ')}.`);
  }
  return result.data as ToolArgs;
}

/** Every argument name of some action (besides `action`): each must have a description below. */
type FieldName = Exclude<{ [A in Action]: keyof z.infer<(typeof BY_ACTION)[A]> }[Action], 'action'>;

/** What each argument means, the one hand-written part of the JSON Schema (types and limits come from zod). */
const DESCRIPTIONS: Record<FieldName, string> = {
  instanceId: 'Instance id (spawn, status, diff, merge, cleanup, send, stop, evaluate): lowercase letters, digits, ".", "_", "-", at most 40, starting with a letter or digit. Example: "solver1".',
  baseBranch: 'spawn, race, search start: branch to start from (default: the repository default branch).',
  useWorktree: 'spawn: must be true (the default). Every instance runs in its own git worktree; running in the main checkout is refused.',
  agent: 'spawn: agent preset (default claude). "custom" needs "command".',
  prompt: 'spawn, race: the task for the agent (race: for every agent). With a prompt the default launch is "headless". search start: the task ({task} of the prompt each attempt gets).',
  launch:
    'spawn, race: "headless" runs the agent as a background process (output in the instance log); "terminal" asks the VS Code extension to open it in a terminal; "none" only creates the worktree. Default: headless when a prompt is given, else none.',
  command:
    'spawn, race or search with agent "custom": the program and its arguments as an array (never run through a shell). Whole-argument placeholders {prompt}, {id}, {worktree} are filled in, e.g. ["node","agent.js","{prompt}"].',
  permissionMode:
    "spawn, race, search: Claude Code's --permission-mode for each headless Claude it starts (default: the server's, else git config axiom.claudePermissionMode, else acceptEdits). Any other value is refused.",
  includePatch: 'diff: include the unified patch (default true).',
  maxPatchBytes: `diff: cut the patch at this many bytes (default ${DEFAULT_PATCH_BYTES}); "truncated" says when it was cut.`,
  strategy: 'merge, land: how to bring the work back (default merge).',
  preview: 'merge, land: report what would happen (commits, files, conflicts; land: what is salvaged) without changing anything.',
  into: 'merge: target branch (default: the instance base).',
  commitMessage: "merge: commit the instance's uncommitted work first with this message (else uncommitted work refuses the merge).",
  force: 'cleanup: remove even though work would be lost; the work is first saved under refs/axiom/salvage/… (restorable).',
  keepBranch: 'cleanup: keep the instance branch.',
  text: 'send: the line to type into the agent (headless: its stdin; terminal: the VS Code terminal).',
  remote: "publish, land or search land with publish: the git remote to push to (default: the branch's upstream remote, its base's, else origin).",
  draft: 'publish, land or search land with publish: open the pull request as a draft.',
  title: "publish: the pull request title (default: the prompt's first line).",
  body: 'publish: the pull request body (default: the prompt, the commits and the evaluation with its score).',
  refresh: 'publish: push nothing; read the recorded pull request\'s state with gh pr view (open, draft, merged, closed) and record it on the instance (status and list show it); takes no remote, draft, title or body.',
  ...explore.EXPLORE_DESCRIPTIONS,
  ...searchSchema.SEARCH_DESCRIPTIONS,
};

type JsonSchema = Record<string, unknown>;
const LOWER_BOUNDS = new Set(['minimum', 'minLength', 'minItems']);
const UPPER_BOUNDS = new Set(['maximum', 'maxLength', 'maxItems']);

/**
 * One field as two actions declare it, merged for the flat schema: the same type, every value either
 * allows (enums joined), the looser limit (none when one has none). Each action's own zod schema
 * stays the strict check of a call.
 */
function mergeField(a: JsonSchema, b: JsonSchema, name: string): JsonSchema {
  if (a.type !== b.type) throw new Error(`Argument ${name} has two types (${String(a.type)}, ${String(b.type)}): give one of them another name.`);
  const out: JsonSchema = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[key];
    const y = b[key];
    if (key === 'enum') {
      if (Array.isArray(x) && Array.isArray(y)) out.enum = [...new Set([...(x as unknown[]), ...(y as unknown[])])];
    } else if (LOWER_BOUNDS.has(key) || UPPER_BOUNDS.has(key)) {
      if (typeof x === 'number' && typeof y === 'number') out[key] = LOWER_BOUNDS.has(key) ? Math.min(x, y) : Math.max(x, y);
    } else if (key === 'items') {
      out.items = mergeField(x as JsonSchema, y as JsonSchema, `${name}[]`);
    } else if (x !== undefined && JSON.stringify(x) === JSON.stringify(y)) {
      out[key] = x;
    }
  }
  return out;
}

/** The JSON Schema clients see, generated from the zod schemas: one object, `action` required, each field saying which actions use it. */
export function buildInputSchema(): { type: 'object'; properties: Record<string, JsonSchema>; required: string[]; additionalProperties: false } {
  const fields = new Map<string, JsonSchema>();
  for (const schema of Object.values(BY_ACTION)) {
    const generated = z.toJSONSchema(schema, { unrepresentable: 'any' }) as { properties?: Record<string, JsonSchema> };
    for (const [name, field] of Object.entries(generated.properties ?? {})) {
      if (name === 'action') continue;
      const known = fields.get(name);
      fields.set(name, known ? mergeField(known, field, name) : field);
    }
  }
  const properties: Record<string, JsonSchema> = {
    action: {
      type: 'string',
      enum: [...ACTIONS],
      description:
        'spawn: create an isolated worktree instance (optionally start an agent in it); status: one instance; list: every worktree; ' +
        'diff: changed files with line counts and a unified patch; merge: bring the instance back (preview first); ' +
        "cleanup: remove the instance (refuses if work would be lost); send: type a line into the instance's agent; stop: stop the instance's agent (the instance and its work stay); " +
        'publish: push the branch (never forced) and open a pull request with gh, else return the compare URL. ' +
        explore.EXPLORE_ACTION_HELP +
        ' ' +
        searchSchema.SEARCH_ACTION_HELP,
    },
  };
  for (const [name, field] of fields) properties[name] = { ...field, description: DESCRIPTIONS[name as FieldName] };
  return { type: 'object', properties, required: ['action'], additionalProperties: false };
}

export const INPUT_SCHEMA = buildInputSchema();
