/**
 * An engine refusal in words for a dialog, read from `AxiomError.details` generically: the files
 * (with their state in words, never git's `?`/`M`), the commits, and any other list the engine
 * adds, so a richer refusal shows without a change here.
 */
import { AxiomError, plural, type NextStep, type WorktreeStatus } from '../core';
import { changeWords } from './presentation';

const MAX_ITEMS = 15;
/** Details that are context, not lists of what is at stake. */
const NOT_LISTED = new Set(['path', 'branch', 'stderr', 'args', 'exitCode']);

function bullets(items: string[]): string[] {
  const shown = items.slice(0, MAX_ITEMS).map((i) => `• ${i}`);
  if (items.length > MAX_ITEMS) shown.push(`… and ${items.length - MAX_ITEMS} more`);
  return shown;
}

/** "ignoredFiles" → "ignored files". */
function words(key: string): string {
  return key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** One listed item of unknown shape: a string, or an object with a path/id/sha and maybe a kind. */
function itemText(item: unknown): string {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object') {
    const o = item as Record<string, unknown>;
    const name = [o.path, o.id, o.sha, o.ref, o.pid].find((v) => typeof v === 'string' || typeof v === 'number');
    const extra = [o.subject, o.kind, o.reason].find((v) => typeof v === 'string');
    if (name !== undefined) return extra ? `${String(name)} — ${String(extra)}` : String(name);
  }
  return JSON.stringify(item);
}

/** The uncommitted state of a file in words, from the row's status when it lists the file. */
function fileState(file: string, status: WorktreeStatus | undefined): string {
  const entry = status?.changes.find((c) => c.path === file);
  return entry ? changeWords(entry) : 'uncommitted';
}

/** The lines under a refusal's first line: what is at stake, in words. */
export function refusalLines(e: AxiomError, status?: WorktreeStatus): string[] {
  const details = e.details as Record<string, unknown>;
  const lines: string[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (NOT_LISTED.has(key) || !Array.isArray(value) || value.length === 0) continue;
    if (key === 'files') {
      lines.push(`${plural(value.length, 'uncommitted file')}:`);
      lines.push(...bullets(value.map((f) => (typeof f === 'string' ? `${f} — ${fileState(f, status)}` : itemText(f)))));
    } else if (key === 'commits') {
      lines.push(`${plural(value.length, 'commit')} not in ${status?.base ?? 'the base'}:`);
      lines.push(...bullets(value.map((c) => (c && typeof c === 'object' && 'sha' in c ? `${String(c.sha).slice(0, 10)} ${String((c as { subject?: unknown }).subject ?? '')}` : itemText(c)))));
    } else {
      lines.push(`${words(key)}:`);
      lines.push(...bullets(value.map(itemText)));
    }
    lines.push('');
  }
  if (lines.length > 0) return lines.slice(0, -1);
  // Nothing listed in the details: the message's own lines after the first.
  return e.message.split('\n').slice(1);
}

/** The first line of an error message (the dialog's title). */
export function headline(e: Error): string {
  return e.message.split('\n')[0] ?? e.message;
}

/** An engine refusal's next step (details.hint) in VS Code's words: the commands (buttons) and settings to use. */
export function vscodeHint(e: AxiomError): string {
  const next = e.details.hint?.next ?? [];
  return next.length ? `Next: ${next.map(vscodeStep).join(', or ')}.` : '';
}

function vscodeStep(step: NextStep): string {
  if ('config' in step) return `set "${step.config}" in .axiom.json`;
  if ('run' in step) return `use Evaluate on ${'task' in step ? `race ${step.task}` : step.id}`;
  switch (step.option) {
    case 'pick':
      return `use Merge into Base… on the member you choose${step.value !== undefined ? ` (${step.value})` : ''}`;
    case 'command':
    case 'evaluate':
      return 'give the evaluation command in Race Agents…';
    case 'agentCommand':
      return 'set the setting axiom.customAgentCommand';
    case 'remote':
      return 'choose the remote in Publish…';
  }
}
