// `npm run bench`: ratios measured side by side in one run (never pass/fail). Results also go to
// bench/results/latest.json. Repos are generated deterministically and cached outside the clone.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { readyInstanceBench } from './ready.mjs';
import { rawFloor } from './scale.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const { AxiomEngine, GitRunner } = require(path.join(root, 'out/src/core/index.js'));
const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'axiom-worktrees', 'bench');
const LARGE = process.env.BENCH_LARGE !== '0';
const results = { when: new Date().toISOString(), machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}`, rows: [] };

const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, LC_ALL: 'C' } });
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A repository of `files` files of ~`bytes` each, generated from a fixed seed (same bytes every time). */
function generatedRepo(name, files, bytes) {
  const dir = path.join(cache, name);
  if (fs.existsSync(path.join(dir, '.git', 'axiom-bench-ready'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  console.log(`generating ${name}: ${files} files × ${bytes} bytes …`);
  git(dir, 'init', '-q', '-b', 'main');
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const line = 'abcdefghijklmnopqrstuvwxyz0123456789 ';
  for (let i = 0; i < files; i++) {
    const d = path.join(dir, `pkg${i % 50}`, `mod${Math.floor(i / 50) % 20}`);
    fs.mkdirSync(d, { recursive: true });
    let s = '';
    while (s.length < bytes) s += line[Math.floor(rand() * line.length)].repeat(1 + Math.floor(rand() * 8)) + (rand() < 0.05 ? '\n' : '');
    fs.writeFileSync(path.join(d, `file${i}.txt`), s);
  }
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=bench', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'generated');
  fs.writeFileSync(path.join(dir, '.git', 'axiom-bench-ready'), '');
  return dir;
}

function freshClone(src, label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `axiom-bench-${label}-`));
  git(dir, 'clone', '-q', '--no-hardlinks', src, 'repo');
  const repo = path.join(dir, 'repo');
  git(repo, 'config', 'user.name', 'bench');
  git(repo, 'config', 'user.email', 'b@b');
  git(repo, 'config', 'axiom.maxInstances', '1000');
  return { dir, repo };
}

function row(name, value, unit, note = '') {
  results.rows.push({ name, value: Number(value.toFixed(3)), unit, note });
  console.log(`${name.padEnd(64)} ${value.toFixed(2).padStart(9)} ${unit.padEnd(6)} ${note}`);
}

async function spawnVsRaw(src, label, runs) {
  const { dir, repo } = freshClone(src, label);
  const engine = await AxiomEngine.open(repo);
  const raw = [];
  const ours = [];
  for (let i = 0; i < runs; i++) {
    let t = now();
    git(repo, 'worktree', 'add', '-q', '-b', `raw${i}`, path.join(dir, `raw${i}`), 'main');
    raw.push(now() - t);
    t = now();
    await engine.spawn(`b${i}`);
    ours.push(now() - t);
  }
  row(`spawn vs raw git worktree add (${label})`, median(ours) / median(raw), '×', `median ${median(ours).toFixed(0)} ms vs ${median(raw).toFixed(0)} ms, target ≤ 1.15×`);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The per-item recipe other worktree extensions use: list, then log -1, rev-list, status per item, sequentially. */
function perItemRecipe(repo) {
  const list = git(repo, 'worktree', 'list', '--porcelain');
  const paths = list.split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9));
  for (const p of paths) {
    git(p, 'log', '-1', '--format=%H %s');
    spawnSync('git', ['-C', p, 'rev-list', '--left-right', '--count', 'main...HEAD'], { encoding: 'utf8' });
    git(p, 'status', '--porcelain');
  }
}

async function timeIt(fn, runs = 3) {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const t = now();
    await fn();
    xs.push(now() - t);
  }
  return median(xs);
}

async function snapshots(src, label, n) {
  const { dir, repo } = freshClone(src, label);
  const runner = new GitRunner();
  const engine = await AxiomEngine.open(repo, { runner });
  for (let i = 0; i < n; i++) await engine.spawn(`s${i}`);
  const floor = await timeIt(() => rawFloor(repo));
  // A new engine per run (opened outside the timing, like the floor's repository): a cold snapshot
  // with no caches, as a fresh window would take it.
  const cold = [];
  for (let i = 0; i < 3; i++) cold.push(await AxiomEngine.open(repo));
  const full = await timeIt(async () => cold.shift().snapshot({ conflicts: false }));
  const recipe = await timeIt(() => perItemRecipe(repo), 1);
  row(`full snapshot of ${n} worktrees vs raw-git floor (${label})`, full / floor, '×', `${full.toFixed(0)} ms vs ${floor.toFixed(0)} ms, target ≤ 1.2×`);
  row(`per-item recipe vs our snapshot, ${n} worktrees (${label})`, recipe / full, '×', `${recipe.toFixed(0)} ms vs ${full.toFixed(0)} ms, target ≥ 3× faster`);

  // Refresh after an edit in one worktree, with caches warm.
  await engine.snapshot();
  const target = path.join(dir, 'axiom-s0');
  fs.writeFileSync(path.join(target, 'edited.txt'), 'x\n');
  const before = runner.processCount;
  const t = now();
  await engine.snapshot({ changed: [target] });
  const ms = now() - t;
  row(`git processes for a refresh after 1 change among ${n} (${label})`, runner.processCount - before, 'procs', 'target ≤ 3');
  fs.rmSync(dir, { recursive: true, force: true });
  return ms;
}

fs.mkdirSync(cache, { recursive: true });
const small = generatedRepo('small-200', 200, 2000);
if (process.env.BENCH_GENERATE_ONLY === '1') {
  if (LARGE) generatedRepo('large-20k', 20000, 10000);
  process.exit(0);
}
console.log(`\n${'benchmark'.padEnd(64)} ${'value'.padStart(9)}`);
await spawnVsRaw(small, 'small, 200 files', 7);
const r1 = await snapshots(small, 'small', 1);
await snapshots(small, 'small', 10);
const r100 = await snapshots(small, 'small', 100);
row('refresh time after 1 change: N=100 vs N=1 (small)', r100 / r1, '×', `${r100.toFixed(1)} ms vs ${r1.toFixed(1)} ms, target ≤ 1.5×`);
// One instance's operations at 1, 100 and 300 instances, next to raw git (bench/scale.mjs; BENCH_SCALE=0 skips, a few minutes).
if (process.env.BENCH_SCALE !== '0') await (await import('./scale.mjs')).scaleBench({ src: small, row, freshClone, AxiomEngine });
// Many at once: `axiom spawn --count 100` vs the same worktree adds 2 at a time (bench/spawnMany.mjs).
if (process.env.BENCH_SCALE !== '0') await (await import('./spawnMany.mjs')).spawnManyBench({ src: small, row, freshClone });
if (LARGE) {
  const large = generatedRepo('large-20k', 20000, 10000);
  await spawnVsRaw(large, 'large, 20,000 files', 3);
  await snapshots(large, 'large', 10);
}
const explore = await import('./explore.mjs');
await explore.raceVsRaw({ root, src: small, row, freshClone });
await explore.forecast20({ AxiomEngine, src: small, row, freshClone, git });
const search = await import('./search.mjs');
await search.searchVsRace({ root, src: small, row, freshClone, git });
await search.searchOverhead({ root, src: small, row, freshClone, git });
await search.searchVsHand({ root, src: small, row, freshClone, git });
// Time to a ready instance: share clone / hardlink / symlink vs npm ci (bench/ready.mjs).
await readyInstanceBench({ cache, row, AxiomEngine });
// CLI start: `axiom --version` and `axiom help spawn` against a bare `node -e 0`, alternated (bench/cliStart.mjs).
(await import('./cliStart.mjs')).cliStart({ root, row });
for (const f of ['dist/extension.js', 'dist/cli.js', 'dist/cli-engine.js', 'dist/config-schema.js', 'dist/mcp.js']) {
  const p = path.join(root, f);
  if (fs.existsSync(p)) row(`bundle size ${f}`, fs.statSync(p).size / 1024, 'KiB');
}
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench', 'results', 'latest.json'), JSON.stringify(results, null, 2) + '\n');
console.log('\nwritten bench/results/latest.json');
