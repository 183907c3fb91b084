/**
 * Explore and land in a real VS Code: a race of stand-in agents in terminals, evaluated when each
 * terminal command ends, ranked live in the race node; Compare With…, Land Winner… (its modal text
 * and the landing), Branch From Here with a merge into the parent, the conflict badge, Land All
 * Clean…, and the History view.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvaluationOutcome, MergeResult } from '../../src/core';
import type { CompareResult, ExploreCommandResult, LandAllCleanResult, LandWinnerResult } from '../../src/extension/exploreCommands';
import type { RepositoryModel } from '../../src/extension/repositoryModel';
import type { HistoryNode } from '../../src/extension/historyView';
import type { Node } from '../../src/extension/tree';
import { api, commitFile, errorCode, git, label, repoRoot, theModel, waitFor } from './helpers';
import { writeStandIns, type StandIns } from '../core/standIns';
import { headlessLauncher } from '../../src/agents/raceLauncher';

const exec = <T>(command: string, args?: object): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(command, args));
const node = JSON.stringify(process.execPath);

async function children(parent?: Node): Promise<{ node: Node; item: vscode.TreeItem }[]> {
  const a = await api();
  return (await a.tree.getChildren(parent)).map((n) => ({ node: n, item: a.tree.getTreeItem(n) }));
}

describe('Explore and land in VS Code', () => {
  let model: RepositoryModel;
  let repo: string;
  let s: StandIns;

  before(async () => {
    model = await theModel();
    repo = repoRoot();
    s = writeStandIns(fs.mkdtempSync(path.join(path.dirname(repo), 'explore-')));
    await vscode.workspace.getConfiguration('axiom').update('maxInstances', 40, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', `${node} ${JSON.stringify(s.agent)} {id} {prompt}`, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('axiom').update('customAgentCommand', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('axiom').update('maxInstances', undefined, vscode.ConfigurationTarget.Global);
  });

  it('Explore… races 3 agents in terminals; each is evaluated when its command ends; the race node ranks them', async () => {
    const r = await exec<ExploreCommandResult>('axiom.explore', { task: 'ext', prompt: 'make it better', agents: 'custom:3', evaluate: `${node} ${JSON.stringify(s.evaluator)}` });
    assert.deepEqual(r.members.map((m) => m.id), ['ext-1', 'ext-2', 'ext-3']);
    assert.deepEqual(r.terminals, ['ext-1', 'ext-2', 'ext-3']);
    const exploration = (await api()).explorations.of(model);
    const view = await waitFor(
      model,
      async () => {
        await exploration.refresh();
        const v = exploration.races().find((x) => x.race.task === 'ext');
        // Evaluated, and no evaluation still in flight (its note can be in git a moment before it is done).
        return v && v.rows.every((row) => row.passed !== null && !exploration.isEvaluating(row.id)) ? v : undefined;
      },
      'every member evaluated after its terminal command ended',
      90_000,
    );
    assert.deepEqual(view.rows.map((x) => [x.id, x.rank, x.passed, x.score]), [
      ['ext-3', 1, true, 5],
      ['ext-1', 2, true, 3],
      ['ext-2', 3, false, 9],
    ]);
    const top = await children();
    const raceRow = top.find((x) => x.node.kind === 'race');
    assert.ok(raceRow, 'a race node at the top of the view');
    assert.equal(label(raceRow.item), 'ext');
    assert.equal(raceRow.item.contextValue, 'race');
    assert.equal(String(raceRow.item.description), '2 passed, 1 failed · 3 members', 'the race leads with its results; base and evaluation in the tooltip');
    assert.ok(!top.some((x) => x.node.kind === 'worktree' && x.node.status.id?.startsWith('ext-')), 'members are not repeated at the top');
    const members = await children(raceRow.node);
    assert.deepEqual(members.map((m) => label(m.item)), ['ext-3', 'ext-1', 'ext-2']);
    assert.match(String(members[0]!.item.description), /^#1 5 · /, 'rank and score first; the result is the icon');
    assert.match(String(members[2]!.item.description), /^#3 failed · /);
    assert.match(String(members[0]!.item.contextValue), /^instance(\.|$)/, 'members keep every instance command');
  });

  it('Evaluate on a member re-runs its evaluation; Compare With… lists what differs between two attempts', async () => {
    const outcomes = await exec<EvaluationOutcome[]>('axiom.evaluate', { id: 'ext-1' });
    assert.equal(outcomes.length, 1);
    assert.ok('result' in outcomes[0]! && outcomes[0].result.score === 3);
    const c = await exec<CompareResult>('axiom.compareWith', { id: 'ext-1', other: 'ext-3' });
    assert.deepEqual(c.files.map((f) => `${f.status} ${f.path}`).sort(), ['A ext-3.notes.txt', 'D ext-1.notes.txt', 'M solution.txt']);
  });

  it('Land Winner… lists exactly what merges and what is salvaged; confirmed, it lands and salvages', async () => {
    const refused = await exec<LandWinnerResult>('axiom.landWinner', { task: 'ext' });
    assert.equal(refused.outcome, 'cancelled');
    if (refused.outcome !== 'cancelled') return;
    assert.deepEqual(refused.plan, { winner: 'ext-3', into: 'main', files: ['ext-3.notes.txt', 'solution.txt'], salvaged: ['ext-1', 'ext-2'], removed: [], kept: [] });
    assert.ok(fs.existsSync(path.join(path.dirname(repo), 'axiom-ext-1')), 'nothing changed without the confirmation');
    const a = await api();
    assert.ok(['ext-1', 'ext-2', 'ext-3'].every((id) => a.terminals.find(model, id)), 'each member\'s terminal is open before the landing');
    const landed = await exec<LandWinnerResult>('axiom.landWinner', { task: 'ext', confirm: true });
    assert.equal(landed.outcome, 'landed');
    if (landed.outcome !== 'landed') return;
    assert.equal(landed.winner, 'ext-3');
    assert.match(git(repo, 'show', 'main:solution.txt'), /quality 5/);
    assert.deepEqual(landed.salvaged.map((x) => x.id), ['ext-1', 'ext-2']);
    for (const x of landed.salvaged) assert.match(git(repo, 'show', `${x.ref}:${x.id}.notes.txt`), new RegExp(`notes of ${x.id}`));
    await waitFor(model, async () => !(await children()).some((x) => x.node.kind === 'race'), 'the race node to go once its members are gone');
    // Landing closes what it removed: no terminal left open in a deleted folder (issue 21).
    await waitFor(model, () => ['ext-1', 'ext-2', 'ext-3'].every((id) => !a.terminals.find(model, id)), 'the members\' terminals closed');
    // The History view keeps the attempts, with their outcomes.
    a.history.refresh();
    const roots = await a.history.getChildren();
    const raceNode = roots.find((n): n is Extract<HistoryNode, { kind: 'race' }> => n.kind === 'race' && n.task === 'ext');
    assert.ok(raceNode, 'the race is in the History view');
    const attempts = await a.history.getChildren(raceNode);
    assert.deepEqual(attempts.map((n) => (n.kind === 'attempt' ? [n.row.id, n.row.outcome] : [])), [['ext-1', 'salvaged'], ['ext-2', 'salvaged'], ['ext-3', 'landed']]);
    const agents = roots.find((n) => n.kind === 'agents');
    assert.ok(agents && agents.kind === 'agents' && agents.stats[0]!.agent === 'custom' && agents.stats[0]!.wins === 1);
    assert.match(String(a.history.getTreeItem(attempts[2]!).description), /✓ 5 · landed · custom/);
  });

  it('Branch From Here: the child sits under its parent and merges into it', async () => {
    await exec('axiom.spawn', { id: 'trunk', openTerminal: false });
    const parent = await waitFor(model, () => model.find('trunk'), 'trunk');
    commitFile(parent.path, 'trunk.txt', 'trunk\n', 'trunk work');
    const child = await exec<{ id: string; base: string; path: string }>('axiom.branchFromHere', { id: 'trunk', as: 'trunk.1', agent: 'custom', openTerminal: false });
    assert.equal(child.base, parent.branch);
    await waitFor(model, () => model.find('trunk.1'), 'the child');
    const top = await children();
    assert.ok(!top.some((x) => x.node.kind === 'worktree' && x.node.status.id === 'trunk.1'), 'the child is not at the top');
    const trunkRow = top.find((x) => x.node.kind === 'worktree' && x.node.status.id === 'trunk')!;
    assert.deepEqual((await children(trunkRow.node)).filter((x) => x.node.kind === 'worktree').map((x) => label(x.item)), ['trunk.1']);
    commitFile(child.path, 'leaf.txt', 'leaf\n', 'child work');
    const merged = await exec<{ outcome: string } & MergeResult>('axiom.merge', { id: 'trunk.1', strategy: 'merge', confirm: true });
    assert.equal(merged.outcome, 'merged');
    assert.equal(merged.target, parent.branch);
    assert.equal(fs.readFileSync(path.join(parent.path, 'leaf.txt'), 'utf8'), 'leaf\n');
    await exec('axiom.cleanup', { id: 'trunk.1' });
  });

  it('a conflict badge names the other instance; Land All Clean… lands in the forecast order and skips the conflicting one', async () => {
    for (const [id, file] of [['clash-a', 'clash.txt'], ['clash-b', 'clash.txt'], ['calm', 'calm.txt']] as const) {
      await exec('axiom.spawn', { id, openTerminal: false });
      const w = await waitFor(model, () => model.find(id), id);
      commitFile(w.path, file, `${id}\n`, `${id} edits ${file}`);
    }
    const exploration = (await api()).explorations.of(model);
    await waitFor(model, async () => (await exploration.refresh(), exploration.conflictsOf('clash-a').length > 0), 'the forecast to see the clash');
    assert.deepEqual(exploration.conflictsOf('clash-a'), [{ other: 'clash-b', files: ['clash.txt'] }]);
    assert.deepEqual(exploration.conflictsOf('calm'), []);
    const clashRow = (await children()).find((x) => x.node.kind === 'worktree' && x.node.status.id === 'clash-a')!;
    // appendText keeps the words literal (spaces become &nbsp;).
    const tooltip = (clashRow.item.tooltip instanceof vscode.MarkdownString ? clashRow.item.tooltip.value : String(clashRow.item.tooltip)).replace(/&nbsp;/g, ' ');
    assert.match(tooltip, /Conflicts with clash-b in clash\.txt/);
    const badge = (await api()).decorations.provideFileDecoration(clashRow.item.resourceUri!);
    assert.equal(badge?.badge, '⚠');
    assert.equal(badge?.tooltip, 'Conflicts with clash-b (clash.txt)');
    const calmRow = (await children()).find((x) => x.node.kind === 'worktree' && x.node.status.id === 'calm')!;
    assert.equal((await api()).decorations.provideFileDecoration(calmRow.item.resourceUri!), undefined);
    const cancelled = await exec<LandAllCleanResult>('axiom.landAllClean', {});
    assert.equal(cancelled.outcome, 'cancelled');
    const r = await exec<LandAllCleanResult>('axiom.landAllClean', { confirm: true });
    assert.equal(r.outcome, 'landed');
    if (r.outcome !== 'landed') return;
    const landedIds = r.landed.map((l) => l.id);
    for (const id of ['calm', 'clash-a', 'trunk']) assert.ok(landedIds.includes(id), `${id} landed`);
    const skipped = r.skipped.find((x) => x.id === 'clash-b');
    assert.match(skipped?.reason ?? '', /conflicts with clash-a/);
    assert.equal(git(repo, 'show', 'main:clash.txt'), 'clash-a\n');
    await exec('axiom.cleanup', { id: 'clash-b', force: true });
  });

  it('Land Winner… with no race says so; Evaluate without a command says what to set', async () => {
    await assert.rejects(exec('axiom.landWinner', { task: 'nope' }), (e) => errorCode(e) === 'NotFound');
    await exec('axiom.spawn', { id: 'plain', openTerminal: false });
    await waitFor(model, () => model.find('plain'), 'plain');
    await assert.rejects(exec('axiom.evaluate', { id: 'plain' }), (e) => errorCode(e) === 'InvalidArgument');
    await exec('axiom.cleanup', { id: 'plain' });
  });

  it('a headless member whose Claude turn failed is evaluated once, after its agent (alive, waiting) is stopped', async () => {
    // The stand-in Claude of test/fixtures/bin: "fail auth" ends its turn with StopFailure and it
    // stays alive waiting for the next message, as the real one does; no grace after a failed turn.
    git(repo, 'config', 'axiom.agentFailureGraceSeconds', '0');
    const savedPath = process.env.PATH;
    try {
      process.env.PATH = `${path.resolve(__dirname, '../../../test/fixtures/bin')}${path.delimiter}${savedPath ?? ''}`;
      const launcher = headlessLauncher({ cwd: repo, hookScript: path.resolve(__dirname, '../../../dist/hook.js'), engine: model.engine });
      await model.engine.explore.startRace({ task: 'turn', count: 1, agents: 'claude', prompt: 'fail auth please', evaluate: `${node} -e "process.exit(1)"`, launch: 'headless' }, launcher);
      process.env.PATH = savedPath;
      const exploration = (await api()).explorations.of(model);
      const evaluated = await waitFor(
        model,
        async () => {
          await exploration.refresh();
          const r = exploration.races().find((x) => x.race.task === 'turn')?.rows[0];
          return r && r.passed !== null && !exploration.isEvaluating(r.id) ? r : undefined;
        },
        'the failed member evaluated',
        60_000,
      );
      assert.deepEqual([evaluated.id, evaluated.passed], ['turn-1', false]);
      const inst = await model.engine.locate('turn-1');
      const agent = JSON.parse(fs.readFileSync(path.join(inst.adminDir, 'axiom-agent.json'), 'utf8')) as { endedAt?: string };
      assert.ok(agent.endedAt, 'its Claude, alive and waiting after the failed turn, was stopped');
      assert.ok(agent.endedAt <= evaluated.evaluatedAt!, 'stopped before its state was evaluated');
      const runs = fs.readFileSync(path.join(inst.adminDir, 'axiom-evaluate.log'), 'utf8').match(/evaluating with/g) ?? [];
      assert.equal(runs.length, 1, 'evaluated once');
      await exec('axiom.cleanup', { id: 'turn-1', force: true });
    } finally {
      process.env.PATH = savedPath;
      git(repo, 'config', '--unset', 'axiom.agentFailureGraceSeconds');
    }
  });
});
