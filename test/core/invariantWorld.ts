/**
 * A real repository in a temp folder in which the invariant suite plays one sequence of actions:
 * agents work in instance worktrees, the user works on main, and Axiom operations run in between —
 * in-process through the engine, or through the CLI, killed with SIGKILL. Around every operation the
 * independent checker records the state and verifies that nothing was lost.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomEngine, AxiomError, REFUSAL_CODES, driveSearch, engineSearchSlots, landSearch, searchDefaults, startSearch, stopSearch, type SearchEngine } from '../../src/core';
import { headlessLauncher } from '../../src/agents/raceLauncher';
import { withRepoLock } from '../../src/core/instances/lock';
import { CLI, makeRepo, writeFile, type TempRepo } from './helpers';
import { isAlive, landed, liveInstances, pendingProperties, processesAlive, readSearchRecords, record, searchDrivers, searchLosses, spawnManyLosses, verify, visibility, type Loss } from './invariantChecker';
import { describeAction, INSTANCE_IDS, manyIds, MANY_PREFIX, raceTask, SEARCH_INSTANCE, searchName, SLOTS, slotId, type Action, type AgentAct, type During, type Op, type UserAct } from './invariantModel';

/** Typed errors that are a fine answer to a random operation (a refusal or a conflict, not a crash). */
// InvalidConfig: an agent's .gitignore merged into main can make `.axiom.json` unusable (a share no longer
// ignored); spawn then refuses with the reason and changes nothing — as the checker verifies.
const FINE_CODES = new Set<string>([...REFUSAL_CODES, 'MergeConflict', 'NotFound', 'InvalidArgument', 'InvalidConfig', 'BaseNotFound', 'NoWinner', 'StaleEvaluation', 'SetupFailed', 'TeardownFailed']);

/** Operations that drive a search (a stop drives it to its end when no driver does). */
const DRIVES = new Set<Op['op']>(['search', 'searchResume', 'searchStop']);

/** Operations that create or remove instances. */
const RESHAPING = new Set<Op['op']>(['spawn', 'spawnMany', 'spawnFrom', 'race', 'cleanup', 'cleanupAll', 'repair', 'restore', 'land', 'landAll', 'search', 'searchStop', 'searchResume', 'searchLand']);

/**
 * The search's stand-in agent (`sh ../search-agent.sh {id}`, run in its slot): leaves a process behind
 * (recorded in `../pids/agent.<id>`), commits one file, then turns against what Axiom provisioned — it
 * un-ignores the copied `.env` and the `cache` link, edits `.env` (a copy of what it made goes to
 * `../provisioned/`, so the checker knows that content too) — writes a secret into a file its own
 * `.gitignore` still ignores (a copy in `../secrets/`: never a git object), and leaves a draft uncommitted.
 */
const SEARCH_AGENT = [
  'id=$1',
  'mkdir -p ../pids ../provisioned ../secrets',
  'sleep 60 </dev/null >/dev/null 2>&1 &',
  'echo $! >> "../pids/agent.$id"',
  'mkdir -p work',
  'echo "search attempt $id $$" > "work/search-$id.txt"',
  'git add "work/search-$id.txt"',
  'git -c user.name=Agent -c user.email=agent@example.com commit -q -m "search attempt $id"',
  "printf 'build/\\n*.log\\n' > .gitignore",
  'echo "AGENT_EDITED=$id-$$" >> .env',
  'cp .env "../provisioned/$id.$$.env"',
  'echo "TOKEN=$id-$$-$(date +%s%N)" > "debug-$id.log"',
  'cp "debug-$id.log" "../secrets/$id.$$.log"',
  'echo "draft $id" > "work/draft-$id.txt"',
  'sleep 0.2',
  '',
].join('\n');
const SEARCH_AGENT_COMMAND = 'sh ../search-agent.sh {id}';
/** A search of the world: two attempts of the stand-in agent, evaluated by the world's evaluation (`.axiom.json`). */
const searchOptions = (name: string, width: number): Parameters<typeof startSearch>[1] => ({ name, task: `search ${name}`, agents: 'custom', agentCommand: SEARCH_AGENT_COMMAND, attempts: 2, width, parallel: width, select: 'best' });

/** What Axiom provisions into every instance (the template's `.axiom.json`): the user's `.env` copied, `cache` linked to main's. */
export const PROVISIONED = ['.env', 'cache'];

const IDENTITY = { GIT_AUTHOR_NAME: 'Agent', GIT_AUTHOR_EMAIL: 'agent@example.com', GIT_COMMITTER_NAME: 'Agent', GIT_COMMITTER_EMAIL: 'agent@example.com' };
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_') && !k.startsWith('AXIOM_TEST_'))),
  ...IDENTITY,
  LC_ALL: 'C',
};

/** git for the agents and the user (they may fail: a failed action is part of the story). */
function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function shAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: { ...ENV, ...env }, encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

const attempt = (fn: () => void): void => {
  try {
    fn();
  } catch {
    /* the agent's or user's command failed (a conflict, a dirty tree): that is allowed */
  }
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Outcome =
  | { kind: 'ok'; expired?: string[]; landAllSeen?: string[] }
  | { kind: 'refused'; code: string }
  | { kind: 'killed' }
  | { kind: 'skipped' }
  | { kind: 'unexpected'; detail: string };

export interface StepReport {
  index: number;
  action: string;
  outcome: string;
  losses: Loss[];
  unexpected: string | null;
  /** The search whose driver this step killed (it must be resumable). */
  killedDriver?: number;
}

export interface SequenceResult {
  failure: StepReport | null;
  operations: number;
  kills: number;
  refusals: number;
  /** Hostile agent actions played (against provisioned files, links into main, commits during an operation). */
  hostile: number;
  /** Losses of pending properties seen (not failures): kind → how often. */
  pendingSeen: Map<string, number>;
  /** "merge squash: ok" → how often (what the random sequences actually exercised). */
  outcomes: Map<string, number>;
  /** Time spent in operations (the engine or the CLI), without the checker. */
  operationMs: number;
  /** The actions as played, slots resolved to the instances they met. */
  played: Action[];
}

export class World {
  private n = 0;
  /** Worktree folders the user moved with mv (the agent keeps working there). */
  private readonly moved = new Map<string, string>();
  private readonly result: SequenceResult = { failure: null, operations: 0, kills: 0, refusals: 0, hostile: 0, pendingSeen: new Map(), outcomes: new Map(), operationMs: 0, played: [] };
  /** Race task → how many landings moved its target so far. */
  private readonly landings = new Map<string, number>();
  private pending = pendingProperties();
  /** AXIOM_PROPERTY_COUNT_PENDING=1: pending properties are checked too, and what they find counted (not failed). */
  private readonly checks = { count: !!process.env.AXIOM_PROPERTY_COUNT_PENDING, on: (kind: string): boolean => !this.pending.has(kind) || this.checks.count };
  /** Instances that were live and are gone (cleaned up, landed, removed): none of their processes may live on. */
  private readonly gone = new Set<string>();

  private constructor(
    readonly repo: TempRepo,
    readonly engine: AxiomEngine,
    private readonly submoduleSource: string,
  ) {}

  /**
   * A copy of one template: the repository with instance s0 already spawned by the engine. Copying
   * the two folders (and pointing the worktree's two gitdir links at the copies) is much cheaper than
   * the dozen git commands that make them.
   */
  /** `enforce`: properties checked even if pending (a named repro of that property). */
  static async create(options: { enforce?: string[] } = {}): Promise<World> {
    const template = await templateRepo();
    const parent = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-invariant-')));
    const dir = path.join(parent, 'repo');
    fs.cpSync(path.join(template.parent, 'repo'), dir, { recursive: true, verbatimSymlinks: true });
    // Every worktree of the template (s0 and the members of race r0): copied, its gitdir links pointed at the copies, its cache link at the new main.
    const admin = path.join(dir, '.git', 'worktrees');
    for (const name of fs.readdirSync(admin)) {
      const wt = path.join(parent, path.basename(path.dirname(fs.readFileSync(path.join(admin, name, 'gitdir'), 'utf8').trim())));
      fs.cpSync(path.join(template.parent, path.basename(wt)), wt, { recursive: true, verbatimSymlinks: true });
      fs.writeFileSync(path.join(admin, name, 'gitdir'), `${path.join(wt, '.git')}\n`);
      fs.writeFileSync(path.join(wt, '.git'), `gitdir: ${path.join(admin, name)}\n`);
      const link = path.join(wt, 'cache');
      if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) {
        fs.rmSync(link);
        fs.symlinkSync(path.join(dir, 'cache'), link);
      }
    }
    for (const script of SCRIPTS) fs.copyFileSync(path.join(template.parent, script), path.join(parent, script));
    fs.mkdirSync(path.join(parent, 'tmp'));
    fs.mkdirSync(path.join(parent, 'pids'));
    // What the template's search agents made of provisioned files and the secrets they wrote (the live slot q1-n1 holds them).
    for (const kept of ['provisioned', 'secrets']) fs.cpSync(path.join(template.parent, kept), path.join(parent, kept), { recursive: true });
    const repo: TempRepo = {
      dir,
      parent,
      write: (rel, content) => writeFile(dir, rel, content),
      commit: () => {
        throw new Error('not used');
      },
      cleanup: () => fs.rmSync(parent, { recursive: true, force: true }),
    };
    const world = new World(repo, await AxiomEngine.open(dir), template.library);
    for (const kind of options.enforce ?? []) world.pending.delete(kind);
    return world;
  }

  dispose(): void {
    stopRecorded(path.join(this.repo.parent, 'pids'));
    this.repo.cleanup();
  }

  /** Plays the actions; stops at the first operation that lost work or failed unexpectedly. */
  async run(actions: Action[]): Promise<SequenceResult> {
    for (const [index, generated] of actions.entries()) {
      const action = await this.resolve(generated);
      this.result.played.push(action);
      if (action.kind === 'agent') await this.agent(action.slot, action.act);
      else if (action.kind === 'user') this.user(action.act);
      else {
        let step = await this.operation(index, action);
        // A search whose driver was killed is resumable: the next `search resume` takes it over and drives it to its end.
        if (step?.killedDriver !== undefined && step.losses.length === 0 && !step.unexpected) {
          step = await this.operation(index, { kind: 'engine', op: { op: 'searchResume', search: step.killedDriver }, during: null }, { afterKill: true });
        }
        if (step && (step.losses.length > 0 || step.unexpected)) {
          this.result.failure = step;
          break;
        }
      }
    }
    return this.result;
  }

  /**
   * Slots are relative to what exists when the action runs: an agent action, a merge or a cleanup
   * of "slot k" meets the k-th live instance, a spawn or restore the k-th free id. So few random
   * operations are wasted on ids that do not exist, and a shrunk sequence still replays the same way.
   */
  private async resolve(action: Action): Promise<Action> {
    const ids = [...INSTANCE_IDS.keys()];
    const live = (await Promise.all(ids.map((k) => this.engine.locate(slotId(k)).then(() => k, () => -1)))).filter((k) => k >= 0);
    const free = ids.filter((k) => k < SLOTS && !live.includes(k));
    const liveSlot = (k: number): number => (live.length ? live[k % live.length]! : k);
    const freeSlot = (k: number): number => (free.length ? free[k % free.length]! : k);
    const op = (o: Op): Op => {
      switch (o.op) {
        case 'spawn':
        case 'restore':
          return { ...o, slot: freeSlot(o.slot) };
        case 'spawnFrom':
          return { ...o, slot: freeSlot(o.slot), from: liveSlot(o.from) };
        case 'race':
          return { ...o, from: o.from === null ? null : liveSlot(o.from) };
        case 'merge':
        case 'cleanup':
        case 'evaluate':
        case 'setup':
          return { ...o, slot: liveSlot(o.slot) };
        default:
          return o;
      }
    };
    const during = (d: During): During => (d?.who === 'agent' ? { ...d, slot: liveSlot(d.slot) } : d);
    switch (action.kind) {
      case 'agent':
        return { ...action, slot: liveSlot(action.slot) };
      case 'user':
        return action;
      case 'engine':
        return { ...action, op: op(action.op), during: during(action.during) };
      case 'kill':
        return { ...action, op: op(action.op), during: during(action.during) };
      case 'race':
        return { ...action, ops: [op(action.ops[0]), op(action.ops[1])] };
      case 'crash':
        return { ...action, slot: freeSlot(action.slot) };
    }
  }

  private next(): number {
    return ++this.n;
  }

  private get extraWorktrees(): string[] {
    return [...this.moved.values()];
  }

  /** The folder an agent of this slot works in: its worktree, or where the user moved it. */
  private async folderOf(slot: number): Promise<{ dir: string; branch: string } | null> {
    const id = slotId(slot);
    const inst = await this.engine.locate(id).catch(() => null);
    if (inst && !inst.missing) return { dir: inst.path, branch: inst.metadata.branch };
    const moved = this.moved.get(id);
    return moved && fs.existsSync(moved) ? { dir: moved, branch: inst?.metadata.branch ?? '' } : null;
  }

  // ---- the agents ----

  private async agent(slot: number, act: AgentAct): Promise<void> {
    const where = await this.folderOf(slot);
    if (!where) return;
    const { dir, branch } = where;
    const n = this.next();
    const commit = (): void => {
      writeFile(dir, `work/f${n}.txt`, `agent ${slotId(slot)} work ${n}\n`);
      sh(dir, 'add', `work/f${n}.txt`);
      sh(dir, 'commit', '-q', '-m', `agent work ${n}`);
    };
    switch (act) {
      case 'commit':
        return attempt(commit);
      case 'commitAll':
        return attempt(() => {
          writeFile(dir, `work/all${n}.txt`, `everything ${n}\n`);
          sh(dir, 'add', '-A');
          sh(dir, 'commit', '-q', '-m', `agent commits everything ${n}`);
        });
      case 'amend':
        return attempt(() => {
          writeFile(dir, `work/amend${n}.txt`, `amended ${n}\n`);
          sh(dir, 'add', `work/amend${n}.txt`);
          sh(dir, 'commit', '-q', '--amend', '--no-edit');
        });
      case 'detach':
        attempt(commit);
        return attempt(() => sh(dir, 'switch', '-q', '--detach', 'main'));
      case 'switchBranch':
        attempt(() => sh(dir, 'switch', '-q', '-c', `agent-${n}`));
        return attempt(commit);
      case 'switchBack':
        return attempt(() => sh(dir, 'switch', '-q', branch));
      case 'mergeMain':
        attempt(() => sh(dir, 'merge', '-q', '--no-ff', '--no-commit', 'main'));
        return attempt(() => {
          if (!fs.existsSync(path.join(sh(dir, 'rev-parse', '--absolute-git-dir').trim(), 'MERGE_HEAD'))) return;
          if (sh(dir, 'diff', '--name-only', '--diff-filter=U').trim()) {
            sh(dir, 'merge', '--abort');
            return;
          }
          writeFile(dir, `work/merged${n}.txt`, `added in the merge commit ${n}\n`);
          sh(dir, 'add', `work/merged${n}.txt`);
          sh(dir, 'commit', '-q', '--no-edit');
        });
      case 'rebaseHalf':
        attempt(() => {
          writeFile(dir, 'conflict.txt', `agent ${n}\n`);
          sh(dir, 'add', 'conflict.txt');
          sh(dir, 'commit', '-q', '-m', `agent edits conflict.txt ${n}`);
        });
        attempt(() => {
          this.repo.write('conflict.txt', `user ${n}\n`);
          sh(this.repo.dir, 'add', 'conflict.txt');
          sh(this.repo.dir, 'commit', '-q', '-m', `user edits conflict.txt ${n}`, '--', 'conflict.txt');
        });
        return attempt(() => sh(dir, 'rebase', 'main'));
      case 'nested':
        return attempt(() => {
          const nested = path.join(dir, `nested${n}`);
          fs.mkdirSync(nested, { recursive: true });
          sh(nested, 'init', '-q', '-b', 'main');
          writeFile(nested, 'n.txt', `nested ${n}\n`);
          sh(nested, 'add', '-A');
          sh(nested, 'commit', '-q', '-m', `nested work ${n}`);
          writeFile(nested, 'draft.txt', `nested draft ${n}\n`);
        });
      case 'submodule':
        return attempt(() => {
          sh(dir, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', this.submoduleSource, `sub${n}`);
          sh(dir, 'commit', '-q', '-m', `add submodule sub${n}`);
          const sub = path.join(dir, `sub${n}`);
          writeFile(sub, `s${n}.txt`, `inside the submodule ${n}\n`);
          sh(sub, 'add', '-A');
          sh(sub, 'commit', '-q', '-m', `submodule work ${n}`);
        });
      case 'submoduleDraft':
        return attempt(() => {
          sh(dir, '-c', 'protocol.file.allow=always', 'submodule', 'update', '-q', '--init', 'vendor/lib');
          writeFile(path.join(dir, 'vendor/lib'), `draft${n}.txt`, `uncommitted inside the submodule ${n}\n`);
        });
      case 'untracked':
        return writeFile(dir, `notes/u${n}.txt`, `untracked idea ${n}\n`);
      case 'ignored':
        return writeFile(dir, `build/out${n}.log`, `BUILD_SECRET=${path.basename(this.repo.parent)}-${n}\n`);
      case 'modify':
        // A spawn killed before its checkout leaves a worktree without files: the agent's edit then creates them.
        return appendFile(dir, 'src/app.txt', `agent line ${n}\n`);
      case 'stage':
        appendFile(dir, 'README.md', `staged ${n}\n`);
        return attempt(() => sh(dir, 'add', 'README.md'));
      case 'forceAddEnv':
        return attempt(() => {
          writeFile(dir, '.env', `AGENT_ENV=${n}\n`);
          sh(dir, 'add', '-f', '.env');
          sh(dir, 'commit', '-q', '-m', `agent commits .env ${n}`);
        });
      case 'commitClash':
        return attempt(() => {
          writeFile(dir, 'clash.txt', `agent ${slotId(slot)} clash ${n}\n`);
          sh(dir, 'add', 'clash.txt');
          sh(dir, 'commit', '-q', '-m', `agent commits clash.txt ${n}`);
        });
      case 'mv': {
        const to = `${dir.replace(/-moved\d+$/, '')}-moved${n}`;
        fs.renameSync(dir, to);
        this.moved.set(slotId(slot), to);
        return;
      }
      case 'unignoreEnv':
        this.result.hostile++;
        return fs.writeFileSync(path.join(dir, '.gitignore'), 'build/\n*.log\n');
      case 'editEnv':
        this.result.hostile++;
        return appendFile(dir, '.env', `AGENT_EDITED=${path.basename(this.repo.parent)}-${n}\n`);
      case 'linkMain':
        this.result.hostile++;
        return attempt(() => {
          fs.symlinkSync(this.repo.dir, path.join(dir, `main-link${n}`));
          fs.symlinkSync(path.join(this.repo.dir, '.env'), path.join(dir, `env-link${n}`));
        });
    }
  }

  // ---- the user on main ----

  private user(act: UserAct): void {
    const n = this.next();
    const main = this.repo.dir;
    switch (act) {
      case 'commit':
        return attempt(() => {
          this.repo.write(`user/u${n}.txt`, `user ${n}\n`);
          sh(main, 'add', `user/u${n}.txt`);
          sh(main, 'commit', '-q', '-m', `user ${n}`, '--', `user/u${n}.txt`);
        });
      case 'commitAll':
        return attempt(() => {
          sh(main, 'add', '-A');
          sh(main, 'commit', '-q', '-m', `user commits everything ${n}`);
        });
      case 'dirty':
        return fs.appendFileSync(path.join(main, 'notes.txt'), `user note ${n}\n`);
      case 'untracked':
        return this.repo.write(`scratch/s${n}.txt`, `user scratch ${n}\n`);
      case 'untrackedClash':
        return attempt(() => {
          if (sh(main, 'ls-files', 'clash.txt').trim() === '') this.repo.write('clash.txt', `user's own clash.txt ${n}\n`);
        });
      case 'env':
        return this.repo.write('.env', `USER_SECRET=${path.basename(this.repo.parent)}-${n}\n`);
      case 'undo':
        return attempt(() => {
          sh(main, 'rev-parse', '--verify', '-q', 'HEAD~1');
          sh(main, 'reset', '-q', '--keep', 'HEAD~1');
        });
    }
  }

  // ---- the operations ----

  /** `afterKill`: a `search resume` right after its driver was killed, which must take the search over (or find it ended). */
  private async operation(index: number, action: Extract<Action, { kind: 'engine' | 'kill' | 'crash' | 'race' }>, options: { afterKill?: boolean } = {}): Promise<StepReport | null> {
    const ops: Op[] = action.kind === 'crash' ? [{ op: 'spawn', slot: action.slot, base: 'main' }] : action.kind === 'race' ? action.ops : [action.op];
    const salvage = ops.some((o) => o.op === 'restore') ? await this.engine.listSalvage() : [];
    if (ops.some((o) => o.op === 'restore') && salvage.length === 0) return null;
    const salvageRef = (op: Op): string => (op.op === 'restore' ? salvage[op.pick % salvage.length]!.ref : '');
    const duringSpec = action.kind === 'engine' || action.kind === 'kill' ? action.during : null;

    const before = record(this.repo.dir, {
      targets: ['main', 'dev'],
      extraWorktrees: this.extraWorktrees,
      provisioned: PROVISIONED,
      guardProvisioned: this.checks.on('provisioned-blob'),
      provisionedLinks: [path.join(this.repo.dir, 'cache')],
    });
    const liveBefore = liveInstances(this.repo.dir, { ahead: ops.some((o) => o.op === 'landAll') && this.checks.on('live-visible') });
    const pidDir = path.join(this.repo.parent, 'pids');
    const pidsBefore = recordedPids(pidDir);
    // `salvage expire --days 0` may delete any salvage ref that exists now: those it deleted were asked for.
    // Evaluation snapshots follow the salvage retention: expire takes those too (it reports only the salvage refs).
    const expiring = ops.some((o) => o.op === 'expire');
    const evaluations = expiring ? sh(this.repo.dir, 'for-each-ref', '--format=%(refname)', 'refs/axiom/evaluated/').split('\n').filter(Boolean) : [];
    const expirable = expiring ? [...(await this.engine.listSalvage()).map((s) => s.ref), ...evaluations] : [];
    const first = ops[0]!;
    const mayMove = (await Promise.all(ops.map((o) => this.targetsAsked(o)))).flat();
    const landingOf = async (op: Op): Promise<{ race: string; branch: string; earlier: number } | null> => {
      const key = op.op === 'land' ? raceTask(op.race) : op.op === 'searchLand' ? `search ${searchName(op.search)}` : null;
      if (!key) return null;
      return { race: key, branch: op.op === 'land' ? await this.raceBase(op.race) : 'main', earlier: this.landings.get(key) ?? 0 };
    };
    const landing = await landingOf(first);
    const during = this.commitDuring(duringSpec, first.op === 'merge' ? await this.targetOf(first) : landing ? landing.branch : 'main');
    const started = Date.now();
    let outcomes: Outcome[];
    if (action.kind === 'engine') outcomes = [await this.viaEngine(first, salvageRef(first))];
    else if (action.kind === 'kill') {
      const cwd = action.inside ? ((await this.folderOf('slot' in first ? first.slot : 0))?.dir ?? this.repo.parent) : this.repo.parent;
      outcomes = [await this.viaCli(first, salvageRef(first), { killAfterMs: action.delayMs, cwd })];
    } else if (action.kind === 'crash') outcomes = [await this.viaCli(first, '', { env: { AXIOM_TEST_HOOKS: '1', AXIOM_TEST_CRASH_AFTER: action.step } })];
    else outcomes = await Promise.all(ops.map((op) => this.viaCli(op, salvageRef(op), {})));
    const { user, agent } = await during;
    // What a kill leaves half done (a cleanup's folder moved aside) is finished or undone by the next
    // Axiom operation as it takes the repository lock: the check looks at the state after that.
    const killed = outcomes.some((o) => o.kind === 'killed');
    if (killed) await withRepoLock(this.engine.repo.commonDir, async () => undefined);
    this.result.operationMs += Date.now() - started;
    if (process.env.AXIOM_PROPERTY_DEBUG) process.stderr.write(`${Date.now() - started} ms: ${describeAction(action)} → ${outcomes.map((o) => (o.kind === 'refused' ? `refused (${o.code})` : o.kind)).join(' + ')}\n`);

    this.result.operations++;
    for (const [i, outcome] of outcomes.entries()) {
      const op = ops[i]!;
      if (outcome.kind === 'killed') this.result.kills++;
      if (outcome.kind === 'refused') this.result.refusals++;
      const key = `${action.kind} ${op.op}${op.op === 'merge' ? ` ${op.strategy}${op.preview ? ' preview' : ''}` : ''}${op.op === 'cleanup' && op.force ? ' force' : ''}: ${outcome.kind === 'refused' ? outcome.code : outcome.kind}`;
      this.result.outcomes.set(key, (this.result.outcomes.get(key) ?? 0) + 1);
    }
    // A single operation that refused, or a preview, must have changed nothing (unless someone committed meanwhile).
    const outcome = outcomes[0]!;
    const unchanged = outcomes.length === 1 && !duringSpec && (outcome.kind === 'refused' || (outcome.kind === 'ok' && ((first.op === 'merge' && first.preview) || first.op === 'rank')));
    const userCommits = user ? [user] : [];
    const all = new Set<string>(); // every property, pending ones too: those found are counted, not failed
    const losses = verify(before, this.repo.dir, {
      extraWorktrees: this.extraWorktrees,
      // Through the engine the expired refs are known; through the CLI (finished or killed), any of them may be.
      expiredRefs: outcomes.flatMap((o, i) => (o.kind === 'ok' && o.expired ? [...o.expired, ...evaluations] : ops[i]!.op === 'expire' && o.kind !== 'refused' ? expirable : [])),
      userCommits,
      agentCommits: agent ? [agent] : [],
      unchanged,
      mayMove,
      ...(landing ? { landing } : {}),
      pending: this.checks.count ? all : this.pending,
      provisionedAlso: filesIn(path.join(this.repo.parent, 'provisioned')),
      secretsAlso: filesIn(path.join(this.repo.parent, 'secrets')),
    });
    // A landing counts when its target moved; not a refused one, whose target another operation may have moved.
    if (landing && outcome.kind !== 'refused' && landed(before, landing.branch, userCommits)) this.landings.set(landing.race, landing.earlier + 1);

    // The processes of instances: none alive once its instance is gone or its evaluation ended (after an operation that ran to its end).
    // Which instances exist changes only by these (and by kills): the views are compared after them.
    const reshapes = killed || action.kind === 'crash' || ops.some((o) => RESHAPING.has(o.op));
    const visible = reshapes && this.checks.on('live-visible');
    const liveAfter = liveInstances(this.repo.dir, { ahead: visible });
    for (const id of liveBefore.keys()) if (!liveAfter.has(id)) this.gone.add(id);
    // A search's slots come and go within one operation: each one that recorded a process and is not live is gone.
    for (const file of recordedPids(pidDir).keys()) {
      const id = file.slice(file.indexOf('.') + 1);
      if (SEARCH_INSTANCE.test(id) && !liveAfter.has(id)) this.gone.add(id);
    }
    for (const id of liveAfter.keys()) this.gone.delete(id);
    // spawn --count alone (no other operation at once): all its instances finished when it succeeded, none created when refused.
    if (first.op === 'spawnMany' && outcomes.length === 1 && (outcome.kind === 'ok' || outcome.kind === 'refused')) {
      losses.push(...spawnManyLosses(this.repo.dir, manyIds(first.count), outcome.kind, new Set(liveBefore.keys())).filter((l) => this.checks.on(l.kind)));
    }
    // What the searches' records say holds in git: node commits kept, one landing, no slot of an ended search left.
    losses.push(...searchLosses(this.repo.dir, liveAfter.keys()).filter((l) => this.checks.on(l.kind)));
    const killedDriver = action.kind === 'kill' && outcome.kind === 'killed' && DRIVES.has(first.op) && 'search' in first ? first.search : undefined;
    if (killedDriver !== undefined) losses.push(...searchDrivers(this.repo.dir, searchName(killedDriver)));
    if (options.afterKill && first.op === 'searchResume' && outcome.kind === 'refused' && !this.endedOrAbsent(first.search, outcome.code)) {
      losses.push({ kind: 'search-resumable', what: `search resume ${searchName(first.search)} after its driver was killed refused (${outcome.code}) although the search has not ended` });
    }
    if (!killed && this.checks.on('process-alive')) {
      const pidsAfter = recordedPids(pidDir);
      const evaluated = [...pidsAfter].filter(([file, pids]) => file.startsWith('eval.') && pids.some((p) => !pidsBefore.get(file)?.includes(p))).map(([file]) => file.slice('eval.'.length));
      const old = new Set([...pidsBefore.values()].flat());
      const alive = (): Loss[] => [...processesAlive(pidDir, { gone: [...this.gone] }), ...processesAlive(pidDir, { gone: [], finishedEvaluations: evaluated, ignore: old })];
      let found = alive();
      for (let waited = 0; found.length && waited < 1000; waited += 100) {
        await sleep(100); // a process being stopped takes a moment to go
        found = alive();
      }
      losses.push(...found);
    }
    // Every live instance is seen by list, conflicts and land --all.
    if (visible) {
      const fresh = await AxiomEngine.open(this.repo.dir);
      const worktrees = (await fresh.snapshot({ conflicts: false })).worktrees;
      const forecast = await fresh.explore.conflicts(worktrees).catch(() => null);
      losses.push(...visibility(liveAfter, { list: worktrees.filter((w) => w.kind === 'instance' && w.id).map((w) => w.id!), ...(forecast ? { conflicts: forecast.instances } : {}) }));
      const seen = outcome.kind === 'ok' ? outcome.landAllSeen : undefined;
      // Instances that had commits before land --all (and nobody committed meanwhile) are each landed or skipped.
      if (seen && !duringSpec) losses.push(...visibility(new Map([...liveBefore].map(([id, l]) => [id, { ahead: l.ahead }])), { list: [...liveBefore.keys()], landAll: seen }));
    }
    for (const l of losses.filter((x) => this.pending.has(x.kind))) this.result.pendingSeen.set(l.kind, (this.result.pendingSeen.get(l.kind) ?? 0) + 1);
    const failing = losses.filter((l) => !this.pending.has(l.kind));
    const unexpected = outcomes.flatMap((o) => (o.kind === 'unexpected' ? [o.detail] : []));
    return {
      index,
      action: `${describeAction(action)}${options.afterKill ? ' (right after its driver was killed)' : ''}`,
      outcome: outcomes.map((o) => (o.kind === 'refused' ? `refused (${o.code})` : o.kind)).join(' + '),
      losses: failing,
      unexpected: unexpected.length ? unexpected.join('\n---\n') : null,
      ...(killedDriver !== undefined ? { killedDriver } : {}),
    };
  }

  /** A resume may refuse a search that has ended (InvalidArgument) or was never recorded (NotFound: its start was killed first). */
  private endedOrAbsent(search: number, code: string): boolean {
    const s = readSearchRecords(this.repo.dir).find((x) => x.name === searchName(search));
    return s ? code === 'InvalidArgument' && (s.state === 'done' || s.state === 'stopped') : code === 'NotFound';
  }

  /** The target branches an operation was asked to move: a merge's, a landing's, every base for land --all. */
  private async targetsAsked(op: Op): Promise<string[]> {
    if (op.op === 'merge') return op.preview ? [] : [await this.targetOf(op)];
    if (op.op === 'land') return [await this.raceBase(op.race)];
    if (op.op === 'searchLand') return ['main'];
    if (op.op === 'landAll') return ['main', 'dev'];
    return [];
  }

  /** The branch a race lands into (its base), main when there is no such race. */
  private async raceBase(race: number): Promise<string> {
    return (await this.engine.explore.race(raceTask(race)).catch(() => null))?.base ?? 'main';
  }

  private async targetOf(op: Extract<Op, { op: 'merge' }>): Promise<string> {
    if (op.into !== 'base') return op.into;
    const inst = await this.engine.locate(slotId(op.slot)).catch(() => null);
    return inst?.metadata.base ?? 'main';
  }

  private async viaEngine(op: Op, salvageRef: string): Promise<Outcome> {
    const e = this.engine;
    try {
      switch (op.op) {
        case 'spawn':
          await e.spawn(slotId(op.slot), { base: op.base });
          break;
        case 'spawnMany':
          await e.spawnMany(MANY_PREFIX, op.count, { base: op.base });
          break;
        case 'merge':
          await e.merge(slotId(op.slot), {
            strategy: op.strategy,
            ...(op.preview ? { preview: true } : {}),
            ...(op.commitMessage ? { commitMessage: 'everything the agent left (committed by axiom)' } : {}),
            ...(op.into !== 'base' ? { into: op.into } : {}),
          });
          break;
        case 'cleanup':
          await e.cleanup(slotId(op.slot), { force: op.force });
          break;
        case 'cleanupAll':
          await e.cleanupAll({ mergedOnly: op.mergedOnly });
          break;
        case 'repair':
          await e.repair();
          break;
        case 'restore':
          await e.restore(salvageRef, { as: slotId(op.slot) });
          break;
        case 'expire':
          return { kind: 'ok', expired: (await e.expireSalvage(0)).map((s) => s.ref) };
        case 'spawnFrom':
          await e.spawn(slotId(op.slot), { from: slotId(op.from) });
          break;
        case 'race':
          await e.explore.startRace({ task: raceTask(op.race), count: op.count, launch: 'none', ...(op.from === null ? {} : { from: slotId(op.from) }) }, null);
          break;
        case 'evaluate':
          await e.explore.evaluate(slotId(op.slot));
          break;
        case 'evaluateRace': {
          const ids = await e.explore.liveMembers(await e.explore.race(raceTask(op.race)));
          const failed = (await e.explore.evaluateMany(ids)).find((o) => 'error' in o);
          if (failed && 'error' in failed) throw failed.error;
          break;
        }
        case 'rank':
          await e.explore.rank(raceTask(op.race));
          break;
        case 'land':
          await e.explore.land(raceTask(op.race), { strategy: op.strategy, ...(op.pick === null ? {} : { pick: `${raceTask(op.race)}-${op.pick + 1}` }), ...(op.keepLosers ? { keepLosers: true } : {}) });
          break;
        case 'landAll': {
          const r = await e.explore.landAll(op.strategy);
          return { kind: 'ok', landAllSeen: [...r.order, ...r.landed.map((l) => l.id), ...r.skipped.map((x) => x.id)] };
        }
        case 'setup':
          await e.setup(slotId(op.slot));
          break;
        case 'search': {
          const slots = this.searchSlots();
          await startSearch(slots, searchOptions(searchName(op.search), op.width), await searchDefaults(e));
          await driveSearch(slots, searchName(op.search), drive());
          break;
        }
        case 'searchStop':
          await stopSearch(this.searchSlots(), searchName(op.search), { pollMs: drive().pollMs });
          break;
        case 'searchResume':
          await driveSearch(this.searchSlots(), searchName(op.search), drive());
          break;
        case 'searchLand':
          await landSearch(e, searchName(op.search), op.node === null ? {} : { node: op.node });
          break;
      }
      return { kind: 'ok' };
    } catch (err) {
      if (err instanceof AxiomError && FINE_CODES.has(err.code)) return { kind: 'refused', code: err.code };
      const detail = err instanceof AxiomError ? `AxiomError ${err.code}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err);
      return { kind: 'unexpected', detail };
    }
  }

  private cliArgs(op: Op, salvageRef: string): string[] {
    const id = 'slot' in op ? slotId(op.slot) : '';
    switch (op.op) {
      case 'spawn':
        return ['spawn', id, '--base', op.base];
      case 'spawnMany':
        return ['spawn', MANY_PREFIX, '--count', String(op.count), '--base', op.base];
      case 'merge':
        return [
          'merge', id, '--strategy', op.strategy,
          ...(op.preview ? ['--preview'] : []),
          ...(op.commitMessage ? ['--commit-message', 'everything the agent left (committed by axiom)'] : []),
          ...(op.into !== 'base' ? ['--into', op.into] : []),
        ];
      case 'cleanup':
        return ['cleanup', id, ...(op.force ? ['--force'] : [])];
      case 'cleanupAll':
        return ['cleanup', '--all', ...(op.mergedOnly ? ['--merged-only'] : [])];
      case 'repair':
        return ['repair'];
      case 'restore':
        return ['salvage', 'restore', salvageRef, '--as', id];
      case 'expire':
        return ['salvage', 'expire', '--days', '0'];
      case 'spawnFrom':
        return ['spawn', id, '--from', slotId(op.from)];
      case 'race':
        return ['race', raceTask(op.race), '--count', String(op.count), '--launch', 'none', ...(op.from === null ? [] : ['--from', slotId(op.from)])];
      case 'evaluate':
        return ['evaluate', id];
      case 'evaluateRace':
        return ['evaluate', '--race', raceTask(op.race)];
      case 'rank':
        return ['rank', raceTask(op.race)];
      case 'land':
        return [
          'land', raceTask(op.race), '--strategy', op.strategy,
          ...(op.pick === null ? [] : ['--pick', `${raceTask(op.race)}-${op.pick + 1}`]),
          ...(op.keepLosers ? ['--keep-losers'] : []),
        ];
      case 'landAll':
        return ['land', '--all', '--strategy', op.strategy];
      case 'setup':
        return ['setup', id];
      case 'search': {
        const o = searchOptions(searchName(op.search), op.width);
        return ['search', o.name, '--prompt', o.task, '--agent-command', SEARCH_AGENT_COMMAND, '--attempts', '2', '--width', String(op.width), '--parallel', String(op.width), '--select', 'best', '--wait'];
      }
      case 'searchStop':
        return ['search', 'stop', searchName(op.search)];
      case 'searchResume':
        return ['search', 'resume', searchName(op.search)];
      case 'searchLand':
        return ['search', 'land', searchName(op.search), ...(op.node === null ? [] : ['--node', String(op.node)])];
    }
  }

  /** The engine as a search's slots, its agents started headless (as the CLI does). */
  private searchSlots(): SearchEngine {
    return engineSearchSlots(this.engine, headlessLauncher({ cwd: this.repo.dir, hookScript: null }));
  }

  /** Runs the CLI in its own process group; SIGKILLs the group (the CLI and its git children) after `killAfterMs`. */
  private viaCli(op: Op, salvageRef: string, options: { killAfterMs?: number; env?: Record<string, string>; cwd?: string }): Promise<Outcome> {
    const args = ['-C', this.repo.dir, ...this.cliArgs(op, salvageRef), '--json'];
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        detached: true,
        cwd: options.cwd ?? this.repo.parent,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...ENV, TMPDIR: path.join(this.repo.parent, 'tmp'), ...options.env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer =
        options.killAfterMs === undefined
          ? null
          : setTimeout(() => {
              try {
                process.kill(-child.pid!, 'SIGKILL');
              } catch {
                /* already gone */
              }
            }, options.killAfterMs);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (signal === 'SIGKILL') resolve({ kind: 'killed' });
        else if (code === 0) resolve({ kind: 'ok', ...reportedBy(op, stdout) });
        else resolve(cliFailure(op, code, signal, stdout, stderr));
      });
    });
  }

  /** A commit made while the operation runs: by the user on the target branch, or by an agent in its worktree. */
  private async commitDuring(during: During, target: string): Promise<{ user?: { branch: string; sha: string }; agent?: string }> {
    if (!during) return {};
    await sleep(during.delayMs);
    const n = this.next();
    try {
      if (during.who === 'agent') {
        const where = await this.folderOf(during.slot);
        if (!where) return {};
        writeFile(where.dir, `work/during${n}.txt`, `agent commit during an operation ${n}\n`);
        await shAsync(where.dir, ['add', `work/during${n}.txt`]);
        return { agent: await committed(where.dir, await shAsync(where.dir, ['commit', '-m', `agent during ${n}`])) };
      }
      if (target === 'main') {
        this.repo.write(`user/during${n}.txt`, `user commit during an operation ${n}\n`);
        await shAsync(this.repo.dir, ['add', `user/during${n}.txt`]);
        const out = await shAsync(this.repo.dir, ['commit', '-m', `user during ${n}`, '--', `user/during${n}.txt`]);
        return { user: { branch: 'main', sha: await committed(this.repo.dir, out) } };
      }
      return { user: { branch: target, sha: await this.commitOnBranch(target, n) } };
    } catch {
      return {}; // the commit did not happen (a lock, a folder gone): nothing to keep
    }
  }

  /** A user commit on a branch checked out nowhere (plumbing, compare-and-swap on the ref). */
  private async commitOnBranch(branch: string, n: number): Promise<string> {
    const dir = this.repo.dir;
    const env = { GIT_INDEX_FILE: path.join(this.repo.parent, 'tmp', `index-${n}`) };
    const old = (await shAsync(dir, ['rev-parse', `refs/heads/${branch}`])).trim();
    const file = path.join(this.repo.parent, 'tmp', `during-${n}.txt`);
    fs.writeFileSync(file, `user commit on ${branch} during an operation ${n}\n`);
    const blob = (await shAsync(dir, ['hash-object', '-w', file])).trim();
    await shAsync(dir, ['read-tree', old], env);
    await shAsync(dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},user/during${n}.txt`], env);
    const tree = (await shAsync(dir, ['write-tree'], env)).trim();
    const sha = (await shAsync(dir, ['commit-tree', tree, '-p', old, '-m', `user on ${branch} during ${n}`])).trim();
    await shAsync(dir, ['update-ref', `refs/heads/${branch}`, sha, old]);
    return sha;
  }
}

/** A failed CLI run: a refusal (exit 2/3/4, or a typed error such as NotFound) or an unexpected failure. */
function cliFailure(op: Op, code: number | null, signal: string | null, stdout: string, stderr: string): Outcome {
  let error: { code?: string } = {};
  try {
    error = (JSON.parse(stderr) as { error?: { code?: string } }).error ?? {};
  } catch {
    /* not the one JSON document --json promises */
  }
  try {
    // `cleanup --all` exits 3 when it kept some instances, and says which on stdout. When it also
    // cleaned some up, the step changed things, as the engine's cleanupAll (same lists, no throw)
    // does: it is checked like a finished operation, not as a refusal that must change nothing.
    const done = JSON.parse(stdout) as { cleaned?: unknown[]; refused?: { code: string }[] };
    // `land --all` exits 3 when it skipped some (it may have landed others); `evaluate` when an evaluation did not pass: both ran to their end.
    if (code === 3 && op.op === 'landAll') return { kind: 'ok', ...reportedBy(op, stdout) };
    if (code === 3 && (op.op === 'evaluate' || op.op === 'evaluateRace') && Array.isArray(done)) return { kind: 'ok' };
    // A search driven to its end without a passing attempt exits 3 with its tree.
    if (code === 3 && (op.op === 'search' || op.op === 'searchResume') && 'search' in done) return { kind: 'ok' };
    if (code === 3 && done.refused?.length) {
      if (done.cleaned?.length) return { kind: 'ok' };
      return { kind: 'refused', code: `exit 3 (kept ${done.refused.map((r) => r.code).join(', ')})` };
    }
  } catch {
    /* no document on stdout */
  }
  if ((code === 2 || code === 3 || code === 4 || code === 1) && error.code && FINE_CODES.has(error.code)) return { kind: 'refused', code: `exit ${code} ${error.code}` };
  return { kind: 'unexpected', detail: `exit ${code ?? signal}: ${stderr.trim().slice(0, 2000)}` };
}

/** The instances `land --all --json` named (its order, landed and skipped), from its stdout. */
/** What a finished CLI run reported: the instances land --all saw, the salvage refs expire deleted. */
function reportedBy(op: Op, stdout: string): { landAllSeen?: string[]; expired?: string[] } {
  try {
    if (op.op === 'landAll') {
      const r = JSON.parse(stdout) as { order: string[]; landed: { id: string }[]; skipped: { id: string }[] };
      return { landAllSeen: [...r.order, ...r.landed.map((l) => l.id), ...r.skipped.map((x) => x.id)] };
    }
    // Run beside a forced cleanup, expire may take the salvage that cleanup made before expire started:
    // the refs it reports are those it deleted (a salvage newer than the call is kept: cleanup.test).
    if (op.op === 'expire') return { expired: (JSON.parse(stdout) as { ref: string }[]).map((r) => r.ref) };
  } catch {
    /* no report: the checker assumes the widest */
  }
  return {};
}

/** The files of a folder (absolute paths), none when it does not exist. */
function filesIn(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
}

/** An in-process driver polls often (the CLI's polls once a second) and never hangs a sequence (cancelled after 90 s: a refusal). */
const drive = (): { pollMs: number; signal: AbortSignal } => ({ pollMs: 50, signal: AbortSignal.timeout(90_000) });

/** Pids recorded by setup and evaluation scripts and search agents: file (`setup.<id>`, `eval.<id>`, `agent.<id>`) → pids. */
function recordedPids(dir: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    out.set(file, fs.readFileSync(path.join(dir, file), 'utf8').split('\n').map(Number).filter((n) => n > 0));
  }
  return out;
}

/** Ends every recorded process still alive (the world's own clean-up, whatever the checker found). */
function stopRecorded(dir: string): void {
  for (const pid of [...recordedPids(dir).values()].flat()) {
    try {
      if (isAlive(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
}

/** The full sha of the commit `git commit` just reported ("[branch abc1234] subject"). */
async function committed(dir: string, out: string): Promise<string> {
  const short = /^\[.* ([0-9a-f]{7,40})\]/m.exec(out)?.[1];
  if (!short) throw new Error(`no commit in: ${out}`);
  return (await shAsync(dir, ['rev-parse', `${short}^{commit}`])).trim();
}

let template: Promise<{ parent: string; library: string }> | null = null;

/**
 * The scripts `.axiom.json` runs, beside the worktrees (`../` of each): setup starts a daemon and
 * evaluation leaves a process behind, each recording its pid in `../pids/<kind>.<id>` so that the
 * checker can tell whether Axiom stopped it; evaluation passes when the agent committed work/.
 */
const SCRIPTS = ['setup.sh', 'teardown.sh', 'eval.sh', 'search-agent.sh'];
const SCRIPT_TEXT: Record<string, string> = {
  'search-agent.sh': SEARCH_AGENT,
  'setup.sh': 'mkdir -p ../pids\nsleep 60 </dev/null >/dev/null 2>&1 &\necho $! >> "../pids/setup.${AXIOM_INSTANCE_ID:-$(basename "$PWD")}"\n',
  'teardown.sh': 'exit 0\n',
  'eval.sh':
    'mkdir -p ../pids\nsleep 60 </dev/null >/dev/null 2>&1 &\necho $! >> "../pids/eval.${AXIOM_INSTANCE_ID:-$(basename "$PWD")}"\nls work >/dev/null 2>&1 || exit 1\necho "AXIOM_SCORE=$(ls work | wc -l)"\n',
};

/**
 * The repository every sequence starts from: main with tracked, ignored and conflict-prone files, a
 * submodule (vendor/lib), a branch dev and a committed `.axiom.json` (the user's `.env` copied into
 * each instance, `cache` linked to main's, setup, teardown and evaluation scripts); instance s0; race
 * r0 with members r0-1 (committed and evaluated) and r0-2; search q0 ended (its one attempt passed),
 * search q1 cut off (no driver; node 1 running in its live slot q1-n1, whose agent has finished); and
 * the library to add as a submodule again.
 */
function templateRepo(): Promise<{ parent: string; library: string }> {
  template ??= (async () => {
    const repo = makeRepo({
      'README.md': '# project\n',
      'src/app.txt': 'one\ntwo\nthree\n',
      'conflict.txt': 'base\n',
      'notes.txt': 'notes\n',
      '.gitignore': 'build/\n*.log\n.env\ncache\n',
      '.axiom.json': `${JSON.stringify({ include: ['.env'], share: { cache: 'symlink' }, setup: ['sh ../setup.sh'], teardown: ['sh ../teardown.sh'], evaluate: 'sh ../eval.sh' }, null, 2)}\n`,
    });
    process.on('exit', () => {
      stopRecorded(path.join(repo.parent, 'pids'));
      repo.cleanup();
    });
    for (const script of SCRIPTS) fs.writeFileSync(path.join(repo.parent, script), SCRIPT_TEXT[script]!);
    repo.write('.env', `USER_SECRET=${path.basename(repo.parent)}\n`);
    repo.write('cache/data.txt', 'shared cache\n');
    sh(repo.dir, 'branch', 'dev');
    const library = path.join(repo.parent, 'library');
    fs.mkdirSync(library);
    sh(library, 'init', '-q', '-b', 'main');
    writeFile(library, 'lib.txt', 'library\n');
    sh(library, 'add', '-A');
    sh(library, 'commit', '-q', '-m', 'library');
    // main already has the library as a submodule at vendor/lib (instances get it uninitialised).
    sh(repo.dir, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', library, 'vendor/lib');
    sh(repo.dir, 'commit', '-q', '-m', 'vendor/lib as a submodule');
    const engine = await AxiomEngine.open(repo.dir);
    await engine.spawn(slotId(0));
    const { members } = await engine.explore.startRace({ task: raceTask(0), count: 2, launch: 'none' }, null);
    writeFile(members[0]!.path, 'work/solution.txt', 'a solution\n');
    sh(members[0]!.path, 'add', 'work/solution.txt');
    sh(members[0]!.path, 'commit', '-q', '-m', 'r0-1 solves it');
    await engine.explore.evaluate(members[0]!.id);
    const slots = engineSearchSlots(engine, headlessLauncher({ cwd: repo.dir, hookScript: null }));
    await startSearch(slots, { ...searchOptions(searchName(0), 1), attempts: 1 }, await searchDefaults(engine));
    await driveSearch(slots, searchName(0), drive());
    await startSearch(slots, searchOptions(searchName(1), 1), await searchDefaults(engine));
    const cut = new AbortController();
    await driveSearch(slots, searchName(1), { pollMs: 50, signal: cut.signal, onEvent: (e) => e.kind === 'expanded' && cut.abort() }).catch((e: unknown) => {
      if (!(e instanceof AxiomError)) throw e;
    });
    for (let i = 0; (await slots.progress(`${searchName(1)}-n1`)) === 'working'; i++) {
      if (i > 1200) throw new Error('the template search q1: its agent did not finish');
      await sleep(50);
    }
    // The template's own setup and evaluation processes end here; each world records its own.
    stopRecorded(path.join(repo.parent, 'pids'));
    return { parent: repo.parent, library };
  })();
  return template;
}

/** A failure as the lead needs it: the sequence as played, the step that broke, what was lost, and the generated actions to replay. */
export function formatFailure(actions: Action[], r: SequenceResult): string {
  const f = r.failure!;
  const steps = r.played.map((a, i) => `${i === f.index ? '>>' : '  '} ${String(i + 1).padStart(2)}. ${describeAction(a)}`);
  return [
    `step ${f.index + 1} (${f.action}) ended ${f.outcome}${f.unexpected ? ' with an unexpected error' : ''}${f.losses.length ? ` and lost work (${f.losses.length})` : ''}:`,
    ...f.losses.map((l) => `  [${l.kind}] ${l.what}`),
    ...(f.unexpected ? [`  unexpected: ${f.unexpected.split('\n').slice(0, 6).join('\n    ')}`] : []),
    'sequence:',
    '    0. axiom spawn s0 --base main [setup]',
    ...steps.slice(0, f.index + 1),
    `actions (JSON, for AXIOM_REPLAY): ${JSON.stringify(actions.slice(0, f.index + 1))}`,
  ].join('\n');
}

function appendFile(dir: string, rel: string, text: string): void {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, text);
}
