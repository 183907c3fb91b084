/**
 * How the CLI and the MCP server start the agents of a race's members and a search's attempts: each
 * headless through the one headless launcher (a detached process group, output in the instance's
 * log, its life recorded in the admin dir), from the agent's preset or the custom command template.
 * Everything that can be checked (known agent, a prompt, the program on PATH, Claude's permission
 * mode) is checked before any member is created. Every front end gets its launcher from
 * {@link engineHeadlessLauncher}; what differs between them (the hook script of its bundle, the Node
 * that runs it, a mode it was given, keeping each agent's input) is an option of it.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomError, instanceEnv, type AxiomEngine, type MemberLauncher, type RaceMember } from '../core';
import { stopHeadlessAgent } from '../core/processes/processes';
import { fillCommand, findExecutable, launchHeadless, type HeadlessHandle } from './headless';
import { AGENT_NAMES, DEFAULT_CLAUDE_PERMISSION_MODE, permissionModeFrom, presetFor, type ClaudePermissionMode, type HeadlessLaunch, type LaunchContext } from './presets';
import { splitTemplate } from '../core/processes/shellQuote';

export interface HeadlessLauncherOptions {
  /** Where `findExecutable` resolves programs from (the repository's main worktree). */
  cwd: string;
  /** The bundled hook script for agents that report phases through hooks; default dist/hook.js beside this bundle. */
  hookScript?: string | null;
  nodePath?: string;
  /** Records each Claude member's conversation id in its metadata (status shows it; a terminal resumes it). */
  engine?: Pick<AxiomEngine, 'updateMetadata'>;
  /** Claude Code's --permission-mode (already checked with permissionModeFrom). */
  permissionMode?: string;
  /** Called with each started agent (the MCP server keeps the handles to `send` to them). */
  onStarted?: (handle: HeadlessHandle) => void;
}

async function launchOf(member: RaceMember, ctx: LaunchContext): Promise<HeadlessLaunch | null> {
  if (member.agent === 'custom') {
    const command = member.command;
    if (!command || (Array.isArray(command) && command.length === 0)) return null;
    const values = { prompt: ctx.prompt, id: ctx.id, worktree: ctx.worktree };
    return { argv: Array.isArray(command) ? fillCommand(command, values) : splitTemplate(command, values), input: 'lines' };
  }
  return presetFor(member.agent).headless(ctx);
}

export function headlessLauncher(options: HeadlessLauncherOptions): MemberLauncher {
  const defaultHook = path.join(__dirname, 'hook.js');
  const hookScript = options.hookScript !== undefined ? options.hookScript : fs.existsSync(defaultHook) ? defaultHook : null;
  const contextOf = (id: string, worktree: string, adminDir: string, prompt: string | null): LaunchContext => ({
    id,
    worktree,
    adminDir,
    prompt,
    ...(hookScript ? { hook: { runtime: options.nodePath ?? process.execPath, script: hookScript } } : {}),
  });
  return {
    async check(members, raceOptions) {
      for (const agent of new Set(members.map((m) => m.agent ?? 'claude'))) {
        if (!(AGENT_NAMES as readonly string[]).includes(agent)) {
          throw new AxiomError('InvalidArgument', `Unknown agent ${JSON.stringify(agent)}: use ${AGENT_NAMES.join(', ')}.`);
        }
        const member = members.find((m) => (m.agent ?? 'claude') === agent)!;
        let argv: string[] | null;
        try {
          // Building the command may write files into the admin dir (Claude's hook settings): a scratch one here.
          const scratch = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'axiom-launch-check-'));
          try {
            argv = (await launchOf(member, contextOf(member.id, '', scratch, raceOptions.prompt ?? null)))?.argv ?? null;
          } finally {
            await fs.promises.rm(scratch, { recursive: true, force: true });
          }
        } catch (e) {
          throw new AxiomError('InvalidArgument', `The ${agent} agent's command cannot be built: ${(e as Error).message}`);
        }
        if (!argv || argv.length === 0) {
          if (agent === 'custom') {
            throw new AxiomError('InvalidArgument', 'The custom agent has no command (e.g. "my-agent {prompt}").', {
              hint: { next: [{ option: 'agentCommand', value: 'my-agent {prompt}' }] },
            });
          }
          throw new AxiomError('InvalidArgument', `A headless ${agent} needs a prompt (it runs one task and exits): give the race a prompt, or launch no agents and start them yourself.`);
        }
        const program = argv[0]!;
        const relativeWithSlash = !path.isAbsolute(program) && program.includes('/');
        if (!relativeWithSlash && !findExecutable(program, options.cwd)) {
          throw new AxiomError('NotFound', `The ${agent} agent's program ${JSON.stringify(program)} is not on PATH: install it, pick another agent, or use --launch none.`);
        }
      }
    },
    permissionMode: options.permissionMode ?? DEFAULT_CLAUDE_PERMISSION_MODE,
    async launch(member, spawned, _race, given) {
      const ctx = contextOf(spawned.id, spawned.path, spawned.adminDir, spawned.metadata.prompt);
      const preset = presetFor(member.agent);
      // A mode given for this agent (a search's record) is checked as any other: an unknown one is refused.
      if (preset.name === 'claude') ctx.permissionMode = given?.permissionMode !== undefined ? permissionModeFrom(given.permissionMode, 'permission mode of the search record').mode : (options.permissionMode ?? DEFAULT_CLAUDE_PERMISSION_MODE);
      if (preset.resumable && options.engine) {
        // Recorded before the agent starts: status returns it and a terminal opened later resumes it.
        const sessionId = randomUUID();
        ctx.sessionId = sessionId;
        await options.engine.updateMetadata(spawned.id, (m) => ({ ...m, session: { id: sessionId, agent: preset.name, startedAt: new Date().toISOString() } }));
      }
      const how = await launchOf(member, ctx);
      if (!how || how.argv.length === 0) throw new AxiomError('InvalidArgument', `The agent command of ${spawned.id} is empty.`);
      const handle = await launchHeadless({
        id: spawned.id,
        worktree: spawned.path,
        adminDir: spawned.adminDir,
        argv: how.argv,
        input: how.input,
        ...(how.firstInput !== undefined ? { firstInput: how.firstInput } : {}),
        env: instanceEnv({ id: spawned.id, worktree: spawned.path, base: spawned.base, ports: spawned.ports, env: spawned.metadata.env ?? {} }),
        ...(options.nodePath ? { nodePath: options.nodePath } : {}),
      });
      options.onStarted?.(handle);
      return { exited: handle.exited };
    },
    async stop(spawned) {
      await stopHeadlessAgent(spawned.adminDir);
    },
  };
}

/** A permission mode a front end was given, and where it comes from (named when it is refused). */
export interface GivenPermissionMode {
  value: string | undefined;
  from: string;
}

/**
 * Claude's permission mode: the first of `given` that is set (a call's argument, a server's option, a
 * VS Code setting — as the front end has them), else `git config axiom.claudePermissionMode`, else
 * acceptEdits. An unknown one is refused (InvalidArgument), never replaced.
 */
export async function claudePermissionModeOf(engine: Pick<AxiomEngine, 'settings'>, given: readonly GivenPermissionMode[] = []): Promise<ClaudePermissionMode> {
  for (const g of given) if (g.value !== undefined) return permissionModeFrom(g.value, g.from).mode;
  return permissionModeFrom((await engine.settings()).claudePermissionMode, 'git config axiom.claudePermissionMode').mode;
}

export interface EngineLauncherOptions extends Pick<HeadlessLauncherOptions, 'hookScript' | 'nodePath' | 'onStarted'> {
  /** Permission modes this front end was given, the first set one wins (see {@link claudePermissionModeOf}). */
  permissionModes?: readonly GivenPermissionMode[];
}

/**
 * The headless launcher of a race's members and a search's attempts on `engine`, the same in every
 * front end: programs resolved from the repository's main worktree, each Claude conversation recorded
 * in its instance's metadata, Claude's permission mode decided (and an unknown one refused) now,
 * before anything is created.
 */
export async function engineHeadlessLauncher(engine: Pick<AxiomEngine, 'repo' | 'settings' | 'updateMetadata'>, options: EngineLauncherOptions = {}): Promise<MemberLauncher> {
  const { permissionModes, ...rest } = options;
  const permissionMode = await claudePermissionModeOf(engine, permissionModes);
  return headlessLauncher({ ...rest, cwd: engine.repo.mainWorktree ?? engine.repo.commonDir, engine, permissionMode });
}

/** For a race whose agents run in VS Code terminals: the spawn's terminal request is all it takes. */
export const terminalRequestLauncher: MemberLauncher = {
  async launch() {
    /* the extension opens each member's terminal from its metadata's request */
  },
};
