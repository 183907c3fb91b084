// A small demo repository with a few commits and three instances in different states, made with
// the real CLI. Reused when it already exists, so a user's own changes to it survive restarts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function write(dir, rel, content) {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), content);
}

function commit(dir, message, files) {
  for (const [rel, content] of Object.entries(files)) write(dir, rel, content);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
}

/** Creates (or reuses) `<parent>/demo-app`; instances land beside it as `<parent>/axiom-<id>`. */
export function ensureDemoRepo(parent, cliPath) {
  const dir = path.join(parent, 'demo-app');
  if (fs.existsSync(path.join(dir, '.git'))) return { dir, created: false };
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Axiom Demo');
  git(dir, 'config', 'user.email', 'demo@axiom.invalid');
  git(dir, 'config', 'commit.gpgsign', 'false');
  commit(dir, 'Initial commit', {
    'README.md': '# demo-app\n\nA tiny app to try Axiom Worktrees on.\n',
    'src/math.js': 'export function add(a, b) {\n  return a + b;\n}\n',
    'src/greet.js': "export function greet(name) {\n  return 'Hello ' + name;\n}\n",
  });
  commit(dir, 'Add tests', { 'test/math.test.js': "import { add } from '../src/math.js';\nconsole.assert(add(1, 2) === 3);\n" });
  commit(dir, 'Document the API', { 'docs/api.md': '# API\n\n- `add(a, b)`\n- `greet(name)`\n' });

  const cli = (...args) => execFileSync(process.execPath, [cliPath, '-C', dir, ...args], { encoding: 'utf8' });
  // fix-greeting: one commit ahead of main, ready to merge.
  cli('spawn', 'fix-greeting', '--agent', 'claude', '--prompt', 'Make greet() use a template string');
  commit(path.join(parent, 'axiom-fix-greeting'), 'Use a template string in greet()', {
    'src/greet.js': 'export function greet(name) {\n  return `Hello, ${name}!`;\n}\n',
  });
  // add-subtract: the agent is still working — uncommitted and untracked files.
  cli('spawn', 'add-subtract', '--agent', 'claude', '--prompt', 'Add subtract() with a test');
  const wip = path.join(parent, 'axiom-add-subtract');
  write(wip, 'src/math.js', 'export function add(a, b) {\n  return a + b;\n}\n\nexport function subtract(a, b) {\n  return a - b;\n}\n');
  write(wip, 'test/subtract.test.js', "import { subtract } from '../src/math.js';\nconsole.assert(subtract(3, 2) === 1);\n");
  // docs-refresh: conflicts with main once main moves.
  cli('spawn', 'docs-refresh', '--agent', 'codex', '--prompt', 'Rewrite the API docs');
  commit(path.join(parent, 'axiom-docs-refresh'), 'Rewrite API docs', { 'docs/api.md': '# API reference\n\nadd, greet\n' });
  commit(dir, 'Docs: mention subtract', { 'docs/api.md': '# API\n\n- `add(a, b)`\n- `greet(name)`\n- `subtract(a, b)` (soon)\n' });
  return { dir, created: true };
}
