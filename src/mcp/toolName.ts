// The MCP tool's name, in a module of its own: the CLI and the extension name it (MCP configuration)
// without loading the schemas (zod), which would add tens of milliseconds to every CLI start.
export const TOOL_NAME = 'axiom_claude_orchestrate_worktree';
