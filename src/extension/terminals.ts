/**
 * One integrated terminal per instance, named after its id, running the agent in the worktree.
 * Also serves other processes: terminal launch requests recorded in an instance's metadata (MCP),
 * lines to type from `<adminDir>/axiom-terminal-input.jsonl`, and phase events from shell
 * integration for agents that cannot report their own phase.
 */
import * as fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AxiomError, appendAgentEvent, type WorktreeStatus } from '../core';
import { presetFor, type LaunchContext } from '../agents/presets';
import { commandLine, flavorOfShell } from '../agents/shellQuote';
import type { RepositoryModel } from './repositoryModel';
import { TERMINAL_INPUT_FILE } from './repositoryWatcher';
import { readSettings } from './settings';
import { plural } from '../core';
import { cliScriptBeside, setupBeforeAgent, setupThenAgentLine, terminalEnv } from './instanceSetup';

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
}

export class TerminalManager implements vscode.Disposable {
  private readonly tracked = new Map<string, Tracked>();
  private readonly inflight = new Map<string, Promise<OpenedTerminal>>();
  /** Terminals closed here: VS Code may list them for a while after dispose (same as the agents branch). */
  private readonly disposed = new WeakSet<vscode.Terminal>();
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
        for (const [k, v] of this.tracked) if (v.terminal === t) this.tracked.delete(k);
      }),
    );
    // Shell integration exists from VS Code 1.93; older hosts simply get no process phases.
    const w = vscode.window as Partial<typeof vscode.window>;
    if (typeof w.onDidStartTerminalShellExecution === 'function' && typeof w.onDidEndTerminalShellExecution === 'function') {
      this.subs.push(
        w.onDidStartTerminalShellExecution((e) => void this.shellEvent(e.terminal, 'CommandStart')),
        w.onDidEndTerminalShellExecution((e) => void this.shellEvent(e.terminal, 'CommandEnd', e.exitCode)),
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
  open(model: RepositoryModel, id: string, options: { preserveFocus?: boolean } = {}): Promise<OpenedTerminal> {
    const k = this.key(model, id);
    const running = this.inflight.get(k);
    if (running) return running;
    const p = this.doOpen(model, id, options).finally(() => this.inflight.delete(k));
    this.inflight.set(k, p);
    return p;
  }

  private async doOpen(model: RepositoryModel, id: string, options: { preserveFocus?: boolean }): Promise<OpenedTerminal> {
    if (!vscode.workspace.isTrusted) throw new AxiomError('Untrusted', 'Axiom starts no terminal or agent in an untrusted workspace.');
    const status = model.find(id);
    if (!status) throw new AxiomError('NotFound', `No instance named ${JSON.stringify(id)}.`);
    if (status.dirty === null) throw new AxiomError('NotFound', `The worktree of ${id} (${status.path}) is missing. Run Repair.`);
    const existing = this.find(model, id);
    if (existing) {
      existing.show(options.preserveFocus);
      await this.markTaken(model, status);
      return { terminal: existing, name: id, created: false, commandLine: null };
    }
    const argv = await this.agentArgv(model, status);
    const terminal = vscode.window.createTerminal({
      name: id,
      cwd: status.path,
      iconPath: new vscode.ThemeIcon('robot'),
      env: { AXIOM_INSTANCE: id, ...terminalEnv(status) },
    });
    this.tracked.set(this.key(model, id), { terminal, model, id });
    const flavor = flavorOfShell(vscode.env.shell);
    // Issue 9: a setup that has not succeeded runs first, visibly; the agent's line runs only when it did.
    const agentLine = commandLine(argv, flavor);
    const line = setupBeforeAgent(status) ? setupThenAgentLine(cliScriptBeside(this.hookScript), status, agentLine, flavor) : agentLine;
    terminal.sendText(line);
    terminal.show(options.preserveFocus);
    this.log.info(`Terminal ${id}: ${line}`);
    await this.markTaken(model, status);
    return { terminal, name: id, created: true, commandLine: line };
  }

  private async agentArgv(model: RepositoryModel, status: WorktreeStatus): Promise<string[]> {
    const settings = readSettings(vscode.Uri.file(model.root));
    const preset = presetFor(status.agent ?? settings.defaultAgent);
    const ctx: LaunchContext = {
      id: status.id!,
      worktree: status.path,
      adminDir: status.adminDir!,
      prompt: status.prompt,
      customCommand: settings.customAgentCommand,
    };
    // The hook script runs with the extension host's own runtime (Electron in node mode, or node).
    if (preset.phaseSource === 'hooks') ctx.hook = { runtime: process.execPath, script: this.hookScript };
    try {
      return await preset.interactive(ctx);
    } catch (e) {
      throw new AxiomError('InvalidArgument', e instanceof Error ? e.message : String(e));
    }
  }

  /** Records that a requested terminal launch was taken (by this window). */
  private async markTaken(model: RepositoryModel, status: WorktreeStatus): Promise<void> {
    const req = status.metadata?.terminal;
    if (!req || req.takenAt) return;
    await model.engine.updateMetadata(status.id!, (m) => ({
      ...m,
      terminal: { ...(m.terminal ?? { requestedAt: new Date().toISOString() }), takenAt: m.terminal?.takenAt ?? new Date().toISOString() },
    }));
    model.changed([]);
  }

  /** Opens terminals other processes asked for, and types lines they queued. Trusted workspaces only. */
  async serveRequests(model: RepositoryModel): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    for (const w of model.instances()) {
      if (w.dirty === null || !w.id) continue;
      const req = w.metadata?.launch === 'terminal' ? w.metadata.terminal : undefined;
      if (req && !req.takenAt && !this.inflight.has(this.key(model, w.id))) {
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

  /** Agents without hooks: the terminal's command start/end become the agent's phase. */
  private async shellEvent(terminal: vscode.Terminal, event: 'CommandStart' | 'CommandEnd', exitCode?: number): Promise<void> {
    const t = [...this.tracked.values()].find((x) => x.terminal === terminal);
    if (!t) return;
    const status = t.model.find(t.id);
    if (!status?.adminDir) return;
    const settings = readSettings(vscode.Uri.file(t.model.root));
    if (presetFor(status.agent ?? settings.defaultAgent).phaseSource !== 'process') return;
    try {
      await appendAgentEvent(status.adminDir, exitCode === undefined ? { event } : { event, exitCode });
    } catch (e) {
      this.log.warn(`Could not record ${event} for ${t.id}:`, e);
    }
  }

  /** Instances whose terminal was taken before but is not open now (e.g. after a reload). */
  lost(model: RepositoryModel): WorktreeStatus[] {
    return model.instances().filter((w) => w.metadata?.terminal?.takenAt && w.dirty !== null && !this.find(model, w.id!) && w.agentState.phase !== 'exited');
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
