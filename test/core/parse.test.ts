import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseLeftRight, parseMergeTree, parseRawNumstat, parseStatusV2, parseWorktreeList } from '../../src/core/git/parse';
import { parseAxiomConfig } from '../../src/core/provision/config';
import { lastEvent } from '../../src/core/processes/agentState';

test('worktree list --porcelain -z: main, branch, detached, locked, prunable', () => {
  const out = [
    'worktree /r', 'HEAD aaa', 'branch refs/heads/main', '',
    'worktree /r-x', 'HEAD bbb', 'branch refs/heads/axiom/x/1', 'locked axiom-spawn pid=12', '',
    'worktree /r-d', 'HEAD ccc', 'detached', 'locked', '',
    'worktree /gone', 'HEAD ddd', 'branch refs/heads/g', 'prunable gitdir file points to non-existent location', '',
  ].join('\0');
  const w = parseWorktreeList(out);
  assert.equal(w.length, 4);
  assert.deepEqual(w[0], { path: '/r', head: 'aaa', branchRef: 'refs/heads/main', bare: false, detached: false, locked: false, prunable: false });
  assert.equal(w[1]!.lockReason, 'axiom-spawn pid=12');
  assert.equal(w[2]!.detached, true);
  assert.equal(w[2]!.locked, true);
  assert.equal(w[2]!.lockReason, undefined);
  assert.equal(w[3]!.prunable, true);
  assert.match(w[3]!.prunableReason!, /non-existent/);
});

test('worktree list: paths with spaces and a bare main', () => {
  const w = parseWorktreeList(['worktree /a b/c d', 'bare', '', 'worktree /x y', 'HEAD 1', 'branch refs/heads/b', ''].join('\0'));
  assert.equal(w[0]!.path, '/a b/c d');
  assert.equal(w[0]!.bare, true);
  assert.equal(w[1]!.path, '/x y');
});

test('status --porcelain=v2 -z: staged, unstaged, both, untracked, conflicted, spaces', () => {
  const out = [
    '# branch.oid abc',
    '1 M. N... 100644 100644 100644 h1 h2 staged.txt',
    '1 .M N... 100644 100644 100644 h1 h2 dir/un staged.txt',
    '1 MM N... 100644 100644 100644 h1 h2 both.txt',
    '1 A. N... 000000 100644 100644 h0 h2 added.txt',
    'u UU N... 100644 100644 100644 100644 h1 h2 h3 conflict file.txt',
    '? new file.txt',
    '? other',
    '',
  ].join('\0');
  const s = parseStatusV2(out);
  assert.deepEqual(s.counts, { staged: 3, unstaged: 2, untracked: 2, conflicted: 1 });
  assert.deepEqual(
    s.entries.map((e) => e.path),
    ['staged.txt', 'dir/un staged.txt', 'both.txt', 'added.txt', 'conflict file.txt', 'new file.txt', 'other'],
  );
  assert.equal(s.entries[4]!.kind, 'conflicted');
});

test('status v2: a rename record consumes its origin field', () => {
  const out = ['2 R. N... 100644 100644 100644 h1 h2 R100 new name.txt', 'old name.txt', '? u.txt', ''].join('\0');
  const s = parseStatusV2(out);
  assert.deepEqual(s.entries.map((e) => e.path), ['new name.txt', 'u.txt']);
  assert.equal(s.counts.staged, 1);
  assert.equal(s.counts.untracked, 1);
});

test('diff --raw --numstat -z: statuses and counts, binary as null', () => {
  const out = [
    ':100644 100644 aaa bbb M', 'a.txt',
    ':000000 100644 000 ccc A', 'new dir/b.txt',
    ':100644 000000 ddd 000 D', 'gone.bin',
    '3\t1\ta.txt', '10\t0\tnew dir/b.txt', '-\t-\tgone.bin', '',
  ].join('\0');
  const files = parseRawNumstat(out);
  assert.deepEqual(files, [
    { path: 'a.txt', status: 'M', added: 3, deleted: 1 },
    { path: 'new dir/b.txt', status: 'A', added: 10, deleted: 0 },
    { path: 'gone.bin', status: 'D', added: null, deleted: null },
  ]);
});

test('merge-tree --write-tree --name-only -z: clean and conflicted', () => {
  assert.deepEqual(parseMergeTree('tree1\0', 0), { tree: 'tree1', clean: true, conflicts: [], messages: '' });
  const c = parseMergeTree(['tree2', 'a.txt', 'a.txt', 'b c.txt', '', 'Auto-merging a.txt', 'CONFLICT (content)', ''].join('\0'), 1);
  assert.equal(c.clean, false);
  assert.deepEqual(c.conflicts, ['a.txt', 'b c.txt']);
  assert.match(c.messages, /CONFLICT/);
});

test('rev-list --left-right --count', () => {
  assert.deepEqual(parseLeftRight('3\t5\n'), { left: 3, right: 5 });
});

test('git config -z: axiom.* settings, bad numbers ignored', () => {
  const out = ['axiom.maxinstances\n20', 'axiom.worktreedir\n../wt/{id}', 'axiom.salvagedays\nabc', 'axiom.defaultbase\ndevelop', 'other.key\nx', ''].join('\0');
  assert.deepEqual(parseAxiomConfig(out), { maxInstances: 20, worktreeDir: '../wt/{id}', defaultBase: 'develop' });
});

test('agent status file: last well-formed event wins, torn lines skipped', () => {
  const text = '{"event":"UserPromptSubmit","phase":"working","at":"1"}\n{"event":"Notification","phase":"waiting","at":"2"}\n{"event":"St';
  assert.equal(lastEvent(text)?.phase, 'waiting');
  assert.equal(lastEvent('{"event":"Stop","at":"3"}\n')?.phase, 'idle');
  assert.equal(lastEvent(''), null);
});

test('for-each-ref %(upstream:track): ahead/behind, in sync, gone', async () => {
  const { parseTrack } = await import('../../src/core/instances/status');
  assert.deepEqual(parseTrack('[ahead 2, behind 1]'), { ahead: 2, behind: 1 });
  assert.deepEqual(parseTrack('[ahead 3]'), { ahead: 3, behind: 0 });
  assert.deepEqual(parseTrack('[behind 4]'), { ahead: 0, behind: 4 });
  assert.deepEqual(parseTrack(''), { ahead: 0, behind: 0 });
  assert.equal(parseTrack('[gone]'), null);
});
