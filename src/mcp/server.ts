/**
 * The MCP server: one tool, `axiom_claude_orchestrate_worktree`, with an `action` discriminator, over
 * the same engine as the extension and the CLI, plus read-only resources a client can poll cheaply.
 * Every failure is a tool error (isError) carrying the engine's code; nothing a client sends can
 * crash the server.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { AxiomEngine, AxiomError, isAxiomError, readProcessRecord, isProcessAlive, type WorktreeStatus } from '../core';
import { patchOf } from '../core/diff';
import { presetFor, type LaunchContext } from '../agents/presets';
import { appendTerminalInput, fillCommand, findExecutable, launchHeadless, readLogTail, writeLine, type HeadlessHandle } from '../agents/headless';
import {
  DEFAULT_PATCH_BYTES,
  INPUT_SCHEMA,
  TOOL_NAME,
  parseToolArgs,
  type CleanupArgs,
  type DiffArgs,
  type MergeArgs,
  type SendArgs,
  type SpawnArgs,
} from './schema';
import { plural } from '../core';
import { EXPLORE_HANDLERS } from './actions/explore';
import type { ExploreMcpContext } from './actions/exploreContext';

declare const __AXIOM_VERSION__: string;
const VERSION = typeof __AXIOM_VERSION__ === 'string' ? __AXIOM_VERSION__ : 'dev';

/** Codes of refusals that only the MCP layer makes (the engine's codes pass through unchanged). */
export type McpOnlyCode = 'IsolationRequired' | 'NotOwned' | 'AgentNotRunning' | 'AgentNotFound' | 'LaunchFailed' | 'Unexpected';

export class McpRefusal extends Error {
  constructor(
    readonly code: McpOnlyCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface AxiomMcpOptions {
  /** Any folder of the repository (or of one of its worktrees). */
  repo: string;
  /** The bundled hook script for agents that report their phase through hooks (default: dist/hook.js beside this bundle). */
  hookScript?: string | null;
  /** Node runtime for hooks and the headless wrapper (default: this process's). */
  nodePath?: string;
}

const ISOLATION_MESSAGE =
  'useWorktree:false is refused. Every Axiom instance runs in its own git worktree on its own branch: parallel agents in one ' +
  'checkout overwrite each other\'s files, race on the shared index (index.lock errors), and mix their work so that none of it ' +
  'can be merged or cleaned up safely. Running an agent in the main checkout is not supported; omit useWorktree (it defaults ' +
  'to true) and the instance gets an isolated worktree beside the repository.';

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function ok(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: json(value) }], structuredContent: value };
}

/** Turns anything thrown into a tool error with a code and a message an agent can act on. */
export function toolError(e: unknown): CallToolResult {
  let code: string;
  let message: string;
  let details: Record<string, unknown> = {};
  if (isAxiomError(e)) {
    code = e.code;
    message = e.message;
    details = { ...e.details };
    delete details.stderr; // the message already carries git's first line; keep the answer short
  } else if (e instanceof McpRefusal) {
    code = e.code;
    message = e.message;
    details = e.details;
  } else {
    code = 'Unexpected';
    message = e instanceof Error ? e.message : String(e);
  }
  const error = { code, message, ...(Object.keys(details).length ? { details } : {}) };
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}${Object.keys(details).length ? `\n${json(details)}` : ''}` }],
    structuredContent: { error },
  };
}

function statusView(s: WorktreeStatus): Record<string, unknown> {
  const terminal = s.metadata?.terminal;
  return {
    instanceId: s.id,
    kind: s.kind,
    worktreePath: s.path,
    branch: s.branch,
    base: s.base,
    head: s.head,
    dirty: s.dirty === null ? null : s.dirty.staged + s.dirty.unstaged + s.dirty.untracked + s.dirty.conflicted > 0,
    dirtyCounts: s.dirty,
    changes: s.changes.slice(0, 50).map((c) => ({ path: c.path, kind: c.kind })),
    ...(s.changes.length > 50 ? { changesTruncated: s.changes.length } : {}),
    aheadBehind: { ahead: s.ahead, behind: s.behind },
    conflictsWithBase: s.conflictsWithBase,
    conflictFiles: s.conflictFiles,
    merged: s.merged,
    locked: s.locked,
    missing: s.dirty === null,
    agent: s.agent,
    launch: s.launch,
    agentPhase: s.agentState.phase,
    ...(s.agentState.exitCode !== undefined ? { exitCode: s.agentState.exitCode } : {}),
    ...(s.agentState.pid !== undefined ? { pid: s.agentState.pid } : {}),
    lastActivity: s.agentState.lastActivity,
    ...(terminal ? { terminal: { requestedAt: terminal.requestedAt, takenAt: terminal.takenAt ?? null, pending: !terminal.takenAt } } : {}),
    lastCommit: s.lastCommit,
    createdAt: s.createdAt,
    ...(s.adminDir && s.launch === 'headless' ? { logFile: path.join(s.adminDir, 'axiom-agent.log') } : {}),
  };
}

/** The cheap row of `list`: the fields of `status` an orchestrator scans, nothing per-file. */
const LIST_FIELDS = ['instanceId', 'kind', 'worktreePath', 'branch', 'base', 'dirty', 'aheadBehind', 'merged', 'agentPhase', 'exitCode', 'lastActivity'];

function listRow(s: WorktreeStatus): Record<string, unknown> {
  const full = statusView(s);
  return Object.fromEntries(LIST_FIELDS.filter((k) => k in full).map((k) => [k, full[k]]));
}

/** The tool's behaviour, independent of the transport (tests and other hosts can call `call` directly). */
export class AxiomMcp {
  private enginePromise: Promise<AxiomEngine> | null = null;
  /** Headless agents this server started, by admin dir: only these can receive `send`. */
  private readonly handles = new Map<string, HeadlessHandle>();
  readonly hookScript: string | null;

  constructor(readonly options: AxiomMcpOptions) {
    const defaultHook = path.join(__dirname, 'hook.js');
    this.hookScript = options.hookScript !== undefined ? options.hookScript : fs.existsSync(defaultHook) ? defaultHook : null;
  }

  /** Opened on first use, so a server started outside a repository still answers (with NotARepository). */
  engine(): Promise<AxiomEngine> {
    if (!this.enginePromise) {
      this.enginePromise = AxiomEngine.open(this.options.repo);
      this.enginePromise.catch(() => {
        this.enginePromise = null; // retry next call (the repository may be created later)
      });
    }
    return this.enginePromise;
  }

  /** What the exploration actions (./actions) use of this server. */
  private exploreContext(): ExploreMcpContext {
    return { engine: () => this.engine(), handles: this.handles, hookScript: this.hookScript, options: this.options };
  }

  async call(raw: unknown): Promise<CallToolResult> {
    try {
      const args = parseToolArgs(raw);
      switch (args.action) {
        case 'spawn':
          return ok(await this.spawn(args));
        case 'status':
          return ok(statusView(await this.status(args.instanceId)));
        case 'list':
          return ok(await this.list());
        case 'diff':
          return ok(await this.diff(args));
        case 'merge':
          return ok(await this.merge(args));
        case 'cleanup':
          return ok(await this.cleanup(args));
        case 'send':
          return ok(await this.send(args));
        case 'race':
        case 'evaluate':
        case 'rank':
        case 'land':
        case 'conflicts':
        case 'history':
          return ok(await EXPLORE_HANDLERS[args.action](this.exploreContext(), args as never));
      }
    } catch (e) {
      return toolError(e);
    }
  }

  /**
   * One instance's status. The snapshot reads git facts before agent facts, so an agent that exits
   * in between would read as "exited" with the HEAD from before its last commit: when the exit
   * happened during the call, take the status once more so "exited" always comes with final git facts.
   */
  async status(id: string): Promise<WorktreeStatus> {
    const engine = await this.engine();
    const inst = await engine.locate(id);
    const before = await readProcessRecord(inst.adminDir);
    const s = await engine.status(id);
    const exitedDuring = s.agentState.phase === 'exited' && before !== null && before.endedAt === undefined;
    return exitedDuring ? engine.status(id) : s;
  }

  async list(): Promise<Record<string, unknown>> {
    const engine = await this.engine();
    const snap = await engine.snapshot({ conflicts: false });
    const instances = snap.worktrees.filter((w) => w.kind === 'instance');
    return {
      repository: snap.repo.mainWorktree,
      takenAt: snap.takenAt,
      instances: instances.map(listRow),
      otherWorktrees: snap.worktrees.filter((w) => w.kind !== 'instance').map((w) => ({ kind: w.kind, worktreePath: w.path, branch: w.branch })),
      limit: (await engine.settings()).maxInstances,
    };
  }

  private async spawn(args: SpawnArgs): Promise<Record<string, unknown>> {
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
    const engine = await this.engine();
    let program: string | null = null;
    if (launch === 'headless') {
      if (agent === 'custom') {
        if (!args.command) {
          throw new AxiomError('InvalidArgument', 'A headless "custom" agent needs "command": the program and its arguments as an array, e.g. ["node","agent.js","{prompt}"].');
        }
        program = args.command[0]!;
      } else {
        const probe = await preset.headless({ id: args.instanceId, worktree: '', adminDir: '', prompt });
        if (!probe) {
          throw new AxiomError(
            'InvalidArgument',
            `A headless ${preset.label} needs a prompt (it runs one task and exits). Give "prompt", or use launch "terminal" for an interactive session, or "none" for just the worktree.`,
          );
        }
        program = probe[0]!;
      }
      // Refuse before anything is created when the program cannot be found (a path relative to the
      // worktree can only be checked once it exists: the wrapper logs and records exit 127 then).
      const relativeWithSlash = !path.isAbsolute(program) && program.includes('/');
      if (!relativeWithSlash && !findExecutable(program, engine.repo.mainWorktree ?? engine.repo.commonDir)) {
        throw new McpRefusal(
          'AgentNotFound',
          `The agent program ${JSON.stringify(program)} was not found on this server's PATH. Install it, or spawn with agent "custom" and "command", or with launch "none" and start the agent yourself.`,
          { program },
        );
      }
    }

    const spawned = await engine.spawn(args.instanceId, {
      ...(args.baseBranch !== undefined ? { base: args.baseBranch } : {}),
      agent: launch === 'none' && !args.agent ? null : agent,
      prompt,
      launch,
    });
    const result: Record<string, unknown> = {
      instanceId: spawned.id,
      worktreePath: spawned.path,
      branch: spawned.branch,
      base: spawned.base,
      baseSha: spawned.baseSha,
      launch,
      agent: spawned.metadata.agent,
    };
    if (launch === 'headless') {
      let handle: HeadlessHandle;
      try {
        const ctx: LaunchContext = {
          id: spawned.id,
          worktree: spawned.path,
          adminDir: spawned.adminDir,
          prompt,
          ...(this.hookScript ? { hook: { runtime: this.options.nodePath ?? process.execPath, script: this.hookScript } } : {}),
        };
        const argv = agent === 'custom' ? fillCommand(args.command!, { prompt, id: spawned.id, worktree: spawned.path }) : await preset.headless(ctx);
        if (!argv || argv.length === 0) throw new Error('The agent command is empty after filling its placeholders.');
        handle = await launchHeadless({
          id: spawned.id,
          worktree: spawned.path,
          adminDir: spawned.adminDir,
          argv,
          ...(this.options.nodePath ? { nodePath: this.options.nodePath } : {}),
        });
      } catch (e) {
        // All or nothing: the fresh worktree holds no work yet; take it back.
        await engine.cleanup(spawned.id).catch(() => undefined);
        throw new McpRefusal('LaunchFailed', `The agent could not be started, so the instance was removed again: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.handles.set(spawned.adminDir, handle);
      void handle.exited.then(() => {
        if (this.handles.get(spawned.adminDir) === handle) this.handles.delete(spawned.adminDir);
      });
      Object.assign(result, {
        agentPhase: handle.record.endedAt ? 'exited' : 'working',
        pid: handle.pid,
        command: handle.record.command,
        logFile: handle.logFile,
        next: `Poll {"action":"status","instanceId":"${spawned.id}"} until agentPhase is "exited"; then diff, merge and cleanup.`,
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

  private async diff(args: DiffArgs): Promise<Record<string, unknown>> {
    const engine = await this.engine();
    const d = await engine.diff(args.instanceId);
    const result: Record<string, unknown> = {
      instanceId: d.id,
      base: d.base,
      mergeBase: d.mergeBase,
      head: d.head,
      files: d.files,
      filesChanged: d.files.length,
      added: d.added,
      deleted: d.deleted,
    };
    if (args.includePatch !== false) {
      const inst = await engine.locate(args.instanceId);
      const maxBytes = args.maxPatchBytes ?? DEFAULT_PATCH_BYTES;
      const p = await patchOf(engine.git, inst.path, d.mergeBase, maxBytes);
      result.patch = p.patch;
      result.truncated = p.truncated;
      result.maxPatchBytes = maxBytes;
      const untracked = d.files.filter((f) => !p.patch.includes(`b/${f.path}\n`) && f.status === 'A').length;
      if (p.truncated) result.note = `The patch was cut at ${maxBytes} bytes; pass a larger maxPatchBytes (up to 1 MiB) or read the files in ${inst.path}.`;
      else if (untracked > 0) result.note = 'Untracked new files are listed in "files" but not in the patch (it covers tracked files).';
    }
    return result;
  }

  private async merge(args: MergeArgs): Promise<Record<string, unknown>> {
    const engine = await this.engine();
    const r = await engine.merge(args.instanceId, {
      ...(args.strategy ? { strategy: args.strategy } : {}),
      ...(args.preview ? { preview: true } : {}),
      ...(args.into ? { into: args.into } : {}),
      ...(args.commitMessage ? { commitMessage: args.commitMessage } : {}),
    });
    const out: Record<string, unknown> = { ...r, preview: !('merged' in r) };
    if (!('merged' in r)) {
      const blockers: string[] = [];
      if (r.conflicts.length) blockers.push(`${plural(r.conflicts.length, 'file')} would conflict: ${r.conflicts.join(', ')}`);
      if (r.uncommitted.length) blockers.push(`${plural(r.uncommitted.length, 'uncommitted change')} in the instance: pass commitMessage to commit them first`);
      if (r.targetChanges.length) blockers.push(`${r.target} has uncommitted changes at ${r.targetWorktree}: they must be committed or stashed first`);
      if (r.commits.length === 0 && r.uncommitted.length === 0) blockers.push('nothing to merge');
      out.canMerge = blockers.length === 0;
      out.blockers = blockers;
    } else {
      out.next = `{"action":"cleanup","instanceId":"${r.id}"}`;
    }
    return out;
  }

  private async cleanup(args: CleanupArgs): Promise<Record<string, unknown>> {
    const engine = await this.engine();
    const inst = await engine.locate(args.instanceId);
    const handle = this.handles.get(inst.adminDir);
    const r = await engine.cleanup(args.instanceId, { force: args.force === true, keepBranch: args.keepBranch === true });
    if (handle) {
      handle.stdin.destroy();
      this.handles.delete(inst.adminDir);
    }
    return {
      ...r,
      ...(r.salvageRef ? { restore: `axiom salvage restore ${r.salvageRef}` } : {}),
    };
  }

  private async send(args: SendArgs): Promise<Record<string, unknown>> {
    const engine = await this.engine();
    const inst = await engine.locate(args.instanceId);
    const launch = inst.metadata.launch;
    if (launch === 'headless') {
      const handle = this.handles.get(inst.adminDir);
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

  /** Read-only resources: the list, each instance's status, each headless agent's log tail. */
  async readResource(uri: string): Promise<{ uri: string; mimeType: string; text: string }> {
    if (uri === 'axiom://instances') return { uri, mimeType: 'application/json', text: json(await this.list()) };
    const m = /^axiom:\/\/instances\/([^/]+)(\/log)?$/.exec(uri);
    if (!m) throw new AxiomError('NotFound', `Unknown resource ${JSON.stringify(uri)}: use axiom://instances, axiom://instances/{id} or axiom://instances/{id}/log.`);
    const id = decodeURIComponent(m[1]!);
    const engine = await this.engine();
    if (m[2]) {
      const inst = await engine.locate(id);
      const tail = await readLogTail(inst.adminDir);
      return { uri, mimeType: 'text/plain', text: tail.text };
    }
    return { uri, mimeType: 'application/json', text: json(statusView(await this.status(id))) };
  }

  async listResources(): Promise<{ uri: string; name: string; mimeType: string; description?: string }[]> {
    const out: { uri: string; name: string; mimeType: string; description?: string }[] = [
      { uri: 'axiom://instances', name: 'instances', mimeType: 'application/json', description: 'Every Axiom instance with its status (cheap to poll).' },
    ];
    try {
      const engine = await this.engine();
      const snap = await engine.snapshot({ conflicts: false });
      for (const w of snap.worktrees) {
        if (w.kind !== 'instance' || !w.id) continue;
        out.push({ uri: `axiom://instances/${w.id}`, name: `instance ${w.id}`, mimeType: 'application/json' });
        if (w.launch === 'headless') out.push({ uri: `axiom://instances/${w.id}/log`, name: `agent log ${w.id}`, mimeType: 'text/plain' });
      }
    } catch {
      /* not a repository (yet): the list resource still answers with the error */
    }
    return out;
  }

  /** Lets the process exit: drops our ends of the agents' stdin (the agents keep running). */
  dispose(): void {
    for (const h of this.handles.values()) h.stdin.destroy();
    this.handles.clear();
  }
}

export function createServer(options: AxiomMcpOptions): { server: Server; axiom: AxiomMcp } {
  const axiom = new AxiomMcp(options);
  const server = new Server(
    { name: 'axiom-worktrees', version: VERSION },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        `Use ${TOOL_NAME} to run sub-agents in isolated git worktrees: spawn → status (poll) → diff → merge (preview first) → cleanup. ` +
        'Cleanup refuses when work would be lost and says what; force keeps it in a salvage ref.',
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [
      {
        name: TOOL_NAME,
        title: 'Orchestrate agents in git worktrees',
        description:
          'Spawn, watch, merge and clean up sub-agents, each in its own git worktree and branch (axiom/{id}/{timestamp}) beside the repository. ' +
          'Example: {"action":"spawn","instanceId":"solver1","useWorktree":true,"baseBranch":"main"}. Errors come back with a code (e.g. DirtyWorktree, MergeConflict, NotFound) and what to do next.',
        inputSchema: INPUT_SCHEMA,
        annotations: { destructiveHint: true, openWorldHint: false },
      },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    if (request.params.name !== TOOL_NAME) {
      return toolError(new McpRefusal('Unexpected', `Unknown tool ${JSON.stringify(request.params.name)}: this server has one tool, ${TOOL_NAME}.`));
    }
    return axiom.call(request.params.arguments ?? {});
  });
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await axiom.listResources() }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [
      { uriTemplate: 'axiom://instances/{id}', name: 'instance status', mimeType: 'application/json', description: 'One instance: worktreePath, branch, dirty, aheadBehind, agentPhase, lastActivity.' },
      { uriTemplate: 'axiom://instances/{id}/log', name: 'agent log', mimeType: 'text/plain', description: 'The last 16 KiB of a headless agent\'s output.' },
    ],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    try {
      return { contents: [await axiom.readResource(request.params.uri)] };
    } catch (e) {
      const err = toolError(e);
      const first = err.content[0];
      // Resources have no isError: the error document is the content, so a poller never breaks.
      return { contents: [{ uri: request.params.uri, mimeType: 'application/json', text: first && first.type === 'text' ? json(err.structuredContent) : '{}' }] };
    }
  });
  return { server, axiom };
}

/** Runs the server on stdio until the client closes stdin. */
export async function startMcpServer(options: AxiomMcpOptions): Promise<void> {
  const { server, axiom } = createServer({ ...options, repo: path.resolve(options.repo) });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    process.stdin.once('end', () => void server.close());
    process.stdin.once('close', () => void server.close());
  });
  server.onerror = (e) => process.stderr.write(`axiom mcp: ${e instanceof Error ? e.message : String(e)}\n`);
  await server.connect(transport);
  process.stderr.write(`axiom mcp: serving ${TOOL_NAME} for ${path.resolve(options.repo)}\n`);
  await closed;
  axiom.dispose();
}
