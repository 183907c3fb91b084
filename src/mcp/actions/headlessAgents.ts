/**
 * The launcher of the agents this server starts headless (race members, search attempts): the one
 * launcher of every front end (engineHeadlessLauncher) with this server's hook and Node, Claude's
 * permission mode from the call or the server, and each handle kept so `send` reaches the agent
 * while it runs.
 */
import type { AxiomEngine, MemberLauncher } from '../../core';
import { claudePermissionModeOf, engineHeadlessLauncher, type GivenPermissionMode } from '../../agents/raceLauncher';
import type { HeadlessHandle } from '../../agents/headless';
import type { ExploreMcpContext } from './exploreContext';

/** The permission modes a call gives: its own argument, else the server's option (then git config). */
function serverPermissionModes(ctx: { readonly options: { claudePermissionMode?: string } }, fromCall: string | undefined): GivenPermissionMode[] {
  return [
    { value: fromCall, from: 'permissionMode' },
    { value: ctx.options.claudePermissionMode, from: 'permission mode of this MCP server' },
  ];
}

/**
 * The permission mode for Claude: the call's `permissionMode`, else the server's explicit option, else
 * git config axiom.claudePermissionMode, else acceptEdits. An unknown one is refused (InvalidArgument).
 */
export function claudePermissionMode(ctx: { readonly options: { claudePermissionMode?: string } }, engine: AxiomEngine, fromCall?: string): Promise<string> {
  return claudePermissionModeOf(engine, serverPermissionModes(ctx, fromCall));
}

/** The headless launcher of this server's races and searches (`permissionMode`: the call's, if it gave one). */
export function serverHeadlessLauncher(
  ctx: ExploreMcpContext,
  engine: AxiomEngine,
  permissionMode: string | undefined,
  onStarted?: (h: HeadlessHandle) => void,
): Promise<MemberLauncher> {
  return engineHeadlessLauncher(engine, {
    hookScript: ctx.hookScript,
    permissionModes: serverPermissionModes(ctx, permissionMode),
    ...(ctx.options.nodePath ? { nodePath: ctx.options.nodePath } : {}),
    onStarted: (h) => {
      // Like spawn: this server holds the agent's input, so `send` reaches these agents too.
      ctx.handles.set(h.adminDir, h);
      void h.exited.then(() => {
        if (ctx.handles.get(h.adminDir) === h) ctx.handles.delete(h.adminDir);
      });
      onStarted?.(h);
    },
  });
}
