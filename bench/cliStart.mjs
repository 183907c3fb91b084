// CLI start (issue 19): `axiom --version` and `axiom help spawn` (no repository) against a bare `node -e 0`,
// alternated in one run. Run alone with `node bench/cliStart.mjs [runs]`; AXIOM_BENCH_CLI_BEFORE=<another
// dist/cli.js> alternates that build too, for a before/after in the same run.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(args) {
  const t = performance.now();
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  return performance.now() - t;
}

export function cliStart({ root, row, runs = 15 }) {
  const cli = path.join(root, 'dist', 'cli.js');
  const before = process.env.AXIOM_BENCH_CLI_BEFORE;
  const forms = { version: ['--version'], help: ['help', 'spawn'] };
  const builds = { after: cli, ...(before ? { before } : {}) };
  const bare = [];
  const took = {};
  for (let i = 0; i < runs; i++) {
    bare.push(time(['-e', '0']));
    for (const [build, file] of Object.entries(builds))
      for (const [form, args] of Object.entries(forms)) (took[`${build} ${form}`] ??= []).push(time([file, ...args]));
  }
  const b = median(bare);
  const label = (build) => (before ? ` (${build})` : '');
  for (const build of Object.keys(builds)) {
    const v = median(took[`${build} version`]);
    const h = median(took[`${build} help`]);
    row(`CLI start: axiom --version vs node -e 0${label(build)}`, v / b, '×', `median ${v.toFixed(0)} ms vs ${b.toFixed(0)} ms, target ≤ 1.3×`);
    row(`CLI start: axiom help spawn vs node -e 0${label(build)}`, h / b, '×', `median ${h.toFixed(0)} ms vs ${b.toFixed(0)} ms`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const row = (name, value, unit, note = '') => console.log(`${name.padEnd(64)} ${value.toFixed(2).padStart(9)} ${unit.padEnd(6)} ${note}`);
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  cliStart({ root: path.resolve(import.meta.dirname, '..'), row, runs: Number(process.argv[2] ?? 15) });
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
