/** The headless launcher's pre-check (before a race creates anything) writes no file anywhere. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { headlessLauncher } from '../../src/agents/raceLauncher';

test("the race launcher's check of a claude member writes no axiom-claude-settings.json into the current directory", async () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-launcher-')));
  const before = process.cwd();
  process.chdir(dir);
  try {
    const launcher = headlessLauncher({ cwd: dir, hookScript: path.join(dir, 'hook.js') });
    // Whether claude is installed here or not, the check must not write into the folder it runs in.
    await launcher.check!([{ id: 'fix-1', agent: 'claude' }] as never, { prompt: 'do it' } as never).catch(() => undefined);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    process.chdir(before);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
