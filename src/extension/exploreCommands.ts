/**
 * The exploration commands: Explore… (race agents on one task), Evaluate, Compare With…, Branch
 * From Here, Land Winner… (one modal listing exactly what merges and what is salvaged) and Land
 * All Clean… Each takes a tree node, nothing (palette) or an argument object (tests, other
 * extensions), like every other command; failures become UI in the command wrapper.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  AxiomError,
  describeInvalidId,
  describeInvalidTask,
  mixNamesCustom,
  plural,
  type EvaluationOutcome,
  type EvaluationRecord,
  type LandAllResult,
  type LandingPreview,
  type LandResult,
  type Race,
  type SpawnedInstance,
} from '../core';
import { AGENT_NAMES } from '../agents/presets';
import { pickAgent } from './spawnCommand';
import { terminalRequestLauncher } from '../agents/raceLauncher';
import { Commands } from './commandIds';
import type { CommandSpec } from './commandWrapper';
import { worktreeFileUri } from './diffs';
import { Cancelled, type Invocation } from './invocation';
import { RaceNode, WorktreeNode } from './tree';
import type { RepositoryModel } from './repositoryModel';
import type { Services } from './services';
import { readSettings, spawnOptionsFromSettings } from './settings';

export function exploreCommandSpecs(s: Services): CommandSpec[] {
  return [
    { id: Commands.explore, runs: true, handler: (inv) => exploreCommand(s, inv) },
    { id: Commands.evaluate, runs: true, handler: (inv) => evaluateCommand(s, inv) },
    { id: Commands.compareWith, runs: true, handler: (inv) => compareWithCommand(s, inv) },
    { id: Commands.branchFromHere, runs: true, handler: (inv) => branchFromHereCommand(s, inv) },
    { id: Commands.landWinner, runs: true, handler: (inv) => landWinnerCommand(s, inv) },
    { id: Commands.landAllClean, runs: true, handler: (inv) => landAllCleanCommand(s, inv) },
  ];
}

function bullets(items: string[], max = 20): string {
  const shown = items.slice(0, max).map((i) => `• ${i}`);
  if (items.length > max) shown.push(`… and ${items.length - max} more`);
  return shown.join('\n');
}

export interface ExploreCommandResult {
  race: Race;
  members: SpawnedInstance[];
  /** Terminals opened (one per member) when openTerminal was not false. */
  terminals: string[];
}

/** Race Agents…: task, prompt, how many agents (or a mix), evaluation; members spawn and start in terminals. */
export async function exploreCommand(s: Services, inv: Invocation): Promise<ExploreCommandResult> {
  const model = await inv.model(s.repos);
  await model.ready();
  const from = inv.node instanceof WorktreeNode && inv.node.status.kind === 'instance' ? inv.node.status : undefined;
  const taken = (task: string): string | null => {
    const member = new RegExp(`^${task.replace(/[.]/g, '\\.')}-\\d+$`);
    return model.instances().some((w) => member.test(w.id ?? '')) ? `Instances named ${task}-1, ${task}-2, … already exist.` : null;
  };
  const task = await inv.text('task', {
    title: 'Explore: Race Agents (1/4)',
    prompt: 'Task name: the members are <task>-1, <task>-2, …',
    placeHolder: 'e.g. fix-login',
    validateInput: (v) => describeInvalidTask(v) ?? taken(v),
  });
  if (task === undefined) {
    if (inv.headless) throw new AxiomError('InvalidArgument', 'A task name is required: pass { task }.');
    throw new Cancelled();
  }
  const prompt = await inv.text('prompt', {
    title: 'Explore: Race Agents (2/4)',
    prompt: 'The task every agent gets',
    validateInput: (v) => (v.trim() ? null : 'Every agent needs the task.'),
  });
  if (prompt === undefined) throw new Cancelled();
  const settings = readSettings(vscode.Uri.file(model.root));
  const mixText = inv.headless
    ? (inv.args?.agents ?? String(inv.args?.count ?? 3))
    : await vscode.window.showInputBox({
        title: 'Explore: Race Agents (3/4)',
        prompt: `How many agents (${settings.defaultAgent}), or a mix such as claude:2,codex:1 (agents: ${AGENT_NAMES.join(', ')})`,
        value: '3',
        ignoreFocusOut: true,
      });
  if (mixText === undefined) throw new Cancelled();
  const mix = mixText.trim();
  // Only a prefill: a broken configuration is reported by the spawn itself.
  const configured = await model.engine.explore.configuredEvaluation().catch(() => null);
  const evaluate = inv.headless
    ? inv.args?.evaluate
    : await vscode.window.showInputBox({
        title: 'Explore: Race Agents (4/4)',
        prompt: 'Evaluation command run in each worktree when its agent finishes (exit 0 = passed; a line AXIOM_SCORE=<number> scores it). Empty: no evaluation.',
        value: configured?.command ?? '',
        placeHolder: 'e.g. npm test',
        ignoreFocusOut: true,
      });
  if (evaluate === undefined && !inv.headless) throw new Cancelled();
  const openTerminal = inv.args?.openTerminal ?? true;
  const fromSettings = spawnOptionsFromSettings(vscode.Uri.file(model.root));
  const base = inv.args?.base ?? fromSettings.base;
  const started = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Starting race ${task}…` },
    () =>
      model.operation(() =>
        model.engine.explore.startRace(
          {
            task,
            prompt,
            ...(/^\d+$/.test(mix) ? { count: Number(mix), agents: settings.defaultAgent } : { agents: mix }),
            // The custom agent's command, when the mix has the custom agent (the engine refuses it otherwise).
            ...(settings.customAgentCommand && mixNamesCustom(/^\d+$/.test(mix) ? settings.defaultAgent : mix) ? { agentCommand: settings.customAgentCommand } : {}),
            ...(from ? { from: from.id! } : base ? { base } : {}),
            ...(evaluate && evaluate.trim() ? { evaluate: evaluate.trim() } : {}),
            launch: openTerminal ? 'terminal' : 'none',
          },
          openTerminal ? terminalRequestLauncher : null,
        ),
      ),
  );
  const terminals: string[] = [];
  if (openTerminal) for (const m of started.members) terminals.push((await s.terminals.open(model, m.id, { preserveFocus: true })).name);
  s.log.info(`Race ${task}: ${started.members.map((m) => m.id).join(', ')} from ${started.members[0]?.base}.`);
  void s.explorations.of(model).refresh();
  return { ...started, terminals };
}

/** The race a node or the arguments are about: a race node, a member's row, `args.task`, or a pick. */
async function raceOf(s: Services, inv: Invocation): Promise<{ model: RepositoryModel; race: Race }> {
  if (inv.node instanceof RaceNode) return { model: inv.node.model, race: inv.node.view.race };
  const model = await inv.model(s.repos);
  await model.ready();
  const exploration = s.explorations.of(model);
  if (inv.node instanceof WorktreeNode && inv.node.status.id) {
    const view = exploration.raceOf(inv.node.status.id);
    if (view) return { model, race: view.race };
  }
  if (inv.args?.task) return { model, race: await model.engine.explore.race(inv.args.task) };
  if (inv.headless) throw new AxiomError('InvalidArgument', 'Which race? Pass { task }.');
  await exploration.refresh();
  const races = exploration.races();
  if (races.length === 0) throw new AxiomError('NotFound', 'There is no live race. Start one with Race Agents….');
  const chosen = await vscode.window.showQuickPick(
    races.map((v) => ({ label: v.race.task, description: `${plural(v.live.length, 'member')} · ${v.race.base}`, value: v.race })),
    { title: 'Axiom: Which Race?', placeHolder: 'The live race to act on' },
  );
  if (!chosen) throw new Cancelled();
  return { model, race: chosen.value };
}

function describeResult(e: EvaluationRecord): string {
  return `${e.id}: ${e.passed ? 'passed' : e.timedOut ? 'timed out' : `failed (exit ${e.exitCode})`}${e.score !== null ? `, score ${e.score}` : ''}`;
}

/** Evaluate: one instance (row, `args.id`) or every live member of a race (race node, `args.task`). */
export async function evaluateCommand(s: Services, inv: Invocation): Promise<EvaluationOutcome[]> {
  let model: RepositoryModel;
  let ids: string[];
  if (inv.node instanceof RaceNode || (inv.headless && inv.args?.task)) {
    const r = await raceOf(s, inv);
    model = r.model;
    ids = await model.engine.explore.liveMembers(r.race, model.worktrees());
  } else {
    const picked = await inv.instance(s.repos, (w) => w.dirty !== null);
    model = picked.model;
    ids = [picked.status.id!];
  }
  const exploration = s.explorations.of(model);
  const outcomes = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Evaluating ${ids.join(', ')}…`, cancellable: false },
    () => model.engine.explore.evaluateMany(ids),
  );
  await exploration.refresh();
  const failed = outcomes.filter((o): o is { id: string; error: AxiomError } => 'error' in o);
  if (ids.length === 1 && failed.length === 1) throw failed[0]!.error;
  const lines = outcomes.map((o) => ('error' in o ? `${o.id}: not evaluated (${o.error.message.split('\n')[0]})` : describeResult(o.result)));
  void vscode.window.showInformationMessage(`Evaluated: ${lines.join('; ')}.`);
  return outcomes;
}

export interface CompareResult {
  a: string;
  b: string;
  files: { path: string; status: string }[];
  /** What the diff editor was given per file: the left and right side (null: the file is not on that side). */
  sides?: { path: string; left: string | null; right: string | null }[];
}

/** Compare With…: every file that differs between two attempts, side by side in the multi-file diff editor. */
export async function compareWithCommand(s: Services, inv: Invocation): Promise<CompareResult> {
  const { model, status } = await inv.instance(s.repos, (w) => w.dirty !== null);
  const raceMates = s.explorations.of(model).raceOf(status.id!)?.live ?? [];
  let other = inv.args?.other;
  if (other === undefined) {
    if (inv.headless) throw new AxiomError('InvalidArgument', 'Compare with which instance? Pass { id, other }.');
    const candidates = model
      .instances()
      .filter((w) => w.id !== status.id && w.dirty !== null)
      .sort((x, y) => Number(raceMates.includes(y.id!)) - Number(raceMates.includes(x.id!)) || x.id!.localeCompare(y.id!));
    if (candidates.length === 0) throw new AxiomError('NotFound', 'There is no other instance to compare with.');
    const chosen = await vscode.window.showQuickPick(
      candidates.map((w) => ({ label: w.id!, description: raceMates.includes(w.id!) ? 'same race' : (w.branch ?? ''), value: w.id! })),
      { title: `Compare ${status.id} With…`, placeHolder: 'The other attempt (members of the same race first)' },
    );
    if (!chosen) throw new Cancelled();
    other = chosen.value;
  }
  const c = await model.engine.explore.compare(status.id!, other);
  if (c.files.length === 0) {
    void vscode.window.showInformationMessage(`${c.a.id} and ${c.b.id} have the same files.`);
    return { a: c.a.id, b: c.b.id, files: [] };
  }
  // The same path on both sides (the left one read from the first worktree): a file in both is a
  // modification (M), not a rename from one worktree's folder to the other's; a file on one side
  // only has no other side (A, D).
  const resources = c.files.map((f) => {
    const right = vscode.Uri.file(path.join(c.b.path, f.path));
    return [right, f.status === 'A' ? undefined : worktreeFileUri(model, c.a.path, f.path, right.path), f.status === 'D' ? undefined : right] as const;
  });
  await vscode.commands.executeCommand('vscode.changes', `${c.a.id} ↔ ${c.b.id}`, resources);
  const sides = c.files.map((f, i) => ({ path: f.path, left: resources[i]![1]?.toString() ?? null, right: resources[i]![2]?.toString() ?? null }));
  return { a: c.a.id, b: c.b.id, files: c.files, sides };
}

/** Branch From Here: a child instance that starts from this instance's branch and merges back into it. */
export async function branchFromHereCommand(s: Services, inv: Invocation): Promise<SpawnedInstance & { terminal: string | null }> {
  const { model, status } = await inv.instance(s.repos, (w) => w.dirty !== null);
  const parent = status.id!;
  const id = await inv.text('as', {
    title: `Branch From ${parent} (1/3)`,
    prompt: `Id of the new instance (it starts from ${status.branch} and merges back into it)`,
    value: `${parent}.1`.slice(0, 40),
    validateInput: (v) => describeInvalidId(v) ?? (model.find(v) ? `An instance named ${v} already exists.` : null),
  });
  if (id === undefined) {
    if (inv.headless) throw new AxiomError('InvalidId', 'The new instance needs an id: pass { id, as }.');
    throw new Cancelled();
  }
  const settings = readSettings(vscode.Uri.file(model.root));
  const openTerminal = inv.args?.openTerminal ?? true;
  // As Spawn: agents that are not installed are marked, and one picked for a terminal is refused before anything is created.
  const agent = await pickAgent(inv, model, status.agent ?? settings.defaultAgent, { title: `Branch From ${parent} (2/3)`, placeHolder: 'Agent to run in the new instance' }, openTerminal);
  const prompt = inv.headless
    ? (inv.args?.prompt ?? null)
    : await vscode.window.showInputBox({ title: `Branch From ${parent} (3/3)`, prompt: 'Prompt for the agent (optional)', value: status.prompt ?? '', ignoreFocusOut: true });
  if (prompt === undefined) throw new Cancelled();
  const spawned = await model.operation(() =>
    model.engine.spawn(id, { ...spawnOptionsFromSettings(vscode.Uri.file(model.root)), from: parent, agent, prompt: prompt || null, launch: openTerminal ? 'terminal' : 'none' }),
  );
  await revealRow(s, model, spawned.id);
  const terminal = openTerminal ? (await s.terminals.open(model, spawned.id)).name : null;
  return { ...spawned, terminal };
}

/**
 * Shows a row just made and selects it — a child of Branch From Here… sits under its parent, which
 * may be collapsed (reveal expands it). Not finding the row is no failure of the command.
 */
export async function revealRow(s: Services, model: RepositoryModel, id: string): Promise<void> {
  const status = model.find(id);
  if (!status) return;
  try {
    await s.view.reveal(new WorktreeNode(model, status), { select: true, focus: false, expand: false });
  } catch (e) {
    s.log.warn(`Could not reveal ${id} in the Instances view:`, e);
  }
}

export type LandWinnerResult = ({ outcome: 'landed' } & LandResult) | { outcome: 'cancelled'; plan: LandingPlanSummary };

export interface LandingPlanSummary {
  winner: string;
  into: string;
  files: string[];
  salvaged: string[];
  removed: string[];
  kept: string[];
}

function summarize(plan: LandingPreview): LandingPlanSummary {
  return {
    winner: plan.winner,
    into: plan.into,
    files: plan.merge.files.map((f) => f.path),
    salvaged: plan.losers.filter((l) => l.action === 'salvage').map((l) => l.id),
    removed: plan.losers.filter((l) => l.action === 'remove').map((l) => l.id),
    kept: plan.losers.filter((l) => l.action === 'keep').map((l) => l.id),
  };
}

/** The modal's text: exactly what merges, what is salvaged, what is removed or kept. */
export function describeLanding(plan: LandingPreview): string {
  const rank = plan.ranking.find((r) => r.id === plan.winner);
  const lines = [
    `${plan.winner}${rank?.passed ? ` (rank ${rank.rank}, passed${rank.score !== null ? `, score ${rank.score}` : ''})` : ''} merges into ${plan.into} (${plan.strategy}): ${plural(plan.merge.commits.length, 'commit')}${plan.commitsUncommitted ? ' plus its uncommitted work, committed first' : ''}, ${plural(plan.merge.files.length, 'file')}:`,
    bullets(plan.merge.files.map((f) => `${f.status} ${f.path}`), 12),
  ];
  const salvaged = plan.losers.filter((l) => l.action === 'salvage');
  if (salvaged.length) {
    lines.push('', 'Salvaged (kept in a salvage ref, restorable) and removed:');
    lines.push(bullets(salvaged.map((l) => `${l.id}: ${[l.atRisk.commits ? plural(l.atRisk.commits, 'commit') : '', l.atRisk.files ? plural(l.atRisk.files, 'uncommitted file') : ''].filter(Boolean).join(', ')}`)));
  }
  const removed = plan.losers.filter((l) => l.action === 'remove');
  if (removed.length) lines.push('', `Removed (nothing of their own to keep): ${removed.map((l) => l.id).join(', ')}`);
  const kept = plan.losers.filter((l) => l.action === 'keep');
  if (kept.length) lines.push('', `Left as they are: ${kept.map((l) => `${l.id} (${l.reason})`).join(', ')}`);
  lines.push('', `${plan.winner}'s worktree is removed once merged.`);
  return lines.join('\n');
}

/** Land Winner…: the plan in one modal, then merge + salvage + record. Nothing changes on a conflict. */
export async function landWinnerCommand(s: Services, inv: Invocation): Promise<LandWinnerResult> {
  const { model, race } = await raceOf(s, inv);
  const options = {
    ...(inv.args?.pick ? { pick: inv.args.pick } : {}),
    ...(inv.args?.keepLosers ? { keepLosers: true } : {}),
    ...(inv.args?.strategy ? { strategy: inv.args.strategy } : {}),
  };
  const plan = await model.engine.explore.planLanding(race.ref, options);
  const ok = await inv.confirm(`Land race ${race.task}: merge ${plan.winner} into ${plan.into}?`, describeLanding(plan), `Land ${plan.winner}`);
  if (!ok) return { outcome: 'cancelled', plan: summarize(plan) };
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Landing ${plan.winner}…` }, () =>
    model.operation(() => model.engine.explore.land(race.ref, options)),
  );
  s.log.info(`Landed race ${race.task}: ${JSON.stringify(result)}`);
  await s.explorations.of(model).refresh();
  const salvaged = result.salvaged.length ? ` Salvaged ${result.salvaged.map((x) => x.id).join(', ')}.` : '';
  const kept = result.kept.length ? ` Kept ${result.kept.map((k) => `${k.id} (${k.reason})`).join(', ')}.` : '';
  void vscode.window.showInformationMessage(`Landed ${result.winner} into ${result.merged.into}.${salvaged}${kept}`);
  return { outcome: 'landed', ...result };
}

export type LandAllCleanResult = ({ outcome: 'landed' } & LandAllResult) | { outcome: 'cancelled' | 'nothing' };

/** Land All Clean…: every live instance with commits in the forecast's order; those that would conflict are skipped. */
export async function landAllCleanCommand(s: Services, inv: Invocation): Promise<LandAllCleanResult> {
  const model = await inv.model(s.repos);
  await model.ready();
  const forecast = await model.engine.explore.conflicts(model.worktrees());
  if (forecast.order.length === 0) {
    void vscode.window.showInformationMessage('No live instance has commits to land.');
    return { outcome: 'nothing' };
  }
  const expectedSkips = forecast.order.filter((id) => !forecast.clean.includes(id));
  const detail = [
    `In this order: ${forecast.clean.join(' → ') || '(none)'}`,
    ...(expectedSkips.length
      ? ['', 'Expected to be skipped (they would conflict):', bullets(expectedSkips.map((id) => `${id}: ${[...forecast.pairs.filter((p) => p.a === id || p.b === id).map((p) => (p.a === id ? p.b : p.a)), ...(forecast.withBase.some((w) => w.id === id) ? ['its base'] : [])].join(', ')}`))]
      : []),
    '',
    'Each one merges into its base (children into their parent first) and its worktree is removed; nothing that conflicts is changed.',
  ].join('\n');
  const ok = await inv.confirm(`Land ${plural(forecast.clean.length, 'instance')} that land cleanly?`, detail, 'Land All Clean');
  if (!ok) return { outcome: 'cancelled' };
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Landing…' }, () =>
    model.operation(() => model.engine.explore.landAll()),
  );
  const { forecast: _f, ...doc } = result;
  void vscode.window.showInformationMessage(
    `Landed ${plural(doc.landed.length, 'instance')}${doc.landed.length ? `: ${doc.landed.map((l) => l.id).join(', ')}` : ''}.${doc.skipped.length ? ` Skipped ${doc.skipped.map((x) => x.id).join(', ')}.` : ''}`,
  );
  await s.explorations.of(model).refresh();
  return { outcome: 'landed', ...doc };
}
