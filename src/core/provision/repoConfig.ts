/**
 * The repository's worktree configuration: `.axiom.json` at the main worktree's root (JSON with
 * comments), `.worktreeinclude` (Claude Code's convention), and personal overrides in
 * `git config axiom.*` that are never committed. One resolved {@link WorktreeConfig} comes out;
 * every problem is an `InvalidConfig` error that says where (file, line, key) and what to write.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { AxiomError } from '../errors';
import { plural } from '../text';
import type { GitRunner } from '../git/git';
import { ENV_NAME, RESERVED_ENV, portsNeeded } from './instanceEnv';
import { memoized } from '../instances/operationMemo';
import type { EvaluationSpec } from '../explore/raceRecord';
import { CONFIG_FILE, WORKTREE_INCLUDE_FILE, SHARE_MODES, DEFAULT_PORT_RANGE, DEFAULT_SETUP_TIMEOUT_SECONDS, MAX_PORTS, DEFAULT_EVALUATION_TIMEOUT_SEC, type ShareMode } from '../choices';
// Only the type: the schema (zod) and the JSON parser load when a `.axiom.json` is read (configFile.ts).
import type { ConfigFile } from './configFile';

export { CONFIG_FILE, WORKTREE_INCLUDE_FILE, SHARE_MODES, DEFAULT_PORT_RANGE, DEFAULT_SETUP_TIMEOUT_SECONDS, MAX_PORTS } from '../choices';
export type { ShareMode } from '../choices';

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
        `env.${key} uses {port${need > 0 ? `+${need}` : ''}}, but each instance gets ${config.ports === 0 ? 'no ports' : plural(config.ports, 'port')}: set "ports" to at least ${need + 1}`,
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
    const { parseConfigText } = await import('./configFile');
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
