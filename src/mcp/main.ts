#!/usr/bin/env node
/** `node dist/mcp.js [--repo <path>]`: the Axiom MCP server on stdio (the repository defaults to the current folder). */
import { parseArgs } from 'node:util';
import { startMcpServer } from './server';
import { guardStdio, writeStderr, onDamagedRecord } from '../core';

declare const __AXIOM_VERSION__: string;

function main(): Promise<void> | void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { repo: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: node dist/mcp.js [--repo <path>]\nRuns the Axiom Worktrees MCP server (tool axiom_claude_orchestrate_worktree) on stdio.\n');
    return;
  }
  if (values.version) {
    process.stdout.write(`${typeof __AXIOM_VERSION__ === 'string' ? __AXIOM_VERSION__ : 'dev'}\n`);
    return;
  }
  return startMcpServer({ repo: values.repo ?? process.cwd() });
}

// A client's misbehaviour or a bug must never take the server down silently mid-session: log and carry on.
// A client that went away (stdout/stderr broken) ends the server quietly: it has nobody left to serve.
guardStdio('axiom mcp');
// A damaged record the engine skipped is named on stderr, the MCP client's log (stdout is the protocol).
onDamagedRecord((_record, message) => writeStderr(`axiom mcp: warning: ${message}\n`));

Promise.resolve()
  .then(main)
  .then(
    () => process.exit(0),
    (e: unknown) => {
      writeStderr(`axiom mcp: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
