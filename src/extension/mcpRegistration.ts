/**
 * The MCP server in VS Code: one stdio server definition per repository of the workspace, given to
 * VS Code through `vscode.lm.registerMcpServerDefinitionProvider` (VS Code 1.101+), so chat agents
 * inside VS Code can use `axiom_claude_orchestrate_worktree`. Older hosts lack the API: the provider is
 * simply not registered (feature-detected; the engine's @types/vscode is 1.100, hence the local
 * declarations below). The same command line feeds "Copy MCP Configuration".
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { mcpServerConfig, SERVER_NAME, type McpConfigInput, type McpServerConfig } from '../mcp/config';
import type { Repositories } from './repositories';
import { explicitClaudePermissionMode } from './settings';

/** package.json `contributes.mcpServerDefinitionProviders[].id`. */
export const MCP_PROVIDER_ID = 'axiom.mcpServers';

// The parts of the VS Code 1.101 API used here (absent from @types/vscode 1.100).
interface McpStdioServerDefinitionLike {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string | number | null>;
  cwd?: vscode.Uri;
  version?: string;
}
type McpStdioServerDefinitionCtor = new (
  label: string,
  command: string,
  args?: string[],
  env?: Record<string, string | number | null>,
  version?: string,
) => McpStdioServerDefinitionLike;
interface McpServerDefinitionProviderLike {
  readonly onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<McpStdioServerDefinitionLike[]>;
}
interface LanguageModelMcpApi {
  registerMcpServerDefinitionProvider(id: string, provider: McpServerDefinitionProviderLike): vscode.Disposable;
}

/** The MCP API of this VS Code, or undefined when it predates it. */
function mcpApi(): { lm: LanguageModelMcpApi; Definition: McpStdioServerDefinitionCtor } | undefined {
  const v = vscode as unknown as { lm?: Partial<LanguageModelMcpApi>; McpStdioServerDefinition?: unknown };
  if (typeof v.lm?.registerMcpServerDefinitionProvider !== 'function' || typeof v.McpStdioServerDefinition !== 'function') return undefined;
  return { lm: v.lm as LanguageModelMcpApi, Definition: v.McpStdioServerDefinition as McpStdioServerDefinitionCtor };
}

/** The Node that runs this extension host, usable as a plain `node` (Electron needs ELECTRON_RUN_AS_NODE). */
export function hostNode(): Pick<McpConfigInput, 'nodePath' | 'env'> {
  return process.versions.electron ? { nodePath: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } } : { nodePath: process.execPath };
}

export interface McpDefinition extends McpServerConfig {
  label: string;
  repo: string;
}

export class McpRegistration implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Fires when the definitions change: a repository came or went, or trust was granted. */
  readonly onDidChange = this.emitter.event;
  private readonly subs: vscode.Disposable[] = [];
  private key = '';
  /** Whether VS Code took the provider (false on hosts without the MCP API). */
  readonly registered: boolean;

  constructor(
    private readonly repos: Pick<Repositories, 'onDidChange' | 'models' | 'settled'>,
    private readonly extensionPath: string,
    private readonly version: string,
    log: vscode.LogOutputChannel,
    /** false: definitions and change events only, no provider given to VS Code (tests). */
    register = true,
  ) {
    this.key = this.currentKey();
    this.subs.push(
      repos.onDidChange(() => this.maybeChanged()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.maybeChanged()),
    );
    const api = register ? mcpApi() : undefined;
    let registered = false;
    if (api) {
      try {
        this.subs.push(
          api.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, {
            onDidChangeMcpServerDefinitions: this.onDidChange,
            provideMcpServerDefinitions: () => this.provide(),
          }),
        );
        registered = true;
      } catch (e) {
        log.warn('The MCP server definition provider could not be registered:', e);
      }
    } else if (register) {
      log.info('This VS Code has no MCP server definition API (1.101+): use "Axiom: Copy MCP Configuration" for other clients.');
    }
    this.registered = registered;
  }

  /** `dist/mcp.js` of this installed extension. */
  get script(): string {
    return path.join(this.extensionPath, 'dist', 'mcp.js');
  }

  /** The client configuration for one repository (the copy command and the provider use the same). */
  input(repo: string): McpConfigInput {
    return { ...hostNode(), mcpScript: this.script, repo };
  }

  /** One stdio server per repository; none in an untrusted workspace (nothing runs there). */
  definitions(): McpDefinition[] {
    if (!vscode.workspace.isTrusted) return [];
    const models = this.repos.models();
    const names = models.map((m) => m.name);
    return models.map((m) => {
      // Labels identify servers in VS Code: two repositories with one folder name get their paths.
      const label = names.filter((n) => n === m.name).length > 1 ? `${SERVER_NAME}: ${m.root}` : `${SERVER_NAME}: ${m.name}`;
      const config = mcpServerConfig(this.input(m.root));
      // The user's explicit axiom.claude.permissionMode reaches the headless agents this server starts.
      const mode = explicitClaudePermissionMode(vscode.Uri.file(m.root)).mode;
      if (mode) config.env = { ...config.env, AXIOM_CLAUDE_PERMISSION_MODE: mode };
      return { label, repo: m.root, ...config };
    });
  }

  /** What the provider hands VS Code: McpStdioServerDefinition objects (empty without the API). */
  async provide(): Promise<McpStdioServerDefinitionLike[]> {
    const api = mcpApi();
    if (!api) return [];
    await this.repos.settled();
    return this.definitions().map((d) => {
      const def = new api.Definition(d.label, d.command, d.args, d.env ?? {}, this.version);
      def.cwd = vscode.Uri.file(d.repo);
      return def;
    });
  }

  private currentKey(): string {
    return `${vscode.workspace.isTrusted}:${this.repos
      .models()
      .map((m) => m.root)
      .join('\0')}`;
  }

  private maybeChanged(): void {
    const key = this.currentKey();
    if (key === this.key) return;
    this.key = key;
    this.emitter.fire();
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
