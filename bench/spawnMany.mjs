// Many at once (issue 19): `axiom spawn --count N <prefix>` against the same `git worktree add`s run
// two at a time (the floor), alternated in one run, each on a fresh clone of the small repository
// (clone time not counted). Part of `npm run bench`; alone: `node bench/spawnMany.mjs` (after a build
// and `npm run bench` once, which generates the repository). BENCH_SPAWN_MANY=N sets N (default 100).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** A process to its end; resolves with its exit code. */
const run = (cmd, args, cwd) =>
  new Promise((resolve) => spawn(cmd, args, { cwd, stdio: 'ignore', env: { ...process.env, LC_ALL: 'C' } }).on('close', (code) => resolve(code)));

/** `git worktree add -b` for each of n, two at a time; a git lock error is retried (counted). */
async function rawAdds(c, n) {
  let next = 0;
  let retries = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < n) {
        const i = next++;
        const args = ['-C', c.repo, 'worktree', 'add', '-q', '-b', `raw-${i + 1}`, path.join(c.dir, `raw-${i + 1}`), 'main'];
        while ((await run('git', args, '/')) !== 0) {
          retries++;
          // A failed add can leave its branch behind: take it back before the retry.
          await run('git', ['-C', c.repo, 'branch', '-D', `raw-${i + 1}`], '/');
          fs.rmSync(path.join(c.dir, `raw-${i + 1}`), { recursive: true, force: true });
          await run('git', ['-C', c.repo, 'worktree', 'prune'], '/');
        }
      }
    }),
  );
  return retries;
}

export async function spawnManyBench({ src, row, freshClone, n = Number(process.env.BENCH_SPAWN_MANY ?? 100), rounds = 2 }) {
  const ours = [];
  const floor = [];
  let retries = 0;
  for (let r = 0; r < rounds; r++) {
    for (const which of ['ours', 'floor']) {
      const c = freshClone(src, `many-${which}`);
      const t = performance.now();
      if (which === 'ours') {
        const code = await run('node', [cli, 'spawn', 'try', '--count', String(n)], c.repo);
        if (code !== 0) throw new Error(`axiom spawn --count ${n}: exit ${code}`);
        ours.push(performance.now() - t);
        const made = fs.readdirSync(path.join(c.repo, '.git', 'worktrees')).length;
        if (made !== n) throw new Error(`axiom spawn --count ${n} made ${made}`);
      } else {
        retries += await rawAdds(c, n);
        floor.push(performance.now() - t);
      }
      fs.rmSync(c.dir, { recursive: true, force: true });
    }
  }
  const [a, b] = [median(ours), median(floor)];
  row(
    `axiom spawn --count ${n} vs ${n} git worktree add, 2 at a time (small)`,
    a / b,
    '×',
    `${(a / 1000).toFixed(1)} s vs ${(b / 1000).toFixed(1)} s (medians of ${rounds}, alternated; ${retries} git lock errors retried in the floor); target ≤ 1.5×`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { cachedSmallRepo, freshClone, row } = await import('./standalone.mjs');
  await spawnManyBench({ src: cachedSmallRepo(), row, freshClone });
}
