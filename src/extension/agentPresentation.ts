/**
 * How an agent's phase looks in the Instances view: the row state it claims (most urgent first), its
 * icon and colour, and its words. Success and failure look different; "needs you" stands out.
 */
import { attentionOf, describeAgentState, type AgentState } from '../core';

/** Row states that come from the agent; presentation.ts places them among the git states. */
export type AgentRowState = 'needs-approval' | 'waiting' | 'failed' | 'working' | 'starting' | 'done' | 'idle';

/** States that mean "look at me now": shown before anything git says (except a missing folder, a lock, conflicts). */
export const URGENT_AGENT_STATES: ReadonlySet<AgentRowState> = new Set(['needs-approval', 'waiting', 'failed']);

export function agentRowState(state: AgentState): AgentRowState | null {
  const attention = attentionOf(state);
  if (attention === 'approval') return 'needs-approval';
  if (attention === 'input') return 'waiting';
  if (attention === 'failure') return 'failed';
  switch (state.phase) {
    case 'working':
      return 'working';
    case 'starting':
    case 'pending':
      return 'starting';
    case 'exited':
      // Exit 0, or stopped by a signal (cleanup, the user): not a failure.
      return 'done';
    case 'idle':
      return 'idle';
    default:
      return null;
  }
}

/** [codicon, theme colour] per agent row state. */
export const AGENT_ICONS: Record<AgentRowState, [string, string | undefined]> = {
  'needs-approval': ['shield', 'list.warningForeground'],
  waiting: ['bell-dot', 'list.warningForeground'],
  failed: ['error', 'list.errorForeground'],
  working: ['sync~spin', 'charts.blue'],
  starting: ['loading~spin', undefined],
  done: ['check', 'testing.iconPassed'],
  idle: ['debug-pause', undefined],
};

/** The word a row description leads with when the agent needs its person, else null. */
export function attentionWord(state: AgentState): string | null {
  const attention = attentionOf(state);
  if (attention === 'approval') return 'needs approval';
  if (attention === 'input') return 'needs input';
  if (attention === 'failure') return state.phase === 'failed-to-start' ? 'failed to start' : `failed (exit ${state.exitCode})`;
  return null;
}

/** "claude — needs approval — approve Bash: rm -rf build" for the tooltip. */
export function agentLine(agent: string, state: AgentState): string {
  return `${agent} — ${describeAgentState(state)}`;
}
