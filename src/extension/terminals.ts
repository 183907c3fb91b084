/**
 * One integrated terminal per instance, named after its id, running the agent in the worktree.
 * Before launching, the agent's program must exist on the terminal's PATH (else the instance is
 * marked failed-to-start with how to fix it); a recorded conversation is resumed (`claude --resume`)
 * unless a new one is asked for. The command runs through shell integration when the shell has it
 * (typed once, exit code known), else it is typed with sendText.
 * Also serves other processes: terminal launch requests recorded in an instance's metadata (MCP),
 * lines to type from `<adminDir>/axiom-terminal-input.jsonl`, and phase events from shell
 * integration for agents that cannot report their own phase, with the last line such an agent
 * printed as the reason its command ended (its last word, read from the execution's output stream).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AxiomError, agentRunning, appendAgentEvent, type WorktreeStatus, commandLine, flavorOfShell, LastLine, plural, TERMINAL_INPUT_FILE } from '../core';
import { permissionModeFrom, presetFor, type AgentPreset, type LaunchContext } from '../agents/presets';
import { checkProgram, missingProgramMessage } from '../agents/programs';
import type { RepositoryModel } from './repositoryModel';
import { explicitClaudePermissionMode, readSettings } from './settings';
import { cliScriptBeside, setupBeforeAgent, setupThenAgentLine, terminalEnv } from './instanceSetup';

/**
 * How long a new terminal may take to report shell integration before the command is typed instead:
 * long where VS Code injects it (bash, zsh, fish, pwsh with the setting on) — a shell starting on a
 * busy machine can take several seconds, and a command typed before it reports has no exit code —
 * short where it would only come from the user's own shell setup.
 */
const SHELL_INTEGRATION_WAIT_MS = { expected: 20_000, otherwise: 2_000 };
const INTEGRATED_SHELLS = /(^|[\\/])(bash|zsh|fish|pwsh|powershell)(\.exe)?$/i;

/** How long the end of a command waits for the rest of its output stream before recording its last line. */
const OUTPUT_DRAIN_MS = 2_000;

function shellIntegrationWaitMs(): number {
  const enabled = vscode.workspace.getConfiguration('terminal.integrated.shellIntegration').get<boolean>('enabled', true);
  return enabled && INTEGRATED_SHELLS.test(vscode.env.shell ?? '') ? SHELL_INTEGRATION_WAIT_MS.expected : SHELL_INTEGRATION_WAIT_MS.otherwise;
}

/** The PATH a new terminal gets: terminal.integrated.env.<platform>.PATH (with ${env:PATH} filled) or the host's. */
export function terminalPath(): string {
  const key = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'osx' : 'linux';
  const env = vscode.workspace.getConfiguration('terminal.integrated.env').get<Record<string, string | null>>(key);
  const configured = env?.PATH;
  if (typeof configured !== 'string') return process.env.PATH ?? '';
  return configured.replace(/\$\{env:([^}]+)\}/g, (_m, name: string) => process.env[name] ?? '');
}

/** Whether an agent's program can be found for a terminal in `cwd`: null when it can, else the message. */
export function missingProgram(preset: AgentPreset, program: string, cwd: string): string | null {
  if (checkProgram(program, cwd, terminalPath()).found) return null;
  return missingProgramMessage(preset, program, 'VS Code terminals');
}

interface Tracked {
  terminal: vscode.Terminal;
  model: RepositoryModel;
  id: string;
}

export interface OpenedTerminal {
  terminal: vscode.Terminal;
  name: string;
  /** false when an open terminal was reused or re-attached. */
  created: boolean;
  commandLine: string | null;
  /** The conversation the agent runs (resumed or new), when the agent has one. */
  sessionId: string | null;
  resumed: boolean;
  /** How the command was started: through shell integration, or typed. */
  via: 'shellIntegration' | 'sendText' | null;
}

export interface OpenOptions {
  preserveFocus?: boolean;
  /** Start a new conversation instead of resuming the recorded one. */
  newConversation?: boolean;
}

interface Launch {
  argv: string[];
  sessionId: string | null;
  resumed: boolean;
}

export class TerminalManager implements vscode.Disposable {
  private readonly tracked = new Map<string, Tracked>();
  private readonly inflight = new Map<string, Promise<OpenedTerminal>>();
  /** Terminals this manager closed: VS Code lists them for a moment after dispose(). */
  private readonly disposed = new WeakSet<vscode.Terminal>();
  /** Agent launches started through shell integration: their end gives the agent's exit code. */
  private readonly launches = new Map<vscode.TerminalShellExecution, { model: RepositoryModel; id: string; program: string }>();
  /** What commands of agents without hooks are printing: only their last line is kept (bounded). */
  private readonly outputs = new Map<vscode.TerminalShellExecution, { terminal: vscode.Terminal; tail: LastLine; drained: Promise<void> }>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly inputPoll: ReturnType<typeof setInterval>;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly hookScript: string,
  ) {
    // Backstop for the admin-dir watcher, whose events for a new worktree's queue file do not always
    // come (seen in code-server): one stat per open agent terminal per second.
    this.inputPoll = setInterval(() => void this.pollInput(), 1000);
    this.subs.push(
      vscode.window.onDidCloseTerminal((t) => {
        for (const [k, v] of this.tracked) {
          if (v.terminal !== t) continue;
          this.tracked.delete(k);
          void this.terminalClosed(v);
        }
        for (const [execution, o] of this.outputs) if (o.terminal === t) this.outputs.delete(execution);
      }),
    );
    // Shell integration exists from VS Code 1.93; older hosts simply get no process phases.
    const w = vscode.window as Partial<typeof vscode.window>;
    if (typeof w.onDidStartTerminalShellExecution === 'function' && typeof w.onDidEndTerminalShellExecution === 'function') {
      this.subs.push(
        w.onDidStartTerminalShellExecution((e) => void this.shellEvent(e.terminal, e.execution, 'CommandStart')),
        w.onDidEndTerminalShellExecution((e) => void this.shellEvent(e.terminal, e.execution, 'CommandEnd', e.exitCode)),
      );
    }
  }

  private key(model: RepositoryModel, id: string): string {
    return `${model.root}\0${id}`;
  }

  /** The instance's terminal if one is open (tracked, or restored by name after a reload). */
  find(model: RepositoryModel, id: string): vscode.Terminal | undefined {
    const k = this.key(model, id);
    const t = this.tracked.get(k);
    if (t && t.terminal.exitStatus === undefined) return t.terminal;
    const restored = vscode.window.terminals.find((term) => term.name === id && term.exitStatus === undefined && !this.disposed.has(term));
    if (restored) this.tracked.set(k, { terminal: restored, model, id });
    return restored;
  }

  /** Shows the instance's terminal, starting it (and its agent) when none is open. */
  open(model: RepositoryModel, id: string, options: OpenOptions = {}): Promise<OpenedTerminal> {
    const k = this.key(model, id);
    const running = this.inflight.get(k);
    if (running) return running;
    const p = this.doOpen(model, id, options).finally(() => this.inflight.delete(k));
    this.inflight.set(k, p);
    return p;
  }

  /** Closes the instance's terminal (its agent with it) and starts the agent in a new conversation. */
  async startNewConversation(model: RepositoryModel, id: string, options: { preserveFocus?: boolean } = {}): Promise<OpenedTerminal> {
    this.close(model, id);
    return this.open(model, id, { ...options, newConversation: true });
  }

  private async doOpen(model: RepositoryModel, id: string, options: OpenOptions): Promise<OpenedTerminal> {
    if (!vscode.workspace.isTrusted) throw new AxiomError('Untrusted', 'Axiom starts no terminal or agent in an untrusted workspace.');
    const status = model.find(id);
    if (!status) throw new AxiomError('NotFound', `No instance named ${JSON.stringify(id)}.`);
    if (status.dirty === null) throw new AxiomError('NotFound', `The worktree of ${id} (${status.path}) is missing. Run Repair.`);
    const existing = this.find(model, id);
    if (existing) {
      existing.show(options.preserveFocus);
      await this.markTaken(model, status);
      return { terminal: existing, name: id, created: false, commandLine: null, sessionId: null, resumed: false, via: null };
    }
    if (status.launch === 'headless' && status.adminDir && (await agentRunning(status.adminDir))) {
      throw new AxiomError('Locked', `The headless agent of ${id} is still running: a terminal would start a second agent in the same worktree. Wait until it is done, or clean the instance up.`);
    }
    const launch = await this.prepareLaunch(model, status, options.newConversation === true);
    const terminal = vscode.window.createTerminal({
      name: id,
      cwd: status.path,
      iconPath: new vscode.ThemeIcon('robot'),
      env: { AXIOM_INSTANCE: id, ...terminalEnv(status) },
    });
    this.tracked.set(this.key(model, id), { terminal, model, id });
    terminal.show(options.preserveFocus);
    const flavor = flavorOfShell(vscode.env.shell);
    // A setup that has not succeeded runs first, visibly; the agent's line runs only when it did.
    const agentLine = commandLine(launch.argv, flavor);
    const line = setupBeforeAgent(status) ? setupThenAgentLine(cliScriptBeside(this.hookScript), status, agentLine, flavor) : agentLine;
    await this.markTaken(model, status);
    const via = await this.run(terminal, line, { model, id, program: launch.argv[0]! }, this.reportsByProcess(model, status));
    this.log.info(`Terminal ${id} (${via}): ${line}`);
    return { terminal, name: id, created: true, commandLine: line, sessionId: launch.sessionId, resumed: launch.resumed, via };
  }

  /**
   * The agent's command line for this instance: its program must exist (else the instance is marked
   * failed-to-start and the reason thrown), and a resumable agent continues the conversation it last
   * reported unless a new one is asked for (recorded in the metadata before it starts).
   */
  private async prepareLaunch(model: RepositoryModel, status: WorktreeStatus, newConversation: boolean): Promise<Launch> {
    const scope = vscode.Uri.file(model.root);
    const settings = readSettings(scope);
    const preset = presetFor(status.agent ?? settings.defaultAgent);
    const ctx: LaunchContext = {
      id: status.id!,
      worktree: status.path,
      adminDir: status.adminDir!,
      prompt: status.prompt,
      // A command recorded for the instance (Change Agent, axiom set-agent) before the configured one.
      customCommand: status.metadata?.agentCommand ?? settings.customAgentCommand,
    };
    // The hook script runs with the extension host's own runtime (Electron in node mode, or node).
    if (preset.phaseSource === 'hooks') ctx.hook = { runtime: process.execPath, script: this.hookScript };
    if (preset.name === 'claude') ctx.permissionMode = await this.claudePermissionMode(model, scope);
    let sessionId: string | null = null;
    let resumed = false;
    if (preset.resumable) {
      const reported = status.agentState.sessionId ?? null;
      resumed = reported !== null && !newConversation;
      sessionId = resumed ? reported : randomUUID();
      ctx.sessionId = sessionId!;
      ctx.resume = resumed;
    }
    let argv: string[];
    try {
      argv = await preset.interactive(ctx);
    } catch (e) {
      throw new AxiomError('InvalidArgument', e instanceof Error ? e.message : String(e));
    }
    const missing = missingProgram(preset, argv[0]!, status.path);
    if (missing) {
      await appendAgentEvent(status.adminDir!, { event: 'LaunchFailed', reason: missing }).catch((e) => this.log.warn('Could not record the failed launch:', e));
      model.changed([status.path]);
      throw new AxiomError('AgentNotFound', missing, { path: status.path });
    }
    if (sessionId && !resumed) {
      const id = sessionId;
      await model.engine.updateMetadata(status.id!, (m) => ({ ...m, session: { id, agent: preset.name, startedAt: new Date().toISOString() } }));
    }
    return { argv, sessionId, resumed };
  }

  /** VS Code's explicit axiom.claude.permissionMode, else git config axiom.claudePermissionMode, else acceptEdits. */
  private async claudePermissionMode(model: RepositoryModel, scope: vscode.Uri): Promise<string> {
    const explicit = explicitClaudePermissionMode(scope);
    if (explicit.warning) this.log.warn(explicit.warning);
    if (explicit.mode) return explicit.mode;
    return permissionModeFrom((await model.engine.settings()).claudePermissionMode, 'git config axiom.claudePermissionMode').mode;
  }

  /**
   * Runs the command line: through shell integration when the terminal reports it within a few seconds
   * (the command shows once and its exit code is known), else typed with sendText.
   */
  private async run(terminal: vscode.Terminal, line: string, launch: { model: RepositoryModel; id: string; program: string }, readOutput: boolean): Promise<'shellIntegration' | 'sendText'> {
    const integration = await this.shellIntegrationOf(terminal);
    if (integration) {
      const execution = integration.executeCommand(line);
      this.launches.set(execution, launch);
      // Read from the start: the stream holds only what is written after read() is first called.
      if (readOutput) this.readOutput(terminal, execution);
      return 'shellIntegration';
    }
    terminal.sendText(line);
    return 'sendText';
  }

  private shellIntegrationOf(terminal: vscode.Terminal): Promise<vscode.TerminalShellIntegration | undefined> {
    if (terminal.shellIntegration) return Promise.resolve(terminal.shellIntegration);
    const w = vscode.window as Partial<typeof vscode.window>;
    if (typeof w.onDidChangeTerminalShellIntegration !== 'function') return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (value: vscode.TerminalShellIntegration | undefined): void => {
        clearTimeout(timer);
        sub.dispose();
        closed.dispose();
        resolve(value);
      };
      const sub = w.onDidChangeTerminalShellIntegration!((e) => {
        if (e.terminal === terminal) done(e.shellIntegration);
      });
      const closed = vscode.window.onDidCloseTerminal((t) => {
        if (t === terminal) done(undefined);
      });
      const timer = setTimeout(() => done(terminal.shellIntegration), shellIntegrationWaitMs());
    });
  }

  /**
   * Records that the instance's terminal launch was taken (by this window), decided on the metadata as
   * it is now (the status may predate the request), and resolves once the model shows it: a caller
   * (or another window) reading the model right after Open Terminal sees the launch as taken.
   */
  private async markTaken(model: RepositoryModel, status: WorktreeStatus): Promise<void> {
    if (status.metadata?.terminal?.takenAt) return;
    const now = new Date().toISOString();
    await model.engine.updateMetadata(status.id!, (m) => (m.terminal?.takenAt ? m : { ...m, terminal: { requestedAt: m.terminal?.requestedAt ?? now, takenAt: now } }));
    await model.refreshNow([status.path]);
  }

  /** Opens terminals other processes asked for, and types lines they queued. Trusted workspaces only. */
  async serveRequests(model: RepositoryModel): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    for (const w of model.instances()) {
      if (w.dirty === null || !w.id) continue;
      const req = w.metadata?.launch === 'terminal' ? w.metadata.terminal : undefined;
      // A request whose launch already failed (program missing) waits for the person: Open Terminal retries.
      if (req && !req.takenAt && w.agentState.phase !== 'failed-to-start' && !this.inflight.has(this.key(model, w.id))) {
        this.log.info(`Opening the terminal requested for ${w.id} at ${req.requestedAt}.`);
        await this.open(model, w.id, { preserveFocus: true }).catch((e) => this.log.error(`Terminal request of ${w.id} failed:`, e));
      }
      if (w.adminDir && existsSync(path.join(w.adminDir, TERMINAL_INPUT_FILE))) await this.consumeInput(model, w.adminDir);
    }
  }

  /** Takes the queued lines (rename, read, delete: a line is typed once even with two windows open). */
  async consumeInput(model: RepositoryModel, adminDir: string): Promise<number> {
    if (!vscode.workspace.isTrusted) return 0;
    const status = model.byAdminDir(adminDir);
    if (!status?.id) return 0;
    const file = path.join(adminDir, TERMINAL_INPUT_FILE);
    const taking = `${file}.taking-${process.pid}-${Date.now()}`;
    try {
      await fs.rename(file, taking);
    } catch {
      return 0; // nothing queued, or another window took it
    }
    let text: string;
    try {
      text = await fs.readFile(taking, 'utf8');
    } finally {
      await fs.rm(taking, { force: true });
    }
    const lines: string[] = [];
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      try {
        const entry = JSON.parse(raw) as { text?: unknown };
        if (typeof entry.text === 'string') lines.push(entry.text);
      } catch {
        this.log.warn(`Ignored a malformed line in ${file}: ${raw.slice(0, 200)}`);
      }
    }
    if (lines.length === 0) return 0;
    const { terminal } = await this.open(model, status.id, { preserveFocus: true });
    for (const l of lines) terminal.sendText(l);
    this.log.info(`Typed ${plural(lines.length, 'queued line')} into the terminal of ${status.id}.`);
    return lines.length;
  }

  private async pollInput(): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    for (const t of [...this.tracked.values()]) {
      const adminDir = t.model.find(t.id)?.adminDir;
      if (!adminDir || !existsSync(path.join(adminDir, TERMINAL_INPUT_FILE))) continue;
      await this.consumeInput(t.model, adminDir).catch((e) => this.log.error(`Terminal input of ${t.id} failed:`, e));
    }
  }

  /** Whether the instance's agent has no hooks: shell integration gives its phases, its output its last word. */
  private reportsByProcess(model: RepositoryModel, status: WorktreeStatus): boolean {
    return presetFor(status.agent ?? readSettings(vscode.Uri.file(model.root)).defaultAgent).phaseSource === 'process';
  }

  /**
   * Follows a command's output, keeping only its last non-empty line (escapes stripped, bounded):
   * an agent printing megabytes costs a few kilobytes here. Once per execution.
   */
  private readOutput(terminal: vscode.Terminal, execution: vscode.TerminalShellExecution): void {
    if (this.outputs.has(execution) || typeof execution.read !== 'function') return;
    const tail = new LastLine();
    const stream = execution.read();
    const drained = (async () => {
      try {
        for await (const chunk of stream) tail.push(chunk);
      } catch (e) {
        this.log.warn('Could not read a terminal command\'s output:', e);
      }
    })();
    this.outputs.set(execution, { terminal, tail, drained });
  }

  /** The last line an ended command printed: its stream is read to its end, waiting at most OUTPUT_DRAIN_MS. */
  private async lastOutputOf(execution: vscode.TerminalShellExecution): Promise<string | undefined> {
    const output = this.outputs.get(execution);
    if (!output) return undefined;
    this.outputs.delete(execution);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([output.drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, OUTPUT_DRAIN_MS)))]);
    clearTimeout(timer);
    return output.tail.value;
  }

  /**
   * Shell-integration events. The end of the agent's own launch gives its exit code (126/127: it
   * failed to start); for agents without hooks every command's start and end become its phase, and
   * the last line the command printed the reason it ended (the agent's last word).
   */
  private async shellEvent(terminal: vscode.Terminal, execution: vscode.TerminalShellExecution, event: 'CommandStart' | 'CommandEnd', exitCode?: number): Promise<void> {
    const said = event === 'CommandEnd' ? this.lastOutputOf(execution) : undefined;
    const t = [...this.tracked.values()].find((x) => x.terminal === terminal);
    if (!t) return;
    const status = t.model.find(t.id);
    if (!status?.adminDir) return;
    const ours = this.launches.get(execution);
    if (event === 'CommandEnd') this.launches.delete(execution);
    const processPhases = this.reportsByProcess(t.model, status);
    if (processPhases && event === 'CommandStart') this.readOutput(terminal, execution);
    if (!processPhases && !(ours && event === 'CommandEnd')) return;
    const reason =
      exitCode === 127 ? `${ours?.program ?? 'the command'}: command not found (exit 127)`
      : exitCode === 126 ? `${ours?.program ?? 'the command'}: cannot be run (exit 126)`
      : await said;
    try {
      await appendAgentEvent(status.adminDir, { event, ...(exitCode !== undefined ? { exitCode } : {}), ...(reason ? { reason } : {}) });
    } catch (e) {
      this.log.warn(`Could not record ${event} for ${t.id}:`, e);
    }
  }

  /** A closed terminal took its agent with it: a phase that still says it runs would never change again. */
  private async terminalClosed(t: Tracked): Promise<void> {
    const status = t.model.find(t.id);
    const phase = status?.agentState.phase;
    if (!status?.adminDir || phase === undefined || ['exited', 'failed-to-start', 'unknown', 'pending'].includes(phase)) return;
    await appendAgentEvent(status.adminDir, { event: 'TerminalClosed', phase: 'exited', reason: 'its terminal was closed' }).catch((e) => this.log.warn(`Could not record the closed terminal of ${t.id}:`, e));
    t.model.changed([status.path]);
  }

  /** Instances whose terminal was taken before but is not open now (e.g. after a reload). */
  lost(model: RepositoryModel): WorktreeStatus[] {
    return model.instances().filter((w) => w.metadata?.terminal?.takenAt && w.dirty !== null && !this.find(model, w.id!) && w.agentState.phase !== 'exited' && w.agentState.phase !== 'failed-to-start');
  }

  /**
   * Closes the terminals of this repository's instances that are gone from its latest snapshot:
   * whatever removed them (Land Winner, a bulk Clean Up, Land All Clean, the CLI or an MCP client
   * while this window is open), a terminal left in a deleted folder helps nobody. Returns the ids.
   */
  closeRemoved(model: RepositoryModel): string[] {
    if (!model.snapshot) return [];
    const gone = [...this.tracked.values()].filter((t) => t.model === model && !model.find(t.id) && !this.inflight.has(this.key(model, t.id)));
    for (const t of gone) {
      this.log.info(`Closing the terminal of ${t.id}: the instance was removed.`);
      this.close(model, t.id);
    }
    return gone.map((t) => t.id);
  }

  close(model: RepositoryModel, id: string): void {
    const k = this.key(model, id);
    const t = this.find(model, id);
    if (t) {
      this.disposed.add(t);
      t.dispose();
    }
    this.tracked.delete(k);
  }

  dispose(): void {
    clearInterval(this.inputPoll);
    for (const s of this.subs) s.dispose();
    this.tracked.clear();
  }
}
