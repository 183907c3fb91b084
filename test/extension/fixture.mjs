// Makes the real git repository the extension-host suite opens as its workspace folder, and prints
// its path. Worktrees of the suite go beside it (../axiom-<id>), inside the same temp dir.
//   node test/extension/fixture.mjs [name]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-ext-')));
const repo = path.join(root, process.argv[2] ?? 'repo');
fs.mkdirSync(path.join(repo, 'src'), { recursive: true });
const git = (...args) => execFileSync('git', ['-C', repo, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
git('init', '-q', '-b', 'main');
git('config', 'user.name', 'Axiom Test');
git('config', 'user.email', 'test@axiom.invalid');
git('config', 'commit.gpgsign', 'false');
fs.writeFileSync(path.join(repo, 'README.md'), '# fixture\n');
fs.writeFileSync(path.join(repo, 'src', 'app.txt'), Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
git('add', '-A');
git('commit', '-q', '-m', 'initial');
console.log(repo);
