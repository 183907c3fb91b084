/**
 * The MCP server and the running extension: VS Code's MCP server definition provider, "Copy MCP
 * Configuration", and a real MCP client (the SDK's Client over stdio, started from here) whose
 * terminal spawn the extension opens and whose `send` it types into that terminal.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CopyMcpConfigResult } from '../../src/extension/commands';
import { McpRegistration } from '../../src/extension/mcpRegistration';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import { EXTENSION_ID, api, git, measure, repoRoot, row, theModel, waitFor, waitForFile } from './helpers';

const TOOL = 'axiom_claude_orchestrate_worktree';

interface Session {
  // The tool's structured answer (fields differ by action).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(args: Record<string, unknown>): Promise<{ isError: boolean; text: string; doc: any }>;
  tools(): Promise<string[]>;
  close(): Promise<void>;
}

async function connect(command: string, args: string[], env: Record<string, string | number | null>, cwd: string): Promise<Session> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined && v !== null) merged[k] = String(v);
  const transport = new StdioClientTransport({ command, args, env: merged, cwd, stderr: 'pipe' });
  const client = new Client({ name: 'axiom-extension-test', version: '1.0.0' });
  await client.connect(transport);
  return {
    async call(a) {
      const raw = (await client.callTool({ name: TOOL, arguments: a })) as CallToolResult;
      const first = raw.content[0];
      return { isError: raw.isError === true, text: first && first.type === 'text' ? first.text : '', doc: raw.structuredContent ?? null };
    },
    async tools() {
      return (await client.listTools()).tools.map((t) => t.name);
    },
    close: () => client.close(),
  };
}

/** The node that runs this extension host, as the extension itself launches the server. */
function hostNode(): { command: string; env: Record<string, string> } {
  return { command: process.execPath, env: process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {} };
}

describe('MCP in VS Code', () => {
  let model: RepositoryModel;
  let repo: string;
  let scratch: string;
  let extensionPath: string;
  let script: string;

  before(async () => {
    model = await theModel();
    repo = repoRoot();
    scratch = fs.mkdtempSync(path.join(path.dirname(repo), 'mcp-scratch-'));
    extensionPath = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    script = path.join(extensionPath, 'dist', 'mcp.js');
    // The server reads limits from git config (not VS Code settings); earlier suites left instances.
    git(repo, 'config', 'axiom.maxInstances', '40');
  });

  after(async () => {
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', undefined, vscode.ConfigurationTarget.Global);
  });

  it('registers one stdio server definition per repository with VS Code', async () => {
    const a = await api();
    const lm = (vscode as unknown as { lm?: { registerMcpServerDefinitionProvider?: unknown } }).lm;
    const hasApi = typeof lm?.registerMcpServerDefinitionProvider === 'function';
    assert.equal(a.mcp.registered, hasApi, 'registered exactly when this VS Code has the API');
    assert.ok(hasApi, `this VS Code (${vscode.version}) should have the MCP API (1.101+)`);
    const defs = await a.mcp.provide();
    assert.equal(defs.length, 1);
    const d = defs[0]!;
    const Ctor = (vscode as unknown as { McpStdioServerDefinition: new (...args: unknown[]) => unknown }).McpStdioServerDefinition;
    assert.ok(d instanceof Ctor, 'a vscode.McpStdioServerDefinition');
    assert.equal(d.command, process.execPath, "the extension host's own runtime");
    assert.deepEqual(d.args, [script, '--repo', repo]);
    assert.deepEqual(d.env, hostNode().env);
    assert.equal(d.cwd?.fsPath, repo);
    assert.match(d.label, /^axiom-worktrees: /);
  });

  it('the definition starts a working server for the repository', async () => {
    const [d] = await (await api()).mcp.provide();
    const s = await connect(d!.command, d!.args, d!.env, repo);
    try {
      assert.deepEqual(await s.tools(), [TOOL]);
      const list = await s.call({ action: 'list' });
      assert.equal(list.isError, false, list.text);
      assert.equal(list.doc.repository, repo);
    } finally {
      await s.close();
    }
  });

  it('Copy MCP Configuration: the claude mcp add command', async () => {
    await vscode.env.clipboard.writeText('');
    const r = await vscode.commands.executeCommand<CopyMcpConfigResult>('axiom.copyMcpConfig', { format: 'claude' });
    const text = await vscode.env.clipboard.readText();
    assert.equal(text, r.text);
    assert.match(text, /^claude mcp add axiom-worktrees --scope local /);
    // Every argument after `--` is the server command line, in order.
    const tail = text.slice(text.indexOf(' -- ') + 4);
    const unquote = (x: string): string => x.replace(/^'(.*)'$/, '$1');
    assert.deepEqual(tail.split(' ').map(unquote), [process.execPath, script, '--repo', repo]);
    if (process.versions.electron) assert.match(text, / --scope local -e ELECTRON_RUN_AS_NODE=1 -- /);
  });

  it('Copy MCP Configuration: the .mcp.json snippet parses and names this extension and the repository', async () => {
    const r = await vscode.commands.executeCommand<CopyMcpConfigResult>('axiom.copyMcpConfig', { format: 'json' });
    assert.equal(r.format, 'json');
    const parsed = JSON.parse(await vscode.env.clipboard.readText()) as { mcpServers: Record<string, { type: string; command: string; args: string[]; env?: object }> };
    const server = parsed.mcpServers['axiom-worktrees']!;
    assert.equal(server.type, 'stdio');
    assert.equal(server.command, process.execPath);
    assert.deepEqual(server.args, [script, '--repo', repo]);
    assert.ok(fs.existsSync(server.args[0]!), 'dist/mcp.js of this extension exists');
    assert.deepEqual(server.env ?? {}, hostNode().env);
  });

  it('an MCP spawn with launch "terminal" opens the terminal, the row appears, and send types into it', async () => {
    // The agent: a node script that records its cwd, then appends every line typed into it to a file.
    const agent = path.join(scratch, 'echo-agent.js');
    const out = path.join(scratch, 'typed.txt');
    fs.writeFileSync(
      agent,
      `const fs = require('fs');
fs.writeFileSync(process.argv[2] + '.ready', process.cwd());
require('readline').createInterface({ input: process.stdin }).on('line', (l) => fs.appendFileSync(process.argv[2], l + '\\n'));
`,
    );
    await vscode.workspace
      .getConfiguration('axiom')
      .update('customAgentCommand', `env ELECTRON_RUN_AS_NODE=1 ${process.execPath} ${agent} ${out}`, vscode.ConfigurationTarget.Global);

    const node = hostNode();
    const s = await connect(node.command, [script, '--repo', repo], node.env, repo);
    try {
      const opened = new Promise<vscode.Terminal>((resolve) => {
        const sub = vscode.window.onDidOpenTerminal((t) => {
          if (t.name === 'mcp-term') {
            sub.dispose();
            resolve(t);
          }
        });
      });
      const started = performance.now();
      const spawned = await s.call({ action: 'spawn', instanceId: 'mcp-term', launch: 'terminal', agent: 'custom' });
      assert.equal(spawned.isError, false, spawned.text);
      assert.equal(spawned.doc.terminal.pending, true);
      // A generous deadline (the machine may be busy); how long it took is measured, not judged.
      const terminal = await Promise.race([opened, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no terminal within 60 s')), 60_000))]);
      measure('mcp-spawn-to-terminal', performance.now() - started);
      // The row came by itself (no refresh was asked for).
      const r = await waitFor(model, () => row('mcp-term'), 'the MCP-made row');
      assert.match(r.status.branch ?? '', /^axiom\/mcp-term\//);
      const cwd = (await waitForFile(`${out}.ready`)).trim();
      assert.equal(fs.realpathSync(cwd), fs.realpathSync(r.status.path), 'the agent runs in the worktree');
      // The extension marked the request taken: MCP status no longer says pending.
      const status = await waitFor(model, async () => {
        const st = await s.call({ action: 'status', instanceId: 'mcp-term' });
        return st.doc?.terminal?.pending === false ? st : undefined;
      }, 'MCP status to show the terminal taken');
      assert.ok(status.doc.terminal.takenAt);

      const sent = await s.call({ action: 'send', instanceId: 'mcp-term', text: 'hello from the lead agent' });
      assert.equal(sent.isError, false, sent.text);
      assert.equal(sent.doc.delivered, 'terminal-queue');
      const queue = path.join(r.status.adminDir!, 'axiom-terminal-input.jsonl');
      await waitFor(model, () => !fs.existsSync(queue), 'the extension to take the queued line');
      assert.equal((await waitForFile(out)).trim(), 'hello from the lead agent', 'the line reached the agent in the terminal');
      assert.equal(vscode.window.terminals.filter((t) => t.name === 'mcp-term').length, 1, 'typed into the same terminal');
      assert.equal(terminal.exitStatus, undefined);
      terminal.dispose();
    } finally {
      await s.close();
    }
  });

  it('tells VS Code when a repository comes and goes (and only then)', async () => {
    // Adding a workspace folder turns code-server's window into a new (untitled) workspace and reloads
    // it, ending this run: the registration is driven here by a stand-in for the repository list.
    const changed = new vscode.EventEmitter<void>();
    const models: { root: string; name: string }[] = [{ root: repo, name: path.basename(repo) }];
    const fake = { onDidChange: changed.event, models: () => models as unknown as RepositoryModel[], settled: () => Promise.resolve() };
    const log = vscode.window.createOutputChannel('axiom-mcp-test', { log: true });
    const reg = new McpRegistration(fake, extensionPath, '0.0.0', log, false);
    let fired = 0;
    reg.onDidChange(() => fired++);
    try {
      assert.equal(reg.registered, false);
      assert.deepEqual(reg.definitions().map((d) => d.repo), [repo]);
      changed.fire(); // a model changed, the repositories did not
      assert.equal(fired, 0);
      const second = path.join(scratch, 'other', path.basename(repo)); // same folder name: labels must differ
      models.push({ root: second, name: path.basename(second) });
      changed.fire();
      assert.equal(fired, 1);
      const defs = reg.definitions();
      assert.deepEqual(defs.map((d) => d.repo), [repo, second]);
      assert.deepEqual(defs.map((d) => d.args), [[script, '--repo', repo], [script, '--repo', second]]);
      assert.equal(new Set(defs.map((d) => d.label)).size, 2, `distinct labels: ${defs.map((d) => d.label).join(', ')}`);
      assert.equal((await reg.provide()).length, 2);
      models.splice(0, 1);
      changed.fire();
      assert.equal(fired, 2);
      assert.deepEqual(reg.definitions().map((d) => d.repo), [second]);
    } finally {
      reg.dispose();
      changed.dispose();
      log.dispose();
    }
  });
});
