/**
 * Races and conflicts of one repository for the UI: the live races with their members ranked, the
 * conflict forecast between live instances (for the row badges), and automatic evaluation of race
 * members whose agent finished (terminal command end, Claude Stop/SessionEnd, headless exit, a failed
 * turn past its grace) — only in a trusted workspace, through the engine's race driver (the one
 * `race --wait` uses); this keeps only the log and the view. It re-reads when the model changes and
 * when the race refs or the evaluation notes move (another window, the CLI, the MCP server).
 */
import * as vscode from 'vscode';
import {
  factsOf,
  isAxiomError,
  latestByMember,
  raceRows,
  readEvaluations,
  resolveEvaluation,
  unknownRaces,
  type DueOutcome,
  type EvaluationRecord,
  type Forecast,
  type MemberFacts,
  type Race,
  type RaceDriver,
  type RankRow,
} from '../core';
import { CoalescedRead, KeptRead } from './coalescedRead';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';

export interface RaceView {
  race: Race;
  /** Ranked, best first (members not evaluated yet last). */
  rows: RankRow[];
  /** Members still live. */
  live: string[];
}

/** A member another process evaluates: looked at again after this long, not at once. */
const LOCKED_RETRY_MS = 3000;

export class Exploration implements vscode.Disposable {
  private views: RaceView[] = [];
  private latest: Forecast | null = null;
  /** The engine's driver of automatic evaluation (one evaluation per member at a time, failed turns stopped first). */
  private readonly driver: RaceDriver;
  private disposed = false;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly subs: vscode.Disposable[] = [];
  private readonly reads: CoalescedRead;
  /** Races whose evaluation command is missing: said once in the log, not on every refresh. */
  private readonly warned = new Set<string>();
  /** Race records and evaluations as last read; re-read only when their refs move. */
  private readonly stored = new KeptRead<{ races: Race[]; evaluations: EvaluationRecord[] }>();
  /** The races members named that the last read of the races lacked (read again once per such set). */
  private unknown = '';
  /** The instance tips the forecast was made for: unchanged tips need no new forecast. */
  private forecastKey = '';
  /** What the view last showed: the tree is refreshed only when this changes (a refresh re-creates rows under the mouse). */
  private shown = '';

  constructor(
    readonly model: RepositoryModel,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.reads = new CoalescedRead(() => this.read(), (e) => this.log.warn('Reading races failed:', e));
    this.driver = model.engine.explore.raceDriver({ onOutcome: (o) => this.evaluated(o) });
    const refs = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(model.engine.repo.commonDir), '{packed-refs,refs/axiom/races/**,refs/notes/axiom}'),
    );
    const refsMoved = (): void => {
      this.stored.invalidate();
      this.schedule();
    };
    this.subs.push(refs, refs.onDidCreate(refsMoved), refs.onDidChange(refsMoved), refs.onDidDelete(refsMoved), model.onDidChange(() => this.schedule()));
    this.schedule(0);
  }

  races(): RaceView[] {
    return this.views;
  }

  raceOf(id: string): RaceView | undefined {
    return this.views.find((v) => v.live.includes(id));
  }

  rankOf(id: string): RankRow | undefined {
    return this.raceOf(id)?.rows.find((r) => r.id === id);
  }

  isEvaluating(id: string): boolean {
    return this.driver.isEvaluating(id);
  }

  get forecast(): Forecast | null {
    return this.latest;
  }

  /** The other live instances this one conflicts with, and in which files. */
  conflictsOf(id: string): { other: string; files: string[] }[] {
    return (this.latest?.pairs ?? []).filter((p) => p.a === id || p.b === id).map((p) => ({ other: p.a === id ? p.b : p.a, files: p.files }));
  }

  /** Re-reads soon (changes come in bursts). */
  schedule(delayMs = 300): void {
    this.reads.schedule(delayMs);
  }

  /** Re-reads now (race records and evaluations included); resolves when the view shows the current races. */
  refresh(): Promise<void> {
    this.stored.invalidate();
    return this.update();
  }

  private update(): Promise<void> {
    return this.reads.run();
  }

  private async read(): Promise<void> {
    await this.model.ready();
    const { engine } = this.model;
    const worktrees = this.model.worktrees();
    const load = async (): Promise<{ races: Race[]; evaluations: EvaluationRecord[] }> => {
      const [races, evaluations] = await Promise.all([engine.explore.races(), readEvaluations(engine.git, engine.repo)]);
      return { races, evaluations };
    };
    let stored = await this.stored.get(load);
    // A member of a race not read yet: the move of its ref was missed (a race made by the CLI, its
    // folder new) — the races are read again, not left out of the view until the next ref event.
    const unknown = unknownRaces(factsOf(worktrees), stored.races).join(' ');
    if (unknown !== '' && unknown !== this.unknown) {
      this.log.info(`Reading the races again: instances name ${unknown}, which the last read did not have.`);
      this.stored.invalidate();
      stored = await this.stored.get(load);
    }
    this.unknown = unknownRaces(factsOf(worktrees), stored.races).join(' ');
    const { races, evaluations } = stored;
    const views: RaceView[] = [];
    const due: { race: Race; latest: Map<string, EvaluationRecord> }[] = [];
    const graceMs = races.length ? await engine.explore.graceMs() : 0;
    for (const race of races) {
      const live = race.members.filter((m) => worktrees.some((w) => w.id === m.id && w.metadata?.race === race.ref && w.dirty !== null)).map((m) => m.id);
      if (live.length === 0) continue;
      const latest = latestByMember(evaluations, race.ref);
      views.push({ race, rows: raceRows(race, latest, worktrees), live });
      due.push({ race, latest });
    }
    this.views = views;
    // The forecast runs merges (merge drivers): only in a trusted workspace, and only when a tip moved.
    const key = worktrees
      .filter((w) => w.kind === 'instance' && (w.ahead ?? 0) > 0)
      .map((w) => `${w.id}:${w.head}:${w.base}:${w.behind}`)
      .sort()
      .join(' ');
    if (!vscode.workspace.isTrusted) this.latest = null;
    else if (key !== this.forecastKey || !this.latest) {
      this.latest = await engine.explore.conflicts(worktrees).catch(() => null);
      this.forecastKey = key;
    }
    this.changed();
    if (vscode.workspace.isTrusted) {
      const facts = factsOf(worktrees);
      for (const d of due) void this.evaluateDue(d.race, facts, d.latest, graceMs);
    }
  }

  /** Hands the race's members whose agent finished since their last evaluation to the engine's driver. */
  private async evaluateDue(race: Race, facts: MemberFacts[], latest: Map<string, EvaluationRecord>, graceMs: number): Promise<void> {
    if (this.driver.due(race, facts, latest, graceMs).length === 0) return;
    try {
      resolveEvaluation({}, race, await this.model.engine.explore.configuredEvaluation());
    } catch (e) {
      if (!this.warned.has(race.ref)) this.log.info(`Race ${race.task} is not evaluated automatically: ${isAxiomError(e) ? e.message.split('\n')[0] : String(e)}`);
      this.warned.add(race.ref);
      return;
    }
    if (this.driver.evaluateDue(race, facts, latest, graceMs).length > 0) this.changed();
  }

  /** One member's automatic evaluation ended: said in the log, and the view read again. */
  private evaluated(o: DueOutcome): void {
    if (this.disposed) return;
    if ('result' in o) this.log.info(`Evaluated ${o.id}: ${describe(o.result)}.`);
    else if ('error' in o) this.log.warn(`Evaluating ${o.id} failed: ${o.error.message}`);
    else if ('fault' in o) this.log.error(`Evaluating ${o.id} failed:`, o.fault);
    this.changed();
    this.stored.invalidate();
    // Another process evaluates it (or just did): its note moves the refs watched here; look again later anyway.
    this.schedule('locked' in o ? LOCKED_RETRY_MS : 0);
  }

  /** Fires onDidChange when what the UI shows (races, ranks, evaluations under way, conflicts) changed. */
  private changed(): void {
    const now = JSON.stringify([this.views.map((v) => [v.race.sha, v.live, v.rows]), this.driver.evaluating().sort(), this.latest?.pairs ?? null]);
    if (now === this.shown) return;
    this.shown = now;
    this.emitter.fire();
  }

  dispose(): void {
    this.disposed = true;
    this.reads.dispose();
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}

function describe(e: EvaluationRecord): string {
  return `${e.passed ? 'passed' : e.timedOut ? 'timed out' : `failed (exit ${e.exitCode})`}${e.score !== null ? `, score ${e.score}` : ''}`;
}

/** One Exploration per repository of the workspace, made and dropped with the repositories. */
export class Explorations implements vscode.Disposable {
  private readonly byModel = new Map<RepositoryModel, Exploration>();
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Any repository's races, ranking, evaluations or forecast changed. */
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly repos: Repositories,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.sub = repos.onDidChange(() => this.sync());
    this.sync();
  }

  /** The exploration state of a repository (made on first use). */
  of(model: RepositoryModel): Exploration {
    let e = this.byModel.get(model);
    if (!e) {
      e = new Exploration(model, this.log);
      e.onDidChange(() => this.emitter.fire());
      this.byModel.set(model, e);
    }
    return e;
  }

  private sync(): void {
    const live = new Set(this.repos.models());
    for (const [m, e] of this.byModel) {
      if (live.has(m)) continue;
      e.dispose();
      this.byModel.delete(m);
    }
    for (const m of live) this.of(m);
  }

  dispose(): void {
    this.sub.dispose();
    for (const e of this.byModel.values()) e.dispose();
    this.byModel.clear();
    this.emitter.dispose();
  }
}
