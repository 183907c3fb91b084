/**
 * Search in a real VS Code (issue 18): Search… drives a search of stand-in agents in the extension
 * host; the search row and its attempt tree show each node's result and score, the best starred;
 * the end is notified; Land Best… lands only once its modal is answered. Stop Search ends a running
 * search, Continue (+N attempts) drives it on, Compare with Parent lists what an attempt changed,
 * Open as Instance brings a node back as a live instance. Each test removes the searches (and the
 * salvage of their slots) it made, and moves main back where it was.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { Search, SpawnedInstance } from '../../src/core';
import type { SearchCommandResult } from '../../src/extension/searchCommand';
import type { LandSearchResult } from '../../src/extension/searchLand';
import type { ContinueSearchResult } from '../../src/extension/searchContinue';
import type { CompareWithParentResult } from '../../src/extension/searchCompare';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import type { Node } from '../../src/extension/tree';
import { writeSearchStandIns } from '../core/searchStandIns';
import { api, git, label, repoRoot, theModel, waitFor } from './helpers';

const exec = <T>(command: string, args?: object): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, args));
/** The stand-in evaluation's tests: all pass after this many fixes. */
const TESTS = 2;

/**
 * The stand-in agent fixes the failing test its prompt's feedback names and commits — or, while the
 * `slow` marker file exists, writes a file and never ends (a search's agent command is fixed when it
 * starts: the marker switches its behaviour). The tests pass once TESTS are fixed.
 */
function writeStandIns(dir: string): { agent: string; slowMarker: string; evaluate: string } {
  const slowMarker = path.join(dir, 'slow');
  const { agentCommand, evaluateCommand } = writeSearchStandIns(dir, { tests: TESTS, slow: slowMarker, node: JSON.stringify(process.execPath) });
  return { agent: agentCommand, slowMarker, evaluate: evaluateCommand };
}

async function children(parent?: Node): Promise<{ node: Node; item: vscode.TreeItem }[]> {
  const a = await api();
  return (await a.tree.getChildren(parent)).map((n) => ({ node: n, item: a.tree.getTreeItem(n) }));
}

/** The attempt tree under a search row, depth first: "label | description | icon". */
async function attemptTree(row: Node): Promise<string[]> {
  const out: string[] = [];
  const walk = async (n: Node, depth: number): Promise<void> => {
    for (const c of await children(n)) {
      const icon = (c.item.iconPath as vscode.ThemeIcon | undefined)?.id ?? '';
      out.push(`${'  '.repeat(depth)}${label(c.item)} | ${String(c.item.description)} | ${icon}`);
      await walk(c.node, depth + 1);
    }
  };
  await walk(row, 0);
  return out;
}

async function searchRow(name: string): Promise<{ node: Node; item: vscode.TreeItem } | undefined> {
  return (await children()).find((x) => x.node.kind === 'search' && x.node.search.name === name);
}

/** Waits until the window's record of the search satisfies `done`. */
async function searchWhen(model: RepositoryModel, name: string, done: (s: Search) => boolean, what: string, timeoutMs = 120_000): Promise<Search> {
  const state = (await api()).searches.of(model);
  return waitFor(
    model,
    async () => {
      await state.refresh();
      const s = state.find(name);
      return s && done(s) ? s : undefined;
    },
    what,
    timeoutMs,
  );
}

/** Deletes every ref of the search and the salvage of its slots. */
function forget(repo: string, name: string): void {
  const refs = git(repo, 'for-each-ref', '--format=%(refname)', `refs/axiom/searches/${name}/`, 'refs/axiom/salvage/').split('\n').filter(Boolean);
  for (const ref of refs) if (ref.startsWith(`refs/axiom/searches/${name}/`) || new RegExp(`/${name}-[nlo]\\d+(/|$)`).test(ref)) git(repo, 'update-ref', '-d', ref);
}

describe('Search in VS Code', () => {
  let model: RepositoryModel;
  let repo: string;
  let s: ReturnType<typeof writeStandIns>;
  let mainAt: string;

  before(async () => {
    model = await theModel();
    repo = repoRoot();
    s = writeStandIns(fs.mkdtempSync(path.join(path.dirname(repo), 'search-')));
    mainAt = git(repo, 'rev-parse', 'main').trim();
  });

  afterEach(async function () {
    this.timeout(240_000);
    // A test that failed half-way may leave a search driven here: it ends before its refs go.
    for (const name of ['ui', 'st']) {
      if (!(await api()).searches.drivesHere(model, name)) continue;
      await exec('axiom.stopSearch', { search: name }).catch(() => undefined);
      await searchWhen(model, name, (x) => x.state === 'stopped' || x.state === 'done', `search ${name} to end`);
    }
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(s.slowMarker, { force: true });
    for (const name of ['ui', 'st', 'cli']) forget(repo, name);
    git(repo, 'reset', '-q', '--hard', mainAt);
    await (await api()).searches.of(model).refresh();
  });

  it('Search… drives a search of 2 rounds here: the tree shows each attempt with its score, the best starred; its end is notified; Land Best… lands only when its modal is answered', async function () {
    this.timeout(300_000);
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', s.agent, vscode.ConfigurationTarget.Global);
    const started = await exec<SearchCommandResult>('axiom.search', {
      search: 'ui', prompt: 'Make every test pass.', evaluate: s.evaluate, agents: 'custom', parallel: 1, width: 1, select: 'best', attempts: 4, targetScore: TESTS,
    });
    assert.equal(started.driving, true);
    assert.deepEqual([started.search.state, started.search.agents, started.search.budget.attempts], ['running', ['custom'], 4]);
    const done = await searchWhen(model, 'ui', (x) => x.state === 'done', 'the search to reach its target');
    assert.equal(done.stopReason, `the target score ${TESTS} is reached`);
    assert.deepEqual(done.nodes.map((n) => [n.id, n.parent, n.round, n.result?.passed, n.result?.score]), [[0, null, 0, false, 0], [1, 0, 1, false, 1], [2, 1, 2, true, 2]]);

    const row = await waitFor(model, async () => {
      const r = await searchRow('ui');
      return r && r.item.contextValue === 'search-ended' ? r : undefined;
    }, 'the search row to show the end');
    assert.match(String(row.item.description), /^the target score 2 is reached · best #2 ✓ 2 · 2\/4 attempts$/);
    assert.equal((row.item.iconPath as vscode.ThemeIcon).id, 'star-full');
    assert.deepEqual(await attemptTree(row.node), [
      '#0 base | ✗ 0 · round 0 | error',
      '  #1 | ✗ 1 · round 1 · custom | error',
      '    #2 | ✓ 2 · round 2 · custom · best | star-full',
    ]);
    await waitFor(model, async () => !(await children()).some((x) => x.node.kind === 'worktree' && x.node.status.id?.startsWith('ui-')), 'no slot left in the view');
    const a = await api();
    assert.ok(a.searches.notices.some((n) => n.search === 'ui' && /^Search ui reached its target .* Best: node #2, passed, score 2/.test(n.message)), JSON.stringify(a.searches.notices));

    const refused = await exec<LandSearchResult>('axiom.landSearch', { search: 'ui' });
    assert.deepEqual(refused, {
      outcome: 'cancelled',
      node: 2,
      path: ['#0 (the base): failed, score 0', '#1 (round 1, custom): failed, score 1 (+1 −0 in 1 file)', '#2 (round 2, custom): passed, score 2 (+2 −0 in 1 file)'],
    });
    assert.equal(git(repo, 'rev-parse', 'main').trim(), mainAt, 'nothing landed without the confirmation');
    const landed = await exec<LandSearchResult>('axiom.landSearch', { search: 'ui', confirm: true });
    assert.equal(landed.outcome, 'landed');
    assert.equal(git(repo, 'show', 'main:impl.txt'), 'fix t1\nfix t2\n');
    await waitFor(model, async () => !(await searchRow('ui')), 'a landed search to leave the view');
  });

  it('Stop Search ends a running search (its attempt stopped, its slot gone); Continue (+1) drives it on; Compare with Parent and Open as Instance show a node', async function () {
    this.timeout(300_000);
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', s.agent, vscode.ConfigurationTarget.Global);
    fs.writeFileSync(s.slowMarker, '');
    await exec<SearchCommandResult>('axiom.search', { search: 'st', prompt: 'Make every test pass.', evaluate: s.evaluate, agents: 'custom', parallel: 1, width: 1, attempts: 3 });
    await searchWhen(model, 'st', (x) => x.nodes.some((n) => n.id === 1 && n.state === 'running'), 'its first attempt at work');
    const working = await waitFor(model, async () => {
      const r = await searchRow('st');
      const tree = r ? await attemptTree(r.node) : [];
      return tree.some((line) => /#1 \| working in st-n1 · round 1 · custom \| loading~spin/.test(line)) ? r : undefined;
    }, 'the attempt at work in the tree');
    assert.equal(working.item.contextValue, 'search-running');
    assert.ok(!(await children()).some((x) => x.node.kind === 'worktree' && x.node.status.id === 'st-n1'), 'its slot is shown under the search, not at the top');

    const stopping = await exec<Search>('axiom.stopSearch', { search: 'st' });
    assert.equal(stopping.state, 'stopping', 'this window drives it: its driver ends it');
    const stopped = await searchWhen(model, 'st', (x) => x.state === 'stopped', 'the search to stop');
    assert.equal(stopped.nodes[1]!.state, 'failed');
    await waitFor(model, () => !model.find('st-n1'), 'the stopped attempt\'s slot to go');

    fs.rmSync(s.slowMarker);
    await assert.rejects(exec('axiom.continueSearch', { search: 'st' }), (e: { code?: string }) => e.code === 'InvalidArgument', 'an ended search needs more attempts');
    const continued = await exec<ContinueSearchResult>('axiom.continueSearch', { search: 'st', attempts: 1 });
    assert.deepEqual([continued.driving, continued.search.state, continued.search.budget.attempts], [true, 'running', 2]);
    const done = await searchWhen(model, 'st', (x) => x.state === 'done', 'the continued search to end');
    assert.deepEqual(done.nodes.map((n) => [n.id, n.parent, n.state, n.result?.score]), [[0, null, 'evaluated', 0], [1, 0, 'failed', undefined], [2, 0, 'evaluated', 1]]);

    const compared = await exec<CompareWithParentResult>('axiom.compareWithParent', { search: 'st', node: 2 });
    assert.deepEqual(compared, { search: 'st', node: 2, parent: 0, files: [{ status: 'A', path: 'impl.txt' }] });
    const opened = await exec<SpawnedInstance & { commit: string }>('axiom.openSearchNode', { search: 'st', node: 2 });
    assert.equal(opened.id, 'st-o2');
    assert.equal(git(opened.path, 'rev-parse', 'HEAD').trim(), done.nodes[2]!.commit);
    assert.equal(fs.readFileSync(path.join(opened.path, 'impl.txt'), 'utf8'), 'fix t1\n');
    await waitFor(model, () => model.find('st-o2'), 'the opened node as an instance');
    await exec('axiom.cleanup', { id: 'st-o2', force: true });
  });
  it('a search run by the CLI in another process shows as a search row without Refresh, and follows its record to its end', async function () {
    this.timeout(300_000);
    const cli = path.resolve(__dirname, '../../../dist/cli.js');
    const args = ['-C', repo, 'search', 'cli', '--prompt', 'make the tests pass', '--agent-command', s.agent, '--evaluate', s.evaluate];
    // Asynchronously: the extension host goes on reading while the CLI drives (and nothing here refreshes the view).
    const driven = promisify(execFile)(process.execPath, [cli, ...args, '--width', '1', '--parallel', '1', '--attempts', String(TESTS), '--select', 'best', '--wait', '--json'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    let seen = '(no row)';
    const describeRow = async (): Promise<string> => {
      const r = await searchRow('cli');
      seen = r ? `${String(r.item.description)} [${String(r.item.contextValue)}]` : '(no row)';
      return seen;
    };
    await waitFor(model, async () => (await describeRow()) !== '(no row)', 'the search row while the CLI drives it', 120_000).catch((e: unknown) => {
      throw new Error(`${String(e)}; the row: ${seen}`);
    });
    const { stdout } = await driven;
    const ended = (JSON.parse(stdout) as { search: Search }).search;
    assert.equal(ended.state, 'done');
    // The row follows the record to its end: every node, the best passing one, ended.
    await waitFor(model, async () => (await describeRow()).includes(`${TESTS}/${TESTS} attempts`) && seen.includes(`best #${TESTS} ✓ ${TESTS}`) && seen.endsWith('[search-ended]'), 'the row to show the ended search', 60_000).catch(
      (e: unknown) => {
        throw new Error(`${String(e)}; the row: ${seen}`);
      },
    );
    // Attempts that simply ran out are "done": the count says why, not a second sentence.
    assert.match(seen, new RegExp(`^done · best #${TESTS} ✓ ${TESTS} · ${TESTS}/${TESTS} attempts \\[search-ended\\]$`));
  });
});
