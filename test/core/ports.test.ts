import { after, afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { git, makeRepo, runCli, type TempRepo } from './helpers';

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-state-'));
after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

test('20 concurrent spawns from 20 processes in two repositories get 20 disjoint port blocks; cleanup releases them', async () => {
  for (let i = 0; i < 2; i++) {
    const r = makeRepo({
      'README.md': '# r\n',
      '.axiom.json': JSON.stringify({ ports: 3, portRange: '46000-46999' }),
    });
    git(r.dir, 'config', 'axiom.maxInstances', '20');
    repos.push(r);
  }
  const env = { AXIOM_STATE_DIR: stateDir };
  const jobs = Array.from({ length: 20 }, (_, i) => ({ repo: repos[i % 2]!, id: `p${i}` }));
  const results = await Promise.all(
    jobs.map((j) => runCli(['-C', j.repo.dir, 'spawn', j.id, '--json'], { env })),
  );
  const blocks: number[][] = [];
  for (const r of results) {
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ports.length, 3);
    assert.deepEqual(doc.ports, [doc.ports[0], doc.ports[0] + 1, doc.ports[0] + 2], 'a block is consecutive');
    blocks.push(doc.ports);
  }
  const all = blocks.flat();
  assert.equal(new Set(all).size, 60, `overlapping blocks: ${JSON.stringify(blocks)}`);
  // Recorded in each instance's metadata and in status.
  const status = JSON.parse((await runCli(['-C', repos[0]!.dir, 'status', 'p0', '--json'], { env })).stdout);
  assert.deepEqual(status.ports, blocks[0]);
  const registry = JSON.parse(fs.readFileSync(path.join(stateDir, 'ports.json'), 'utf8'));
  assert.equal(registry.leases.length, 20);

  const cleanups = await Promise.all(jobs.map((j) => runCli(['-C', j.repo.dir, 'cleanup', j.id], { env })));
  for (const c of cleanups) assert.equal(c.code, 0, c.stderr);
  assert.equal(JSON.parse(fs.readFileSync(path.join(stateDir, 'ports.json'), 'utf8')).leases.length, 0);
});

test('a lease whose instance is gone (folder deleted and pruned by hand) is reclaimed by the next spawn', async () => {
  const r = makeRepo({
    'README.md': '# r\n',
    '.axiom.json': JSON.stringify({ ports: 1, portRange: '46500-46500' }),
  });
  repos.push(r);
  const env = { AXIOM_STATE_DIR: stateDir };
  const first = JSON.parse((await runCli(['-C', r.dir, 'spawn', 'gone', '--json'], { env })).stdout);
  assert.deepEqual(first.ports, [46500]);
  const refused = await runCli(['-C', r.dir, 'spawn', 'second'], { env });
  assert.equal(refused.code, 3, 'the one-port range is taken');
  assert.match(refused.stderr, /No block of 1 free ports is left in 46500-46500/);
  fs.rmSync(first.path, { recursive: true, force: true });
  git(r.dir, 'worktree', 'prune');
  const again = await runCli(['-C', r.dir, 'spawn', 'second', '--json'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout).ports, [46500]);
});
