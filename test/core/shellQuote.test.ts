import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandLine, quoteArg, splitTemplate } from '../../src/core/processes/shellQuote';

const hostile = [
  '', ' ', 'plain', "it's", '"double"', '$(touch CANARY)', '`touch CANARY`', '; touch CANARY', '$HOME', '\\', '\n', 'a\nb',
  '*', '?', '~', '!', '!!', '#', '&', '|', '>', '<', '{a,b}', "'", "''", '"\'"', '\u00e9\u202e😀', '-n', '--', '\t\t', "'$(x)'",
];

test('a real POSIX shell gets back exactly the argv that was quoted (no expansion, no execution)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'axiom-quote-'));
  try {
    const argv = [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...hostile];
    const line = commandLine(argv);
    const out = execFileSync('/bin/sh', ['-c', line], { cwd: dir, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), hostile);
    assert.equal(fs.existsSync(path.join(dir, 'CANARY')), false);
    const bash = execFileSync('/bin/bash', ['-c', line], { cwd: dir, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(bash), hostile);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('safe words stay readable; NUL is refused; PowerShell quoting doubles single quotes', () => {
  assert.equal(quoteArg('claude'), 'claude');
  assert.equal(quoteArg('--settings=/a/b.json'), '--settings=/a/b.json');
  assert.equal(quoteArg("it's"), `'it'\\''s'`);
  assert.throws(() => quoteArg('a\0b'));
  assert.equal(quoteArg("it's", 'powershell'), `'it''s'`);
  assert.equal(commandLine(['my agent', 'x'], 'powershell'), `& 'my agent' 'x'`);
});

test('custom command templates split without a shell; placeholders fill whole arguments', () => {
  assert.deepEqual(splitTemplate('my-agent --fast {prompt}', { prompt: '$(rm -rf /) ; x' }), ['my-agent', '--fast', '$(rm -rf /) ; x']);
  assert.deepEqual(splitTemplate(`node "my script.js" '{id}' --cwd={worktree}`, { id: 'a1', worktree: '/w t' }), ['node', 'my script.js', 'a1', '--cwd=/w t']);
  assert.deepEqual(splitTemplate('agent {prompt}', { prompt: null }), ['agent']);
  assert.throws(() => splitTemplate('agent "unclosed', {}), /Unclosed/);
});
