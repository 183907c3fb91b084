/**
 * The search driver (issue 18) with a fake engine: the instances, agents and evaluations are
 * played in memory; the record is real git in a temp repository. Budget, target, patience, stop,
 * resume, one driver at a time, never more live instances than `parallel`.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { AxiomEngine, AxiomError, formatProcessIdentity, processStartTime } from '../../src/core';
import type { AgentStarted } from '../../src/core/explore/race';
import { budgetEnding, driveSearch, startSearch, stopSearch, type EvaluatedState, type SearchEngine, type SearchOptions } from '../../src/core/search/search';
import { findSearch, nodeRef, updateSearch, type Search } from '../../src/core/search/searchRecord';
import { landSearch } from '../../src/core/search/searchLand';
import { expectAxiomError, git, makeRepo, runCli, type TempRepo } from './helpers';
import { ghStandIn } from './ghStandIn';

let repo: TempRepo;
let sleeper: ChildProcess | null = null;
afterEach(() => {
  sleeper?.kill('SIGKILL');
  sleeper = null;
  repo?.cleanup();
});

/** The tree of `commit` with one more file at the top (an attempt's change, so that landing it merges something). */
function treeWith(dir: string, commit: string, file: string, content: string): string {
  const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: dir, input: content, encoding: 'utf8' }).trim();
  const entries = git(dir, 'ls-tree', `${commit}^{tree}`).split('\n').filter((l) => l && !l.endsWith(`\t${file}`));
  return execFileSync('git', ['mktree'], { cwd: dir, input: [...entries, `100644 blob ${blob}\t${file}`].join('\n') + '\n', encoding: 'utf8' }).trim();
}

interface FakeInstance {
  commit: string;
  agent: string | null;
  prompt: string | null;
}

/**
 * Instances in memory. Each child's agent "fixes one more test" than its parent (level + 1), or
 * none with `stuck`; the evaluation's score is the level, it passes at `tests`, and its feedback
 * names the next failing test. The evaluated commit is a real commit on top of the parent's.
 */
class FakeSlots implements SearchEngine {
  readonly live = new Map<string, FakeInstance>();
  readonly levels = new Map<string, number>();
  readonly prompts: string[] = [];
  readonly stopped: string[] = [];
  maxLive = 0;
  hold = false;
  stuck = false;
  /** Agents whose attempts fix nothing (their children keep the parent's level). */
  readonly stuckAgents = new Set<string>();
  evaluations = 0;
  /** Each landing asked of the engine (through the real search land path). */
  readonly lands: string[] = [];

  constructor(
    readonly git: SearchEngine['git'],
    readonly repo: SearchEngine['repo'],
    private readonly dir: string,
    private readonly tests = 4,
    readonly engine: AxiomEngine | null = null,
  ) {}

  async land(name: string): Promise<{ node: number; into: string }> {
    this.lands.push(name);
    return landSearch(this.engine!, name);
  }

  async resolveBase(base: string): Promise<string> {
    return git(this.dir, 'rev-parse', `refs/heads/${base}`).trim();
  }
  async checkAgents(): Promise<void> {}
  async spawnAt(id: string, at: { base: string; commit: string }, agent: string | null, prompt: string | null): Promise<void> {
    if (this.live.has(id)) throw new AxiomError('AlreadyExists', `${id} exists`);
    this.live.set(id, { commit: at.commit, agent, prompt });
    this.maxLive = Math.max(this.maxLive, this.live.size);
    if (prompt) this.prompts.push(prompt);
  }
  async launch(_id: string): Promise<void | AgentStarted> {}
  async progress(id: string): Promise<'working' | 'finished' | 'gone'> {
    const inst = this.live.get(id);
    if (!inst) return 'gone';
    return this.hold && inst.agent ? 'working' : 'finished';
  }
  async stopAgent(id: string): Promise<void> {
    this.stopped.push(id);
  }
  async evaluate(id: string): Promise<EvaluatedState> {
    const inst = this.live.get(id)!;
    this.evaluations++;
    const parentLevel = this.levels.get(inst.commit) ?? 0;
    const level = inst.agent ? Math.min(this.tests, parentLevel + (this.stuck || this.stuckAgents.has(inst.agent) ? 0 : 1)) : parentLevel;
    const commit = inst.agent ? git(this.dir, 'commit-tree', treeWith(this.dir, inst.commit, `${id}.txt`, `level ${level}\n`), '-p', inst.commit, '-m', `${id}: level ${level}`).trim() : inst.commit;
    this.levels.set(commit, level);
    const failing = Array.from({ length: this.tests - level }, (_, i) => `AXIOM_FEEDBACK=failing: test-${level + i + 1}`);
    return { passed: level === this.tests, score: level, commit, diff: null, log: ['running', ...failing, `AXIOM_SCORE=${level}`].join('\n') };
  }
  async cleanup(id: string): Promise<void> {
    this.live.delete(id);
  }
}

async function setUp(tests = 4): Promise<FakeSlots> {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  return new FakeSlots(engine.git, engine.repo, repo.dir, tests, engine);
}

const OPTIONS: SearchOptions = { name: 's', task: 'make the tests pass', agents: 'custom', agentCommand: 'agent {prompt}', evaluate: 'node t.js', width: 2, parallel: 2 };
const DEFAULTS = { evaluate: null, template: null, base: 'main' };
const FAST = { pollMs: 5 };

function refsOf(s: Search): string[] {
  return s.nodes.map((n) => git(repo.dir, 'rev-parse', nodeRef(s.name, n.id)).trim());
}

test('the driver spends its attempts: the root evaluated, children expanded width at a time, never more live than parallel, every node recorded and kept by a ref', async () => {
  const slots = await setUp(10);
  await startSearch(slots, { ...OPTIONS, attempts: 5 }, DEFAULTS);
  const events: string[] = [];
  const s = await driveSearch(slots, 's', { ...FAST, onEvent: (e) => events.push(e.kind) });
  assert.equal(s.state, 'done');
  assert.equal(s.stopReason, 'all 5 attempts are used');
  assert.equal(s.nodes.length, 6);
  assert.ok(s.nodes.every((n) => n.state === 'evaluated' && n.instance === null));
  assert.ok(slots.maxLive <= 2, `at most 2 live instances (saw ${slots.maxLive})`);
  assert.equal(slots.live.size, 0, 'every slot was cleaned up');
  assert.equal(s.driver, null);
  assert.deepEqual(refsOf(s), s.nodes.map((n) => n.commit));
  assert.equal(events.filter((e) => e === 'expanded').length, 5);
  assert.equal(events.at(-1), 'ended');
  // The root's children learn from the base's evaluation, deeper ones from their parent's.
  assert.match(slots.prompts[0]!, /^make the tests pass\n/);
  assert.match(slots.prompts[0]!, /failing: test-1\n/);
  const deep = s.nodes.find((n) => n.round === 2)!;
  assert.match(deep.prompt!, new RegExp(`score ${s.nodes.find((n) => n.id === deep.parent)!.result!.score}`));
  assert.equal(s.nodes[0]!.result!.feedback.split('\n')[0], 'failing: test-1');
});

/** Slots whose agents are children of this process: each launch says when its agent exits. */
class ExitingSlots extends FakeSlots {
  private readonly exited = new Set<string>();
  override async launch(id: string): Promise<{ exited: Promise<unknown> }> {
    // The agent works a moment, then exits (after the driver went back to its sleep).
    return { exited: new Promise((resolve) => setTimeout(() => resolve(this.exited.add(id)), 50)) };
  }
  override async progress(id: string): Promise<'working' | 'finished' | 'gone'> {
    const inst = this.live.get(id);
    if (!inst) return 'gone';
    return inst.agent && !this.exited.has(id) ? 'working' : 'finished';
  }
}

test('the driver wakes when an agent it started exits and when an evaluation ends, not at its next poll: a search polling every 10 min still runs its rounds back to back', { timeout: 60_000 }, async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const slots = new ExitingSlots(engine.git, engine.repo, repo.dir, 10, engine);
  await startSearch(slots, { ...OPTIONS, attempts: 3, width: 1, parallel: 1, select: 'best' }, DEFAULTS);
  const s = await driveSearch(slots, 's', { pollMs: 600_000 });
  assert.equal(s.state, 'done');
  assert.deepEqual(s.nodes.map((n) => [n.id, n.parent, n.state, n.result?.score]), [[0, null, 'evaluated', 0], [1, 0, 'evaluated', 1], [2, 1, 'evaluated', 2], [3, 2, 'evaluated', 3]]);
});

test('the target score ends the search at once; patience ends it when rounds bring nothing better', async () => {
  const slots = await setUp(3);
  await startSearch(slots, { ...OPTIONS, attempts: 50, targetScore: 3, select: 'best', width: 1, parallel: 1 }, DEFAULTS);
  const s = await driveSearch(slots, 's', FAST);
  assert.equal(s.stopReason, 'the target score 3 is reached');
  assert.deepEqual(s.nodes.map((n) => [n.round, n.result?.score]), [[0, 0], [1, 1], [2, 2], [3, 3]], 'one test fixed per round, 3 rounds');
  assert.equal(budgetEnding({ ...s, state: 'running' }, Date.now())?.now, true);

  repo.cleanup();
  const stuck = await setUp(3);
  stuck.stuck = true;
  await startSearch(stuck, { ...OPTIONS, attempts: 50, patience: 2 }, DEFAULTS);
  const p = await driveSearch(stuck, 's', FAST);
  assert.equal(p.stopReason, 'no better node for 2 rounds');
  assert.ok(p.nodes.length < 51 && Math.max(...p.nodes.map((n) => n.round)) === 2, 'it stopped after round 2');
});

test('stop: a driven search is asked to stop and ends at its next look, its running attempts stopped and their slots cleaned up', async () => {
  const slots = await setUp();
  slots.hold = true;
  await startSearch(slots, { ...OPTIONS, attempts: 10 }, DEFAULTS);
  const driving = driveSearch(slots, 's', FAST);
  // Wait until two agents are at work.
  while ((await findSearch(slots.git, slots.repo, 's')).nodes.filter((n) => n.state === 'running').length < 2) await new Promise((r) => setTimeout(r, 10));
  const asked = await stopSearch(slots, 's');
  assert.equal(asked.state, 'stopping', 'a live driver ends it, not the stop itself');
  const s = await driving;
  assert.equal(s.state, 'stopped');
  assert.equal(s.stopReason, 'stopped on request');
  const children = s.nodes.filter((n) => n.parent !== null);
  assert.deepEqual(children.map((n) => n.state), ['failed', 'failed']);
  assert.match(children[0]!.error!, /^stopped: stopped on request/);
  assert.deepEqual(slots.stopped.sort(), ['s-n1', 's-n2']);
  assert.equal(slots.live.size, 0);
  await assert.rejects(driveSearch(slots, 's', FAST), /has ended/);
});

test('a round writes the record twice, not three times: a node\'s result goes with the next node\'s record write (evaluated + pending in one); its slot is released only once the result is written, and after the next node\'s instance is created', async () => {
  const slots = await setUp(5);
  // A slot is released only after the record holds its node's result (else a driver cut off in between would lose it).
  const records: string[] = [];
  const order: string[] = [];
  const cleanup = slots.cleanup.bind(slots);
  const spawnAt = slots.spawnAt.bind(slots);
  slots.spawnAt = async (id, at, agent, prompt): Promise<void> => {
    await spawnAt(id, at, agent, prompt);
    order.push(`spawned ${id}`);
  };
  slots.cleanup = async (id: string): Promise<void> => {
    order.push(`cleanup ${id}`);
    const node = (await findSearch(slots.git, slots.repo, 's')).nodes.find((n) => n.instance === id);
    records.push(`${id} ${node?.state ?? 'none'}`);
    return cleanup(id);
  };
  await startSearch(slots, { ...OPTIONS, attempts: 4, width: 1, parallel: 1, select: 'best' }, DEFAULTS);
  let writes = 0;
  const untrace = slots.git.onTrace((t) => {
    if (t.args[0] === 'update-ref' && t.args.includes('axiom: search s')) writes++;
  });
  const atExpanded: number[] = [];
  const evaluated: number[] = [];
  const done = await driveSearch(slots, 's', {
    ...FAST,
    onEvent: (e) => {
      if (e.kind === 'expanded') atExpanded.push(writes);
      if (e.kind === 'evaluated') evaluated.push(e.node.id);
    },
  });
  untrace();
  assert.equal(done.state, 'done');
  // From one node's start to the next's: [its result + the next node (pending)], [the next node running].
  assert.deepEqual(atExpanded.slice(1).map((w, i) => w - atExpanded[i]!), [2, 2, 2], 'record writes per round');
  // The claim; the root (its slot, running); 4 × (pending + result of the one before, running); the last result; the end.
  assert.equal(writes, 1 + 2 + 4 * 2 + 1 + 1);
  assert.deepEqual(evaluated, [0, 1, 2, 3, 4], 'each result told once, when written');
  assert.deepEqual(records, ['s-n0 evaluated', 's-n1 evaluated', 's-n2 evaluated', 's-n3 evaluated', 's-n4 evaluated']);
  // The removal and the spawn both take the repository lock: a slot goes once the next node's instance exists.
  for (let k = 0; k < 4; k++) assert.ok(order.indexOf(`spawned s-n${k + 1}`) < order.indexOf(`cleanup s-n${k}`), `s-n${k} removed after s-n${k + 1} was created: ${order.join(', ')}`);
  assert.deepEqual(done.nodes.map((n) => [n.state, n.result?.score, n.instance]), [0, 1, 2, 3, 4].map((l) => ['evaluated', l, null]));
  assert.deepEqual(refsOf(done), done.nodes.map((n) => n.commit));
});

test('resume continues from the record after its driver died; while a live driver holds the search, another driver is refused', async () => {
  const slots = await setUp(3);
  slots.hold = true;
  let s = await startSearch(slots, { ...OPTIONS, attempts: 4, width: 1, parallel: 2 }, DEFAULTS);
  // Another process drives it: a live process's claim.
  sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  const other = { pid: sleeper.pid!, startTime: null as string | null };
  while (other.startTime === null) other.startTime = processStartTime(other.pid);
  const claim = { holder: formatProcessIdentity(other), pid: other.pid, claimedAt: s.createdAt, leaseUntil: new Date(Date.now() + 60_000).toISOString() };
  // It got as far as: root evaluated, node 1 running (its instance live), node 2 pending (spawned, not launched).
  slots.levels.set(s.baseSha, 0);
  await slots.spawnAt('s-n1', { base: 'main', commit: s.baseSha }, 'custom', 'p1');
  await slots.spawnAt('s-n2', { base: 'main', commit: s.baseSha }, 'custom', 'p2');
  s = await updateSearch(slots.git, slots.repo, s, (r) => ({
    ...r,
    driver: claim,
    nodes: [
      { ...r.nodes[0]!, state: 'evaluated', result: { passed: false, score: 0, feedback: 'failing: test-1', diff: null, evaluatedAt: r.createdAt } },
      { id: 1, parent: 0, round: 1, agent: 'custom', prompt: 'p1', instance: 's-n1', commit: null, result: null, state: 'running', createdAt: r.createdAt },
      { id: 2, parent: 0, round: 1, agent: 'custom', prompt: 'p2', instance: 's-n2', commit: null, result: null, state: 'pending', createdAt: r.createdAt },
    ],
  }));
  await assert.rejects(driveSearch(slots, 's', FAST), (e) => e instanceof AxiomError && e.code === 'Locked' && /driven by another process/.test(e.message));
  assert.equal(slots.live.size, 2, 'a refused driver changed nothing');

  sleeper.kill('SIGKILL');
  await new Promise((r) => sleeper!.once('exit', r));
  slots.hold = false;
  const done = await driveSearch(slots, 's', FAST);
  assert.equal(done.state, 'done');
  assert.equal(done.nodes[1]!.state, 'evaluated', 'the running attempt was evaluated by the new driver');
  assert.equal(done.nodes[2]!.state, 'failed');
  assert.match(done.nodes[2]!.error!, /interrupted before its agent started/);
  assert.equal(done.nodes.filter((n) => n.parent !== null).length, 4, 'the attempts left were spent');
  assert.equal(slots.live.size, 0);
  assert.ok(Math.max(...done.nodes.map((n) => n.result?.score ?? 0)) >= 2);
});

test('an untrusted workspace neither starts nor drives a search, and records nothing', async () => {
  const slots = await setUp();
  await startSearch(slots, OPTIONS, DEFAULTS);
  const untrusted = await AxiomEngine.open(repo.dir, { untrusted: true });
  const fake = new FakeSlots(untrusted.git, untrusted.repo, repo.dir);
  await assert.rejects(startSearch(fake, { ...OPTIONS, name: 'other' }, DEFAULTS), (e) => e instanceof AxiomError && e.code === 'Untrusted');
  await assert.rejects(driveSearch(fake, 's', FAST), (e) => e instanceof AxiomError && e.code === 'Untrusted');
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/axiom/searches/other/'), '');
  assert.equal((await findSearch(slots.git, slots.repo, 's')).driver, null, 'no claim was taken');
  assert.equal(fake.live.size, 0);
});

test('the agent of each attempt is chosen by the bandit: each agent of the mix tried first, then mostly the one that gains; a later search starts from what the first learned', async () => {
  const slots = await setUp(20);
  slots.stuckAgents.add('codex');
  const mix = { ...OPTIONS, agents: 'codex,claude', agentCommand: undefined, width: 1, parallel: 1, select: 'best' as const };
  await startSearch(slots, { ...mix, attempts: 8 }, DEFAULTS);
  const first = await driveSearch(slots, 's', FAST);
  const agents = first.nodes.filter((n) => n.parent !== null).map((n) => n.agent);
  assert.deepEqual(agents.slice(0, 2), ['codex', 'claude'], 'each agent tried once first');
  const claude = agents.filter((a) => a === 'claude').length;
  assert.ok(claude > agents.length - claude, `claude (which gains) expands most (turns would give 4 each): ${agents.join(', ')}`);

  // A second search learns from the first: no arm is untried, claude leads.
  await startSearch(slots, { ...mix, name: 't', attempts: 1 }, DEFAULTS);
  const second = await driveSearch(slots, 't', FAST);
  assert.equal(second.nodes[1]!.agent, 'claude');
});

/** The commits `git log` shows on main whose subject says a search landed a node. */
function landingsOnMain(): string[] {
  return git(repo.dir, 'log', '--format=%s', 'main').split('\n').filter((l) => l.startsWith('Land node'));
}

test('search --land: a search that reaches its target lands its best node by itself, once; one started without it lands nothing', async () => {
  const slots = await setUp(3);
  await startSearch(slots, { ...OPTIONS, attempts: 10, targetScore: 3, select: 'best', width: 1, parallel: 1, land: true }, DEFAULTS);
  const events: string[] = [];
  const s = await driveSearch(slots, 's', { ...FAST, onEvent: (e) => events.push(e.kind) });
  assert.equal(s.state, 'done');
  const best = s.nodes.find((n) => n.result?.passed)!;
  assert.deepEqual([s.landed?.node, s.autoLanded?.node], [best.id, best.id], s.autoLanded?.note);
  assert.equal(s.autoLanded!.note, `node ${best.id} landed into main`);
  assert.deepEqual(slots.lands, ['s'], 'one landing asked for');
  assert.deepEqual(events.slice(-2), ['ended', 'landed']);
  assert.equal(git(repo.dir, 'merge-base', '--is-ancestor', best.commit!, 'main'), '', 'main holds the best node');
  assert.deepEqual(landingsOnMain(), [`Land node ${best.id} of search s (round 3, score 3)`]);
  await assert.rejects(driveSearch(slots, 's', FAST), /has ended/);
  await assert.rejects(landSearch(slots.engine!, 's'), (e) => e instanceof AxiomError && e.code === 'AlreadyLanded');
  assert.deepEqual(landingsOnMain().length, 1, 'still one landing');

  const mainBefore = git(repo.dir, 'rev-parse', 'main').trim();
  await startSearch(slots, { ...OPTIONS, name: 't', attempts: 10, targetScore: 3, select: 'best', width: 1, parallel: 1 }, DEFAULTS);
  const t = await driveSearch(slots, 't', FAST);
  assert.equal(t.stopReason, 'the target score 3 is reached');
  assert.deepEqual([t.land, t.landed, t.autoLanded], [undefined, undefined, undefined]);
  assert.deepEqual(slots.lands, ['s'], 'no landing asked for without --land');
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), mainBefore, 'main did not move');
});

test('search --land: a search that ends with no passing node lands nothing and says so', async () => {
  const slots = await setUp(3);
  slots.stuck = true;
  const mainBefore = git(repo.dir, 'rev-parse', 'main').trim();
  await startSearch(slots, { ...OPTIONS, attempts: 3, land: true }, DEFAULTS);
  const s = await driveSearch(slots, 's', FAST);
  assert.equal(s.stopReason, 'all 3 attempts are used');
  assert.equal(s.landed, undefined);
  assert.deepEqual(s.autoLanded && { node: s.autoLanded.node, note: s.autoLanded.note }, { node: null, note: 'no attempt passed its evaluation: nothing was landed' });
  assert.deepEqual(slots.lands, []);
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), mainBefore);
});

test('search --land: a stopped search does not land, though its best node passed', async () => {
  const slots = await setUp(1);
  await startSearch(slots, { ...OPTIONS, attempts: 10, land: true }, DEFAULTS);
  const mainBefore = git(repo.dir, 'rev-parse', 'main').trim();
  // The first passing attempt asks the search to stop; the attempts after it stay at work until then.
  let stopping: Promise<unknown> | null = null;
  const s = await driveSearch(slots, 's', {
    ...FAST,
    onEvent: (e) => {
      if (stopping || e.kind !== 'evaluated' || !e.node.result?.passed) return;
      slots.hold = true;
      stopping = stopSearch(slots, 's');
    },
  });
  await stopping;
  assert.equal(s.state, 'stopped');
  assert.ok(s.nodes.some((n) => n.result?.passed), 'a passing node exists');
  assert.deepEqual([s.landed, s.autoLanded], [undefined, undefined]);
  assert.deepEqual(slots.lands, []);
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), mainBefore, 'nothing landed');
  await assert.rejects(driveSearch(slots, 's', FAST), /has ended/, 'resuming a stopped search lands nothing either');
  assert.deepEqual(slots.lands, []);
});

test('search --land: a driver killed mid-search, after ending it, or after its landing is resumed and the search lands exactly once', async () => {
  const slots = await setUp(2);
  const dead = { holder: formatProcessIdentity({ pid: 2 ** 22 + 7, startTime: '1' }), pid: 2 ** 22 + 7, claimedAt: new Date().toISOString(), leaseUntil: new Date(Date.now() + 60_000).toISOString() };
  // Killed mid-search: its claim is a dead process's; the next driver goes on, ends it and lands.
  const s = await startSearch(slots, { ...OPTIONS, attempts: 6, targetScore: 2, select: 'best', width: 1, parallel: 1, land: true }, DEFAULTS);
  await updateSearch(slots.git, slots.repo, s, (r) => ({ ...r, driver: dead }));
  const resumed = await driveSearch(slots, 's', FAST);
  assert.equal(resumed.state, 'done');
  assert.equal(resumed.autoLanded?.node, resumed.landed?.node);
  assert.deepEqual([slots.lands.length, landingsOnMain().length], [1, 1]);

  // Killed after it ended the search, before it landed: resume lands it, once.
  await startSearch(slots, { ...OPTIONS, name: 'e', attempts: 6, targetScore: 2, select: 'best', width: 1, parallel: 1 }, DEFAULTS);
  const ended = await driveSearch(slots, 'e', FAST);
  await updateSearch(slots.git, slots.repo, ended, (r) => ({ ...r, land: true }));
  const landed = await driveSearch(slots, 'e', FAST);
  assert.equal(landed.autoLanded?.note, `node ${landed.landed!.node} landed into main`);
  assert.deepEqual([slots.lands.length, landingsOnMain().length], [2, 2]);
  await assert.rejects(driveSearch(slots, 'e', FAST), /has ended/);
  assert.deepEqual([slots.lands.length, landingsOnMain().length], [2, 2], 'a second resume lands nothing');

  // Killed after its landing, before it recorded so: the landing is recorded, not made again.
  await startSearch(slots, { ...OPTIONS, name: 'l', attempts: 6, targetScore: 2, select: 'best', width: 1, parallel: 1 }, DEFAULTS);
  await driveSearch(slots, 'l', FAST);
  await landSearch(slots.engine!, 'l');
  await updateSearch(slots.git, slots.repo, await findSearch(slots.git, slots.repo, 'l'), (r) => ({ ...r, land: true }));
  const recorded = await driveSearch(slots, 'l', FAST);
  assert.equal(recorded.autoLanded?.node, recorded.landed!.node);
  assert.deepEqual([slots.lands.length, landingsOnMain().length], [2, 3], 'no second landing of l');

  // Killed inside the landing after its merge (the journal names the commit main moved to): recorded, never merged again.
  await startSearch(slots, { ...OPTIONS, name: 'm', attempts: 6, targetScore: 2, select: 'best', width: 1, parallel: 1 }, DEFAULTS);
  const m = await driveSearch(slots, 'm', FAST);
  const best = m.nodes.find((n) => n.result?.passed)!;
  git(repo.dir, 'merge', '-q', '--no-ff', '-m', `Land node ${best.id} of search m (cut off)`, best.commit!);
  const next = git(repo.dir, 'rev-parse', 'main').trim();
  await updateSearch(slots.git, slots.repo, m, (r) => ({ ...r, land: true, landing: { node: best.id, into: 'main', mergedSha: null, at: r.createdAt, holder: dead.holder, next } }));
  const finished = await driveSearch(slots, 'm', FAST);
  assert.deepEqual([finished.landed?.node, finished.landed?.mergedSha, finished.autoLanded?.node], [best.id, next, best.id]);
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), next, 'main is where the cut-off landing put it');
  assert.equal(landingsOnMain().length, 4);
});

/** A bare repository beside the test repository as its origin, with main pushed to it. */
function withOrigin(): string {
  const bare = `${repo.parent}/origin.git`;
  git(repo.parent, 'init', '-q', '--bare', bare);
  git(repo.dir, 'remote', 'add', 'origin', bare);
  git(repo.dir, 'push', '-q', 'origin', 'main');
  return bare;
}

test('axiom search land --publish --draft: the best node is pushed (exactly its commit) and its draft pull request opened; nothing merged locally; its instance stays; the search lands once', async () => {
  const slots = await setUp(2);
  const bare = withOrigin();
  await startSearch(slots, { ...OPTIONS, attempts: 4, targetScore: 2, select: 'best', width: 1, parallel: 1 }, DEFAULTS);
  const s = await driveSearch(slots, 's', FAST);
  const best = s.nodes.find((n) => n.result?.passed)!;
  const mainBefore = git(repo.dir, 'rev-parse', 'main').trim();
  const gh = ghStandIn(repo.parent);

  const mixed = await runCli(['-C', repo.dir, 'search', 'land', 's', '--draft'], { env: gh.env });
  assert.equal(mixed.code, 2, '--draft goes with --publish');
  const r = await runCli(['-C', repo.dir, 'search', 'land', 's', '--publish', '--draft', '--remote', 'origin', '--json'], { env: gh.env });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { node: number; mergedSha: string | null; published: { id: string; branch: string; pushedSha: string; pr: { state: string } } };
  assert.deepEqual([doc.node, doc.mergedSha, doc.published.id, doc.published.pushedSha], [best.id, null, `s-l${best.id}`, best.commit]);
  assert.equal(git(bare, 'rev-parse', `refs/heads/${doc.published.branch}`).trim(), best.commit, 'the remote branch is the node');
  assert.equal(doc.published.pr.state, 'draft');
  const create = gh.calls().find((c) => c[0] === 'pr')!;
  assert.deepEqual(create.slice(0, 6), ['pr', 'create', '--head', doc.published.branch, '--base', 'main']);
  assert.ok(create.includes('--draft'));
  assert.equal(git(repo.dir, 'rev-parse', 'main').trim(), mainBefore, 'nothing merged locally');
  assert.equal((await slots.engine!.status(`s-l${best.id}`)).metadata?.published?.pr?.state, 'draft', 'the instance stays while its pull request is open');

  const status = await runCli(['-C', repo.dir, 'search', 'status', 's']);
  assert.match(status.stdout, new RegExp(`landed: node ${best.id} published for main: ${doc.published.branch} on origin, https://github.com/acme/widgets/pull/7 \\(instance s-l${best.id}\\)`));
  const again = await runCli(['-C', repo.dir, 'search', 'land', 's', '--publish'], { env: gh.env });
  assert.equal(again.code, 3);
  assert.match(again.stderr, new RegExp(`already published node ${best.id} for main`));
  assert.equal(gh.calls().filter((c) => c[0] === 'pr').length, 1, 'one pull request');
});

test('search land --publish cut off before it recorded: the next land finishes it with the journalled choices (draft, remote), not its own', async () => {
  const slots = await setUp(2);
  withOrigin();
  await startSearch(slots, { ...OPTIONS, attempts: 4, targetScore: 2, select: 'best', width: 1, parallel: 1 }, DEFAULTS);
  const s = await driveSearch(slots, 's', FAST);
  const first = s.nodes.find((n) => n.parent === 0)!;
  const dead = formatProcessIdentity({ pid: 2 ** 22 + 9, startTime: '1' });
  await updateSearch(slots.git, slots.repo, s, (r) => ({ ...r, landing: { node: first.id, into: 'main', mergedSha: null, at: r.createdAt, holder: dead, next: null, publish: { remote: 'origin', draft: true } } }));
  const gh = ghStandIn(repo.parent);
  const r = await landSearch(slots.engine!, 's', { publish: { draft: false, env: gh.env } });
  assert.deepEqual([r.node, r.published?.pr?.state, r.published?.remote], [first.id, 'draft', 'origin'], 'the node and the draft the cut-off landing chose');
  const landed = await findSearch(slots.git, slots.repo, 's');
  assert.deepEqual([landed.landing, landed.landed?.published?.instance], [undefined, `s-l${first.id}`]);
  await expectAxiomError(landSearch(slots.engine!, 's', { publish: { draft: false, env: gh.env } }), 'AlreadyLanded');
  assert.equal(gh.calls().filter((c) => c[0] === 'pr').length, 1);
});
