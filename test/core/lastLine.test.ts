/** The last word of a terminal agent (issue 21): the last non-empty line it printed, as text, bounded in length and in memory. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LastLine, plainLine } from '../../src/core';
import { PENDING_LIMIT } from '../../src/core/processes/lastLine';

const fed = (...chunks: string[]): LastLine => {
  const t = new LastLine();
  for (const c of chunks) t.push(c);
  return t;
};

test('the last non-empty line, blank lines and trailing whitespace skipped', () => {
  assert.equal(fed('one\ntwo\n\n   \n').value, 'two');
  assert.equal(fed('').value, undefined);
  assert.equal(fed('\n\n').value, undefined);
  assert.equal(fed('one\n', 'tw', 'o still writing').value, 'two still writing', 'the line being written counts');
});

test('colour, cursor and title escapes are removed, also when a chunk ends inside one', () => {
  assert.equal(fed('\x1b[1;32mAll 12 tests pass\x1b[0m\n').value, 'All 12 tests pass');
  assert.equal(fed('\x1b]0;window title\x07ready\x1b[2K\n').value, 'ready');
  assert.equal(fed('\x1b[3', '1mred\x1b[', '0m\n').value, 'red');
  assert.equal(fed('a\tb\x07c\x00\n').value, 'a bc');
});

test('a progress bar redrawn with carriage returns gives its last state', () => {
  assert.equal(fed('10%\r50%\r100% done\r\n').value, '100% done');
});

test('a line is bounded to its maximum with an ellipsis', () => {
  const v = fed('x'.repeat(500) + '\n').value!;
  assert.equal(v.length, 120);
  assert.ok(v.endsWith('…'));
  assert.equal(plainLine('y'.repeat(50), 10), 'yyyyyyyyy…');
});

test('megabytes without a newline cost bounded memory, and the end of the line is what is kept', () => {
  const t = new LastLine();
  const chunk = 'z'.repeat(64 * 1024);
  for (let i = 0; i < 160; i++) {
    t.push(chunk);
    assert.ok((t as unknown as { pending: string }).pending.length <= PENDING_LIMIT);
  }
  t.push('THE END');
  assert.ok(t.value!.endsWith('…'), 'bounded to the maximum');
  t.push('\n');
  assert.equal((t as unknown as { pending: string }).pending, '');
  assert.match(t.value!, /^z+…$/);
  t.push('after\n'.repeat(100_000));
  assert.equal(t.value, 'after');
});
