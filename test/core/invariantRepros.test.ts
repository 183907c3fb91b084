/**
 * The smallest sequences the invariant suite found losing work (or failing with an untyped error),
 * one per failure class, replayed through the same world and checker as the property. Each names
 * the class; together they are the list of what the engine must fix for the property to pass.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Action, AgentAct, CrashStep, Op, Strategy, UserAct } from './invariantModel';
import { formatFailure, World } from './invariantWorld';
import { pendingProperties, type LossKind } from './invariantChecker';

let world: World | null = null;
afterEach(() => world?.dispose());

const agent = (act: AgentAct, slot = 0): Action => ({ kind: 'agent', slot, act });
const user = (act: UserAct): Action => ({ kind: 'user', act });
const engine = (op: Op): Action => ({ kind: 'engine', op, during: null });
const crash = (step: CrashStep, slot = 1): Action => ({ kind: 'crash', slot, step });
const merge = (strategy: Strategy, more: Partial<Extract<Op, { op: 'merge' }>> = {}): Op => ({ op: 'merge', slot: 0, strategy, preview: false, commitMessage: false, into: 'base', ...more });
const cleanup = (force = false): Op => ({ op: 'cleanup', slot: 0, force });

async function losesNothing(actions: Action[]): Promise<void> {
  world = await World.create();
  const r = await world.run(actions);
  assert.equal(r.failure, null, r.failure ? formatFailure(actions, r) : '');
}

test('repro: cleanup after the agent detached HEAD deletes the branch and its commits', () => losesNothing([agent('detach'), engine(cleanup())]));

test('repro: forced cleanup after the agent detached HEAD salvages HEAD, not the branch', () => losesNothing([agent('detach'), engine(cleanup(true))]));

test('repro: forced cleanup during a half-done rebase loses the branch commit', () => losesNothing([agent('rebaseHalf'), engine(cleanup(true))]));

test('repro: cleanup trusts a stale merge record (squash merged, then undone on main)', () =>
  losesNothing([agent('commit'), engine(merge('squash')), user('undo'), engine(cleanup())]));

test('repro: work that lives only in a merge commit is invisible to cleanup', () => losesNothing([user('commit'), agent('mergeMain'), engine(cleanup())]));

test('repro: a rebase merge drops the file added in a merge commit', () => losesNothing([user('commit'), agent('commit'), agent('mergeMain'), engine(merge('rebase'))]));

test("repro: merging an agent's force-added .env overwrites the user's ignored .env on main", () => losesNothing([agent('forceAddEnv'), engine(merge('merge'))]));

test('repro: forced cleanup loses a nested repository (its commits and its uncommitted file)', () => losesNothing([agent('nested'), engine(cleanup(true))]));

test('repro: forced cleanup loses a commit made inside a submodule', () => losesNothing([agent('submodule'), engine(cleanup(true))]));
test('repro: forced cleanup loses uncommitted work inside a submodule (the moved-aside status cannot see into it)', () =>
  losesNothing([agent('submoduleDraft'), engine(cleanup(true))]));

test('repro: repair removes a spawn that crashed after checkout although an agent committed in it', () =>
  losesNothing([crash('checked-out'), agent('commit', 1), engine({ op: 'repair' })]));

test('repro: repair prunes a worktree moved with mv and loses its detached commits', () =>
  losesNothing([agent('detach'), agent('commit'), agent('mv'), engine({ op: 'repair' })]));

test('repro: a rebase merge refused for an untracked file in the target has already rewritten the instance branch', () =>
  losesNothing([user('commit'), agent('commitClash'), user('untrackedClash'), engine(merge('rebase'))]));

test('repro: previewing a branch whose base commit the agent amended fails with an untyped GitFailed', () =>
  losesNothing([agent('amend'), engine(merge('merge', { preview: true }))]));

test('repro: a merge that fails (untracked file in the way) rewinds main past a commit the user made meanwhile', () =>
  losesNothing([
    agent('commitClash'),
    user('untrackedClash'),
    { kind: 'engine', op: merge('merge'), during: { who: 'user', delayMs: 100 } },
  ]));

test("repro: a merge --commit-message refused because main is dirty has already committed the agent's files (a refusal must change nothing)", () =>
  losesNothing([agent('untracked'), user('dirty'), engine(merge('merge', { commitMessage: true }))]));

test('repro: a rebase merge while the user commits on main fails with an untyped GitFailed (fast-forward impossible) after rewriting the branch', () =>
  losesNothing([agent('commit'), { kind: 'engine', op: merge('rebase'), during: { who: 'user', delayMs: 100 } }]));

test('repro: a merge preview racing a cleanup of the same instance failed with an untyped GitFailed (the folder vanished mid-read)', () =>
  losesNothing([{ kind: 'race', ops: [cleanup(), merge('squash', { preview: true, slot: 0 })] }]));

test('repro: repair removed a spawn killed after its checkout although the agent had changed a tracked file in it', () =>
  losesNothing([engine(cleanup()), { kind: 'crash', slot: 0, step: 'checked-out' }, agent('modify'), engine({ op: 'repair' })]));

// A harness gap, not an engine loss (seed 762791844): `cleanup --all` through the CLI cleaned up an
// instance with nothing at risk and kept a half-spawn (exit 3); the world took the exit for a
// refusal that must change nothing. The kill comes too late to land: the CLI always finishes.
test('repro: cleanup --all through the CLI that cleans some instances and keeps others is a finished operation, not a refusal', () =>
  losesNothing([crash('metadata-written'), { kind: 'kill', op: { op: 'cleanupAll', mergedOnly: false }, delayMs: 60_000, during: null, inside: false }]));

// Seed 1307783760 (a CI run): expire --days 0 beside a forced cleanup waited for the lock, then deleted
// the salvage the cleanup had just made — commit dates have whole seconds, the cutoff had milliseconds.
// The world now counts the refs expire reports as asked for; that a salvage newer than the call is
// kept is cleanup.test's 'salvage expire --days 0 keeps a salvage made after it was called'.
test('repro: salvage expire --days 0 run beside a forced cleanup deleted the salvage made after it was called', () =>
  losesNothing([engine({ op: 'cleanupAll', mergedOnly: false }), { kind: 'race', ops: [{ op: 'expire' }, cleanup(true)] }]));

// Seed 155477723 (a helper's branch): expire also takes evaluation snapshots (they follow the salvage
// retention, issue 17), but reports only salvage refs; the world took the snapshot's commit for lost.
test('repro: salvage expire --days 0 beside a merge takes an evaluation snapshot, as retention says (a harness gap)', () =>
  losesNothing([
    engine({ op: 'cleanup', slot: 1, force: true }),
    agent('commit'),
    { kind: 'race', ops: [{ op: 'expire' }, merge('rebase', { slot: 1, commitMessage: true })] },
  ]));

// Seed 13073606 (a helper's branch): the agent's .gitignore (without the .env and cache lines) merged into
// main; the next spawn refuses with InvalidConfig ("share cache is not ignored by git"), a typed refusal
// that changes nothing — the world had taken it for an unexpected error (a harness gap).
test('repro: after an agent\'s .gitignore un-ignoring the shared cache lands on main, spawn --from refuses with InvalidConfig and changes nothing', () =>
  losesNothing([agent('unignoreEnv'), engine(merge('merge', { commitMessage: true })), agent('commit', 4), agent('rebaseHalf'), engine({ op: 'spawnFrom', slot: 1, from: 0 })]));

// ---- the second surface (issue 17). A repro of a property whose fix is pending runs as a todo
// (reported, not failing) until the property leaves PENDING_BY_DEFAULT in invariantChecker.ts. ----

const pending = pendingProperties();

/** A repro of one property: checked even while pending, as a todo then. */
function reproOf(property: LossKind, name: string, actions: Action[]): void {
  test(`repro (${property}): ${name}`, { todo: pending.has(property) ? `pending fix: ${property}` : false }, async () => {
    world = await World.create({ enforce: [property] });
    const r = await world.run(actions);
    assert.equal(r.failure, null, r.failure ? formatFailure(actions, r) : '');
  });
}

reproOf('provisioned-blob', "evaluating an instance whose agent un-ignored the provisioned .env records the user's secret (and the cache link) in the evaluated state's commit", [
  agent('unignoreEnv'),
  engine({ op: 'evaluate', slot: 0 }),
]);

reproOf('provisioned-blob', 'a forced cleanup salvages the provisioned .env the agent un-ignored and edited', [agent('editEnv'), agent('unignoreEnv'), engine(cleanup(true))]);

reproOf('process-alive', 'a process the evaluation command left in the background outlives the evaluation', [engine({ op: 'evaluate', slot: 0 })]);

reproOf('process-alive', "cleanup leaves the setup's daemon running", [engine({ op: 'spawn', slot: 1, base: 'main' }), engine({ op: 'cleanup', slot: 1, force: false })]);

reproOf('provisioned-blob', "a landing refused as stale, of a member whose agent un-ignored the provisioned .env, has written the user's secret into the object store", [
  agent('unignoreEnv', 1),
  engine({ op: 'land', race: 0, pick: null, strategy: 'merge', keepLosers: false }),
]);

reproOf('provisioned-blob', "a merge --commit-message refused, of an instance whose agent un-ignored the provisioned .env, has written the user's secret into the object store", [
  agent('unignoreEnv', 1),
  engine(merge('merge', { slot: 1, commitMessage: true })),
]);

reproOf('landing-once', 'a race lands twice: land --keep-losers, then land --pick another member', [
  agent('commit', 2),
  engine({ op: 'land', race: 0, pick: null, strategy: 'merge', keepLosers: true }),
  engine({ op: 'land', race: 0, pick: 1, strategy: 'merge', keepLosers: false }),
]);

reproOf('process-alive', "a server a search's agent started outlives its slot's cleanup once the agent has exited (resume q1: node 1 evaluated, node 2 run and evaluated, both slots cleaned up)", [
  engine({ op: 'searchResume', search: 1 }),
]);
