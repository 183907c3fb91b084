// Many instances fast, as spawn makes them (bench/scale.mjs and the browser suite's test/e2e/scale.test.ts).
// No top-level await: CommonJS tests load it with require().
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });

/** A process run to its end, asynchronously (so its cost is the process, not a blocked event loop). */
export const run = (cmd, args, cwd) =>
  new Promise((resolve, reject) =>
    spawn(cmd, args, { cwd, stdio: 'ignore', env: { ...process.env, LC_ALL: 'C' } }).on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}`)))),
  );
export const gitAsync = (cwd, ...args) => run('git', ['-C', cwd, ...args], '/');

/** The worktree's admin dir: git names it after the folder (its gitdir file says so), else (a numbered name) ask git. */
function adminDirOf(repo, wt) {
  const named = path.join(repo, '.git', 'worktrees', path.basename(wt));
  try {
    if (fs.readFileSync(path.join(named, 'gitdir'), 'utf8').trim() === path.join(wt, '.git')) return named;
  } catch {
    /* not there: ask git */
  }
  return path.resolve(wt, git(wt, 'rev-parse', '--git-dir').trim());
}

/**
 * Instances made with spawn's own steps, minus its lock and configuration reads: `worktree add
 * --no-checkout --track -b` one at a time (git's metadata step is not safe in parallel), the record
 * spawn writes, then the checkouts two at a time. The fastest honest way to 300 instances.
 */
export async function grow(repo, from, to) {
  const base = 'main';
  const baseSha = git(repo, 'rev-parse', base).trim();
  const made = [];
  for (let i = from; i < to; i++) {
    const id = `s${i}`;
    const now = new Date();
    const branch = `axiom/${id}/${now.getTime()}`;
    const wt = path.join(path.dirname(repo), `axiom-${id}`);
    git(repo, 'worktree', 'add', '-q', '--no-checkout', '--track', '-b', branch, wt, `refs/heads/${base}`);
    const adminDir = adminDirOf(repo, wt);
    const metadata = { version: 1, id, branch, base, baseSha, agent: null, prompt: null, launch: 'none', createdAt: now.toISOString() };
    fs.writeFileSync(path.join(adminDir, 'axiom.json'), JSON.stringify(metadata, null, 2) + '\n');
    made.push(wt);
  }
  let next = 0;
  await Promise.all([0, 1].map(async () => { while (next < made.length) await gitAsync(made[next++], 'reset', '--hard', '--quiet'); }));
}
