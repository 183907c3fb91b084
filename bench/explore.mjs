// Exploration benchmarks (called from bench/run.mjs):
// - a race of 5 stand-in agents with evaluation, end to end through the CLI (race --wait, then land),
//   against the same work scripted with raw git and a shell (worktree add, run the agents, evaluate
//   two at a time, merge the best, remove the rest), both measured in this run;
// - the conflict forecast across 20 live instances (190 pairs), cold and from the tip cache.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// Stand-ins for work that really takes minutes (an agent) and seconds to minutes (a test suite);
// the second row below gives Axiom's overhead in seconds, which does not depend on these.
const AGENT_MS = Number(process.env.BENCH_AGENT_MS ?? 5000);
const EVAL_MS = Number(process.env.BENCH_EVAL_MS ?? 1000);

// The stand-in agent: works AGENT_MS, writes a solution whose quality depends on its number, commits.
const AGENT = `
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const id = process.argv[2];
const n = Number(id.split('-').pop());
setTimeout(() => {
  fs.writeFileSync('solution.txt', 'quality ' + ((n * 7) % 5) + '\\n' + (n === 2 ? 'broken\\n' : ''));
  execFileSync('git', ['add', '-A']);
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'solution ' + id]);
}, ${AGENT_MS});
`;

// The stand-in evaluator: a test run of EVAL_MS that prints AXIOM_SCORE and fails a broken solution.
const EVALUATOR = `
const text = require('node:fs').readFileSync('solution.txt', 'utf8');
setTimeout(() => {
  console.log('AXIOM_SCORE=' + /quality (\\d+)/.exec(text)[1]);
  process.exit(text.includes('broken') ? 1 : 0);
}, ${EVAL_MS});
`;

// The same race scripted by hand: no safety net (losers' branches are simply deleted).
const RAW_SCRIPT = `
set -e
cd "$1"; agent="$2"; evaluator="$3"
for i in 1 2 3 4 5; do git worktree add -q -b raw-$i ../raw-$i main; done
for i in 1 2 3 4 5; do (cd ../raw-$i && node "$agent" raw-$i) & done
wait
evaluate() {
  cd "../raw-$1"
  set +e; out=$(node "$2"); rc=$?; set -e
  score=$(printf '%s\\n' "$out" | sed -n 's/^AXIOM_SCORE=//p' | tail -n 1)
  echo "$rc \${score:-0} raw-$1" > "../raw-$1.result"
}
export -f evaluate
printf '%s\\n' 1 2 3 4 5 | xargs -P 2 -I{} bash -c 'evaluate {} "$0"' "$evaluator"
best=$(cat ../raw-*.result | awk '$1 == 0' | sort -k2,2nr -k3,3 | head -n 1 | cut -d' ' -f3)
git merge -q --no-ff -m "land $best" "$best"
for i in 1 2 3 4 5; do git worktree remove --force ../raw-$i; git branch -q -D raw-$i; done
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function raceVsRaw({ root, src, row, freshClone, runs = 3 }) {
  const cli = path.join(root, 'dist', 'cli.js');
  const ours = [];
  const raw = [];
  for (let i = 0; i < runs; i++) {
    for (const side of i % 2 ? ['raw', 'ours'] : ['ours', 'raw']) {
      const { dir, repo } = freshClone(src, `race-${side}`);
      const agent = path.join(dir, 'agent.js');
      const evaluator = path.join(dir, 'evaluate.js');
      fs.writeFileSync(agent, AGENT);
      fs.writeFileSync(evaluator, EVALUATOR);
      const started = performance.now();
      if (side === 'raw') {
        const r = spawnSync('bash', ['-c', RAW_SCRIPT, 'race', repo, agent, evaluator], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`raw race failed: ${r.stderr}`);
        raw.push(performance.now() - started);
      } else {
        const q = (p) => JSON.stringify(p);
        const race = spawnSync(process.execPath, [cli, '-C', repo, 'race', 'b', '--count', '5', '--agent-command', `node ${q(agent)} {id}`, '--prompt', 'bench', '--evaluate', `node ${q(evaluator)}`, '--wait', '--json'], { encoding: 'utf8' });
        if (race.status !== 0) throw new Error(`axiom race failed: ${race.stderr}`);
        const land = spawnSync(process.execPath, [cli, '-C', repo, 'land', 'b', '--json'], { encoding: 'utf8' });
        if (land.status !== 0) throw new Error(`axiom land failed: ${land.stderr}`);
        ours.push(performance.now() - started);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  row(
    'race of 5 end to end (race --wait + land) vs raw git + shell',
    median(ours) / median(raw),
    '×',
    `median ${median(ours).toFixed(0)} ms vs ${median(raw).toFixed(0)} ms (agents ${AGENT_MS} ms, evaluation ${EVAL_MS} ms, 2 at a time), target ≤ 1.2×`,
  );
  row('race of 5 end to end: time Axiom adds over raw git + shell', (median(ours) - median(raw)) / 1000, 's', 'spawn + record, evaluation bookkeeping (state commit, notes), landing with salvage of 4 losers, 2 CLI starts');
}

export async function forecast20({ AxiomEngine, src, row, freshClone, git }) {
  const { dir, repo } = freshClone(src, 'forecast');
  const engine = await AxiomEngine.open(repo);
  // 20 instances: each edits its own file; every fourth also edits a shared one (those conflict pairwise).
  for (let i = 0; i < 20; i++) {
    const inst = await engine.spawn(`f${i}`);
    fs.writeFileSync(path.join(inst.path, `own-${i}.txt`), `instance ${i}\n`);
    if (i % 4 === 0) fs.writeFileSync(path.join(inst.path, 'pkg0', 'mod0', 'file0.txt'), `rewritten by ${i}\n`);
    git(inst.path, 'add', '-A');
    git(inst.path, 'commit', '-q', '-m', `f${i}`);
  }
  const cacheFile = path.join(repo, '.git', 'axiom-forecast-cache.json');
  const cold = [];
  const warm = [];
  let pairs = 0;
  let conflicting = 0;
  for (let r = 0; r < 3; r++) {
    fs.rmSync(cacheFile, { force: true });
    const fresh = await AxiomEngine.open(repo);
    const snap = await fresh.snapshot({ conflicts: false });
    let t = performance.now();
    const f = await fresh.explore.conflicts(snap.worktrees);
    cold.push(performance.now() - t);
    pairs = f.checkedPairs;
    conflicting = f.pairs.length;
    const again = await AxiomEngine.open(repo);
    t = performance.now();
    await again.explore.conflicts(snap.worktrees);
    warm.push(performance.now() - t);
  }
  row(`conflict forecast, 20 instances (${pairs} pairs, ${conflicting} conflicting), cold`, median(cold), 'ms', 'merge-tree per pair, 4 at a time');
  row(`conflict forecast, 20 instances (${pairs} pairs), from the tip cache (new process)`, median(warm), 'ms', '');
  fs.rmSync(dir, { recursive: true, force: true });
}

