/** Human-readable pieces of the CLI's output. */
import type { InstanceMetadata, WorktreeStatus } from '../core';
import { backend } from './lazy';

export function formatCounts(s: WorktreeStatus): string {
  if (!s.dirty) return s.prunable ? 'folder missing' : 'bare repository';
  const d = s.dirty;
  const parts = [
    d.staged ? `${d.staged} staged` : '',
    d.unstaged ? `${d.unstaged} modified` : '',
    d.untracked ? `${d.untracked} untracked` : '',
    d.conflicted ? `${d.conflicted} conflicted` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'clean';
}

export function formatStatusLine(s: WorktreeStatus): string {
  const name = s.kind === 'instance' ? s.id! : s.kind === 'main' ? '(main)' : '(foreign)';
  const ab = s.ahead === null ? '' : ` ↑${s.ahead} ↓${s.behind}`;
  const flags = [
    s.locked ? 'locked' : '',
    s.prunable ? 'prunable' : '',
    s.merged ? 'merged' : '',
    s.conflictsWithBase ? 'conflicts' : '',
    s.setup?.state === 'failed' ? 'setup failed' : '',
    backend().sourceWords(s.metadata) ?? '',
    publishedFlag(s.metadata),
  ]
    .filter(Boolean)
    .join(',');
  const agent = s.kind === 'instance' && s.agentState.phase !== 'unknown' ? ` [${backend().describeAgentState(s.agentState)}]` : '';
  return `${name.padEnd(20)} ${(s.branch ?? '(detached)').padEnd(36)} ${formatCounts(s)}${ab}${flags ? ` (${flags})` : ''}${agent}  ${s.path}${s.problem ? `
${' '.repeat(21)}! ${s.problem}` : ''}`;
}

/** "PR open", "PR draft", "PR merged", "PR closed" (as last recorded) or "pushed" (published without a pull request); '' when not published. */
export function publishedFlag(meta: InstanceMetadata | null | undefined): string {
  const p = meta?.published;
  if (!p) return '';
  return p.pr ? `PR ${p.pr.state}` : 'pushed';
}

/** `axiom status`'s lines about a published instance: where it was pushed and its pull request (or the page to open one). */
export function publishedLines(meta: InstanceMetadata | null | undefined): string[] {
  const p = meta?.published;
  if (!p) return [];
  const where = p.pr ? `  pull request: ${p.pr.url} (${p.pr.state}${p.pr.checkedAt ? `, checked ${p.pr.checkedAt}` : ''})` : p.compareUrl ? `  open a PR:    ${p.compareUrl}` : '';
  return [`  published: ${p.branch} on ${p.remote} at ${p.pushedSha.slice(0, 10)} (${p.pushedAt}), into ${p.base}`, ...(where ? [where] : [])];
}

export function relativeTime(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** Setup, ports and what was provisioned (ready-to-run instances), for `axiom status`. */
export function readyLines(s: WorktreeStatus): string[] {
  const lines: string[] = [];
  if (s.setup) {
    const how =
      s.setup.state === 'failed'
        ? ` (${s.setup.timedOut ? 'timed out' : `exit ${s.setup.exitCode ?? '?'}`}: ${s.setup.failedCommand ?? '?'}; log ${s.setup.logFile})`
        : '';
    lines.push(`  setup:   ${s.setup.state}${how}`);
  }
  if (s.ports.length) lines.push(`  ports:   ${s.ports.join(', ')}`);
  for (const p of s.provisioned) lines.push(`  shared:  ${p.path} (${p.mode})`);
  if (s.included.length) lines.push(`  copied:  ${s.included.join(', ')}`);
  return lines;
}
