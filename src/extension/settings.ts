/**
 * The extension's `axiom.*` settings. The engine reads `git config axiom.*` itself; a VS Code
 * setting is passed to it as an explicit option (which wins) only when the user actually set it.
 */
import * as vscode from 'vscode';
import type { SpawnOptions } from '../core';
import { permissionModeFrom } from '../agents/presets';

/** Which agent events notify: approval, input and failure (default), also finished turns and exits, or none. */
export type NotifyLevel = 'attention' | 'all' | 'none';
import { SORT_KEYS, type SortKey } from './presentation';

export interface ExtensionSettings {
  defaultAgent: string;
  customAgentCommand: string;
  confirmBeforeMerge: boolean;
  refreshDebounceMs: number;
  salvageRetentionDays: number;
  notify: NotifyLevel;
  /** The order of the Instances view (and of bulk actions, which run in view order). */
  sortBy: SortKey;
}

function section(scope?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('axiom', scope);
}

/** The value only when set somewhere (user, workspace, folder), else undefined: the engine decides. */
function explicit<T>(key: string, scope?: vscode.Uri): T | undefined {
  const i = section(scope).inspect<T>(key);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

export function readSettings(scope?: vscode.Uri): ExtensionSettings {
  const c = section(scope);
  return {
    defaultAgent: c.get<string>('defaultAgent', 'claude'),
    customAgentCommand: c.get<string>('customAgentCommand', ''),
    confirmBeforeMerge: c.get<boolean>('confirmBeforeMerge', true),
    refreshDebounceMs: Math.max(0, c.get<number>('refreshDebounceMs', 500)),
    salvageRetentionDays: c.get<number>('salvageRetentionDays', 30),
    notify: (['attention', 'all', 'none'] as const).find((v) => v === c.get<string>('notify')) ?? 'attention',
    sortBy: SORT_KEYS.find((k) => k === c.get<string>('sortBy')) ?? 'name',
  };
}

/**
 * Claude's permission mode for agents this window starts, set explicitly in VS Code (else undefined:
 * git config axiom.claudePermissionMode, else acceptEdits). bypassPermissions counts only from the
 * user's own settings: a workspace (e.g. a cloned repository's .vscode/settings.json) cannot switch
 * every permission check off.
 */
export function explicitClaudePermissionMode(scope?: vscode.Uri): { mode?: string; warning?: string } {
  const i = section(scope).inspect<string>('claude.permissionMode');
  const fromWorkspace = i?.workspaceFolderValue ?? i?.workspaceValue;
  if (fromWorkspace === 'bypassPermissions') {
    const user = i?.globalValue;
    return {
      ...(user ? { mode: permissionModeFrom(user).mode } : {}),
      warning: 'axiom.claude.permissionMode "bypassPermissions" is honoured only in your user settings, not in a workspace: ignored here.',
    };
  }
  const value = fromWorkspace ?? i?.globalValue;
  if (!value) return {};
  return { mode: permissionModeFrom(value, 'axiom.claude.permissionMode').mode };
}

/** Spawn options that come from VS Code settings (only those the user set). */
export function spawnOptionsFromSettings(scope?: vscode.Uri): Pick<SpawnOptions, 'limit' | 'dirTemplate' | 'base'> {
  const out: Pick<SpawnOptions, 'limit' | 'dirTemplate' | 'base'> = {};
  const limit = explicit<number>('maxInstances', scope);
  const dir = explicit<string>('worktreeDirectory', scope);
  const base = explicit<string>('defaultBase', scope);
  if (typeof limit === 'number' && limit > 0) out.limit = limit;
  if (dir && dir.trim()) out.dirTemplate = dir.trim();
  if (base && base.trim()) out.base = base.trim();
  return out;
}
