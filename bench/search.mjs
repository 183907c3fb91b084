// Search benchmarks (called from bench/run.mjs; `node bench/search.mjs` runs them alone on a fresh repository):
// - a generated repository of K failing tests (tests/t<i>.sh, and run-tests.sh that prints an
//   AXIOM_FEEDBACK= line per failing test and AXIOM_SCORE=<passing>) and a stand-in agent that fixes
//   the one failing test its prompt's feedback names (without feedback: a test picked by its id);
// - for the same number of attempts, the best score after each round of a search next to one race
//   of that many members (one round), both measured in this run;
// - the search's own time per round (everything but its agents and evaluations), one attempt at a time;
// - the whole search (`axiom search … --select best --width 1 --parallel 1 --wait`) against the same
//   rounds scripted by hand in bash with plain git (bench/searchByHand.sh), alternated, medians.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync, spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const TESTS = Number(process.env.BENCH_SEARCH_TESTS ?? 6);
const ATTEMPTS = Number(process.env.BENCH_SEARCH_ATTEMPTS ?? 8);
const AGENT_MS = Number(process.env.BENCH_SEARCH_AGENT_MS ?? 500);
const EVAL_MS = Number(process.env.BENCH_SEARCH_EVAL_MS ?? 200);
// Search vs by hand: rounds per run, runs per side, and the stand-ins' times (those of the race vs raw
// git comparison, bench/explore.mjs, which has the same goal: agents and test suites take a while).
const HAND_ROUNDS = Number(process.env.BENCH_SEARCH_HAND_ROUNDS ?? 3);
const HAND_RUNS = Number(process.env.BENCH_SEARCH_HAND_RUNS ?? 3);
const HAND_AGENT_MS = Number(process.env.BENCH_SEARCH_HAND_AGENT_MS ?? 5000);
const HAND_EVAL_MS = Number(process.env.BENCH_SEARCH_HAND_EVAL_MS ?? 1000);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The stand-in agent: after `ms`, fixes the failing test its prompt's feedback names (else one picked by its id) and commits. */
export const agentSource = (ms) => `
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const [id, prompt] = process.argv.slice(2);
setTimeout(() => {
  const named = /failing: (t\\d+)/.exec(prompt || '');
  const guess = 't' + ((Number(id.split('-').pop().replace(/\\D/g, '')) * 5) % ${TESTS} + 1);
  fs.appendFileSync('impl.txt', 'fix ' + (named ? named[1] : guess) + '\\n');
  execFileSync('git', ['add', 'impl.txt']);
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'fix']);
}, ${ms});
`;
const AGENT = agentSource(AGENT_MS);

function runTests(evalMs) {
  return `#!/bin/sh
pass=0
for i in $(seq 1 ${TESTS}); do
  if sh tests/t$i.sh; then pass=$((pass + 1)); else echo "AXIOM_FEEDBACK=failing: t$i"; fi
done
sleep ${evalMs / 1000}
echo "AXIOM_SCORE=$pass"
[ "$pass" -eq ${TESTS} ]
`;
}

/** The K failing tests on top of a fresh clone of `src` (the 200-file repository). */
export function withFailingTests(repo, git, evalMs = EVAL_MS) {
  fs.mkdirSync(path.join(repo, 'tests'), { recursive: true });
  for (let i = 1; i <= TESTS; i++) fs.writeFileSync(path.join(repo, 'tests', `t${i}.sh`), `grep -qx 'fix t${i}' impl.txt\n`);
  fs.writeFileSync(path.join(repo, 'run-tests.sh'), runTests(evalMs));
  fs.writeFileSync(path.join(repo, 'impl.txt'), '');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', `${TESTS} failing tests`);
}

const bestBy = (nodes, round) => Math.max(0, ...nodes.filter((n) => n.round <= round && n.state === 'evaluated' && n.result?.score != null).map((n) => n.result.score));

export async function searchVsRace({ root, src, row, freshClone, git }) {
  const core = require(path.join(root, 'out/src/core/index.js'));
  const { headlessLauncher } = require(path.join(root, 'out/src/agents/raceLauncher.js'));
  const setUp = async (label) => {
    const { dir, repo } = freshClone(src, label);
    withFailingTests(repo, git);
    const agent = path.join(dir, 'agent.js');
    fs.writeFileSync(agent, AGENT);
    const engine = await core.AxiomEngine.open(repo);
    return { dir, repo, engine, agentCommand: `node ${JSON.stringify(agent)} {id} {prompt}`, launcher: headlessLauncher({ cwd: repo, hookScript: null }) };
  };

  // One race of ATTEMPTS members: one round, every member from the base, the same prompt.
  const r = await setUp('search-race');
  await r.engine.explore.startRace({ task: 'r', count: ATTEMPTS, agentCommand: r.agentCommand, prompt: 'Make every test pass.', evaluate: 'sh run-tests.sh', launch: 'headless' }, r.launcher);
  const raced = await r.engine.explore.waitForRace('r', {});
  const raceBest = Math.max(0, ...raced.rows.map((x) => x.score ?? 0));
  fs.rmSync(r.dir, { recursive: true, force: true });

  // A search of the same number of attempts (UCT, width 2, parallel 2), driven as the CLI drives it.
  const s = await setUp('search');
  const slots = core.engineSearchSlots(s.engine, s.launcher);
  await core.startSearch(slots, { name: 's', task: 'Make every test pass.', agentCommand: s.agentCommand, evaluate: 'sh run-tests.sh', attempts: ATTEMPTS, width: 2, parallel: 2 }, await core.searchDefaults(s.engine));
  const searched = await core.driveSearch(slots, 's');
  fs.rmSync(s.dir, { recursive: true, force: true });
  const rounds = Math.max(...searched.nodes.map((n) => n.round));
  const perRound = Array.from({ length: rounds + 1 }, (_, k) => bestBy(searched.nodes, k));
  for (let k = 1; k <= rounds; k++) {
    row(`search, ${ATTEMPTS} attempts (${TESTS} failing tests): best score after round ${k}`, perRound[k], 'tests', k === 1 ? `one race of ${ATTEMPTS} members: ${raceBest}` : '');
  }
  row(`best score: search vs one race, same ${ATTEMPTS} attempts`, perRound[rounds] / Math.max(raceBest, 1), '×', `${perRound[rounds]} vs ${raceBest} of ${TESTS} tests; the search's rounds: ${perRound.slice(1).join(' → ')}`);
}

/** The search's own time per round: wall time minus its agents' and evaluations' time, one attempt at a time. */
export async function searchOverhead({ root, src, row, freshClone, git }) {
  const core = require(path.join(root, 'out/src/core/index.js'));
  const { headlessLauncher } = require(path.join(root, 'out/src/agents/raceLauncher.js'));
  const { dir, repo } = freshClone(src, 'search-overhead');
  withFailingTests(repo, git);
  const agent = path.join(dir, 'agent.js');
  fs.writeFileSync(agent, AGENT);
  const engine = await core.AxiomEngine.open(repo);
  const slots = core.engineSearchSlots(engine, headlessLauncher({ cwd: repo, hookScript: null }));
  await core.startSearch(slots, { name: 'o', task: 'Make every test pass.', agentCommand: `node ${JSON.stringify(agent)} {id} {prompt}`, evaluate: 'sh run-tests.sh', attempts: TESTS, width: 1, parallel: 1, select: 'best' }, await core.searchDefaults(engine));
  const started = performance.now();
  const done = await core.driveSearch(slots, 'o');
  const wall = performance.now() - started;
  const rows = (await engine.explore.history()).attempts.filter((a) => a.id.startsWith('o-n'));
  const agents = rows.reduce((sum, a) => sum + (a.durationMs ?? 0), 0);
  const evaluations = rows.reduce((sum, a) => sum + (a.evaluationMs ?? 0), 0);
  const rounds = Math.max(...done.nodes.map((n) => n.round)) + 1; // the base's evaluation is a round too
  row(
    `search on the 200-file repository: its own time per round`,
    (wall - agents - evaluations) / rounds / 1000,
    's',
    `${(wall / 1000).toFixed(1)} s for ${rounds} rounds of 1 attempt (agents ${(agents / 1000).toFixed(1)} s, evaluations ${(evaluations / 1000).toFixed(1)} s): spawn, reset to the node, launch, finish detection (1 s polls), evaluation bookkeeping, record, cleanup`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The whole search, as the CLI runs it, against the same rounds scripted by hand in bash with plain
 * git (bench/searchByHand.sh: a worktree at the best commit so far, the agent with the same prompt,
 * commit, the evaluation, a ref, the worktree removed): HAND_ROUNDS rounds after the base's, width 1,
 * parallel 1, the best expanded; the two alternated (search, by hand, search, …), medians compared.
 */
export async function searchVsHand({ root, src, row, freshClone, git }) {
  const cli = path.join(root, 'dist', 'cli.js');
  const script = path.join(root, 'bench', 'searchByHand.sh');
  const task = 'Make every test pass.';
  const times = { search: [], hand: [] };
  const best = { search: [], hand: [] };
  for (let i = 0; i < 2 * HAND_RUNS; i++) {
    const side = i % 2 === 0 ? 'search' : 'hand';
    const { dir, repo } = freshClone(src, `search-${side}`);
    withFailingTests(repo, git, HAND_EVAL_MS);
    const agent = path.join(dir, 'agent.js');
    fs.writeFileSync(agent, agentSource(HAND_AGENT_MS));
    const started = performance.now();
    if (side === 'hand') {
      const r = spawnSync('bash', [script, repo, agent, String(HAND_ROUNDS), task], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`the search by hand failed: ${r.stderr}`);
      times.hand.push(performance.now() - started);
      best.hand.push(Number(r.stdout.trim().split(' ')[0]));
    } else {
      const args = ['search', 's', '--prompt', task, '--agent-command', `node ${JSON.stringify(agent)} {id} {prompt}`, '--evaluate', 'sh run-tests.sh'];
      args.push('--attempts', String(HAND_ROUNDS), '--width', '1', '--parallel', '1', '--select', 'best', '--wait', '--json');
      const r = spawnSync(process.execPath, [cli, '-C', repo, ...args], { encoding: 'utf8' });
      // Exit 3 when no attempt passed (fewer rounds than failing tests): still a whole search.
      if (r.status !== 0 && r.status !== 3) throw new Error(`axiom search failed (exit ${r.status}): ${r.stderr}`);
      times.search.push(performance.now() - started);
      const nodes = JSON.parse(r.stdout).search.nodes;
      if (nodes.length !== HAND_ROUNDS + 1) throw new Error(`axiom search made ${nodes.length} nodes, not ${HAND_ROUNDS + 1}`);
      best.search.push(Math.max(...nodes.map((n) => n.result?.score ?? 0)));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const [s, h] = [median(times.search), median(times.hand)];
  const rounds = HAND_ROUNDS + 1; // the base's evaluation is a round too
  row(
    `search of ${HAND_ROUNDS} rounds (width 1, best) vs the same rounds by hand in bash`,
    s / h,
    '×',
    `median ${(s / 1000).toFixed(1)} s vs ${(h / 1000).toFixed(1)} s of ${HAND_RUNS} runs each, alternated (agents ${HAND_AGENT_MS} ms, evaluation ${HAND_EVAL_MS} ms; best score ${best.search.join('/')} vs ${best.hand.join('/')} of ${TESTS}), goal ≤ 1.2×`,
  );
  row(
    'search vs by hand: time the search adds per round',
    (s - h) / rounds / 1000,
    's',
    `CLI start, record, spawn (provision, metadata, branch), finish detection (1 s polls), state commit and notes, salvage at cleanup; ${rounds} rounds with the base's`,
  );
}

/**
 * For running a search bench alone: a generated 200-file repository (`src`, removed by `done`) and
 * fresh clones of it (`freshClone`), as bench/run.mjs passes them.
 */
export function standaloneRepos() {
  const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8' });
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-bench-search-src-'));
  git(src, 'init', '-q', '-b', 'main');
  for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(src, `file${i}.txt`), `file ${i}\n`);
  git(src, 'add', '-A');
  git(src, '-c', 'user.name=bench', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'generated');
  const freshClone = (from, label) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `axiom-bench-${label}-`));
    git(dir, 'clone', '-q', '--no-hardlinks', from, 'repo');
    const repo = path.join(dir, 'repo');
    git(repo, 'config', 'user.name', 'bench');
    git(repo, 'config', 'user.email', 'b@b');
    return { dir, repo };
  };
  return { src, git, freshClone, done: () => fs.rmSync(src, { recursive: true, force: true }) };
}

// Alone: `node bench/search.mjs` (after `npm run bench` built out/ and dist/); BENCH_SEARCH_ONLY=vsRace,overhead,vsHand picks some.
if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(import.meta.dirname, '..');
  const { src, git, freshClone, done } = standaloneRepos();
  const row = (name, value, unit, note = '') => console.log(`${name.padEnd(64)} ${value.toFixed(2).padStart(9)} ${unit.padEnd(6)} ${note}`);
  const only = process.env.BENCH_SEARCH_ONLY?.split(',');
  const benches = { vsRace: searchVsRace, overhead: searchOverhead, vsHand: searchVsHand };
  for (const [name, bench] of Object.entries(benches)) if (!only || only.includes(name)) await bench({ root, src, row, freshClone, git });
  done();
}
