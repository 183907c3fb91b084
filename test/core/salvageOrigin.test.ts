import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AxiomEngine } from '../../src/core';
import { git, makeRepo, writeFile, type TempRepo } from './helpers';

let repo: TempRepo;
afterEach(() => repo?.cleanup());

test('a salvage keeps the agent and prompt (multi-line too), a restore gives them back, and dropSalvage deletes the ref', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const prompt = 'Fix the flaky test\nand say why: "it races"';
  const inst = await engine.spawn('keep', { agent: 'codex', prompt });
  writeFile(inst.path, 'notes.txt', 'draft\n');
  const r = await engine.cleanup('keep', { force: true });

  const [salvage] = await engine.listSalvage();
  assert.equal(salvage!.agent, 'codex');
  assert.equal(salvage!.prompt, prompt);

  const restored = await engine.restore(r.salvageRef!);
  assert.equal(restored.metadata.agent, 'codex');
  assert.equal(restored.metadata.prompt, prompt);

  const dropped = await engine.dropSalvage(r.salvageRef!);
  assert.equal(dropped.ref, r.salvageRef);
  assert.equal(git(repo.dir, 'for-each-ref', 'refs/axiom/salvage').trim(), '');
  assert.deepEqual(await engine.listSalvage(), []);
});

test('a salvage of an instance without agent or prompt lists them as null', async () => {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  const inst = await engine.spawn('plain');
  writeFile(inst.path, 'x.txt', 'x\n');
  await engine.cleanup('plain', { force: true });
  const [salvage] = await engine.listSalvage();
  assert.equal(salvage!.agent, null);
  assert.equal(salvage!.prompt, null);
});
