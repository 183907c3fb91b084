/**
 * What an instance's agent is doing, and why it stopped, from files in the worktree's admin dir:
 * - `axiom-status.jsonl`: one JSON line per event, appended by Claude Code hooks (dist/hook.js) or
 *   by a front end (shell-integration command start/end, a launch that failed);
 * - `axiom-agent.json`: a headless agent process started by the MCP server (pid + start time, exit).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { isPidAlive as isProcessAlive, isSameProcess } from './processIdentity';

export { isPidAlive as isProcessAlive } from './processIdentity';

/** Lines a headless `send` queues for an instance whose agent runs in a VS Code terminal; the extension types them. */
export const TERMINAL_INPUT_FILE = 'axiom-terminal-input.jsonl';
export const STATUS_FILE = 'axiom-status.jsonl';
export const PROCESS_FILE = 'axiom-agent.json';
export const AGENT_LOG_FILE = 'axiom-agent.log';

/**
 * - pending: a terminal was asked for (MCP) and no window has opened it yet
 * - starting → working → idle (turn done) / waiting (for input) / needs-approval (a permission prompt)
 * - exited (with exit code and reason), failed-to-start (program missing, exit 126/127)
 * - unknown: no agent reported anything (launch "none", or an agent without hooks not yet started)
 */
export type AgentPhase = 'pending' | 'starting' | 'working' | 'needs-approval' | 'waiting' | 'idle' | 'exited' | 'failed-to-start' | 'unknown';

export const AGENT_PHASES: readonly AgentPhase[] = ['pending', 'starting', 'working', 'needs-approval', 'waiting', 'idle', 'exited', 'failed-to-start', 'unknown'];

/** Bound of a reason kept from an agent's message (status files and answers stay small). */
export const MAX_REASON = 300;

export interface AgentEvent {
  event: string;
  /** Absent or null: the event changes no phase (e.g. a Notification of type auth_success). */
  phase?: AgentPhase | null;
  at: string;
  exitCode?: number;
  detail?: string;
  /** Why the agent stopped or what it needs (StopFailure error + message, a permission prompt). */
  reason?: string;
  sessionId?: string;
}

export interface HeadlessProcessRecord {
  /** The wrapper that leads the agent's process group. */
  pid: number;
  /** Its start time (see processIdentity): with the pid, the proof that a live pid is still this wrapper. */
  startTime?: string;
  command: string[];
  startedAt: string;
  endedAt?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** Why the program could not be started (the wrapper's spawn error). */
  error?: string;
  /**
   * The token every process of the agent's group carries in its environment (`AXIOM_PROCESS_TOKEN`):
   * once the wrapper has exited, the proof that what is left of its group (a server the agent
   * started with `&`) is the agent's, so cleanup stops it.
   */
  token?: string;
}

export interface AgentState {
  phase: AgentPhase;
  lastActivity: string | null;
  exitCode?: number | null;
  pid?: number;
  lastEvent?: string;
  /** Why it exited, failed or waits, in the agent's words (bounded). */
  reason?: string;
  /** The conversation the agent reported (Claude Code's session_id). */
  sessionId?: string;
  /**
   * When the agent's last turn failed (Claude's StopFailure: not logged in, an API error) and it has
   * done nothing since. A real Claude then stays alive, waiting; races count it as finished and
   * failed after a grace period (race.ts).
   */
  turnFailedAt?: string;
}

/** Hook events (Claude Code) and front-end events mapped to phases; events not listed change nothing. */
export const EVENT_PHASES: Record<string, AgentPhase> = {
  SessionStart: 'starting',
  UserPromptSubmit: 'working',
  PreToolUse: 'working',
  PostToolUse: 'working',
  PostToolUseFailure: 'working',
  SubagentStart: 'working',
  SubagentStop: 'working',
  PreCompact: 'working',
  PermissionRequest: 'needs-approval',
  Stop: 'idle',
  // A turn that failed (API error, not logged in): the agent waits for the person, with the reason.
  StopFailure: 'waiting',
  SessionEnd: 'exited',
  CommandStart: 'working',
  CommandEnd: 'exited',
  LaunchFailed: 'failed-to-start',
};

/** Claude Code's Notification types: only these two mean "the agent needs you". */
const NOTIFICATION_PHASES: Record<string, AgentPhase> = {
  permission_prompt: 'needs-approval',
  idle_prompt: 'waiting',
};

/** Exit codes a shell gives a program it could not run (126 not executable, 127 not found). */
export function isLaunchFailureCode(code: number | null | undefined): boolean {
  return code === 126 || code === 127;
}

/** The phase of an event; Notification depends on its notification_type; a command end with 126/127 failed to start. */
export function phaseForEvent(event: string, facts: { notificationType?: string; exitCode?: number } = {}): AgentPhase | null {
  if (event === 'Notification') return facts.notificationType ? (NOTIFICATION_PHASES[facts.notificationType] ?? null) : 'waiting';
  if (event === 'CommandEnd' && isLaunchFailureCode(facts.exitCode)) return 'failed-to-start';
  return EVENT_PHASES[event] ?? null;
}

export function boundReason(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_REASON ? flat.slice(0, MAX_REASON - 1) + '…' : flat;
}

/**
 * Events that mean the agent is busy again: an earlier failure or question no longer applies. A
 * command's end brings its own words (the last line a terminal agent printed) or none: a question
 * asked while it ran is not why it ended.
 */
const CLEARS_REASON = new Set(['SessionStart', 'UserPromptSubmit', 'PostToolUse', 'CommandStart', 'CommandEnd', 'AgentChanged']);

/** Well-formed events of a JSON-lines status file, oldest first (torn lines from concurrent appends skipped). */
export function parseEvents(text: string): AgentEvent[] {
  const out: AgentEvent[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    try {
      const e = JSON.parse(line) as AgentEvent;
      if (e && typeof e.event === 'string') out.push(e);
    } catch {
      /* a torn line: skip it */
    }
  }
  return out;
}

/** The last well-formed event of a JSON-lines status file. */
export function lastEvent(text: string): AgentEvent | null {
  const e = parseEvents(text).at(-1);
  return e ? { ...e, phase: e.phase !== undefined ? e.phase : phaseForEvent(e.event, e.exitCode !== undefined ? { exitCode: e.exitCode } : {}) } : null;
}

/** What the events say: the last phase, the last activity, the reason still in force, the session. */
export function summarizeEvents(events: AgentEvent[]): {
  phase: AgentPhase | null;
  at: string | null;
  last: AgentEvent | null;
  exitCode?: number;
  reason?: string;
  sessionId?: string;
  turnFailedAt?: string;
  /** When another agent was recorded for the instance (Change Agent): what came before is the old agent's. */
  agentChangedAt?: string;
} {
  let phase: AgentPhase | null = null;
  let exitCode: number | undefined;
  let reason: string | undefined;
  let sessionId: string | undefined;
  let turnFailedAt: string | undefined;
  let agentChangedAt: string | undefined;
  for (const e of events) {
    if (CLEARS_REASON.has(e.event)) {
      reason = undefined;
      turnFailedAt = undefined;
    }
    if (e.event === 'AgentChanged') {
      // The old agent's conversation is not the new one's.
      sessionId = undefined;
      exitCode = undefined;
      agentChangedAt = e.at;
    }
    if (e.event === 'StopFailure') turnFailedAt = e.at;
    if (e.reason) reason = e.reason;
    if (e.sessionId) sessionId = e.sessionId;
    const p = e.phase === undefined ? phaseForEvent(e.event, e.exitCode !== undefined ? { exitCode: e.exitCode } : {}) : e.phase;
    if (p) {
      phase = p;
      exitCode = e.exitCode;
    }
  }
  const last = events.at(-1) ?? null;
  return {
    phase,
    at: last?.at ?? null,
    last,
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(reason ? { reason } : {}),
    ...(sessionId ? { sessionId } : {}),
    ...(turnFailedAt ? { turnFailedAt } : {}),
    ...(agentChangedAt ? { agentChangedAt } : {}),
  };
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

/**
 * Whether the recorded headless process is still running. A record with a start time is checked
 * against it (a reused pid reads as ended); an older record without one falls back to the pid.
 */
export function isRecordedProcessRunning(rec: HeadlessProcessRecord): boolean {
  if (rec.endedAt !== undefined) return false;
  return rec.startTime ? isSameProcess(rec.pid, rec.startTime) : isProcessAlive(rec.pid);
}

export async function readProcessRecord(adminDir: string): Promise<HeadlessProcessRecord | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(adminDir, PROCESS_FILE), 'utf8')) as HeadlessProcessRecord;
  } catch {
    return null;
  }
}

/** Appends an event; its phase is derived from the event unless given. */
export async function appendAgentEvent(adminDir: string, event: Omit<AgentEvent, 'at'> & Partial<Pick<AgentEvent, 'at'>>): Promise<void> {
  const derived = phaseForEvent(event.event, event.exitCode !== undefined ? { exitCode: event.exitCode } : {});
  const full: AgentEvent = { at: new Date().toISOString(), ...event, phase: event.phase !== undefined ? event.phase : derived };
  if (full.reason) full.reason = boundReason(full.reason);
  await fs.appendFile(path.join(adminDir, STATUS_FILE), JSON.stringify(full) + '\n');
}

/** The last lines the agent wrote to its log (not Axiom's own `--- axiom:` lines), or undefined. */
async function lastLogLines(adminDir: string, lines = 3): Promise<string | undefined> {
  const tail = await readFileTail(path.join(adminDir, AGENT_LOG_FILE), 4096);
  const own = (tail?.text ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('--- axiom:'));
  return own.length ? own.slice(-lines).join(' · ') : undefined;
}

/** Reads the agent's state; `terminalPending` when a terminal launch was asked for and not yet taken. */
export async function readAgentState(
  adminDir: string,
  terminalPending: boolean,
  isRunning: (rec: HeadlessProcessRecord) => boolean = isRecordedProcessRunning,
): Promise<AgentState> {
  const read = (): Promise<[HeadlessProcessRecord | null, Awaited<ReturnType<typeof readFileTail>>]> =>
    Promise.all([readProcessRecord(adminDir), readFileTail(path.join(adminDir, STATUS_FILE), 16 * 1024)]);
  let [proc, tail] = await read();
  // The wrapper writes how the agent ended, then exits: one that ended between that read and the
  // liveness check left its exit behind, so read again rather than call it an exit without a code.
  if (proc && proc.endedAt === undefined && !isRunning(proc)) [proc, tail] = await read();
  const events = summarizeEvents(tail ? parseEvents(tail.text) : []);
  // A headless agent that ended before another agent was recorded (Change Agent) is history.
  if (proc && events.agentChangedAt && (proc.endedAt !== undefined || !isRunning(proc)) && events.agentChangedAt >= (proc.endedAt ?? proc.startedAt)) proc = null;
  const extras = (): Partial<AgentState> => ({
    ...(events.last ? { lastEvent: events.last.event } : {}),
    ...(events.sessionId ? { sessionId: events.sessionId } : {}),
  });
  const failed = (): Partial<AgentState> => (events.turnFailedAt ? { turnFailedAt: events.turnFailedAt } : {});
  if (proc) {
    if (proc.endedAt === undefined && isRunning(proc)) {
      const phase = events.phase && events.phase !== 'exited' && events.phase !== 'failed-to-start' ? events.phase : 'working';
      return { phase, lastActivity: events.at ?? proc.startedAt, pid: proc.pid, ...(events.reason ? { reason: events.reason } : {}), ...extras(), ...failed() };
    }
    const exitCode = proc.exitCode ?? null;
    const failedToStart = proc.error !== undefined || isLaunchFailureCode(exitCode);
    // An agent that exited before any hook (a permission mode it rejects, a flag it does not know)
    // said why on stderr only: the last lines of its log are the reason.
    const beforeAnyHook = events.phase === null && !failedToStart && exitCode !== 0 && !proc.signal;
    const reason = events.reason ?? proc.error ?? (proc.signal ? `stopped by ${proc.signal}` : beforeAnyHook ? await lastLogLines(adminDir) : undefined);
    return {
      phase: failedToStart ? 'failed-to-start' : 'exited',
      lastActivity: events.at && proc.endedAt && events.at > proc.endedAt ? events.at : (proc.endedAt ?? events.at ?? proc.startedAt),
      pid: proc.pid,
      exitCode,
      ...(reason ? { reason: boundReason(reason) } : {}),
      ...extras(),
    };
  }
  if (events.phase) {
    const state: AgentState = { phase: events.phase, lastActivity: events.at, ...extras() };
    if (events.exitCode !== undefined) state.exitCode = events.exitCode;
    if (events.reason) state.reason = events.reason;
    if (events.turnFailedAt) state.turnFailedAt = events.turnFailedAt;
    return state;
  }
  return { phase: terminalPending ? 'pending' : 'unknown', lastActivity: events.at, ...extras() };
}

/** Why an instance needs its person now, or null: an approval, an answer, or a failure to look at. */
export type Attention = 'approval' | 'input' | 'failure';

export function attentionOf(state: Pick<AgentState, 'phase' | 'exitCode'>): Attention | null {
  switch (state.phase) {
    case 'needs-approval':
      return 'approval';
    case 'waiting':
      return 'input';
    case 'failed-to-start':
      return 'failure';
    case 'exited':
      return state.exitCode !== undefined && state.exitCode !== null && state.exitCode !== 0 ? 'failure' : null;
    default:
      return null;
  }
}

/** The words every front end uses for a phase. */
export const PHASE_WORDS: Record<AgentPhase, string> = {
  pending: 'terminal pending',
  starting: 'starting',
  working: 'working',
  'needs-approval': 'needs approval',
  waiting: 'waiting for input',
  idle: 'turn done',
  exited: 'exited',
  'failed-to-start': 'failed to start',
  unknown: 'unknown',
};

/** "exited 1 — authentication_failed: Not logged in", "needs approval — approve Bash: rm -rf build", "working". */
export function describeAgentState(state: Pick<AgentState, 'phase' | 'exitCode' | 'reason'>): string {
  let text = PHASE_WORDS[state.phase];
  if (state.phase === 'exited' || state.phase === 'failed-to-start') {
    if (state.exitCode !== undefined && state.exitCode !== null) text += ` ${state.exitCode}`;
  }
  return state.reason ? `${text} — ${state.reason}` : text;
}
