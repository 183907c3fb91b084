/**
 * An agent commits in a loop in its worktree while Axiom cleans up, merges or repairs: every commit
 * the agent made (its log of shas) must still be reachable afterwards, and the independent checker
 * must find nothing else lost.
 */
import { afterEach, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AxiomEngine, AxiomError } from '../../src/core';
import { makeRepo, type TempRepo } from './helpers';
import { record, verify } from './invariantChecker';

const AGENT_LOOP = path.join(__dirname, 'invariantAgentLoop.js');
let repo: TempRepo;
afterEach(() => repo?.cleanup());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const logged = (log: string): string[] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

/** Races are found by chance: each scenario runs this many rounds, each with a fresh instance and agent. */
const ROUNDS = 2;

async function whileAgentCommits(operation: (engine: AxiomEngine, id: string) => Promise<unknown>): Promise<void> {
  repo = makeRepo();
  const engine = await AxiomEngine.open(repo.dir);
  for (let round = 1; round <= ROUNDS; round++) {
    const id = `busy${round}`;
    const inst = await engine.spawn(id);
    const before = record(repo.dir);
    const log = path.join(repo.parent, `commits-${round}.log`);
    const agent = spawn(process.execPath, [AGENT_LOOP, inst.path, log], { stdio: 'ignore' });
    const exited = new Promise((r) => agent.on('exit', r));
    let unexpected: unknown = null;
    try {
      for (let waited = 0; logged(log).length < 5; waited += 50) {
        assert.ok(waited < 60_000, 'the agent loop never committed');
        await sleep(50);
      }
      try {
        await operation(engine, id);
      } catch (e) {
        // A refusal is a fine answer; an untyped failure is not (reported after the losses).
        if (!(e instanceof AxiomError) || e.code === 'GitFailed') unexpected = e;
      }
      await sleep(300);
    } finally {
      agent.kill('SIGTERM');
      await exited;
    }
    const commits = logged(log);
    const losses = verify(before, repo.dir, { agentCommits: commits });
    assert.deepEqual(losses, [], `round ${round}, ${commits.length} agent commits; lost:\n${losses.map((l) => `[${l.kind}] ${l.what}`).join('\n')}`);
    if (unexpected) throw unexpected;
  }
}

test('concurrency: an agent committing in a loop loses nothing to a cleanup (refused or not)', () => whileAgentCommits((e, id) => e.cleanup(id)));

test('concurrency: an agent committing in a loop loses nothing to a forced cleanup', () => whileAgentCommits((e, id) => e.cleanup(id, { force: true })));

test('concurrency: an agent committing in a loop loses nothing to a merge, then a cleanup', () =>
  whileAgentCommits(async (e, id) => {
    await e.merge(id, { strategy: 'merge' });
    await e.cleanup(id);
  }));

test('concurrency: an agent committing in a loop loses nothing to a rebase merge', () => whileAgentCommits((e, id) => e.merge(id, { strategy: 'rebase' })));

test('concurrency: an agent committing in a loop loses nothing to repair', () => whileAgentCommits((e) => e.repair()));
