// Reference mocha entry point for tests inside the VS Code extension host (the `extensionTestsPath`).
// Copy it to test/extension/index.ts (or .js); scripts/run-extension-tests.mjs loads the compiled file.
//
// Convention with the runner: before settling, log one line
//   AXIOM-MOCHA-RESULT {"passed":N,"failed":M}
// The runner reads it from the forwarded console and prints `EXTENSION-TESTS: N passed, M failed`.
// Settling: resolve when every test passed, reject otherwise; VS Code turns that into the exit code.
//
// Environment (set on the code-server process, which the extension host inherits):
//   AXIOM_MOCHA_GREP        run only tests whose full title matches (runner: --grep)
//   AXIOM_MOCHA_TIMEOUT_MS  per-test timeout, default 20000 (a real workbench is slow on 2 cores)
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

const RESULT_PREFIX = 'AXIOM-MOCHA-RESULT ';

function report(passed, failed) {
  console.log(RESULT_PREFIX + JSON.stringify({ passed, failed }));
}

/** The test files: every `*.test.js` next to this file, sorted (no glob dependency). */
function testFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.test.js'))
    .sort()
    .map((name) => path.join(dir, name));
}

function run() {
  const mocha = new Mocha({
    ui: 'bdd',
    color: false, // the log is read in CI, not in a terminal
    reporter: 'spec',
    timeout: Number(process.env.AXIOM_MOCHA_TIMEOUT_MS) || 20000,
    grep: process.env.AXIOM_MOCHA_GREP || undefined,
  });
  const files = testFiles(__dirname);
  return new Promise((resolve, reject) => {
    if (files.length === 0) {
      // Zero tests is a broken build, not a pass.
      report(0, 1);
      reject(new Error(`no *.test.js files in ${__dirname}`));
      return;
    }
    for (const file of files) mocha.addFile(file);
    try {
      const runner = mocha.run((failures) => {
        const passed = runner.stats ? runner.stats.passes : 0;
        const failed = runner.stats ? Math.max(runner.stats.failures, failures) : failures;
        report(passed, failed);
        if (failed > 0) reject(new Error(`${failed} test(s) failed`));
        else resolve();
      });
    } catch (err) {
      // A test file that throws while loading never reaches the callback.
      console.error(err);
      report(0, 1);
      reject(err);
    }
  });
}

module.exports = { run };
