/**
 * `dist/hook.js <adminDir> <Event>`: run by Claude Code hooks with the event as JSON on stdin.
 * Appends one JSON line to the instance's status file (phase, reason, session id); the snapshot reads
 * the agent's state from those lines. Never fails the agent, never waits on a terminal, and exits
 * quietly when its pipes are gone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { boundReason, phaseForEvent, STATUS_FILE, type AgentEvent } from '../core/processes/agentState';
import { guardStdio } from '../core/processes/stdioGuard';
import { readHookStdin } from './hookStdin';

/** The fields of Claude Code's hook input that Axiom uses (all optional: versions differ). */
export interface HookInput {
  session_id?: unknown;
  notification_type?: unknown;
  message?: unknown;
  error?: unknown;
  last_assistant_message?: unknown;
  tool_name?: unknown;
  tool_input?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** Why the agent stopped or what it asks, from the event's own words. */
export function reasonOf(event: string, input: HookInput): string | undefined {
  if (event === 'StopFailure') {
    const parts = [str(input.error), str(input.last_assistant_message)].filter(Boolean);
    return parts.length ? boundReason(parts.join(': ')) : 'the turn failed';
  }
  // A finished turn: what Claude said last (Claude Code sends it with Stop), its last word in the tooltip.
  if (event === 'Stop') {
    const said = str(input.last_assistant_message);
    return said ? boundReason(said) : undefined;
  }
  if (event === 'PermissionRequest') {
    const tool = str(input.tool_name) ?? 'a tool';
    const toolInput = input.tool_input as { command?: unknown; file_path?: unknown } | undefined;
    const what = str(toolInput?.command) ?? str(toolInput?.file_path);
    return boundReason(`approve ${tool}${what ? `: ${what}` : ''}`);
  }
  if (event === 'Notification') {
    const message = str(input.message);
    const type = str(input.notification_type);
    return type === 'permission_prompt' || type === 'idle_prompt' || !type ? (message ? boundReason(message) : undefined) : undefined;
  }
  return undefined;
}

/** The status line for one hook call. */
export function eventLine(event: string, input: HookInput, at = new Date().toISOString()): AgentEvent {
  const notificationType = str(input.notification_type);
  const reason = reasonOf(event, input);
  const sessionId = str(input.session_id);
  const detail = str(input.tool_name) ?? (event === 'Notification' ? notificationType : undefined);
  return {
    event,
    phase: phaseForEvent(event, notificationType ? { notificationType } : {}),
    at,
    ...(detail ? { detail: detail.slice(0, 200) } : {}),
    ...(reason ? { reason } : {}),
    ...(sessionId ? { sessionId } : {}),
  };
}

function main(): void {
  const [adminDir, event] = process.argv.slice(2);
  if (!adminDir || !event || !fs.existsSync(adminDir)) return;
  let input: HookInput = {};
  try {
    const parsed = JSON.parse(readHookStdin()) as unknown;
    if (parsed && typeof parsed === 'object') input = parsed as HookInput;
  } catch {
    /* not JSON: keep the event only */
  }
  fs.appendFileSync(path.join(adminDir, STATUS_FILE), JSON.stringify(eventLine(event, input)) + '\n');
}

if (require.main === module) {
  guardStdio('axiom hook');
  try {
    main();
  } catch {
    /* a hook must never break the agent */
  }
}
