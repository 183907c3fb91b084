/** The documents `status` and `list` return: views of the engine's WorktreeStatus. */
import * as path from 'node:path';
import { sourceWords, type WorktreeStatus } from '../core';

export function statusView(s: WorktreeStatus): Record<string, unknown> {
  const terminal = s.metadata?.terminal;
  return {
    instanceId: s.id,
    kind: s.kind,
    worktreePath: s.path,
    branch: s.branch,
    base: s.base,
    head: s.head,
    dirty: s.dirty === null ? null : s.dirty.staged + s.dirty.unstaged + s.dirty.untracked + s.dirty.conflicted > 0,
    dirtyCounts: s.dirty,
    changes: s.changes.slice(0, 50).map((c) => ({ path: c.path, kind: c.kind })),
    ...(s.changes.length > 50 ? { changesTruncated: s.changes.length } : {}),
    aheadBehind: { ahead: s.ahead, behind: s.behind },
    conflictsWithBase: s.conflictsWithBase,
    conflictFiles: s.conflictFiles,
    merged: s.merged,
    locked: s.locked,
    missing: s.dirty === null,
    agent: s.agent,
    launch: s.launch,
    // Who asked for the instance when not Axiom's own front ends ("Claude Code worktree"); null otherwise.
    source: sourceWords(s.metadata),
    agentPhase: s.agentState.phase,
    ...(s.agentState.exitCode !== undefined ? { exitCode: s.agentState.exitCode } : {}),
    ...(s.agentState.reason !== undefined ? { reason: s.agentState.reason } : {}),
    ...(s.agentState.pid !== undefined ? { pid: s.agentState.pid } : {}),
    sessionId: s.agentState.sessionId ?? s.metadata?.session?.id ?? null,
    lastActivity: s.agentState.lastActivity,
    ...(terminal ? { terminal: { requestedAt: terminal.requestedAt, takenAt: terminal.takenAt ?? null, pending: !terminal.takenAt } } : {}),
    lastCommit: s.lastCommit,
    createdAt: s.createdAt,
    // Ready-to-run instances: the setup's state and the leased ports.
    setup: s.setup ? { state: s.setup.state, exitCode: s.setup.exitCode, logFile: s.setup.logFile } : null,
    ports: s.ports,
    // Published: where the branch was pushed and the pull request (or the page to open one).
    published: s.metadata?.published ?? null,
    pullRequest: s.metadata?.published?.pr ?? null,
    ...(s.adminDir && s.launch === 'headless' ? { logFile: path.join(s.adminDir, 'axiom-agent.log') } : {}),
  };
}

/** The cheap row of `list`: the fields of `status` an orchestrator scans, nothing per-file. */
const LIST_FIELDS = ['instanceId', 'kind', 'worktreePath', 'branch', 'base', 'dirty', 'aheadBehind', 'merged', 'agentPhase', 'exitCode', 'reason', 'lastActivity', 'source', 'pullRequest'];

export function listRow(s: WorktreeStatus): Record<string, unknown> {
  const full = statusView(s);
  return Object.fromEntries(LIST_FIELDS.filter((k) => k in full).map((k) => [k, full[k]]));
}
