/**
 * The one git runner (src/core/git/git.ts) starts git itself with child_process.spawn: its contract —
 * output, accepted exit codes, typed failures, input, raw bytes, cancellation, a missing binary,
 * the trace — checked against a real repository.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AxiomError, GitRunner } from '../../src/core';
import { git, makeRepo, type TempRepo } from './helpers';

let repo: TempRepo | null = null;
afterEach(() => {
  repo?.cleanup();
  repo = null;
});

test('git runner: stdout, exit codes that are answers, and a failure typed with git’s own message', async () => {
  repo = makeRepo();
  const runner = new GitRunner();
  assert.equal((await runner.out(repo.dir, ['rev-parse', 'HEAD'])).trim(), git(repo.dir, 'rev-parse', 'HEAD').trim());
  // "No such ref" is an answer here, not a failure.
  assert.deepEqual(await runner.run(repo.dir, ['rev-parse', '--verify', '--quiet', 'no-such-branch'], { okExitCodes: [1] }), { stdout: '', exitCode: 1 });
  await assert.rejects(runner.run(repo.dir, ['rev-parse', '--verify', 'no-such-branch']), (e: unknown) => {
    assert.ok(e instanceof AxiomError);
    assert.match(e.message, /^git rev-parse failed: /);
    assert.equal(e.details.exitCode, 128);
    return true;
  });
});

test('git runner: input reaches git, and bytes come back unconverted', async () => {
  repo = makeRepo();
  const runner = new GitRunner();
  const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x80]);
  const sha = (await runner.out(repo.dir, ['hash-object', '-w', '--stdin'], { input: bytes })).trim();
  const expected = createHash('sha1').update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes])).digest('hex');
  assert.equal(sha, expected);
  assert.deepEqual(await runner.bytes(repo.dir, ['cat-file', 'blob', sha]), bytes);
});

test('git runner: a cancelled call and a missing git binary are typed failures, never a crash', async () => {
  repo = makeRepo();
  const cancelled = new AbortController();
  cancelled.abort();
  await assert.rejects(new GitRunner().run(repo.dir, ['status'], { signal: cancelled.signal }), AxiomError);
  await assert.rejects(new GitRunner({ binary: '/nonexistent/git' }).run(repo.dir, ['status']), (e: unknown) => {
    assert.ok(e instanceof AxiomError);
    assert.match(e.message, /could not run \/nonexistent\/git/);
    return true;
  });
});

test('git runner: every call is traced with its arguments and exit code, and counted', async () => {
  repo = makeRepo();
  const runner = new GitRunner();
  const seen: { args: string[]; exitCode: number }[] = [];
  const stop = runner.onTrace((t) => seen.push({ args: t.args, exitCode: t.exitCode }));
  await runner.run(repo.dir, ['rev-parse', 'HEAD']);
  await runner.run(repo.dir, ['rev-parse', '--verify', 'missing'], { okExitCodes: [128] });
  stop();
  await runner.run(repo.dir, ['rev-parse', 'HEAD']);
  assert.deepEqual(seen, [
    { args: ['rev-parse', 'HEAD'], exitCode: 0 },
    { args: ['rev-parse', '--verify', 'missing'], exitCode: 128 },
  ]);
  assert.equal(runner.processCount, 3);
});
