/**
 * What the exploration actions need from the server: the engine, the headless agents it started
 * (so `send` reaches race members too), and how it starts agents. The server's own context has all
 * of this; the type is spelled out here so these actions do not depend on how the server is built.
 */
import type { AxiomEngine } from '../../core';
import type { HeadlessHandle } from '../../agents/headless';

export interface ExploreMcpContext {
  engine(): Promise<AxiomEngine>;
  readonly handles: Map<string, HeadlessHandle>;
  readonly hookScript: string | null;
  readonly options: { nodePath?: string; claudePermissionMode?: string };
}
