/** How a WorktreeStatus looks in the tree: label, description, icon, tooltip, context value, order. Rendering only. */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { plural, sourceWords, type FileChange, type StatusEntry, type WorktreeStatus } from '../core';
import { ContextValues } from './commandIds';
import { AGENT_ICONS, agentLine, agentRowState, attentionWord, URGENT_AGENT_STATES, type AgentRowState } from './agentPresentation';

export type RowState = 'missing' | 'setupFailed' | 'settingUp' | 'locked' | 'conflicts' | 'merged' | 'dirty' | 'empty' | 'clean' | AgentRowState;

/** Most urgent first: the order of "Sort by state". */
export const ROW_STATE_ORDER: readonly RowState[] = [
  'missing',
  'setupFailed',
  'locked',
  'conflicts',
  'needs-approval',
  'waiting',
  'failed',
  'settingUp',
  'working',
  'starting',
  'dirty',
  'idle',
  'done',
  'clean',
  'empty',
  'merged',
];

export function dirtyCount(w: WorktreeStatus): number {
  return w.changes.length;
}

/**
 * How long after its terminal opened an agent that has not reported yet still counts as starting:
 * the row keeps spinning (no "clean" check in between) until the first phase event arrives.
 */
export const STARTING_GRACE_MS = 20_000;

/** A terminal was opened for the agent moments ago and it has not said anything yet. */
export function isSettling(w: WorktreeStatus, now = Date.now()): boolean {
  const taken = w.metadata?.terminal?.takenAt;
  if (w.agentState.phase !== 'unknown' || w.agentState.lastEvent || !taken) return false;
  return now - Date.parse(taken) < STARTING_GRACE_MS;
}

/** No commits of its own and no uncommitted change: nothing would be lost or merged. */
export function isEmpty(w: WorktreeStatus): boolean {
  return w.kind === 'instance' && w.dirty !== null && !w.merged && w.ahead === 0 && dirtyCount(w) === 0;
}

/** The one state a row shows, most urgent first. */
export function rowState(w: WorktreeStatus, now = Date.now()): RowState {
  if (w.prunable || w.dirty === null) return 'missing';
  // A spawn still provisioning holds the spawn lock: "setting up" says more than "locked".
  if (w.setup?.state === 'failed') return 'setupFailed';
  if (w.setup?.state === 'running' || (w.setup?.state === 'pending' && w.launch === 'terminal')) return 'settingUp';
  if (w.locked) return 'locked';
  if (w.conflictsWithBase) return 'conflicts';
  const agent = agentRowState(w.agentState);
  if (agent && (URGENT_AGENT_STATES.has(agent) || agent === 'working' || agent === 'starting')) return agent;
  // A terminal opened moments ago whose agent has not reported yet: still starting (no "clean" flicker).
  if (!agent && isSettling(w, now)) return 'starting';
  if (w.merged && dirtyCount(w) === 0) return 'merged';
  if (dirtyCount(w) > 0) return 'dirty';
  return agent ?? (isEmpty(w) ? 'empty' : 'clean');
}

const ICONS: Record<RowState, [string, string | undefined]> = {
  missing: ['warning', 'list.warningForeground'],
  setupFailed: ['error', 'list.errorForeground'],
  settingUp: ['loading~spin', undefined],
  locked: ['lock', undefined],
  conflicts: ['git-pull-request-closed', 'list.errorForeground'],
  merged: ['git-merge', 'gitDecoration.addedResourceForeground'],
  dirty: ['circle-filled', 'gitDecoration.modifiedResourceForeground'],
  empty: ['circle-large-outline', undefined],
  clean: ['pass', 'gitDecoration.addedResourceForeground'],
  ...AGENT_ICONS,
};

export function iconFor(w: WorktreeStatus, now = Date.now()): vscode.ThemeIcon {
  if (w.kind === 'main') return new vscode.ThemeIcon('home');
  if (w.kind === 'foreign') return new vscode.ThemeIcon('folder');
  const state = rowState(w, now);
  // Its agent never ran: nothing it did has been checked, so no green check (a neutral circle).
  if (state === 'clean' && agentWords(w)?.endsWith(' not started')) return new vscode.ThemeIcon('circle-large-outline');
  const [id, color] = ICONS[state];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

export function labelFor(w: WorktreeStatus): string {
  // A worktree Axiom did not make is known by its branch (its folder is in the description).
  if (w.kind === 'main' || w.kind === 'foreign') return w.branch ?? path.basename(w.path);
  return w.id ?? path.basename(w.path);
}

/** A folder as a person reads it: under the home folder as ~/… */
export function folderWords(p: string): string {
  const home = os.homedir();
  return home && (p === home || p.startsWith(home + path.sep)) ? `~${p.slice(home.length)}` : p;
}

/** The agent needs its person (approval, input, a failure), in words, or null. */
function agentAttention(w: WorktreeStatus): string | null {
  return w.kind === 'instance' ? attentionWord(w.agentState) : null;
}

/**
 * The agent and what it is doing, in words ("claude working", "codex failed (exit 1)"): the one
 * place rows and pickers get these words from.
 */
export function agentWords(w: WorktreeStatus): string | null {
  if (w.kind !== 'instance' || !w.agent) return null;
  const attention = agentAttention(w);
  if (attention) return `${w.agent} ${attention}`;
  switch (agentRowState(w.agentState)) {
    case 'starting':
      return `${w.agent} starting`;
    case 'working':
      return `${w.agent} working`;
    case 'idle':
      return `${w.agent} idle`;
    case 'done':
      return `${w.agent} done`;
    default:
      if (isSettling(w)) return `${w.agent} starting`;
      // Claude Code made it (its worktree hook) and runs there itself: not "not started".
      if (sourceWords(w.metadata)) return `${w.agent} (${sourceWords(w.metadata)})`;
      return w.metadata?.terminal?.takenAt || w.launch === 'headless' ? w.agent : `${w.agent} not started`;
  }
}

/** "landed (squash)": merged by Axiom with that strategy, or "landed" when the base simply contains it. */
export function landedWords(w: WorktreeStatus): string {
  return w.metadata?.merged && w.metadata.merged.headSha === w.head ? `landed (${w.metadata.merged.strategy})` : 'landed';
}

/**
 * The row's description, the news first and in one short word so a narrow side bar cuts off the
 * least important part: "conflict · 3 files, 1 uncommitted · ↑2 ↓1 · claude working" (what it
 * conflicts with, and in which files, is in the tooltip). `files` is the number of
 * changed files against the merge-base (the children the row expands to); null when not known.
 */
export function descriptionFor(w: WorktreeStatus, files: number | null = null): string {
  if (w.kind === 'main') return ['base', dirtyCount(w) ? plural(dirtyCount(w), 'uncommitted file') : '', path.basename(w.path)].filter(Boolean).join(' · ');
  const parts: string[] = [];
  if (w.setup?.state === 'failed') parts.push('setup failed');
  else if (rowState(w) === 'settingUp') parts.push('setting up');
  // An agent that needs its person leads ("needs approval", "failed to start"); the agent's name or
  // its words come last.
  const attention = agentAttention(w);
  if (attention) parts.push(attention);
  // An agent that ended with words (the last line a terminal agent printed) leads with them too.
  const ended = !attention && w.kind === 'instance' && agentRowState(w.agentState) === 'done' && w.agentState.reason ? 'done' : null;
  if (ended) parts.push(ended);
  // What the agent said last (its question, the permission it asks for, why it failed, its last line), short: the rest is in the tooltip.
  if ((attention || ended) && w.agentState.reason) parts.push(lastWord(w.agentState.reason));
  const uncommitted = dirtyCount(w);
  if (w.dirty === null) parts.push(w.prunable ? 'folder missing' : 'unavailable');
  if (w.locked) parts.push('locked');
  if (w.conflictsWithBase) parts.push('conflict');
  if (w.merged) {
    parts.push(landedWords(w));
    if (uncommitted) parts.push(plural(uncommitted, 'uncommitted file'));
  } else if (isEmpty(w)) {
    parts.push('empty');
  } else if (w.dirty !== null) {
    // The file count is what the row expands to (its changes against the merge-base).
    if (files !== null && files > uncommitted) parts.push(uncommitted ? `${plural(files, 'file')}, ${uncommitted} uncommitted` : plural(files, 'file'));
    else if (uncommitted) parts.push(plural(uncommitted, 'uncommitted file'));
    const arrows = [w.ahead ? `↑${w.ahead}` : '', w.behind ? `↓${w.behind}` : ''].filter(Boolean).join(' ');
    if (arrows) parts.push(arrows);
  }
  const published = publishedWords(w);
  if (published) parts.push(published);
  if (w.kind === 'foreign') {
    if (!w.branch && w.detached) parts.push(`detached ${w.head?.slice(0, 8) ?? ''}`);
    parts.push(folderWords(w.path));
  }
  const agent = attention || ended ? w.agent : agentWords(w);
  if (agent) parts.push(agent);
  return parts.filter(Boolean).join(' · ');
}

/** "PR #7 open", "PR #7 merged" (as last recorded; "PR open" when gh gave no number) or "pushed to origin" for a published instance; null otherwise. */
export function publishedWords(w: WorktreeStatus): string | null {
  const p = w.metadata?.published;
  if (!p) return null;
  return p.pr ? `PR ${p.pr.number !== null ? `#${p.pr.number} ` : ''}${p.pr.state}` : `pushed to ${p.remote}`;
}

/** The agent's last word for a row: its first line, at most `max` characters ("Which database should I…"). */
export function lastWord(reason: string, max = 32): string {
  const line = reason.trim().split('\n')[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

/** What a row knows beyond its status, for its context value (pending review comments live in the window). */
export interface RowFacts {
  /** Review comments on its files wait to be sent to its agent. */
  review?: boolean;
}

/**
 * The row's context value: its kind, then the facets its menu entries depend on, each after a dot
 * ("instance.setup.review"). package.json matches them with regular expressions:
 * `/^instance(\.|$)/` for every live instance, `/^instance\..*\bsetup\b/` for one with a setup.
 *   setup     it has setup commands (Show Setup Log, Retry Setup)
 *   agentLog  its agent writes a log: headless, or made by Claude Code's worktree hook (Show Agent Log)
 *   review    review comments wait to be sent (Send Review to Agent)
 *   pr        a pull request is recorded for it (Refresh Pull Request)
 */
export function contextValueFor(w: WorktreeStatus, facts: RowFacts = {}): string {
  if (w.kind === 'main') return ContextValues.main;
  if (w.kind === 'foreign') return ContextValues.foreign;
  if (w.dirty === null) return ContextValues.instanceMissing;
  const facets = [w.setup ? 'setup' : '', w.launch === 'headless' || w.metadata?.source ? 'agentLog' : '', facts.review ? 'review' : '', w.metadata?.published?.pr ? 'pr' : ''].filter(Boolean);
  return [ContextValues.instance, ...facets].join('.');
}

/**
 * Text as markdown that renders as itself: every markdown character escaped, and the colon too, so
 * that an agent's words ("https://…") never become a link. Agents' output reaches the tooltip.
 */
export function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~&:=$"']/g, '\\$&');
}

/** A web page as a markdown link: its text escaped, its target without the characters that would end it. */
function link(url: string): string {
  return `[${escape(url)}](${url.replace(/[()<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})`;
}

export function tooltipFor(w: WorktreeStatus): vscode.MarkdownString {
  const title = w.kind === 'instance' ? '' : w.kind === 'main' ? ' — the base: the main worktree, where instances merge into' : ' — not made by Axiom';
  const lines: string[] = [`**${escape(labelFor(w))}**${escape(title)}`, ''];
  const row = (k: string, v: string | null | undefined): void => {
    if (v) lines.push(`${k}: ${escape(v)}  `);
  };
  row('Path', w.path);
  row('Branch', w.branch);
  row('Base', w.base);
  if (w.ahead !== null && w.behind !== null) row('Against base', `${w.ahead} ahead, ${w.behind} behind`);
  if (w.dirty) row('Uncommitted', dirtyCount(w) === 0 ? 'none' : `${w.dirty.staged} staged, ${w.dirty.unstaged} unstaged, ${w.dirty.untracked} untracked, ${w.dirty.conflicted} conflicted`);
  if (w.conflictsWithBase) row(`Conflicts with ${w.base ?? 'the base'} in`, w.conflictFiles.join(', '));
  if (w.merged) row('Merged', w.metadata?.merged ? `into ${w.metadata.merged.into} (${w.metadata.merged.strategy})` : 'everything is in the base');
  if (w.locked) row('Locked', w.lockReason ?? 'yes');
  if (w.prunable) row('Missing', w.prunableReason ?? 'the folder is gone; run Repair Worktrees');
  row('Created', w.createdAt ? new Date(w.createdAt).toLocaleString() : null);
  row('Source', w.metadata?.source ? `${sourceWords(w.metadata)} (name ${w.metadata.source.name})` : null);
  // The row's own words ("claude not started", "claude needs approval"), then why: one word per state everywhere.
  const words = agentWords(w);
  if (words) row('Agent', w.agentState.reason ? `${words} — ${w.agentState.reason}` : words);
  else if (w.agent || w.agentState.phase !== 'unknown') row('Agent', agentLine(w.agent ?? 'agent', w.agentState));
  if (w.agentState.lastActivity) row('Last agent activity', new Date(w.agentState.lastActivity).toLocaleString());
  if (w.setup) {
    const how = w.setup.state === 'failed' ? ` (${w.setup.timedOut ? 'timed out' : `exit ${w.setup.exitCode ?? '?'}`}: ${w.setup.failedCommand ?? '?'})` : '';
    row('Setup', `${w.setup.state}${how}`);
  }
  if (w.ports.length) row('Ports', w.ports.join(', '));
  if (w.provisioned.length) row('Shared', w.provisioned.map((p) => `${p.path} (${p.mode})`).join(', '));
  if (w.included.length) row('Copied', w.included.join(', '));
  const pub = w.metadata?.published;
  if (pub) {
    row('Published', `${pub.branch} on ${pub.remote} at ${pub.pushedSha.slice(0, 10)} (${new Date(pub.pushedAt).toLocaleString()}), into ${pub.base}`);
    // The page is a link (opens in the browser); the rest is text.
    const checked = pub.pr?.checkedAt ? `, checked ${new Date(pub.pr.checkedAt).toLocaleString()}` : '';
    if (pub.pr) lines.push(`Pull request: ${link(pub.pr.url)} ${escape(`(${pub.pr.state}${checked})`)}  `);
    else if (pub.compareUrl) lines.push(`Pull request: ${escape('none yet — open one at')} ${link(pub.compareUrl)}  `);
  }
  row('Prompt', w.prompt ? (w.prompt.length > 200 ? w.prompt.slice(0, 200) + '…' : w.prompt) : null);
  if (w.lastCommit) row('Last commit', `${w.lastCommit.sha.slice(0, 10)} ${w.lastCommit.subject} (${new Date(w.lastCommit.date * 1000).toLocaleString()})`);
  const md = new vscode.MarkdownString(lines.join('\n'));
  md.supportThemeIcons = false;
  return md;
}

/** A one-letter status for a changed file (A, M, D, ?, U). */
export function letterFor(change: FileChange | StatusEntry): string {
  if ('status' in change) return change.status;
  if (change.kind === 'untracked') return '?';
  if (change.kind === 'conflicted') return 'U';
  const code = change.worktree !== '.' ? change.worktree : change.index;
  return code ?? 'M';
}

const LETTER_WORDS: Record<string, string> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'type changed',
  U: 'conflicted',
  '?': 'untracked',
};

/** An uncommitted file's state in words ("untracked", "modified, staged"), never git's letters. */
export function changeWords(change: StatusEntry): string {
  if (change.kind === 'untracked') return 'untracked';
  if (change.kind === 'conflicted') return 'conflicted';
  const staged = change.index !== '.' && change.index !== '?';
  const letter = change.worktree !== '.' ? change.worktree : change.index;
  const word = LETTER_WORDS[letter] ?? 'changed';
  return staged && change.worktree === '.' ? `${word}, staged` : word;
}

// ───────────────────────── order ─────────────────────────

export const SORT_KEYS = ['name', 'created', 'state', 'activity'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** "x2" before "x10": numbers inside ids compare as numbers. */
const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function compareNames(a: string, b: string): number {
  return natural.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The latest sign of life: the agent's last event or the last commit, in ms (0 when none). */
export function lastActivity(w: WorktreeStatus): number {
  const agent = w.agentState.lastActivity ? Date.parse(w.agentState.lastActivity) : 0;
  const commit = w.lastCommit ? w.lastCommit.date * 1000 : 0;
  return Math.max(agent || 0, commit);
}

/**
 * Instances in view order: by name (natural), creation (oldest first), state (most urgent first)
 * or last activity (most recent first); ties by name.
 */
export function sortInstances(list: readonly WorktreeStatus[], key: SortKey, now = Date.now()): WorktreeStatus[] {
  const name = (w: WorktreeStatus): string => w.id ?? path.basename(w.path);
  const by: Record<SortKey, (a: WorktreeStatus, b: WorktreeStatus) => number> = {
    name: () => 0,
    created: (a, b) => (a.createdAt ? Date.parse(a.createdAt) : 0) - (b.createdAt ? Date.parse(b.createdAt) : 0),
    state: (a, b) => ROW_STATE_ORDER.indexOf(rowState(a, now)) - ROW_STATE_ORDER.indexOf(rowState(b, now)),
    activity: (a, b) => lastActivity(b) - lastActivity(a),
  };
  return [...list].sort((a, b) => by[key](a, b) || compareNames(name(a), name(b)));
}
