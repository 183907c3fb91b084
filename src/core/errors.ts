/**
 * Typed errors of the engine. Every failure a front end can meet is an AxiomError with a code;
 * front ends turn codes into messages, exit codes and actions in exactly one place each.
 */

export type AxiomErrorCode =
  | 'InvalidId'
  | 'InvalidArgument'
  | 'LimitReached'
  | 'AlreadyExists'
  | 'BranchCheckedOut'
  | 'BaseNotFound'
  | 'NotFound'
  | 'DirtyWorktree'
  | 'UnmergedCommits'
  | 'TargetDirty'
  | 'MergeConflict'
  | 'NothingToMerge'
  | 'Locked'
  | 'NotARepository'
  | 'ForeignWorktree'
  | 'Untrusted'
  | 'AgentRunning'
  | 'WorktreeLocked'
  | 'OperationInProgress'
  | 'TargetMoved'
  | 'StrategyUnsupported'
  | 'NestedRepository'
  | 'IoFailed'
  | 'WorktreeMoved'
  | 'WorktreeDamaged'
  | 'AgentNotFound'
  | 'NoWinner'
  | 'StaleEvaluation'
  | 'AlreadyLanded'
  | 'HasChildren'
  | 'ProvisionedCommitted'
  | 'InvalidConfig'
  | 'SetupFailed'
  | 'TeardownFailed'
  | 'AgentNotRunning'
  | 'NoRemote'
  | 'PushRejected'
  | 'GitFailed';

/** Details that let a caller show exactly what is at stake (files, commits, paths). */
export interface AxiomErrorDetails {
  files?: string[];
  commits?: { sha: string; subject: string }[];
  conflicts?: string[];
  path?: string;
  branch?: string;
  /** A setup or teardown log, and its last lines. */
  logFile?: string;
  logTail?: string;
  stderr?: string;
  args?: string[];
  exitCode?: number;
  /** Ignored files a cleanup would delete (never salvaged: they may hold secrets). */
  ignored?: { count: number; bytes: number; sample: string[] };
  /** Instances concerned (ids that already exist, for a spawn of several). */
  ids?: string[];
  /** Several at once: the folders concerned, the instances finished before a failure, the one that failed. */
  paths?: string[];
  spawned?: string[];
  failed?: string;
  /** The instance limit, how many are live, how many were asked for. */
  limit?: number;
  live?: number;
  requested?: number;
  /** What to do next, in the engine's terms: each front end words it (CLI flags, MCP arguments, VS Code commands). */
  hint?: Hint;
}

/** An option of the refused operation, by its engine name (each front end has its own spelling of it). */
export type HintOption = 'pick' | 'command' | 'evaluate' | 'agentCommand' | 'remote';

/** One way forward: pass an option of the refused operation, run another operation first, or set a configuration key. */
export type NextStep =
  | { option: HintOption; value?: string }
  | { run: 'evaluate'; task: string }
  | { run: 'evaluate'; id: string }
  | { config: 'evaluate' };

export interface Hint {
  /** Alternatives, the likeliest first. */
  next: NextStep[];
}

export class AxiomError extends Error {
  constructor(
    readonly code: AxiomErrorCode,
    message: string,
    readonly details: AxiomErrorDetails = {},
  ) {
    super(message);
    this.name = 'AxiomError';
  }

  toJSON(): { code: AxiomErrorCode; message: string; details: AxiomErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isAxiomError(e: unknown, code?: AxiomErrorCode): e is AxiomError {
  return e instanceof AxiomError && (code === undefined || e.code === code);
}

/** Codes that mean "refused to protect work or by a rule" (CLI exit code 3). */
export const REFUSAL_CODES: ReadonlySet<AxiomErrorCode> = new Set<AxiomErrorCode>([
  'LimitReached',
  'DirtyWorktree',
  'UnmergedCommits',
  'TargetDirty',
  'BranchCheckedOut',
  'AlreadyExists',
  'ForeignWorktree',
  'Locked',
  'Untrusted',
  'NothingToMerge',
  'AgentRunning',
  'WorktreeLocked',
  'OperationInProgress',
  'TargetMoved',
  'StrategyUnsupported',
  'NestedRepository',
  'WorktreeMoved',
  'WorktreeDamaged',
  'NoWinner',
  'StaleEvaluation',
  'AlreadyLanded',
  'HasChildren',
  'ProvisionedCommitted',
  'SetupFailed',
  'TeardownFailed',
  'AgentNotRunning',
  'NoRemote',
  'PushRejected',
]);

/** Patterns of git's stderr (LC_ALL=C) mapped to codes; first match wins. */
const STDERR_RULES: { pattern: RegExp; code: AxiomErrorCode }[] = [
  { pattern: /not a git repository/i, code: 'NotARepository' },
  { pattern: /already checked out at|is already used by worktree|is already checked out/i, code: 'BranchCheckedOut' },
  { pattern: /already exists/i, code: 'AlreadyExists' },
  { pattern: /index\.lock|could not lock|unable to create .*\.lock|cannot lock ref/i, code: 'Locked' },
  { pattern: /invalid reference|not a valid object name|unknown revision|bad revision|not a commit/i, code: 'BaseNotFound' },
  { pattern: /CONFLICT|could not apply|Merge conflict/i, code: 'MergeConflict' },
  { pattern: /contains modified or untracked files|uncommitted changes|would be overwritten/i, code: 'DirtyWorktree' },
];

/** How much of git's stderr a message carries (the whole of it goes to `details.stderr`, bounded). */
const MAX_MESSAGE_LINES = 25;
const MAX_STDERR_CHARS = 16 * 1024;

/** Classifies a failed git command by its stderr; git's own words are kept, never swallowed. */
export function classifyGitFailure(args: readonly string[], exitCode: number, stderr: string): AxiomError {
  const text = stderr.trim().slice(0, MAX_STDERR_CHARS);
  const rule = STDERR_RULES.find((r) => r.pattern.test(text));
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  // "…would be overwritten by merge:" is useless without the file list that follows it.
  const shown = lines.slice(0, MAX_MESSAGE_LINES);
  if (lines.length > shown.length) shown.push(`… and ${lines.length - shown.length} more lines`);
  const body = shown.length === 0 ? `exit code ${exitCode}` : shown.length === 1 ? shown[0]! : `\n${shown.join('\n')}`;
  return new AxiomError(rule?.code ?? 'GitFailed', `git ${args[0] ?? ''} failed: ${body}`, {
    stderr: text,
    args: [...args],
    exitCode,
  });
}
