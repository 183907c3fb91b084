/**
 * Axiom's two Claude Code worktree hooks (`WorktreeCreate`, `WorktreeRemove`) in a Claude settings
 * file: install (merged with what is there, never duplicated), uninstall (exactly them), status.
 * No vscode import: the CLI (`axiom claude hooks …`) and the extension command share it.
 *
 * Scopes and their files (Claude Code's own): project `<repo>/.claude/settings.json` (committed),
 * local `<repo>/.claude/settings.local.json` (personal), user `~/.claude/settings.json` — the folder
 * `$CLAUDE_CONFIG_DIR` when set, else `$HOME/.claude`.
 *
 * Axiom's entries are recognised by their command (it ends with `claude hook worktree-create` or
 * `… worktree-remove`, optionally followed by `--untrusted`): Claude's settings schema has no room
 * for a marker key, and an entry of an older installation (another path) is replaced, not kept beside.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomError } from '../core/errors';
import { commandLine } from '../core/processes/shellQuote';

import { HOOK_SCOPES, type HookScope } from './names';
export { HOOK_SCOPES, type HookScope };

/** The Claude Code hook events Axiom takes over, and the `axiom claude hook <step>` each runs. */
export const WORKTREE_HOOKS = { WorktreeCreate: 'worktree-create', WorktreeRemove: 'worktree-remove' } as const;
export type WorktreeHookEvent = keyof typeof WORKTREE_HOOKS;
const EVENTS = Object.keys(WORKTREE_HOOKS) as WorktreeHookEvent[];

/** How the hook reaches this installation's CLI: a program and its leading arguments (node + cli.js). */
export interface HookCli {
  /** e.g. [process.execPath, '/abs/dist/cli.js'], or ['env', 'ELECTRON_RUN_AS_NODE=1', electron, cli.js]. */
  argv: readonly string[];
}

/**
 * The CLI run by a given Node: `env K=V … node cli.js` when the runtime needs variables (VS Code's
 * Electron runs as a plain Node only with ELECTRON_RUN_AS_NODE=1) — still one argv, quoted as a whole.
 */
export function hookCliOf(nodePath: string, env: Readonly<Record<string, string>> | undefined, cliScript: string): HookCli {
  const vars = Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);
  return { argv: [...(vars.length ? ['env', ...vars] : []), nodePath, cliScript] };
}

export function settingsFileFor(scope: HookScope, repoRoot: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (scope === 'user') {
    const dir = env.CLAUDE_CONFIG_DIR || path.join(env.HOME || os.homedir(), '.claude');
    return path.join(dir, 'settings.json');
  }
  if (!repoRoot) throw new AxiomError('NotARepository', `The ${scope} scope needs a repository: run it inside one (or pass -C <path>), or use --scope user.`);
  return path.join(repoRoot, '.claude', scope === 'project' ? 'settings.json' : 'settings.local.json');
}

/**
 * The hook's command line (run by Claude through a shell), quoted by the one tested helper. The user
 * scope reaches every repository Claude opens, so its hooks run Axiom untrusted: a repository's setup
 * commands then refuse the worktree instead of running (install in the repository to trust it).
 */
export function hookCommand(cli: HookCli, event: WorktreeHookEvent, scope: HookScope): string {
  return commandLine([...cli.argv, 'claude', 'hook', WORKTREE_HOOKS[event], ...(scope === 'user' ? ['--untrusted'] : [])]);
}

/** Is this command one of Axiom's worktree hooks for `event` (any installation, any scope)? */
export function isAxiomHookCommand(command: unknown, event: WorktreeHookEvent): boolean {
  if (typeof command !== 'string') return false;
  return new RegExp(` claude hook ${WORKTREE_HOOKS[event]}( --untrusted)?$`).test(command.trim());
}

type Json = Record<string, unknown>;
interface HookEntry {
  type?: unknown;
  command?: unknown;
  [k: string]: unknown;
}
interface MatcherGroup {
  matcher?: unknown;
  hooks?: unknown;
  [k: string]: unknown;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The file's settings object; `{}` when it does not exist. Invalid JSON (or not an object) is refused. */
function readSettingsFile(file: string): { settings: Json; exists: boolean; text: string | null } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { settings: {}, exists: false, text: null };
    throw new AxiomError('IoFailed', `Cannot read ${file}: ${(e as Error).message}`, { path: file });
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new AxiomError('InvalidConfig', `${file} is not valid JSON (${(e as Error).message}); fix it first — Axiom left it untouched.`, { path: file });
  }
  if (!isObject(parsed)) throw new AxiomError('InvalidConfig', `${file} does not hold a JSON object; fix it first — Axiom left it untouched.`, { path: file });
  if (parsed.hooks !== undefined && !isObject(parsed.hooks)) {
    throw new AxiomError('InvalidConfig', `"hooks" in ${file} is not an object; fix it first — Axiom left it untouched.`, { path: file });
  }
  return { settings: parsed, exists: true, text };
}

/** Atomic write (temp file + rename), keeping the file's mode; the folder is made when missing. */
function writeSettingsFile(file: string, settings: Json): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.axiom-${process.pid}-${Date.now()}.tmp`;
  const mode = (() => {
    try {
      return fs.statSync(file).mode & 0o777;
    } catch {
      return 0o644;
    }
  })();
  fs.writeFileSync(tmp, JSON.stringify(settings, null, 2) + '\n', { mode });
  fs.renameSync(tmp, file);
}

function groupsOf(hooks: Json, event: string): MatcherGroup[] {
  const v = hooks[event];
  return Array.isArray(v) ? (v as unknown[]).filter(isObject) : [];
}

function entriesOf(group: MatcherGroup): HookEntry[] {
  return Array.isArray(group.hooks) ? (group.hooks as unknown[]).filter(isObject) : [];
}

/** Every command of `event` in the settings: Axiom's and the others. */
function commandsOf(settings: Json, event: WorktreeHookEvent): { axiom: string[]; others: string[] } {
  const hooks = isObject(settings.hooks) ? settings.hooks : {};
  const axiom: string[] = [];
  const others: string[] = [];
  for (const g of groupsOf(hooks, event)) {
    for (const h of entriesOf(g)) {
      const c = typeof h.command === 'string' ? h.command : JSON.stringify(h);
      (isAxiomHookCommand(h.command, event) ? axiom : others).push(c);
    }
  }
  return { axiom, others };
}

/** The settings without Axiom's entries of `event`; groups and events emptied by it are dropped. */
function withoutAxiomEntries(hooks: Json, event: WorktreeHookEvent): void {
  const raw = hooks[event];
  if (!Array.isArray(raw)) return;
  const kept: unknown[] = [];
  for (const g of raw as unknown[]) {
    if (!isObject(g) || !Array.isArray(g.hooks)) {
      kept.push(g);
      continue;
    }
    const before = g.hooks as unknown[];
    const after = before.filter((h) => !(isObject(h) && isAxiomHookCommand(h.command, event)));
    if (after.length === before.length) kept.push(g);
    else if (after.length > 0) kept.push({ ...g, hooks: after });
  }
  if (kept.length > 0) hooks[event] = kept;
  else delete hooks[event];
}

export interface HookScopeStatus {
  scope: HookScope;
  file: string;
  exists: boolean;
  /** Per event: Axiom's commands there (normally 0 or 1), whether one is this installation's, and other hooks of that event. */
  events: Record<WorktreeHookEvent, { axiom: string[]; current: boolean; others: string[] }>;
  /** Both events hold this installation's command. */
  installed: boolean;
  /** Why the file could not be read (invalid JSON): nothing else is known of it. */
  problem?: string;
}

export interface HookChange {
  scope: HookScope;
  file: string;
  /** False when the file already was as asked (nothing written). */
  changed: boolean;
  /** Other hooks of the same events (another worktree tool): Claude runs them too. */
  warnings: string[];
  commands: Record<WorktreeHookEvent, string>;
}

function warningsFor(settings: Json, file: string): string[] {
  return EVENTS.flatMap((event) =>
    commandsOf(settings, event).others.map((c) => `${file} also has another ${event} hook (${c.slice(0, 120)}); Claude Code runs it too, and only one worktree path can win.`),
  );
}

/** Axiom's hooks installed in another scope too: Claude Code would run both, making two instances per worktree. */
function elsewhere(scope: HookScope, repoRoot: string | null, env: NodeJS.ProcessEnv): string[] {
  return HOOK_SCOPES.filter((s) => s !== scope && (s === 'user' || repoRoot !== null)).flatMap((other) => {
    const file = settingsFileFor(other, repoRoot, env);
    try {
      const { settings } = readSettingsFile(file);
      return EVENTS.some((e) => commandsOf(settings, e).axiom.length > 0)
        ? [`Axiom's worktree hooks are also in ${file} (${other} scope): Claude Code runs both, so each worktree would become two instances — uninstall one (axiom claude hooks uninstall --scope ${other}).`]
        : [];
    } catch {
      return [];
    }
  });
}

/** Writes Axiom's two hook entries into the scope's settings file (replacing an older installation's). */
export function installWorktreeHooks(cli: HookCli, scope: HookScope, repoRoot: string | null, env: NodeJS.ProcessEnv = process.env): HookChange {
  const file = settingsFileFor(scope, repoRoot, env);
  const { settings, exists } = readSettingsFile(file);
  const commands = Object.fromEntries(EVENTS.map((e) => [e, hookCommand(cli, e, scope)])) as Record<WorktreeHookEvent, string>;
  const already = EVENTS.every((e) => {
    const { axiom } = commandsOf(settings, e);
    return axiom.length === 1 && axiom[0] === commands[e];
  });
  const warnings = [...warningsFor(settings, file), ...elsewhere(scope, repoRoot, env)];
  if (already && exists) return { scope, file, changed: false, warnings, commands };
  const hooks: Json = isObject(settings.hooks) ? { ...settings.hooks } : {};
  for (const event of EVENTS) {
    withoutAxiomEntries(hooks, event);
    hooks[event] = [...groupsOf(hooks, event), { hooks: [{ type: 'command', command: commands[event] }] }];
  }
  writeSettingsFile(file, { ...settings, hooks });
  return { scope, file, changed: true, warnings, commands };
}

/** Removes exactly Axiom's hook entries from the scope's settings file; everything else stays. */
export function uninstallWorktreeHooks(scope: HookScope, repoRoot: string | null, env: NodeJS.ProcessEnv = process.env): Omit<HookChange, 'commands'> & { removed: string[] } {
  const file = settingsFileFor(scope, repoRoot, env);
  const { settings, exists } = readSettingsFile(file);
  const removed = EVENTS.flatMap((e) => commandsOf(settings, e).axiom);
  if (!exists || removed.length === 0) return { scope, file, changed: false, warnings: [], removed };
  const hooks: Json = isObject(settings.hooks) ? { ...settings.hooks } : {};
  for (const event of EVENTS) withoutAxiomEntries(hooks, event);
  const next: Json = { ...settings, hooks };
  if (Object.keys(hooks).length === 0) delete next.hooks;
  writeSettingsFile(file, next);
  return { scope, file, changed: true, warnings: [], removed };
}

/** What is installed in each scope's file (the repository scopes only inside a repository). */
export function worktreeHooksStatus(cli: HookCli, repoRoot: string | null, env: NodeJS.ProcessEnv = process.env): HookScopeStatus[] {
  const scopes = HOOK_SCOPES.filter((s) => s === 'user' || repoRoot !== null);
  return scopes.map((scope) => {
    const file = settingsFileFor(scope, repoRoot, env);
    const empty = { axiom: [], current: false, others: [] };
    try {
      const { settings, exists } = readSettingsFile(file);
      const events = Object.fromEntries(
        EVENTS.map((e) => {
          const c = commandsOf(settings, e);
          return [e, { ...c, current: c.axiom.includes(hookCommand(cli, e, scope)) }];
        }),
      ) as HookScopeStatus['events'];
      return { scope, file, exists, events, installed: EVENTS.every((e) => events[e].current) };
    } catch (e) {
      return {
        scope,
        file,
        exists: true,
        events: { WorktreeCreate: empty, WorktreeRemove: empty },
        installed: false,
        problem: e instanceof Error ? e.message : String(e),
      };
    }
  });
}
