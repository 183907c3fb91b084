/**
 * The search driver (issue 18): many rounds of attempts that learn from each other, under a budget.
 *
 * A search starts as a record (searchRecord.ts) with one node, the root: the base commit. The
 * driver then loops until the budget ends the search: it evaluates the root (a slot with no agent);
 * selects nodes to expand (searchSelect.ts); expands each one by creating a child instance at the
 * node's commit with a prompt built from the parent's result and feedback (searchPrompt.ts) and
 * starting its agent headless; evaluates each child when its agent has finished and records the
 * result in the child's node; and cleans the child's instance up (forced: anything it still holds is
 * salvaged as usual — its evaluated state is the node's commit, kept by the node's ref). So a
 * search never holds more live instances than its `parallel`.
 *
 * It ends at once on a stop request, the time budget or the target score (running attempts are
 * stopped, their instances cleaned up with their work salvaged); it stops expanding when its
 * attempts are used or its patience is over, and ends when nothing is running any more.
 *
 * One driver at a time: the driver's claim is in the record (pid and start time, and a lease),
 * taken with compare-and-swap; `resume` takes over from a driver that is gone and continues from
 * the recorded tree. The driver reaches the engine through {@link SearchEngine}, so it can be tested
 * with a fake one.
 */
import * as os from 'node:os';
import type { DiffSize } from '../explore/attempts';
import { agentOutcomes, chooseAgent, searchOutcomes, type AgentOutcome } from './agentBandit';
import type { AttemptRow } from '../explore/history';
import { AxiomError, isAxiomError } from '../errors';
import type { GitRunner } from '../git/git';
import { currentProcessIdentity, formatProcessIdentity, isSameProcessAlive, parseProcessIdentity } from '../processes/processIdentity';
import { agentMix, type AgentStarted } from '../explore/race';
import { Waker } from '../pool';
import { DEFAULT_EVALUATION_TIMEOUT_SEC, SCORE_DIRECTIONS, type EvaluationSpec, type ScoreDirection } from '../explore/raceRecord';
import type { RepoInfo } from '../git/repo';
import { buildPrompt, feedbackOf } from './searchPrompt';
import {
  SELECT_MODES,
  findSearch,
  listSearches,
  nodeInstanceId,
  refreshSearch,
  updateSearch,
  validateSearchName,
  writeSearch,
  type Search,
  type SearchAutoLanded,
  type SearchBudget,
  type SearchDriver,
  type SearchLanding,
  type SearchNode,
  type SearchRecord,
  type SelectMode,
} from './searchRecord';
import { DEFAULT_EXPLORATION, bestNode, selectExpansions } from './searchSelect';
import { DEFAULT_SEARCH_TEMPLATE } from './searchPrompt';

export interface SearchOptions {
  name: string;
  /** The task ({task} of the prompt template). */
  task: string;
  /** Evaluation command template; default `.axiom.json`'s. */
  evaluate?: string;
  score?: ScoreDirection;
  timeoutSec?: number;
  /** `claude:2,codex:1` or `claude,codex`: the children's agents, round-robin; default claude (custom with agentCommand). */
  agents?: string;
  agentCommand?: string | string[];
  base?: string;
  width?: number;
  parallel?: number;
  attempts?: number;
  minutes?: number;
  targetScore?: number;
  patience?: number;
  select?: SelectMode;
  exploration?: number;
  /** Land the best passing node when the search ends by itself (the approval given in advance); a stopped search does not. */
  land?: boolean;
}

/** What the repository configures for a search: its evaluation and its prompt template (`.axiom.json`). */
export interface SearchDefaults {
  evaluate: EvaluationSpec | null;
  template: string | null;
  /** The branch to start from when none is given. */
  base: string | null;
}

export interface EvaluatedState {
  passed: boolean;
  score: number | null;
  /** The commit evaluation recorded (HEAD, or the snapshot of uncommitted work). */
  commit: string;
  diff: DiffSize | null;
  /** The evaluation's output (its log), from which the feedback is taken. */
  log: string;
}

export type AgentProgress = 'working' | 'finished' | 'gone';

/** What the driver needs of the engine: instances as slots, agents, evaluation, and the record's git. */
export interface SearchEngine {
  readonly git: GitRunner;
  readonly repo: RepoInfo;
  /** Resolves a branch to its commit (BaseNotFound when there is none). */
  resolveBase(base: string): Promise<string>;
  /** Checks before anything is created that these agents can be started with this prompt. */
  checkAgents(agents: { id: string; agent: string; command: string | string[] | null }[], prompt: string): Promise<void>;
  /** A new live instance `id` whose branch starts at `commit` (on top of `base`), agent and prompt recorded. */
  spawnAt(id: string, at: { base: string; commit: string }, agent: string | null, prompt: string | null): Promise<void>;
  /**
   * Starts the instance's agent headless, through the launcher races use (`exited`: when it ends, if
   * known); a Claude with `permissionMode` when given (the search's, recorded when it started).
   */
  launch(id: string, agent: string, command: string | string[] | null, permissionMode?: string): Promise<void | AgentStarted>;
  /** Claude's permission mode this engine's launcher starts Claude with (recorded by a search that starts with Claude). */
  readonly permissionMode?: string;
  /** Whether the instance's agent is still at work, has finished (a failed turn is stopped and counts as finished), or the instance is gone. */
  progress(id: string): Promise<AgentProgress>;
  stopAgent(id: string): Promise<void>;
  /** Evaluates the instance with the search's evaluation (the race evaluation path). */
  evaluate(id: string, spec: EvaluationSpec): Promise<EvaluatedState>;
  /** Removes the instance (forced: its work is salvaged); an instance that is already gone is fine. */
  cleanup(id: string): Promise<void>;
  /** The recorded attempts (history) the agent choice learns from besides the searches; none when absent. */
  pastAttempts?(): Promise<AttemptRow[]>;
  /** Lands the search's best passing node, once (`search land`); absent: this front end cannot land. */
  land?(name: string): Promise<{ node: number; into: string }>;
}

export type SearchEvent =
  | { kind: 'expanded'; node: SearchNode }
  | { kind: 'evaluated'; node: SearchNode }
  | { kind: 'failed'; node: SearchNode }
  | { kind: 'ended'; search: Search }
  /** The landing the search was started with ran (or found nothing to land): `autoLanded` says what it did. */
  | { kind: 'landed'; search: Search; autoLanded: SearchAutoLanded };

export interface DriveOptions {
  /** How often the driver looks at its agents (ms). */
  pollMs?: number;
  /** How long a claim holds without renewal (ms); renewed at half of it. */
  leaseMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: SearchEvent) => void;
  now?: () => number;
  /**
   * Claude's permission mode given explicitly to this driver (`search resume --permission-mode`):
   * refused when the search recorded another one when it started (its attempts never change mode
   * halfway: a crash and a resume must not widen, or narrow, what its Claudes may do).
   */
  permissionMode?: string;
}

export const DEFAULTS = { width: 2, parallel: 2, attempts: 10, select: 'uct' as SelectMode, exploration: DEFAULT_EXPLORATION };
const MAX_PARALLEL = 20;
const MAX_ATTEMPTS = 1000;
const DEFAULT_LEASE_MS = 60_000;

function wholeInRange(value: number | undefined, name: string, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new AxiomError('InvalidArgument', `${name} must be a whole number from ${min} to ${max} (got ${value}).`);
  }
}

/** Checks the options of a new search (every rule, in the engine: each front end passes what it was given). */
export function validateSearchOptions(o: SearchOptions): void {
  validateSearchName(o.name);
  if (typeof o.task !== 'string' || !o.task.trim()) throw new AxiomError('InvalidArgument', 'A search needs its task: what the agents are to do.');
  wholeInRange(o.width, 'The width', 1, MAX_PARALLEL);
  wholeInRange(o.parallel, 'The parallelism', 1, MAX_PARALLEL);
  wholeInRange(o.attempts, 'The number of attempts', 1, MAX_ATTEMPTS);
  wholeInRange(o.patience, 'The patience', 1, MAX_ATTEMPTS);
  if (o.minutes !== undefined && !(o.minutes > 0 && Number.isFinite(o.minutes))) throw new AxiomError('InvalidArgument', `The time budget is a number of minutes > 0 (got ${o.minutes}).`);
  if (o.targetScore !== undefined && !Number.isFinite(o.targetScore)) throw new AxiomError('InvalidArgument', 'The target score must be a number.');
  if (o.exploration !== undefined && !(o.exploration >= 0 && Number.isFinite(o.exploration))) throw new AxiomError('InvalidArgument', `The exploration constant is a number ≥ 0 (got ${o.exploration}).`);
  if (o.select !== undefined && !(SELECT_MODES as readonly string[]).includes(o.select)) throw new AxiomError('InvalidArgument', `The selection is one of ${SELECT_MODES.join(', ')} (got ${JSON.stringify(o.select)}).`);
  if (o.score !== undefined && !(SCORE_DIRECTIONS as readonly string[]).includes(o.score)) throw new AxiomError('InvalidArgument', `The score direction is "higher" or "lower" (got ${JSON.stringify(o.score)}).`);
  if (o.land !== undefined && typeof o.land !== 'boolean') throw new AxiomError('InvalidArgument', `land is true or false (got ${JSON.stringify(o.land)}).`);
  if (o.timeoutSec !== undefined && !(o.timeoutSec > 0)) throw new AxiomError('InvalidArgument', `The evaluation timeout is a number of seconds > 0 (got ${o.timeoutSec}).`);
}

/** Records a new search (its root = the base commit); nothing runs yet: {@link driveSearch} does. */
export async function startSearch(se: SearchEngine, o: SearchOptions, defaults: SearchDefaults): Promise<Search> {
  validateSearchOptions(o);
  refuseUntrusted(se);
  const agents = agentMix(o.agents, undefined, o.agentCommand);
  const command = o.evaluate ?? defaults.evaluate?.command ?? null;
  if (!command?.trim()) {
    throw new AxiomError('InvalidArgument', 'A search needs an evaluation command (e.g. "npm test"): give one, or set "evaluate" in .axiom.json.', {
      hint: { next: [{ option: 'evaluate', value: 'npm test' }, { config: 'evaluate' }] },
    });
  }
  const template = defaults.template ?? DEFAULT_SEARCH_TEMPLATE;
  const firstPrompt = buildPrompt(template, o.task, null);
  const unique = [...new Set(agents)];
  await se.checkAgents(unique.map((agent) => ({ id: nodeInstanceId(o.name, 1), agent, command: agent === 'custom' ? o.agentCommand! : null })), firstPrompt);
  const base = o.base ?? defaults.base;
  if (!base) throw new AxiomError('BaseNotFound', 'This repository has no branch to start from yet: make a first commit.');
  const baseSha = await se.resolveBase(base);
  const createdAt = new Date().toISOString();
  const record: SearchRecord = {
    version: 1,
    name: o.name,
    task: o.task,
    template,
    base,
    baseSha,
    createdAt,
    evaluate: { command, score: o.score ?? defaults.evaluate?.score ?? 'higher', timeoutSec: o.timeoutSec ?? defaults.evaluate?.timeoutSec ?? DEFAULT_EVALUATION_TIMEOUT_SEC },
    agents,
    agentCommand: o.agentCommand ?? null,
    width: o.width ?? DEFAULTS.width,
    parallel: o.parallel ?? DEFAULTS.parallel,
    budget: { attempts: o.attempts ?? DEFAULTS.attempts, minutes: o.minutes ?? null, targetScore: o.targetScore ?? null, patience: o.patience ?? null },
    select: o.select ?? DEFAULTS.select,
    exploration: o.exploration ?? DEFAULTS.exploration,
    ...(o.land ? { land: true } : {}),
    // Claude's permission mode, decided now (the front end's, else git config's): every driver of the search uses it.
    ...(agents.includes('claude') && se.permissionMode !== undefined ? { permissionMode: se.permissionMode } : {}),
    state: 'running',
    driver: null,
    nodes: [{ id: 0, parent: null, round: 0, agent: null, prompt: null, instance: null, commit: baseSha, result: null, state: 'pending', createdAt }],
  };
  try {
    return await writeSearch(se.git, se.repo, record, null);
  } catch (e) {
    if (isAxiomError(e)) throw new AxiomError('AlreadyExists', `A search named ${JSON.stringify(o.name)} already exists: resume it, or pick another name.`);
    throw e;
  }
}

/** A search runs agents and the repository's evaluation command: never in an untrusted workspace. */
function refuseUntrusted(se: SearchEngine): void {
  if (se.git.untrusted) throw new AxiomError('Untrusted', 'This workspace is not trusted: a search runs agents and the repository\'s evaluation command, so it does not run here.');
}

// ---- budget ----

export type Ending = { now: boolean; reason: string } | null;

function meetsTarget(score: number | null, target: number, direction: ScoreDirection): boolean {
  return score !== null && (direction === 'higher' ? score >= target : score <= target);
}

/**
 * Whether the budget ends the search: `now` (a stop request, the time budget, the target reached:
 * running attempts are stopped) or by draining (attempts used, patience over: nothing new is
 * expanded, and the search ends when nothing runs). Null: go on.
 */
export function budgetEnding(s: Pick<SearchRecord, 'state' | 'createdAt' | 'budget' | 'nodes' | 'evaluate'>, now: number): Ending {
  if (s.state === 'stopping') return { now: true, reason: 'stopped on request' };
  const b: SearchBudget = s.budget;
  if (b.minutes !== null && now >= Date.parse(s.createdAt) + b.minutes * 60_000) return { now: true, reason: `the time budget (${b.minutes} min) is used` };
  const direction = s.evaluate.score;
  if (b.targetScore !== null && s.nodes.some((n) => n.state === 'evaluated' && n.result?.passed && meetsTarget(n.result.score, b.targetScore!, direction))) {
    return { now: true, reason: `the target score ${b.targetScore} is reached` };
  }
  const attempts = s.nodes.filter((n) => n.parent !== null).length;
  if (attempts >= b.attempts) return { now: false, reason: `all ${b.attempts} attempts are used` };
  if (b.patience !== null) {
    const best = bestNode(s.nodes, direction);
    const finishedRounds = s.nodes.filter((n) => n.state === 'evaluated' || n.state === 'failed').map((n) => n.round);
    if (best && Math.max(...finishedRounds) - best.round >= b.patience) return { now: false, reason: `no better node for ${b.patience} round${b.patience === 1 ? '' : 's'}` };
  }
  return null;
}

// ---- the driver's claim ----

const HOST = os.hostname();

function driverHolds(d: SearchDriver, now: number): boolean {
  const id = parseProcessIdentity(d.holder);
  // On this machine the process itself says whether it still drives; elsewhere only the lease can.
  if (id && (d.host === undefined || d.host === HOST)) return isSameProcessAlive(id);
  return now < Date.parse(d.leaseUntil);
}

/** Is the search driven right now (by a live driver)? */
export function isDriven(s: Pick<SearchRecord, 'driver'>, now = Date.now()): boolean {
  return s.driver !== null && driverHolds(s.driver, now);
}

function claimOf(now: number, leaseMs: number): SearchDriver & { host: string } {
  const me = currentProcessIdentity();
  return { holder: formatProcessIdentity(me), pid: me.pid, host: HOST, claimedAt: new Date(now).toISOString(), leaseUntil: new Date(now + leaseMs).toISOString() };
}

/** Takes the search's driver claim (Locked while another live driver holds it). */
export async function claimSearch(se: SearchEngine, search: Search, now: number, leaseMs = DEFAULT_LEASE_MS): Promise<Search> {
  const mine = claimOf(now, leaseMs);
  return updateSearch(se.git, se.repo, search, (r) => {
    if (r.driver && r.driver.holder !== mine.holder && driverHolds(r.driver, now)) {
      throw new AxiomError('Locked', `Search ${r.name} is driven by another process (${r.driver.holder}); wait for it, or stop the search.`);
    }
    if (r.state === 'done' || r.state === 'stopped') throw new AxiomError('InvalidArgument', `Search ${r.name} has ended (${r.stopReason ?? r.state}); start a new one to search further.`);
    return { ...r, driver: mine };
  });
}

/** An explicit permission mode that is not the one the search was started with: refused, nothing changed. */
function refuseOtherPermissionMode(s: Pick<SearchRecord, 'name' | 'permissionMode'>, given: string | undefined): void {
  if (given === undefined || s.permissionMode === undefined || given === s.permissionMode) return;
  throw new AxiomError(
    'InvalidArgument',
    `Search ${s.name} was started with Claude's permission mode ${s.permissionMode}; its attempts keep it. Resume it without a permission mode (it uses ${s.permissionMode}), or start a new search for ${given}.`,
  );
}

// ---- the driver ----

/** The driver of one search in this process: the loop, the nodes in flight, the record's updates. */
class Driver {
  private search!: Search;
  private readonly inFlight = new Set<number>();
  private writes: Promise<unknown> = Promise.resolve();
  private failure: unknown = null;
  /** What the agent choice knows from before this driver: races, instances, the other searches. */
  private prior: AgentOutcome[] = [];
  private readonly holder = formatProcessIdentity(currentProcessIdentity());
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  /** The loop's sleep, cut short when an agent this process started exits or an evaluation ends. */
  private readonly waker = new Waker();
  /**
   * Evaluated nodes whose slot this driver has let go of: removed in the background (`releasing`) or
   * removed already, their `instance: null` waiting in `deferred` for the record's next write.
   */
  private readonly freed = new Set<number>();
  private readonly releasing = new Set<Promise<void>>();
  /** Node changes written with the record's next write (each is true of the world already, and recovery tolerates the record without it). */
  private readonly deferred = new Map<number, Partial<SearchNode>>();
  /**
   * Evaluated nodes whose result waits in `deferred` for the record's next write (the next node's,
   * mostly: one write instead of two), with their slot: the slot is released only once the result is
   * written. Until then the record names the node running in its live slot, and a driver cut off in
   * between is succeeded by one that evaluates it again (see {@link evaluateNode}).
   */
  private readonly unrecorded = new Map<number, string>();
  /**
   * Slots whose node's result is written, not released yet: a result written with the next node's
   * record is released once that node's spawn has passed the repository lock (the removal and the
   * spawn both take it; the removal then runs beside the new attempt's launch and work).
   */
  private readonly written = new Map<number, string>();

  constructor(
    private readonly se: SearchEngine,
    private readonly options: DriveOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.pollMs = options.pollMs ?? 1000;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /**
   * Record changes of this process, one after the other (each a compare-and-swap against the others'),
   * with the deferred node changes folded in.
   */
  private update(change: (r: SearchRecord) => SearchRecord): Promise<Search> {
    const next = this.writes.then(async () => {
      const folded = [...this.deferred];
      this.search = await updateSearch(this.se.git, this.se.repo, this.search, (r) => withNodePatches(change(r), folded));
      for (const [id, patch] of folded) if (this.deferred.get(id) === patch) this.deferred.delete(id);
      // A result that came while this was written waits for the next write; the driver decides on it already.
      if (this.deferred.size > 0) this.search = withNodePatches(this.search, [...this.deferred]);
      // Results written now: they are told, and their slots may go (releaseWritten).
      for (const [id] of folded) {
        const instance = this.unrecorded.get(id);
        if (instance === undefined) continue;
        this.unrecorded.delete(id);
        this.written.set(id, instance);
        this.options.onEvent?.({ kind: 'evaluated', node: this.node(id) });
      }
      return this.search;
    });
    this.writes = next.catch(() => undefined);
    return next;
  }

  private patchNode(id: number, patch: Partial<SearchNode>): Promise<Search> {
    return this.update((r) => ({ ...r, nodes: r.nodes.map((n) => (n.id === id ? { ...n, ...patch } : n)) }));
  }

  private node(id: number): SearchNode {
    return this.search.nodes.find((n) => n.id === id)!;
  }

  async run(name: string): Promise<Search> {
    refuseUntrusted(this.se);
    const found = await findSearch(this.se.git, this.se.repo, name);
    refuseOtherPermissionMode(found, this.options.permissionMode);
    // A driver that ended the search was cut off before its landing: this one lands (once), nothing else.
    if (autoLandDue(found)) return landIfAsked(this.se, found, this.now, this.options.onEvent);
    this.search = await claimSearch(this.se, found, this.now(), this.leaseMs);
    await this.recover();
    if (new Set(this.search.agents).size > 1) {
      const [rows, searches] = await Promise.all([this.se.pastAttempts?.() ?? [], listSearches(this.se.git, this.se.repo)]);
      this.prior = agentOutcomes(rows, searches, name);
    }
    for (;;) {
      if (this.options.signal?.aborted) {
        // This process stops driving; the search goes on with the next `resume`.
        await this.recordResults();
        await Promise.all(this.releasing);
        await this.update((r) => (r.driver?.holder === this.holder ? { ...r, driver: null } : r));
        throw new AxiomError('InvalidArgument', 'Driving the search was cancelled; resume it to go on.');
      }
      if (this.failure) throw this.failure;
      await this.writes;
      // One git process when nothing else wrote the record since this driver's last read or write; a
      // stop request, a takeover or more attempts from another process moved it, and it is read again.
      // What waits for the next write is true already: the loop decides on it (a record read again lacks it).
      this.search = withNodePatches(await refreshSearch(this.se.git, this.se.repo, this.search), [...this.deferred]);
      if (this.search.driver?.holder !== this.holder) throw new AxiomError('Locked', `Search ${name} was taken over by another driver (${this.search.driver?.holder ?? 'none'}).`);
      if (Date.parse(this.search.driver.leaseUntil) - this.now() < this.leaseMs / 2) await this.update((r) => ({ ...r, driver: claimOf(this.now(), this.leaseMs) }));
      const ending = budgetEnding(this.search, this.now());
      if (ending?.now) return this.end(ending.reason);
      // Results this look can carry with an expansion (one that comes during it pokes the next look).
      const due = [...this.unrecorded.keys()];
      await this.watchRunning();
      // A slot being removed after its node's evaluation does not count: its attempt is over.
      const live = this.search.nodes.filter((n) => (n.instance !== null && !this.freed.has(n.id)) || this.inFlight.has(n.id)).length;
      const root = this.node(0);
      if (root.state === 'pending' && !this.inFlight.has(0)) await this.startRoot();
      else if (!ending && root.state !== 'pending' && root.state !== 'running') await this.expand(this.search.parallel - live);
      // A result no expansion carried (none was due, or none could be made) is written now.
      if (due.some((id) => this.unrecorded.has(id))) await this.recordResults();
      this.releaseWritten();
      const busy = this.search.nodes.some((n) => n.state === 'pending' || n.state === 'running') || this.inFlight.size > 0;
      if (!busy) {
        const expandable = this.search.nodes.some((n) => n.state === 'evaluated' && n.commit);
        if (ending) return this.end(ending.reason);
        if (!expandable) return this.end('no node is left to expand');
      }
      await this.waker.sleep(this.pollMs, this.options.signal);
    }
  }

  /** What a driver that is gone left: instances of finished nodes, nodes it had not started yet. */
  private async recover(): Promise<void> {
    for (const n of this.search.nodes) {
      if (n.state === 'pending' && n.instance) {
        // Its spawn or launch was cut off: the root starts again; any other node failed.
        await this.se.cleanup(n.instance);
        if (n.parent === null) await this.patchNode(n.id, { instance: null });
        else await this.fail(n.id, 'interrupted before its agent started (the driver stopped)');
      } else if ((n.state === 'evaluated' || n.state === 'failed') && n.instance) {
        await this.se.cleanup(n.instance);
        await this.patchNode(n.id, { instance: null });
      }
    }
  }

  private async fail(id: number, error: string): Promise<void> {
    const node = this.node(id);
    if (node.instance) await this.se.cleanup(node.instance);
    await this.patchNode(id, { state: 'failed', error, instance: null });
    this.options.onEvent?.({ kind: 'failed', node: this.node(id) });
  }

  private async startRoot(): Promise<void> {
    const root = this.node(0);
    const instance = nodeInstanceId(this.search.name, 0);
    this.inFlight.add(0);
    try {
      await this.patchNode(0, { instance });
      await this.se.spawnAt(instance, { base: this.search.base, commit: root.commit ?? this.search.baseSha }, null, null);
      await this.patchNode(0, { state: 'running' });
      this.waker.poke(); // the base has no agent to wait for: its evaluation is due now
    } catch (e) {
      if (!isAxiomError(e)) throw e;
      await this.fail(0, `the base could not be evaluated: ${e.message}`);
    } finally {
      this.inFlight.delete(0);
    }
  }

  /** Expands the selected nodes into at most `slots` new children, within the attempts left. */
  private async expand(slots: number): Promise<void> {
    // An evaluation recorded since the loop looked may have ended the budget.
    if (budgetEnding(this.search, this.now())) return;
    const attemptsLeft = this.search.budget.attempts - this.search.nodes.filter((n) => n.parent !== null).length;
    const n = Math.min(slots, attemptsLeft);
    if (n <= 0) return;
    const picks = selectExpansions({ ...this.search, direction: this.search.evaluate.score }, n);
    for (const pick of picks) {
      for (let i = 0; i < pick.children; i++) {
        if (!(await this.expandOne(pick.node))) return;
      }
    }
  }

  /** One child of `parentId`; false when no more children can be made now (the live limit). */
  private async expandOne(parentId: number): Promise<boolean> {
    const parent = this.node(parentId);
    const id = Math.max(...this.search.nodes.map((x) => x.id)) + 1;
    const agent = this.chooseAgent();
    const prompt = buildPrompt(this.search.template, this.search.task, parent.result);
    const instance = nodeInstanceId(this.search.name, id);
    const node: SearchNode = { id, parent: parentId, round: parent.round + 1, agent, prompt, instance, commit: null, result: null, state: 'pending', createdAt: new Date(this.now()).toISOString() };
    this.inFlight.add(id);
    try {
      await this.update((r) => ({ ...r, nodes: [...r.nodes, node] }));
      try {
        await this.se.spawnAt(instance, { base: this.search.base, commit: parent.commit! }, agent, prompt);
        this.releaseWritten();
      } catch (e) {
        this.releaseWritten();
        if (!isAxiomError(e)) throw e;
        if (e.code === 'LimitReached') {
          // Not an attempt: the machine's live limit is reached; the node is taken back and tried again later.
          await this.update((r) => ({ ...r, nodes: r.nodes.filter((x) => x.id !== id) }));
          return false;
        }
        await this.fail(id, `its instance could not be created: ${e.message}`);
        return true;
      }
      try {
        const started = await this.se.launch(instance, agent, agent === 'custom' ? this.search.agentCommand : null, this.search.permissionMode);
        const poke = (): void => this.waker.poke();
        if (started) void started.exited.then(poke, poke);
      } catch (e) {
        if (!isAxiomError(e)) throw e;
        await this.fail(id, `its agent could not start: ${e.message}`);
        return true;
      }
      await this.patchNode(id, { state: 'running' });
      this.options.onEvent?.({ kind: 'expanded', node: this.node(id) });
      return true;
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** The agent of the next child: UCB1 over what is known from before and this search's own attempts so far. */
  private chooseAgent(): string {
    const pending = new Map<string, number>();
    for (const n of this.search.nodes) if (n.agent && (n.state === 'pending' || n.state === 'running')) pending.set(n.agent, (pending.get(n.agent) ?? 0) + 1);
    return chooseAgent(this.search.agents, [...this.prior, ...searchOutcomes(this.search)], pending).agent;
  }

  /** Looks at every running node: a finished agent is evaluated (in the background), a gone instance fails its node. */
  private async watchRunning(): Promise<void> {
    for (const n of this.search.nodes) {
      if (n.state !== 'running' || !n.instance || this.inFlight.has(n.id)) continue;
      const progress = await this.se.progress(n.instance);
      if (progress === 'working') continue;
      if (progress === 'gone') {
        await this.fail(n.id, 'its instance is gone (cleaned up outside the search)');
        continue;
      }
      this.inFlight.add(n.id);
      void this.evaluateNode(n.id, n.instance).finally(() => {
        this.inFlight.delete(n.id);
        this.waker.poke(); // its slot is free: expand now, not at the next poll
      });
    }
  }

  private async evaluateNode(id: number, instance: string): Promise<void> {
    try {
      let state: EvaluatedState;
      try {
        state = await this.se.evaluate(instance, this.search.evaluate);
      } catch (e) {
        if (!isAxiomError(e)) throw e;
        await this.fail(id, `its evaluation could not run: ${e.message}`);
        return;
      }
      const result = { passed: state.passed, score: state.score, feedback: feedbackOf(state.log), diff: state.diff, evaluatedAt: new Date(this.now()).toISOString() };
      // The result goes with the record's next write — the next node's, which this evaluation makes
      // due at once — not a write of its own. Until then the evaluated commit is held by the ref the
      // evaluation wrote (refs/axiom/evaluated/…) and the slot stays: a driver cut off before the
      // write leaves the node running in its live slot, and the next driver evaluates it again (the
      // history counts an instance's latest evaluation only). Its attempt is over: its slot counts as free.
      const patch: Partial<SearchNode> = { state: 'evaluated', commit: state.commit, result };
      this.deferred.set(id, { ...this.deferred.get(id), ...patch });
      this.unrecorded.set(id, instance);
      this.freed.add(id);
      this.search = withNodePatches(this.search, [[id, patch]]);
    } catch (e) {
      this.failure ??= e;
    }
  }

  /**
   * Removes an evaluated node's slot in the background, beside the next attempt's launch: cleanup
   * salvages whatever the slot holds beyond the node's commit (recorded, with its ref, before this)
   * and journals its own steps. Its `instance: null` goes with the record's next write; a driver cut
   * off before that finds the node evaluated with its instance named, and cleans it up again (gone:
   * nothing to do). The search ends only once every release is done.
   */
  private release(id: number, instance: string): void {
    this.freed.add(id);
    const done: Promise<void> = this.se
      .cleanup(instance)
      .then(
        () => void this.deferred.set(id, { ...this.deferred.get(id), instance: null }),
        (e: unknown) => void (this.failure ??= e),
      )
      .finally(() => {
        this.releasing.delete(done);
        this.waker.poke();
      });
    this.releasing.add(done);
  }

  /** Writes the results that wait for the record's next write (their slots are released then); nothing when none waits. */
  private async recordResults(): Promise<void> {
    if (this.unrecorded.size > 0) await this.update((r) => r);
    this.releaseWritten();
  }

  /** Releases the slots whose results are written (in the background). */
  private releaseWritten(): void {
    for (const [id, instance] of this.written) this.release(id, instance);
    this.written.clear();
  }

  /** Ends the search: running attempts stopped and failed, their instances cleaned up, the record closed. */
  private async end(reason: string): Promise<Search> {
    // Evaluations under way finish first (their results are recorded), then what still runs is stopped.
    while (this.inFlight.size > 0) await sleep(Math.min(this.pollMs, 200));
    await this.recordResults();
    await Promise.all(this.releasing);
    // A slot that could not be removed: the search does not end with it live (resume tries again).
    if (this.failure) throw this.failure;
    await this.writes;
    for (const n of this.search.nodes) {
      if (n.state !== 'pending' && n.state !== 'running') continue;
      if (n.instance) await this.se.stopAgent(n.instance).catch(() => undefined);
      await this.fail(n.id, `stopped: ${reason}`);
    }
    const stopped = this.search.state === 'stopping';
    const ended = await this.update((r) => ({ ...r, state: stopped || r.state === 'stopping' ? 'stopped' : 'done', stopReason: reason, endedAt: new Date(this.now()).toISOString(), driver: null }));
    this.options.onEvent?.({ kind: 'ended', search: ended });
    return landIfAsked(this.se, ended, this.now, this.options.onEvent);
  }
}

// ---- the landing approved in advance (`--land`) ----

/** Whether a search started with `land` ended by itself (not stopped) and what its landing did is not recorded yet. */
export function autoLandDue(s: Pick<SearchRecord, 'land' | 'state' | 'autoLanded'>): boolean {
  return s.land === true && s.state === 'done' && s.autoLanded === undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/**
 * What landing the ended search does: the node `landed` names when a landing already happened (by
 * hand, or by a driver cut off before it recorded this), none when no node passed, else the best
 * passing node through the one landing path (`se.land`: search land, journalled, once). Null: another
 * live process is landing it right now (it records the landing; the next look records this). A
 * landing that fails otherwise (a conflict, the repository locked too long) is recorded as failed,
 * with its reason: the search then lands only by `search land`.
 */
async function autoLandOutcome(se: SearchEngine, search: Search): Promise<Omit<SearchAutoLanded, 'at'> | null> {
  const landedNote = (l: SearchLanding): Omit<SearchAutoLanded, 'at'> => ({ node: l.node, note: `node ${l.node} ${l.published ? 'was published for' : 'landed into'} ${l.into}` });
  if (search.landed) return landedNote(search.landed);
  const best = bestNode(search.nodes, search.evaluate.score, false);
  if (!best?.result?.passed) return { node: null, note: 'no attempt passed its evaluation: nothing was landed' };
  if (!se.land) return { node: null, note: `this front end cannot land: land node ${best.id} with search land` };
  try {
    const r = await se.land(search.name);
    return { node: r.node, note: `node ${r.node} landed into ${r.into}` };
  } catch (e) {
    if (!isAxiomError(e)) throw e;
    const fresh = await findSearch(se.git, se.repo, search.name);
    if (e.code === 'AlreadyLanded' && fresh.landed) return landedNote(fresh.landed);
    if (e.code === 'Locked' && fresh.landing && landingHolderLives(fresh.landing.holder)) return null;
    return { node: null, note: `the landing of node ${best.id} failed: ${firstLine(e.message)} Nothing was landed; land it with search land once that is fixed.` };
  }
}

/** Whether the landing under way is another live process's (it records the outcome; this driver leaves it). */
function landingHolderLives(holder: string): boolean {
  const id = parseProcessIdentity(holder);
  return id !== null && holder !== formatProcessIdentity(currentProcessIdentity()) && isSameProcessAlive(id);
}

/** Lands an ended search started with `land` (once) and records what that did; any other search is returned as it is. */
async function landIfAsked(se: SearchEngine, search: Search, now: () => number, onEvent?: (e: SearchEvent) => void): Promise<Search> {
  if (!autoLandDue(search)) return search;
  const outcome = await autoLandOutcome(se, search);
  if (!outcome) return findSearch(se.git, se.repo, search.name);
  const fresh = await findSearch(se.git, se.repo, search.name);
  const recorded = await updateSearch(se.git, se.repo, fresh, (r) => (r.autoLanded ? r : { ...r, autoLanded: { at: new Date(now()).toISOString(), ...outcome } }));
  onEvent?.({ kind: 'landed', search: recorded, autoLanded: recorded.autoLanded! });
  return recorded;
}

/** The record with these node changes made (to the nodes it still has). */
function withNodePatches<R extends SearchRecord>(r: R, patches: readonly [number, Partial<SearchNode>][]): R {
  if (patches.length === 0) return r;
  const byId = new Map(patches);
  return { ...r, nodes: r.nodes.map((n) => (byId.has(n.id) ? { ...n, ...byId.get(n.id) } : n)) };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Drives the search until it ends (the budget, a stop request) and returns its final record. Locked
 * when another live driver holds it. Also what `resume` runs: it continues from the recorded tree.
 */
export function driveSearch(se: SearchEngine, name: string, options: DriveOptions = {}): Promise<Search> {
  return new Driver(se, options).run(name);
}

/**
 * Asks the search to stop. A live driver ends it at its next look (running attempts stopped, their
 * work salvaged); with no live driver this process ends it at once.
 */
export async function stopSearch(se: SearchEngine, name: string, options: Pick<DriveOptions, 'now' | 'pollMs'> = {}): Promise<Search> {
  const now = options.now ?? Date.now;
  let search = await findSearch(se.git, se.repo, name);
  if (search.state === 'done' || search.state === 'stopped') return search;
  search = await updateSearch(se.git, se.repo, search, (r) => (r.state === 'running' ? { ...r, state: 'stopping' } : r));
  if (isDriven(search, now())) return search;
  // Nobody drives it: this process does, and the first thing it sees is the stop request.
  return new Driver(se, { ...options, pollMs: options.pollMs ?? 200 }).run(name);
}
