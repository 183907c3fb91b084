/**
 * Agent presets: how to start each agent CLI in a worktree, interactively (in a terminal) and
 * headless (as a child process), and how it reports its phase.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { splitTemplate } from './shellQuote';
import { quoteArg } from './shellQuote';

export type AgentName = 'claude' | 'codex' | 'gemini' | 'aider' | 'custom';
export const AGENT_NAMES: readonly AgentName[] = ['claude', 'codex', 'gemini', 'aider', 'custom'];

export interface LaunchContext {
  id: string;
  worktree: string;
  adminDir: string;
  prompt: string | null;
  /** For `custom`: the user's command template ({prompt}, {id}, {worktree} fill whole arguments). */
  customCommand?: string;
  /** Node-compatible runtime and the bundled hook script, for agents that report through hooks. */
  hook?: { runtime: string; script: string };
}

export interface AgentPreset {
  name: AgentName;
  label: string;
  /** 'hooks': the agent reports its phase itself; 'process': only start / exit code are known. */
  phaseSource: 'hooks' | 'process';
  /** argv for an interactive session in a terminal. */
  interactive(ctx: LaunchContext): Promise<string[]>;
  /** argv for a headless run (needs a prompt), or null when the agent has no headless form. */
  headless(ctx: LaunchContext): Promise<string[] | null>;
}

export const CLAUDE_SETTINGS_FILE = 'axiom-claude-settings.json';
const HOOK_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Notification', 'Stop', 'SessionEnd'] as const;

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

const claude: AgentPreset = {
  name: 'claude',
  label: 'Claude Code',
  phaseSource: 'hooks',
  async interactive(ctx) {
    const settings = await writeClaudeSettings(ctx);
    return ['claude', ...(settings ? ['--settings', settings] : []), '-n', `axiom-${ctx.id}`, ...(ctx.prompt ? [ctx.prompt] : [])];
  },
  async headless(ctx) {
    if (!ctx.prompt) return null;
    const settings = await writeClaudeSettings(ctx);
    return ['claude', '-p', ctx.prompt, ...(settings ? ['--settings', settings] : []), '--output-format', 'text'];
  },
};

const codex: AgentPreset = {
  name: 'codex',
  label: 'Codex CLI',
  phaseSource: 'process',
  interactive: async (ctx) => ['codex', ...(ctx.prompt ? [ctx.prompt] : [])],
  headless: async (ctx) => (ctx.prompt ? ['codex', 'exec', ctx.prompt] : null),
};

const gemini: AgentPreset = {
  name: 'gemini',
  label: 'Gemini CLI',
  phaseSource: 'process',
  interactive: async (ctx) => ['gemini', ...(ctx.prompt ? ['-i', ctx.prompt] : [])],
  headless: async (ctx) => (ctx.prompt ? ['gemini', '-p', ctx.prompt] : null),
};

const aider: AgentPreset = {
  name: 'aider',
  label: 'aider',
  phaseSource: 'process',
  interactive: async (ctx) => ['aider', ...(ctx.prompt ? ['--message', ctx.prompt] : [])],
  headless: async (ctx) => (ctx.prompt ? ['aider', '--yes-always', '--message', ctx.prompt] : null),
};

const custom: AgentPreset = {
  name: 'custom',
  label: 'Custom command',
  phaseSource: 'process',
  async interactive(ctx) {
    return customArgv(ctx);
  },
  async headless(ctx) {
    return customArgv(ctx);
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
