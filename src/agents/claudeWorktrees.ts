/**
 * Claude Code's worktrees as Axiom instances: what `axiom claude hook worktree-create|worktree-remove`
 * do with the JSON payload Claude Code's `WorktreeCreate` / `WorktreeRemove` hooks send on stdin.
 * No vscode import; the CLI verb (cli/verbs/claude.ts) only reads stdin and prints.
 *
 * - Create: the payload's name (every generation: `name` or `worktree_name`) becomes a valid, unique
 *   instance id; the instance is made by the engine's normal spawn (checks, limit, provisioning,
 *   `.axiom.json` setup), agent `claude` with the payload's session, source "Claude Code worktree".
 *   Which payload fields came is written to the instance's log (`axiom-agent.log`).
 * - Remove: the payload's path is matched to an instance by Axiom's record (never by name); only an
 *   instance this hook made is cleaned up, forced, so its work goes to a salvage ref first.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomEngine } from '../core/engine';
import { AxiomError, isAxiomError } from '../core/errors';
import { validateId, worktreePathFor } from '../core/instances/ids';
import { readAdminEntries, sourceWords } from '../core/instances/metadata';
import { AGENT_LOG_FILE } from '../core/processes/agentState';
import type { ProvisionEvent } from '../core/provision/provision';
import type { SpawnedInstance } from '../core/instances/spawn';
import type { CleanupResult } from '../core/instances/cleanup';

/** Every field any Claude Code version is known to send to the worktree hooks. */
export const PAYLOAD_FIELDS = [
  'hook_event_name',
  'session_id',
  'transcript_path',
  'cwd',
  'name',
  'worktree_name',
  'base_path',
  'source_ref',
  'base_commit',
  'worktree_path',
  'path',
] as const;

export interface WorktreePayload {
  /** `name`, else `worktree_name` (create). */
  name: string | null;
  /** `worktree_path`, else `path` (remove; create may send where Claude would have put it). */
  worktreePath: string | null;
  cwd: string | null;
  sessionId: string | null;
  basePath: string | null;
  sourceRef: string | null;
  baseCommit: string | null;
  event: string | null;
  /** The payload's keys as they came (known and unknown), for the instance's log. */
  seen: string[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** Parses the hook's stdin; not a JSON object is `InvalidArgument`. */
export function parsePayload(text: string): WorktreePayload {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AxiomError('InvalidArgument', `The hook's input is not JSON (${text.trim() === '' ? 'stdin was empty' : JSON.stringify(text.slice(0, 60))}); Claude Code sends its payload on stdin.`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AxiomError('InvalidArgument', "The hook's input is not a JSON object.");
  const p = raw as Record<string, unknown>;
  return {
    name: str(p.name) ?? str(p.worktree_name),
    worktreePath: str(p.worktree_path) ?? str(p.path),
    cwd: str(p.cwd),
    sessionId: str(p.session_id),
    basePath: str(p.base_path),
    sourceRef: str(p.source_ref),
    baseCommit: str(p.base_commit),
    event: str(p.hook_event_name),
    seen: Object.keys(p),
  };
}

/**
 * A valid instance id from Claude's worktree name: lowercase, every run of other characters one `-`,
 * starting with a letter or digit, at most 40 characters, no `..` nor a `.`/`.lock` ending.
 * `InvalidId` when nothing usable is left (a name of only punctuation or non-Latin letters).
 */
export function idFromWorktreeName(name: string): string {
  let id = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 40)
    .replace(/[-._]+$/, '');
  if (id.endsWith('.lock')) id = `${id.slice(0, -5)}-lock`;
  if (id === '') throw new AxiomError('InvalidId', `Cannot make an instance id from the worktree name ${JSON.stringify(name.slice(0, 60))}: use letters a-z or digits.`);
  return validateId(id);
}

/** `id`, or `id-2`, `id-3`, … (cut to 40 characters) when `taken` says so. */
export function uniqueId(id: string, taken: (candidate: string) => boolean): string {
  for (let n = 1; n < 1000; n++) {
    const suffix = n === 1 ? '' : `-${n}`;
    const candidate = validateId(`${id.slice(0, 40 - suffix.length).replace(/[-._]+$/, '')}${suffix}`);
    if (!taken(candidate)) return candidate;
  }
  throw new AxiomError('AlreadyExists', `Every id from ${id} to ${id}-999 is taken.`);
}

/** One `--- axiom:` line in the instance's log (what "Show Agent Log" opens); never fails the caller. */
export function appendInstanceLog(adminDir: string, line: string): void {
  try {
    fs.appendFileSync(path.join(adminDir, AGENT_LOG_FILE), `--- axiom: ${new Date().toISOString()} ${line}\n`);
  } catch {
    /* the log is a courtesy: the admin dir may be gone */
  }
}

export interface CreateOptions {
  /** Where the hook runs when the payload names no cwd (the process's folder). */
  fallbackCwd: string;
  /** Run git untrusted: a repository's setup commands refuse instead of running (user-scope hooks). */
  untrusted: boolean;
  onProgress?: (e: ProvisionEvent) => void;
}

export interface CreatedForClaude {
  instance: SpawnedInstance;
  /** The base and why (source_ref named a local branch, else Axiom's default). */
  baseNote: string;
}

/** The base to start from: the payload's `source_ref` when it names a local branch, else Axiom's default. */
async function baseFor(engine: AxiomEngine, payload: WorktreePayload): Promise<{ base?: string; note: string }> {
  const ref = payload.sourceRef?.replace(/^refs\/heads\//, '');
  if (ref) {
    const ok = await engine.git
      .run(engine.repo.commonDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/heads/${ref}^{commit}`], { readOnly: true, okExitCodes: [1, 128] })
      .then((r) => r.exitCode === 0, () => false);
    if (ok) return { base: ref, note: `base ${ref} (source_ref)` };
    return { note: `source_ref ${JSON.stringify(payload.sourceRef)} is not a local branch: base is Axiom's default` };
  }
  return { note: "base is Axiom's default (the payload names no source_ref)" };
}

/** WorktreeCreate: a new instance for Claude's worktree; refusals are AxiomErrors and leave nothing behind. */
export async function createForClaude(payload: WorktreePayload, options: CreateOptions): Promise<CreatedForClaude> {
  if (!payload.name) throw new AxiomError('InvalidArgument', "The hook's payload has no worktree name (neither name nor worktree_name).");
  const engine = await AxiomEngine.open(payload.cwd ?? options.fallbackCwd, { untrusted: options.untrusted });
  const wanted = idFromWorktreeName(payload.name);
  const { base, note } = await baseFor(engine, payload);
  const settings = await engine.settings();
  const mainWorktree = engine.repo.mainWorktree;
  for (let attempt = 0; ; attempt++) {
    const ids = new Set((await readAdminEntries(engine.repo.commonDir)).map((e) => e.metadata?.id).filter((x): x is string => !!x));
    const id = uniqueId(wanted, (c) => ids.has(c) || (mainWorktree !== null && fs.existsSync(worktreePathFor(settings.worktreeDir, c, mainWorktree))));
    try {
      const instance = await engine.spawn(id, {
        ...(base ? { base } : {}),
        agent: 'claude',
        prompt: null,
        launch: 'none',
        setup: 'run',
        source: { kind: 'claude-worktree', name: payload.name },
        ...(payload.sessionId ? { session: { id: payload.sessionId, agent: 'claude', startedAt: new Date().toISOString() } } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      const renamed = id === payload.name ? '' : ` → id ${id}`;
      appendInstanceLog(
        instance.adminDir,
        `made by Claude Code's ${payload.event ?? 'WorktreeCreate'} hook for worktree ${JSON.stringify(payload.name)}${renamed}; payload fields seen: ${payload.seen.join(', ') || '(none)'}; ${note}` +
          (payload.baseCommit ? `; base_commit ${payload.baseCommit} (recorded, not used)` : '') +
          (payload.worktreePath ? `; Claude proposed ${payload.worktreePath}, Axiom's path is ${instance.path}` : '') +
          (payload.sessionId ? `; session ${payload.sessionId}` : ''),
      );
      return { instance, baseNote: note };
    } catch (e) {
      // Another process took the id between the check and the spawn: try the next suffix.
      if (isAxiomError(e, 'AlreadyExists') && attempt < 20) continue;
      throw e;
    }
  }
}

export interface ClaudeInstance {
  engine: AxiomEngine;
  id: string;
  adminDir: string;
  path: string;
}

/**
 * WorktreeRemove: the instance at the payload's path, by Axiom's record; a string saying why the
 * path is left alone when it is not an instance this hook made.
 */
export async function findClaudeInstance(payload: WorktreePayload, fallbackCwd: string, untrusted: boolean): Promise<ClaudeInstance | string> {
  if (!payload.worktreePath) return "the hook's payload names no worktree (neither worktree_path nor path): nothing done";
  const wanted = realpathOrResolved(payload.worktreePath);
  // The worktree's own folder finds the repository; when it is gone already, the session's folder.
  const from = [wanted, payload.cwd, fallbackCwd].find((p): p is string => !!p && fs.existsSync(p));
  if (!from) return `${wanted} is not in a repository Axiom can find: left alone`;
  let engine: AxiomEngine;
  try {
    engine = await AxiomEngine.open(from, { untrusted });
  } catch (e) {
    return `${wanted} is not in a git repository (${e instanceof Error ? e.message : String(e)}): left alone`;
  }
  const entry = (await readAdminEntries(engine.repo.commonDir)).find((e) => e.worktreePath !== null && realpathOrResolved(e.worktreePath) === wanted);
  if (!entry?.metadata) return `${wanted} is not an Axiom instance: left alone`;
  if (!sourceWords(entry.metadata)) return `${wanted} is Axiom instance ${entry.metadata.id}, not made by Claude Code's worktree hook: left alone`;
  return { engine, id: entry.metadata.id, adminDir: entry.adminDir, path: entry.worktreePath! };
}

/** The forced cleanup of an instance this hook made: its work goes to a salvage ref first (restorable). */
export async function removeForClaude(inst: ClaudeInstance): Promise<CleanupResult> {
  try {
    return await inst.engine.cleanup(inst.id, { force: true });
  } catch (e) {
    appendInstanceLog(inst.adminDir, `Claude Code's WorktreeRemove hook could not clean up ${inst.id}: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}

/** How long the WorktreeRemove hook may keep Claude waiting (git config axiom.claudeHookTimeoutSeconds; default 20). */
export async function removeBoundMs(engine: AxiomEngine): Promise<number> {
  const r = await engine.git
    .run(engine.repo.commonDir, ['config', '--get', 'axiom.claudeHookTimeoutSeconds'], { readOnly: true, okExitCodes: [1] })
    .catch(() => null);
  const n = Number(r?.stdout.trim());
  return (r && r.stdout.trim() !== '' && Number.isFinite(n) && n > 0 ? n : 20) * 1000;
}

export type Bounded = { done: true; code: number; stdout: string } | { done: false; pid: number | undefined; outFile: string };

/**
 * Runs argv detached (its own process group, output to a file, not to Claude's pipes) and waits for
 * it at most `ms`; past that it is left to finish in the background.
 */
export function runBounded(argv: string[], ms: number): Promise<Bounded> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-claude-remove-'));
  const outFile = path.join(dir, 'output.txt');
  const fd = fs.openSync(outFile, 'w+');
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.unref();
      resolve({ done: false, pid: child.pid, outFile });
    }, ms);
    const finish = (code: number): void => {
      clearTimeout(timer);
      const stdout = fs.readFileSync(outFile, 'utf8');
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ done: true, code, stdout });
    };
    child.on('error', () => finish(1));
    child.on('exit', (code) => finish(code ?? 1));
  });
}

function realpathOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
