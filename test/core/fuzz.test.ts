/**
 * Hostile input: ids, base names and prompts full of shell metacharacters, `$(…)`, `../`, unicode
 * and very long strings. Each id or base is accepted safely or refused with a typed error; nothing is created
 * outside the expected paths, and a canary proves nothing was executed.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { execFileSync } from 'node:child_process';
import { commandLine } from '../../src/core/processes/shellQuote';
import { AxiomEngine, AxiomError, ID_PATTERN } from '../../src/core';
import { git, makeRepo, runCli, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

/** Deterministic pseudo-random generator (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hostileStrings(canary: string): string[] {
  const pieces = [
    `$(touch ${canary})`, `\`touch ${canary}\``, `; touch ${canary}`, `&& touch ${canary}`, `| touch ${canary}`,
    `'; touch ${canary}; '`, `"; touch ${canary}; "`, '../', '../../etc', '..', '/', '\\', '~', '-', '--', '--upload-pack=x',
    '-c', 'core.hooksPath=/tmp', '\n', '\t', ' ', '*', '?', '[', '{id}', '%s', '\u00e9', '\u202e', '😀', '\u0000', 'a', 'Z', '0',
    '.', '_', 'x.lock', '@{', '^', ':', 'HEAD', 'main', 'refs/heads/x', 'solver', '.git', 'axiom',
  ];
  const next = rng(42);
  const out: string[] = ['', 'ok', 'a'.repeat(40), 'a'.repeat(41), 'x'.repeat(5000)];
  while (out.length < 1000) {
    const n = 1 + Math.floor(next() * 4);
    let s = '';
    for (let i = 0; i < n; i++) s += pieces[Math.floor(next() * pieces.length)];
    out.push(next() < 0.3 ? s.toLowerCase() : s);
  }
  return out;
}

test('1000 hostile ids and bases: accepted safely or refused with a typed error; nothing executed', async () => {
  repo = makeRepo();
  git(repo.dir, 'config', 'axiom.maxInstances', '2000');
  const canary = path.join(repo.parent, 'CANARY');
  const engine = await AxiomEngine.open(repo.dir);
  const inputs = hostileStrings(canary);
  const allowed = new Set(['InvalidId', 'InvalidArgument', 'BaseNotFound', 'AlreadyExists', 'LimitReached']);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < inputs.length; i++) {
    const s = inputs[i]!;
    const asId = i % 2 === 0;
    try {
      const inst = await engine.spawn(asId ? s : `f${i}`, { ...(asId ? {} : { base: s }), prompt: s, agent: 'claude' });
      accepted++;
      assert.match(inst.id, ID_PATTERN);
      assert.equal(path.dirname(inst.path), repo.parent, `instance outside the expected folder: ${inst.path}`);
      const meta = JSON.parse(fs.readFileSync(path.join(inst.adminDir, 'axiom.json'), 'utf8'));
      assert.equal(meta.prompt, s, 'the prompt is stored as data');
      await engine.cleanup(inst.id, { force: true });
    } catch (e) {
      if (!(e instanceof AxiomError)) throw new Error(`untyped failure for ${JSON.stringify(s).slice(0, 80)}: ${String(e)}`);
      assert.ok(allowed.has(e.code), `unexpected code ${e.code} for ${JSON.stringify(s).slice(0, 80)}: ${e.message}`);
      refused++;
    }
  }
  assert.equal(fs.existsSync(canary), false, 'a hostile string was executed');
  // Nothing was created beside the repository but (already removed) instance folders.
  assert.deepEqual(fs.readdirSync(repo.parent).sort(), ['repo']);
  assert.ok(accepted > 10 && refused > 500, `accepted ${accepted}, refused ${refused}`);
  const admin = path.join(repo.dir, '.git', 'worktrees');
  assert.equal(fs.existsSync(admin) ? fs.readdirSync(admin).length : 0, 0);
});

test('1000 hostile prompts typed into a shell as an agent command line come back as data, never run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-prompt-fuzz-'));
  try {
    const canary = path.join(dir, 'CANARY');
    const prompts = hostileStrings(canary).filter((s) => !s.includes('\u0000'));
    for (let i = 0; i < prompts.length; i += 100) {
      const batch = prompts.slice(i, i + 100);
      const line = commandLine([process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...batch]);
      const out = execFileSync('/bin/sh', ['-c', line], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      assert.deepEqual(JSON.parse(out), batch);
    }
    assert.ok(prompts.length >= 900, `only ${prompts.length} prompts`);
    assert.equal(fs.existsSync(canary), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI answers hostile ids with exit code 2 and runs nothing', async () => {
  repo = makeRepo();
  const canary = path.join(repo.parent, 'CANARY');
  const samples = hostileStrings(canary).filter((s) => !s.includes('\u0000')).slice(5, 45);
  for (const s of samples) {
    const r = await runCli(['-C', repo.dir, 'spawn', s, '--prompt', s]);
    if (ID_PATTERN.test(s) && !s.includes('..') && !s.endsWith('.lock') && !s.endsWith('.')) assert.equal(r.code, 0, r.stderr);
    else assert.equal(r.code, 2, `${JSON.stringify(s)} → ${r.code} ${r.stderr}`);
  }
  assert.equal(fs.existsSync(canary), false);
});
