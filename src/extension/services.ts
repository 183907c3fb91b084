/** What the commands need, built once in activate(). */
import type * as vscode from 'vscode';
import type { McpRegistration } from './mcpRegistration';
import type { Repositories } from './repositories';
import type { TerminalManager } from './terminals';
import type { Explorations } from './exploration';
import type { Searches } from './searches';
import type { HistoryView } from './historyView';
import type { Review } from './review';
import type { ThisWindow } from './thisWindow';
import type { Node } from './tree';

export interface Services {
  repos: Repositories;
  terminals: TerminalManager;
  mcp: McpRegistration;
  /** Races, rankings, conflict forecast and automatic evaluation per repository. */
  explorations: Explorations;
  /** Searches per repository, and the drivers of the searches this window runs. */
  searches: Searches;
  history: HistoryView;
  review: Review;
  thisWindow: ThisWindow;
  log: vscode.LogOutputChannel;
  /** The Instances view: a command that makes a row reveals and selects it there. */
  view: vscode.TreeView<Node>;
  /** Milliseconds activate() took, measured inside the extension host. */
  activationMs: () => number;
  /** Milliseconds from activation to the first snapshot of every repository (0 until then). */
  readyMs: () => number;
}
