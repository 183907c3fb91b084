/** Issue 21: the extension's default keybindings are documented in README (the VS Code section's "Keyboard" paragraph). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Keybinding {
  command: string;
  key: string;
  mac?: string;
}

/** "ctrl+alt+a s" as README writes it: "Ctrl+Alt+A S"; "cmd+backspace": "Cmd+Backspace". */
function written(key: string): string {
  return key
    .split(' ')
    .map((chord) => chord.split('+').map((k) => k[0]!.toUpperCase() + k.slice(1)).join('+'))
    .join(' ');
}

test('every default keybinding of package.json is in README\'s Keyboard paragraph, with its command id and its macOS key', () => {
  const root = path.resolve(__dirname, '../../..');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { keybindings: Keybinding[] } };
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const paragraph = /^\*\*Keyboard\.\*\*.*$/m.exec(readme)?.[0];
  assert.ok(paragraph, 'README has a **Keyboard.** paragraph');
  const bindings = pkg.contributes.keybindings;
  assert.ok(bindings.length >= 4, 'Enter, Delete, a chord to spawn and one to focus the view');
  const missing: string[] = [];
  for (const b of bindings) {
    for (const key of [b.key, b.mac].filter((k): k is string => k !== undefined)) {
      if (!paragraph.includes(`**${written(key)}**`)) missing.push(`${b.command}: ${written(key)}`);
    }
    if (!paragraph.includes(b.command)) missing.push(`${b.command}: its command id (to rebind it)`);
  }
  assert.deepEqual(missing, []);
});
