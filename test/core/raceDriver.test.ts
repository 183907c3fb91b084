/**
 * The one driver of races' automatic evaluation (raceDriver.ts), on a small fake engine: which
 * members are due, a failed turn's agent stopped before its evaluation (with the race's grace), one
 * evaluation per member at a time and not again for the same finish, and a member another process
 * holds reported as Locked (not a failure). `race --wait` and the extension both drive evaluation
 * through it (explore.ts, extension/exploration.ts).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AxiomError, RaceDriver, attemptEnd, type AgentState, type DueOutcome, type EvaluateOptions, type EvaluationRecord, type MemberFacts, type Race, type RaceDriverEngine, unknownRaces } from '../../src/core';

const REF = 'refs/axiom/races/t/1';
const race: Race = {
  version: 1,
  task: 't',
  prompt: 'p',
  base: 'main',
  baseSha: '0'.repeat(40),
  parent: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  launch: 'headless',
  evaluate: { command: 'true', score: 'higher', timeoutSec: 60 },
  members: ['t-1', 't-2', 't-3', 't-4'].map((id) => ({ id, agent: 'claude' })),
  ref: REF,
  sha: '1'.repeat(40),
};

const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

function member(id: string, agentState: AgentState, launch: MemberFacts['launch'] = 'headless'): MemberFacts {
  return { id, race: REF, parent: null, agentState, launch, createdAt: '2026-01-01T00:00:00.000Z' };
}

function record(id: string, at = new Date().toISOString()): EvaluationRecord {
  return {
    kind: 'evaluation', version: 1, id, race: REF, task: 't', agent: 'claude', prompt: 'p', base: 'main', branch: `axiom/${id}/1`,
    createdAt: '2026-01-01T00:00:00.000Z', command: ['true'], passed: true, exitCode: 0, timedOut: false, score: null,
    scoreDirection: 'higher', durationMs: 1, agentMs: null, at, head: 'h', tree: 't', commit: 'c', snapshot: false,
    diff: { files: 0, added: 0, deleted: 0 }, logFile: null,
  };
}

/** A fake engine: each evaluation waits until the test lets it end (resolve or reject), and every call is logged. */
class FakeEngine implements RaceDriverEngine {
  readonly calls: string[] = [];
  readonly options: EvaluateOptions[] = [];
  private readonly pending = new Map<string, { resolve: (r: EvaluationRecord) => void; reject: (e: unknown) => void }>();

  evaluate(id: string, options: EvaluateOptions, r: Race): Promise<EvaluationRecord> {
    assert.equal(r, race, 'the race is passed along (its evaluation command applies)');
    this.calls.push(`evaluate ${id}`);
    this.options.push(options);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  stopAgent(id: string): Promise<void> {
    this.calls.push(`stop ${id}`);
    return Promise.resolve();
  }

  finish(id: string, result: EvaluationRecord | Error = record(id)): void {
    const p = this.pending.get(id);
    assert.ok(p, `${id} is being evaluated`);
    this.pending.delete(id);
    if (result instanceof Error) p.reject(result);
    else p.resolve(result);
  }
}

const finished = (ms = 1000): AgentState => ({ phase: 'exited', lastActivity: ago(ms), exitCode: 0 });
const working: AgentState = { phase: 'working', lastActivity: ago(10) };

test('the driver evaluates exactly the due members: finished since their last evaluation, or with no agent; not one at work', async () => {
  const engine = new FakeEngine();
  const driver = new RaceDriver(engine);
  const members = [
    member('t-1', finished()),
    member('t-2', working),
    member('t-3', { phase: 'unknown', lastActivity: null }, 'none'),
    member('t-4', finished(5000)),
    member('other', finished()),
  ];
  const latest = new Map([['t-4', record('t-4', ago(1000))]]); // evaluated after its agent finished
  const started = driver.evaluateDue(race, members, latest, 0);
  assert.deepEqual(engine.calls, ['evaluate t-1', 'evaluate t-3']);
  assert.deepEqual(driver.evaluating().sort(), ['t-1', 't-3']);
  assert.ok(engine.options.every((o) => o.onlyIfDue === true && o.agentFailureGraceMs === 0), 'decided again once held, with the same grace');
  engine.finish('t-1');
  engine.finish('t-3');
  assert.deepEqual((await Promise.all(started)).map((o) => [o.id, 'result' in o]), [['t-1', true], ['t-3', true]]);
  assert.equal(driver.busy, 0);
});

test('a failed turn: past its grace, the member\'s agent (alive, waiting) is stopped before it is evaluated; within it, nothing happens', async () => {
  const engine = new FakeEngine();
  const driver = new RaceDriver(engine);
  const failed = member('t-1', { phase: 'waiting', lastActivity: ago(2000), turnFailedAt: ago(2000), reason: 'authentication_failed' });
  assert.equal(driver.evaluateDue(race, [failed], new Map(), 60_000).length, 0, 'within the grace period it may still go on');
  assert.deepEqual(engine.calls, []);
  const started = driver.evaluateDue(race, [failed], new Map(), 1000);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(engine.calls, ['stop t-1', 'evaluate t-1'], 'stopped first, then evaluated');
  assert.equal(engine.options[0]!.agentFailureGraceMs, 1000, 'the evaluation decides "due" with the same grace');
  engine.finish('t-1');
  await Promise.all(started);
  // A member that simply finished has no agent to stop.
  const plain = driver.evaluateDue(race, [member('t-2', finished())], new Map(), 1000);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(engine.calls.slice(2), ['evaluate t-2']);
  engine.finish('t-2');
  await Promise.all(plain);
});

test('one evaluation per member at a time, and not again for the same finish even when the caller\'s notes are older', async () => {
  const engine = new FakeEngine();
  const outcomes: DueOutcome[] = [];
  const driver = new RaceDriver(engine, { onOutcome: (o) => outcomes.push(o) });
  const members = [member('t-1', finished(5000))];
  const stale = new Map<string, EvaluationRecord>();
  const first = driver.evaluateDue(race, members, stale, 0);
  assert.equal(driver.evaluateDue(race, members, stale, 0).length, 0, 'in flight: not started twice');
  assert.equal(driver.isEvaluating('t-1'), true);
  engine.finish('t-1');
  await Promise.all(first);
  assert.deepEqual(outcomes.map((o) => [o.id, 'result' in o]), [['t-1', true]]);
  assert.equal(driver.isEvaluating('t-1'), false, 'no longer in flight when its outcome is reported');
  assert.equal(driver.evaluateDue(race, members, stale, 0).length, 0, 'its result counts though the caller has not read it yet');
  assert.deepEqual(engine.calls, ['evaluate t-1']);
  // Its agent finishes again (a new prompt, a new turn): due again.
  const again = driver.evaluateDue(race, [member('t-1', { phase: 'idle', lastActivity: new Date(Date.now() + 1000).toISOString() })], stale, 0);
  assert.deepEqual(engine.calls, ['evaluate t-1', 'evaluate t-1']);
  engine.finish('t-1');
  await Promise.all(again);
});

test('a member another process evaluates is Locked elsewhere: reported as locked, not as a failure; a failed evaluation or a fault is reported as such', async () => {
  const engine = new FakeEngine();
  const driver = new RaceDriver(engine);
  const members = [member('t-1', finished()), member('t-2', finished()), member('t-3', finished())];
  const started = driver.evaluateDue(race, members, new Map(), 0);
  engine.finish('t-1', new AxiomError('Locked', 't-1 is already being evaluated (process 1)'));
  engine.finish('t-2', new AxiomError('InvalidArgument', 'The evaluation program "x" was not found'));
  engine.finish('t-3', new TypeError('a bug'));
  const [locked, failed, fault] = await Promise.all(started);
  assert.ok(locked && 'locked' in locked && locked.locked.code === 'Locked');
  assert.ok(failed && 'error' in failed && failed.error.code === 'InvalidArgument');
  assert.ok(fault && 'fault' in fault && fault.fault instanceof TypeError);
  // Locked elsewhere is not a result: it is looked at again next time.
  const again = driver.evaluateDue(race, [members[0]!], new Map(), 0);
  assert.deepEqual(engine.calls, ['evaluate t-1', 'evaluate t-2', 'evaluate t-3', 'evaluate t-1']);
  engine.finish('t-1');
  assert.ok('result' in (await Promise.all(again))[0]!);
});

test('attemptEnd, the one rule of both drivers: at work → null; finished → when; a failed turn past its grace → finished, its agent to be stopped; within it → at work', () => {
  const failedTurn: AgentState = { phase: 'waiting', lastActivity: ago(2000), turnFailedAt: ago(2000), reason: 'authentication_failed' };
  assert.equal(attemptEnd(member('t-1', working), 0), null);
  const done = finished(1000);
  assert.deepEqual(attemptEnd(member('t-1', done), 0), { at: done.lastActivity, stopAgent: false });
  assert.equal(attemptEnd(member('t-1', failedTurn), 60_000), null, 'within its grace the turn may still go on');
  assert.deepEqual(attemptEnd(member('t-1', failedTurn), 1000), { at: failedTurn.turnFailedAt, stopAgent: true });
  assert.equal(attemptEnd(member('t-1', { phase: 'waiting', lastActivity: ago(10) }), 0), null, 'waiting for a person is not the end');
  assert.equal(attemptEnd(member('t-1', { phase: 'unknown', lastActivity: null }, 'none'), 0)?.stopAgent, false, 'no agent attached: over at once, nothing to stop');
});

test('unknownRaces: the races members name that a read of the races lacked (the view reads again), each once, sorted; none for instances of no race or of a race read', () => {
  const other = 'refs/axiom/races/pick/2';
  const members = [{ race: REF }, { race: other }, { race: other }, { race: null }];
  assert.deepEqual(unknownRaces(members, []), [other, REF]);
  assert.deepEqual(unknownRaces(members, [race]), [other]);
  assert.deepEqual(unknownRaces(members, [race, { ref: other }]), []);
  assert.deepEqual(unknownRaces([{ race: null }], []), []);
});
