/**
 * `send`: a message for the instance's agent. Headless: a stream-json user message (Claude) or a line
 * on stdin (custom), only when this server started the agent and it takes input; agents that take
 * none after start (codex exec, gemini -p, aider --message) are refused, never reported delivered.
 * Terminal: queued for the extension, which types it into the terminal.
 */
import * as path from 'node:path';
import { isRecordedProcessRunning, readProcessRecord } from '../../core';
import { appendTerminalInput, writeLine } from '../../agents/headless';
import { presetFor, streamJsonUserMessage, type HeadlessInput } from '../../agents/presets';
import type { McpContext } from '../context';
import { McpRefusal } from '../refusal';
import type { SendArgs } from '../schema';

export async function send(ctx: McpContext, args: SendArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  const inst = await engine.locate(args.instanceId);
  const launch = inst.metadata.launch;
  if (launch === 'headless') {
    const handle = ctx.handles.get(inst.adminDir);
    const input: HeadlessInput = handle?.input ?? presetFor(inst.metadata.agent ?? 'custom').headlessInput;
    if (input === 'none') {
      const preset = presetFor(inst.metadata.agent);
      throw new McpRefusal(
        'InputNotSupported',
        `The headless ${preset.label} of ${inst.id} takes no input after it started (its prompt was its whole task), so nothing can be sent to it. Spawn a new instance with the follow-up as its prompt, or use launch "terminal" for an interactive session.`,
        { agent: preset.name },
      );
    }
    const rec = await readProcessRecord(inst.adminDir);
    const running = rec !== null && isRecordedProcessRunning(rec);
    if (running && handle && handle.pid === rec.pid && handle.alive() && handle.stdin) {
      const line = input === 'stream-json' ? streamJsonUserMessage(args.text) : args.text;
      try {
        await writeLine(handle.stdin, line);
      } catch (e) {
        throw new McpRefusal('AgentNotRunning', `The agent of ${inst.id} no longer reads its input (${(e as Error).message}).`);
      }
      return {
        instanceId: inst.id,
        delivered: input === 'stream-json' ? 'user-message' : 'stdin',
        pid: handle.pid,
        bytes: Buffer.byteLength(line) + 1,
        ...(input === 'stream-json' ? { next: 'The agent works on it as its next turn: poll status until agentPhase is "idle" again.' } : {}),
      };
    }
    if (running) {
      throw new McpRefusal(
        'NotOwned',
        `The agent of ${inst.id} (pid ${rec!.pid}) was started by another Axiom server process; only that process holds its input. Its output is in ${path.join(inst.adminDir, 'axiom-agent.log')}.`,
        { pid: rec!.pid },
      );
    }
    throw new McpRefusal(
      'AgentNotRunning',
      `The agent of ${inst.id} has exited${rec?.exitCode !== undefined && rec.exitCode !== null ? ` with code ${rec.exitCode}` : ''}; there is nothing to type into. Check status and diff, then merge or clean up.`,
    );
  }
  if (launch === 'terminal') {
    const file = await appendTerminalInput(inst.adminDir, args.text);
    const pending = !inst.metadata.terminal?.takenAt;
    return {
      instanceId: inst.id,
      delivered: 'terminal-queue',
      file,
      terminalPending: pending,
      note: pending
        ? 'Queued: the terminal is not open yet; the VS Code extension types the line when it opens the terminal.'
        : 'Queued for the VS Code extension, which types it into the instance terminal.',
    };
  }
  throw new McpRefusal(
    'AgentNotRunning',
    `${inst.id} was spawned with launch "none": no agent is attached to type into. Start an agent yourself in ${inst.path}, or spawn an instance with launch "headless" or "terminal".`,
  );
}
