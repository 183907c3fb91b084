/**
 * Headless agent processes recorded in an instance's admin dir: whether one still runs, and stopping
 * it before cleanup. A process is signalled only when its pid and start time both match the record
 * (processIdentity): a pid reused by another process after the agent exited is never touched.
 */
import { appendAgentEvent, readAgentState, readProcessRecord, type AgentState, type HeadlessProcessRecord } from './agentState';
import { AxiomError } from '../errors';
import type { LocatedInstance } from '../instances/locate';
import { isSameProcess } from './processIdentity';
import { stopOwnedGroup } from './ownedProcesses';

/** The recorded wrapper, when it provably still runs (pid and start time match). */
async function liveRecord(adminDir: string): Promise<(HeadlessProcessRecord & { startTime: string }) | null> {
  const rec = await readProcessRecord(adminDir);
  if (!rec || rec.endedAt !== undefined || !rec.startTime) return null;
  return isSameProcess(rec.pid, rec.startTime) ? (rec as HeadlessProcessRecord & { startTime: string }) : null;
}

/**
 * Stops the instance's headless agent (its whole process group: the agent and its children), first
 * with SIGTERM, then SIGKILL after `graceMs`. Returns whether a verified running agent was stopped;
 * false when there is none, or when the recorded pid now belongs to another process.
 */
export async function stopHeadlessAgent(adminDir: string, graceMs = 2000): Promise<boolean> {
  const rec = await liveRecord(adminDir);
  if (!rec) return false;
  // Each signal is sent only after the identity is checked again: the agent may have exited meanwhile.
  const signal = (sig: NodeJS.Signals): void => {
    if (!isSameProcess(rec.pid, rec.startTime)) return;
    try {
      // The wrapper leads its own process group (detached): the negative pid reaches the agent and its children.
      process.kill(-rec.pid, sig);
    } catch {
      try {
        process.kill(rec.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && isSameProcess(rec.pid, rec.startTime)) await new Promise((r) => setTimeout(r, 50));
  signal('SIGKILL');
  return true;
}

/**
 * Stops what is left of a headless agent's process group once the agent has exited (a server it
 * started with `&`): at cleanup, nothing the agent started runs on in a deleted folder. The group is
 * signalled only when a member provably belongs to it (it carries the token the wrapper recorded),
 * or its wrapper still runs with its recorded start time. Returns whether anything was signalled.
 */
export async function stopAgentLeftovers(adminDir: string, graceMs?: number): Promise<boolean> {
  const rec = await readProcessRecord(adminDir);
  if (!rec?.token) return false;
  return stopOwnedGroup({ pid: rec.pid, startTime: rec.startTime ?? null, token: rec.token }, graceMs);
}

/**
 * Whether the instance's agent is still running, for callers that must not remove a worktree under
 * a live agent. Headless: a recorded process that provably still runs. Terminal (or any agent that
 * reports through hooks / shell integration): its last reported phase is neither exited, failed to
 * start, nor unknown.
 */
export async function agentRunning(adminDir: string): Promise<boolean> {
  const rec = await readProcessRecord(adminDir);
  if (rec) return (await liveRecord(adminDir)) !== null;
  const state = await readAgentState(adminDir, false);
  return !(['exited', 'failed-to-start', 'unknown', 'pending'] as const).some((p) => p === state.phase);
}

export interface StopAgentResult {
  id: string;
  /** A running headless agent was stopped (its process group). False: nothing was running. */
  stopped: boolean;
  /** The agent's state afterwards. */
  agentState: AgentState;
}

/**
 * Stop Agent (`axiom stop`, MCP `stop`, the extension's command): stops the instance's agent and
 * nothing else — the worktree, its branch and its work stay. A headless agent's recorded process
 * group is stopped (only when provably the one Axiom started). An agent in a VS Code terminal is the
 * extension's to stop (`stopTerminalAgent`); without it, that is refused (AgentRunning).
 */
export async function stopAgent(inst: LocatedInstance, stopTerminalAgent?: () => Promise<void>): Promise<StopAgentResult> {
  let stopped = await stopHeadlessAgent(inst.adminDir);
  if (!stopped && !(await readProcessRecord(inst.adminDir)) && (await agentRunning(inst.adminDir))) {
    if (!stopTerminalAgent) {
      throw new AxiomError('AgentRunning', `The agent of ${inst.id} runs in a VS Code terminal: stop it there (Axiom Worktrees: Stop Agent, or close its terminal).`, { path: inst.path });
    }
    await stopTerminalAgent();
    // Its terminal was closed by the caller, not by a person: no hook or terminal event says so.
    await appendAgentEvent(inst.adminDir, { event: 'Stopped', phase: 'exited', reason: 'stopped by Stop Agent' });
    stopped = true;
  }
  return { id: inst.id, stopped, agentState: await readAgentState(inst.adminDir, false) };
}
