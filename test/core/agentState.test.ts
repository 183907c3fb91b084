/** Phases, reasons and words from agent events: the pure parts behind status, the CLI and the notifications. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { attentionOf, describeAgentState, parseEvents, phaseForEvent, summarizeEvents, type AgentEvent } from '../../src/core/processes/agentState';
import { eventLine, reasonOf } from '../../src/agents/hook';
import { permissionModeFrom, PRESETS, streamJsonUserMessage } from '../../src/agents/presets';

const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();

test('Notification: only permission_prompt and idle_prompt mean "needs you"; other types change no phase', () => {
  assert.equal(phaseForEvent('Notification', { notificationType: 'permission_prompt' }), 'needs-approval');
  assert.equal(phaseForEvent('Notification', { notificationType: 'idle_prompt' }), 'waiting');
  assert.equal(phaseForEvent('Notification', { notificationType: 'auth_success' }), null);
  assert.equal(phaseForEvent('PermissionRequest'), 'needs-approval');
  assert.equal(phaseForEvent('CommandEnd', { exitCode: 127 }), 'failed-to-start');
  assert.equal(phaseForEvent('CommandEnd', { exitCode: 1 }), 'exited');
  assert.equal(phaseForEvent('SomethingNew'), null);
});

test('hook lines carry the reason in the agent\'s words (bounded) and the session id', () => {
  const fail = eventLine('StopFailure', { error: 'authentication_failed', last_assistant_message: 'Not logged in · Please run /login', session_id: 's1' }, at(1));
  assert.deepEqual(fail, { event: 'StopFailure', phase: 'waiting', at: at(1), reason: 'authentication_failed: Not logged in · Please run /login', sessionId: 's1' });
  assert.equal(reasonOf('PermissionRequest', { tool_name: 'Bash', tool_input: { command: 'rm -rf build' } }), 'approve Bash: rm -rf build');
  assert.equal(eventLine('Notification', { notification_type: 'auth_success', message: 'Logged in' }).phase, null);
  assert.equal(reasonOf('Notification', { notification_type: 'auth_success', message: 'Logged in' }), undefined);
  assert.equal(reasonOf('StopFailure', { error: 'x'.repeat(1000) })!.length, 300);
  // A finished turn's last message is Claude's last word (issue 21); a Stop without one gives none.
  assert.deepEqual(eventLine('Stop', { last_assistant_message: '  All 12 tests pass.  ', session_id: 's1' }, at(2)), { event: 'Stop', phase: 'idle', at: at(2), reason: 'All 12 tests pass.', sessionId: 's1' });
  assert.equal(reasonOf('Stop', {}), undefined);
  assert.equal(reasonOf('Stop', { last_assistant_message: 'y'.repeat(1000) })!.length, 300);
  // The next prompt clears it; a session's end keeps it (the row of a finished agent leads with it).
  const said = { reason: 'All 12 tests pass.' };
  assert.equal(summarizeEvents([{ event: 'Stop', at: at(1), ...said }, { event: 'UserPromptSubmit', at: at(2) }]).reason, undefined);
  assert.equal(summarizeEvents([{ event: 'Stop', at: at(1), ...said }, { event: 'SessionEnd', at: at(2) }]).reason, 'All 12 tests pass.');
});

test('summarizeEvents: a later turn clears an old reason; an auth_success notification keeps the phase', () => {
  const ev = (event: string, n: number, extra: Partial<AgentEvent> = {}): AgentEvent => ({ event, at: at(n), ...extra });
  const text = [
    ev('SessionStart', 1, { sessionId: 'a' }),
    ev('UserPromptSubmit', 2),
    ev('StopFailure', 3, { phase: 'waiting', reason: 'rate_limit' }),
    ev('Notification', 4, { phase: null }),
  ].map((e) => JSON.stringify(e)).join('\n') + '\n{"torn';
  const s = summarizeEvents(parseEvents(text));
  assert.deepEqual([s.phase, s.reason, s.sessionId, s.at], ['waiting', 'rate_limit', 'a', at(4)]);
  const later = summarizeEvents([...parseEvents(text), ev('UserPromptSubmit', 5)]);
  assert.deepEqual([later.phase, later.reason], ['working', undefined]);
});

test('attention and words: failure and success differ', () => {
  assert.equal(attentionOf({ phase: 'exited', exitCode: 1 }), 'failure');
  assert.equal(attentionOf({ phase: 'exited', exitCode: 0 }), null);
  assert.equal(attentionOf({ phase: 'exited', exitCode: null }), null);
  assert.equal(attentionOf({ phase: 'failed-to-start' }), 'failure');
  assert.equal(attentionOf({ phase: 'needs-approval' }), 'approval');
  assert.equal(describeAgentState({ phase: 'exited', exitCode: 1, reason: 'authentication_failed: Not logged in' }), 'exited 1 — authentication_failed: Not logged in');
  assert.equal(describeAgentState({ phase: 'idle' }), 'turn done');
});

test('presets: Claude headless argv and input; the permission mode setting is checked', async () => {
  const h = await PRESETS.claude.headless({ id: 'x', worktree: '/w', adminDir: '/a', prompt: 'fix it', sessionId: 'sid', permissionMode: 'plan' });
  assert.deepEqual(h!.argv, ['claude', '-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'plan', '--session-id', 'sid']);
  assert.equal(h!.firstInput, streamJsonUserMessage('fix it'));
  assert.deepEqual(JSON.parse(h!.firstInput!), { type: 'user', message: { role: 'user', content: 'fix it' } });
  const resume = await PRESETS.claude.interactive({ id: 'x', worktree: '/w', adminDir: '/a', prompt: 'fix it', sessionId: 'sid', resume: true });
  assert.deepEqual(resume, ['claude', '--resume', 'sid'], 'a resumed conversation gets no new prompt');
  assert.equal((await PRESETS.codex.headless({ id: 'x', worktree: '/w', adminDir: '/a', prompt: 'p' }))!.input, 'none');
  assert.deepEqual(permissionModeFrom(undefined), { mode: 'acceptEdits' });
  assert.deepEqual(permissionModeFrom('bypassPermissions'), { mode: 'bypassPermissions' });
  assert.throws(() => permissionModeFrom('yolo'), /Unknown Claude permission mode "yolo": use one of acceptEdits, auto, bypassPermissions, default, dontAsk, plan/);
});
