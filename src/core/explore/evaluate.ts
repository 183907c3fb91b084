/**
 * Evaluate an instance: run the evaluation command in its worktree with its environment, bounded by
 * a timeout, its output appended to a log in the worktree's admin dir. The result — passed (exit 0),
 * exit code, score (the last stdout line `AXIOM_SCORE=<number>`), duration, and the exact state that
 * was evaluated — is stored as a git note (attempts.ts) so it outlives the instance.
 *
 * The command is a template split without a shell (`{prompt}`, `{id}`, `{worktree}` fill whole
 * arguments). A command from the repository (`.axiom.json`, a race record) is the repository's own
 * code: it never runs while the runner is in untrusted mode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { splitTemplate } from '../processes/shellQuote';
import { isProcessAlive, readAgentState, readProcessRecord } from '../processes/agentState';
import { appendEvaluation, latestByMember, readEvaluations, type DiffSize, type EvaluationRecord } from './attempts';
import { memberFactsOf, membersDue } from './race';
import { AxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import type { LocatedInstance } from '../instances/locate';
import { DEFAULT_EVALUATION_TIMEOUT_SEC, type EvaluationSpec, type Race, type ScoreDirection } from './raceRecord';
import type { RepoInfo } from '../git/repo';
import { captureWorktreeState } from '../git/worktreeSnapshot';
import { environmentOf } from '../provision/instanceSetup';
import type { Limiter } from '../pool';
import { endOwnedStep, isOrphan, startOwned, stopOwnedGroup, stopOwnedProcesses } from '../processes/ownedProcesses';

export const EVALUATION_LOG_FILE = 'axiom-evaluate.log';
export const EVALUATING_FILE = 'axiom-evaluating.json';

export interface EvaluateOptions {
  /** Command template; wins over the race's and the repository configuration's. */
  command?: string;
  score?: ScoreDirection;
  timeoutSec?: number;
  signal?: AbortSignal;
  /**
   * An automatic evaluation of a race member (its agent finished): decided again once this process
   * holds the member's evaluation, so a member another front end evaluated meanwhile is not run
   * twice — refused as `Locked` (another's), like one being evaluated elsewhere right now.
   */
  onlyIfDue?: boolean;
  /** With onlyIfDue: after how long a failed agent turn counts as finished (the race's setting). */
  agentFailureGraceMs?: number;
  /**
   * Evaluations that share these slots run their commands `limit` at a time. Only the command holds
   * a slot — the claim, the due check, the capture of the state and the result note do not — so the
   * next command starts the moment one ends. A change made to the worktree while its command waits
   * is like one made while it runs: the recorded state no longer matches, and landing refuses it as
   * a stale evaluation.
   */
  slots?: Limiter;
}

export interface EvaluationContext {
  git: GitRunner;
  repo: RepoInfo;
  /** The race the instance is a member of, if any (its evaluation command applies). */
  race: Race | null;
  /** The repository configuration's evaluation (`.axiom.json` "evaluate"), if any. */
  configured: Partial<EvaluationSpec> | null;
}

const SCORE_LINE = /^\s*AXIOM_SCORE=\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;

/** The score of one stdout line, or null when it is not an `AXIOM_SCORE=<number>` line. */
export function scoreOfLine(line: string): number | null {
  const m = SCORE_LINE.exec(line);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

/** Which command, direction and timeout apply: the caller's, else the race's, else the repository's. */
export function resolveEvaluation(options: EvaluateOptions, race: Race | null, configured: Partial<EvaluationSpec> | null): EvaluationSpec {
  const command = options.command ?? race?.evaluate.command ?? configured?.command ?? null;
  if (!command || !command.trim()) {
    throw new AxiomError(
      'InvalidArgument',
      'There is no evaluation command: give one (e.g. "npm test") to this evaluation or to the race, or set "evaluate" in .axiom.json.',
      { hint: { next: [{ option: 'command', value: 'npm test' }, { config: 'evaluate' }] } },
    );
  }
  return {
    command,
    score: options.score ?? race?.evaluate.score ?? configured?.score ?? 'higher',
    timeoutSec: options.timeoutSec ?? race?.evaluate.timeoutSec ?? configured?.timeoutSec ?? DEFAULT_EVALUATION_TIMEOUT_SEC,
  };
}

/** How long the agent worked: its headless process's life, else creation → its last finish event. */
async function agentDuration(inst: LocatedInstance): Promise<number | null> {
  const proc = await readProcessRecord(inst.adminDir);
  if (proc?.endedAt) return Date.parse(proc.endedAt) - Date.parse(proc.startedAt);
  const state = await readAgentState(inst.adminDir, false);
  if ((state.phase === 'exited' || state.phase === 'idle') && state.lastActivity) {
    return Math.max(0, Date.parse(state.lastActivity) - Date.parse(inst.metadata.createdAt));
  }
  return null;
}

/** Refuses (`Locked`) when the member's agent is at work, or was evaluated since it last finished. */
async function refuseUnlessDue(ctx: EvaluationContext, race: Race, inst: LocatedInstance, graceMs?: number): Promise<void> {
  const [facts, evaluations] = await Promise.all([memberFactsOf(inst.adminDir, inst.metadata), readEvaluations(ctx.git, ctx.repo)]);
  if (membersDue(race, [facts], latestByMember(evaluations, race.ref), graceMs).length === 0) {
    throw new AxiomError('Locked', `${inst.id} was evaluated by another process since its agent finished (or its agent is at work again); nothing to do.`);
  }
}

/** One evaluation at a time per instance, across processes: a claim file in the admin dir. */
function claim(inst: LocatedInstance): () => void {
  const file = path.join(inst.adminDir, EVALUATING_FILE);
  const body = JSON.stringify({ pid: process.pid, at: new Date().toISOString() });
  try {
    fs.writeFileSync(file, body, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    let holder: { pid?: number } = {};
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: number };
    } catch {
      /* torn or empty: treat as stale */
    }
    if (typeof holder.pid === 'number' && holder.pid !== process.pid && isProcessAlive(holder.pid)) {
      throw new AxiomError('Locked', `${inst.id} is already being evaluated (process ${holder.pid}); wait for that evaluation.`);
    }
    fs.writeFileSync(file, body);
  }
  return () => fs.rmSync(file, { force: true });
}

async function diffSize(git: GitRunner, repo: RepoInfo, inst: LocatedInstance, commit: string): Promise<DiffSize> {
  // `base...commit`: from their merge-base to the evaluated state, in one process.
  const args = (from: string): string[] => ['diff', '--numstat', '-z', '--no-renames', `${from}...${commit}`, '--'];
  const r = await git.run(repo.commonDir, args(`refs/heads/${inst.metadata.base}`), { readOnly: true, okExitCodes: [128] });
  // The base branch is gone (a parent instance cleaned up): measure from the commit it started at.
  const out = r.exitCode === 0 ? r.stdout : await git.out(repo.commonDir, args(inst.metadata.baseSha), { readOnly: true });
  const size: DiffSize = { files: 0, added: 0, deleted: 0 };
  for (const entry of out.split('\0')) {
    const m = /^(\d+|-)\t(\d+|-)\t/.exec(entry);
    if (!m) continue;
    size.files++;
    size.added += m[1] === '-' ? 0 : Number(m[1]);
    size.deleted += m[2] === '-' ? 0 : Number(m[2]);
  }
  return size;
}

interface RunOutcome {
  exitCode: number | null;
  timedOut: boolean;
  score: number | null;
  durationMs: number;
}

/**
 * Runs argv in the worktree in its own process group, recorded in the admin dir (ownedProcesses.ts).
 * The evaluation is over when the command exits — not when pipes held by a background child close —
 * and whatever it left running is stopped then; the whole group is stopped at the timeout.
 */
async function runCommand(argv: string[], cwd: string, adminDir: string, env: Record<string, string>, timeoutSec: number, logFile: string, signal?: AbortSignal): Promise<RunOutcome> {
  const log = fs.openSync(logFile, 'a');
  const write = (text: string): void => void fs.writeSync(log, text);
  write(`--- axiom: ${new Date().toISOString()} evaluating with ${JSON.stringify(argv)} in ${cwd} (timeout ${timeoutSec} s)\n`);
  const started = performance.now();
  let timedOut = false;
  let score: number | null = null;
  let partial = '';
  try {
    // Both through pipes, in the order they come (stdout also for the score line).
    const owned = startOwned({ adminDir, kind: 'evaluation', command: argv[0]!, args: argv.slice(1), cwd, env, stdout: 'pipe', stderr: 'pipe' });
    const { child } = owned;
    const stop = (): void => void stopOwnedGroup(owned.record).catch(() => undefined);
    const timer = setTimeout(() => {
      timedOut = true;
      write(`\n--- axiom: timed out after ${timeoutSec} s; stopping the command\n`);
      stop();
    }, timeoutSec * 1000);
    signal?.addEventListener('abort', stop, { once: true });
    const closed = (stream: NodeJS.ReadableStream | null): Promise<void> => new Promise((resolve) => (stream ? stream.on('close', resolve) : resolve()));
    const pipesDone = Promise.all([closed(child.stdout), closed(child.stderr)]);
    child.stderr?.on('data', (chunk: Buffer) => write(chunk.toString('utf8')));
    child.stdout?.on('data', (chunk: Buffer) => {
      write(chunk.toString('utf8'));
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) score = scoreOfLine(line) ?? score;
    });
    const result = await owned.exited;
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    const durationMs = performance.now() - started;
    // The command is done: its leftovers are stopped, which closes the pipe they held; a process that
    // left the group (setsid) and kept the pipe is not waited for.
    await endOwnedStep(owned);
    const hold = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, 500);
    await pipesDone;
    clearTimeout(hold);
    if (partial) score = scoreOfLine(partial) ?? score;
    if (result.error) {
      const notFound = result.error.code === 'ENOENT';
      write(`axiom: the evaluation program ${JSON.stringify(argv[0])} ${notFound ? 'was not found' : `could not run: ${result.error.message}`}\n`);
      if (notFound) throw new AxiomError('InvalidArgument', `The evaluation program ${JSON.stringify(argv[0])} was not found (PATH of this process, or relative to the worktree).`);
    }
    const exitCode = result.exitCode;
    write(`--- axiom: exit ${exitCode ?? result.signal ?? 'unknown'} after ${(durationMs / 1000).toFixed(1)} s${score !== null ? `, score ${score}` : ''}\n`);
    return { exitCode, timedOut, score, durationMs };
  } finally {
    fs.closeSync(log);
  }
}

/**
 * Evaluates one instance and records the result. Refused in untrusted mode, for a missing worktree,
 * and while another process evaluates the same instance.
 */
export async function evaluateInstance(ctx: EvaluationContext, inst: LocatedInstance, options: EvaluateOptions = {}): Promise<EvaluationRecord> {
  const { git, repo, race } = ctx;
  if (git.untrusted) {
    throw new AxiomError('Untrusted', 'This workspace is not trusted: evaluation commands (the repository\'s own code) do not run here.');
  }
  if (inst.missing) throw new AxiomError('NotFound', `The worktree of ${inst.id} (${inst.path}) is missing; there is nothing to evaluate.`);
  const spec = resolveEvaluation(options, race, ctx.configured);
  let argv: string[];
  try {
    argv = splitTemplate(spec.command!, { prompt: inst.metadata.prompt, id: inst.id, worktree: inst.path });
  } catch (e) {
    throw new AxiomError('InvalidArgument', `The evaluation command cannot be read: ${(e as Error).message}`);
  }
  if (argv.length === 0) throw new AxiomError('InvalidArgument', 'The evaluation command is empty.');
  if (!Number.isFinite(spec.timeoutSec) || spec.timeoutSec <= 0) throw new AxiomError('InvalidArgument', `The evaluation timeout must be a number of seconds > 0 (got ${spec.timeoutSec}).`);

  const release = claim(inst);
  try {
    // An evaluation of this instance whose process was killed: what it left running ends now.
    await stopOwnedProcesses(inst.adminDir, isOrphan);
    if (options.onlyIfDue && race) await refuseUnlessDue(ctx, race, inst, options.agentFailureGraceMs);
    const state = await captureWorktreeState(git, inst.path, inst.adminDir, `axiom: state of ${inst.id} evaluated\n\nAxiom-Instance: ${inst.id}\n`);
    // When the state was taken: an agent that finishes again after it makes the member due again.
    const at = new Date().toISOString();
    const logFile = path.join(inst.adminDir, EVALUATION_LOG_FILE);
    // The instance's own environment (AXIOM_*, its ports, the configured env), as its agent has it.
    // The diff size of the captured state is measured while the command waits for its slot and runs.
    const runNow = (): Promise<RunOutcome> => runCommand(argv, inst.path, inst.adminDir, environmentOf(inst), spec.timeoutSec, logFile, options.signal);
    const [run, diff, agentMs] = await Promise.all([
      options.slots ? options.slots.run(runNow) : runNow(),
      diffSize(git, repo, inst, state.commit),
      agentDuration(inst),
    ]);
    const record: EvaluationRecord = {
      kind: 'evaluation',
      version: 1,
      id: inst.id,
      race: race?.ref ?? null,
      task: race?.task ?? null,
      agent: inst.metadata.agent,
      prompt: inst.metadata.prompt,
      base: inst.metadata.base,
      branch: inst.metadata.branch,
      createdAt: inst.metadata.createdAt,
      command: argv,
      passed: !run.timedOut && run.exitCode === 0,
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      score: run.score,
      scoreDirection: spec.score,
      durationMs: Math.round(run.durationMs),
      agentMs,
      at,
      head: state.head,
      tree: state.tree,
      commit: state.commit,
      snapshot: state.snapshot,
      diff,
      logFile,
    };
    await appendEvaluation(git, repo, record);
    return record;
  } finally {
    release();
  }
}
