// `npm run test:electron`: the extension-host suite in a desktop VS Code via @vscode/test-electron,
// for machines with a display (or xvfb) and internet (or an installed VS Code). Not part of `npm test`,
// which runs the same compiled suite in code-server (scripts/run-extension-tests.mjs).
//
//   node scripts/test-electron.mjs [--version <stable|insiders|1.x.y>] [--code <VS Code executable>] [--only trusted|untrusted]
//
// Two runs like `npm test`: a trusted fixture repository, then an untrusted one (runTests always passes
// --disable-workspace-trust, so that run starts the same executable itself without it).
// AXIOM_VSCODE_EXECUTABLE may name the executable instead of --code. The suite must be compiled:
// the npm script builds dist/ and out/ first.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { version: { type: 'string', default: 'stable' }, code: { type: 'string' }, only: { type: 'string' } },
});
const extensionTestsPath = path.join(root, 'out', 'test', 'extension', 'index.js');
for (const needed of [extensionTestsPath, path.join(root, 'dist', 'extension.js')]) {
  if (!fs.existsSync(needed)) fail(`${path.relative(root, needed)} is missing: run \`npm run build && npm run compile-tests\` first (npm run test:electron does).`);
}

function fail(message) {
  console.error(`test:electron: ${message}`);
  process.exit(2);
}

function fixture(...args) {
  const r = spawnSync(process.execPath, [path.join(root, 'test/extension/fixture.mjs'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) fail(`could not make the fixture repository: ${r.stderr}`);
  return r.stdout.trim();
}

/** The VS Code to run: --code / AXIOM_VSCODE_EXECUTABLE, else a download (cached in .vscode-test/). */
async function executable() {
  const given = values.code ?? process.env.AXIOM_VSCODE_EXECUTABLE;
  if (given) {
    if (!fs.existsSync(given)) fail(`no VS Code executable at ${given}.`);
    return given;
  }
  try {
    return await downloadAndUnzipVSCode({ version: values.version, cachePath: path.join(root, '.vscode-test') });
  } catch (e) {
    fail(
      `could not download VS Code ${values.version} (${e instanceof Error ? e.message : String(e)}).\n` +
        'This needs internet access to update.code.visualstudio.com, or an installed VS Code: pass --code <path to the executable> or set AXIOM_VSCODE_EXECUTABLE.\n' +
        'Offline, `npm test` runs the same suite in code-server (scripts/run-extension-tests.mjs).',
    );
  }
}

/** An untrusted workspace: runTests always disables trust, so start the executable with the same arguments minus that. */
function runUntrusted(vscodeExecutablePath, folder) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-electron-'));
  const args = [
    folder,
    '--no-sandbox',
    '--disable-gpu-sandbox',
    '--disable-updates',
    '--skip-welcome',
    '--skip-release-notes',
    '--disable-extensions',
    `--extensionDevelopmentPath=${root}`,
    `--extensionTestsPath=${extensionTestsPath}`,
    `--user-data-dir=${path.join(profile, 'user-data')}`,
    `--extensions-dir=${path.join(profile, 'extensions')}`,
  ];
  return new Promise((resolve) => {
    const child = spawn(vscodeExecutablePath, args, { stdio: 'inherit' });
    child.on('error', (e) => (console.error(`test:electron: ${e.message}`), resolve(1)));
    child.on('exit', (code) => {
      fs.rmSync(profile, { recursive: true, force: true });
      resolve(code ?? 1);
    });
  });
}

const vscodeExecutablePath = await executable();
const results = [];
if (values.only !== 'untrusted') {
  const folder = fixture();
  try {
    await runTests({ vscodeExecutablePath, extensionDevelopmentPath: root, extensionTestsPath, launchArgs: [folder, '--disable-extensions'] });
    results.push(['trusted', 0]);
  } catch (e) {
    results.push(['trusted', e?.code ?? 1]);
  } finally {
    fs.rmSync(path.dirname(folder), { recursive: true, force: true });
  }
}
if (values.only !== 'trusted') {
  const folder = fixture('repo', '--hostile');
  try {
    results.push(['untrusted', await runUntrusted(vscodeExecutablePath, folder)]);
  } finally {
    fs.rmSync(path.dirname(folder), { recursive: true, force: true });
  }
}
for (const [name, code] of results) console.log(`test:electron ${name}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`}`);
process.exitCode = results.every(([, code]) => code === 0) ? 0 : 1;
