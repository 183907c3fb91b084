import { EXIT, noExtra, stringOption, UsageError, type Verb } from '../context';
import { printMcpConfig } from './mcpConfig';

export const mcp: Verb = {
  usage: [
    'mcp [--repo <path>]                                              run the MCP server on stdio',
    'mcp config [--claude] [--json] [--repo <path>]                  how to register the server (claude mcp add / .mcp.json)',
  ],
  summary: 'Runs the MCP server on stdio for MCP clients such as Claude Code; `mcp config` prints how to register it.',
  options: {
    repo: { type: 'string', value: '<path>', description: 'The repository the server works in.', default: 'the current folder' },
    claude: { type: 'boolean', description: 'mcp config: the `claude mcp add` command line (with --json: its argv as a JSON array).' },
  },
  operands: ['config'],
  examples: ['axiom mcp config --claude  # the claude mcp add line for this repository'],
  async run(ctx) {
    if (ctx.args[0] === 'config') {
      noExtra(ctx.args, 1);
      return printMcpConfig(ctx, stringOption(ctx.values, 'repo'));
    }
    noExtra(ctx.args, 0);
    if (ctx.values.claude) throw new UsageError('--claude belongs to axiom mcp config.');
    // The server's own bundle (dist/mcp.js beside dist/cli.js; see esbuild.mjs), loaded only for this verb.
    const { runMcpServer } = await import('../../mcp/main');
    await runMcpServer(stringOption(ctx.values, 'repo') ?? ctx.where);
    return EXIT.ok;
  },
};
