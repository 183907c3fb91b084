/**
 * Reading a setup's record while its process ends. Seen under load in the extension-host suite:
 * Retry Setup reported "failed" for a setup that succeeded — the record was read while `running`,
 * the process wrote `succeeded` and exited, and only then was its pid checked.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSetupRecord, writeSetupRecord, type SetupRecord } from '../../src/core/provision/setup';

function adminDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-setup-record-'));
}

const running = (dir: string): SetupRecord => ({
  state: 'running',
  commands: ['npm ci', 'npm run db:migrate'],
  exitCode: null,
  startedAt: '2026-12-07T04:00:00.000Z',
  pid: 999_999_999,
  ranBy: 'terminal',
  steps: [{ command: 'npm ci', exitCode: 0, ms: 10 }],
  logFile: path.join(dir, 'axiom-setup.log'),
});

test('a setup that wrote its outcome and exited between the read and the liveness check reads as that outcome, not failed', async () => {
  const dir = adminDir();
  const rec = running(dir);
  await writeSetupRecord(dir, rec);
  const finished: SetupRecord = { ...rec, state: 'succeeded', exitCode: 0, endedAt: '2026-12-07T04:00:05.000Z', steps: [...rec.steps, { command: 'npm run db:migrate', exitCode: 0, ms: 20 }] };
  delete finished.pid;
  let checked = 0;
  const read = await readSetupRecord(dir, () => {
    // The interleaving: the setup process finishes (outcome, then exit) just before its pid is checked.
    checked++;
    fs.writeFileSync(path.join(dir, 'axiom-setup.json'), JSON.stringify(finished));
    return false;
  });
  assert.equal(checked, 1);
  assert.equal(read?.state, 'succeeded');
  assert.equal(read?.exitCode, 0);
});

test('a running setup whose process died without an outcome reads as failed, on the step it was running', async () => {
  const dir = adminDir();
  await writeSetupRecord(dir, running(dir));
  const read = await readSetupRecord(dir, () => false);
  assert.equal(read?.state, 'failed');
  assert.equal(read?.failedCommand, 'npm run db:migrate');
  assert.equal(read?.exitCode, null);
});

test('a running setup whose process lives reads as running', async () => {
  const dir = adminDir();
  await writeSetupRecord(dir, running(dir));
  assert.equal((await readSetupRecord(dir, () => true))?.state, 'running');
});
