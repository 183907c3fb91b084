/** The search over MCP (issue 18): start (driven by the server), status and tree, land once; resume after the server that drove it closed; refusals in the tool's words. */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { connect, git, makeRepo, waitFor, worktreePaths, type McpSession, type TempRepo } from './helpers';
import { TESTS, writeSearchStandIns } from '../core/searchStandIns';

let repo: TempRepo;
let mcp: McpSession | null = null;
afterEach(async () => {
  await mcp?.close();
  mcp = null;
  repo?.cleanup();
});

interface NodeView {
  id: number;
  parent: number | null;
  round: number;
  agent: string | null;
  state: string;
  passed: boolean | null;
  score: number | null;
}

function standIns(delayMs = 0): { command: string[]; evaluate: string } {
  const s = writeSearchStandIns(repo.parent, { agentDelayMs: delayMs });
  return { command: [process.execPath, path.join(repo.parent, 'search-stand-ins', 'fixer.js'), '{prompt}'], evaluate: s.evaluateCommand };
}

test('search over MCP: start (driven by the server), status polled to the end with the node tree and the best node, tree, land once', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = standIns();
  mcp = await connect(repo.dir);
  const started = await mcp.call({ action: 'search', op: 'start', name: 'fix', prompt: 'Make every test pass.', command: s.command, evaluate: s.evaluate, attempts: 8, width: 1, parallel: 1, select: 'best', targetScore: TESTS });
  assert.equal(started.isError, false, started.text);
  assert.equal(started.doc.drivenByThisServer, true);
  assert.match(started.doc.next, /"op":"status"/);

  const done = await waitFor('the search ends', async () => {
    const st = await mcp!.call({ action: 'search', op: 'status', name: 'fix' });
    assert.equal(st.isError, false, st.text);
    return st.doc.state === 'done' ? st.doc : null;
  }, 600_000);
  assert.equal(done.stopReason, `the target score ${TESTS} is reached`);
  assert.deepEqual(
    done.nodes.map((n: NodeView) => [n.id, n.parent, n.round, n.agent, n.state, n.passed, n.score]),
    [
      [0, null, 0, null, 'evaluated', false, 0],
      [1, 0, 1, 'custom', 'evaluated', false, 1],
      [2, 1, 2, 'custom', 'evaluated', false, 2],
      [3, 2, 3, 'custom', 'evaluated', false, 3],
      [4, 3, 4, 'custom', 'evaluated', true, 4],
    ],
  );
  assert.equal(done.best.id, 4);
  assert.equal(done.driven, false);
  assert.deepEqual(worktreePaths(repo.dir), [repo.dir], 'no slot is left');

  const tree = await mcp.call({ action: 'search', op: 'tree', name: 'fix' });
  assert.equal(tree.doc.nodes[4].commit, git(repo.dir, 'rev-parse', 'refs/axiom/searches/fix/nodes/4').trim());
  assert.match(tree.doc.nodes[3].feedback, /failing: t4/);

  const landed = await mcp.call({ action: 'search', op: 'land', name: 'fix' });
  assert.equal(landed.isError, false, landed.text);
  assert.equal(landed.doc.node, 4);
  assert.equal(git(repo.dir, 'show', 'main:impl.txt').split('\n').filter(Boolean).length, TESTS);
  const again = await mcp.call({ action: 'search', op: 'land', name: 'fix' });
  assert.equal(again.isError, true);
  assert.equal(again.doc.error.code, 'AlreadyLanded');
});

test('search over MCP: a search whose server closed mid-attempt is resumed by another server to all-pass', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = standIns(1500);
  mcp = await connect(repo.dir);
  const started = await mcp.call({ action: 'search', op: 'start', name: 'k', prompt: 'Make every test pass.', command: s.command, evaluate: s.evaluate, attempts: 10, width: 1, parallel: 1, select: 'best', targetScore: TESTS });
  assert.equal(started.isError, false, started.text);
  await waitFor('round 2 at work', async () => {
    const st = await mcp!.call({ action: 'search', op: 'status', name: 'k' });
    return st.doc.nodes.some((n: NodeView) => n.round === 2 && n.state === 'running');
  }, 300_000);
  await mcp.close();
  mcp = await connect(repo.dir);
  await waitFor('the closed server gave up its claim', async () => (await mcp!.call({ action: 'search', op: 'status', name: 'k' })).doc.driven === false, 30_000);

  // wait: true returns when the search ends or after waitTimeoutSec (kept below the client's request timeout).
  const waited = await mcp.call({ action: 'search', op: 'resume', name: 'k', wait: true, waitTimeoutSec: 20 });
  assert.equal(waited.isError, false, waited.text);
  assert.equal(waited.doc.drivenByThisServer, waited.doc.state === 'running');
  const resumed = { doc: await waitFor('the resumed search ends', async () => {
    const st = await mcp!.call({ action: 'search', op: 'status', name: 'k' });
    return st.doc.state === 'done' ? st.doc : null;
  }, 600_000) };
  assert.deepEqual(resumed.doc.nodes.map((n: NodeView) => [n.round, n.state, n.score]), [[0, 'evaluated', 0], [1, 'evaluated', 1], [2, 'evaluated', 2], [3, 'evaluated', 3], [4, 'evaluated', 4]]);
  assert.deepEqual([resumed.doc.best.id, resumed.doc.best.passed], [4, true]);
  const ended = await mcp.call({ action: 'search', op: 'resume', name: 'k' });
  assert.equal(ended.doc.error.code, 'InvalidArgument');
  assert.match(ended.text, /has ended/);
});

test('search over MCP: refusals name the tool\'s arguments, never a CLI flag; nothing is recorded by a refused start', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = standIns();
  mcp = await connect(repo.dir);
  const refusals: [Record<string, unknown>, RegExp][] = [
    [{ op: 'start', name: 'a' }, /op "start" needs prompt/],
    [{ op: 'status', name: 'a', attempts: 3 }, /only op "start" takes them/],
    [{ op: 'status', name: 'a', node: 1 }, /only op "land" takes it/],
    [{ op: 'start', name: 'a', prompt: 'p', command: s.command }, /needs an evaluation command.*pass the argument "evaluate"/],
    [{ op: 'start', name: 'a', prompt: 'p', agents: 'claude', command: s.command, evaluate: s.evaluate }, /include custom in the agent mix/],
    [{ op: 'start', name: 'a', prompt: 'p', agents: 'custom' , evaluate: s.evaluate }, /pass the argument "command"/],
    [{ op: 'start', name: 'Bad Name', prompt: 'p', command: s.command, evaluate: s.evaluate }, /Invalid search name/],
    [{ op: 'tree', name: 'nope' }, /No search named "nope"/],
  ];
  for (const [args, message] of refusals) {
    const r = await mcp.call({ action: 'search', ...args });
    assert.equal(r.isError, true, JSON.stringify(args));
    assert.match(r.text, message, JSON.stringify(args));
    assert.doesNotMatch(r.text, /--[a-z]/, `no CLI flag in ${r.text}`);
  }
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/axiom/searches/'), '', 'a refused start records nothing');

  // A search with no passing node: land says to name one with the argument "node".
  const failing = await mcp.call({ action: 'search', op: 'start', name: 'f', prompt: 'p', command: [process.execPath, '-e', '0'], evaluate: s.evaluate, attempts: 1, parallel: 1, width: 1 });
  assert.equal(failing.isError, false, failing.text);
  await waitFor('the failing search ends', async () => (await mcp!.call({ action: 'search', op: 'status', name: 'f' })).doc.state === 'done', 600_000);
  const land = await mcp.call({ action: 'search', op: 'land', name: 'f' });
  assert.equal(land.doc.error.code, 'NotFound');
  assert.match(land.text, /pass the argument "node"/);
  assert.doesNotMatch(land.text, /--node/);
  const stopped = await mcp.call({ action: 'search', op: 'stop', name: 'f' });
  assert.equal(stopped.doc.state, 'done', 'stopping an ended search changes nothing');
});

test('search over MCP: land: true lands the best node by itself when the search ends, once; publish, remote and draft go with op "land" only', async () => {
  repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = standIns();
  mcp = await connect(repo.dir);
  const refusals: [Record<string, unknown>, RegExp][] = [
    [{ op: 'status', name: 'a', publish: true }, /only op "land" takes it/],
    [{ op: 'land', name: 'a', draft: true }, /remote and draft go with op "land" and publish: true/],
    [{ op: 'status', name: 'a', land: true }, /only op "start" takes them/],
  ];
  for (const [args, message] of refusals) {
    const r = await mcp.call({ action: 'search', ...args });
    assert.equal(r.isError, true, JSON.stringify(args));
    assert.match(r.text, message, JSON.stringify(args));
  }

  const started = await mcp.call({ action: 'search', op: 'start', name: 'auto', prompt: 'Make every test pass.', command: s.command, evaluate: s.evaluate, attempts: 8, width: 1, parallel: 1, select: 'best', targetScore: TESTS, land: true });
  assert.equal(started.isError, false, started.text);
  assert.deepEqual([started.doc.land, started.doc.autoLanded], [true, null]);
  const done = await waitFor('the search ends and lands', async () => {
    const st = await mcp!.call({ action: 'search', op: 'status', name: 'auto' });
    assert.equal(st.isError, false, st.text);
    return st.doc.autoLanded ? st.doc : null;
  }, 600_000);
  assert.equal(done.state, 'done');
  assert.deepEqual([done.autoLanded.node, done.landed.node, done.best.id], [4, 4, 4], done.autoLanded.note);
  assert.equal(git(repo.dir, 'show', 'main:impl.txt').split('\n').filter(Boolean).length, TESTS, 'main holds the best node');
  const again = await mcp.call({ action: 'search', op: 'land', name: 'auto' });
  assert.equal(again.doc.error.code, 'AlreadyLanded');
});
