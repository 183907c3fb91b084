/** The test helper that builds a PATH of chosen programs cleans up after itself (review: it leaked /tmp/axiom-path-* folders). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

test('pathWithOnly: the PATH folders it makes work while the process runs and are gone once it exits (no /tmp/axiom-path-* left)', () => {
  // A process of its own, as a test file's: it builds two PATHs, checks that they hold the links, and exits.
  const script = `
    const fs = require('node:fs');
    const { pathWithOnly, BASIC_PROGRAMS } = require(${JSON.stringify(path.join(__dirname, 'programPath.js'))});
    const made = [pathWithOnly(BASIC_PROGRAMS), pathWithOnly(['git'], ['/nowhere'])].map((p) => p.split(':').pop());
    if (!made.every((dir) => fs.existsSync(dir + '/git'))) throw new Error('no git link in ' + made.join(', '));
    process.stdout.write(JSON.stringify(made));
  `;
  const made = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
  assert.equal(made.length, 2);
  for (const dir of made) {
    assert.match(dir, /axiom-path-/);
    assert.equal(fs.existsSync(dir), false, `${dir} is left after its process exited`);
    assert.equal(fs.existsSync(path.dirname(dir)), false, `${path.dirname(dir)} is left after its process exited`);
  }
});
