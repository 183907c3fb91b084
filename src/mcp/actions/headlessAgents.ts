/**
 * The launcher of the agents this server starts headless (race members, search attempts): the
 * bundled hook, the server's Node, Claude's permission mode, and each handle kept so `send` reaches
 * the agent while it runs.
 */
import type { AxiomEngine } from '../../core';
import { headlessLauncher } from '../../agents/raceLauncher';
import type { HeadlessHandle } from '../../agents/headless';
import type { ExploreMcpContext } from './exploreContext';

export function serverHeadlessLauncher(
  ctx: ExploreMcpContext,
  engine: AxiomEngine,
  permissionMode: string | undefined,
  onStarted?: (h: HeadlessHandle) => void,
): ReturnType<typeof headlessLauncher> {
  return headlessLauncher({
    cwd: engine.repo.mainWorktree ?? engine.repo.commonDir,
    hookScript: ctx.hookScript,
    engine,
    ...(permissionMode ? { permissionMode } : {}),
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
