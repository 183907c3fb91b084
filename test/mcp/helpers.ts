/** A real MCP client (the SDK's Client over stdio) driving the real server bundle against temp repos. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ROOT } from '../core/helpers';
import { findExecutable } from '../../src/agents/headless';

export { makeRepo, git, commitIn, writeFile, runCli, branches, worktreePaths, ROOT, CLI, type TempRepo } from '../core/helpers';

export const MCP = path.join(ROOT, 'dist', 'mcp.js');
export const TOOL = 'axiom_claude_orchestrate_worktree';

export interface McpSession {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  /** Calls the tool; returns the result with its parsed JSON document. */
  call(args: Record<string, unknown>): Promise<ToolAnswer>;
  close(): Promise<void>;
}

export interface ToolAnswer {
  isError: boolean;
  text: string;
  // Tests read arbitrary fields of the documents.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  doc: any;
  raw: CallToolResult;
}

export async function connect(repo: string, options: { env?: Record<string, string>; args?: string[] } = {}): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP, ...(options.args ?? ['--repo', repo])],
    cwd: repo,
    env: { ...(process.env as Record<string, string>), ...options.env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'axiom-test', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    transport,
    stderr: () => err,
    async call(args) {
      const raw = (await client.callTool({ name: TOOL, arguments: args })) as CallToolResult;
      const first = raw.content[0];
      const text = first && first.type === 'text' ? first.text : '';
      const doc = raw.structuredContent ?? null;
      return { isError: raw.isError === true, text, doc, raw };
    },
    async close() {
      await client.close();
    },
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A stand-in agent: a Node one-liner (argv, no shell) that writes a file and commits it. */
export function committingAgent(file = 'agent.txt', content = 'written by the stand-in agent\n'): string[] {
  const script = [
    "const fs = require('node:fs');",
    "const { execFileSync } = require('node:child_process');",
    `fs.writeFileSync(${JSON.stringify(file)}, ${JSON.stringify(content)} + (process.argv[1] || '') + '\\n');`,
    `execFileSync('git', ['add', ${JSON.stringify(file)}]);`,
    "execFileSync('git', ['commit', '-q', '-m', 'stand-in agent: ' + (process.argv[1] || 'no prompt')]);",
    "console.log('agent done');",
  ].join('\n');
  return [process.execPath, '-e', script, '{prompt}'];
}

/** Where `npm run install-claude` puts the real Claude Code CLI for the optional tests. */
export const CLAUDE_CACHE = path.join(os.homedir(), '.cache', 'axiom-worktrees', 'claude');

/**
 * The real `claude` for optional tests: AXIOM_CLAUDE_BIN, the PATH, or the test cache; null when
 * absent. A program named `claude` counts only when `--version` says it is Claude Code (a machine
 * may have a stand-in or another tool of that name on its PATH).
 */
export function findClaude(): string | null {
  const fromEnv = process.env.AXIOM_CLAUDE_BIN;
  if (fromEnv) return fs.existsSync(fromEnv) ? fromEnv : null;
  const cached = path.join(CLAUDE_CACHE, 'node_modules', '.bin', 'claude');
  return [findExecutable('claude', process.cwd()), cached].find((c): c is string => c !== null && fs.existsSync(c) && isClaudeCode(c)) ?? null;
}

const claudeChecked = new Map<string, boolean>();
function isClaudeCode(program: string): boolean {
  let known = claudeChecked.get(program);
  if (known === undefined) {
    const r = spawnSync(program, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    known = /\(Claude Code\)/.test(r.stdout ?? '');
    claudeChecked.set(program, known);
  }
  return known;
}

export const CLAUDE_MISSING =
  'the real claude is not installed (npm run install-claude puts it in ~/.cache/axiom-worktrees/claude; or set AXIOM_CLAUDE_BIN, or put it on PATH): skipping';

/** The stand-in `claude` (test/fixtures/bin/claude): records argv, env and stdin, and calls the settings file's hooks. */
export const STANDIN_BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
