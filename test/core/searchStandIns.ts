/**
 * Fixtures of the search tests: a record to start from, and stand-ins of a search's tests (issue 18): a repository "has" TESTS failing tests; `tests.js` prints
 * AXIOM_FEEDBACK=failing: t<k> for each failing one and AXIOM_SCORE=<passing>, exits 0 when all
 * pass; `fixer.js {prompt} {id}` fixes the first failing test its prompt's feedback names, one per attempt.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SearchRecord } from '../../src/core/search/searchRecord';
import { AxiomEngine } from '../../src/core';
import { headlessLauncher } from '../../src/agents/raceLauncher';
import { engineSearchSlots } from '../../src/core/search/searchEngine';
import { makeRepo } from './helpers';

export const TESTS = 4;

export interface SearchStandInOptions {
  /** The agent waits this long before it works (ms). */
  agentDelayMs?: number;
  /** Every k-th attempt (by instance number) breaks a passing test instead of fixing one. */
  breakEvery?: number;
  /** How many tests the evaluation runs (default TESTS). */
  tests?: number;
  /** While this file exists, the attempts from node `from` on wait before they work: a test holds an attempt at work for as long as it needs, whatever the machine's speed. */
  hold?: { file: string; from: number };
  /** While this file exists, an attempt that starts writes a file and never ends (until it is stopped). */
  slow?: string;
  /** The node that runs the stand-ins (default `node` on the PATH; a VS Code test passes its own). */
  node?: string;
}

/**
 * The stand-ins of a search: `node fixer.js {prompt} {id}` and `node tests.js` (see SearchStandInOptions).
 */
export function writeSearchStandIns(parent: string, options: SearchStandInOptions = {}): { agentCommand: string; evaluateCommand: string } {
  const { agentDelayMs = 0, breakEvery = 0, tests = TESTS, hold, slow, node = 'node' } = options;
  const dir = path.join(parent, 'search-stand-ins');
  fs.mkdirSync(dir, { recursive: true });
  // Fixes the first failing test its feedback names (one per attempt), and commits.
  fs.writeFileSync(
    path.join(dir, 'fixer.js'),
    `const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const n = Number(/-n(\\d+)$/.exec(process.argv[3] || '')?.[1] ?? 0);
const hold = ${JSON.stringify(hold?.file ?? '')};
const work = () => {
  if (${breakEvery} > 0 && n % ${breakEvery} === 0) {
    const fixes = fs.readFileSync('impl.txt', 'utf8').split('\\n').filter(Boolean);
    if (fixes.length === 0) return;
    fs.writeFileSync('impl.txt', fixes.slice(1).map((l) => l + '\\n').join(''));
  } else {
    const m = /failing: (t\\d+)/.exec(process.argv[2] || '');
    if (!m) return;
    fs.appendFileSync('impl.txt', 'fix ' + m[1] + '\\n');
  }
  execFileSync('git', ['add', 'impl.txt']);
  execFileSync('git', ['-c', 'user.name=Stand-in', '-c', 'user.email=agent@example.com', 'commit', '-q', '-m', 'attempt ' + n]);
};
const start = () => setTimeout(work, ${agentDelayMs});
const slow = ${JSON.stringify(slow ?? '')};
if (slow && fs.existsSync(slow)) {
  fs.writeFileSync('wip.txt', 'x');
  setTimeout(() => {}, 600000);
} else if (hold && n >= ${hold?.from ?? 0}) {
  const waiting = setInterval(() => {
    if (fs.existsSync(hold)) return;
    clearInterval(waiting);
    start();
  }, 50);
} else start();
`,
  );
  fs.writeFileSync(
    path.join(dir, 'tests.js'),
    `const fs = require('node:fs');
const impl = fs.existsSync('impl.txt') ? fs.readFileSync('impl.txt', 'utf8') : '';
let passing = 0;
for (let k = 1; k <= ${tests}; k++) {
  if (impl.includes('fix t' + k + '\\n')) passing++;
  else console.log('AXIOM_FEEDBACK=failing: t' + k);
}
console.log('AXIOM_SCORE=' + passing);
process.exit(passing === ${tests} ? 0 : 1);
`,
  );
  return { agentCommand: `${node} ${JSON.stringify(path.join(dir, 'fixer.js'))} {prompt} {id}`, evaluateCommand: `${node} ${JSON.stringify(path.join(dir, 'tests.js'))}` };
}

/** A search record with only its root, for tests that build the rest by hand. */
export function recordFor(name: string, baseSha: string, extra: Partial<SearchRecord> = {}): SearchRecord {
  const at = new Date().toISOString();
  return {
    version: 1,
    name,
    task: 'make the tests pass',
    template: '{task}\n{feedback}',
    base: 'main',
    baseSha,
    createdAt: at,
    evaluate: { command: 'node t.js', score: 'higher', timeoutSec: 60 },
    agents: ['custom'],
    agentCommand: 'node agent.js {prompt}',
    width: 2,
    parallel: 2,
    budget: { attempts: 10, minutes: null, targetScore: null, patience: null },
    select: 'uct',
    exploration: 1.4,
    state: 'running',
    driver: null,
    nodes: [{ id: 0, parent: null, round: 0, agent: null, prompt: null, instance: null, commit: baseSha, result: null, state: 'pending', createdAt: at }],
    ...extra,
  };
}


/** What most search tests start from: a repository of the stand-ins' project, its stand-ins, an engine and the slots of a headless launcher. */
export async function searchRepo(options: SearchStandInOptions = {}): Promise<{ repo: ReturnType<typeof makeRepo>; s: { agentCommand: string; evaluateCommand: string }; engine: AxiomEngine; slots: ReturnType<typeof engineSearchSlots> }> {
  const repo = makeRepo({ 'README.md': '# search\n', 'impl.txt': '' });
  const s = writeSearchStandIns(repo.parent, options);
  const engine = await AxiomEngine.open(repo.dir);
  return { repo, s, engine, slots: engineSearchSlots(engine, headlessLauncher({ cwd: repo.dir, hookScript: null })) };
}
