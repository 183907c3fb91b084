/**
 * The CLI loads only what a command needs (issue 19, ARCHITECTURE §2.3): `dist/cli.js` alone for
 * `--version`, help and usage errors; the engine (`dist/cli-engine.js`) for a verb that uses it; the
 * `.axiom.json` schema with zod (`dist/config-schema.js`) only when there is a `.axiom.json` to read.
 * Each run records the files Node loaded through a `--require` preload; no timing is asserted.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, makeRepo, repoState, runCli, writeFile, type CliResult, type TempRepo } from './helpers';

let dir: string;
let preload: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-cli-start-'));
  preload = path.join(dir, 'record-loaded.js');
  // At exit, the base names of every CommonJS file the process loaded, and the Node modules among
  // child_process and crypto it loaded (the engine needs them at once; printing help does not), one a line.
  fs.writeFileSync(
    preload,
    [
      "process.on('exit', () => {",
      "  const files = Object.keys(require.cache).map((f) => require('path').basename(f));",
      "  const builtins = ['child_process', 'crypto'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m)).map((m) => 'node:' + m);",
      "  require('fs').writeFileSync(process.env.AXIOM_TEST_LOADED, [...files, ...builtins].join('\\n'));",
      '});',
    ].join('\n'),
  );
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let runs = 0;
/** Runs the built CLI and returns its result with the dist/ bundles it loaded. */
async function loading(args: string[], cwd?: string): Promise<CliResult & { bundles: string[] }> {
  const record = path.join(dir, `loaded-${++runs}.txt`);
  const r = await runCli(args, { ...(cwd ? { cwd } : {}), env: { NODE_OPTIONS: `--require ${preload}`, AXIOM_TEST_LOADED: record } });
  const loaded = fs.readFileSync(record, 'utf8').split('\n');
  const bundles = ['cli.js', 'cli-engine.js', 'config-schema.js', 'mcp.js', 'node:child_process', 'node:crypto'].filter((b) => loaded.includes(b));
  return { ...r, bundles };
}

test('axiom --version, help, a usage error and verb completion load dist/cli.js alone: no engine, no zod (issue 19)', async () => {
  for (const args of [['--version'], ['help', 'spawn'], ['--help'], ['land', '--help'], ['bogus'], ['completion', 'bash'], ['__complete', 'verb']]) {
    const r = await loading(args);
    assert.ok(r.stdout.length + r.stderr.length > 0, `${args.join(' ')} printed something`);
    assert.deepEqual(r.bundles, ['cli.js'], `axiom ${args.join(' ')} loaded ${r.bundles.join(', ')}`);
  }
});

test('dist/cli.js holds no zod and no engine: only src/cli and the leaf modules it may share (its metafile)', () => {
  const inputs = (bundle: string): string[] =>
    Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', `${bundle}.meta.json`), 'utf8')) as { inputs: object }).inputs);
  const front = inputs('cli');
  const leaves = ['src/core/choices.ts', 'src/core/text.ts', 'src/core/processes/shellQuote.ts', 'src/agents/names.ts'];
  assert.deepEqual(front.filter((f) => !f.startsWith('src/cli') && !leaves.includes(f)), [], 'dist/cli.js bundles only the CLI and leaf modules');
  assert.ok(front.includes('src/cli/verbs/spawn.ts'));
  // The engine's bundle leaves `.axiom.json`'s schema (zod) to its own.
  assert.deepEqual(inputs('cli-engine').filter((f) => /node_modules\/zod\/|provision\/configFile\.ts$/.test(f)), []);
  assert.ok(inputs('cli-engine').includes('src/core/engine.ts'));
  assert.ok(inputs('config-schema').some((f) => f.includes('node_modules/zod/')));
});

let repo: TempRepo;
before(() => {
  repo = makeRepo();
});
after(() => repo?.cleanup());

test('axiom list and status load the engine but not the .axiom.json schema when there is none', async () => {
  const spawned = await loading(['-C', repo.dir, 'spawn', 'plain', '--no-setup']);
  assert.equal(spawned.code, 0, spawned.stderr);
  assert.deepEqual(spawned.bundles, ['cli.js', 'cli-engine.js', 'node:child_process', 'node:crypto']);
  for (const args of [['list'], ['status', 'plain']]) {
    const r = await loading(['-C', repo.dir, ...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.bundles, ['cli.js', 'cli-engine.js', 'node:child_process', 'node:crypto'], `axiom ${args.join(' ')}`);
  }
});

test('a spawn that reads .axiom.json loads its schema and still refuses a broken one with its line, creating nothing', async () => {
  writeFile(repo.dir, '.axiom.json', '{\n  "ports": "two"\n}\n');
  const before = repoState(repo);
  const broken = await loading(['-C', repo.dir, 'spawn', 'broken', '--no-setup']);
  assert.equal(broken.code, 2, broken.stderr);
  assert.match(broken.stderr, /\.axiom\.json:2:\d+: ports:/);
  assert.deepEqual(broken.bundles, ['cli.js', 'cli-engine.js', 'config-schema.js', 'node:child_process', 'node:crypto']);
  assert.equal(repoState(repo), before);
  writeFile(repo.dir, '.axiom.json', '{ "ports": 2, "env": { "APP_PORT": "{port+1}" } }\n');
  const ok = await loading(['-C', repo.dir, 'spawn', 'configured', '--no-setup', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { ports?: number[] }).ports?.length, 2);
  assert.deepEqual(ok.bundles, ['cli.js', 'cli-engine.js', 'config-schema.js', 'node:child_process', 'node:crypto']);
});
