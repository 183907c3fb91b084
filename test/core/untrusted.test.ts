import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, GitRunner } from '../../src/core';
import { commitIn, git, makeRepo, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/**
 * A repository whose config names programs that git's read commands would start: an fsmonitor hook
 * (status), a required clean filter on every file (status re-hashes files whose stat data changed)
 * and a merge driver (merge-tree). Each program leaves a canary file. Returns the canary folder.
 */
function hostile(r: TempRepo, instancePath: string): string {
  const canaries = path.join(r.parent, 'canaries');
  fs.mkdirSync(canaries);
  const script = (name: string, body: string): string => {
    const file = path.join(r.parent, `${name}.sh`);
    fs.writeFileSync(file, `#!/bin/sh\ntouch ${canaries}/${name}\n${body}\n`, { mode: 0o755 });
    return file;
  };
  // Every tracked file's stat data changes (as after unpacking an archive): status must re-hash them.
  const future = new Date(Date.now() + 3_600_000);
  for (const dir of [r.dir, instancePath]) {
    for (const f of git(dir, 'ls-files', '-z').split('\0').filter(Boolean)) fs.utimesSync(path.join(dir, f), future, future);
  }
  // merge-tree runs in the common dir, where attributes come from info/attributes (no working tree).
  fs.writeFileSync(path.join(r.dir, '.git', 'info', 'attributes'), '* merge=evil\n');
  git(r.dir, 'config', 'core.fsmonitor', script('fsmonitor', 'exit 1'));
  git(r.dir, 'config', 'filter.evil.clean', script('clean', 'cat'));
  git(r.dir, 'config', 'filter.evil.required', 'true');
  git(r.dir, 'config', 'merge.evil.driver', `${script('merge', 'exit 1')} %O %A %B`);
  return canaries;
}

async function setUp(): Promise<{ canaries: string; instancePath: string }> {
  repo = makeRepo({ 'README.md': '# test\n', 'shared.txt': 'one\n', '.gitattributes': '* filter=evil merge=evil\n' });
  const engine = await AxiomEngine.open(repo.dir);
  const a = await engine.spawn('a');
  // a and main both change shared.txt: diverged, so a trusted snapshot runs merge-tree (and the merge driver).
  commitIn(a.path, 'a: shared', { 'shared.txt': 'from a\n' });
  repo.commit('main: shared', { 'shared.txt': 'from main\n' });
  return { canaries: hostile(repo, a.path), instancePath: a.path };
}

test('untrusted runner: a snapshot starts none of the programs a hostile repo config names', async () => {
  const { canaries, instancePath } = await setUp();
  const runner = new GitRunner({ untrusted: true });
  const engine = await AxiomEngine.open(repo.dir, { runner });
  const snap = await engine.snapshot();
  assert.deepEqual(fs.readdirSync(canaries), [], 'no canary: fsmonitor, clean filter and merge driver never ran');
  const a = snap.worktrees.find((w) => w.id === 'a')!;
  assert.equal(a.path, instancePath);
  assert.ok(a.dirty, 'the instance is still listed with a status');
  assert.equal(a.ahead, 1);
  assert.equal(a.behind, 1);
  assert.equal(a.conflictsWithBase, null, 'conflicts are unknown: merge-tree is not run untrusted');
  assert.ok(snap.worktrees.some((w) => w.kind === 'main' && w.dirty !== null));

  // Trust granted: the same runner runs git normally (the control: these programs do run then).
  runner.untrusted = false;
  await engine.snapshot({ changed: 'all' });
  const ran = fs.readdirSync(canaries).sort();
  assert.ok(ran.includes('fsmonitor') && ran.includes('clean') && ran.includes('merge'), `trusted git ran ${ran.join(', ')}`);
});

test('untrusted runner: a filter name -c cannot override is refused, not run', async () => {
  repo = makeRepo({ 'README.md': '# test\n', '.gitattributes': '* filter=a=b\n' });
  const canaries = path.join(repo.parent, 'canaries');
  fs.mkdirSync(canaries);
  fs.appendFileSync(path.join(repo.dir, '.git', 'config'), `[filter "a=b"]\n\tclean = "touch ${canaries}/clean; cat"\n`);
  const engine = await AxiomEngine.open(repo.dir, { runner: new GitRunner({ untrusted: true }) }).catch((e: unknown) => e);
  assert.equal((engine as { code?: string }).code, 'Untrusted');
  assert.deepEqual(fs.readdirSync(canaries), []);
});
