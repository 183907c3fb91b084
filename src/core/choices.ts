/**
 * The engine's fixed choices and the defaults the configuration file names, with no imports: the
 * CLI's front (help, option checks, completion) and the `.axiom.json` schema bundle load this module
 * without the engine (ARCHITECTURE §2.3). Each list is re-exported by the module that uses it.
 */

export const CONFIG_FILE = '.axiom.json';
export const WORKTREE_INCLUDE_FILE = '.worktreeinclude';
export const SHARE_MODES = ['clone', 'hardlink', 'symlink', 'none'] as const;
export type ShareMode = (typeof SHARE_MODES)[number];
export const DEFAULT_PORT_RANGE: readonly [number, number] = [4100, 4999];
export const DEFAULT_SETUP_TIMEOUT_SECONDS = 900;
export const MAX_PORTS = 64;

export const SCORE_DIRECTIONS = ['higher', 'lower'] as const;
export type ScoreDirection = (typeof SCORE_DIRECTIONS)[number];
export const DEFAULT_EVALUATION_TIMEOUT_SEC = 600;

export const MERGE_STRATEGIES = ['merge', 'squash', 'rebase', 'cherry-pick'] as const;
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

export const SELECT_MODES = ['uct', 'best'] as const;
export type SelectMode = (typeof SELECT_MODES)[number];
