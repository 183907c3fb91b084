/** The tool's behaviour, independent of the transport (tests and other hosts can call `call` directly). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AxiomEngine, type WorktreeStatus } from '../core';
import type { HeadlessHandle } from '../agents/headless';
import { runAction } from './actions';
import { list } from './actions/list';
import { readStatus } from './actions/status';
import type { AxiomMcpOptions, McpContext } from './context';
import type { SearchDrive } from './actions/exploreContext';
import { ok, toolError } from './refusal';
import { listResources, readResource, type ResourceEntry } from './resources';
import { parseToolArgs } from './schema';

export class AxiomMcp implements McpContext {
  private enginePromise: Promise<AxiomEngine> | null = null;
  readonly handles = new Map<string, HeadlessHandle>();
  readonly searches = new Map<string, SearchDrive>();
  readonly hookScript: string | null;

  constructor(readonly options: AxiomMcpOptions) {
    const defaultHook = path.join(__dirname, 'hook.js');
    this.hookScript = options.hookScript !== undefined ? options.hookScript : fs.existsSync(defaultHook) ? defaultHook : null;
  }

  /** Opened on first use, so a server started outside a repository still answers (with NotARepository). */
  engine(): Promise<AxiomEngine> {
    if (!this.enginePromise) {
      this.enginePromise = AxiomEngine.open(this.options.repo);
      this.enginePromise.catch(() => {
        this.enginePromise = null; // retry next call (the repository may be created later)
      });
    }
    return this.enginePromise;
  }

  /** One tool call: checked arguments, the action's handler, any failure as a tool error. */
  async call(raw: unknown): Promise<CallToolResult> {
    try {
      return ok(await runAction(this, parseToolArgs(raw)));
    } catch (e) {
      return toolError(e);
    }
  }

  status(id: string): Promise<WorktreeStatus> {
    return readStatus(this, id);
  }

  list(): Promise<Record<string, unknown>> {
    return list(this);
  }

  readResource(uri: string): Promise<{ uri: string; mimeType: string; text: string }> {
    return readResource(this, uri);
  }

  listResources(): Promise<ResourceEntry[]> {
    return listResources(this);
  }

  /**
   * Lets the process exit: drops our ends of the agents' stdin (the agents keep running) and stops
   * driving searches (each gives up its claim; `resume` goes on from the recorded tree).
   */
  dispose(): void {
    for (const d of this.searches.values()) d.controller.abort();
    for (const h of this.handles.values()) h.stdin?.destroy();
    this.handles.clear();
  }
}
