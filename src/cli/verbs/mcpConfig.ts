/**
 * `axiom mcp config [--claude] [--json]`: how to register this installation's MCP server with a client,
 * for people without VS Code: the `claude mcp add` line (with --json: its argv as a JSON array), the
 * `.mcp.json` snippet (--json alone), or both (default).
 */
import * as path from 'node:path';
import type { McpConfigInput } from '../../mcp/config';
import { EXIT, type ExitCode, type VerbContext } from '../context';
import { backend } from '../lazy';

export async function printMcpConfig(ctx: VerbContext, repoOption: string | undefined): Promise<ExitCode> {
  const claude = ctx.values.claude === true;
  const engine = await ctx.engine();
  const repo = repoOption ? path.resolve(ctx.where, repoOption) : (engine.repo.mainWorktree ?? engine.repo.commonDir);
  // The server is this installation's dist/mcp.js, run by the Node that runs this CLI.
  const input: McpConfigInput = { nodePath: process.execPath, mcpScript: path.join(__dirname, 'mcp.js'), repo };
  if (claude && ctx.json) {
    ctx.io.out(JSON.stringify(backend().claudeMcpAddArgv(input)) + '\n');
  } else if (claude) {
    ctx.io.out(backend().claudeMcpAddCommand(input) + '\n');
  } else if (ctx.json) {
    ctx.io.out(backend().mcpJsonSnippet(input) + '\n');
  } else {
    ctx.io.out(
      [
        'Claude Code (run in the repository):',
        `  ${backend().claudeMcpAddCommand(input)}`,
        '  claude mcp list    # health check: "axiom-worktrees: … ✔ Connected"',
        '',
        'Or a .mcp.json at the repository root (Claude Code asks to approve it on first run; until then it shows "Pending approval"):',
        backend().mcpJsonSnippet(input),
        '',
      ].join('\n'),
    );
  }
  return EXIT.ok;
}
