/** Every command id and tree context value in one place (package.json menus key on these). */
export const Commands = {
  spawn: 'axiom.spawn',
  spawnMany: 'axiom.spawnMany',
  openTerminal: 'axiom.openTerminal',
  startNewConversation: 'axiom.startNewConversation',
  showAgentLog: 'axiom.showAgentLog',
  stopAgent: 'axiom.stopAgent',
  changeAgent: 'axiom.changeAgent',
  openShell: 'axiom.openShell',
  openInNewWindow: 'axiom.openInNewWindow',
  addToWorkspace: 'axiom.addToWorkspace',
  revealInOS: 'axiom.revealInOS',
  copyPath: 'axiom.copyPath',
  showChanges: 'axiom.showChanges',
  openFileDiff: 'axiom.openFileDiff',
  merge: 'axiom.merge',
  publish: 'axiom.publish',
  refreshPullRequest: 'axiom.refreshPullRequest',
  cleanup: 'axiom.cleanup',
  cleanupMerged: 'axiom.cleanupMerged',
  restoreSalvage: 'axiom.restoreSalvage',
  repair: 'axiom.repair',
  refresh: 'axiom.refresh',
  showLog: 'axiom.showLog',
  copyMcpConfig: 'axiom.copyMcpConfig',
  installClaudeHooks: 'axiom.installClaudeHooks',
  showSetupLog: 'axiom.showSetupLog',
  retrySetup: 'axiom.retrySetup',
  explore: 'axiom.explore',
  evaluate: 'axiom.evaluate',
  compareWith: 'axiom.compareWith',
  branchFromHere: 'axiom.branchFromHere',
  landWinner: 'axiom.landWinner',
  landAllClean: 'axiom.landAllClean',
  search: 'axiom.search',
  stopSearch: 'axiom.stopSearch',
  continueSearch: 'axiom.continueSearch',
  landSearch: 'axiom.landSearch',
  compareWithParent: 'axiom.compareWithParent',
  openSearchNode: 'axiom.openSearchNode',
  refreshHistory: 'axiom.refreshHistory',
  sortBy: 'axiom.sortBy',
  sendToAgents: 'axiom.sendToAgents',
  instanceActions: 'axiom.instanceActions',
  addReviewComment: 'axiom.addReviewComment',
  deleteReviewComment: 'axiom.deleteReviewComment',
  sendReview: 'axiom.sendReview',
  /** Internal (not in the palette): activation time and model facts, for tests and bug reports. */
  diagnostics: 'axiom.diagnostics',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

/** `viewItem` context values of tree rows. Menus match them with regular expressions. */
export const ContextValues = {
  instance: 'instance',
  instanceMissing: 'instance-missing',
  main: 'worktree-main',
  foreign: 'worktree-foreign',
  file: 'file',
  repository: 'repository',
  group: 'group',
  race: 'race',
  /** A search driven by a live driver (this window or another process). */
  searchRunning: 'search-running',
  /** A search that runs but has no driver any more (Continue drives it here). */
  searchOrphaned: 'search-orphaned',
  searchEnded: 'search-ended',
  /** An attempt of a search with its evaluated state (a commit) and a parent node. */
  searchNode: 'search-node',
  /** The base of a search (node 0). */
  searchNodeBase: 'search-node-base',
  /** An attempt with no state (still at work, or it failed before its evaluation). */
  searchNodeEmpty: 'search-node-empty',
  historyRace: 'history-race',
  historyAttempt: 'history-attempt',
} as const;

export const VIEW_ID = 'axiom.instances';
export const HISTORY_VIEW_ID = 'axiom.history';
/** The Comments API controller of review comments on an instance's diff. */
export const REVIEW_CONTROLLER_ID = 'axiom.review';
export const OUTPUT_NAME = 'Axiom Worktrees';
export const BASE_SCHEME = 'axiom-base';
/** Context key: 'noFolder' | 'noRepository' | 'ready' (drives the welcome views). */
export const STATE_CONTEXT_KEY = 'axiom.state';
export const HAS_INSTANCES_CONTEXT_KEY = 'axiom.hasInstances';
