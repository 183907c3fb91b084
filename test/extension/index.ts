/**
 * Mocha inside the extension host (loaded through the workbench's `extensionTestsPath`). A trusted
 * workspace runs the full suite; an untrusted one runs only the checks that nothing is executed.
 * The last line printed is the machine-readable result the launcher looks for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { resetWorkspace } from './helpers';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 90_000, reporter: 'spec' });
  // The launcher's --grep reaches the extension host as an environment variable.
  if (process.env.AXIOM_MOCHA_GREP) mocha.grep(process.env.AXIOM_MOCHA_GREP);
  // The reporter logs printf-style argument lists; the workbench forwards them unformatted.
  const log = console.log;
  console.log = (...args: unknown[]) => log(util.format(...args));
  const trusted = vscode.workspace.isTrusted;
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => (trusted ? f !== 'untrusted.test.js' : f === 'untrusted.test.js'));
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  try {
    await mocha.loadFilesAsync();
  } catch (e) {
    console.log('AXIOM-MOCHA-RESULT ' + JSON.stringify({ passed: 0, failed: 1 }));
    throw e;
  }
  // Each file's tests start from the state the workspace opened in: whatever a file leaves behind
  // (or a failure half-way through it) is reset before the next file begins.
  if (trusted) {
    for (const suite of mocha.suite.suites) {
      suite.afterAll('reset the workspace for the next file', async function () {
        this.timeout(120_000);
        await resetWorkspace();
      });
    }
  }
  console.log(`Axiom extension tests (${trusted ? 'trusted' : 'untrusted'} workspace): ${files.join(', ')}`);
  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const passed = runner.stats?.passes ?? 0;
        const failed = failures;
        console.log('AXIOM-MOCHA-RESULT ' + JSON.stringify({ passed, failed }));
        if (failed > 0) reject(new Error(`${failed} test(s) failed.`));
        else resolve();
      });
    } catch (e) {
      console.log('AXIOM-MOCHA-RESULT ' + JSON.stringify({ passed: 0, failed: 1 }));
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}
