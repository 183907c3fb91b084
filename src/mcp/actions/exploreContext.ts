/**
 * What the exploration actions need from the server: the engine, the headless agents it started
 * (so `send` reaches race members too), how it starts agents, and the searches it drives. The
 * server's own context has all of this; the type is spelled out here so these actions do not depend
 * on how the server is built.
 */
import type { AxiomEngine, Search } from '../../core';
import type { HeadlessHandle } from '../../agents/headless';

/** A search this server drives, in the background: cancelled when the server closes (resume goes on). */
export interface SearchDrive {
  readonly controller: AbortController;
  /** The search's final record; null when driving it failed or was cancelled (see the server's log). */
  readonly done: Promise<Search | null>;
}

export interface ExploreMcpContext {
  engine(): Promise<AxiomEngine>;
  readonly handles: Map<string, HeadlessHandle>;
  readonly hookScript: string | null;
  readonly options: { nodePath?: string; claudePermissionMode?: string };
  /** The searches this server drives, by name. */
  readonly searches: Map<string, SearchDrive>;
}
