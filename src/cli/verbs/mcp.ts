import { EXIT, noExtra, stringOption, type Verb } from '../context';

export const mcp: Verb = {
  usage: ['mcp [--repo <path>]                                              run the MCP server on stdio'],
  options: { repo: { type: 'string' } },
  async run(ctx) {
    noExtra(ctx.args, 0);
    const { startMcpServer } = await import('../../mcp/server');
    await startMcpServer({ repo: stringOption(ctx.values, 'repo') ?? ctx.where });
    return EXIT.ok;
  },
};
