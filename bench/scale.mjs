// Hundreds of instances (issue 19): one instance's operations at 100 and 300 instances against the
// same at 1 instance and against raw git for the same answer. Two clones of the small repository
// live side by side — one with 1 instance, one grown to 100 then 300 — and every figure is taken
// A B C A B C … (at 1, at N, raw git at N) in one run, medians. Part of `npm run bench`; alone:
// `node bench/scale.mjs` (after `npm run bench` or `npm run build` + `tsc -p tsconfig.test.json`).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { git, gitAsync, grow, run } from './grow.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => performance.now();

/** The raw-git floor of a full snapshot (`list`): one list, one for-each-ref, status per worktree in a pool of 2. */
export async function rawFloor(repo) {
  const list = git(repo, 'worktree', 'list', '--porcelain', '-z');
  git(repo, 'for-each-ref', '--format=%(refname)%00%(objectname)', 'refs/heads');
  const paths = list.split('\0').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9));
  const statusOf = (p) =>
    new Promise((resolve) => spawn('git', ['--no-optional-locks', '-C', p, 'status', '--porcelain=v2', '-z', '--no-renames'], { stdio: 'ignore' }).on('close', resolve));
  let i = 0;
  await Promise.all([0, 1].map(async () => { while (i < paths.length) await statusOf(paths[i++]); }));
}

/**
 * A refresh after one edit (an engine kept open, as the extension and the MCP server keep theirs)
 * and `list` (a full snapshot on a newly opened engine, as `axiom list` takes it) at 1 and at n
 * instances, next to raw git. With AXIOM_BENCH_BEFORE=<a built checkout of another commit>, that
 * build's engine runs in the same alternation (before → after in one run).
 */
async function refreshAndList({ one, many, n, row, engines, engineRounds }) {
  const edited = (c) => path.join(c.dir, 'axiom-st');
  let k = 0;
  const edit = (c) => fs.writeFileSync(path.join(edited(c), 'edited.txt'), `edit ${k++}\n`);
  const warm = [];
  for (const [label, E] of engines) {
    const e1 = await E.open(one.repo);
    const eN = await E.open(many.repo);
    await e1.snapshot();
    await eN.snapshot();
    warm.push({ label, e1, eN });
  }
  // What was just made settles (statusCache.ts: changes younger than 1 s are read again), then one more warm-up.
  await new Promise((r) => setTimeout(r, 1100));
  for (const w of warm) { await w.e1.snapshot({ changed: [] }); await w.eN.snapshot({ changed: [] }); }
  // As the extension asks: its watchers name what changed, and the refresh trusts that (statusCache.ts).
  const refreshOf = (e, c) => ({ prepare: () => edit(c), run: () => e.snapshot({ changed: [edited(c)], trustChanged: true }) });
  const variants = warm.flatMap((w) => [refreshOf(w.e1, one), refreshOf(w.eN, many)]);
  variants.push({ prepare: () => edit(many), run: () => gitAsync(edited(many), 'status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all') });
  const times = await alternate(engineRounds, variants);
  const raw = times.at(-1);
  warm.forEach((w, i) => {
    const [at1, atN] = [times[2 * i], times[2 * i + 1]];
    row(`refresh after 1 edit (engine kept open${w.label}): ${n} vs 1 instance`, atN / at1, '×', `${atN.toFixed(1)} ms at ${n}, ${at1.toFixed(1)} ms at 1, one raw git status ${raw.toFixed(1)} ms; target ≤ 1.5×`);
  });
  const coldList = (E, c) => ({ prepare: () => E.open(c.repo), run: (_r, e) => e.snapshot() });
  const listVariants = engines.map(([, E]) => coldList(E, many));
  listVariants.push({ run: () => rawFloor(many.repo) });
  const listTimes = await alternate(Math.max(3, Math.floor(engineRounds / 2)), listVariants);
  const floor = listTimes.at(-1);
  engines.forEach(([label], i) => {
    row(`list (full snapshot, newly opened engine${label}) at ${n} vs the tight floor`, listTimes[i] / floor, '×', `${listTimes[i].toFixed(0)} ms vs ${floor.toFixed(0)} ms (worktree list + for-each-ref + status per worktree, 2 at a time); target ≤ 1.3×`);
  });
}

/** `variants` run in turn, `rounds` times (A B C A B C …); the median of each, in ms. */
async function alternate(rounds, variants) {
  const times = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let v = 0; v < variants.length; v++) {
      const prepared = variants[v].prepare ? await variants[v].prepare(r) : undefined;
      const t = now();
      await variants[v].run(r, prepared);
      times[v].push(now() - t);
    }
  }
  return times.map(median);
}

export async function scaleBench({ src, row, freshClone, AxiomEngine, sizes = [100, 300], rounds = 5, engineRounds = 9 }) {
  const before = process.env.AXIOM_BENCH_BEFORE;
  const engines = [['', AxiomEngine], ...(before ? [[', before', require(path.join(before, 'out/src/core/index.js')).AxiomEngine]] : [])];
  const one = freshClone(src, 'scale-1');
  const many = freshClone(src, 'scale-n');
  // One instance with a commit in each (merge preview, evaluation), one clean one for status.
  for (const c of [one, many]) {
    const engine = await AxiomEngine.open(c.repo);
    const m = await engine.spawn('m');
    fs.writeFileSync(path.join(m.path, 'feature.txt'), 'f\n');
    git(m.path, 'add', 'feature.txt');
    git(m.path, 'commit', '-q', '-m', 'feature');
    await engine.spawn('st');
  }
  const branchOf = (repo, id) => JSON.parse(fs.readFileSync(path.join(repo, '.git', 'worktrees', `axiom-${id}`, 'axiom.json'), 'utf8')).branch;
  const wtOf = (c, id) => path.join(c.dir, `axiom-${id}`);
  const line = (name, n, [at1, atN, floor], target) =>
    row(`${name}: ${n} vs 1 instance`, atN / at1, '×', `${atN.toFixed(1)} ms at ${n}, ${at1.toFixed(1)} ms at 1, raw git ${floor.toFixed(1)} ms (${(atN / floor).toFixed(1)}× raw); target ${target}`);
  let count = 2;
  let spawned = 0;
  for (const n of sizes) {
    const t = now();
    await grow(many.repo, count - 2, n - 2);
    count = n;
    console.log(`  (${n} instances made in ${((now() - t) / 1000).toFixed(1)} s)`);
    await refreshAndList({ one, many, n, row, engines, engineRounds });
    if (process.env.BENCH_SCALE_ROWS === 'refresh') continue;
    const rawStatus = (c, id) => async () => {
      await gitAsync(wtOf(c, id), 'status', '--porcelain=v2', '-z', '--no-renames', '--untracked-files=all');
      await gitAsync(c.repo, 'rev-list', '--left-right', '--count', `main...${branchOf(c.repo, id)}`);
    };
    // In process, each call on a newly opened engine (no caches: what one CLI or MCP call costs).
    const engineOp = (c, op) => ({ prepare: () => AxiomEngine.open(c.repo), run: (_r, engine) => op(engine) });
    line('status <id> (engine)', n, await alternate(engineRounds, [engineOp(one, (e) => e.status('st')), engineOp(many, (e) => e.status('st')), { run: rawStatus(many, 'st') }]), '≤ 1.2×');
    line('axiom status <id> --json (CLI)', n, await alternate(rounds, [
      { run: () => run('node', [cli, 'status', 'st', '--json'], one.repo) },
      { run: () => run('node', [cli, 'status', 'st', '--json'], many.repo) },
      { run: rawStatus(many, 'st') },
    ]), '≤ 1.2×');
    // Spawn through the CLI one after another, then clean each up again, against raw worktree add / remove.
    const first = spawned;
    line('axiom spawn <id> (CLI, sequential)', n, await alternate(rounds, [
      { run: (r) => run('node', [cli, 'spawn', `p${first + r}`], one.repo) },
      { run: (r) => run('node', [cli, 'spawn', `p${first + r}`], many.repo) },
      { run: (r) => gitAsync(many.repo, 'worktree', 'add', '-q', '-b', `raw${first + r}`, path.join(many.dir, `raw${first + r}`), 'main') },
    ]), '≤ 1.2×');
    line('axiom cleanup <id> (CLI)', n, await alternate(rounds, [
      { run: (r) => run('node', [cli, 'cleanup', `p${first + r}`], one.repo) },
      { run: (r) => run('node', [cli, 'cleanup', `p${first + r}`], many.repo) },
      { run: async (r) => { await gitAsync(many.repo, 'worktree', 'remove', path.join(many.dir, `raw${first + r}`)); await gitAsync(many.repo, 'branch', '-D', `raw${first + r}`); } },
    ]), '≤ 1.2×');
    spawned += rounds;
    line('merge preview of one instance (engine)', n, await alternate(engineRounds, [
      engineOp(one, (e) => e.merge('m', { preview: true })),
      engineOp(many, (e) => e.merge('m', { preview: true })),
      { run: async () => { await gitAsync(wtOf(many, 'm'), 'status', '--porcelain=v2', '-z'); await gitAsync(many.repo, 'merge-tree', '--write-tree', 'main', branchOf(many.repo, 'm')); } },
    ]), '≤ 1.2×');
    line('evaluate one instance, command `true` (engine)', n, await alternate(engineRounds, [
      engineOp(one, (e) => e.explore.evaluate('m', { command: 'true' })),
      engineOp(many, (e) => e.explore.evaluate('m', { command: 'true' })),
      { run: async () => { await gitAsync(wtOf(many, 'm'), 'status', '--porcelain=v2', '-z'); await run('sh', ['-c', 'true'], wtOf(many, 'm')); await gitAsync(many.repo, 'notes', '--ref=refs/notes/bench', 'add', '-f', '-m', 'x', branchOf(many.repo, 'm')); } },
    ]), '≤ 1.2×');
    line('diff of one instance (engine)', n, await alternate(engineRounds, [
      engineOp(one, (e) => e.diff('m')),
      engineOp(many, (e) => e.diff('m')),
      { run: () => gitAsync(wtOf(many, 'm'), 'diff', '--raw', 'main') },
    ]), '≤ 1.2×');
    for (const c of [one, many]) git(c.repo, 'config', 'axiom.setup', 'true');
    line('setup of one instance, command `true` (engine)', n, await alternate(engineRounds, [
      engineOp(one, (e) => e.setup('st')),
      engineOp(many, (e) => e.setup('st')),
      { run: async () => { await gitAsync(many.repo, 'config', '-z', '--get-regexp', '^axiom\\.'); await run('sh', ['-c', 'true'], wtOf(many, 'st')); } },
    ]), '≤ 1.2×');
    for (const c of [one, many]) git(c.repo, 'config', '--unset-all', 'axiom.setup');
  }
  for (const c of [one, many]) fs.rmSync(c.dir, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { AxiomEngine } = require(path.join(root, 'out/src/core/index.js'));
  const { cachedSmallRepo, freshClone, row } = await import('./standalone.mjs');
  const src = cachedSmallRepo();
  const sizes = process.env.BENCH_SCALE_SIZES ? process.env.BENCH_SCALE_SIZES.split(',').map(Number) : undefined;
  await scaleBench({ src, row, freshClone, AxiomEngine, ...(sizes ? { sizes } : {}) });
}
