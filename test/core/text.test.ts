import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { plural } from '../../src/core/text';

test('plural: the noun takes the right plural ending, never "(s)"', () => {
  assert.equal(plural(1, 'file'), '1 file');
  assert.equal(plural(0, 'file'), '0 files');
  assert.equal(plural(3, 'uncommitted file'), '3 uncommitted files');
  assert.equal(plural(2, 'empty branch'), '2 empty branches');
  assert.equal(plural(2, 'repository'), '2 repositories');
  assert.equal(plural(2, 'day'), '2 days');
  assert.equal(plural(1, 'branch'), '1 branch');
});
