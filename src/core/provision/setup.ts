/**
 * Setup and teardown commands of the worktree configuration, run in an instance's worktree.
 *
 * How a command runs: each entry is a command line from the repository's own configuration
 * (`.axiom.json`, committed, or the user's `git config axiom.setup`) and is run by the shell —
 * `/bin/sh -c <line>` (cmd.exe on Windows), as npm runs a package script — in the worktree, with
 * the instance's environment ({@link instanceEnv}). Nothing from an agent, an MCP client or an id is
 * ever put into the line: instance values reach the command as environment variables only. Front
 * ends run them only in a trusted workspace; the engine refuses in untrusted mode.
 *
 * Each command runs in its own process group, recorded in the admin dir (ownedProcesses.ts), so a
 * timeout stops it and its children, and what it leaves running is stopped at cleanup. Output goes
 * to a log in the instance's admin dir (written by the command itself, not through a pipe); the state goes to `axiom-setup.json` beside it, which every
 * front end reads (a setup that a dead process left "running" reads as failed).
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { isProcessAlive, readFileTail } from '../processes/agentState';
import { endOwnedStep, startOwned, stopOwnedGroup } from '../processes/ownedProcesses';

export const SETUP_FILE = 'axiom-setup.json';
export const SETUP_LOG = 'axiom-setup.log';
export const TEARDOWN_LOG = 'axiom-teardown.log';

export type SetupState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface CommandStep {
  command: string;
  /** null when the command was stopped (timeout) or could not report one. */
  exitCode: number | null;
  ms: number;
  timedOut?: boolean;
}

/** `<adminDir>/axiom-setup.json`: the setup of one instance. */
export interface SetupRecord {
  state: SetupState;
  commands: string[];
  /** Exit code of the failing command (0 when all succeeded, null when stopped or unknown). */
  exitCode: number | null;
  failedCommand?: string;
  timedOut?: boolean;
  startedAt?: string;
  endedAt?: string;
  /** The process running it (while running): a dead one means the setup did not finish. */
  pid?: number;
  /** While running: the index of the command being run. */
  current?: number;
  /** Where it runs: `engine` (CLI, MCP, extension without a terminal) or the instance's VS Code `terminal`. */
  ranBy?: 'engine' | 'terminal';
  steps: CommandStep[];
  logFile: string;
}

/** What `status` reports about the setup. */
export interface SetupStatus {
  state: SetupState;
  exitCode: number | null;
  logFile: string;
  commands: string[];
  failedCommand?: string;
  timedOut?: boolean;
  startedAt?: string;
  endedAt?: string;
}

export async function writeSetupRecord(adminDir: string, rec: SetupRecord): Promise<void> {
  const file = path.join(adminDir, SETUP_FILE);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(rec, null, 2) + '\n');
  await fsp.rename(tmp, file);
}

async function readSetupFile(adminDir: string): Promise<SetupRecord | null> {
  let rec: SetupRecord;
  try {
    rec = JSON.parse(await fsp.readFile(path.join(adminDir, SETUP_FILE), 'utf8')) as SetupRecord;
  } catch {
    return null;
  }
  return rec && typeof rec.state === 'string' ? rec : null;
}

/**
 * The instance's setup record. A `running` record whose process is gone reads as failed — but only
 * after reading the file again: the setup writes its outcome and then exits, so a process that ended
 * between the first read and the liveness check has left its real outcome behind (seen under load: a
 * setup that succeeded read as failed). `isAlive` is a seam for the test of that interleaving.
 */
export async function readSetupRecord(
  adminDir: string,
  isAlive: (pid: number) => boolean = isProcessAlive,
): Promise<SetupRecord | null> {
  const rec = await readSetupFile(adminDir);
  if (!rec || rec.state !== 'running' || rec.pid === undefined || isAlive(rec.pid)) return rec;
  const again = await readSetupFile(adminDir);
  if (!again) return null;
  if (!(again.state === 'running' && again.pid === rec.pid && again.startedAt === rec.startedAt)) return again;
  return {
    ...rec,
    state: 'failed',
    exitCode: null,
    failedCommand: rec.failedCommand ?? rec.commands[rec.steps.length] ?? rec.commands[0],
  };
}

export function setupStatusOf(rec: SetupRecord | null): SetupStatus | null {
  if (!rec) return null;
  const s: SetupStatus = {
    state: rec.state,
    exitCode: rec.exitCode,
    logFile: rec.logFile,
    commands: rec.commands,
  };
  if (rec.failedCommand !== undefined) s.failedCommand = rec.failedCommand;
  if (rec.timedOut) s.timedOut = true;
  if (rec.startedAt) s.startedAt = rec.startedAt;
  if (rec.endedAt) s.endedAt = rec.endedAt;
  return s;
}

/** The last `lines` lines of a log (for a failure message). */
export async function logTail(file: string, lines = 20): Promise<string> {
  const tail = await readFileTail(file, 16 * 1024);
  if (!tail) return '';
  return tail.text.replace(/\s+$/, '').split('\n').slice(-lines).join('\n');
}

export interface RunCommandsOptions {
  cwd: string;
  /** The whole environment of the commands (see `instanceProcessEnv`). */
  env: Record<string, string>;
  timeoutMs: number;
  logFile: string;
  /** The instance's admin dir: where each command's process is recorded. */
  adminDir: string;
  /** Also receives the output (the CLI and the terminal show it as it comes). */
  echo?: (chunk: string) => void;
  onStep?: (event: { command: string; index: number; total: number; done?: CommandStep }) => void;
  signal?: AbortSignal;
}

/**
 * Copies what a step writes to its log to `echo` while it runs: the command writes to the log file
 * directly (no pipe a background child could hold open), this reads the new bytes.
 */
function followLog(fd: number, from: number, echo: ((chunk: string) => void) | undefined): { flush(): void; stop(): void } {
  let at = from;
  const flush = (): void => {
    if (!echo) return;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, at);
      if (n <= 0) break;
      at += n;
      echo(buf.subarray(0, n).toString('utf8'));
    }
  };
  const timer = echo ? setInterval(flush, 100) : null;
  return { flush, stop: () => timer && clearInterval(timer) };
}

/**
 * Runs the command lines in order until one fails. Returns every step; the last one failed when its
 * exit code is not 0. Each command is an owned process (ownedProcesses.ts): the step ends when the
 * command exits; a setup's background servers keep running until cleanup, a teardown's are stopped.
 */
export async function runCommands(
  kind: 'setup' | 'teardown',
  commands: readonly string[],
  o: RunCommandsOptions,
): Promise<CommandStep[]> {
  const steps: CommandStep[] = [];
  const fd = fs.openSync(o.logFile, 'a+');
  const write = (text: string, echo = true): void => {
    fs.writeSync(fd, text);
    if (echo) o.echo?.(text);
  };
  try {
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!;
      o.onStep?.({ command, index: i, total: commands.length });
      write(
        `--- axiom ${kind} ${i + 1}/${commands.length}: ${command}   (${new Date().toISOString()})\n`,
        false,
      );
      const started = performance.now();
      let timedOut = false;
      // The repository's own command line, run by the shell (see the module comment): never built from input.
      const follow = followLog(fd, fs.fstatSync(fd).size, o.echo);
      const owned = startOwned({ adminDir: o.adminDir, kind, command, shell: true, cwd: o.cwd, env: o.env, stdout: fd, stderr: fd });
      const stop = (): void => void stopOwnedGroup(owned.record).catch(() => undefined);
      const timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, o.timeoutMs);
      o.signal?.addEventListener('abort', stop);
      const r = await owned.exited;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', stop);
      follow.stop();
      follow.flush();
      await endOwnedStep(owned);
      const ms = Math.round(performance.now() - started);
      const exitCode = timedOut || r.exitCode === null ? null : r.exitCode;
      const step: CommandStep = { command, exitCode, ms, ...(timedOut ? { timedOut: true } : {}) };
      if (r.error) write(`axiom: the command could not run: ${r.error.message}\n`);
      if (timedOut) write(`axiom: stopped after ${Math.round(o.timeoutMs / 1000)} s (setupTimeout)\n`);
      write(`--- exit ${exitCode ?? 'none'} after ${(ms / 1000).toFixed(1)} s\n`, false);
      steps.push(step);
      o.onStep?.({ command, index: i, total: commands.length, done: step });
      if (exitCode !== 0) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  return steps;
}

export interface SetupRunOptions extends Omit<RunCommandsOptions, 'logFile'> {
  commands: readonly string[];
  ranBy?: 'engine' | 'terminal';
}

/** Runs the setup of an instance and records its state; returns the final record. */
export async function runSetup(o: SetupRunOptions): Promise<SetupRecord> {
  const logFile = path.join(o.adminDir, SETUP_LOG);
  await fsp.writeFile(logFile, '');
  const rec: SetupRecord = {
    state: 'running',
    commands: [...o.commands],
    exitCode: null,
    startedAt: new Date().toISOString(),
    pid: process.pid,
    ranBy: o.ranBy ?? 'engine',
    steps: [],
    logFile,
  };
  await writeSetupRecord(o.adminDir, rec);
  // The record follows each step, so other front ends can show which command is running (writes in order).
  let saved = Promise.resolve();
  const steps = await runCommands('setup', o.commands, {
    ...o,
    logFile,
    onStep: (e) => {
      o.onStep?.(e);
      if (e.done) rec.steps = [...rec.steps, e.done];
      else rec.current = e.index;
      const snapshot: SetupRecord = { ...rec };
      saved = saved.then(() => writeSetupRecord(o.adminDir, snapshot)).catch(() => undefined);
    },
  });
  await saved;
  const last = steps.at(-1);
  const ok = steps.length === o.commands.length && steps.every((s) => s.exitCode === 0);
  const done: SetupRecord = {
    state: ok ? 'succeeded' : 'failed',
    commands: rec.commands,
    exitCode: ok ? 0 : (last?.exitCode ?? null),
    startedAt: rec.startedAt!,
    endedAt: new Date().toISOString(),
    ranBy: rec.ranBy!,
    steps,
    logFile,
  };
  if (!ok && last) done.failedCommand = last.command;
  if (last?.timedOut) done.timedOut = true;
  await writeSetupRecord(o.adminDir, done);
  return done;
}

/** Records a setup that is not run now: `pending` (a terminal will run it) or `skipped` (--no-setup). */
export async function recordSetup(
  adminDir: string,
  commands: readonly string[],
  state: 'pending' | 'skipped',
): Promise<SetupRecord> {
  const rec: SetupRecord = {
    state,
    commands: [...commands],
    exitCode: null,
    steps: [],
    logFile: path.join(adminDir, SETUP_LOG),
  };
  await writeSetupRecord(adminDir, rec);
  return rec;
}
