/**
 * Agent presets: how to start each agent CLI in a worktree, interactively (in a terminal) and
 * headless (as a child process), what it needs installed, how it reports its phase, whether a
 * headless run takes input after it started, and whether a conversation can be resumed.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { AxiomError } from '../core/errors';
import { splitTemplate } from '../core/processes/shellQuote';
import { quoteArg } from '../core/processes/shellQuote';
import { AGENT_NAMES, CLAUDE_PERMISSION_MODES, type AgentName, type ClaudePermissionMode } from './names';
export { AGENT_NAMES, CLAUDE_PERMISSION_MODES, type AgentName, type ClaudePermissionMode };

export interface LaunchContext {
  id: string;
  worktree: string;
  adminDir: string;
  prompt: string | null;
  /** For `custom`: the user's command template ({prompt}, {id}, {worktree} fill whole arguments). */
  customCommand?: string;
  /** Node-compatible runtime and the bundled hook script, for agents that report through hooks. */
  hook?: { runtime: string; script: string };
  /** The conversation id to start (`--session-id`) or, with `resume`, to continue (`--resume`). */
  sessionId?: string;
  resume?: boolean;
  /** Claude Code's --permission-mode (checked by permissionModeFrom). */
  permissionMode?: string;
}

/**
 * How a headless run takes input after it started:
 * - 'stream-json': user messages as stream-json lines on stdin (`send` delivers a real next prompt);
 * - 'lines': the line as is on stdin (a custom command decides what to do with it);
 * - 'none': stdin is closed at start (the agent takes its prompt from argv); `send` is refused.
 */
export type HeadlessInput = 'stream-json' | 'lines' | 'none';

export interface HeadlessLaunch {
  argv: string[];
  input: HeadlessInput;
  /** Written to stdin right after start (stream-json: the prompt as the first user message). */
  firstInput?: string;
}

export interface AgentPreset {
  name: AgentName;
  label: string;
  /** The program a user must have installed (null for custom: its command says). */
  program: string | null;
  /** How to install the program, shown when it is missing. */
  install: string | null;
  /** 'hooks': the agent reports its phase itself; 'process': only start / exit code are known. */
  phaseSource: 'hooks' | 'process';
  /** Whether `interactive` can continue a recorded conversation (ctx.sessionId + ctx.resume). */
  resumable: boolean;
  /** What a headless run does with input after start. */
  headlessInput: HeadlessInput;
  /** argv for an interactive session in a terminal. */
  interactive(ctx: LaunchContext): Promise<string[]>;
  /** How to run headless (needs a prompt), or null when the agent has no headless form. */
  headless(ctx: LaunchContext): Promise<HeadlessLaunch | null>;
}

export const DEFAULT_CLAUDE_PERMISSION_MODE: ClaudePermissionMode = 'acceptEdits';

/**
 * A permission mode from a setting or an option (unset: the default). An unknown one is refused
 * (InvalidArgument), never replaced: a Claude started with a mode it rejects exits before doing
 * anything, and a silent fallback would run it with permissions nobody chose.
 */
export function permissionModeFrom(value: string | null | undefined, where = 'Claude permission mode'): { mode: ClaudePermissionMode } {
  const v = value?.trim();
  if (!v) return { mode: DEFAULT_CLAUDE_PERMISSION_MODE };
  const known = CLAUDE_PERMISSION_MODES.find((m) => m === v);
  if (known) return { mode: known };
  throw new AxiomError('InvalidArgument', `Unknown ${where} ${JSON.stringify(v)}: use one of ${CLAUDE_PERMISSION_MODES.join(', ')}.`);
}

/** A stream-json user message, the line Claude Code reads with --input-format stream-json. */
export function streamJsonUserMessage(text: string): string {
  return JSON.stringify({ type: 'user', message: { role: 'user', content: text } });
}

export const CLAUDE_SETTINGS_FILE = 'axiom-claude-settings.json';
/** Every hook event that moves the phase or carries a reason (core/agentState maps them). */
export const HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'PermissionRequest',
  'Notification',
  'SubagentStart',
  'SubagentStop',
  'Stop',
  'StopFailure',
  'SessionEnd',
] as const;

/**
 * Writes Claude Code settings (hooks only) into the instance's admin dir, so `claude --settings`
 * reports phases without touching the user's files or the worktree.
 */
export async function writeClaudeSettings(ctx: LaunchContext): Promise<string | null> {
  if (!ctx.hook) return null;
  const file = path.join(ctx.adminDir, CLAUDE_SETTINGS_FILE);
  const hooks: Record<string, unknown> = {};
  for (const event of HOOK_EVENTS) {
    // Hook commands run through a shell: every part is quoted by the one helper.
    const command = ['ELECTRON_RUN_AS_NODE=1', quoteArg(ctx.hook.runtime), quoteArg(ctx.hook.script), quoteArg(ctx.adminDir), event].join(' ');
    hooks[event] = [{ hooks: [{ type: 'command', command }] }];
  }
  await fs.writeFile(file, JSON.stringify({ hooks }, null, 2) + '\n');
  return file;
}

function claudeSessionArgs(ctx: LaunchContext): string[] {
  if (!ctx.sessionId) return [];
  return ctx.resume ? ['--resume', ctx.sessionId] : ['--session-id', ctx.sessionId];
}

const claude: AgentPreset = {
  name: 'claude',
  label: 'Claude Code',
  program: 'claude',
  install: 'npm install -g @anthropic-ai/claude-code',
  phaseSource: 'hooks',
  resumable: true,
  headlessInput: 'stream-json',
  async interactive(ctx) {
    const settings = await writeClaudeSettings(ctx);
    return [
      'claude',
      ...(settings ? ['--settings', settings] : []),
      ...(ctx.permissionMode ? ['--permission-mode', ctx.permissionMode] : []),
      ...claudeSessionArgs(ctx),
      ...(ctx.resume ? [] : ['-n', `axiom-${ctx.id}`, ...(ctx.prompt ? [ctx.prompt] : [])]),
    ];
  },
  async headless(ctx) {
    if (!ctx.prompt) return null;
    const settings = await writeClaudeSettings(ctx);
    // stream-json on both sides: the prompt is the first user message on stdin and `send` adds more
    // (a plain `-p` with an open stdin waits 3 s for input and then ignores it). No edit can be
    // approved in a headless run, hence a permission mode (default acceptEdits).
    return {
      argv: [
        'claude',
        '-p',
        '--input-format',
        'stream-json',
        '--output-format',
        'stream-json',
        '--verbose',
        '--permission-mode',
        ctx.permissionMode ?? DEFAULT_CLAUDE_PERMISSION_MODE,
        ...claudeSessionArgs(ctx),
        ...(settings ? ['--settings', settings] : []),
      ],
      input: 'stream-json',
      firstInput: streamJsonUserMessage(ctx.prompt),
    };
  },
};

const codex: AgentPreset = {
  name: 'codex',
  label: 'Codex CLI',
  program: 'codex',
  install: 'npm install -g @openai/codex',
  phaseSource: 'process',
  resumable: false,
  headlessInput: 'none',
  interactive: async (ctx) => ['codex', ...(ctx.prompt ? [ctx.prompt] : [])],
  headless: async (ctx) => (ctx.prompt ? { argv: ['codex', 'exec', ctx.prompt], input: 'none' } : null),
};

const gemini: AgentPreset = {
  name: 'gemini',
  label: 'Gemini CLI',
  program: 'gemini',
  install: 'npm install -g @google/gemini-cli',
  phaseSource: 'process',
  resumable: false,
  headlessInput: 'none',
  interactive: async (ctx) => ['gemini', ...(ctx.prompt ? ['-i', ctx.prompt] : [])],
  headless: async (ctx) => (ctx.prompt ? { argv: ['gemini', '-p', ctx.prompt], input: 'none' } : null),
};

const aider: AgentPreset = {
  name: 'aider',
  label: 'aider',
  program: 'aider',
  install: 'python -m pip install aider-install && aider-install',
  phaseSource: 'process',
  resumable: false,
  headlessInput: 'none',
  interactive: async (ctx) => ['aider', ...(ctx.prompt ? ['--message', ctx.prompt] : [])],
  headless: async (ctx) => (ctx.prompt ? { argv: ['aider', '--yes-always', '--message', ctx.prompt], input: 'none' } : null),
};

const custom: AgentPreset = {
  name: 'custom',
  label: 'Custom command',
  program: null,
  install: null,
  phaseSource: 'process',
  resumable: false,
  headlessInput: 'lines',
  async interactive(ctx) {
    return customArgv(ctx);
  },
  async headless(ctx) {
    return { argv: customArgv(ctx), input: 'lines' };
  },
};

function customArgv(ctx: LaunchContext): string[] {
  if (!ctx.customCommand || !ctx.customCommand.trim()) {
    throw new Error('The custom agent has no command: set axiom.customAgentCommand (e.g. "my-agent {prompt}").');
  }
  const argv = splitTemplate(ctx.customCommand, { prompt: ctx.prompt, id: ctx.id, worktree: ctx.worktree });
  if (argv.length === 0) throw new Error('The custom agent command is empty.');
  return argv;
}

export const PRESETS: Record<AgentName, AgentPreset> = { claude, codex, gemini, aider, custom };

export function presetFor(name: string | null | undefined): AgentPreset {
  const preset = PRESETS[(name ?? 'claude') as AgentName];
  if (!preset) throw new Error(`Unknown agent ${JSON.stringify(name)}: use one of ${AGENT_NAMES.join(', ')}.`);
  return preset;
}
