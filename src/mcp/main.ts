#!/usr/bin/env node
/**
 * `node dist/mcp.js [--repo <path>]`: the Axiom MCP server on stdio (the repository defaults to the
 * current folder). `axiom mcp` loads this same bundle and calls {@link runMcpServer}, so the CLI's
 * own bundle carries neither the MCP SDK nor its schema validator (a faster start for every verb).
 */
import { parseArgs } from 'node:util';
import { startMcpServer } from './server';
import { guardStdio, writeStderr, onDamagedRecord } from '../core';

declare const __AXIOM_VERSION__: string;

/** Serves MCP on stdio until the client goes away. `name` prefixes what it writes on stderr. */
export function runMcpServer(repo: string, name = 'axiom mcp'): Promise<void> {
  // A client's misbehaviour or a bug must never take the server down silently mid-session: log and carry on.
  // A client that went away (stdout/stderr broken) ends the server quietly: it has nobody left to serve.
  guardStdio(name);
  // A damaged record the engine skipped is named on stderr, the MCP client's log (stdout is the protocol).
  onDamagedRecord((_record, message) => writeStderr(`${name}: warning: ${message}\n`));
  return startMcpServer({ repo });
}

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
  return runMcpServer(values.repo ?? process.cwd());
}

if (require.main === module) {
  Promise.resolve()
    .then(main)
    .then(
      () => process.exit(0),
      (e: unknown) => {
        writeStderr(`axiom mcp: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(2);
      },
    );
}
