/**
 * The repository's worktree configuration: `.axiom.json` at the main worktree's root (JSON with
 * comments), `.worktreeinclude` (Claude Code's convention), and personal overrides in
 * `git config axiom.*` that are never committed. One resolved {@link WorktreeConfig} comes out;
 * every problem is an `InvalidConfig` error that says where (file, line, key) and what to write.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { findNodeAtLocation, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { ENV_NAME, RESERVED_ENV, portsNeeded } from './instanceEnv';
import { memoized } from '../instances/operationMemo';
import { DEFAULT_EVALUATION_TIMEOUT_SEC, SCORE_DIRECTIONS, type EvaluationSpec } from '../explore/raceRecord';

export const CONFIG_FILE = '.axiom.json';
export const WORKTREE_INCLUDE_FILE = '.worktreeinclude';
export const SHARE_MODES = ['clone', 'hardlink', 'symlink', 'none'] as const;
export type ShareMode = (typeof SHARE_MODES)[number];

export const DEFAULT_PORT_RANGE: readonly [number, number] = [4100, 4999];
export const DEFAULT_SETUP_TIMEOUT_SECONDS = 900;
export const MAX_PORTS = 64;

const commands = (what: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .meta({
      description: `Command lines run in the instance's worktree ${what}, in order, each by the shell (/bin/sh -c; cmd.exe on Windows). The instance's variables (AXIOM_INSTANCE_ID, AXIOM_PORT, …) are in the environment.`,
    });

/** The file's shape. It is also the JSON schema VS Code validates `.axiom.json` with (schemas/axiom.schema.json). */
export const CONFIG_SCHEMA = z
  .strictObject({
    $schema: z.string().optional(),
    include: z.array(z.string()).optional().meta({
      description:
        'Git-ignored files to copy from the main worktree into each new instance (gitignore syntax, relative to the repository root). A file is copied only when it matches AND git ignores it; tracked files are never copied or overwritten.',
      markdownDescription:
        'Git-ignored files to copy from the main worktree into each new instance — gitignore syntax, relative to the repository root, e.g. `[".env", "config/*.local.json"]`. A file is copied only when it matches **and** git ignores it; tracked files are never copied or overwritten. Patterns in `.worktreeinclude` are added.',
    }),
    share: z
      .record(
        z.string(),
        z.enum(SHARE_MODES).meta({
          enumDescriptions: [
            'Copy-on-write clone (reflink) where the filesystem supports it, else a plain copy.',
            'Hard-linked files: fast and small, but an in-place edit of a file shows in every worktree.',
            "One symbolic link to the main worktree's folder: instant, but everything the instance changes there changes for all.",
            'Do not share (e.g. to switch off a shared folder with git config).',
          ],
        }),
      )
      .optional()
      .meta({
        description:
          'Git-ignored folders (or files) of the main worktree to provide in each instance, e.g. {"node_modules": "hardlink"}.',
        markdownDescription:
          'Git-ignored folders (or files) of the main worktree to provide in each instance, e.g. `{"node_modules": "hardlink", ".venv": "symlink"}`. `clone`: copy-on-write where the filesystem can, else a copy; `hardlink`: hard-linked files (an in-place edit shows everywhere); `symlink`: one link to the main worktree\'s folder (changes are shared); `none`.',
      }),
    setup: commands('after it is created, before the agent starts'),
    teardown: commands('before cleanup removes it (a failing teardown refuses the cleanup unless forced)'),
    ports: z.number().int().min(0).max(MAX_PORTS).optional().meta({
      description:
        'How many free TCP ports to lease to each instance (one block, unique among live instances on this machine): AXIOM_PORT is the first, AXIOM_PORTS all of them, PORT = AXIOM_PORT unless already set.',
    }),
    portRange: z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/)
      .optional()
      .meta({
        description: `Ports are leased from this range, e.g. "4100-4999" (the default is ${DEFAULT_PORT_RANGE.join('-')}).`,
      }),
    env: z.record(z.string(), z.string()).optional().meta({
      description:
        'Extra environment of the agent, setup, teardown and terminal. Placeholders: {id}, {worktree}, {base}, {port}, {port+N}, {ports}.',
      markdownDescription:
        'Extra environment of the agent, setup, teardown and terminal, e.g. `{"DATABASE_URL": "postgres://localhost/app_{id}"}`. Placeholders: `{id}`, `{worktree}`, `{base}`, `{port}`, `{port+N}`, `{ports}`.',
    }),
    setupTimeout: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .optional()
      .meta({
        description: `Seconds each setup or teardown command may run before it is stopped and counted as failed (default ${DEFAULT_SETUP_TIMEOUT_SECONDS}).`,
      }),
    // Explore and land (issue 10): how an instance's work is judged.
    evaluate: z
      .union([
        z.string(),
        z.strictObject({
          command: z.string().meta({ description: 'The evaluation command.' }),
          score: z.enum(SCORE_DIRECTIONS).optional().meta({ description: 'Which AXIOM_SCORE is better (default higher).' }),
          timeoutSec: z.number().int().min(1).max(86_400).optional().meta({ description: `Seconds before the evaluation is stopped and counted as failed (default ${DEFAULT_EVALUATION_TIMEOUT_SEC}).` }),
        }),
      ])
      .optional()
      .meta({
        description:
          'The evaluation command run in an instance\'s worktree (a race member when its agent finishes, or on demand): exit 0 = passed; the last stdout line AXIOM_SCORE=<number> is its score. Split into arguments without a shell; {prompt}, {id}, {worktree} fill whole arguments.',
        markdownDescription:
          'The evaluation command run in an instance\'s worktree (a race member when its agent finishes, or on demand), e.g. `"npm test"` or `{"command": "npm run bench", "score": "lower", "timeoutSec": 600}`. Exit 0 = passed; the last stdout line `AXIOM_SCORE=<number>` is its score. Split into arguments **without a shell**; `{prompt}`, `{id}`, `{worktree}` fill whole arguments.',
      }),
    // The search (issue 18): how each child's prompt is built.
    search: z
      .strictObject({
        prompt: z.string().min(1).optional().meta({
          description:
            "The template of the prompt each child of a search gets. Placeholders: {task}, {passed}, {score}, {feedback} (what the parent's evaluation said), {diffstat}.",
        }),
      })
      .optional()
      .meta({ description: 'Settings of axiom search.' }),
  })
  // allowComments / allowTrailingCommas: VS Code's JSON language service reads them from the schema.
  .meta({
    title: 'Axiom Worktrees: worktree configuration (.axiom.json)',
    allowComments: true,
    allowTrailingCommas: true,
  });

export type ConfigFile = z.infer<typeof CONFIG_SCHEMA>;

/** The JSON schema shipped in the extension (`schemas/axiom.schema.json`), generated from {@link CONFIG_SCHEMA}. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(CONFIG_SCHEMA, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
}

export interface WorktreeConfig {
  /** Include patterns from `.axiom.json` (or `git config axiom.include`). */
  include: string[];
  /** Patterns from `.worktreeinclude`, one per line (comments and blank lines kept: gitignore syntax). */
  worktreeInclude: string[];
  share: Record<string, ShareMode>;
  setup: string[];
  teardown: string[];
  ports: number;
  portRange: [number, number];
  env: Record<string, string>;
  setupTimeoutSeconds: number;
  /** The evaluation (`evaluate`, or `git config axiom.evaluate` for the command), null when none. */
  evaluate: EvaluationSpec | null;
  /** The search's prompt template (`search.prompt`), null for the default. */
  searchPrompt: string | null;
  /** Where it came from, for messages: the file paths read and the git config keys that overrode. */
  sources: { file: string | null; worktreeInclude: string | null; gitConfig: string[] };
  /** Things worth saying that do not stop anything (unknown keys). */
  warnings: string[];
}

export const EMPTY_CONFIG: WorktreeConfig = {
  include: [],
  worktreeInclude: [],
  share: {},
  setup: [],
  teardown: [],
  ports: 0,
  portRange: [...DEFAULT_PORT_RANGE],
  env: {},
  setupTimeoutSeconds: DEFAULT_SETUP_TIMEOUT_SECONDS,
  evaluate: null,
  searchPrompt: null,
  sources: { file: null, worktreeInclude: null, gitConfig: [] },
  warnings: [],
};

function evaluationOf(value: ConfigFile['evaluate']): EvaluationSpec | null {
  if (value === undefined) return null;
  const spec = typeof value === 'string' ? { command: value } : value;
  if (!spec.command.trim()) return null;
  return { command: spec.command, score: spec.score ?? 'higher', timeoutSec: spec.timeoutSec ?? DEFAULT_EVALUATION_TIMEOUT_SEC };
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

/** Parses the text of `.axiom.json`; problems are collected, not thrown. */
export function parseConfigText(
  text: string,
  file = CONFIG_FILE,
): { config: ConfigFile; errors: string[]; warnings: string[] } {
  const parseErrors: ParseError[] = [];
  const tree = parseTree(text, parseErrors, { allowTrailingComma: true, disallowComments: false });
  if (parseErrors.length > 0 || !tree) {
    const errors = parseErrors.map(
      (e) => `${file}:${lineCol(text, e.offset)}: ${printParseErrorCode(e.error)}`,
    );
    return {
      config: {},
      errors: errors.length ? errors : [`${file}: empty file (write {} for no configuration)`],
      warnings: [],
    };
  }
  if (tree.type !== 'object')
    return { config: {}, errors: [`${file}: the file must hold one JSON object ({ … })`], warnings: [] };
  // Evaluated from the tree so comments and trailing commas are accepted exactly as the parser did.
  const value = nodeValue(tree);
  const result = CONFIG_SCHEMA.safeParse(value);
  if (result.success) return { config: result.data, errors: [], warnings: [] };
  const errors: string[] = [];
  const warnings: string[] = [];
  const known = Object.keys(CONFIG_SCHEMA.shape).join(', ');
  for (const issue of result.error.issues) {
    const at = (p: readonly PropertyKey[]): string => {
      const node = findNodeAtLocation(
        tree,
        p.map((k) => (typeof k === 'number' ? k : String(k))),
      );
      return `${file}:${node ? lineCol(text, node.offset) : '1:1'}`;
    };
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        warnings.push(
          `${at([...issue.path, key])}: unknown key ${JSON.stringify(key)} is ignored (known: ${known})`,
        );
      continue;
    }
    const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    errors.push(`${at(issue.path)}: ${where}: ${issue.message}`);
  }
  const config = errors.length === 0 ? (z.object(CONFIG_SCHEMA.shape).parse(value) as ConfigFile) : {};
  return { config, errors, warnings };
}

type JsonNode = NonNullable<ReturnType<typeof parseTree>>;
function nodeValue(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k && v) out[String(k.value)] = nodeValue(v);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

/** `git config -z --get-regexp` output → key (lowercase) → values in order. */
function parseGitConfigEntries(out: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const entry of out.split('\0')) {
    if (!entry) continue;
    const nl = entry.indexOf('\n');
    const key = (nl === -1 ? entry : entry.slice(0, nl)).toLowerCase();
    const value = nl === -1 ? '' : entry.slice(nl + 1);
    map.set(key, [...(map.get(key) ?? []), value]);
  }
  return map;
}

function parseRange(text: string, where: string, errors: string[]): [number, number] | null {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from < 1024 || to > 65535 || from > to) {
    errors.push(`${where}: port range ${JSON.stringify(text)} must be "<from>-<to>" within 1024-65535`);
    return null;
  }
  return [from, to];
}

/**
 * Applies `git config axiom.*` overrides: a list key (include, setup, teardown) replaces the file's
 * list (an empty value means "none"); `axiom.share` (`<path>=<mode>`) and `axiom.env` (`KEY=value`)
 * override entry by entry; `axiom.ports`, `axiom.portRange`, `axiom.setupTimeout` replace the value.
 */
export function applyGitConfig(
  config: WorktreeConfig,
  gitConfigOut: string,
  errors: string[],
): WorktreeConfig {
  const entries = parseGitConfigEntries(gitConfigOut);
  const out: WorktreeConfig = {
    ...config,
    share: { ...config.share },
    env: { ...config.env },
    sources: { ...config.sources, gitConfig: [] },
  };
  const list = (key: string): string[] | undefined => {
    const values = entries.get(`axiom.${key.toLowerCase()}`);
    if (!values) return undefined;
    out.sources.gitConfig.push(`axiom.${key}`);
    return values.filter((v) => v.trim() !== '');
  };
  out.include = list('include') ?? out.include;
  out.setup = list('setup') ?? out.setup;
  out.teardown = list('teardown') ?? out.teardown;
  for (const v of list('share') ?? []) {
    const eq = v.lastIndexOf('=');
    const mode = v.slice(eq + 1).trim();
    if (eq <= 0 || !(SHARE_MODES as readonly string[]).includes(mode)) {
      errors.push(
        `git config axiom.share ${JSON.stringify(v)}: write <path>=<mode> with mode ${SHARE_MODES.join(', ')}`,
      );
      continue;
    }
    out.share[v.slice(0, eq).trim()] = mode as ShareMode;
  }
  for (const v of list('env') ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) {
      errors.push(`git config axiom.env ${JSON.stringify(v)}: write KEY=value`);
      continue;
    }
    out.env[v.slice(0, eq)] = v.slice(eq + 1);
  }
  const single = (key: string): string | undefined => list(key)?.at(-1);
  const ports = single('ports');
  if (ports !== undefined) {
    const n = Number(ports);
    if (Number.isInteger(n) && n >= 0 && n <= MAX_PORTS) out.ports = n;
    else
      errors.push(`git config axiom.ports ${JSON.stringify(ports)}: a whole number from 0 to ${MAX_PORTS}`);
  }
  const range = single('portRange');
  if (range !== undefined)
    out.portRange = parseRange(range, 'git config axiom.portRange', errors) ?? out.portRange;
  const evaluate = single('evaluate');
  if (evaluate !== undefined) {
    // The command only: the direction and timeout stay the file's (or the defaults). Empty = no evaluation.
    const fromGit = evaluationOf(evaluate);
    out.evaluate = fromGit && (config.evaluate ? { ...config.evaluate, command: fromGit.command } : fromGit);
  }
  const timeout = single('setupTimeout');
  if (timeout !== undefined) {
    const n = Number(timeout);
    if (Number.isInteger(n) && n >= 1) out.setupTimeoutSeconds = n;
    else
      errors.push(`git config axiom.setupTimeout ${JSON.stringify(timeout)}: a whole number of seconds ≥ 1`);
  }
  return out;
}

/** Checks that the resolved configuration can be used (names, placeholders); adds messages to `errors`. */
export function checkConfig(config: WorktreeConfig, errors: string[]): void {
  for (const key of Object.keys(config.env)) {
    if (!ENV_NAME.test(key))
      errors.push(
        `env: ${JSON.stringify(key)} is not a valid environment variable name (letters, digits, _; not starting with a digit)`,
      );
    else if (RESERVED_ENV.test(key))
      errors.push(`env: ${key} is set by Axiom itself (AXIOM_* names are reserved)`);
  }
  for (const [key, value] of Object.entries(config.env)) {
    const need = portsNeeded(value);
    if (need >= config.ports) {
      errors.push(
        `env.${key} uses {port${need > 0 ? `+${need}` : ''}}, but each instance gets ${config.ports === 0 ? 'no ports' : `${config.ports} port(s)`}: set "ports" to at least ${need + 1}`,
      );
    }
  }
  if (config.portRange[1] - config.portRange[0] + 1 < config.ports) {
    errors.push(`portRange ${config.portRange.join('-')} is smaller than one block of ${config.ports} ports`);
  }
}

const GIT_CONFIG_KEYS = '^axiom\\.(include|setup|teardown|share|env|ports|portrange|setuptimeout|evaluate)$';

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      return null;
    throw new AxiomError('InvalidConfig', `Cannot read ${file}: ${(e as Error).message}`, { path: file });
  }
}

/**
 * Reads the worktree configuration of the repository whose main worktree is `mainWorktree`: the
 * working copy of `.axiom.json` and `.worktreeinclude` there (so an edit applies to the next spawn
 * without a commit), then `git config axiom.*`. Throws InvalidConfig listing every problem. Read
 * once per composite operation (a race's spawns, a landing's cleanups: see operationMemo.ts).
 */
export function readWorktreeConfig(git: GitRunner, commonDir: string, mainWorktree: string | null): Promise<WorktreeConfig> {
  return memoized(`worktree-config:${commonDir}:${mainWorktree ?? ''}`, () => readWorktreeConfigFromDisk(git, commonDir, mainWorktree));
}

async function readWorktreeConfigFromDisk(
  git: GitRunner,
  commonDir: string,
  mainWorktree: string | null,
): Promise<WorktreeConfig> {
  const file = mainWorktree ? path.join(mainWorktree, CONFIG_FILE) : null;
  const includeFile = mainWorktree ? path.join(mainWorktree, WORKTREE_INCLUDE_FILE) : null;
  const [text, includeText, gitOut] = await Promise.all([
    file ? readIfExists(file) : null,
    includeFile ? readIfExists(includeFile) : null,
    git.out(commonDir, ['config', '-z', '--get-regexp', GIT_CONFIG_KEYS], {
      readOnly: true,
      okExitCodes: [1],
    }),
  ]);
  const errors: string[] = [];
  let config: WorktreeConfig = {
    ...EMPTY_CONFIG,
    portRange: [...DEFAULT_PORT_RANGE],
    sources: { file: null, worktreeInclude: null, gitConfig: [] },
    warnings: [],
  };
  if (text !== null && file) {
    const parsed = parseConfigText(text, CONFIG_FILE);
    errors.push(...parsed.errors);
    config.warnings.push(...parsed.warnings);
    const c = parsed.config;
    config = {
      ...config,
      include: c.include ?? [],
      share: { ...(c.share ?? {}) },
      setup: asList(c.setup),
      teardown: asList(c.teardown),
      ports: c.ports ?? 0,
      portRange:
        (c.portRange && parseRange(c.portRange, `${CONFIG_FILE}: portRange`, errors)) || config.portRange,
      env: { ...(c.env ?? {}) },
      setupTimeoutSeconds: c.setupTimeout ?? DEFAULT_SETUP_TIMEOUT_SECONDS,
      evaluate: evaluationOf(c.evaluate),
      searchPrompt: c.search?.prompt ?? null,
      sources: { ...config.sources, file },
    };
  }
  if (includeText !== null && includeFile) {
    config.worktreeInclude = includeText.split(/\r?\n/);
    config.sources.worktreeInclude = includeFile;
  }
  config = applyGitConfig(config, gitOut, errors);
  config.setup = config.setup.filter((c) => c.trim() !== '');
  config.teardown = config.teardown.filter((c) => c.trim() !== '');
  checkConfig(config, errors);
  if (errors.length > 0) {
    throw new AxiomError(
      'InvalidConfig',
      `The worktree configuration has ${errors.length === 1 ? 'a problem' : `${errors.length} problems`}:\n  ${errors.join('\n  ')}`,
      {
        ...(file ? { path: file } : {}),
      },
    );
  }
  return config;
}
