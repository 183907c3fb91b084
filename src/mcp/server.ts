/**
 * The MCP server: one tool, `axiom_claude_orchestrate_worktree`, with an `action` discriminator, over
 * the same engine as the extension and the CLI, plus read-only resources a client can poll cheaply.
 * Every failure is a tool error (isError) carrying the engine's code; nothing a client sends can
 * crash the server. The actions live in ./actions (one file each), the behaviour in ./axiomMcp.
 */
import * as path from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { AxiomMcp } from './axiomMcp';
import type { AxiomMcpOptions } from './context';
import { json, toolError } from './refusal';
import { RESOURCE_TEMPLATES } from './resources';
import { INPUT_SCHEMA, TOOL_NAME } from './schema';
import { writeStderr } from '../core';

export { AxiomMcp } from './axiomMcp';
export type { AxiomMcpOptions } from './context';
export { McpRefusal, toolError, type McpOnlyCode } from './refusal';

declare const __AXIOM_VERSION__: string;
const VERSION = typeof __AXIOM_VERSION__ === 'string' ? __AXIOM_VERSION__ : 'dev';

export function createServer(options: AxiomMcpOptions): { server: Server; axiom: AxiomMcp } {
  const axiom = new AxiomMcp(options);
  const server = new Server(
    { name: 'axiom-worktrees', version: VERSION },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        `Use ${TOOL_NAME} to run sub-agents in isolated git worktrees: spawn → status (poll) → diff → merge (preview first) → cleanup. ` +
        'Cleanup refuses when work would be lost and says what; force keeps it in a salvage ref.',
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [
      {
        name: TOOL_NAME,
        title: 'Orchestrate agents in git worktrees',
        description:
          'Spawn, watch, merge and clean up sub-agents, each in its own git worktree and branch (axiom/{id}/{timestamp}) beside the repository. ' +
          'Example: {"action":"spawn","instanceId":"solver1","useWorktree":true,"baseBranch":"main"}. Errors come back with a code (e.g. DirtyWorktree, MergeConflict, NotFound) and what to do next.',
        inputSchema: INPUT_SCHEMA,
        annotations: { destructiveHint: true, openWorldHint: false },
      },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    // A tool that does not exist is a bad request (JSON-RPC invalid params), not a failure of a tool.
    if (request.params.name !== TOOL_NAME) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool ${JSON.stringify(request.params.name)}: this server has one tool, ${TOOL_NAME}.`, { tool: request.params.name });
    }
    return axiom.call(request.params.arguments ?? {});
  });
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await axiom.listResources() }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: RESOURCE_TEMPLATES }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    try {
      return { contents: [await axiom.readResource(request.params.uri)] };
    } catch (e) {
      const err = toolError(e);
      const first = err.content[0];
      // Resources have no isError: the error document is the content, so a poller never breaks.
      return { contents: [{ uri: request.params.uri, mimeType: 'application/json', text: first && first.type === 'text' ? json(err.structuredContent) : '{}' }] };
    }
  });
  return { server, axiom };
}

/** Runs the server on stdio until the client closes stdin. */
export async function startMcpServer(options: AxiomMcpOptions): Promise<void> {
  // Whoever started the server may choose Claude's permission mode (VS Code passes axiom.claude.permissionMode).
  const mode = options.claudePermissionMode ?? process.env.AXIOM_CLAUDE_PERMISSION_MODE;
  const { server, axiom } = createServer({ ...options, repo: path.resolve(options.repo), ...(mode ? { claudePermissionMode: mode } : {}) });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    // The client went away: stdin ended, closed or broke.
    process.stdin.once('end', () => void server.close());
    process.stdin.once('close', () => void server.close());
    process.stdin.once('error', () => void server.close());
  });
  server.onerror = (e) => writeStderr(`axiom mcp: ${e instanceof Error ? e.message : String(e)}\n`);
  await server.connect(transport);
  writeStderr(`axiom mcp: serving ${TOOL_NAME} for ${path.resolve(options.repo)}\n`);
  await closed;
  axiom.dispose();
}
