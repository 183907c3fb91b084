/** `send`: a line for the instance's agent (headless: its stdin, when this server started it; terminal: the extension's queue). */
import * as path from 'node:path';
import { isProcessAlive, readProcessRecord } from '../../core';
import { appendTerminalInput, writeLine } from '../../agents/headless';
import type { McpContext } from '../context';
import { McpRefusal } from '../refusal';
import type { SendArgs } from '../schema';

export async function send(ctx: McpContext, args: SendArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  const inst = await engine.locate(args.instanceId);
  const launch = inst.metadata.launch;
  if (launch === 'headless') {
    const handle = ctx.handles.get(inst.adminDir);
    const rec = await readProcessRecord(inst.adminDir);
    const running = rec !== null && rec.endedAt === undefined && isProcessAlive(rec.pid);
    if (running && handle && handle.pid === rec.pid && handle.alive()) {
      try {
        await writeLine(handle.stdin, args.text);
      } catch (e) {
        throw new McpRefusal('AgentNotRunning', `The agent of ${inst.id} no longer reads its input (${(e as Error).message}).`);
      }
      return { instanceId: inst.id, delivered: 'stdin', pid: handle.pid, bytes: Buffer.byteLength(args.text) + 1 };
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
