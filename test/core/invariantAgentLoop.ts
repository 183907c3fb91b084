/**
 * A stand-in for a busy agent (used by invariantConcurrency.test.ts): commits a new file in a loop
 * in the worktree it was started in and appends each commit's sha to a log. Like a real agent, it
 * stays in its working directory even if that folder is renamed; it stops when the folder is gone.
 *
 *   node invariantAgentLoop.js <worktree> <log file>
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

const [worktree, log] = process.argv.slice(2) as [string, string];
process.chdir(worktree);
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_AUTHOR_NAME: 'Busy Agent',
  GIT_AUTHOR_EMAIL: 'agent@example.com',
  GIT_COMMITTER_NAME: 'Busy Agent',
  GIT_COMMITTER_EMAIL: 'agent@example.com',
  LC_ALL: 'C',
};

for (let i = 1; ; i++) {
  try {
    fs.mkdirSync('loop', { recursive: true });
    fs.writeFileSync(`loop/f${i}.txt`, `busy agent commit ${i}\n`);
  } catch {
    process.exit(0); // the folder is gone
  }
  try {
    // No cwd: git starts in this process's working directory, wherever the folder now is.
    execFileSync('git', ['add', `loop/f${i}.txt`], { env, stdio: 'ignore' });
    const out = execFileSync('git', ['commit', '--no-verify', '-m', `busy ${i}`], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const short = /^\[.* ([0-9a-f]{7,40})\]/m.exec(out)?.[1];
    if (short) fs.appendFileSync(log, execFileSync('git', ['rev-parse', `${short}^{commit}`], { env, encoding: 'utf8' }));
  } catch {
    /* a lock held by Axiom or a worktree being removed: try again */
  }
}
