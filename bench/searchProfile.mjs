// Where a search's own time goes, per phase (issue 18): one search of ROUNDS rounds after the base's
// (width 1, parallel 1, best, as bench/search.mjs's search vs by hand), driven through the engine as
// `axiom search --wait` drives it (1 s polls, the launcher races use), on a clone of the 200-file
// repository with the stand-in agent and evaluation of bench/search.mjs. Every git process is
// attributed to the phase that started it (AsyncLocalStorage around each of the driver's calls into
// the engine, and around the record's reads and writes), and each phase is timed.
//
//   node bench/searchProfile.mjs            (after `node esbuild.mjs && tsc -p tsconfig.test.json`)
//   BENCH_PROFILE_ROUNDS=3 BENCH_PROFILE_AGENT_MS=5000 BENCH_PROFILE_EVAL_MS=1000 BENCH_PROFILE_JSON=1
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { agentSource, standaloneRepos, withFailingTests } from './search.mjs';

const require = createRequire(import.meta.url);
const ROUNDS = Number(process.env.BENCH_PROFILE_ROUNDS ?? 3);
const AGENT_MS = Number(process.env.BENCH_PROFILE_AGENT_MS ?? 5000);
const EVAL_MS = Number(process.env.BENCH_PROFILE_EVAL_MS ?? 1000);

/** Profiles one search; `root` is the checkout whose out/ is measured. Returns the phases and totals. */
export async function profileSearch({ root, src, freshClone, git }) {
  const core = require(path.join(root, 'out/src/core/index.js'));
  const record = require(path.join(root, 'out/src/core/search/searchRecord.js'));
  const { headlessLauncher } = require(path.join(root, 'out/src/agents/raceLauncher.js'));
  const { dir, repo } = freshClone(src, 'search-profile');
  withFailingTests(repo, git, EVAL_MS);
  const agent = path.join(dir, 'agent.js');
  fs.writeFileSync(agent, agentSource(AGENT_MS));

  const als = new AsyncLocalStorage();
  const phases = new Map();
  const phase = (name) => {
    let p = phases.get(name);
    if (!p) phases.set(name, (p = { calls: 0, ms: 0, procs: 0, gitMs: 0, commands: new Map() }));
    return p;
  };
  const timed = (name, fn) =>
    async function (...args) {
      // The innermost phase wins (a record write inside an engine call belongs to the record).
      const started = performance.now();
      try {
        return await als.run(name, () => fn.apply(this, args));
      } finally {
        const p = phase(name);
        p.calls++;
        p.ms += performance.now() - started;
      }
    };

  const engine = await core.AxiomEngine.open(repo);
  engine.git.onTrace((e) => {
    const p = phase(als.getStore() ?? 'driver (other)');
    p.procs++;
    p.gitMs += e.ms;
    const cmd = e.args.find((a) => !a.startsWith('-')) ?? '?';
    p.commands.set(cmd, (p.commands.get(cmd) ?? 0) + 1);
  });
  // The record's reads and writes, wherever the driver makes them.
  const saved = {};
  for (const [name, label] of [['findSearch', 'record read (findSearch)'], ['refreshSearch', 'record read (refreshSearch)'], ['listSearches', 'record read (listSearches)'], ['updateSearch', 'record write (updateSearch)']]) {
    if (typeof record[name] !== 'function') continue; // a checkout from before it existed
    saved[name] = record[name];
    record[name] = timed(label, saved[name]);
  }

  // The evaluation command's own time, and when each agent exited (to see how late its finish is seen).
  const explore = engine.explore;
  const evaluate = explore.evaluate.bind(explore);
  let commandMs = 0;
  explore.evaluate = async (...args) => {
    const r = await evaluate(...args);
    commandMs += r.durationMs;
    return r;
  };
  const exitedAt = new Map();
  const launcher = headlessLauncher({ cwd: repo, hookScript: null });
  const launch = launcher.launch.bind(launcher);
  let agentMs = 0;
  launcher.launch = async (member, spawned, race) => {
    const started = performance.now();
    const r = await launch(member, spawned, race);
    void r?.exited.then(() => {
      exitedAt.set(spawned.id, performance.now());
      agentMs += performance.now() - started;
    });
    return r;
  };
  const slots = core.engineSearchSlots(engine, launcher);
  for (const name of ['spawnAt', 'launch', 'progress', 'evaluate', 'cleanup', 'stopAgent']) slots[name] = timed(name === 'evaluate' ? 'evaluate (all)' : name, slots[name]);
  const progress = slots.progress;
  const seen = new Set();
  let detectMs = 0;
  slots.progress = async (id) => {
    const r = await progress(id);
    if (r !== 'working' && !seen.has(id) && exitedAt.has(id)) {
      seen.add(id);
      detectMs += performance.now() - exitedAt.get(id);
    }
    return r;
  };

  await core.startSearch(slots, { name: 'p', task: 'Make every test pass.', agentCommand: `node ${JSON.stringify(agent)} {id} {prompt}`, evaluate: 'sh run-tests.sh', attempts: ROUNDS, width: 1, parallel: 1, select: 'best' }, await core.searchDefaults(engine));
  const procs0 = engine.git.processCount;
  for (const p of phases.values()) Object.assign(p, { calls: 0, ms: 0, procs: 0, gitMs: 0, commands: new Map() });
  const started = performance.now();
  const done = await core.driveSearch(slots, 'p');
  const wall = performance.now() - started;
  Object.assign(record, saved);
  const procs = engine.git.processCount - procs0;
  fs.rmSync(dir, { recursive: true, force: true });
  const rounds = Math.max(...done.nodes.map((n) => n.round)) + 1;
  return { wall, rounds, procs, agentMs, commandMs, detectMs, phases, nodes: done.nodes.length };
}

export function printProfile(label, r, print = console.log) {
  const own = r.wall - r.agentMs - r.commandMs;
  print(`${label}: ${(r.wall / 1000).toFixed(2)} s for ${r.rounds} rounds (${r.nodes} nodes), ${r.procs} git processes; agents ${(r.agentMs / 1000).toFixed(2)} s, evaluation commands ${(r.commandMs / 1000).toFixed(2)} s → own time ${(own / 1000).toFixed(2)} s (${(own / r.rounds / 1000).toFixed(2)} s per round); an agent's exit seen ${(r.detectMs / Math.max(1, r.rounds - 1)).toFixed(0)} ms after it (mean)`);
  print(`${'phase'.padEnd(30)} ${'calls'.padStart(6)} ${'git procs'.padStart(10)} ${'ms'.padStart(9)}  ${'git ms'.padStart(8)}  commands`);
  for (const [name, p] of [...r.phases].sort((a, b) => b[1].ms - a[1].ms)) {
    const cmds = [...p.commands].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
    print(`${name.padEnd(30)} ${String(p.calls).padStart(6)} ${String(p.procs).padStart(10)} ${p.ms.toFixed(0).padStart(9)}  ${p.gitMs.toFixed(0).padStart(8)}  ${cmds}`);
  }
}

// Several checkouts (BENCH_PROFILE_ROOTS=a,b: each with its out/ built) are profiled in turn,
// BENCH_PROFILE_RUNS times each, alternated (a, b, a, b, …), each run printed, then the medians.
if (import.meta.url === `file://${process.argv[1]}`) {
  const roots = (process.env.BENCH_PROFILE_ROOTS ?? path.resolve(import.meta.dirname, '..')).split(',');
  const runs = Number(process.env.BENCH_PROFILE_RUNS ?? 1);
  const { src: base, git, freshClone, done } = standaloneRepos();
  const results = new Map(roots.map((r) => [r, []]));
  for (let i = 0; i < runs; i++) {
    for (const root of roots) {
      const r = await profileSearch({ root, src: base, freshClone, git });
      results.get(root).push(r);
      printProfile(`${root} (run ${i + 1}, load ${os.loadavg()[0].toFixed(1)})`, r);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [root, rs] of results) {
    const own = rs.map((r) => (r.wall - r.agentMs - r.commandMs) / r.rounds / 1000);
    console.log(`${root}: median wall ${(median(rs.map((r) => r.wall)) / 1000).toFixed(2)} s, own time per round ${median(own).toFixed(2)} s (${own.map((x) => x.toFixed(2)).join(', ')}), git processes ${median(rs.map((r) => r.procs))}`);
  }
  done();
}
