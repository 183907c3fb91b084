/**
 * Spawn Instance…: id (validated as you type), base, agent, optional prompt; then the agent's terminal.
 * Spawn Several Instances…: the same with an id prefix and a count (`<prefix>-1` … `<prefix>-<n>`).
 */
import * as vscode from 'vscode';
import { AxiomError, describeInvalidId, describeSeveralPrefix, plural, severalIds, type ProvisionEvent, type SetupRecord, type SpawnedInstance, splitTemplate } from '../core';
import { AGENT_NAMES, PRESETS, presetFor } from '../agents/presets';
import { missingProgram } from './terminals';
import { Cancelled, type Invocation } from './invocation';
import type { Services } from './services';
import type { RepositoryModel } from './repositoryModel';
import { readSettings, spawnOptionsFromSettings } from './settings';
import { announceSetupFailure, waitForSetup, worktreeIncludeFiles } from './instanceSetup';

export interface SpawnCommandResult extends SpawnedInstance {
  /** The terminal's name when one was opened. */
  terminal: string | null;
}

export async function spawnCommand(s: Services, inv: Invocation): Promise<SpawnCommandResult> {
  const model = await inv.model(s.repos);
  await model.ready();
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
  const [first] = await spawnIds(s, inv, model, { id });
  return first!;
}

export async function spawnManyCommand(s: Services, inv: Invocation): Promise<SpawnCommandResult[]> {
  const model = await inv.model(s.repos);
  await model.ready();
  const prefix = await inv.text('id', {
    title: 'Spawn Several Instances (1/5)',
    prompt: 'Id prefix: the instances are named <prefix>-1, <prefix>-2, …',
    placeHolder: 'e.g. try',
    validateInput: (v) => describeSeveralPrefix(v, 99),
  });
  if (prefix === undefined) {
    if (inv.headless) throw new AxiomError('InvalidId', 'An id prefix is required: pass { id, count }.');
    throw new Cancelled();
  }
  const room = await roomFor(model);
  const countText = inv.headless
    ? String(inv.args?.count ?? '')
    : await vscode.window.showInputBox({
        title: 'Spawn Several Instances (2/5)',
        prompt: `How many instances? ${room.free} of ${room.limit} free (axiom.maxInstances).`,
        value: String(Math.max(1, Math.min(3, room.free))),
        ignoreFocusOut: true,
        // Said while typing, not after five questions: the limit and how many are free.
        validateInput: (v) => countProblem(v, room),
      });
  if (countText === undefined) throw new Cancelled();
  const problem = countProblem(countText, room);
  if (problem) throw new AxiomError(/^\d+$/.test(countText.trim()) && Number(countText) > room.free ? 'LimitReached' : 'InvalidArgument', problem);
  const count = Number(countText.trim());
  // The engine's naming rule; the engine checks again under its lock (this only says it before the next questions).
  const taken = severalIds(prefix, count).filter((i) => model.find(i));
  if (taken.length) throw new AxiomError('AlreadyExists', `${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}: pick another prefix.`);
  return spawnIds(s, inv, model, { prefix, count });
}

export interface Room {
  limit: number;
  live: number;
  free: number;
}

/** The instance limit (VS Code setting, else git config) and how many more may be spawned now. */
export async function roomFor(model: RepositoryModel): Promise<Room> {
  const limit = spawnOptionsFromSettings(vscode.Uri.file(model.root)).limit ?? (await model.engine.settings()).maxInstances;
  const live = model.instances().length;
  return { limit, live, free: Math.max(0, limit - live) };
}

/** What is wrong with a typed count, or null: a whole number from 1 to the free room. */
export function countProblem(text: string, room: Room): string | null {
  const v = text.trim();
  if (!/^\d+$/.test(v) || Number(v) < 1) return 'A whole number, 1 or more.';
  if (room.free === 0) return `No room: ${room.live} instances are live and the limit is ${room.limit} (axiom.maxInstances). Clean up finished ones first.`;
  if (Number(v) > room.free) return `${v} is more than the ${room.free} free: the limit is ${room.limit} live instances and ${room.live} are live (axiom.maxInstances).`;
  return null;
}

/**
 * Asks base, agent and prompt once, then spawns: one instance, or several in one engine call
 * (`spawnMany`: the limit and the ids decided once for all, checkouts two at a time).
 */
async function spawnIds(
  s: Services,
  inv: Invocation,
  model: RepositoryModel,
  what: { id: string } | { prefix: string; count: number },
): Promise<SpawnCommandResult[]> {
  // The one test of which it is (TypeScript narrows `what` by it: prefix and count, or id).
  const many = 'prefix' in what;
  const scope = vscode.Uri.file(model.root);
  const settings = readSettings(scope);
  const fromSettings = spawnOptionsFromSettings(scope);
  const title = many ? 'Spawn Several Instances' : 'Spawn Instance';
  const total = many ? 5 : 4;
  const at = (n: number): string => `${title} (${n + (many ? 1 : 0)}/${total})`;
  const engineSettings = await model.engine.settings();
  const defaultBase = fromSettings.base ?? engineSettings.defaultBase ?? model.engine.repo.defaultBranch ?? undefined;
  const branches = await model.engine.branches();
  const ordered = defaultBase ? [defaultBase, ...branches.filter((b) => b !== defaultBase)] : branches;
  const base = await inv.pick(
    'base',
    ordered.map((b, i) => ({ label: b, description: i === 0 && b === defaultBase ? 'default' : '', value: b })),
    { title: at(2), placeHolder: 'Base branch the instance starts from (and merges back into)' },
  );
  if (base === undefined) throw new Cancelled();

  const openTerminal = inv.args?.openTerminal ?? true;
  const agent = await pickAgent(inv, model, settings.defaultAgent, { title: at(3), placeHolder: 'Agent to run in the instance' }, openTerminal);

  const prompt = inv.headless
    ? (inv.args?.prompt ?? null)
    : await vscode.window.showInputBox({ title: at(4), prompt: 'Prompt for the agent (optional)', ignoreFocusOut: true });
  if (prompt === undefined) throw new Cancelled();

  const includePatterns = worktreeIncludeFiles(scope);
  const results: SpawnCommandResult[] = [];
  const setups: Promise<void>[] = [];
  const options = {
    ...fromSettings,
    base,
    agent,
    prompt: prompt || null,
    launch: openTerminal ? ('terminal' as const) : ('none' as const),
    // Setup runs in the instance's terminal, visibly, before the agent (or here when there is no terminal).
    setup: openTerminal ? ('defer' as const) : ('run' as const),
    ...(includePatterns.length ? { includePatterns } : {}),
  };
  const label = many ? `${plural(what.count, 'instance')} ${what.prefix}-1 … ${what.prefix}-${what.count}` : what.id;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Spawning ${label} from ${base}…` }, async (progress) => {
    const spawned = many
      ? await model.operation(() =>
          model.engine.spawnMany(what.prefix, what.count, {
            ...options,
            onSpawned: (inst, done, total) => progress.report({ message: `${done}/${total}: ${inst.id}`, increment: 100 / total }),
          }),
        )
      : [await model.operation(() => model.engine.spawn(what.id, { ...options, onProgress: (e) => progress.report({ message: `${what.id}: ${describeStep(e)}` }) }))];
    for (const inst of spawned) {
      s.log.info(`Spawned ${inst.id} at ${inst.path} on ${inst.branch}.`);
      const opened = openTerminal ? await s.terminals.open(model, inst.id, { preserveFocus: many }) : null;
      const result: SpawnCommandResult = { ...inst, terminal: opened?.name ?? null };
      results.push(result);
      if (inst.setup?.state === 'pending' && opened) {
        // The notification follows the setup in the terminal; the agent starts there when it succeeds.
        setups.push(waitForSetup(inst.adminDir, (m) => progress.report({ message: `${inst.id}: ${m}` }), opened.terminal).then((rec) => setupDone(result, rec)));
      } else {
        setupDone(result, inst.setup);
      }
    }
    await Promise.all(setups);
  });
  return results;
}

/**
 * The agent picker of Spawn, Branch From Here and Change Agent: `first` first (`current` marked), agents whose program is not
 * installed marked, and — before anything is created — a refusal when the agent picked for a
 * terminal is missing (it would only print "command not found").
 */
export async function pickAgent(
  inv: Invocation,
  model: RepositoryModel,
  first: string,
  options: { title: string; placeHolder: string; current?: string | null },
  forTerminal: boolean,
): Promise<string> {
  const settings = readSettings(vscode.Uri.file(model.root));
  const agents = [first, ...AGENT_NAMES.filter((a) => a !== first)].filter((a) => a in PRESETS);
  const where = model.root;
  const agent = await inv.pick(
    'agent',
    agents.map((a) => {
      const missing = agentMissing(a, settings.customAgentCommand, where);
      return {
        label: missing ? `$(warning) ${a}` : a,
        description:
          PRESETS[a as keyof typeof PRESETS].label + (a === options.current ? ' (current)' : '') + (a === settings.defaultAgent ? ' (default)' : '') + (missing ? ' — not installed' : ''),
        detail: missing ?? (a === 'custom' ? settings.customAgentCommand || 'Set axiom.customAgentCommand first' : undefined),
        value: a,
      };
    }),
    { title: options.title, placeHolder: options.placeHolder },
  );
  if (agent === undefined) throw new Cancelled();
  const missing = forTerminal ? agentMissing(agent, settings.customAgentCommand, where) : null;
  if (missing) throw new AxiomError('AgentNotFound', missing);
  return agent;
}

/** Why `agent` cannot start in a terminal here (its program is not on the terminal's PATH), or null. */
function agentMissing(agent: string, customCommand: string, cwd: string): string | null {
  const preset = presetFor(agent);
  let program = preset.program;
  if (preset.name === 'custom') {
    try {
      program = splitTemplate(customCommand, { prompt: null, id: 'x', worktree: cwd })[0] ?? null;
    } catch {
      program = null;
    }
  }
  // A relative path names a file inside the worktree, which does not exist yet: checked at launch.
  if (!program || (program.includes('/') && !program.startsWith('/'))) return null;
  return missingProgram(preset, program, cwd);
}

function setupDone(result: SpawnCommandResult, rec: SetupRecord | null): void {
  result.setup = rec;
  if (rec?.state === 'failed') announceSetupFailure(result.id, rec);
}

/** One provisioning or setup step for the spawn notification. */
function describeStep(e: ProvisionEvent): string {
  switch (e.step) {
    case 'ports':
      return `ports ${e.ports.join(', ')}`;
    case 'share':
      return `${e.path}: ${e.mode} (${e.ms} ms)`;
    case 'include':
      return `${plural(e.copied, 'ignored file')} copied`;
    case 'setup':
      return `setup ${e.index + 1}/${e.total}: ${e.command}`;
  }
}
