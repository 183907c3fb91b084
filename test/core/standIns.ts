/**
 * Stand-in agents and a stand-in evaluator for the exploration tests: small Node scripts written
 * into a folder beside the test repository (outside every worktree).
 *
 * - agent.js <id> <prompt>: in its worktree, writes `solution.txt` (a quality from the member's number,
 *   `-2` writes a broken one) and commits it, like an agent that solved the task its own way.
 * - evaluate.js: prints some output and `AXIOM_SCORE=<quality>` from `solution.txt`; exits 1 when the
 *   solution is broken or missing.
 * - sleepy.js: starts a child that would write `late.txt` after 3 s, then sleeps 30 s (timeouts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const QUALITY: Record<number, number> = { 1: 3, 2: 9, 3: 5, 4: 1, 5: 7 };

const AGENT = `
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const id = process.argv[2] || process.env.AXIOM_INSTANCE_ID;
const n = Number(id.split('-').pop());
const quality = ${JSON.stringify(QUALITY)}[n] ?? n;
fs.writeFileSync('solution.txt', 'task: ' + (process.argv[3] || '') + '\\nquality ' + quality + '\\n' + (n === 2 ? 'broken\\n' : ''));
fs.writeFileSync(id + '.notes.txt', 'notes of ' + id + '\\n');
execFileSync('git', ['add', '-A']);
execFileSync('git', ['-c', 'user.name=Stand-in', '-c', 'user.email=agent@example.com', 'commit', '-q', '-m', 'solution of ' + id]);
`;

const EVALUATOR = `
const fs = require('node:fs');
let text = '';
try { text = fs.readFileSync('solution.txt', 'utf8'); } catch { console.log('no solution.txt'); process.exit(2); }
const m = /quality (\\d+)/.exec(text);
console.log('checking ' + process.env.AXIOM_INSTANCE_ID);
console.log('AXIOM_SCORE=0');
console.error('some diagnostics on stderr');
if (m) console.log('AXIOM_SCORE=' + m[1]);
process.exit(text.includes('broken') ? 1 : 0);
`;

const SLEEPY = `
const { spawn } = require('node:child_process');
spawn(process.execPath, ['-e', "setTimeout(() => require('node:fs').writeFileSync(process.argv[1], 'late'), 3000)", require('node:path').join(process.cwd(), 'late.txt')], { stdio: 'ignore' });
console.log('AXIOM_SCORE=1');
setTimeout(() => {}, 30000);
`;

export interface StandIns {
  dir: string;
  agent: string;
  evaluator: string;
  sleepy: string;
  /** `node <evaluator>` as an evaluation command template. */
  evaluateCommand: string;
  /** `node <agent> {id} {prompt}` as a custom agent command template. */
  agentCommand: string;
}

export function writeStandIns(parent: string): StandIns {
  const dir = path.join(parent, 'stand-ins');
  fs.mkdirSync(dir, { recursive: true });
  const agent = path.join(dir, 'agent.js');
  const evaluator = path.join(dir, 'evaluate.js');
  const sleepy = path.join(dir, 'sleepy.js');
  fs.writeFileSync(agent, AGENT);
  fs.writeFileSync(evaluator, EVALUATOR);
  fs.writeFileSync(sleepy, SLEEPY);
  const q = (p: string): string => JSON.stringify(p);
  return { dir, agent, evaluator, sleepy, evaluateCommand: `node ${q(evaluator)}`, agentCommand: `node ${q(agent)} {id} {prompt}` };
}

/** What the stand-in agent would write for member number n (for tests that play the agent themselves). */
export function solutionOf(n: number, prompt = 'fix it'): Record<string, string> {
  return { 'solution.txt': `task: ${prompt}\nquality ${QUALITY[n] ?? n}\n${n === 2 ? 'broken\n' : ''}` };
}
