/**
 * The agents' fixed choices, with no imports: the CLI's front (help, option checks) loads this module
 * without the engine (ARCHITECTURE §2.3). `presets.ts` and `claudeHooksSettings.ts` re-export them.
 */

export type AgentName = 'claude' | 'codex' | 'gemini' | 'aider' | 'custom';
export const AGENT_NAMES: readonly AgentName[] = ['claude', 'codex', 'gemini', 'aider', 'custom'];

/**
 * Claude Code's permission modes, exactly the real CLI's `--permission-mode` choices (checked on
 * 2.1.197–2.1.332; `manual` is rejected there with "argument 'manual' is invalid").
 */
export const CLAUDE_PERMISSION_MODES = ['acceptEdits', 'auto', 'bypassPermissions', 'default', 'dontAsk', 'plan'] as const;
export type ClaudePermissionMode = (typeof CLAUDE_PERMISSION_MODES)[number];

/** Where `axiom claude hooks` writes Claude Code's worktree hooks. */
export const HOOK_SCOPES = ['project', 'local', 'user'] as const;
export type HookScope = (typeof HOOK_SCOPES)[number];
