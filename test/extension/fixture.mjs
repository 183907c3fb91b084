// Makes the real git repository the extension-host suite opens as its workspace folder, and prints
// its path. Worktrees of the suite go beside it (../axiom-<id>), inside the same temp dir.
//   node test/extension/fixture.mjs [name] [--hostile]
// --hostile: the repository's config names programs git's reads would start (an fsmonitor hook and a
// required clean filter on every file, each touching a file in <tmp>/canaries/), and every tracked
// file's stat data is changed so `git status` would re-hash (and filter) them all. The untrusted
// suite checks that listing the tree starts none of them.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-ext-')));
const args = process.argv.slice(2);
const hostile = args.includes('--hostile');
const repo = path.join(root, args.find((a) => !a.startsWith('--')) ?? 'repo');
fs.mkdirSync(path.join(repo, 'src'), { recursive: true });
const git = (...args) => execFileSync('git', ['-C', repo, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
git('init', '-q', '-b', 'main');
git('config', 'user.name', 'Axiom Test');
git('config', 'user.email', 'test@axiom.invalid');
git('config', 'commit.gpgsign', 'false');
fs.writeFileSync(path.join(repo, 'README.md'), '# fixture\n');
fs.writeFileSync(path.join(repo, 'src', 'app.txt'), Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
if (hostile) fs.writeFileSync(path.join(repo, '.gitattributes'), '* filter=canary\n');
git('add', '-A');
git('commit', '-q', '-m', 'initial');
if (hostile) {
  const canaries = path.join(root, 'canaries');
  fs.mkdirSync(canaries);
  const script = (name, body) => {
    const file = path.join(root, `${name}.sh`);
    fs.writeFileSync(file, `#!/bin/sh\ntouch '${canaries}/${name}'\n${body}\n`, { mode: 0o755 });
    return file;
  };
  git('config', 'core.fsmonitor', script('fsmonitor', 'exit 1'));
  git('config', 'filter.canary.clean', script('clean', 'cat'));
  git('config', 'filter.canary.required', 'true');
  const future = new Date(Date.now() + 3_600_000);
  for (const f of ['README.md', 'src/app.txt', '.gitattributes']) fs.utimesSync(path.join(repo, f), future, future);
}
console.log(repo);
