// What a bench file run on its own needs (`node bench/<file>.mjs`): npm run bench passes the same three
// from bench/run.mjs. One copy here instead of one per file.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8' });

/** The 200-file repository `npm run bench` generates and caches; an error saying so when it is not there yet. */
export function cachedSmallRepo() {
  const src = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'axiom-worktrees', 'bench', 'small-200');
  if (!fs.existsSync(src)) throw new Error(`run npm run bench once first (it generates ${src})`);
  return src;
}

/** A clone in its own temp folder, with an identity and room for 1000 instances. */
export function freshClone(from, label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `axiom-bench-${label}-`));
  git(dir, 'clone', '-q', '--no-hardlinks', from, 'repo');
  const repo = path.join(dir, 'repo');
  for (const [k, v] of [['user.name', 'bench'], ['user.email', 'b@b'], ['axiom.maxInstances', '1000']]) git(repo, 'config', k, v);
  return { dir, repo };
}

/** One printed figure, aligned as bench/run.mjs prints them. */
export const row = (name, value, unit, note = '') => console.log(`${name.padEnd(64)} ${value.toFixed(2).padStart(9)} ${unit.padEnd(6)} ${note}`);
