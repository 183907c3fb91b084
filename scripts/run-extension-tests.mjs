// Mocha inside a real VS Code extension host, offline: code-server + headless Chromium (see E2E.md).
//
//   node scripts/run-extension-tests.mjs --extension <abs dir> --tests <abs compiled index.js>
//        [--folder <abs folder to open>] [--trust] [--grep <pattern>] [--timeout <seconds>]
//
// The test index must log `AXIOM-MOCHA-RESULT {"passed":N,"failed":M}` before settling
// (see test/e2e/support/mocha-index.example.js). The last line printed is always
//   EXTENSION-TESTS: <passed> passed, <failed> failed
// and the exit code is the one VS Code reported (non-zero on any failure, timeout or crash).
//
// Environment: AXIOM_EXTENSION_TESTS_TIMEOUT_S (default 1500; counted after the one-time install),
// AXIOM_E2E_VERBOSE=1 (also print the workbench's own console), AXIOM_KEEP_RUN_DIR=1 (keep the
// user-data-dir and code-server.log), AXIOM_ARTIFACTS_DIR (where a failure screenshot goes; default tmp).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureCodeServer, launchBrowser, startCodeServer } from './vscode-env.mjs';

const RESULT_RE = /AXIOM-MOCHA-RESULT (\{.*\})/;
const verbose = process.env.AXIOM_E2E_VERBOSE === '1';
const log = (line) => console.log(`[run-extension-tests] ${line}`);

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({ options: cliOptions() }));
  } catch (err) {
    fail(`${err.message}\n${USAGE}`);
  }
  for (const key of ['extension', 'tests']) {
    if (!values[key]) fail(USAGE);
    if (!path.isAbsolute(values[key]) || !fs.existsSync(values[key])) fail(`--${key} must be an existing absolute path: ${values[key]}`);
  }
  if (values.folder && (!path.isAbsolute(values.folder) || !fs.existsSync(values.folder))) fail(`--folder must be an existing absolute path: ${values.folder}`);
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) fail(`--timeout must be a number of seconds: ${values.timeout}`);
  return { ...values, timeoutMs };
}

const USAGE = 'usage: run-extension-tests.mjs --extension <abs dir> --tests <abs index.js> [--folder <abs dir>] [--trust] [--grep <re>] [--timeout <s>]';

function cliOptions() {
  return {
    extension: { type: 'string' },
    tests: { type: 'string' },
    folder: { type: 'string' },
    trust: { type: 'boolean', default: false },
    grep: { type: 'string' },
    timeout: { type: 'string', default: process.env.AXIOM_EXTENSION_TESTS_TIMEOUT_S ?? '1500' },
  };
}

function fail(message) {
  console.error(message);
  console.log('EXTENSION-TESTS: 0 passed, 1 failed');
  process.exit(2);
}

/** The URL that makes the workbench load the extension from source and run its tests (E2E.md). */
function testUrl(port, { extension, tests, folder }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p.split('/').map(encodeURIComponent).join('/')}`;
  const payload = [['extensionDevelopmentPath', remote(extension)], ['extensionTestsPath', remote(tests)]];
  return `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * printf-style console arguments, as the browser would print them: %s %d %i %f %o %O %j substitute,
 * %c consumes a CSS argument and prints nothing, leftover arguments follow separated by spaces.
 */
export function formatConsoleArgs(args) {
  if (args.length === 0) return '';
  const text = (v) => (typeof v === 'string' ? v : v === undefined ? 'undefined' : JSON.stringify(v));
  if (typeof args[0] !== 'string') return args.map(text).join(' ');
  const rest = args.slice(1);
  const first = args[0].replace(/%[csdifoOj%]/g, (spec) => {
    if (spec === '%%') return '%';
    if (rest.length === 0) return spec;
    const value = rest.shift();
    return spec === '%c' ? '' : text(value);
  });
  return [first, ...rest.map(text)].join(' ');
}

/**
 * While tests run from the command line, VS Code sends the extension host's console to the
 * workbench log service, so it reaches the page console as the log service's own lines do:
 * ('%c INFO', 'color: #33f', <the extension host's console arguments…>). There is no label to
 * tell the two apart, so: drop the level prefix, format the rest, and filter the workbench's
 * known offline noise. Messages without a level prefix are the browser's own (404s, duplicates).
 */
const LEVEL_PREFIX = /^%c\s*(TRACE|DEBUG|INFO|WARN|ERR)$/;
const WORKBENCH_NOISE = [
  /^Creating a socket \(/, /^Resolv(ing|ed) connection token/, /^\[reconnection-grace-time\]/,
  /^Updating additional builtin extensions cache/, /^\[Service Worker\]/, /^\[AgentHost/,
  /^\[AccountPolicyGate\]/, /^Creation of workbench contribution/, /^Started local extension host/,
  /^\[(DefaultAccount|ChatModelSelection)\]/,
  /^\{"name":"\w*"\}$/, // an Error that crossed the wire without message or stack
  /^[^\n]*\n\s+at [^\n]*\/vs\/code\/browser\/workbench\//, // thrown in the page itself (e.g. "Canceled" at shutdown)
];
// Offline network failures (marketplace, vsda, GitHub sign-in): hidden only as WARN/ERR, never in test output (INFO).
const OFFLINE_NOISE = /open-vsx\.org|ENOTFOUND|ERR_NAME_NOT_RESOLVED|vsda|github-authentication|GitHub/i;

/** @returns {{level: string|null, text: string}} */
export function classifyConsole(args) {
  const m = typeof args[0] === 'string' ? LEVEL_PREFIX.exec(args[0]) : null;
  if (!m) return { level: null, text: formatConsoleArgs(args) };
  return { level: m[1], text: formatConsoleArgs(args.slice(2)) }; // skip the prefix and its CSS
}

export function isWorkbenchNoise(text, level = 'INFO') {
  return WORKBENCH_NOISE.some((re) => re.test(text)) || ((level === 'WARN' || level === 'ERR') && OFFLINE_NOISE.test(text));
}

/** Errors become their stack (jsonValue() would give `{}`); everything else its JSON value. */
async function argValue(handle) {
  try {
    return await handle.evaluate((v) => (v instanceof Error ? v.stack || String(v) : v));
  } catch {
    return '<unserializable>';
  }
}

/** Forward console messages in order (argument values arrive asynchronously, so queue them). */
function forwardConsole(page, onMessage) {
  let queue = Promise.resolve();
  page.on('console', (msg) => {
    const handles = msg.args();
    const at = Date.now();
    queue = queue.then(async () => {
      const args = await Promise.all(handles.map(argValue));
      onMessage(args.length ? classifyConsole(args) : { level: null, text: msg.text() }, msg.type(), at);
    });
  });
  return () => queue;
}

async function main() {
  const opts = parseCli();
  const t = { start: Date.now() };
  const lap = (name) => { t[name] = Date.now(); };
  const run = { server: null, browser: null, tempDir: null, result: null, settle: null, interrupted: null };
  const cleanup = async () => {
    await run.browser?.close().catch(() => {});
    await run.server?.stop().catch(() => {});
    if (run.tempDir) fs.rmSync(run.tempDir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      log(`${sig}: stopping`);
      run.interrupted = sig;
      if (run.settle) return run.settle({ kind: 'error', message: `interrupted by ${sig}` }); // main cleans up
      await cleanup(); // still installing or starting
      console.log('EXTENSION-TESTS: 0 passed, 1 failed');
      process.exit(130);
    });
  }

  let exitCode = 1;
  try {
    // The one-time install (minutes on a fresh machine, with its own progress lines) is not
    // counted against the timeout; everything after it is.
    await ensureCodeServer({ log });
    lap('installed');
    const outcome = await runTests(opts, run, lap, t);
    exitCode = interpret(outcome, run);
  } catch (err) {
    log(`FAILED: ${err.stack || err.message}`);
  } finally {
    await cleanup();
  }

  log(`timings: install check ${secs(t.start, t.installed)}, server start ${secs(t.installed, t.serverUp)}, ` +
    `browser ${secs(t.serverUp, t.browserUp)}, workbench load ${secs(t.browserUp, t.workbench)}, ` +
    `extension host + tests ${secs(t.workbench, t.reported)}, shutdown ${secs(t.reported, t.finished)}, total ${secs(t.start, Date.now())}`);
  if (run.interrupted) exitCode = 130;
  const r = run.result ?? { passed: 0, failed: 1 };
  if (exitCode !== 0 && r.failed === 0) r.failed = 1; // failed after reporting (or reported nothing): count it
  console.log(`EXTENSION-TESTS: ${r.passed} passed, ${r.failed} failed`);
  process.exit(exitCode);
}

/** Server, browser, test URL; resolves with how the run ended: {kind:'exit', code} or {kind:'error', message}. */
async function runTests(opts, run, lap, t) {
  let settle;
  const done = new Promise((resolve) => { settle = resolve; });
  run.settle = settle;
  const timer = setTimeout(
    () => settle({ kind: 'error', message: `timed out after ${opts.timeoutMs / 1000}s (--timeout / AXIOM_EXTENSION_TESTS_TIMEOUT_S)` }),
    opts.timeoutMs,
  );
  try {
    // Without --folder, open an empty folder of our own rather than anything a test could damage.
    let folder = opts.folder;
    if (!folder) {
      run.tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-ext-tests-'));
      folder = path.join(run.tempDir, 'workspace');
      fs.mkdirSync(folder);
    }
    run.server = await startCodeServer({ folder, trust: opts.trust, testDriver: true, log, env: opts.grep ? { AXIOM_MOCHA_GREP: opts.grep } : {} });
    lap('serverUp');
    run.browser = await launchBrowser();
    lap('browserUp');
    const { page } = run.browser;

    // The workbench calls this when the test index's run() settles (needs enable-smoke-test-driver).
    await page.exposeFunction('codeAutomationExit', (code) => settle({ kind: 'exit', code: Number(code) }));
    page.on('crash', () => settle({ kind: 'error', message: 'the browser page crashed' }));
    page.on('close', () => settle({ kind: 'error', message: 'the browser page closed' }));
    page.on('pageerror', (err) => verbose && log(`page error: ${err.message}`));
    const drain = forwardConsole(page, ({ level, text }, type, at) => {
      const m = RESULT_RE.exec(text);
      if (m) { run.result = parseResult(m[1]); t.reported = at; }
      else if (level && !isWorkbenchNoise(text, level)) console.log(level === 'INFO' ? text : `[${level}] ${text}`);
      else if (verbose) console.log(`[workbench ${level ?? type}] ${text}`);
    });

    // Not awaited on their own: a hung page must still end at the deadline.
    page.goto(testUrl(run.server.port, { ...opts, folder }), { waitUntil: 'commit', timeout: 0 })
      .catch((err) => settle({ kind: 'error', message: `could not open the workbench: ${err.message}` }));
    page.waitForSelector('.monaco-workbench', { timeout: 0 })
      .then(() => { lap('workbench'); log(`workbench loaded in ${secs(t.browserUp, t.workbench)}`); }, () => {});

    const outcome = await done;
    lap('finished');
    await drain();
    if (outcome.kind === 'error') {
      log(`FAILED: ${outcome.message}`);
      if (run.interrupted) return outcome;
      await screenshot(page);
      const tail = run.server.logTail(40).split('\n').filter((l) => l.trim()).join('\n');
      log(`code-server log (last lines):\n${tail}`);
    }
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

/** The exit code for how the run ended; a clean exit without a reported result is a failure. */
function interpret(outcome, run) {
  if (outcome.kind === 'error') return 1; // already explained by runTests
  if (!run.result) {
    log(`VS Code exited with ${outcome.code} but the test index never logged AXIOM-MOCHA-RESULT (see test/e2e/support/mocha-index.example.js)`);
    return outcome.code || 1;
  }
  return run.result.failed > 0 ? outcome.code || 1 : outcome.code;
}

function parseResult(json) {
  try {
    const { passed, failed } = JSON.parse(json);
    if (Number.isInteger(passed) && Number.isInteger(failed)) return { passed, failed };
  } catch { /* fall through */ }
  log(`unreadable AXIOM-MOCHA-RESULT: ${json}`);
  return null;
}

async function screenshot(page) {
  const file = path.join(process.env.AXIOM_ARTIFACTS_DIR || os.tmpdir(), `axiom-extension-tests-${Date.now()}.png`);
  try { await page.screenshot({ path: file }); log(`screenshot: ${file}`); } catch { /* page gone */ }
}

function secs(from, to) {
  return from && to ? `${((to - from) / 1000).toFixed(1)} s` : 'n/a';
}

// Run only when invoked directly (the formatting helpers above can be imported and tested).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
