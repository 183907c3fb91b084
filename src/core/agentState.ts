/**
 * What an instance's agent is doing, from files in the worktree's admin dir:
 * - `axiom-status.jsonl`: one JSON line per event, appended by Claude Code hooks (or a terminal
 *   front end reporting shell-integration events);
 * - `axiom-agent.json`: a headless agent process started by the MCP server (pid, exit code).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export const STATUS_FILE = 'axiom-status.jsonl';
export const PROCESS_FILE = 'axiom-agent.json';
export const AGENT_LOG_FILE = 'axiom-agent.log';

export type AgentPhase = 'pending' | 'starting' | 'working' | 'waiting' | 'idle' | 'exited' | 'unknown';

export interface AgentEvent {
  event: string;
  phase: AgentPhase;
  at: string;
  exitCode?: number;
  detail?: string;
}

export interface HeadlessProcessRecord {
  pid: number;
  command: string[];
  startedAt: string;
  endedAt?: string;
  exitCode?: number | null;
  signal?: string | null;
}

export interface AgentState {
  phase: AgentPhase;
  lastActivity: string | null;
  exitCode?: number | null;
  pid?: number;
  lastEvent?: string;
}

/** Claude Code hook events (and shell-integration events) mapped to phases. */
export const EVENT_PHASES: Record<string, AgentPhase> = {
  SessionStart: 'starting',
  UserPromptSubmit: 'working',
  PreToolUse: 'working',
  PostToolUse: 'working',
  Notification: 'waiting',
  Stop: 'idle',
  SubagentStop: 'working',
  SessionEnd: 'exited',
  CommandStart: 'working',
  CommandEnd: 'exited',
};

export function phaseForEvent(event: string): AgentPhase {
  return EVENT_PHASES[event] ?? 'unknown';
}

/** The last well-formed event of a JSON-lines status file. */
export function lastEvent(text: string): AgentEvent | null {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line) continue;
    try {
      const e = JSON.parse(line) as AgentEvent;
      if (e && typeof e.event === 'string') return { ...e, phase: e.phase ?? phaseForEvent(e.event) };
    } catch {
      /* a torn line from a concurrent append: look further back */
    }
  }
  return null;
}

/** The last `maxBytes` of a file (null when it cannot be read): status and log files only grow. */
export async function readFileTail(file: string, maxBytes = 8192): Promise<{ text: string; truncated: boolean; size: number } | null> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await handle.read(buf, 0, buf.length, start);
    return { text: buf.toString('utf8'), truncated: start > 0, size };
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readProcessRecord(adminDir: string): Promise<HeadlessProcessRecord | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(adminDir, PROCESS_FILE), 'utf8')) as HeadlessProcessRecord;
  } catch {
    return null;
  }
}

export async function appendAgentEvent(adminDir: string, event: Omit<AgentEvent, 'phase' | 'at'> & Partial<AgentEvent>): Promise<void> {
  const full: AgentEvent = { phase: phaseForEvent(event.event), at: new Date().toISOString(), ...event };
  await fs.appendFile(path.join(adminDir, STATUS_FILE), JSON.stringify(full) + '\n');
}

/** Reads the agent's state; `terminalPending` when a terminal launch was asked for and not yet taken. */
export async function readAgentState(adminDir: string, terminalPending: boolean): Promise<AgentState> {
  const [proc, tail] = await Promise.all([readProcessRecord(adminDir), readFileTail(path.join(adminDir, STATUS_FILE))]);
  const event = tail ? lastEvent(tail.text) : null;
  if (proc) {
    const ended = proc.endedAt !== undefined || !isProcessAlive(proc.pid);
    const base: AgentState = {
      phase: ended ? 'exited' : event && event.phase !== 'exited' ? event.phase : 'working',
      lastActivity: event?.at ?? proc.endedAt ?? proc.startedAt,
      pid: proc.pid,
    };
    if (ended) base.exitCode = proc.exitCode ?? null;
    if (event) base.lastEvent = event.event;
    return base;
  }
  if (event) {
    const state: AgentState = { phase: event.phase, lastActivity: event.at, lastEvent: event.event };
    if (event.exitCode !== undefined) state.exitCode = event.exitCode;
    return state;
  }
  return { phase: terminalPending ? 'pending' : 'unknown', lastActivity: null };
}
