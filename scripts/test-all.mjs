// `npm test`: builds once, runs every suite, and ends with one line "N passed, N failed" over all of them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const only = process.env.AXIOM_SUITES ? process.env.AXIOM_SUITES.split(',') : null;
const SUITES = ['build', 'compile', 'lint', 'core', 'mcp', 'extension-host', 'extension-untrusted', 'e2e'];
const unknownSuites = (only ?? []).filter((s) => !SUITES.includes(s));
if (unknownSuites.length > 0) {
  console.error(`AXIOM_SUITES names no suite called ${unknownSuites.join(', ')}; the suites are ${SUITES.join(', ')}.`);
  process.exit(2);
}
// AXIOM_REPEAT=N runs the selected test suites N times over (the build and checks once): a way for
// anyone to check that a suite is stable, e.g. AXIOM_SUITES=extension-host AXIOM_REPEAT=10 npm test.
const repeat = Math.max(1, Number.parseInt(process.env.AXIOM_REPEAT ?? '1', 10) || 1);
const totals = { passed: 0, failed: 0 };
const rows = [];
// What failed, repeated under the summary: CI often keeps only the tail of a long log.
const failures = [];

/** Each failed test's name with the first lines of its error (not its stack), a few tests at most. */
function noteFailures(name, output) {
  name += suffix;
  const lines = output.split('\n');
  const errorLines = (from) => {
    const out = [];
    for (const l of lines.slice(from, from + 40)) {
      if (/^\s*✖ /.test(l) || /^\s+\d+\) /.test(l) || /^test at /.test(l)) break;
      if (l.trim() === '' || /^\s+at /.test(l) || /^\s+(generatedMessage|code|actual|expected|operator):/.test(l) || /^\s*[{}]\s*$/.test(l)) continue;
      out.push(`    ${l.trim().slice(0, 300)}`);
      if (out.length === 4) break;
    }
    return out;
  };
  // node:test's spec reporter repeats each failure under "✖ failing tests:" with its error.
  const section = lines.findIndex((l) => /^\s*✖ failing tests:?\s*$/.test(l));
  if (section >= 0) {
    let shown = 0;
    for (let i = section + 1; i < lines.length && shown < 12; i++) {
      if (!/^\s*✖ /.test(lines[i])) continue;
      failures.push(`${name}: ${lines[i].trim().replace(/\s*\(\d+(\.\d+)?ms\)$/, '')}`, ...errorLines(i + 1));
      shown++;
    }
  }
  // mocha lists each failure after "N failing": "  1) suite", indented title lines, then the error.
  const at = lines.findIndex((l) => /^\s+\d+ failing/.test(l));
  if (at >= 0) {
    let shown = 0;
    for (let i = at + 1; i < lines.length && shown < 12; i++) {
      if (!/^\s+\d+\) /.test(lines[i])) continue;
      const title = [lines[i].trim()];
      let j = i + 1;
      while (j < lines.length && lines[j].trim() !== '' && !/^\s+(\w*Error|AssertionError|Timed out)/.test(lines[j]) && title.length < 4) title.push(lines[j++].trim());
      failures.push(`${name}: ${title.join(' ').slice(0, 300)}`, ...errorLines(j));
      shown++;
    }
  }
  // A suite that failed without naming a test (a crash, a timeout of the whole run): its last lines.
  if (section < 0 && at < 0) failures.push(`${name}: (no test named; the suite's last lines)`, ...lines.filter((l) => l.trim()).slice(-6).map((l) => `    ${l.trim().slice(0, 300)}`));
}

function run(cmd, args, options = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024, ...options });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  return { ...r, seconds: (Date.now() - started) / 1000 };
}

let suffix = ''; // the round's number when AXIOM_REPEAT runs the suites more than once

function record(name, passed, failed, seconds) {
  name += suffix;
  totals.passed += passed;
  totals.failed += failed;
  rows.push(`${name.padEnd(18)} ${String(passed).padStart(4)} passed ${String(failed).padStart(3)} failed  ${seconds.toFixed(1)}s`);
}

/** A check that is one pass or one fail (build, type-check, lint). `needed`: runs whatever AXIOM_SUITES picks. */
function check(name, cmd, args, needed = false) {
  if (!needed && only && !only.includes(name)) return true;
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = run(cmd, args);
  record(name, r.status === 0 ? 1 : 0, r.status === 0 ? 0 : 1, r.seconds);
  return r.status === 0;
}

/** A node:test suite: counts come from the TAP summary. */
function nodeTests(name, dir, concurrency = 2) {
  if (only && !only.includes(name)) return;
  const abs = path.join(root, dir);
  if (!existsSync(abs) || !readdirSync(abs).some((f) => f.endsWith('.test.js'))) return;
  console.log(`\n=== ${name}: node --test ${dir}`);
  const files = readdirSync(abs).filter((f) => f.endsWith('.test.js')).map((f) => path.join(dir, f));
  const r = run(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files]);
  const pass = Number(/^ℹ pass (\d+)/m.exec(r.stdout)?.[1] ?? NaN);
  const fail = Number(/^ℹ fail (\d+)/m.exec(r.stdout)?.[1] ?? NaN);
  if (fail !== 0) noteFailures(name, r.stdout ?? '');
  if (Number.isNaN(pass) || Number.isNaN(fail)) record(name, 0, 1, r.seconds);
  else record(name, pass, fail + (r.status !== 0 && fail === 0 ? 1 : 0), r.seconds);
}

/** The mocha suite inside a real VS Code (code-server + Chromium). */
function extensionTests(name, args) {
  if (only && !only.includes(name)) return;
  console.log(`\n=== ${name}`);
  const r = run(process.execPath, args);
  const m = /EXTENSION-TESTS: (\d+) passed, (\d+) failed/.exec(r.stdout);
  if (!m || m[2] !== '0') noteFailures(name, `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  if (!m) record(name, 0, 1, r.seconds);
  else record(name, Number(m[1]), Number(m[2]) + (r.status !== 0 && m[2] === '0' ? 1 : 0), r.seconds);
}

// Every suite runs what these two make: they run even when AXIOM_SUITES names only suites (a fresh clone has no out/).
const built = check('build', process.execPath, ['esbuild.mjs'], true) & check('compile', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test.json'], true);
check('lint', process.execPath, ['node_modules/eslint/bin/eslint.js', 'src', 'test']);
if (built) {
  for (let round = 1; round <= repeat; round++) {
    if (repeat > 1) console.log(`\n##### round ${round} of ${repeat}`);
    suffix = repeat > 1 ? ` #${round}` : '';
    nodeTests('core', 'out/test/core');
    nodeTests('mcp', 'out/test/mcp');
    if (existsSync(path.join(root, 'out/test/extension/index.js')) && existsSync(path.join(root, 'scripts/run-extension-tests.mjs'))) {
      // Each run opens a fresh fixture repository (test/extension/fixture.mjs prints its path). The
      // second run leaves workspace trust on (--trust), so the folder is untrusted: nothing may run.
      const tests = path.join(root, 'out/test/extension/index.js');
      const fixture = (...args) => spawnSync(process.execPath, ['test/extension/fixture.mjs', ...args], { cwd: root, encoding: 'utf8' }).stdout.trim();
      const wanted = (suite) => !only || only.includes(suite);
      const trusted = wanted('extension-host') ? fixture() : '';
      // The untrusted repository's config names programs (fsmonitor, a clean filter): listing it must start none.
      const untrusted = wanted('extension-untrusted') ? fixture('repo', '--hostile') : '';
      extensionTests('extension-host', ['scripts/run-extension-tests.mjs', '--extension', root, '--tests', tests, '--folder', trusted]);
      extensionTests('extension-untrusted', ['scripts/run-extension-tests.mjs', '--extension', root, '--tests', tests, '--folder', untrusted, '--trust']);
      for (const repo of [trusted, untrusted]) if (repo) rmSync(path.dirname(repo), { recursive: true, force: true });
    }
    // One browser suite at a time: each file runs its own code-server and Chromium, two at once starve a 2-core machine.
    nodeTests('e2e', 'out/test/e2e', 1);
  }
}

if (failures.length) console.log(`\nFailed:\n${failures.join('\n')}`);
console.log('\n' + rows.join('\n'));
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exitCode = totals.failed > 0 ? 1 : 0;
