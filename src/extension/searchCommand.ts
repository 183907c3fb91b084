/**
 * Search…: name, task, evaluation (prefilled from .axiom.json), agents (as Race Agents… takes
 * them: how many at once, or a mix), attempts, and optionally minutes and a target score; then the
 * search is recorded and this window drives it (the rules of the options are the engine's).
 */
import * as vscode from 'vscode';
import { AxiomError, SEARCH_DEFAULTS, describeInvalidSearchName, mixNamesCustom, searchDefaults, startSearch, withOperationMemo, type Search, type SearchOptions } from '../core';
import { AGENT_NAMES } from '../agents/presets';
import { Cancelled, type Invocation } from './invocation';
import type { Services } from './services';
import { readSettings, spawnOptionsFromSettings } from './settings';

const STEPS = 7;
const title = (step: number): string => `Axiom: Search (${step}/${STEPS})`;

function wholeNumber(v: string, min: number, what: string): string | null {
  return /^\d+$/.test(v.trim()) && Number(v) >= min ? null : `${what} is a whole number ≥ ${min}.`;
}

function optionalNumber(v: string, positive: boolean): string | null {
  if (!v.trim()) return null;
  const n = Number(v);
  return Number.isFinite(n) && (!positive || n > 0) ? null : `A number${positive ? ' > 0' : ''}, or empty for none.`;
}

/**
 * Agents as Race Agents… takes them: a count of the default agent (that many at once), or a mix
 * taken in turn — counted (claude:2,codex:1: that many at once) or not (claude,codex: one each).
 */
export function agentsOf(text: string, defaultAgent: string): Pick<SearchOptions, 'agents' | 'parallel'> {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { agents: `${defaultAgent}:1`, parallel: Number(t) };
  const parts = t.split(',').map((p) => p.trim()).filter(Boolean);
  const counts = parts.map((p) => /:(\d+)$/.exec(p)?.[1]);
  if (parts.length > 0 && counts.every((c) => c !== undefined)) return { agents: parts.join(','), parallel: counts.reduce((sum, c) => sum + Number(c), 0) };
  // Not counted: each agent once in the turn (the engine refuses a mix that counts only some).
  return { agents: counts.some((c) => c !== undefined) ? t : parts.map((p) => `${p}:1`).join(',') };
}

export interface SearchCommandResult {
  search: Search;
  /** This window drives it (false when asked not to). */
  driving: boolean;
}

export async function searchCommand(s: Services, inv: Invocation): Promise<SearchCommandResult> {
  const model = await inv.model(s.repos);
  await model.ready();
  const state = s.searches.of(model);
  await state.refresh();
  const name = await inv.text('search', {
    title: title(1),
    prompt: 'Search name: its attempts are <name>-n1, <name>-n2, …',
    placeHolder: 'e.g. fix-login',
    validateInput: (v) => describeInvalidSearchName(v) ?? (state.find(v) ? `A search named ${v} exists.` : null),
  });
  if (name === undefined) {
    if (inv.headless) throw new AxiomError('InvalidArgument', 'A search needs its name: pass { search }.');
    throw new Cancelled();
  }
  const task = await inv.text('prompt', {
    title: title(2),
    prompt: 'The task: every attempt gets it, with its parent attempt\'s score and the evaluation\'s feedback',
    validateInput: (v) => (v.trim() ? null : 'A search needs its task.'),
  });
  if (task === undefined) throw new Cancelled();
  // Only a prefill: a broken configuration is reported by the start itself.
  const configured = await model.engine.explore.configuredEvaluation().catch(() => null);
  const evaluate = await inv.text('evaluate', {
    title: title(3),
    prompt: 'Evaluation command run on each attempt (exit 0 = passed; AXIOM_SCORE=<number> scores it; AXIOM_FEEDBACK=<text> lines are its feedback)',
    value: configured?.command ?? '',
    placeHolder: 'e.g. npm test',
    validateInput: (v) => (v.trim() ? null : 'A search needs an evaluation command.'),
  });
  if (evaluate === undefined) throw new Cancelled();
  const settings = readSettings(vscode.Uri.file(model.root));
  const mixText = inv.headless
    ? (inv.args?.agents ?? String(inv.args?.parallel ?? SEARCH_DEFAULTS.parallel))
    : await vscode.window.showInputBox({
        title: title(4),
        prompt: `How many agents at once (${settings.defaultAgent}), or a mix taken in turn such as claude:2,codex:1 (agents: ${AGENT_NAMES.join(', ')})`,
        value: String(SEARCH_DEFAULTS.parallel),
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? null : 'How many agents, or which.'),
      });
  if (mixText === undefined) throw new Cancelled();
  const attemptsText = inv.headless
    ? String(inv.args?.attempts ?? SEARCH_DEFAULTS.attempts)
    : await vscode.window.showInputBox({ title: title(5), prompt: 'Attempts at most (the budget)', value: String(SEARCH_DEFAULTS.attempts), ignoreFocusOut: true, validateInput: (v) => wholeNumber(v, 1, 'The number of attempts') });
  if (attemptsText === undefined) throw new Cancelled();
  const minutesText = inv.headless
    ? String(inv.args?.minutes ?? '')
    : await vscode.window.showInputBox({ title: title(6), prompt: 'Minutes at most (optional: empty for no time limit)', ignoreFocusOut: true, validateInput: (v) => optionalNumber(v, true) });
  if (minutesText === undefined) throw new Cancelled();
  const targetText = inv.headless
    ? String(inv.args?.targetScore ?? '')
    : await vscode.window.showInputBox({ title: title(7), prompt: 'Target score: a passing attempt with this score (or better) ends the search (optional)', ignoreFocusOut: true, validateInput: (v) => optionalNumber(v, false) });
  if (targetText === undefined) throw new Cancelled();

  const { base } = spawnOptionsFromSettings(vscode.Uri.file(model.root));
  const mix = agentsOf(mixText, settings.defaultAgent);
  const options: SearchOptions = {
    name,
    task,
    evaluate: evaluate.trim(),
    ...mix,
    attempts: Number(attemptsText),
    ...(minutesText.trim() ? { minutes: Number(minutesText) } : {}),
    ...(targetText.trim() ? { targetScore: Number(targetText) } : {}),
    ...(inv.args?.parallel !== undefined ? { parallel: inv.args.parallel } : {}),
    ...(inv.args?.width !== undefined ? { width: inv.args.width } : {}),
    ...(inv.args?.select !== undefined ? { select: inv.args.select } : {}),
    // The custom agent's command, when the mix has the custom agent (the engine refuses it otherwise).
    ...(settings.customAgentCommand && mixNamesCustom(mix.agents ?? '') ? { agentCommand: settings.customAgentCommand } : {}),
    ...(base ? { base } : {}),
  };
  const search = await withOperationMemo(async () => startSearch(await s.searches.slots(model), options, await searchDefaults(model.engine)));
  s.log.info(`Search ${name}: from ${search.base}, agents ${search.agents.join(', ')}, ${search.budget.attempts} attempts, parallel ${search.parallel}.`);
  const driving = inv.args?.drive !== false;
  if (driving) void s.searches.drive(model, name);
  else await state.refresh();
  return { search, driving };
}
