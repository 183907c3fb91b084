/** Spawn Instance…: id (validated as you type), base, agent, optional prompt; then the agent's terminal. */
import * as vscode from 'vscode';
import { AxiomError, describeInvalidId, type SpawnedInstance } from '../core';
import { AGENT_NAMES, PRESETS } from '../agents/presets';
import { Cancelled, type Invocation } from './invocation';
import type { Services } from './services';
import { readSettings, spawnOptionsFromSettings } from './settings';

export interface SpawnCommandResult extends SpawnedInstance {
  /** The terminal's name when one was opened. */
  terminal: string | null;
}

export async function spawnCommand(s: Services, inv: Invocation): Promise<SpawnCommandResult> {
  const model = await inv.model(s.repos);
  await model.ready();
  const scope = vscode.Uri.file(model.root);
  const settings = readSettings(scope);
  const fromSettings = spawnOptionsFromSettings(scope);

  const id = await inv.text('id', {
    title: 'Spawn Instance (1/4)',
    prompt: 'Instance id: names the branch axiom/<id>/… and the worktree folder',
    placeHolder: 'e.g. fix-login',
    validateInput: (v) => describeInvalidId(v) ?? (model.find(v) ? `An instance named ${v} already exists.` : null),
  });
  if (id === undefined) {
    if (inv.headless) throw new AxiomError('InvalidId', 'An instance id is required: pass { id }.');
    throw new Cancelled();
  }

  const engineSettings = await model.engine.settings();
  const defaultBase = fromSettings.base ?? engineSettings.defaultBase ?? model.engine.repo.defaultBranch ?? undefined;
  const branches = await model.engine.branches();
  const ordered = defaultBase ? [defaultBase, ...branches.filter((b) => b !== defaultBase)] : branches;
  const base = await inv.pick(
    'base',
    ordered.map((b, i) => ({ label: b, description: i === 0 && b === defaultBase ? 'default' : '', value: b })),
    { title: 'Spawn Instance (2/4)', placeHolder: 'Base branch the instance starts from (and merges back into)' },
  );
  if (base === undefined) throw new Cancelled();

  const agents = [settings.defaultAgent, ...AGENT_NAMES.filter((a) => a !== settings.defaultAgent)].filter((a) => a in PRESETS);
  const agent = await inv.pick(
    'agent',
    agents.map((a) => ({
      label: a,
      description: PRESETS[a as keyof typeof PRESETS].label + (a === settings.defaultAgent ? ' (default)' : ''),
      detail: a === 'custom' ? settings.customAgentCommand || 'Set axiom.customAgentCommand first' : undefined,
      value: a,
    })),
    { title: 'Spawn Instance (3/4)', placeHolder: 'Agent to run in the instance' },
  );
  if (agent === undefined) throw new Cancelled();

  const prompt = inv.headless
    ? (inv.args?.prompt ?? null)
    : await vscode.window.showInputBox({ title: 'Spawn Instance (4/4)', prompt: 'Prompt for the agent (optional)', ignoreFocusOut: true });
  if (prompt === undefined) throw new Cancelled();

  const openTerminal = inv.args?.openTerminal ?? true;
  const spawned = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Spawning ${id} from ${base}…` },
    () => model.operation(() => model.engine.spawn(id, { ...fromSettings, base, agent, prompt: prompt || null, launch: openTerminal ? 'terminal' : 'none' })),
  );
  s.log.info(`Spawned ${spawned.id} at ${spawned.path} on ${spawned.branch}.`);
  let terminal: string | null = null;
  if (openTerminal) terminal = (await s.terminals.open(model, spawned.id)).name;
  return { ...spawned, terminal };
}
