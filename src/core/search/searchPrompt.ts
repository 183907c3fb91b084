/**
 * The prompt a search gives each child (issue 18), and the feedback it carries. Pure.
 *
 * The template's placeholders: {task} (the search's task), {passed} (yes/no), {score} (the parent's
 * score, or "none"), {feedback} (what the parent's evaluation said), {diffstat} (the size of the
 * parent's change from the base). The default is {@link DEFAULT_SEARCH_TEMPLATE}; `.axiom.json`
 * `search.prompt` replaces it. An unknown `{word}` is left as it is.
 *
 * Feedback = the `AXIOM_FEEDBACK=` lines of the evaluation's log when it printed any, else the last
 * lines of its log (Axiom's own `--- axiom:` lines left out), at most {@link MAX_FEEDBACK_CHARS}.
 */
import type { DiffSize } from '../explore/attempts';
import { MAX_FEEDBACK_CHARS, type NodeResult } from './searchRecord';

export const DEFAULT_SEARCH_TEMPLATE = [
  '{task}',
  '',
  'You start from an earlier attempt at this task: its work is already in this worktree.',
  'Its evaluation: passed {passed}, score {score}; its changes so far: {diffstat}.',
  'What the evaluation said:',
  '{feedback}',
  '',
  'Improve on it: fix what the evaluation reports, keep what already works, and commit your work.',
].join('\n');

export const TEMPLATE_PLACEHOLDERS = ['task', 'passed', 'score', 'feedback', 'diffstat'] as const;

const FEEDBACK_LINE = /^\s*AXIOM_FEEDBACK=(.*)$/;

/** Keeps the end of `text` within `max` characters (whole lines where it can), marking the cut. */
function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(text.length - max + 2);
  const nl = cut.indexOf('\n');
  return '…\n' + (nl >= 0 && nl < cut.length - 1 ? cut.slice(nl + 1) : cut);
}

/**
 * The feedback of one evaluation from its log (the whole log file of the instance may hold earlier
 * evaluations: only the last one, from its `--- axiom: … evaluating` line, counts).
 */
export function feedbackOf(log: string, max = MAX_FEEDBACK_CHARS): string {
  const all = log.split(/\r?\n/);
  let from = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    if (/^--- axiom: .* evaluating with /.test(all[i]!)) {
      from = i + 1;
      break;
    }
  }
  const lines = all.slice(from);
  const flagged = lines.flatMap((l) => {
    const m = FEEDBACK_LINE.exec(l);
    return m ? [m[1]!.trim()] : [];
  });
  if (flagged.length > 0) return tail(flagged.join('\n'), max);
  const own = /^--- axiom: |^axiom: /;
  const body = lines.filter((l) => !own.test(l)).join('\n').trim();
  return tail(body, max);
}

export function describeDiff(diff: DiffSize | null): string {
  if (!diff) return 'unknown';
  if (diff.files === 0) return 'no changes';
  return `${diff.files} file${diff.files === 1 ? '' : 's'} changed, +${diff.added} −${diff.deleted}`;
}

/** The prompt of a child of a node with this result. */
export function buildPrompt(template: string, task: string, parent: NodeResult | null): string {
  const values: Record<(typeof TEMPLATE_PLACEHOLDERS)[number], string> = {
    task,
    passed: parent ? (parent.passed ? 'yes' : 'no') : 'not evaluated',
    score: parent?.score !== null && parent?.score !== undefined ? String(parent.score) : 'none',
    feedback: parent?.feedback.trim() ? parent.feedback : '(nothing)',
    diffstat: describeDiff(parent?.diff ?? null),
  };
  // One pass: a value that contains "{task}" is not filled again.
  return template.replace(/\{(task|passed|score|feedback|diffstat)\}/g, (_, key: keyof typeof values) => values[key]);
}
