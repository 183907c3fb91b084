/** What every action of the tool works with: the engine (opened on first use) and the agents this server started. */
import type { AxiomEngine } from '../core';
import type { HeadlessHandle } from '../agents/headless';
import type { SearchDrive } from './actions/exploreContext';

export interface AxiomMcpOptions {
  /** Any folder of the repository (or of one of its worktrees). */
  repo: string;
  /** The bundled hook script for agents that report their phase through hooks (default: dist/hook.js beside this bundle). */
  hookScript?: string | null;
  /** Node runtime for hooks and the headless wrapper (default: this process's). */
  nodePath?: string;
  /** Claude's --permission-mode, chosen explicitly by whoever started the server (else git config, else acceptEdits). */
  claudePermissionMode?: string;
}

export interface McpContext {
  readonly options: AxiomMcpOptions;
  readonly hookScript: string | null;
  /** Headless agents this server started, by admin dir: only these can receive `send`. */
  readonly handles: Map<string, HeadlessHandle>;
  /** The searches this server drives (in the background), by name. */
  readonly searches: Map<string, SearchDrive>;
  engine(): Promise<AxiomEngine>;
}
