/** The CLI side of ready-to-run instances: spawn's steps, setup failures (exit 3), `axiom setup`, teardown at cleanup. */
import { after, afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeRepo, runCli, writeFile, type TempRepo } from './helpers';

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-state-'));
after(() => fs.rmSync(stateDir, { recursive: true, force: true }));
const env = { AXIOM_STATE_DIR: stateDir };

let repo: TempRepo;
afterEach(() => repo?.cleanup());

const failUnlessFlag =
  "node -e \"if (!require('fs').existsSync('ready.flag')) { console.log('migration 0042 failed: no database'); process.exit(5) }\"";

function setupRepo(): TempRepo {
  const r = makeRepo({
    'README.md': '# app\n',
    '.gitignore': '.env\nready.flag\nkeep.flag\nnode_modules/\n',
    '.axiom.json': JSON.stringify({
      include: ['.env'],
      share: { node_modules: 'hardlink' },
      setup: ['echo installing', failUnlessFlag],
      teardown: ["node -e \"process.exit(require('fs').existsSync('keep.flag') ? 9 : 0)\""],
      ports: 2,
      portRange: '45100-45199',
    }),
  });
  writeFile(r.dir, '.env', 'A=1\n');
  writeFile(r.dir, 'node_modules/x/index.js', 'x\n');
  return r;
}

test('axiom spawn provisions and prints each step with its time; a failing setup exits 3 with the log tail and keeps the instance', async () => {
  repo = setupRepo();
  const r = await runCli(['-C', repo.dir, 'spawn', 'a'], { env });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /^ {2}ports {4}451\d\d, 451\d\d$/m);
  assert.match(r.stdout, /^ {2}share {4}node_modules: hardlink, 1 file {2}\(\d+ ms\)$/m);
  assert.match(r.stdout, /^ {2}include {2}1 ignored file copied {2}\(\d+ ms\)$/m);
  assert.match(r.stdout, /^ {2}setup {4}\[1\/2\] echo installing$/m);
  assert.match(r.stdout, /^ {11}ok {2}\(\d+ ms\)$/m);
  assert.match(r.stdout, /^ {11}failed: exit 5 {2}\(\d+ ms\)$/m);
  assert.match(r.stderr, /The setup of a failed \(exit 5: node -e/);
  assert.match(r.stderr, /migration 0042 failed: no database/, 'the last lines of the log');
  const wt = path.join(repo.parent, 'axiom-a');
  assert.ok(fs.existsSync(path.join(wt, '.env')));
  const status = JSON.parse((await runCli(['-C', repo.dir, 'status', 'a', '--json'], { env })).stdout);
  assert.equal(status.setup.state, 'failed');
  assert.equal(status.setup.exitCode, 5);
  assert.equal(status.ports.length, 2);
  assert.deepEqual(
    status.provisioned.map((p: { path: string; mode: string }) => [p.path, p.mode]),
    [['node_modules', 'hardlink']],
  );
  assert.deepEqual(status.included, ['.env']);
  assert.match((await runCli(['-C', repo.dir, 'list'], { env })).stdout, /^a .*\(setup failed\)/m);

  // axiom setup re-runs it, showing the commands' output.
  fs.writeFileSync(path.join(wt, 'ready.flag'), '');
  const again = await runCli(['-C', repo.dir, 'setup', 'a'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /installing/);
  assert.match(again.stdout, /Setup of a succeeded/);
  assert.equal(
    JSON.parse((await runCli(['-C', repo.dir, 'status', 'a', '--json'], { env })).stdout).setup.state,
    'succeeded',
  );
});

test('--json: the spawn document on stdout, SetupFailed on stderr; --no-setup skips it', async () => {
  repo = setupRepo();
  const r = await runCli(['-C', repo.dir, 'spawn', 'j', '--json'], { env });
  assert.equal(r.code, 3);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.setup.state, 'failed');
  assert.equal(doc.ports.length, 2);
  const err = JSON.parse(r.stderr).error;
  assert.equal(err.code, 'SetupFailed');
  assert.match(err.details.logTail, /migration 0042 failed/);
  const skipped = await runCli(['-C', repo.dir, 'spawn', 'k', '--no-setup'], { env });
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stdout, /Setup skipped \(--no-setup\): run it with axiom setup k/);
  assert.doesNotMatch(skipped.stdout, /\[1\/2\]/);
});

test('axiom cleanup runs the teardown first; a failing one refuses (exit 3), --force removes anyway', async () => {
  repo = setupRepo();
  await runCli(['-C', repo.dir, 'spawn', 't', '--no-setup'], { env });
  const wt = path.join(repo.parent, 'axiom-t');
  fs.writeFileSync(path.join(wt, 'keep.flag'), '');
  const refused = await runCli(['-C', repo.dir, 'cleanup', 't'], { env });
  assert.equal(refused.code, 3, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /The teardown of t failed \(exit 9/);
  assert.ok(fs.existsSync(wt));
  const forced = await runCli(['-C', repo.dir, 'cleanup', 't', '--force'], { env });
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /Teardown failed \(forced anyway\)/);
  assert.ok(!fs.existsSync(wt));
  assert.ok(
    fs.existsSync(path.join(repo.dir, 'node_modules/x/index.js')),
    "the main worktree's node_modules is untouched",
  );
});

test('an invalid .axiom.json is a usage error (exit 2) that names the line', async () => {
  repo = makeRepo({ 'README.md': '# r\n', '.axiom.json': '{\n  "share": {"node_modules": "copy"}\n}\n' });
  const r = await runCli(['-C', repo.dir, 'spawn', 'x'], { env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\.axiom\.json:2:\d+: share\.node_modules/);
});
