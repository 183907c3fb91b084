// `npm run install-claude`: the real Claude Code CLI from the npm registry into ~/.cache/axiom-worktrees/claude,
// where the optional real-claude tests find it (they skip, saying why, when it is absent). Nothing global changes.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const prefix = path.join(os.homedir(), '.cache', 'axiom-worktrees', 'claude');
mkdirSync(prefix, { recursive: true });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['install', '--prefix', prefix, '--no-audit', '--no-fund', '@anthropic-ai/claude-code'], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`Could not install @anthropic-ai/claude-code into ${prefix} (npm exited ${r.status}).`);
  process.exit(1);
}
const bin = path.join(prefix, 'node_modules', '.bin', 'claude');
const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
console.log(v.status === 0 ? `Installed ${v.stdout.trim()} at ${bin}` : `Installed at ${bin}, but "claude --version" failed: ${v.stderr}`);
