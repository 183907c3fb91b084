/**
 * Launch modes for agents started by a front end that is not VS Code (the MCP server):
 * - headless: the preset's headless argv runs as a child process in the worktree, detached in its own
 *   process group (so cleanup can stop it and its children), output appended to
 *   `<adminDir>/axiom-agent.log`, its life recorded in `<adminDir>/axiom-agent.json`;
 * - terminal: lines to type go to `<adminDir>/axiom-terminal-input.jsonl`, which the extension consumes.
 *
 * The agent is started through a tiny Node wrapper (fixed source, passed with `node -e`; every
 * user-supplied value is a separate argv entry, never a shell string). The wrapper leads the process
 * group, writes the process record before the agent can do anything and again when the agent exits,
 * so the exit code is recorded even when the MCP server that started it is gone by then.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { AGENT_LOG_FILE, PROCESS_FILE, TERMINAL_INPUT_FILE, isRecordedProcessRunning, readFileTail, readProcessRecord, type HeadlessProcessRecord } from '../core/processes/agentState';
import { OWNED_TOKEN_ENV } from '../core/processes/ownedProcesses';
import type { HeadlessInput } from './presets';


/** The wrapper's source. argv: <record file> <program> [args…]. Writes the record atomically (temp + rename). */
export const WRAPPER_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const [recordFile, ...argv] = process.argv.slice(1);
const write = (rec) => {
  const tmp = recordFile + '.' + process.pid + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(rec, null, 2) + '\\n');
  fs.renameSync(tmp, recordFile);
};
// The wrapper's own start time, the same token as processStartTime() in src/core/processIdentity.ts
// (a test checks they agree): with the pid it proves later that a live pid is still this wrapper.
const startTime = () => {
  try {
    if (process.platform === 'linux') {
      const stat = fs.readFileSync('/proc/self/stat', 'utf8');
      const field = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      return /^\\d+$/.test(field) ? field : undefined;
    }
    if (process.platform === 'win32') return undefined;
    const out = require('node:child_process').execFileSync('ps', ['-o', 'lstart=', '-p', String(process.pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
};
const rec = { pid: process.pid, startTime: startTime(), command: argv, startedAt: new Date().toISOString(), token: process.env.${OWNED_TOKEN_ENV} || undefined };
let done = false;
const finish = (code, signal) => {
  if (done) return;
  done = true;
  rec.endedAt = new Date().toISOString();
  rec.exitCode = code;
  rec.signal = signal;
  try { write(rec); } catch (e) { process.stderr.write('axiom: could not record the agent exit: ' + e.message + '\\n'); }
  process.exit(typeof code === 'number' ? code : 1);
};
// A stop signal reaches the whole group: the agent gets it too; the wrapper stays to record how it ended.
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => {});
// Write-ahead: the wrapper (the group leader) is on record before the agent exists.
write(rec);
let child;
try {
  child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
} catch (e) {
  process.stderr.write('axiom: could not start ' + JSON.stringify(argv[0]) + ': ' + e.message + '\\n');
  rec.error = 'could not start ' + JSON.stringify(argv[0]) + ': ' + e.message;
  write(rec);
  finish(127, null);
}
if (child) {
  if (child.pid !== undefined) rec.agentPid = child.pid;
  write(rec);
  child.on('error', (e) => {
    process.stderr.write('axiom: could not start ' + JSON.stringify(argv[0]) + ': ' + e.message + '\\n');
    rec.error = 'could not start ' + JSON.stringify(argv[0]) + ': ' + e.message;
    finish(e.code === 'ENOENT' ? 127 : 126, null);
  });
  child.on('exit', (code, signal) => finish(code, signal));
}
`;

/** Environment variables that would point the agent's git at another repository than its worktree. */
const GIT_REDIRECTS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_NAMESPACE', 'GIT_PREFIX'];

export interface HeadlessOptions {
  id: string;
  worktree: string;
  adminDir: string;
  argv: readonly string[];
  /** 'none': stdin is closed at start (no agent waits on it); else a pipe this process holds for `send`. */
  input?: HeadlessInput;
  /** Written to stdin right after start (e.g. the prompt as a stream-json user message). */
  firstInput?: string;
  /** Node runtime for the wrapper; default this process's. */
  nodePath?: string;
  /** How long to wait for the wrapper to write the record. */
  startTimeoutMs?: number;
  /** More environment: the instance's variables (AXIOM_PORT, PORT, `env` of .axiom.json …). */
  env?: Record<string, string>;
}

export interface HeadlessHandle {
  id: string;
  adminDir: string;
  pid: number;
  record: HeadlessProcessRecord;
  logFile: string;
  /** How the agent takes input after start; stdin is null when it takes none. */
  input: HeadlessInput;
  stdin: Writable | null;
  /** Resolves when the wrapper exits (the record then says how). */
  exited: Promise<void>;
  alive(): boolean;
}

/** Finds a program on PATH like execvp would; a path with a slash is resolved against `cwd`. null when not found. */
export function findExecutable(program: string, cwd: string, envPath = process.env.PATH ?? ''): string | null {
  const isFile = (p: string): boolean => {
    try {
      const st = fs.statSync(p);
      if (!st.isFile()) return false;
      fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes('/') || program.includes(path.sep)) {
    const abs = path.resolve(cwd, program);
    return isFile(abs) ? abs : null;
  }
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    if (isFile(candidate)) return candidate;
  }
  return null;
}

function agentEnv(id: string, worktree: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !GIT_REDIRECTS.includes(k)) env[k] = v;
  env.AXIOM_INSTANCE_ID = id;
  env.AXIOM_WORKTREE = worktree;
  // The group's proof of ownership (recorded by the wrapper): what the agent leaves running is stopped at cleanup.
  return { ...env, ...extra, [OWNED_TOKEN_ENV]: randomBytes(12).toString('hex') };
}

/**
 * Starts `argv` headless in the worktree and returns once its process record exists (so a `status`
 * right after sees it running, or already exited).
 */
export async function launchHeadless(options: HeadlessOptions): Promise<HeadlessHandle> {
  const { adminDir, worktree, argv } = options;
  if (argv.length === 0 || !argv[0]) throw new Error('The agent command is empty.');
  for (const a of argv) if (a.includes('\0')) throw new Error('An agent argument cannot contain a NUL character.');
  const input = options.input ?? 'lines';
  const recordFile = path.join(adminDir, PROCESS_FILE);
  const logFile = path.join(adminDir, AGENT_LOG_FILE);
  await fsp.rm(recordFile, { force: true });
  // Loaded here, not at startup: most CLI commands never start an agent (execa's module setup is ~25 ms).
  const { execa } = await import('execa');
  const fd = fs.openSync(logFile, 'a');
  let subprocess;
  try {
    fs.writeSync(fd, `--- axiom: ${new Date().toISOString()} starting ${JSON.stringify(argv)} in ${worktree}\n`);
    subprocess = execa(options.nodePath ?? process.execPath, ['-e', WRAPPER_SOURCE, '--', recordFile, ...argv], {
      cwd: worktree,
      env: agentEnv(options.id, worktree, options.env),
      extendEnv: false,
      detached: true,
      cleanup: false,
      reject: false,
      stdin: input === 'none' ? 'ignore' : 'pipe',
      // The log file's descriptor goes to the wrapper as is (no pipe through this process, which may exit
      // first). execa's types only spell literal descriptors; any number works at runtime.
      stdout: fd as 3,
      stderr: fd as 3,
      windowsHide: true,
    });
  } finally {
    fs.closeSync(fd);
  }
  const pid = subprocess.pid;
  if (pid === undefined) {
    const r = await subprocess;
    throw new Error(`Could not start the agent wrapper: ${r.message ?? 'unknown error'}`);
  }
  const stdin = input === 'none' ? null : (subprocess.stdin as Writable);
  stdin?.on('error', () => undefined); // EPIPE after the agent exited: `send` reports it, never a crash
  if (stdin && options.firstInput !== undefined) await writeLine(stdin, options.firstInput).catch(() => undefined);
  let exitedFlag = false;
  const exited = subprocess.then(async (result) => {
    exitedFlag = true;
    // The wrapper records the exit itself; if it was killed before it could, record what we know.
    const rec = await readProcessRecord(adminDir);
    if (rec && rec.pid === pid && rec.endedAt === undefined && fs.existsSync(adminDir)) {
      const next: HeadlessProcessRecord = {
        ...rec,
        endedAt: new Date().toISOString(),
        exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
        signal: result.signal ?? null,
      };
      const tmp = `${recordFile}.${process.pid}.tmp`;
      await fsp.writeFile(tmp, JSON.stringify(next, null, 2) + '\n').then(() => fsp.rename(tmp, recordFile)).catch(() => undefined);
    }
  });
  exited.catch(() => undefined);
  // The server may exit before the agent: nothing here keeps it alive.
  subprocess.unref();

  const until = Date.now() + (options.startTimeoutMs ?? 10_000);
  let record: HeadlessProcessRecord | null = null;
  for (;;) {
    record = await readProcessRecord(adminDir);
    if (record && record.pid === pid) break;
    if (exitedFlag || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 15));
  }
  if (!record || record.pid !== pid) {
    await exited;
    record = await readProcessRecord(adminDir);
    if (!record || record.pid !== pid) {
      throw new Error(`The agent wrapper did not start (see ${logFile}).`);
    }
  }
  const started = record;
  return { id: options.id, adminDir, pid, record, logFile, input, stdin, exited, alive: () => !exitedFlag && isRecordedProcessRunning(started) };
}

/** Writes one line to a headless agent's stdin. */
export async function writeLine(stdin: Writable, text: string): Promise<void> {
  const data = text.endsWith('\n') ? text : text + '\n';
  await new Promise<void>((resolve, reject) => {
    if (stdin.destroyed || stdin.writableEnded) {
      reject(new Error('The agent closed its input.'));
      return;
    }
    stdin.write(data, (e) => (e ? reject(e) : resolve()));
  });
}

/** Queues a line for the instance's VS Code terminal: the extension types it with sendText. */
export async function appendTerminalInput(adminDir: string, text: string): Promise<string> {
  const file = path.join(adminDir, TERMINAL_INPUT_FILE);
  await fsp.appendFile(file, JSON.stringify({ text, at: new Date().toISOString() }) + '\n');
  return file;
}

/** The last `maxBytes` of an instance's agent log ('' when there is none). */
export async function readLogTail(adminDir: string, maxBytes = 16 * 1024): Promise<{ text: string; truncated: boolean; size: number }> {
  return (await readFileTail(path.join(adminDir, AGENT_LOG_FILE), maxBytes)) ?? { text: '', truncated: false, size: 0 };
}

/**
 * Fills a custom command given as an argv array: an element that is exactly `{prompt}`, `{id}` or
 * `{worktree}` becomes that value (dropped when empty); placeholders inside an element are replaced
 * in place. No element is ever split or interpreted: the array goes to the program as it is.
 */
export function fillCommand(command: readonly string[], values: Record<'prompt' | 'id' | 'worktree', string | null>): string[] {
  const out: string[] = [];
  for (const element of command) {
    const whole = /^\{(prompt|id|worktree)\}$/.exec(element);
    if (whole) {
      const v = values[whole[1] as keyof typeof values];
      if (v !== null && v !== '') out.push(v);
      continue;
    }
    out.push(element.replace(/\{(prompt|id|worktree)\}/g, (_m, k: keyof typeof values) => values[k] ?? ''));
  }
  return out;
}
