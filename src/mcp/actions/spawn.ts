/** `spawn`: a worktree instance, and optionally its agent (headless here, or a terminal request for the extension). */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { AxiomError, instanceEnv, logTail, type AxiomEngine, type SpawnedInstance } from '../../core';
import { claudePermissionMode } from './headlessAgents';
import { presetFor, type AgentPreset, type HeadlessLaunch, type LaunchContext } from '../../agents/presets';
import { fillCommand, launchHeadless, type HeadlessHandle } from '../../agents/headless';
import { checkProgram, missingProgramMessage } from '../../agents/programs';
import type { McpContext } from '../context';
import { McpRefusal } from '../refusal';
import type { SpawnArgs } from '../schema';

const ISOLATION_MESSAGE =
  'useWorktree:false is refused. Every Axiom instance runs in its own git worktree on its own branch: parallel agents in one ' +
  'checkout overwrite each other\'s files, race on the shared index (index.lock errors), and mix their work so that none of it ' +
  'can be merged or cleaned up safely. Running an agent in the main checkout is not supported; omit useWorktree (it defaults ' +
  'to true) and the instance gets an isolated worktree beside the repository.';

export async function spawn(ctx: McpContext, args: SpawnArgs): Promise<Record<string, unknown>> {
  if (args.useWorktree === false) throw new McpRefusal('IsolationRequired', ISOLATION_MESSAGE);
  const agent = args.agent ?? (args.command ? 'custom' : 'claude');
  if (args.command && agent !== 'custom') {
    throw new AxiomError('InvalidArgument', `"command" is only for agent "custom" (got agent "${agent}"). Drop "agent" or set it to "custom".`);
  }
  const prompt = args.prompt ?? null;
  const launch = args.launch ?? (prompt !== null ? 'headless' : 'none');
  if (args.command && launch !== 'headless') {
    throw new AxiomError(
      'InvalidArgument',
      `"command" applies to launch "headless" only (got "${launch}"). A terminal runs the custom command from the VS Code setting axiom.customAgentCommand.`,
    );
  }
  const preset = presetFor(agent);
  const engine = await ctx.engine();
  if (launch === 'headless') await requireHeadlessProgram(engine, preset, args, prompt);
  // Checked before anything is created: an unknown mode is refused, never replaced.
  const permissionMode = launch === 'headless' && preset.name === 'claude' ? await claudePermissionMode(ctx, engine, args.permissionMode) : undefined;

  const spawnOptions = {
    ...(args.baseBranch !== undefined ? { base: args.baseBranch } : {}),
    agent: launch === 'none' && !args.agent ? null : agent,
    prompt,
    launch,
    // Provisioned and set up before any agent starts; a terminal instance runs its setup in VS Code's terminal.
    setup: launch === 'terminal' ? ('defer' as const) : ('run' as const),
  };
  if (args.count !== undefined) {
    // Several at once: one engine call decides the limit and the ids for all, then each agent starts in turn.
    const instances = await engine.spawnMany(args.instanceId, args.count, spawnOptions);
    const results: Record<string, unknown>[] = [];
    for (const spawned of instances) results.push(await describeSpawned(ctx, engine, spawned, { preset, args, prompt, launch, permissionMode }));
    return {
      instances: results,
      next: `${instances.length} instances: ${instances.map((i) => i.id).join(', ')}. ${String(results[0]?.next ?? '')}`,
    };
  }
  return describeSpawned(ctx, engine, await engine.spawn(args.instanceId, spawnOptions), { preset, args, prompt, launch, permissionMode });
}

interface SpawnCall {
  preset: AgentPreset;
  args: SpawnArgs;
  prompt: string | null;
  launch: NonNullable<SpawnArgs['launch']>;
  permissionMode: string | undefined;
}

/** One spawned instance as the answer gives it; its headless agent is started here. */
async function describeSpawned(ctx: McpContext, engine: AxiomEngine, spawned: SpawnedInstance, call: SpawnCall): Promise<Record<string, unknown>> {
  const { preset, args, prompt, launch, permissionMode } = call;
  if (spawned.setup?.state === 'failed') throw await setupFailed(spawned);
  const result: Record<string, unknown> = {
    instanceId: spawned.id,
    worktreePath: spawned.path,
    branch: spawned.branch,
    base: spawned.base,
    baseSha: spawned.baseSha,
    launch,
    agent: spawned.metadata.agent,
    ports: spawned.ports,
    setup: spawned.setup ? { state: spawned.setup.state, exitCode: spawned.setup.exitCode, logFile: spawned.setup.logFile } : null,
  };
  if (launch === 'headless') {
    const { handle, sessionId } = await startHeadless(ctx, engine, spawned, preset, args, prompt, permissionMode);
    Object.assign(result, {
      agentPhase: handle.record.endedAt ? 'exited' : 'working',
      pid: handle.pid,
      command: handle.record.command,
      logFile: handle.logFile,
      ...(sessionId ? { sessionId } : {}),
      acceptsInput: handle.input !== 'none',
      next:
        handle.input === 'stream-json'
          ? `Poll {"action":"status","instanceId":"${spawned.id}"} until agentPhase is "idle" (turn done: send a follow-up with "send", or diff and merge) or "exited"; cleanup stops the agent.`
          : `Poll {"action":"status","instanceId":"${spawned.id}"} until agentPhase is "exited"; then diff, merge and cleanup.`,
    });
  } else if (launch === 'terminal') {
    Object.assign(result, {
      agentPhase: 'pending',
      terminal: { requestedAt: spawned.metadata.terminal?.requestedAt ?? null, takenAt: null, pending: true },
      next: 'The Axiom Worktrees extension in VS Code opens the terminal within a couple of seconds; status stays "pending" until it does (or while no VS Code window has this repository open).',
    });
  } else {
    Object.assign(result, {
      agentPhase: 'unknown',
      next: `Work in ${spawned.path} (its own branch ${spawned.branch}); then diff, merge and cleanup.`,
    });
  }
  return result;
}

/** Refuses before anything is created when a headless agent cannot run (no prompt, program not found). */
async function requireHeadlessProgram(engine: AxiomEngine, preset: AgentPreset, args: SpawnArgs, prompt: string | null): Promise<void> {
  let program: string;
  if (preset.name === 'custom') {
    if (!args.command) {
      throw new AxiomError('InvalidArgument', 'A headless "custom" agent needs "command": the program and its arguments as an array, e.g. ["node","agent.js","{prompt}"].');
    }
    program = args.command[0]!;
  } else {
    if (!prompt) {
      throw new AxiomError(
        'InvalidArgument',
        `A headless ${preset.label} needs a prompt (it runs one task and exits). Give "prompt", or use launch "terminal" for an interactive session, or "none" for just the worktree.`,
      );
    }
    program = preset.program!;
  }
  // A path relative to the worktree can only be checked once it exists: the wrapper logs and records exit 127 then.
  const relativeWithSlash = !path.isAbsolute(program) && program.includes('/');
  if (!relativeWithSlash && !checkProgram(program, engine.repo.mainWorktree ?? engine.repo.commonDir, process.env.PATH ?? '').found) {
    throw new McpRefusal(
      'AgentNotFound',
      `${missingProgramMessage(preset, program, "this MCP server")} Or spawn with agent "custom" and "command", or with launch "none" and start the agent yourself.`,
      { program },
    );
  }
}

/** Starts the agent in the fresh instance; if it cannot start, the instance is taken back (all or nothing). */
async function startHeadless(
  ctx: McpContext,
  engine: AxiomEngine,
  spawned: SpawnedInstance,
  preset: AgentPreset,
  args: SpawnArgs,
  prompt: string | null,
  permissionMode: string | undefined,
): Promise<{ handle: HeadlessHandle; sessionId: string | null }> {
  let handle: HeadlessHandle;
  let sessionId: string | null = null;
  try {
    const launchCtx: LaunchContext = {
      id: spawned.id,
      worktree: spawned.path,
      adminDir: spawned.adminDir,
      prompt,
      ...(ctx.hookScript ? { hook: { runtime: ctx.options.nodePath ?? process.execPath, script: ctx.hookScript } } : {}),
    };
    if (preset.resumable) {
      // The conversation id is recorded before the agent starts: status returns it, a terminal resumes it.
      sessionId = randomUUID();
      launchCtx.sessionId = sessionId;
      await engine.updateMetadata(spawned.id, (m) => ({ ...m, session: { id: sessionId!, agent: preset.name, startedAt: new Date().toISOString() } }));
    }
    if (permissionMode !== undefined) launchCtx.permissionMode = permissionMode;
    const how: HeadlessLaunch | null =
      preset.name === 'custom' ? { argv: fillCommand(args.command!, { prompt, id: spawned.id, worktree: spawned.path }), input: 'lines' } : await preset.headless(launchCtx);
    if (!how || how.argv.length === 0) throw new Error('The agent command is empty after filling its placeholders.');
    handle = await launchHeadless({
      id: spawned.id,
      worktree: spawned.path,
      adminDir: spawned.adminDir,
      argv: how.argv,
      input: how.input,
      env: instanceEnv({ id: spawned.id, worktree: spawned.path, base: spawned.base, ports: spawned.ports, env: spawned.metadata.env ?? {} }),
      ...(how.firstInput !== undefined ? { firstInput: how.firstInput } : {}),
      ...(ctx.options.nodePath ? { nodePath: ctx.options.nodePath } : {}),
    });
  } catch (e) {
    // The fresh worktree holds no work yet; take it back.
    await engine.cleanup(spawned.id).catch(() => undefined);
    throw new McpRefusal('LaunchFailed', `The agent could not be started, so the instance was removed again: ${e instanceof Error ? e.message : String(e)}`);
  }
  ctx.handles.set(spawned.adminDir, handle);
  void handle.exited.then(() => {
    if (ctx.handles.get(spawned.adminDir) === handle) ctx.handles.delete(spawned.adminDir);
  });
  return { handle, sessionId };
}

/** A failed setup: the instance stays (state failed), no agent was started; the error says how to go on. */
async function setupFailed(spawned: SpawnedInstance): Promise<AxiomError> {
  const rec = spawned.setup!;
  const tail = await logTail(rec.logFile);
  return new AxiomError(
    'SetupFailed',
    `The setup of ${spawned.id} failed (${rec.timedOut ? 'timed out' : `exit ${rec.exitCode ?? '?'}`}: ${rec.failedCommand ?? '?'}), so no agent was started. The instance is kept at ${spawned.path}: fix the cause and run \`axiom setup ${spawned.id}\`, or clean it up.\n${tail}`,
    { path: spawned.path, logFile: rec.logFile, logTail: tail, ...(rec.exitCode !== null ? { exitCode: rec.exitCode } : {}) },
  );
}
