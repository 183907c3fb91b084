/**
 * The one runner every git call goes through: deterministic environment, a shared concurrency cap,
 * failures classified into AxiomErrors, and a trace of every command with its duration (the
 * benchmarks count git processes from this trace, and the extension logs it at trace level).
 */
import * as path from 'node:path';
import { execa } from 'execa';
import { AxiomError, classifyGitFailure } from './errors';
import { Limiter } from './pool';

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
  /** Standard input for commands that read paths from it (`check-ignore --stdin -z`). */
  input?: string;
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

  private async raw(cwd: string, argsWithConfig: string[], options: RunOptions, args = argsWithConfig): Promise<GitResult> {
    const full = [...(options.readOnly ? ['--no-optional-locks'] : []), '-C', cwd, ...argsWithConfig];
    return this.limiter.run(async () => {
      const started = performance.now();
      this.count++;
      let exitCode = -1;
      try {
        // execa, not simple-git: simple-git waits 50 ms more after any git process that printed
        // nothing (its completion-detection plugin), which made a status snapshot of 100 clean
        // worktrees 2.6× slower than raw git. No shell: arguments go to git as an array.
        const r = await execa(this.binary, full, {
          env: options.env ? { ...this.env, ...options.env } : this.env,
          extendEnv: false,
          // git moves into `cwd` itself (-C); the process starts at the filesystem root so that a
          // current folder deleted under us (cleanup run from inside the worktree it removes) cannot fail the spawn.
          cwd: path.parse(path.resolve(cwd)).root,
          reject: false,
          stripFinalNewline: false,
          maxBuffer: 512 * 1024 * 1024,
          ...(options.signal ? { cancelSignal: options.signal } : {}),
          ...(options.input !== undefined ? { input: options.input } : {}),
        });
        if (r.failed && r.exitCode === undefined) throw classifyGitFailure(args, -1, r.shortMessage ?? String(r.message));
        exitCode = r.exitCode ?? -1;
        if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) return { stdout: r.stdout, exitCode };
        throw classifyGitFailure(args, exitCode, r.stderr || r.stdout);
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
}
