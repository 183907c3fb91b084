/** Placeholder until the MCP issue lands: `axiom mcp` explains that it is not available yet. */
import { AxiomError } from '../core';

export async function startMcpServer(_options: { repo: string }): Promise<void> {
  throw new AxiomError('InvalidArgument', 'The MCP server is not built yet.');
}
