/** Selection over a search tree (issue 18): values, UCT with visits through descendants, best, width. Hand-built trees. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bestNode, nodeValues, selectExpansions, uctScores } from '../../src/core/search/searchSelect';
import type { SearchNode } from '../../src/core/search/searchRecord';

function node(id: number, parent: number | null, passed: boolean | null, score: number | null = null, state: SearchNode['state'] = passed === null ? 'running' : 'evaluated'): SearchNode {
  return {
    id,
    parent,
    round: parent === null ? 0 : 1,
    agent: null,
    prompt: null,
    instance: null,
    commit: state === 'evaluated' ? `c${id}` : null,
    result: passed === null ? null : { passed, score, feedback: '', diff: null, evaluatedAt: '' },
    state,
    createdAt: '',
  };
}

test('a failing evaluation is worth less than every passing one, whatever its score; lower scores win when lower is better', () => {
  const nodes = [node(0, null, false, 100), node(1, 0, true, 1), node(2, 0, true, 50), node(3, 0, false, 0), node(4, 0, null, null, 'failed')];
  const v = nodeValues(nodes, 'higher');
  assert.ok(v.get(0)! < v.get(1)!, 'failing with the best score < passing with the worst');
  assert.ok(v.get(1)! < v.get(2)!);
  assert.equal(v.get(3), 0);
  assert.equal(v.get(4), 0, 'an attempt that could not be evaluated is worth nothing');
  const lower = nodeValues(nodes, 'lower');
  assert.ok(lower.get(1)! > lower.get(2)!, 'score 1 beats 50 when lower is better');
  assert.equal(bestNode(nodes, 'higher')!.id, 2);
  assert.equal(bestNode(nodes, 'lower')!.id, 1);
  assert.equal(bestNode([node(0, null, true, 5)], 'higher', false), null, 'the root is never the node to land');
});

test('UCT: Q is the mean value of the finished subtree, N counts every descendant (unfinished too), C weighs the exploration', () => {
  // root (fails, score 0) → a (passes, 10) → a1 (running); root → b (passes, 8)
  const nodes = [node(0, null, false, 0), node(1, 0, true, 10), node(2, 0, true, 8), node(3, 1, null)];
  const scores = uctScores(nodes, 'higher', 1);
  const value = { root: 0, a: 1, b: 0.5 + 0.5 * 0.8 };
  const expectA = value.a + Math.sqrt(Math.log(4) / 2); // a: 2 visits (itself and its running child)
  const expectB = value.b + Math.sqrt(Math.log(4) / 1);
  const expectRoot = (value.root + value.a + value.b) / 3 + Math.sqrt(Math.log(4) / 4);
  assert.ok(Math.abs(scores.get(1)! - expectA) < 1e-9);
  assert.ok(Math.abs(scores.get(2)! - expectB) < 1e-9);
  assert.ok(Math.abs(scores.get(0)! - expectRoot) < 1e-9);
  assert.equal(scores.has(3), false, 'a node that is not evaluated is not expandable');
});

test('selection order: UCT spreads parallel expansions over the tree, exploration 0 and best mode keep to the best node; width children each', () => {
  const nodes = [node(0, null, false, 0), node(1, 0, true, 10), node(2, 0, true, 8)];
  const base = { nodes, exploration: 1, width: 2, direction: 'higher' as const };
  // a first (1 + √(ln3)); its two pending children lower its bonus, so b comes next.
  assert.deepEqual(selectExpansions({ ...base, select: 'uct' }, 4), [{ node: 1, children: 2 }, { node: 2, children: 2 }]);
  assert.deepEqual(selectExpansions({ ...base, select: 'uct', exploration: 0 }, 4), [{ node: 1, children: 2 }, { node: 1, children: 2 }]);
  assert.deepEqual(selectExpansions({ ...base, select: 'best' }, 3), [{ node: 1, children: 2 }, { node: 1, children: 1 }]);
  // Visits count through descendants: a, with four unfinished children, yields to b; without exploration it does not.
  const visited = [...nodes, node(3, 1, null), node(4, 1, null), node(5, 1, null), node(6, 1, null)];
  assert.deepEqual(selectExpansions({ ...base, nodes: visited, select: 'uct', width: 1 }, 1), [{ node: 2, children: 1 }]);
  assert.deepEqual(selectExpansions({ ...base, nodes: visited, select: 'uct', exploration: 0, width: 1 }, 1), [{ node: 1, children: 1 }]);
  assert.deepEqual(selectExpansions({ ...base, nodes: [node(0, null, null, null, 'failed')], select: 'uct' }, 2), [], 'nothing to expand');
});
