/**
 * Everything the CLI's verbs use from the engine, the agents and the MCP registration text, in one
 * module. The CLI loads it at its first use (`lazy.ts`); in the bundle it is `dist/cli-engine.js`
 * beside `dist/cli.js` (esbuild.mjs), so `axiom --version`, `help` and usage errors load none of it
 * (ARCHITECTURE §2.3). Front-end code reaches it only through `backend()`, never by import, so one
 * copy of each engine class (AxiomError) exists in the process.
 */
export * from '../core';
export { engineHeadlessLauncher, type EngineLauncherOptions } from '../agents/raceLauncher';
export { hookCliOf, installWorktreeHooks, uninstallWorktreeHooks, worktreeHooksStatus } from '../agents/claudeHooksSettings';
export {
  appendInstanceLog,
  createForClaude,
  findClaudeInstance,
  parsePayload,
  removeBoundMs,
  removeForClaude,
  runBounded,
} from '../agents/claudeWorktrees';
export { readHookStdin } from '../agents/hookStdin';
export { claudeMcpAddArgv, claudeMcpAddCommand, mcpJsonSnippet } from '../mcp/config';
