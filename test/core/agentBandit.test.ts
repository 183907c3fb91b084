/** The agent-choosing bandit of a search (issue 18): UCB1 over the recorded attempts, deterministic given a history. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { agentOutcomes, armStats, chooseAgent, learnedArms, rewardOf, searchOutcomes, type AgentOutcome } from '../../src/core/search/agentBandit';
import type { SearchNode } from '../../src/core/search/searchRecord';

const play = (agent: string, passed: boolean, gain: number | null = null): AgentOutcome => ({ agent, passed, gain });
const times = (n: number, o: AgentOutcome): AgentOutcome[] => Array.from({ length: n }, () => o);

test('an untried agent of the mix is tried first, whatever the others did', () => {
  const history = [...times(5, play('claude', true, 2))];
  assert.equal(chooseAgent(['claude', 'claude', 'codex'], history).agent, 'codex');
  const stats = armStats(['claude', 'codex'], history);
  assert.equal(stats[1]!.ucb, null, 'an untried arm has no value yet: it goes first');
  // Both untried: the agent the mix names more often, then the one it names first.
  assert.equal(chooseAgent(['codex', 'claude', 'claude'], []).agent, 'claude');
  assert.equal(chooseAgent(['codex', 'claude'], []).agent, 'codex');
});

test('given a history, the arm with the higher UCB1 value (mean reward + √2·√(ln N / n)) is picked', () => {
  const history = [...times(3, play('claude', true)), play('claude', false), ...times(4, play('codex', false))];
  const stats = armStats(['claude', 'codex'], history);
  const bonus = Math.SQRT2 * Math.sqrt(Math.log(8) / 4);
  assert.ok(Math.abs(stats[0]!.ucb! - (0.75 + bonus)) < 1e-12);
  assert.ok(Math.abs(stats[1]!.ucb! - bonus) < 1e-12);
  assert.deepEqual([stats[0]!.attempts, stats[0]!.passRate, stats[1]!.passRate], [4, 0.75, 0]);
  assert.equal(chooseAgent(['codex', 'claude'], history).agent, 'claude');
  // Exploration: a good arm tried 10 times loses to one tried once that did nearly as well.
  const lopsided = [...times(6, play('claude', true)), ...times(4, play('claude', false)), play('codex', true), play('codex', false)];
  assert.equal(chooseAgent(['claude', 'codex'], lopsided).agent, 'codex');
  // Attempts still at work count as plays: equal histories, one more claude at work → codex.
  const even = [play('claude', true), play('codex', true)];
  assert.equal(chooseAgent(['claude', 'codex'], even).agent, 'claude');
  assert.equal(chooseAgent(['claude', 'codex'], even, new Map([['claude', 1]])).agent, 'codex');
});

test('the reward is pass and score gain: (passed + gained) / 2 when the gain is known, else passed', () => {
  assert.deepEqual([rewardOf(play('a', true, 1)), rewardOf(play('a', false, 1)), rewardOf(play('a', true, 0)), rewardOf(play('a', false, -2)), rewardOf(play('a', true)), rewardOf(play('a', false))], [1, 0.5, 0.5, 0, 1, 0]);
  // An agent that fixes a test per attempt (never passing yet) beats one that breaks them.
  const history = [...times(3, play('fixer', false, 1)), ...times(3, play('breaker', false, -1))];
  assert.equal(chooseAgent(['breaker', 'fixer'], history).agent, 'fixer');
  const learned = learnedArms(history);
  assert.deepEqual(learned.map((a) => [a.agent, a.attempts, a.meanGain, a.reward]), [['breaker', 3, -1, 0], ['fixer', 3, 1, 0.5]]);
});

test('one agent is just that agent, however badly it did', () => {
  assert.equal(chooseAgent(['codex', 'codex'], times(9, play('codex', false, -1))).agent, 'codex');
});

function node(id: number, parent: number | null, agent: string | null, score: number | null, passed = false, state: SearchNode['state'] = 'evaluated'): SearchNode {
  return { id, parent, round: 0, agent, prompt: null, instance: null, commit: `c${id}`, result: state === 'evaluated' ? { passed, score, feedback: '', diff: null, evaluatedAt: '' } : null, state, createdAt: '' };
}

test('the history learned from: race members (pass only), search nodes with their gain over the parent in the search\'s direction, each attempt once', () => {
  const search = {
    name: 's',
    evaluate: { command: 't', score: 'lower' as const, timeoutSec: 60 },
    nodes: [node(0, null, null, 10), node(1, 0, 'claude', 7), node(2, 1, 'codex', 9, true), node(3, 1, 'codex', null, false, 'failed'), node(4, 0, 'codex', null)],
  };
  assert.deepEqual(searchOutcomes(search), [play('claude', false, 3), play('codex', true, -2), play('codex', false, null)]);
  const rows = [
    { id: 'fix-1', race: 'fix', agent: 'claude', passed: true, commit: 'x1' },
    { id: 'fix-2', race: 'fix', agent: 'codex', passed: null, commit: null }, // never evaluated
    { id: 'solo', race: null, agent: null, passed: true, commit: 'x2' }, // no agent
    { id: 's-n1', race: null, agent: 'claude', passed: false, commit: 'c1' }, // node 1's evaluation: counted once, as the node
    { id: 's-n0', race: null, agent: null, passed: false, commit: 'c0' },
    { id: 's-n2', race: null, agent: 'codex', passed: true, commit: 'other' }, // an instance that only shares the name
  ];
  assert.deepEqual(agentOutcomes(rows, [search]), [play('claude', true), play('codex', true), ...searchOutcomes(search)]);
  assert.deepEqual(agentOutcomes(rows, [search], 's'), [play('claude', true), play('codex', true)], 'the search the driver adds live is left out');
});
