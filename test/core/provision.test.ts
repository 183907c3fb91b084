/**
 * Ready-to-run instances on real repositories: `.axiom.json`, `.worktreeinclude` and extra include
 * patterns, every share mode, setup and teardown, the environment, ports and trust.
 */
import { after, afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AxiomEngine, GitRunner } from '../../src/core';
import { configJsonSchema, parseConfigText } from '../../src/core/provision/configFile';
import { patternProblem } from '../../src/core/provision/include';
import {
  expectAxiomError,
  git,
  makeRepo,
  readTree,
  repoState,
  runCli,
  writeFile,
  ROOT,
  type TempRepo,
} from './helpers';

// Port leases go to a registry of this test run, not the user's.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-state-'));
process.env.AXIOM_STATE_DIR = stateDir;
after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

let repo: TempRepo;
afterEach(() => repo?.cleanup());

const refused = expectAxiomError;
const state = repoState;

/** A repository with a .gitignore, ignored files in the main worktree, and an `.axiom.json`. */
function repoWith(config: unknown, gitignore = '.env\n*.local.json\nnode_modules/\n.cache/\n'): TempRepo {
  const r = makeRepo({
    'README.md': '# app\n',
    '.gitignore': gitignore,
    'config/app.json': '{}\n',
    ...(config === null
      ? {}
      : { '.axiom.json': typeof config === 'string' ? config : JSON.stringify(config, null, 2) }),
  });
  writeFile(r.dir, '.env', 'SECRET=main\n');
  writeFile(r.dir, 'config/dev.local.json', '{"local":true}\n');
  writeFile(r.dir, 'node_modules/pkg/index.js', 'module.exports = 1;\n');
  writeFile(r.dir, 'node_modules/pkg/package.json', '{"name":"pkg"}\n');
  fs.mkdirSync(path.join(r.dir, 'node_modules/.bin'), { recursive: true });
  fs.symlinkSync('../pkg/index.js', path.join(r.dir, 'node_modules/.bin/pkg'));
  return r;
}

test('.axiom.json is JSON with comments; errors name the line and the key; unknown keys are warnings', () => {
  const ok = parseConfigText(
    '{\n  // copy the env file\n  "include": [".env"], /* and share */ "share": {"node_modules": "hardlink"},\n  "ports": 2,\n}\n',
  );
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.config.include, ['.env']);
  assert.equal(ok.config.share?.node_modules, 'hardlink');
  const bad = parseConfigText(
    '{\n  "share": {"node_modules": "copy"},\n  "ports": 1.5,\n  "setpu": ["x"]\n}',
  );
  assert.equal(bad.errors.length, 2, bad.errors.join('\n'));
  assert.match(bad.errors[0]!, /^\.axiom\.json:2:\d+: share\.node_modules: .*clone.*hardlink.*symlink.*none/);
  assert.match(bad.errors[1]!, /^\.axiom\.json:3:\d+: ports:/);
  assert.match(bad.warnings[0]!, /^\.axiom\.json:4:\d+: unknown key "setpu"/);
  const broken = parseConfigText('{ "include": [".env" }');
  assert.match(broken.errors[0]!, /^\.axiom\.json:1:\d+: /);
});

test('a port count is said in words: "gets 1 port", "gets 2 ports", never "port(s)" (issue 21)', async () => {
  for (const [ports, key, words] of [[1, '{port+1}', 'gets 1 port: set "ports" to at least 2'], [2, '{port+2}', 'gets 2 ports: set "ports" to at least 3']] as const) {
    repo = repoWith({ ports, env: { SECOND: key } });
    const engine = await AxiomEngine.open(repo.dir);
    const e = await refused(engine.spawn('p'), 'InvalidConfig');
    assert.ok(e.message.includes(words), e.message);
    assert.doesNotMatch(e.message, /\(s\)/);
    repo.cleanup();
  }
});

test('the JSON schema shipped in the extension is the one generated from the engine', () => {
  const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'axiom.schema.json'), 'utf8'));
  assert.deepEqual(shipped, configJsonSchema(), 'regenerate it: npm run schema');
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.ok(
    pkg.contributes.jsonValidation.some(
      (v: { fileMatch: string; url: string }) =>
        v.fileMatch === '.axiom.json' && v.url === './schemas/axiom.schema.json',
    ),
  );
});

test('a broken .axiom.json refuses the spawn with its line, and nothing is created', async () => {
  repo = repoWith('{\n  "ports": "three"\n}');
  const engine = await AxiomEngine.open(repo.dir);
  const before = state(repo);
  const e = await refused(engine.spawn('a'), 'InvalidConfig');
  assert.match(e.message, /\.axiom\.json:2:\d+: ports/);
  assert.equal(state(repo), before);
});

test('include: ignored files that match are copied; tracked files never; .worktreeinclude and extra patterns too', async () => {
  repo = repoWith({ include: ['.env', 'config/*.json'] });
  writeFile(repo.dir, '.worktreeinclude', '# Claude Code convention\n.cache/\n');
  writeFile(repo.dir, '.cache/data.bin', 'cached\n');
  writeFile(repo.dir, 'notes.local.json', '{"n":1}\n');
  writeFile(repo.dir, 'config/app.json', '{"edited in main":true}\n'); // tracked: matches config/*.json, never copied
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('inc', { includePatterns: ['notes.local.json'] });
  assert.equal(fs.readFileSync(path.join(inst.path, '.env'), 'utf8'), 'SECRET=main\n');
  assert.equal(fs.readFileSync(path.join(inst.path, 'config/dev.local.json'), 'utf8'), '{"local":true}\n');
  assert.equal(fs.readFileSync(path.join(inst.path, '.cache/data.bin'), 'utf8'), 'cached\n');
  assert.equal(fs.readFileSync(path.join(inst.path, 'notes.local.json'), 'utf8'), '{"n":1}\n');
  assert.equal(
    fs.readFileSync(path.join(inst.path, 'config/app.json'), 'utf8'),
    '{}\n',
    'a tracked file is never copied',
  );
  assert.ok(!fs.existsSync(path.join(inst.path, 'node_modules')), 'not asked for');
  assert.deepEqual([...inst.provision!.included].sort(), [
    '.cache',
    '.env',
    'config/dev.local.json',
    'notes.local.json',
  ]);
  // Everything provisioned is ignored in the instance: the worktree is clean, nothing is at risk.
  assert.equal(git(inst.path, 'status', '--porcelain', '--untracked-files=all'), '');
  const s = await engine.status('inc');
  assert.deepEqual(s.included.sort(), ['.cache', '.env', 'config/dev.local.json', 'notes.local.json']);
  const risk = await engine.atRisk('inc');
  // Copied ignored files are never work at risk (they are only announced, as ignored files are).
  assert.deepEqual([risk.files, risk.commits, risk.submodules], [[], [], []]);
  assert.ok(risk.ignored.sample.includes('.env'), 'the copied .env is announced as an ignored file');
});

test('include never overwrites a file the base tracks (ignored in the main worktree, tracked at the base)', async () => {
  repo = repoWith({ include: ['settings.local.json'] });
  git(repo.dir, 'checkout', '-q', '-b', 'feature');
  writeFile(repo.dir, 'settings.local.json', '{"tracked":true}\n');
  git(repo.dir, 'add', '-f', 'settings.local.json');
  git(repo.dir, 'commit', '-q', '-m', 'track it on feature (force-added past .gitignore)');
  git(repo.dir, 'checkout', '-q', 'main');
  // On main it is ignored (*.local.json) and exists untracked with other content.
  writeFile(repo.dir, 'settings.local.json', '{"main":true}\n');
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('t', { base: 'feature' });
  assert.equal(fs.readFileSync(path.join(inst.path, 'settings.local.json'), 'utf8'), '{"tracked":true}\n');
  assert.ok(
    inst.provision!.skipped.some((s) => s.path === 'settings.local.json' && /tracked/.test(s.reason)),
  );
});

test('include patterns reaching outside the repository are refused with a clear error, nothing created', async () => {
  for (const [pattern, why] of [
    ['../secrets/.env', /"\.\." would reach outside/],
    ['/etc/passwd', /absolute path is outside the repository/],
    ['~/.ssh/id_rsa', /home-relative/],
  ] as const) {
    repo = repoWith({ include: [pattern] });
    const engine = await AxiomEngine.open(repo.dir);
    const before = state(repo);
    const e = await refused(engine.spawn('x'), 'InvalidConfig');
    assert.match(e.message, why);
    assert.match(e.message, /\.axiom\.json "include"/);
    assert.equal(state(repo), before);
    repo.cleanup();
  }
  // A leading "/" that anchors to the repository root is gitignore syntax, not an absolute path.
  assert.equal(
    patternProblem('/config/*.local.json', fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-p-'))),
    null,
  );

  // An ignored symbolic link that leaves the tree.
  repo = repoWith({ include: ['.env', 'outside.env'] });
  const secret = path.join(repo.parent, 'secret.env');
  fs.writeFileSync(secret, 'TOKEN=outside\n');
  fs.symlinkSync(secret, path.join(repo.dir, 'outside.env'));
  writeFile(repo.dir, '.gitignore', '.env\n*.local.json\nnode_modules/\noutside.env\n');
  repo.commit('ignore outside.env');
  const engine = await AxiomEngine.open(repo.dir);
  const before = state(repo);
  const e = await refused(engine.spawn('y'), 'InvalidConfig');
  assert.match(e.message, /outside\.env is a symbolic link to .*secret\.env, outside the repository/);
  assert.equal(state(repo), before);
});

test('share hardlink: same inodes; cleanup unlinks the instance copy only', async () => {
  repo = repoWith({ share: { node_modules: 'hardlink' } });
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('hl');
  const main = path.join(repo.dir, 'node_modules/pkg/index.js');
  const copy = path.join(inst.path, 'node_modules/pkg/index.js');
  assert.equal(fs.statSync(copy).ino, fs.statSync(main).ino);
  assert.equal(
    fs.readlinkSync(path.join(inst.path, 'node_modules/.bin/pkg')),
    '../pkg/index.js',
    'links inside are made again, not followed',
  );
  assert.deepEqual(
    inst.provision!.provisioned.map((p) => [p.path, p.mode, p.files]),
    [['node_modules', 'hardlink', 3]],
  );
  assert.equal(git(inst.path, 'status', '--porcelain', '--untracked-files=all'), '');
  const r = await engine.cleanup('hl');
  assert.equal(r.salvageRef, null, 'a provisioned folder is never work at risk');
  assert.equal(fs.readFileSync(main, 'utf8'), 'module.exports = 1;\n');
  assert.equal(fs.statSync(main).nlink, 1);
});

test('share clone: a real copy (reported as clone only when the filesystem made a reflink)', async () => {
  repo = repoWith({ share: { node_modules: 'clone' } });
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('cl');
  const [entry] = inst.provision!.provisioned;
  assert.ok(entry && (entry.mode === 'clone' || entry.mode === 'copy'), JSON.stringify(entry));
  if (entry!.mode === 'copy') assert.match(entry!.note ?? '', /no reflink/);
  const copy = path.join(inst.path, 'node_modules/pkg/index.js');
  assert.notEqual(fs.statSync(copy).ino, fs.statSync(path.join(repo.dir, 'node_modules/pkg/index.js')).ino);
  fs.writeFileSync(copy, 'changed in the instance\n');
  assert.equal(
    fs.readFileSync(path.join(repo.dir, 'node_modules/pkg/index.js'), 'utf8'),
    'module.exports = 1;\n',
  );
});

test('share symlink: one link to the main folder; cleanup and a forced cleanup never follow it into the main worktree', async () => {
  repo = repoWith({ share: { node_modules: 'symlink' } }, '.env\n/node_modules\n');
  const engine = await AxiomEngine.open(repo.dir);
  const before = readTree(path.join(repo.dir, 'node_modules'));
  const a = await engine.spawn('ln');
  assert.equal(fs.readlinkSync(path.join(a.path, 'node_modules')), path.join(repo.dir, 'node_modules'));
  assert.equal(git(a.path, 'status', '--porcelain', '--untracked-files=all'), '');
  await engine.cleanup('ln');
  assert.deepEqual(readTree(path.join(repo.dir, 'node_modules')), before);
  // Forced over real work: the salvage keeps the work, never the link's target.
  const b = await engine.spawn('ln2');
  writeFile(b.path, 'work.txt', 'mine\n');
  const r = await engine.cleanup('ln2', { force: true });
  assert.ok(r.salvageRef);
  const files = git(repo.dir, 'ls-tree', '-r', '--name-only', r.salvageRef!).split('\n').filter(Boolean);
  assert.ok(files.includes('work.txt'));
  assert.ok(!files.some((f) => f.startsWith('node_modules')), files.join(','));
  assert.deepEqual(readTree(path.join(repo.dir, 'node_modules')), before);
  assert.ok(fs.existsSync(path.join(repo.dir, 'node_modules/pkg/index.js')));
});

test('share of a folder git does not ignore, or outside the tree, is refused before anything is created', async () => {
  repo = repoWith({ share: { vendor: 'hardlink' } });
  writeFile(repo.dir, 'vendor/lib.js', 'x\n');
  const engine = await AxiomEngine.open(repo.dir);
  const before = state(repo);
  const e = await refused(engine.spawn('v'), 'InvalidConfig');
  assert.match(e.message, /share "vendor" is not ignored by git/);
  assert.equal(state(repo), before);
  repo.cleanup();
  repo = repoWith({ share: { '../other': 'symlink', 'node_modules/*': 'clone' } });
  const e2 = await refused((await AxiomEngine.open(repo.dir)).spawn('v'), 'InvalidConfig');
  assert.match(e2.message, /share "\.\.\/other" "\.\." would reach outside/);
  assert.match(e2.message, /share "node_modules\/\*" is a pattern/);
});

test('a share source missing in the main worktree is skipped and said so', async () => {
  repo = repoWith({ share: { '.venv': 'symlink' } });
  const inst = await (await AxiomEngine.open(repo.dir)).spawn('nv');
  assert.deepEqual(inst.provision!.skipped, [
    { path: '.venv', reason: 'not in the main worktree (nothing to share yet)' },
  ]);
});

test('ignored files copied into an instance never reach git objects (git add -A, commit-all merge, forced cleanup)', async () => {
  repo = repoWith({ include: ['.env'] });
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('sec');
  writeFile(inst.path, 'feature.txt', 'work\n');
  git(inst.path, 'add', '-A');
  assert.deepEqual(git(inst.path, 'diff', '--cached', '--name-only').split('\n').filter(Boolean), [
    'feature.txt',
  ]);
  const r = await engine.cleanup('sec', { force: true });
  const objects = git(
    repo.dir,
    'cat-file',
    '--batch-all-objects',
    '--batch-check=%(objectname) %(objecttype)',
  )
    .split('\n')
    .filter((l) => l.endsWith(' blob'))
    .map((l) => git(repo.dir, 'cat-file', '-p', l.split(' ')[0]!));
  assert.ok(r.salvageRef);
  assert.ok(!objects.some((o) => o.includes('SECRET=main')), 'the secret is in no blob');
});

test('setup runs in the worktree with the instance environment; status reports it; ports and env placeholders', async () => {
  const script =
    "const e=process.env; require('fs').writeFileSync('setup-env.json', JSON.stringify({id:e.AXIOM_INSTANCE_ID, wt:e.AXIOM_WORKTREE, base:e.AXIOM_BASE, port:e.AXIOM_PORT, ports:e.AXIOM_PORTS, PORT:e.PORT, db:e.DATABASE_URL, cwd:process.cwd()}))";
  repo = repoWith(
    {
      setup: [`node -e "${script}"`, 'echo second step'],
      ports: 3,
      env: { DATABASE_URL: 'postgres://localhost/app_{id}?port={port+2}' },
    },
    '.env\nsetup-env.json\n',
  );
  const engine = await AxiomEngine.open(repo.dir);
  const events: string[] = [];
  const inst = await engine.spawn('env1', {
    onProgress: (e) =>
      events.push(
        e.step === 'setup'
          ? `setup ${e.index + 1}/${e.total}${e.done ? ` exit ${e.done.exitCode}` : ''}`
          : e.step,
      ),
  });
  assert.equal(inst.setup?.state, 'succeeded');
  assert.deepEqual(events, ['ports', 'setup 1/2', 'setup 1/2 exit 0', 'setup 2/2', 'setup 2/2 exit 0']);
  assert.equal(inst.ports.length, 3);
  assert.deepEqual(inst.ports, [inst.ports[0]!, inst.ports[0]! + 1, inst.ports[0]! + 2]);
  const seen = JSON.parse(fs.readFileSync(path.join(inst.path, 'setup-env.json'), 'utf8'));
  const inherited = process.env.PORT;
  assert.deepEqual(seen, {
    id: 'env1',
    wt: inst.path,
    base: 'main',
    port: String(inst.ports[0]),
    ports: inst.ports.join(','),
    PORT: inherited ?? String(inst.ports[0]),
    db: `postgres://localhost/app_env1?port=${inst.ports[2]}`,
    cwd: inst.path,
  });
  const s = await engine.status('env1');
  assert.equal(s.setup?.state, 'succeeded');
  assert.equal(s.setup?.exitCode, 0);
  assert.match(fs.readFileSync(s.setup!.logFile, 'utf8'), /second step/);
  assert.deepEqual(s.ports, inst.ports);
  const env = await engine.environment('env1', {});
  assert.equal(env.PORT, String(inst.ports[0]), 'PORT = AXIOM_PORT when not set');
  assert.equal((await engine.environment('env1', { PORT: '8080' })).PORT, '8080', 'a PORT the user set wins');
});

test('a failing setup leaves the instance in place in state failed, with its log; setup re-runs it', async () => {
  repo = repoWith(
    {
      setup: [
        'echo preparing',
        "node -e \"if (!require('fs').existsSync('ok.flag')) { console.error('db not reachable'); process.exit(7) }\"",
        'echo never',
      ],
    },
    '.env\nok.flag\n',
  );
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('sf');
  assert.equal(inst.setup?.state, 'failed');
  assert.equal(inst.setup?.exitCode, 7);
  assert.match(inst.setup?.failedCommand ?? '', /db not reachable/);
  assert.ok(fs.existsSync(inst.path), 'the instance stays');
  const s = await engine.status('sf');
  assert.equal(s.setup?.state, 'failed');
  const log = fs.readFileSync(s.setup!.logFile, 'utf8');
  assert.match(log, /preparing/);
  assert.match(log, /db not reachable/);
  assert.doesNotMatch(log, /never/);
  fs.writeFileSync(path.join(inst.path, 'ok.flag'), '');
  const again = await engine.setup('sf');
  assert.equal(again?.state, 'succeeded');
  assert.equal((await engine.status('sf')).setup?.state, 'succeeded');
});

test('a setup command that outlives setupTimeout is stopped (with its children) and counted as failed', async () => {
  repo = repoWith({ setup: ['node -e "setInterval(() => {}, 1000)"'], setupTimeout: 1 });
  const engine = await AxiomEngine.open(repo.dir);
  const started = Date.now();
  const inst = await engine.spawn('slow');
  assert.equal(inst.setup?.state, 'failed');
  assert.equal(inst.setup?.timedOut, true);
  assert.equal(inst.setup?.exitCode, null);
  assert.ok(Date.now() - started < 30_000);
  assert.match(fs.readFileSync(inst.setup!.logFile, 'utf8'), /stopped after 1 s/);
});

test('setup can be skipped or deferred; git config axiom.* overrides the file; an explicit option wins', async () => {
  repo = repoWith({ setup: ['echo from-file > setup.out'], ports: 1 }, '.env\nsetup.out\n');
  const engine = await AxiomEngine.open(repo.dir);
  const skipped = await engine.spawn('sk', { setup: 'skip' });
  assert.equal(skipped.setup?.state, 'skipped');
  assert.ok(!fs.existsSync(path.join(skipped.path, 'setup.out')));
  const deferred = await engine.spawn('df', { setup: 'defer' });
  assert.equal((await engine.status('df')).setup?.state, 'pending');
  assert.ok(!fs.existsSync(path.join(deferred.path, 'setup.out')));
  git(repo.dir, 'config', 'axiom.setup', 'echo from-git-config > setup.out');
  git(repo.dir, 'config', 'axiom.ports', '2');
  git(repo.dir, 'config', '--add', 'axiom.env', 'MODE=personal');
  const personal = await engine.spawn('gc');
  assert.equal(fs.readFileSync(path.join(personal.path, 'setup.out'), 'utf8').trim(), 'from-git-config');
  assert.equal(personal.ports.length, 2);
  assert.deepEqual(personal.metadata.env, { MODE: 'personal' });
  git(repo.dir, 'config', 'axiom.setup', '');
  const none = await engine.spawn('gc2');
  assert.equal(none.setup, null, 'an empty git config value switches setup off');
});

test('teardown runs before cleanup; a failing teardown refuses it (the instance stays), --force proceeds', async () => {
  const marker = (name: string): string =>
    `node -e "require('fs').appendFileSync(process.env.MARKER_FILE, process.env.AXIOM_INSTANCE_ID + ' ${name}\\n')"`;
  repo = repoWith(
    {
      teardown: [marker('down'), "node -e \"process.exit(require('fs').existsSync('fail.flag') ? 3 : 0)\""],
      env: { MARKER_FILE: '{worktree}/../teardown.log' },
    },
    '.env\nfail.flag\n',
  );
  const engine = await AxiomEngine.open(repo.dir);
  const ok = await engine.spawn('td');
  const r = await engine.cleanup('td');
  assert.equal(r.teardown?.state, 'succeeded');
  assert.equal(fs.readFileSync(path.join(repo.parent, 'teardown.log'), 'utf8'), 'td down\n');
  assert.ok(!fs.existsSync(ok.path));

  const bad = await engine.spawn('tf');
  fs.writeFileSync(path.join(bad.path, 'fail.flag'), '');
  const e = await refused(engine.cleanup('tf'), 'TeardownFailed');
  assert.match(e.message, /teardown of tf failed \(exit 3/);
  assert.ok(e.details.logFile);
  assert.ok(fs.existsSync(bad.path), 'a refused cleanup leaves the instance');
  const forced = await engine.cleanup('tf', { force: true });
  assert.equal(forced.teardown?.state, 'failed');
  assert.ok(!fs.existsSync(bad.path));
});

test('ports: a busy port is skipped (checked by binding); leases are released at cleanup and reused', async () => {
  const net = await import('node:net');
  repo = repoWith({ ports: 2, portRange: '47100-47120' });
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(47100, '127.0.0.1', resolve));
  try {
    const engine = await AxiomEngine.open(repo.dir);
    const a = await engine.spawn('pa');
    assert.ok(!a.ports.includes(47100), `47100 is in use: ${a.ports}`);
    const b = await engine.spawn('pb');
    assert.equal(new Set([...a.ports, ...b.ports]).size, 4);
    // A refused spawn of an id that exists leaves that instance's lease alone.
    await refused(engine.spawn('pb'), 'AlreadyExists');
    const { readLeases } = await import('../../src/core/provision/ports');
    assert.ok(readLeases().some((l) => l.id === 'pb' && l.ports.join() === b.ports.join()), 'pb keeps its lease');
    await engine.cleanup('pa');
    const c = await engine.spawn('pc');
    assert.deepEqual(c.ports, a.ports, 'the released block is free again');
  } finally {
    blocker.close();
  }
});

test('trust: an untrusted runner runs no setup (spawn refused before anything is created) and no teardown', async () => {
  repo = repoWith({ setup: ['echo should-not-run > ran.txt'], teardown: ['echo nope'] }, '.env\nran.txt\n');
  const engine = await AxiomEngine.open(repo.dir, { runner: new GitRunner({ untrusted: true }) });
  const before = state(repo);
  await refused(engine.spawn('u'), 'Untrusted');
  assert.equal(state(repo), before);
  const trusted = await AxiomEngine.open(repo.dir);
  await trusted.spawn('u', { setup: 'skip' });
  await refused(engine.setup('u'), 'Untrusted');
  await refused(engine.cleanup('u'), 'Untrusted');
  assert.ok(!fs.existsSync(path.join(repo.parent, 'axiom-u', 'ran.txt')));
});

test('a CLI killed right after provisioning (symlink and hardlink shares) leaves a half-spawn that repair removes; the main folders stay', async () => {
  repo = repoWith(
    { share: { node_modules: 'symlink', '.cache': 'hardlink' }, include: ['.env'] },
    '.env\n/node_modules\n.cache/\n',
  );
  writeFile(repo.dir, '.cache/blob.bin', 'cached\n');
  const before = {
    nm: readTree(path.join(repo.dir, 'node_modules')),
    cache: readTree(path.join(repo.dir, '.cache')),
  };
  const r = await runCli(['-C', repo.dir, 'spawn', 'crash'], {
    env: { AXIOM_TEST_HOOKS: '1', AXIOM_TEST_CRASH_AFTER: 'provisioned' },
  });
  assert.notEqual(r.code, 0, 'the CLI should have been killed');
  assert.ok(
    fs.lstatSync(path.join(repo.parent, 'axiom-crash', 'node_modules')).isSymbolicLink(),
    'it died with the shares in place',
  );
  const fix = await runCli(['-C', repo.dir, 'repair', '--json']);
  assert.equal(fix.code, 0, fix.stderr);
  assert.deepEqual(JSON.parse(fix.stdout).removedHalfSpawned, [path.join(repo.parent, 'axiom-crash')]);
  assert.ok(!fs.existsSync(path.join(repo.parent, 'axiom-crash')));
  assert.deepEqual(readTree(path.join(repo.dir, 'node_modules')), before.nm);
  assert.deepEqual(readTree(path.join(repo.dir, '.cache')), before.cache);
  assert.equal(fs.readFileSync(path.join(repo.dir, '.env'), 'utf8'), 'SECRET=main\n');
});
