/**
 * Install Claude Code Worktree Hooks: Axiom's WorktreeCreate/WorktreeRemove hooks in the repository's
 * `.claude/settings.json` (project scope), through the same module as `axiom claude hooks install`.
 * The hooks run this installation's CLI (dist/cli.js) with the extension host's Node.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hookCliOf, installWorktreeHooks, type HookChange } from '../agents/claudeHooksSettings';
import { Cancelled, type Invocation } from './invocation';
import { hostNode } from './mcpRegistration';
import type { Services } from './services';

export async function installClaudeHooksCommand(s: Services, inv: Invocation): Promise<HookChange> {
  const model = await inv.model(s.repos);
  const root = model.engine.repo.mainWorktree ?? model.root;
  const file = path.join(root, '.claude', 'settings.json');
  const ok = await inv.confirm(
    `Install Axiom's Claude Code worktree hooks in ${model.name}?`,
    `Adds a WorktreeCreate and a WorktreeRemove hook to ${file} (other settings and hooks stay). Then \`claude --worktree <name>\` and subagents with isolation: worktree create Axiom instances, and a worktree Claude removes is cleaned up with its work salvaged. The hooks name this installation's files: install again after the extension updates.`,
    'Install Hooks',
  );
  if (!ok) throw new Cancelled();
  const node = hostNode();
  const change = installWorktreeHooks(hookCliOf(node.nodePath, node.env, path.join(path.dirname(s.mcp.script), 'cli.js')), 'project', root);
  const warnings = change.warnings.length ? ` ${change.warnings.join(' ')}` : '';
  void vscode.window.showInformationMessage(
    change.changed ? `Installed Axiom's Claude Code worktree hooks in ${change.file}.${warnings}` : `Axiom's Claude Code worktree hooks were already in ${change.file}.${warnings}`,
  );
  return change;
}
