// Time to a ready instance (issue 9): a generated repository whose main worktree has an installed
// node_modules of ~20,000 files (this project's own package.json + package-lock.json, installed from
// the npm cache). Spawn + provision with share clone / hardlink / symlink against spawn + `npm ci
// --offline` in the new worktree (the route other tools take), measured side by side in one run.
// Part of `npm run bench`; alone: `node bench/ready.mjs` (after `npm run bench` built out/).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const countFiles = (dir) => {
  let n = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else n++;
    }
  };
  walk(dir);
  return n;
};

/** The generated repository with an installed node_modules, cached; null when npm cannot install offline. */
function readyRepo(cache) {
  const dir = path.join(cache, 'ready-node');
  const marker = path.join(dir, '.git', 'axiom-bench-ready');
  const lock = fs.readFileSync(path.join(root, 'package-lock.json'));
  if (fs.existsSync(marker) && fs.readFileSync(marker).equals(lock)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  console.log('generating ready-node: package.json + package-lock.json of this project, npm ci --offline …');
  git(dir, 'init', '-q', '-b', 'main');
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.writeFileSync(path.join(dir, 'package-lock.json'), lock);
  // No trailing slash: the pattern must also ignore a symbolic link named node_modules (share "symlink").
  fs.writeFileSync(path.join(dir, '.gitignore'), '/node_modules\n');
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, 'src', `m${i}.js`), `export const v${i} = ${i};\n`);
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=bench', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'generated');
  try {
    execFileSync(npm, ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    console.log(`ready-node: npm ci --offline failed (the npm cache lacks packages; run npm ci online once): ${String(e.stderr ?? e).split('\n')[0]}`);
    return null;
  }
  fs.writeFileSync(marker, lock);
  return dir;
}

export async function readyInstanceBench({ cache, row, AxiomEngine, runs = 3 }) {
  const repo = readyRepo(cache);
  if (!repo) {
    row('ready instance: skipped (npm ci --offline could not install)', 0, '');
    return;
  }
  const files = countFiles(path.join(repo, 'node_modules'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-bench-ready-'));
  const engine = await AxiomEngine.open(repo);
  const config = (mode) => fs.writeFileSync(path.join(repo, '.axiom.json'), JSON.stringify({ share: { node_modules: mode } }));
  const spawnOpts = { dirTemplate: path.join(work, '{id}'), limit: 1000 };
  const timings = {};
  const modes = {};
  try {
    for (const mode of ['hardlink', 'clone', 'symlink']) {
      config(mode);
      timings[mode] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const inst = await engine.spawn(`${mode}-${i}`, spawnOpts);
        timings[mode].push(performance.now() - t);
        modes[mode] = inst.provision.provisioned[0]?.mode;
        await engine.cleanup(inst.id, { force: true });
      }
    }
    fs.rmSync(path.join(repo, '.axiom.json'));
    // The install route: a bare spawn, then npm ci --offline in the new worktree (one run: it is the slow one).
    const t = performance.now();
    const inst = await engine.spawn('install-0', spawnOpts);
    execFileSync(npm, ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: inst.path, stdio: ['ignore', 'ignore', 'pipe'] });
    const install = performance.now() - t;
    await engine.cleanup(inst.id, { force: true });
    const label = `${files.toLocaleString('en-US')} files`;
    for (const mode of ['hardlink', 'clone', 'symlink']) {
      const ms = median(timings[mode]);
      const actual = modes[mode] === mode ? '' : ` (${modes[mode]}: no reflink on this filesystem)`;
      row(
        `ready instance: spawn + npm ci vs spawn + share ${mode} (${label})`,
        install / ms,
        '×',
        `${(install / 1000).toFixed(1)} s vs ${ms.toFixed(0)} ms${actual}; goal hardlink/clone ≥ 10×`,
      );
    }
  } finally {
    fs.rmSync(path.join(repo, '.axiom.json'), { force: true });
    fs.rmSync(work, { recursive: true, force: true });
    git(repo, 'worktree', 'prune');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { AxiomEngine } = require(path.join(root, 'out/src/core/index.js'));
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'axiom-worktrees', 'bench');
  fs.mkdirSync(cache, { recursive: true });
  await readyInstanceBench({
    cache,
    AxiomEngine,
    row: (name, value, unit, note = '') => console.log(`${name.padEnd(72)} ${value.toFixed(2).padStart(9)} ${unit.padEnd(3)} ${note}`),
  });
}
