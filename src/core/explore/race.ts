/**
 * Race a task: one prompt, N instances `<task>-1 … <task>-N` from one base (or one parent
 * instance), agents mixed as asked, the race recorded in git first so every front end sees it as
 * it forms. All or nothing: if a member cannot be spawned or its agent cannot start, what this race
 * created is taken back. Launching is the front end's (headless for the CLI and MCP, a terminal in
 * VS Code), passed in as a {@link MemberLauncher}.
 *
 * A member counts as finished when its agent has said so (headless exit, Claude Stop/SessionEnd, a
 * terminal command's end) — or at once when no agent was attached. A finished member whose last
 * evaluation is older than its finish is evaluated (see {@link evaluateFinished}).
 */
import * as fs from 'node:fs';
import { readAgentState, type AgentState } from '../processes/agentState';
import type { EvaluationRecord } from './attempts';
import { AxiomError, isAxiomError } from '../errors';
import { readAdminEntries, type InstanceMetadata, type LaunchMode } from '../instances/metadata';
import {
  DEFAULT_EVALUATION_TIMEOUT_SEC,
  deleteRace,
  raceRefFor,
  validateTask,
  writeRace,
  type EvaluationSpec,
  type Race,
  type RaceMember,
  type RaceRecord,
  type ScoreDirection,
} from './raceRecord';
import { resolveBase, type SpawnedInstance } from '../instances/spawn';
import { readSettings } from '../provision/config';
import { mapPool } from '../pool';
import type { WorktreeStatus } from '../instances/status';

export interface RaceOptions {
  task: string;
  /** How many members (default: the total of the agent mix, else 3). */
  count?: number;
  /** `claude:2,codex:1`, or `claude,codex` (spread over the count); default `claude` (or `custom` with agentCommand). */
  agents?: string;
  /** The custom agent's command: a template string or an argv array (`{prompt}`, `{id}`, `{worktree}` fill whole arguments). */
  agentCommand?: string | string[];
  prompt?: string | null;
  base?: string;
  /** Start every member from this instance's branch (expand a node by racing). */
  from?: string;
  /** Evaluation command template; default `.axiom.json`'s. */
  evaluate?: string;
  score?: ScoreDirection;
  timeoutSec?: number;
  launch?: LaunchMode;
}

/** How a front end starts members' agents. `check` runs before anything is created. */
/** An agent a launcher started as a child of this process: a loop waiting for it wakes when it ends. */
export interface AgentStarted {
  exited: Promise<unknown>;
}

export interface MemberLauncher {
  check?(members: RaceMember[], options: RaceOptions): Promise<void>;
  /**
   * `race` is null when the instance is a search's node (search.ts). `exited`, when known, settles when
   * the agent ends. `how.permissionMode`: Claude's permission mode for this agent instead of the
   * launcher's (a search's, recorded when it started).
   */
  launch(member: RaceMember, spawned: SpawnedInstance, race: Race | null, how?: { permissionMode?: string }): Promise<void | AgentStarted>;
  /** Claude's permission mode this launcher starts Claude with (a search records it when it starts). */
  readonly permissionMode?: string;
  /** Stops an agent this launcher started (used to take a race back when a later member fails). */
  stop?(spawned: SpawnedInstance): Promise<void>;
}

/** What a race needs from the engine (a type-only view, so this module does not import it). */
export interface RaceEngine {
  spawn(id: string, options: import('../instances/spawn').SpawnOptions): Promise<SpawnedInstance>;
  cleanup(id: string, options?: { force?: boolean }): Promise<unknown>;
  locate(id: string): Promise<{ id: string; adminDir: string; metadata: { branch: string; base: string; baseSha: string } }>;
  readonly git: import('../git/git').GitRunner;
  readonly repo: import('../git/repo').RepoInfo;
}

const MAX_MEMBERS = 20;
/** Spawns of one race at once: spawn is built for concurrency, and git is the bottleneck past a few. */
const PARALLEL_SPAWNS = 3;

/** `claude:2,codex:1` → [claude, claude, codex]; `claude,codex` with count 3 → [claude, codex, claude]. */
export function parseAgentMix(spec: string | undefined, count: number | undefined, defaultAgent: string): string[] {
  const parts = (spec ?? defaultAgent)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new AxiomError('InvalidArgument', 'The agent mix is empty: write e.g. claude:2,codex:1.');
  const parsed = parts.map((p) => {
    const m = /^([a-z][a-z0-9_-]*)(?::(\d+))?$/.exec(p);
    if (!m) throw new AxiomError('InvalidArgument', `${JSON.stringify(p)} is not an agent with an optional count (e.g. claude:2).`);
    return { agent: m[1]!, n: m[2] === undefined ? null : Number(m[2]) };
  });
  const counted = parsed.every((p) => p.n !== null);
  let agents: string[];
  if (counted) {
    agents = parsed.flatMap((p) => Array.from({ length: p.n! }, () => p.agent));
    if (count !== undefined && count !== agents.length) {
      throw new AxiomError('InvalidArgument', `The agent mix has ${agents.length} members but the member count is ${count}: drop one of them or make them agree.`);
    }
  } else {
    if (parsed.some((p) => p.n !== null)) throw new AxiomError('InvalidArgument', 'Give a count for every agent of the mix (claude:2,codex:1) or for none (claude,codex).');
    const n = count ?? (parsed.length > 1 ? parsed.length : 3);
    agents = Array.from({ length: n }, (_, i) => parsed[i % parsed.length]!.agent);
  }
  if (agents.length < 1 || agents.length > MAX_MEMBERS) {
    throw new AxiomError('InvalidArgument', `A race has 1 to ${MAX_MEMBERS} members (got ${agents.length}).`);
  }
  return agents;
}

/** Whether a mix (`claude:2,custom:1`, `custom`) names the custom agent: then the custom agent's command goes with it. */
export function mixNamesCustom(spec: string): boolean {
  return spec.split(',').some((p) => /^custom(:\d+)?$/.test(p.trim()));
}

/**
 * The agents of a race's members or a search's attempts: the mix (see {@link parseAgentMix}) with the
 * custom agent's command — one rule for every front end: with a command and no mix every agent is the
 * custom one; the custom agent needs the command, and the command needs the custom agent in the mix
 * (else it would be dropped without a word).
 */
export function agentMix(spec: string | undefined, count: number | undefined, agentCommand: string | string[] | undefined): string[] {
  const agents = parseAgentMix(spec, count, agentCommand ? 'custom' : 'claude');
  if (agentCommand && !agents.includes('custom')) {
    throw new AxiomError('InvalidArgument', 'The agent command is the custom agent\'s: include custom in the agent mix (e.g. custom:2,claude:1), or give no mix.');
  }
  if (agents.includes('custom') && !agentCommand) {
    throw new AxiomError('InvalidArgument', 'The custom agent needs its command (e.g. "my-agent {prompt}").', {
      hint: { next: [{ option: 'agentCommand', value: 'my-agent {prompt}' }] },
    });
  }
  return agents;
}

/** Plans the members of a race (ids and agents) without touching anything. */
export function planMembers(options: RaceOptions): RaceMember[] {
  const task = validateTask(options.task);
  if (options.count !== undefined && (!Number.isInteger(options.count) || options.count < 1 || options.count > MAX_MEMBERS)) {
    throw new AxiomError('InvalidArgument', `The member count must be a whole number from 1 to ${MAX_MEMBERS} (got ${options.count}).`);
  }
  const agents = agentMix(options.agents, options.count, options.agentCommand);
  return agents.map((agent, i) => ({ id: `${task}-${i + 1}`, agent, ...(agent === 'custom' ? { command: options.agentCommand! } : {}) }));
}

export async function startRace(
  engine: RaceEngine,
  options: RaceOptions,
  launcher: MemberLauncher | null,
  configured: EvaluationSpec | null = null,
): Promise<{ race: Race; members: SpawnedInstance[] }> {
  const members = planMembers(options);
  const launch = options.launch ?? (launcher ? 'headless' : 'none');
  if (launch !== 'none' && !launcher) throw new AxiomError('InvalidArgument', `This front end cannot launch agents ${launch}; use launch "none".`);
  if (options.score !== undefined && options.score !== 'higher' && options.score !== 'lower') {
    throw new AxiomError('InvalidArgument', `The score direction is "higher" or "lower" (got ${JSON.stringify(options.score)}).`);
  }
  if (options.timeoutSec !== undefined && !(options.timeoutSec > 0)) {
    throw new AxiomError('InvalidArgument', `The evaluation timeout is a number of seconds > 0 (got ${options.timeoutSec}).`);
  }
  if (launch !== 'none') await launcher!.check?.(members, options);

  // The base: an instance's branch (expand), the given branch, or the default one spawns start from.
  let base = options.base;
  let parent: string | null = null;
  if (options.from !== undefined) {
    const from = await engine.locate(options.from);
    if (base !== undefined && base !== from.metadata.branch) throw new AxiomError('InvalidArgument', 'Start the members either from a base branch or from an instance, not both.');
    parent = from.id;
    base = from.metadata.branch;
  }
  base ??= (await readSettings(engine.git, engine.repo.commonDir)).defaultBase ?? engine.repo.defaultBranch ?? undefined;
  if (!base) throw new AxiomError('BaseNotFound', 'This repository has no branch to start from yet: make a first commit.');
  // Resolved before anything is created: a base that does not exist changes nothing.
  const baseSha = await resolveBase(engine.git, engine.repo, base);
  const createdAt = new Date();
  const record: RaceRecord = {
    version: 1,
    task: options.task,
    prompt: options.prompt ?? null,
    base,
    baseSha,
    parent,
    createdAt: createdAt.toISOString(),
    launch,
    // What judges the race is fixed when it starts: the caller's, else the repository's configuration.
    evaluate: {
      command: options.evaluate ?? configured?.command ?? null,
      score: options.score ?? configured?.score ?? 'higher',
      timeoutSec: options.timeoutSec ?? configured?.timeoutSec ?? DEFAULT_EVALUATION_TIMEOUT_SEC,
    },
    members,
  };
  const ref = raceRefFor(options.task, createdAt);
  const race = await writeRace(engine.git, engine.repo, ref, record, null);
  const spawned: SpawnedInstance[] = [];
  const started: SpawnedInstance[] = [];
  let failure: unknown = null;
  // Members are spawned a few at a time (spawn is safe concurrently) and each one's agent starts as
  // soon as its worktree is ready; after any failure nothing more starts, and all is taken back.
  // The first member is made alone, so one agent is at work as early as possible (on a small machine
  // parallel spawns would slow each other down, the first one's too).
  const spawnAndLaunch = async (m: RaceMember): Promise<void> => {
    if (failure !== null) return;
    try {
      const s = await engine.spawn(m.id, { ...(parent ? { from: parent } : { base }), agent: m.agent, prompt: options.prompt ?? null, launch, race: ref });
      spawned.push(s);
      // A member whose setup failed cannot start its agent: the race does not start either.
      if (s.setup?.state === 'failed') {
        throw new AxiomError('SetupFailed', `The setup of ${s.id} failed, so race ${options.task} did not start; see ${s.setup.logFile ?? 'its setup log'}.`, {
          ...(s.setup.logFile ? { logFile: s.setup.logFile } : {}),
        });
      }
      if (launch === 'none' || failure !== null) return;
      await launcher!.launch(m, s, race);
      started.push(s);
    } catch (e) {
      failure ??= e;
    }
  };
  await spawnAndLaunch(members[0]!);
  await mapPool(members.slice(1), PARALLEL_SPAWNS, spawnAndLaunch);
  if (failure !== null) {
    await takeBack(engine, launcher, race, spawned, started);
    throw failure;
  }
  spawned.sort((a, b) => members.findIndex((m) => m.id === a.id) - members.findIndex((m) => m.id === b.id));
  return { race, members: spawned };
}

/** Undoes a race that could not start: its agents stopped, its fresh members and its record removed. */
async function takeBack(engine: RaceEngine, launcher: MemberLauncher | null, race: Race, spawned: SpawnedInstance[], started: SpawnedInstance[]): Promise<void> {
  for (const s of started) await launcher?.stop?.(s).catch(() => undefined);
  let kept = 0;
  for (const s of spawned) {
    // Not forced: a member that already holds work (an agent was quick) stays, with its record.
    await engine.cleanup(s.id).catch((e: unknown) => {
      if (!isAxiomError(e)) throw e;
      kept++;
    });
  }
  if (kept === 0) await deleteRace(engine.git, engine.repo, race).catch(() => undefined);
}

const FINISHED_PHASES = new Set(['exited', 'idle']);

/** Default of `git config axiom.agentFailureGraceSeconds`, in ms. */
export const DEFAULT_AGENT_FAILURE_GRACE_MS = 10_000;

/**
 * The agent's turn failed (Claude's StopFailure) at least `graceMs` ago and it has done nothing since:
 * it will not go on by itself (a real Claude waits alive for the next message), so the attempt is over.
 */
export function agentFailed(state: AgentState, graceMs = DEFAULT_AGENT_FAILURE_GRACE_MS, now = Date.now()): boolean {
  if (!state.turnFailedAt || state.phase === 'exited' || state.phase === 'failed-to-start') return false;
  return now - Date.parse(state.turnFailedAt) >= graceMs;
}

/**
 * When the member's agent last finished (ISO), or null while it runs. No agent attached: finished at
 * creation. A failed turn counts as a finish (and a failure) once its grace period is over.
 */
export function finishedAt(state: AgentState, w: Pick<MemberFacts, 'launch' | 'createdAt'>, graceMs = DEFAULT_AGENT_FAILURE_GRACE_MS): string | null {
  if (FINISHED_PHASES.has(state.phase)) return state.lastActivity ?? w.createdAt ?? new Date(0).toISOString();
  if (agentFailed(state, graceMs)) return state.turnFailedAt!;
  if (state.phase === 'unknown' && (w.launch === 'none' || w.launch === null)) return w.createdAt ?? new Date(0).toISOString();
  return null;
}

const RUNNING_PHASES = new Set(['working', 'starting', 'waiting', 'pending']);

/** The agent is at work (or about to start): landing or cleaning it up now could cut it off. A failed turn past its grace is over. */
export function isRunning(state: AgentState, graceMs = DEFAULT_AGENT_FAILURE_GRACE_MS): boolean {
  return RUNNING_PHASES.has(state.phase) && !agentFailed(state, graceMs);
}

/** What deciding "finished" and "due" needs of a live instance: from a snapshot, or from its admin dir alone. */
export interface MemberFacts {
  id: string;
  race: string | null;
  /** The instance it was spawned from (`--from`), or null. */
  parent: string | null;
  agentState: AgentState;
  launch: LaunchMode | null;
  createdAt: string | null;
}

/** The live instances of a snapshot, as member facts. */
export function factsOf(worktrees: readonly WorktreeStatus[]): MemberFacts[] {
  return worktrees
    .filter((w) => w.kind === 'instance' && w.id && w.dirty !== null)
    .map((w) => ({ id: w.id!, race: w.metadata?.race ?? null, parent: w.metadata?.parent ?? null, agentState: w.agentState, launch: w.launch, createdAt: w.createdAt }));
}

/**
 * The races live instances say they belong to that are not among `races` (sorted refs): a view that
 * read its races before such a race's record was written, and missed the ref's change (a recursive
 * file watcher may report a new folder, `refs/axiom/races/`, without the ref made in it), reads them
 * again when this is not empty — once per set, so a record deleted by hand costs one read, not one
 * per refresh.
 */
export function unknownRaces(members: readonly Pick<MemberFacts, 'race'>[], races: readonly Pick<Race, 'ref'>[]): string[] {
  const known = new Set(races.map((r) => r.ref));
  return [...new Set(members.flatMap((m) => (m.race !== null && !known.has(m.race) ? [m.race] : [])))].sort();
}

/** The same from the admin dirs only (file reads, no git): cheap enough to poll. */
export async function readMemberFacts(commonDir: string): Promise<MemberFacts[]> {
  const entries = await readAdminEntries(commonDir);
  const live = entries.filter((e) => e.metadata && e.worktreePath && fs.existsSync(e.worktreePath));
  return Promise.all(live.map((e) => memberFactsOf(e.adminDir, e.metadata!)));
}

/** One instance's member facts, from its metadata and its admin dir. */
export async function memberFactsOf(adminDir: string, m: InstanceMetadata): Promise<MemberFacts> {
  return {
    id: m.id,
    race: m.race ?? null,
    parent: m.parent ?? null,
    agentState: await readAgentState(adminDir, !!m.terminal && !m.terminal.takenAt),
    launch: m.launch,
    createdAt: m.createdAt,
  };
}

function liveMember(race: Race, members: readonly MemberFacts[], id: string): MemberFacts | null {
  return members.find((x) => x.id === id && x.race === race.ref) ?? null;
}

/** Live members of a race that are due for evaluation: finished after their latest evaluation (or never evaluated). */
export function membersDue(race: Race, members: readonly MemberFacts[], latest: ReadonlyMap<string, EvaluationRecord>, graceMs = DEFAULT_AGENT_FAILURE_GRACE_MS): MemberFacts[] {
  const due: MemberFacts[] = [];
  for (const m of race.members) {
    const w = liveMember(race, members, m.id);
    const done = w ? finishedAt(w.agentState, w, graceMs) : null;
    if (!w || done === null) continue;
    const last = latest.get(m.id);
    if (!last || last.at < done) due.push(w);
  }
  return due;
}

/** Live members whose agent is still at work. */
export function membersRunning(race: Race, members: readonly MemberFacts[], graceMs = DEFAULT_AGENT_FAILURE_GRACE_MS): MemberFacts[] {
  return race.members.map((m) => liveMember(race, members, m.id)).filter((w): w is MemberFacts => w !== null && isRunning(w.agentState, graceMs));
}

/** Every live member's agent has said it finished, and each has been evaluated since. */
export function raceSettled(race: Race, members: readonly MemberFacts[], latest: ReadonlyMap<string, EvaluationRecord>, graceMs = DEFAULT_AGENT_FAILURE_GRACE_MS): boolean {
  return membersUnfinished(race, members, graceMs).length === 0 && membersDue(race, members, latest, graceMs).length === 0;
}

/** Live members whose agent has not finished (working, or waiting for a person). */
export function membersUnfinished(race: Race, members: readonly MemberFacts[], graceMs = DEFAULT_AGENT_FAILURE_GRACE_MS): MemberFacts[] {
  return race.members.map((m) => liveMember(race, members, m.id)).filter((w): w is MemberFacts => w !== null && finishedAt(w.agentState, w, graceMs) === null);
}
