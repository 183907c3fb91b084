/**
 * A stand-in GitHub CLI for the publish tests (no network): a Node script named `gh`, first on a
 * PATH built for the test, that appends each argv as one JSON line to `GH_STANDIN_LOG`.
 * - `gh auth status …` exits 0, or 1 when `GH_STANDIN_AUTH=fail`;
 * - `gh pr create …` prints a pull request URL (`GH_STANDIN_URL`), or fails when `GH_STANDIN_CREATE=fail`;
 * - `gh pr view <url> --json …` prints `{state, url, isDraft}`: `GH_STANDIN_PR_STATE` (default OPEN),
 *   `GH_STANDIN_PR_DRAFT=1` for a draft, the url as given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASIC_PROGRAMS, pathWithOnly } from './programPath';

const GH = `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.GH_STANDIN_LOG, JSON.stringify({ args, cwd: process.cwd() }) + '\\n');
if (args[0] === 'auth' && args[1] === 'status') {
  if (process.env.GH_STANDIN_AUTH === 'fail') { console.error('You are not logged into any GitHub hosts. To log in, run: gh auth login'); process.exit(1); }
  console.log('Logged in to github.com account stand-in');
  process.exit(0);
}
if (args[0] === 'pr' && args[1] === 'create') {
  if (process.env.GH_STANDIN_CREATE === 'fail') { console.error('pull request create failed: GraphQL: No commits between main and x'); process.exit(1); }
  console.log('Creating pull request for ' + args[args.indexOf('--head') + 1]);
  console.log(process.env.GH_STANDIN_URL || 'https://github.com/acme/widgets/pull/7');
  process.exit(0);
}
if (args[0] === 'pr' && args[1] === 'view') {
  console.log(JSON.stringify({ state: process.env.GH_STANDIN_PR_STATE || 'OPEN', url: args[2], isDraft: process.env.GH_STANDIN_PR_DRAFT === '1' }));
  process.exit(0);
}
console.error('stand-in gh: unknown command ' + args.join(' '));
process.exit(2);
`;

export interface GhStandIn {
  /** The environment to publish with: PATH with the stand-in first, and its log. */
  env: Record<string, string>;
  /** Each call's argv, in order. */
  calls(): string[][];
}

/** Writes the stand-in into `parent/gh-bin` (outside every worktree); `withGh: false` builds the PATH without it. */
export function ghStandIn(parent: string, extra: Record<string, string> = {}, withGh = true): GhStandIn {
  const dir = path.join(parent, 'gh-bin');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'gh'), GH, { mode: 0o755 });
  const log = path.join(parent, `gh-calls-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  return {
    env: { PATH: pathWithOnly(BASIC_PROGRAMS, withGh ? [dir] : []), GH_STANDIN_LOG: log, ...extra },
    calls: () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { args: string[] }).args)
        : [],
  };
}
