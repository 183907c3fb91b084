/** Human-readable output of the exploration verbs (race, evaluate, rank, land, conflicts, history). */
import { plural } from '../core/text';
import type { AgentStats, AttemptRow, EvaluationRecord, Forecast, Race, RankRow } from '../core';

function seconds(ms: number | null): string {
  return ms === null ? '–' : ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function result(passed: boolean | null, exitCode: number | null, timedOut = false): string {
  if (passed === null) return 'not evaluated';
  if (passed) return 'passed';
  return timedOut ? 'timed out' : exitCode === null ? 'failed' : `failed (exit ${exitCode})`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function describeEvaluation(e: EvaluationRecord): string {
  const score = e.score === null ? '' : `, score ${e.score}`;
  const state = e.snapshot ? ` (uncommitted work included: ${e.commit.slice(0, 10)})` : ` at ${e.head.slice(0, 10)}`;
  return `${e.id}: ${result(e.passed, e.exitCode, e.timedOut)}${score} in ${seconds(e.durationMs)}${state}`;
}

export function formatRanking(race: Race, rows: RankRow[]): string {
  const head = `Race ${race.task}: ${plural(race.members.length, 'member')} from ${race.base}, ${race.evaluate.score} score is better\n`;
  const body = table(
    ['#', 'id', 'result', 'score', 'diff', 'eval', 'agent'],
    rows.map((r) => [
      String(r.rank),
      r.id,
      result(r.passed, r.exitCode, r.timedOut) + (r.stale ? ' (stale)' : '') + (r.live ? '' : ' (gone)'),
      r.score === null ? '–' : String(r.score),
      r.diff ? `+${r.diff.added} −${r.diff.deleted} in ${plural(r.diff.files, 'file')}` : '–',
      seconds(r.durationMs),
      `${r.agent ?? '–'}${r.agentPhase && r.agentPhase !== 'exited' && r.agentPhase !== 'unknown' ? ` (${r.agentPhase})` : ''}`,
    ]),
  );
  return head + body;
}

export function formatForecast(f: Forecast): string {
  const lines = [`${plural(f.instances.length, 'instance')} with commits, ${plural(f.checkedPairs, 'pair')} checked (${f.cachedPairs} from the cache).`];
  if (f.pairs.length === 0 && f.withBase.length === 0) lines.push('No conflicts.');
  for (const p of f.pairs) lines.push(`  ${p.a} × ${p.b}: ${p.files.join(', ')}`);
  for (const w of f.withBase) lines.push(`  ${w.id} × its base: ${w.files.join(', ')}`);
  if (f.order.length) lines.push(`Landing order: ${f.order.join(' → ')} (${f.clean.length} of ${f.order.length} land cleanly).`);
  return lines.join('\n') + '\n';
}

export function formatHistory(rows: AttemptRow[]): string {
  if (rows.length === 0) return 'No attempts yet: start a race (axiom race) or evaluate an instance.\n';
  return table(
    ['race', 'id', 'agent', 'result', 'score', 'agent time', 'outcome'],
    rows.map((r) => [r.race ?? '–', r.id, r.agent ?? '–', result(r.passed, null), r.score === null ? '–' : String(r.score), seconds(r.durationMs), r.outcome]),
  );
}

export function formatStats(stats: AgentStats[]): string {
  if (stats.length === 0) return 'No attempts yet.\n';
  const num = (n: number | null, digits: number): string => (n === null ? '–' : n.toFixed(digits));
  return (
    table(
      ['agent', 'attempts', 'evaluated', 'pass rate', 'mean gain', 'UCB', 'wins', 'median time'],
      stats.map((s) => [s.agent, String(s.attempts), String(s.evaluated), s.passRate === null ? '–' : `${Math.round(s.passRate * 100)}%`, num(s.meanGain, 2), num(s.ucb, 3), String(s.wins), seconds(s.medianDurationMs)]),
    ) + 'mean gain: score gained over the parent node by its search attempts; UCB: the value a search\'s choice of agent gives it (UCB1 on pass rate and score gain over every evaluated attempt).\n'
  );
}
