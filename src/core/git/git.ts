/**
 * The one runner every git call goes through: deterministic environment, a shared concurrency cap,
 * failures classified into AxiomErrors, and a trace of every command with its duration (the
 * benchmarks count git processes from this trace, and the extension logs it at trace level).
 */
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { AxiomError, classifyGitFailure } from '../errors';
import { Limiter } from '../pool';

export interface GitTraceEntry {
  args: string[];
  cwd: string;
  ms: number;
  exitCode: number;
}

export interface RunOptions {
  /** Read-only commands in worktrees an agent may be committing in must not take optional locks. */
  readOnly?: boolean;
  /** Non-zero exit codes that are answers, not failures (e.g. 1 for `merge-tree` with conflicts). */
  okExitCodes?: number[];
  /** Extra environment for this call (e.g. a commit identity, GIT_INDEX_FILE). */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Bytes for git's stdin (e.g. `--stdin-paths`, `commit-tree -F -`, `cat-file --batch`). */
  input?: string | Uint8Array;
}

export interface GitResult {
  stdout: string;
  exitCode: number;
}

export type GitTraceListener = (entry: GitTraceEntry) => void;

export interface GitRunnerOptions {
  /** The git binary (the extension passes the one VS Code's git extension uses). */
  binary?: string;
  maxConcurrent?: number;
  /**
   * The repository's content is not trusted (VS Code's restricted mode): run git so that no program
   * named in the repository's configuration starts. See {@link GitRunner.untrusted}.
   */
  untrusted?: boolean;
}

/**
 * Always added in untrusted mode: no fsmonitor hook (status, diff), no hooks at all, no signature
 * verification by a configured gpg program (log). `/dev/null` is understood by Git for Windows too.
 */
export const UNTRUSTED_CONFIG = ['core.fsmonitor=false', 'core.hooksPath=/dev/null', 'log.showSignature=false'];

/**
 * Configured filter programs: `status` runs a clean filter on every tracked file whose stat data
 * changed. `required` goes too: a required filter without a command would make status fail.
 */
const FILTER_PROGRAMS = '^filter\\..+\\.(clean|smudge|process|required)$';

const BASE_ENV: Record<string, string> = {
  LC_ALL: 'C',
  LANG: 'C',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  GIT_TERMINAL_PROMPT: '0',
  GIT_MERGE_AUTOEDIT: 'no',
};

function configArgs(pairs: string[]): string[] {
  return pairs.flatMap((p) => ['-c', p]);
}

/** Inherited variables that start programs from git (editors, pagers, askpass) or move its config: never wanted here. */
const DROPPED_ENV = new Set(['EDITOR', 'VISUAL', 'PAGER', 'PREFIX', 'SSH_ASKPASS']);

/**
 * The inherited environment minus every GIT_* variable: repositories are always addressed with -C,
 * so a GIT_DIR from a hook or an askpass helper from VS Code's terminal must not leak in.
 */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.toUpperCase().startsWith('GIT_') && !DROPPED_ENV.has(k.toUpperCase())) env[k] = v;
  }
  return env;
}

/** Bytes a git command may print before it is stopped (a whole blob, a long log). */
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

interface ProcessResult {
  /** null when the process could not start, was stopped by a signal, or printed too much (see `failure`). */
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
  failure?: string;
}

/**
 * Runs one git process: an argument array (no shell), its output collected as bytes. Plain
 * `child_process.spawn`, not execa (which the other processes use) nor simple-git: git runs
 * hundreds of times per operation, and execa 9 costs 3.5 ms more per process than spawn (measured
 * on the 2-core CI machine: 15.4 vs 11.9 ms per `git rev-parse HEAD`; ~0.5 s of a race of 5 landed),
 * while simple-git waits 50 ms after any git process that prints nothing (its completion plugin),
 * which made a status snapshot of 100 clean worktrees 2.6× slower than raw git.
 */
function runProcess(
  binary: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string; signal?: AbortSignal; input?: string | Uint8Array },
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let failure: string | undefined;
    let settled = false;
    const finish = (exitCode: number | null): void => {
      if (settled) return;
      settled = true;
      resolve({ exitCode: failure ? null : exitCode, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), ...(failure ? { failure } : {}) });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(binary, args, {
        env: options.env,
        cwd: options.cwd,
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        windowsHide: true,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (e) {
      failure = `could not start ${binary}: ${(e as Error).message}`;
      finish(null);
      return;
    }
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      if (failure) return; // stopped for printing too much: the rest is dropped
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES && !failure) {
        failure = `git printed more than ${MAX_OUTPUT_BYTES} bytes`;
        child.kill();
        return;
      }
      into.push(chunk);
    };
    child.stdout!.on('data', collect(stdout));
    child.stderr!.on('data', collect(stderr));
    child.on('error', (e: NodeJS.ErrnoException) => {
      failure ??= e.name === 'AbortError' ? 'cancelled' : `could not run ${binary}: ${e.message}`;
      finish(null);
    });
    child.on('close', (code, signal) => {
      if (signal) failure ??= `git was stopped by ${signal}`;
      finish(code);
    });
    if (options.input !== undefined && child.stdin) {
      // A git that exits without reading all its input (EPIPE) is judged by its exit code alone.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

export class GitRunner {
  private readonly listeners = new Set<GitTraceListener>();
  private readonly limiter: Limiter;
  private readonly binary: string;
  private readonly env: Record<string, string>;
  private count = 0;
  private untrustedMode: boolean;
  /** Untrusted mode: per folder, the `-c` arguments that switch off the filter programs its config names. */
  private readonly neutralizers = new Map<string, Promise<string[]>>();

  constructor(options: GitRunnerOptions = {}) {
    this.binary = options.binary ?? 'git';
    this.limiter = new Limiter(options.maxConcurrent ?? 4);
    this.env = { ...cleanEnv(), ...BASE_ENV };
    this.untrustedMode = options.untrusted ?? false;
  }

  /**
   * Untrusted mode: every command gets `-c` overrides so that nothing the repository configures runs:
   * {@link UNTRUSTED_CONFIG}, plus an empty value for each `filter.<driver>.clean|smudge|process|required`
   * the folder's config names (an empty filter command is a pass-through in git, an empty boolean false). Merge drivers are
   * not neutralised (an empty one fails the merge): callers run no merge in untrusted mode — the
   * status collector skips its merge-tree conflict check. Switch off when the user grants trust.
   */
  get untrusted(): boolean {
    return this.untrustedMode;
  }

  set untrusted(value: boolean) {
    this.untrustedMode = value;
    this.neutralizers.clear();
  }

  private async untrustedArgs(cwd: string): Promise<string[]> {
    let found = this.neutralizers.get(cwd);
    if (!found) {
      found = this.raw(cwd, [...configArgs(UNTRUSTED_CONFIG), 'config', '-z', '--name-only', '--get-regexp', FILTER_PROGRAMS], { okExitCodes: [1] }).then(
        ({ stdout }) => {
          const keys = stdout.split('\0').filter(Boolean);
          // `-c key=value` splits at the first '=': a key with one could not be overridden, so refuse.
          const odd = keys.find((k) => /[=\n]/.test(k));
          if (odd) throw new AxiomError('Untrusted', `The repository configures a filter program under a name Axiom cannot switch off (${JSON.stringify(odd)}); trust the workspace or fix its git config.`);
          return configArgs([...UNTRUSTED_CONFIG, ...keys.map((k) => `${k}=`)]);
        },
      );
      this.neutralizers.set(cwd, found);
      found.catch(() => this.neutralizers.delete(cwd));
    }
    return found;
  }

  /** Number of git processes started by this runner (for benchmarks and tests). */
  get processCount(): number {
    return this.count;
  }

  onTrace(listener: GitTraceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `git -C cwd …args`; throws a classified AxiomError unless the exit code is acceptable. */
  async run(cwd: string, args: string[], options: RunOptions = {}): Promise<GitResult> {
    const guard = this.untrustedMode ? await this.untrustedArgs(cwd) : [];
    return this.raw(cwd, [...guard, ...args], options, args);
  }

  private async raw(
    cwd: string,
    argsWithConfig: string[],
    options: RunOptions & { binary?: boolean },
    args = argsWithConfig,
  ): Promise<GitResult & { buffer?: Buffer }> {
    const full = [...(options.readOnly ? ['--no-optional-locks'] : []), '-C', cwd, ...argsWithConfig];
    return this.limiter.run(async () => {
      const started = performance.now();
      this.count++;
      let exitCode = -1;
      try {
        const r = await runProcess(this.binary, full, {
          env: options.env ? { ...this.env, ...options.env } : this.env,
          // git moves into `cwd` itself (-C); the process starts at the filesystem root so that a
          // current folder deleted under us (cleanup run from inside the worktree it removes) cannot fail the spawn.
          cwd: path.parse(path.resolve(cwd)).root,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.input !== undefined ? { input: options.input } : {}),
        });
        if (r.exitCode === null) throw classifyGitFailure(args, -1, r.failure ?? 'git did not finish');
        exitCode = r.exitCode;
        if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) {
          return options.binary ? { stdout: '', exitCode, buffer: r.stdout } : { stdout: r.stdout.toString('utf8'), exitCode };
        }
        throw classifyGitFailure(args, exitCode, r.stderr.toString('utf8') || r.stdout.toString('utf8'));
      } finally {
        const entry = { args, cwd, ms: performance.now() - started, exitCode };
        for (const l of this.listeners) l(entry);
      }
    });
  }

  /** Convenience: stdout of a command that must succeed. */
  async out(cwd: string, args: string[], options: RunOptions = {}): Promise<string> {
    return (await this.run(cwd, args, options)).stdout;
  }

  /** stdout as bytes, unconverted (blob contents for a byte-exact restore). */
  async bytes(cwd: string, args: string[], options: RunOptions = {}): Promise<Buffer> {
    const guard = this.untrustedMode ? await this.untrustedArgs(cwd) : [];
    const r = await this.raw(cwd, [...guard, ...args], { ...options, binary: true }, args);
    return r.buffer!;
  }
}
