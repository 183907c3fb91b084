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
import { AxiomEngine, AxiomError, REFUSAL_CODES } from '../../src/core';
import { withRepoLock } from '../../src/core/lock';
import { CLI, makeRepo, writeFile, type TempRepo } from './helpers';
import { record, verify, type Loss } from './invariantChecker';
import { describeAction, SLOTS, slotId, type Action, type AgentAct, type During, type Op, type UserAct } from './invariantModel';

/** Typed errors that are a fine answer to a random operation (a refusal or a conflict, not a crash). */
const FINE_CODES = new Set<string>([...REFUSAL_CODES, 'MergeConflict', 'NotFound', 'InvalidArgument', 'BaseNotFound']);

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
  | { kind: 'ok'; expired?: string[] }
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
}

export interface SequenceResult {
  failure: StepReport | null;
  operations: number;
  kills: number;
  refusals: number;
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
  private readonly result: SequenceResult = { failure: null, operations: 0, kills: 0, refusals: 0, outcomes: new Map(), operationMs: 0, played: [] };

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
  static async create(): Promise<World> {
    const template = await templateRepo();
    const parent = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-invariant-')));
    const dir = path.join(parent, 'repo');
    const s0 = path.join(parent, 'axiom-s0');
    fs.cpSync(path.join(template.parent, 'repo'), dir, { recursive: true });
    fs.cpSync(path.join(template.parent, 'axiom-s0'), s0, { recursive: true });
    fs.writeFileSync(path.join(dir, '.git', 'worktrees', 'axiom-s0', 'gitdir'), `${path.join(s0, '.git')}\n`);
    fs.writeFileSync(path.join(s0, '.git'), `gitdir: ${path.join(dir, '.git', 'worktrees', 'axiom-s0')}\n`);
    fs.mkdirSync(path.join(parent, 'tmp'));
    const repo: TempRepo = {
      dir,
      parent,
      write: (rel, content) => writeFile(dir, rel, content),
      commit: () => {
        throw new Error('not used');
      },
      cleanup: () => fs.rmSync(parent, { recursive: true, force: true }),
    };
    repo.write('.env', `USER_SECRET=${path.basename(parent)}\n`);
    return new World(repo, await AxiomEngine.open(dir), template.library);
  }

  dispose(): void {
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
        const step = await this.operation(index, action);
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
    const ids = [...Array(SLOTS).keys()];
    const live = (await Promise.all(ids.map((k) => this.engine.locate(slotId(k)).then(() => k, () => -1)))).filter((k) => k >= 0);
    const free = ids.filter((k) => !live.includes(k));
    const liveSlot = (k: number): number => (live.length ? live[k % live.length]! : k);
    const freeSlot = (k: number): number => (free.length ? free[k % free.length]! : k);
    const op = (o: Op): Op => ('slot' in o ? { ...o, slot: o.op === 'spawn' || o.op === 'restore' ? freeSlot(o.slot) : liveSlot(o.slot) } : o);
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

  private async operation(index: number, action: Extract<Action, { kind: 'engine' | 'kill' | 'crash' | 'race' }>): Promise<StepReport | null> {
    const ops: Op[] = action.kind === 'crash' ? [{ op: 'spawn', slot: action.slot, base: 'main' }] : action.kind === 'race' ? action.ops : [action.op];
    const salvage = ops.some((o) => o.op === 'restore') ? await this.engine.listSalvage() : [];
    if (ops.some((o) => o.op === 'restore') && salvage.length === 0) return null;
    const salvageRef = (op: Op): string => (op.op === 'restore' ? salvage[op.pick % salvage.length]!.ref : '');
    const duringSpec = action.kind === 'engine' || action.kind === 'kill' ? action.during : null;

    const before = record(this.repo.dir, { targets: ['main', 'dev'], extraWorktrees: this.extraWorktrees });
    // `salvage expire --days 0` may delete any salvage ref that exists now: those it deleted were asked for.
    const expirable = ops.some((o) => o.op === 'expire') ? (await this.engine.listSalvage()).map((s) => s.ref) : [];
    const first = ops[0]!;
    const during = this.commitDuring(duringSpec, first.op === 'merge' ? await this.targetOf(first) : 'main');
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
    if (outcomes.some((o) => o.kind === 'killed')) await withRepoLock(this.engine.repo.commonDir, async () => undefined);
    this.result.operationMs += Date.now() - started;
    if (process.env.AXIOM_PROPERTY_DEBUG) process.stderr.write(`${Date.now() - started} ms: ${describeAction(action)} → ${outcomes.map((o) => o.kind).join(' + ')}\n`);

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
    const unchanged = outcomes.length === 1 && !duringSpec && (outcome.kind === 'refused' || (outcome.kind === 'ok' && first.op === 'merge' && first.preview));
    const losses = verify(before, this.repo.dir, {
      extraWorktrees: this.extraWorktrees,
      // Through the engine the expired refs are known; through the CLI (finished or killed), any of them may be.
      expiredRefs: outcomes.flatMap((o, i) => (o.kind === 'ok' && o.expired ? o.expired : ops[i]!.op === 'expire' && o.kind !== 'refused' ? expirable : [])),
      userCommits: user ? [user] : [],
      agentCommits: agent ? [agent] : [],
      unchanged,
    });
    const unexpected = outcomes.flatMap((o) => (o.kind === 'unexpected' ? [o.detail] : []));
    return {
      index,
      action: describeAction(action),
      outcome: outcomes.map((o) => (o.kind === 'refused' ? `refused (${o.code})` : o.kind)).join(' + '),
      losses,
      unexpected: unexpected.length ? unexpected.join('\n---\n') : null,
    };
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
    }
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
        else if (code === 0) resolve({ kind: 'ok' });
        else resolve(cliFailure(code, signal, stdout, stderr));
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
function cliFailure(code: number | null, signal: string | null, stdout: string, stderr: string): Outcome {
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

/** The full sha of the commit `git commit` just reported ("[branch abc1234] subject"). */
async function committed(dir: string, out: string): Promise<string> {
  const short = /^\[.* ([0-9a-f]{7,40})\]/m.exec(out)?.[1];
  if (!short) throw new Error(`no commit in: ${out}`);
  return (await shAsync(dir, ['rev-parse', `${short}^{commit}`])).trim();
}

let template: Promise<{ parent: string; library: string }> | null = null;

/** The repository every sequence starts from: main with tracked, ignored and conflict-prone files and a submodule (vendor/lib), a branch dev, instance s0, and the library to add as a submodule again. */
function templateRepo(): Promise<{ parent: string; library: string }> {
  template ??= (async () => {
    const repo = makeRepo({
      'README.md': '# project\n',
      'src/app.txt': 'one\ntwo\nthree\n',
      'conflict.txt': 'base\n',
      'notes.txt': 'notes\n',
      '.gitignore': 'build/\n*.log\n.env\n',
    });
    process.on('exit', () => repo.cleanup());
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
    await (await AxiomEngine.open(repo.dir)).spawn(slotId(0));
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
