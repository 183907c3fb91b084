/**
 * How clients start the server: vscode-free helpers the extension (MCP server definition provider,
 * "Copy MCP Configuration") and the docs use. Shell command lines are quoted by the one helper.
 */
import { commandLine, type ShellFlavor } from '../core';
import { TOOL_NAME } from './toolName';

export { TOOL_NAME };
export const SERVER_NAME = 'axiom-worktrees';

export interface McpConfigInput {
  /** The Node runtime (e.g. "node", or VS Code's own runtime with ELECTRON_RUN_AS_NODE=1). */
  nodePath: string;
  /** Absolute path of dist/mcp.js. */
  mcpScript: string;
  /** The repository the server works in. */
  repo: string;
  /** Extra environment, e.g. { ELECTRON_RUN_AS_NODE: '1' } when nodePath is an Electron binary. */
  env?: Record<string, string>;
}

export interface McpServerConfig {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** {command, args} for a stdio server definition (VS Code's McpStdioServerDefinition, .mcp.json). */
export function mcpServerConfig(input: McpConfigInput): McpServerConfig {
  for (const [k, v] of Object.entries({ nodePath: input.nodePath, mcpScript: input.mcpScript, repo: input.repo })) {
    if (!v) throw new Error(`mcpServerConfig needs ${k}.`);
    if (v.includes('\0')) throw new Error(`${k} cannot contain a NUL character.`);
  }
  const config: McpServerConfig = { command: input.nodePath, args: [input.mcpScript, '--repo', input.repo] };
  if (input.env && Object.keys(input.env).length) config.env = { ...input.env };
  return config;
}

/** The JSON to put in a project's `.mcp.json` (Claude Code, and other clients with the same format). */
export function mcpJsonSnippet(input: McpConfigInput, name = SERVER_NAME): string {
  const c = mcpServerConfig(input);
  return JSON.stringify({ mcpServers: { [name]: { type: 'stdio', ...c } } }, null, 2);
}

type ClaudeMcpAddInput = McpConfigInput & { scope?: 'local' | 'project' | 'user'; name?: string };

/** A `claude mcp add` command line, every argument quoted for the shell it will be pasted into. */
export function claudeMcpAddCommand(input: ClaudeMcpAddInput, flavor: ShellFlavor = 'posix'): string {
  return commandLine(claudeMcpAddArgv(input), flavor);
}

/** The `claude mcp add` argv, unquoted (for programs that run it without a shell). */
export function claudeMcpAddArgv(input: ClaudeMcpAddInput): string[] {
  const c = mcpServerConfig(input);
  // The name comes first: `-e` takes several values and would swallow a name written after it
  // ("Invalid environment variable format"). `--` ends claude's options: --repo is the server's.
  const argv = ['claude', 'mcp', 'add', input.name ?? SERVER_NAME, '--scope', input.scope ?? 'local'];
  for (const [k, v] of Object.entries(c.env ?? {})) argv.push('-e', `${k}=${v}`);
  argv.push('--', c.command, ...c.args);
  return argv;
}
