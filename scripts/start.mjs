// `npm start`: build, make sure code-server is installed (npm registry, cached), open the demo
// repository in a fresh VS Code profile with the extension installed, print the URL. Ctrl-C stops it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot, ensureCodeServer, startCodeServer } from './vscode-env.mjs';
import { ensureDemoRepo } from './demo-repo.mjs';

const root = path.resolve(import.meta.dirname, '..');
const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`PORT must be a port number (got ${JSON.stringify(process.env.PORT)}).`);
  process.exit(2);
}

console.log('Building the extension …');
execFileSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
await ensureCodeServer();

const demoParent = path.join(cacheRoot(), 'demo');
fs.mkdirSync(demoParent, { recursive: true });
const demo = ensureDemoRepo(demoParent, path.join(root, 'dist', 'cli.js'));
console.log(`${demo.created ? 'Created' : 'Reusing'} the demo repository ${demo.dir}`);

// The extension is this folder, linked into a fresh extensions dir (code-server has no --extensionDevelopmentPath).
const { name, publisher, version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const extensionsDir = fs.mkdtempSync(path.join(cacheRoot(), 'start-extensions-'));
fs.symlinkSync(root, path.join(extensionsDir, `${publisher}.${name}-${version}`), 'dir');

const server = await startCodeServer({ port, folder: demo.dir, extensionsDir, settings: { 'workbench.activityBar.location': 'default' } });
console.log(`\nAxiom Worktrees is running: open ${server.url}/?folder=${encodeURIComponent(demo.dir)}\nPress Ctrl-C to stop.\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping code-server …');
  await server.stop();
  fs.rmSync(extensionsDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
